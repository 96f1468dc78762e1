// The benchmarks' small numeric helpers: medians, rounding for JSON, timing after warm-up.

/** The median (upper middle for even counts) of `xs`. */
export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** `x` rounded to `digits` decimals (default 3), for JSON lines. */
export const round = (x: number, digits = 3): number => Math.round(x * 10 ** digits) / 10 ** digits;

/** Median wall time (ms) of `fn` over `reps` runs after 2 warm-up runs. */
export async function medianMs(reps: number, fn: () => Promise<unknown>): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < reps + 2; i++) {
    const t0 = performance.now();
    await fn();
    if (i >= 2) samples.push(performance.now() - t0);
  }
  return median(samples);
}
