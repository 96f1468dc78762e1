/**
 * Compressed sparse matrices (scipy's CSC and CSR), as FLAME's pickles hold `J_regressor`.
 *
 * @module
 */

import { FormatError } from '../errors.js';

/**
 * A sparse matrix in scipy's compressed layout. For `'csc'`, column `j` holds the entries
 * `data[k]` at rows `indices[k]` for `k` in `[indptr[j], indptr[j + 1])`; `'csr'` is the same
 * with rows and columns swapped.
 */
export interface SparseMatrixData {
  /** Compressed sparse columns or rows. */
  format: 'csc' | 'csr';
  /** `[rows, cols]`. */
  shape: [number, number];
  /** The stored values, [nnz]. */
  data: Float64Array;
  /** The row (CSC) or column (CSR) of each stored value, [nnz]. */
  indices: Int32Array;
  /** Where each column (CSC) or row (CSR) starts in `data`, [cols + 1] or [rows + 1]. */
  indptr: Int32Array;
}

/**
 * Whether a value has the form of a {@link SparseMatrixData} (its contents are checked by
 * {@link checkSparseMatrix}).
 *
 * @param value - Any value.
 * @returns `true` for an object with the right format, shape and array types.
 */
export function isSparseMatrixData(value: unknown): value is SparseMatrixData {
  if (typeof value !== 'object' || value === null) return false;
  const m = value as Partial<Record<keyof SparseMatrixData, unknown>>;
  return (
    (m.format === 'csc' || m.format === 'csr') &&
    Array.isArray(m.shape) &&
    m.shape.length === 2 &&
    m.data instanceof Float64Array &&
    m.indices instanceof Int32Array &&
    m.indptr instanceof Int32Array
  );
}

/**
 * Checks that a sparse matrix is consistent: non-negative integer shape, `indptr` of the
 * right length, starting at 0, non-decreasing and ending at `data.length`, `indices` as long
 * as `data` and in range.
 *
 * @param matrix - The matrix.
 * @param name - What it is, for messages (e.g. `'J_regressor'`).
 * @param path - The file it came from, if any.
 * @throws {@link FormatError} naming the first inconsistency.
 */
export function checkSparseMatrix(matrix: SparseMatrixData, name: string, path?: string): void {
  const fail = (message: string): never => {
    throw new FormatError(`expected ${name} to be a valid ${matrix.format.toUpperCase()} sparse matrix, ${message}`, { path });
  };
  const [rows, cols] = matrix.shape;
  if (!matrix.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) fail(`received shape [${matrix.shape.join(', ')}]`);
  const [major, minor] = matrix.format === 'csc' ? [cols, rows] : [rows, cols];
  const { data, indices, indptr } = matrix;
  if (indptr.length !== major + 1) fail(`with ${major + 1} indptr entries, received ${indptr.length}`);
  if (indices.length !== data.length) fail(`with as many indices as values (${data.length}), received ${indices.length}`);
  if (indptr[0] !== 0 || indptr[major] !== data.length) {
    fail(`with indptr running from 0 to ${data.length}, received ${indptr[0]} to ${indptr[major]}`);
  }
  for (let j = 0; j < major; j++) {
    if (indptr[j + 1]! < indptr[j]!) fail(`with non-decreasing indptr, received ${indptr[j]} then ${indptr[j + 1]} at ${j}`);
  }
  for (let k = 0; k < indices.length; k++) {
    if (indices[k]! < 0 || indices[k]! >= minor) fail(`with indices in [0, ${minor}), received ${indices[k]} at ${k}`);
  }
}

/**
 * Expands a sparse matrix to a dense row-major array, summing duplicate entries (as scipy's
 * `toarray()` does).
 *
 * @param matrix - A consistent matrix (see {@link checkSparseMatrix}).
 * @returns `rows × cols` values, row-major.
 */
export function sparseToDense(matrix: SparseMatrixData): Float64Array {
  const [rows, cols] = matrix.shape;
  const out = new Float64Array(rows * cols);
  const csc = matrix.format === 'csc';
  const major = csc ? cols : rows;
  for (let j = 0; j < major; j++) {
    for (let k = matrix.indptr[j]!; k < matrix.indptr[j + 1]!; k++) {
      const i = matrix.indices[k]!;
      out[csc ? i * cols + j : j * cols + i] += matrix.data[k]!;
    }
  }
  return out;
}
