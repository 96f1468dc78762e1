// The CLI progress bar's time estimate and lines, with a fake clock: no estimate ("--:--") until
// there is enough to go on, the estimate from a steady rate, convergence when the pace changes,
// the rendered terminal and log lines, and a fresh estimate after done().
import { describe, expect, it, vi } from 'vitest';

import { ETA_MIN_REPORTS, EtaEstimator, formatDuration, formatProgressLine, ProgressBar, synthesisLabel } from '../lib/cli/progress.js';

/** A clock the test moves by hand. */
function fakeClock(): { now: () => number; advance: (s: number) => void } {
  let t = 1000;
  return { now: () => t, advance: (s) => (t += s) };
}

describe('EtaEstimator', () => {
  it('has no estimate before enough reports and time, then the steady rate', () => {
    const clock = fakeClock();
    const eta = new EtaEstimator(clock.now);
    expect(eta.remaining()).toBeUndefined();
    eta.update(0);
    for (let i = 1; i < ETA_MIN_REPORTS; i++) {
      clock.advance(1);
      eta.update(i / 100);
      expect(eta.remaining()).toBeUndefined();
    }
    clock.advance(1);
    eta.update(ETA_MIN_REPORTS / 100); // 1 % a second: 97 s left
    expect(eta.elapsed()).toBe(ETA_MIN_REPORTS);
    expect(eta.remaining()).toBeCloseTo(100 - ETA_MIN_REPORTS, 6);
  });

  it('waits for a second of work even when reports come fast', () => {
    const clock = fakeClock();
    const eta = new EtaEstimator(clock.now);
    eta.update(0);
    for (let i = 1; i <= 10; i++) {
      clock.advance(0.01);
      eta.update(i / 1000);
    }
    expect(eta.remaining()).toBeUndefined();
  });

  it('counts the time since the last report and ignores reports that do not move', () => {
    const clock = fakeClock();
    const eta = new EtaEstimator(clock.now);
    eta.update(0);
    for (let i = 1; i <= 5; i++) {
      clock.advance(2);
      eta.update(i / 10); // 10 % per 2 s: 10 s left at 50 %
    }
    expect(eta.remaining()).toBeCloseTo(10, 6);
    clock.advance(3);
    eta.update(0.5);
    eta.update(0.4);
    expect(eta.remaining()).toBeCloseTo(7, 6);
    clock.advance(100);
    expect(eta.remaining()).toBe(0);
  });

  it('converges on a new pace within a few reports', () => {
    const clock = fakeClock();
    const eta = new EtaEstimator(clock.now);
    eta.update(0);
    // A fast first stage: 10 % in 1 s, in 10 reports...
    for (let i = 1; i <= 10; i++) {
      clock.advance(0.1);
      eta.update(i / 100);
    }
    // ...then a slow one: 1 % every 2 s (200 s per unit).
    let f = 0.1;
    for (let i = 0; i < 12; i++) {
      clock.advance(2);
      f += 0.01;
      eta.update(f);
    }
    const truth = (1 - f) * 200;
    expect(Math.abs(eta.remaining()! - truth) / truth).toBeLessThan(0.02);
  });
});

describe('progress lines', () => {
  it('formats durations, with --:-- for no estimate', () => {
    expect(formatDuration(undefined)).toBe('--:--');
    expect(formatDuration(0)).toBe('0:00');
    expect(formatDuration(59.6)).toBe('1:00');
    expect(formatDuration(754)).toBe('12:34');
    expect(formatDuration(3723)).toBe('1:02:03');
  });

  it('renders the terminal and log lines', () => {
    expect(formatProgressLine({ percent: 42, label: 'rendering frame 60/147', elapsedSeconds: 12, remainingSeconds: 17, barWidth: 10 })).toBe(
      '[####......]  42% 0:12 elapsed, 0:17 left  rendering frame 60/147',
    );
    expect(formatProgressLine({ percent: 5, label: 'speech to expressions', elapsedSeconds: 0.4, remainingSeconds: undefined })).toBe('  5% 0:00 elapsed, --:-- left  speech to expressions');
  });
});

