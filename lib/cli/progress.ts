/**
 * A progress bar on stderr with the time elapsed and an estimate of the time left: redrawn in
 * place on a terminal, one line per 10 % otherwise (so logs stay readable), silent with
 * --quiet. The estimate and the line are pure functions of the reports and a clock, so they
 * are tested with a fake clock.
 *
 * @module
 */

/** Seconds now (monotonic); tests pass a fake one. */
export type Clock = () => number;

const monotonicSeconds: Clock = () => performance.now() / 1000;

/** Weight of the newest rate in the smoothed rate (as tqdm smooths: recent speed counts most). */
export const ETA_SMOOTHING = 0.3;
/** Reports that moved needed before an estimate is shown (one or two are mostly start-up). */
export const ETA_MIN_REPORTS = 3;
/** Seconds of work needed before an estimate is shown. */
export const ETA_MIN_SECONDS = 1;

/**
 * Time left from the rate so far: an exponentially smoothed seconds-per-unit over the reports
 * that moved, so a job whose pace changes (a fast first stage, then a slow one) converges on
 * the new pace within a few reports instead of averaging over the whole run.
 */
export class EtaEstimator {
  private start: number | undefined;
  private lastTime = 0;
  private lastFraction = 0;
  private secondsPerUnit: number | undefined;
  private moves = 0;

  constructor(private readonly clock: Clock = monotonicSeconds) {}

  /** Records that the job is at `fraction` (0..1) now. */
  update(fraction: number): void {
    const now = this.clock();
    const f = Math.max(0, Math.min(1, fraction));
    if (this.start === undefined) {
      this.start = now;
      this.lastTime = now;
      this.lastFraction = f;
      return;
    }
    // Only progress informs the rate: a repeated or backwards fraction says nothing about speed.
    if (!(f > this.lastFraction)) return;
    const rate = (now - this.lastTime) / (f - this.lastFraction);
    this.secondsPerUnit = this.secondsPerUnit === undefined ? rate : ETA_SMOOTHING * rate + (1 - ETA_SMOOTHING) * this.secondsPerUnit;
    this.lastTime = now;
    this.lastFraction = f;
    this.moves++;
  }

  /** Seconds since the first report (0 before it). */
  elapsed(): number {
    return this.start === undefined ? 0 : this.clock() - this.start;
  }

  /**
   * Seconds left, or `undefined` while there is too little to go on (fewer than
   * {@link ETA_MIN_REPORTS} reports that moved, or under {@link ETA_MIN_SECONDS} of work). The
   * time since the last report counts as spent on what is left, so the estimate keeps falling
   * between reports (never below 0).
   */
  remaining(): number | undefined {
    if (this.secondsPerUnit === undefined || this.moves < ETA_MIN_REPORTS || this.elapsed() < ETA_MIN_SECONDS) return undefined;
    if (this.lastFraction >= 1) return 0;
    return Math.max(0, (1 - this.lastFraction) * this.secondsPerUnit - (this.clock() - this.lastTime));
  }
}

