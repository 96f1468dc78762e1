/**
 * A progress bar on stderr: redrawn in place on a terminal, one line per 10 % otherwise (so
 * logs stay readable), silent with --quiet.
 *
 * @module
 */

export class ProgressBar {
  private lastPercent = -1;
  private lastDraw = 0;
  private readonly tty: boolean;

  constructor(private readonly quiet = false) {
    this.tty = Boolean(process.stderr.isTTY);
  }

  /** Shows `fraction` (0..1) with a label. */
  update(fraction: number, label: string): void {
    if (this.quiet) return;
    const percent = Math.max(0, Math.min(100, Math.floor(fraction * 100)));
    if (this.tty) {
      const now = Date.now();
      if (now - this.lastDraw < 100 && percent < 100) return;
      this.lastDraw = now;
      const width = 30;
      const filled = Math.round((percent / 100) * width);
      process.stderr.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(percent).padStart(3)}% ${label}`.padEnd(100).slice(0, 100));
    } else if (Math.floor(percent / 10) !== Math.floor(this.lastPercent / 10)) {
      process.stderr.write(`${String(percent).padStart(3)}% ${label}\n`);
    }
    this.lastPercent = percent;
  }

  /** Ends the bar's line. */
  done(message?: string): void {
    if (this.quiet) return;
    if (this.tty) process.stderr.write('\n');
    if (message) process.stderr.write(`${message}\n`);
  }
}