describe('ProgressBar', () => {
  it('writes one log line per 10 % with the elapsed time and the estimate', () => {
    const clock = fakeClock();
    const written: string[] = [];
    const bar = new ProgressBar(false, { stream: { write: (s: string) => written.push(s), isTTY: false }, clock: clock.now });
    for (let i = 0; i <= 20; i++) {
      bar.update(i / 20, `step ${i}/20`);
      clock.advance(1);
    }
    bar.done('finished');
    expect(written).toEqual([
      '  0% 0:00 elapsed, --:-- left  step 0/20\n',
      ' 10% 0:02 elapsed, --:-- left  step 2/20\n',
      ' 20% 0:04 elapsed, 0:16 left  step 4/20\n',
      ' 30% 0:06 elapsed, 0:14 left  step 6/20\n',
      ' 40% 0:08 elapsed, 0:12 left  step 8/20\n',
      ' 50% 0:10 elapsed, 0:10 left  step 10/20\n',
      ' 60% 0:12 elapsed, 0:08 left  step 12/20\n',
      ' 70% 0:14 elapsed, 0:06 left  step 14/20\n',
      ' 80% 0:16 elapsed, 0:04 left  step 16/20\n',
      ' 90% 0:18 elapsed, 0:02 left  step 18/20\n',
      '100% 0:20 elapsed, 0:00 left  step 20/20\n',
      'finished\n',
    ]);
  });

  it('redraws in place on a terminal, at most 10 times a second, and starts afresh after done()', () => {
    const clock = fakeClock();
    const written: string[] = [];
    const bar = new ProgressBar(false, { stream: { write: (s: string) => written.push(s), isTTY: true }, clock: clock.now });
    bar.update(0, 'a');
    clock.advance(0.06);
    bar.update(0.01, 'a'); // too soon: not drawn
    clock.advance(0.06);
    bar.update(0.02, 'a');
    expect(written).toHaveLength(2);
    expect(written[1]).toBe(`\r${'[#.............................]   2% 0:00 elapsed, --:-- left  a'.padEnd(100)}`);
    bar.done();
    expect(written.at(-1)).toBe('\n');
    clock.advance(60);
    bar.update(0.5, 'b');
    expect(written.at(-1)).toContain(' 50% 0:00 elapsed, --:-- left  b');
    bar.done();
    bar.done(); // a second done() adds no blank line
    expect(written.filter((s) => s === '\n')).toHaveLength(2);
  });

  it('moves the times on a terminal between slow reports, and stops after done()', () => {
    vi.useFakeTimers();
    try {
      const clock = fakeClock();
      const written: string[] = [];
      const bar = new ProgressBar(false, { stream: { write: (s: string) => written.push(s), isTTY: true }, clock: clock.now });
      for (let i = 0; i <= 4; i++) {
        bar.update(i / 10, 'slow step');
        clock.advance(2);
      }
      // 40 % after 8 s at 2 s per 10 %: 12 s left then, less the 3 s since.
      const before = written.length;
      clock.advance(1);
      vi.advanceTimersByTime(1000);
      expect(written.length).toBe(before + 1);
      expect(written.at(-1)).toContain(' 40% 0:11 elapsed, 0:09 left  slow step');
      bar.done();
      const after = written.length;
      vi.advanceTimersByTime(5000);
      expect(written.length).toBe(after);
    } finally {
      vi.useRealTimers();
    }
  });

  it('is silent with --quiet', () => {
    const written: string[] = [];
    const bar = new ProgressBar(true, { stream: { write: (s: string) => written.push(s), isTTY: false } });
    bar.update(0.5, 'x');
    bar.done('y');
    expect(written).toEqual([]);
  });
});

describe('synthesisLabel', () => {
  it('names the denoising step, then the frame', () => {
    expect(synthesisLabel({ stage: 'expressions', frame: 0, frames: 0, step: 0, steps: 25 })).toBe('speech to expressions');
    expect(synthesisLabel({ stage: 'expressions', frame: 0, frames: 0, step: 12, steps: 25 })).toBe('speech to expressions, step 12/25');
    expect(synthesisLabel({ stage: 'render', frame: 8, frames: 147 })).toBe('rendering frame 8/147');
  });
});
