/**
 * Comparing predicted and target tracks: Pearson correlation and column extraction.
 *
 * @module
 */

/** Column `k` of a row-major [T, width] array. */
export function trackColumn(data: ArrayLike<number>, width: number, k: number): Float64Array {
  return Float64Array.from({ length: data.length / width }, (_, i) => data[i * width + k]!);
}

/** Pearson correlation of two equal-length sequences (NaN when either is constant). */
export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i]! / n;
    mb += b[i]! / n;
  }
  let num = 0;
  let da = 0;
  let db = 0;
  for (let i = 0; i < n; i++) {
    num += (a[i]! - ma) * (b[i]! - mb);
    da += (a[i]! - ma) ** 2;
    db += (b[i]! - mb) ** 2;
  }
  return da > 0 && db > 0 ? num / Math.sqrt(da * db) : Number.NaN;
}