/** `m:ss`, or `h:mm:ss` from an hour; `--:--` for `undefined` (no estimate yet). */
export function formatDuration(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return '--:--';
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** What one progress line shows. */
export interface ProgressLine {
  /** 0..100. */
  percent: number;
  label: string;
  elapsedSeconds: number;
  /** `undefined`: no estimate yet. */
  remainingSeconds: number | undefined;
  /** Draw a bar of this many cells (a terminal); without, a plain log line. */
  barWidth?: number;
}

/**
 * One progress line: `[######........]  42% 0:12 elapsed, 0:17 left  rendering frame 60/147`
 * on a terminal, `42% 0:12 elapsed, 0:17 left  rendering frame 60/147` in a log.
 */
export function formatProgressLine(line: ProgressLine): string {
  const percent = Math.max(0, Math.min(100, Math.floor(line.percent)));
  const times = `${formatDuration(line.elapsedSeconds)} elapsed, ${formatDuration(line.remainingSeconds)} left`;
  const text = `${String(percent).padStart(3)}% ${times}  ${line.label}`;
  if (line.barWidth === undefined) return text;
  const filled = Math.round((percent / 100) * line.barWidth);
  return `[${'#'.repeat(filled)}${'.'.repeat(line.barWidth - filled)}] ${text}`;
}

/** Where a {@link ProgressBar} draws, and its clock (tests pass their own). */
export interface ProgressBarOptions {
  /** Default: process.stderr. */
  stream?: { write(text: string): unknown; isTTY?: boolean };
  /** Default: monotonic seconds. */
  clock?: Clock;
}

/** Columns a terminal line is cut to (the line is redrawn in place, so it must not wrap). */
const LINE_WIDTH = 100;

export class ProgressBar {
  private lastPercent = -1;
  private lastDraw = -Infinity;
  private drawn = false;
  private shown: { percent: number; label: string } | undefined;
  /** Redraws the line every second on a terminal, so the times move between slow reports. */
  private ticker: ReturnType<typeof setInterval> | undefined;
  private eta: EtaEstimator;
  private readonly tty: boolean;
  private readonly stream: NonNullable<ProgressBarOptions['stream']>;
  private readonly clock: Clock;

  constructor(
    private readonly quiet = false,
    options: ProgressBarOptions = {},
  ) {
    this.stream = options.stream ?? process.stderr;
    this.clock = options.clock ?? monotonicSeconds;
    this.tty = Boolean(this.stream.isTTY);
    this.eta = new EtaEstimator(this.clock);
  }

  /** Shows `fraction` (0..1) with a label, the time elapsed and the estimate of the time left. */
  update(fraction: number, label: string): void {
    if (this.quiet) return;
    this.eta.update(fraction);
    const percent = Math.max(0, Math.min(100, Math.floor(fraction * 100)));
    this.shown = { percent, label };
    if (this.tty) {
      // At most 10 redraws a second: a fast loop must not spend its time on the terminal.
      if (this.clock() - this.lastDraw < 0.1 && percent < 100) return;
      this.draw();
      // Not keeping the process alive: the work does that.
      this.ticker ??= setInterval(() => this.draw(), 1000).unref();
    } else if (Math.floor(percent / 10) !== Math.floor(this.lastPercent / 10)) {
      this.stream.write(`${this.line()}\n`);
    }
    this.lastPercent = percent;
  }

  /** Ends the bar's line; the next update starts a new bar (its own elapsed time and estimate). */
  done(message?: string): void {
    if (this.quiet) return;
    if (this.ticker !== undefined) clearInterval(this.ticker);
    this.ticker = undefined;
    if (this.tty && this.drawn) this.stream.write('\n');
    if (message) this.stream.write(`${message}\n`);
    this.drawn = false;
    this.shown = undefined;
    this.lastPercent = -1;
    this.lastDraw = -Infinity;
    this.eta = new EtaEstimator(this.clock);
  }

  /** The current line, with a bar of `barWidth` cells on a terminal. */
  private line(barWidth?: number): string {
    const { percent, label } = this.shown!;
    return formatProgressLine({ percent, label, elapsedSeconds: this.eta.elapsed(), remainingSeconds: this.eta.remaining(), ...(barWidth !== undefined ? { barWidth } : {}) });
  }

  /** Redraws the terminal line in place (cut so it never wraps). */
  private draw(): void {
    if (this.shown === undefined) return;
    this.lastDraw = this.clock();
    this.stream.write(`\r${this.line(30).padEnd(LINE_WIDTH).slice(0, LINE_WIDTH)}`);
    this.drawn = true;
  }
}

/** The label of a synthesis report: the denoising step while speech becomes expressions, then the frame. */
export function synthesisLabel(p: { stage: 'expressions' | 'render'; frame: number; frames: number; step?: number; steps?: number }): string {
  if (p.stage === 'render') return `rendering frame ${p.frame}/${p.frames}`;
  return p.step ? `speech to expressions, step ${p.step}/${p.steps}` : 'speech to expressions';
}
