/**
 * Argument validation in the user's terms.
 *
 * Every helper throws a {@link ValidationError} whose message names the argument, what was
 * expected and what was received, e.g.
 * `expected means to be a float32 array of shape [N, 3], received shape [10, 4]`.
 * Validate at the outermost layer, before any native work starts.
 *
 * @module
 */

import { ValidationError } from './errors.js';

/** Any built-in typed array. */
export type TypedArray =
  | Int8Array
  | Uint8Array
  | Uint8ClampedArray
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | Float32Array
  | Float64Array
  | BigInt64Array
  | BigUint64Array;

/**
 * An array input: either an `ndarray` (from the `ndarray` package: `data`, `shape`, `stride`,
 * `offset`, `dtype`) or a flat row-major typed array with an explicit shape, `{ data, shape }`.
 *
 * Strides and offset are counted in elements, as `ndarray` does. Without `stride`, the data is
 * row-major and must hold exactly `offset + product(shape)` elements.
 *
 * Note: inside a module that imports it, this name shadows TypeScript's global `ArrayLike<T>`.
 *
 * @example
 * ```ts
 * import ndarray from 'ndarray';
 * import type { ArrayLike } from 'ggtalker';
 *
 * const plain: ArrayLike = { data: new Float32Array(30), shape: [10, 3] };
 * const viewed: ArrayLike = ndarray(new Float32Array(30), [10, 3]);
 * ```
 */
export interface ArrayLike {
  /** Element storage. Float inputs take only `Float32Array`; other kinds are reported by dtype. */
  readonly data: TypedArray | readonly number[];
  /** Size of each dimension, outermost first, e.g. `[N, 3]`. */
  readonly shape: readonly number[];
  /** Element step of each dimension; row-major when omitted. */
  readonly stride?: readonly number[];
  /** Index in `data` of the first element; 0 when omitted. */
  readonly offset?: number;
  /** The `ndarray` dtype name (informative only: the dtype is read from `data` itself). */
  readonly dtype?: string;
}

/**
 * One dimension of an expected shape: a fixed size, or a symbolic name such as `'N'` that binds
 * to the size first received for it and must then agree everywhere it appears.
 */
export type Dim = number | string;

/**
 * Sizes bound to symbolic dimensions, shared across the calls that validate the arguments of
 * one operation, e.g. `{ N: 10, K: 16 }`. Start with `{}`, or pre-fill sizes that are known.
 * A size is bound only when the argument that binds it passes every check.
 */
export type Dims = Record<string, number>;

/** A validated float32 array: contiguous, row-major. */
export interface Float32Tensor {
  /**
   * The elements, contiguous and row-major. When the input was already contiguous float32 this
   * is a view of the caller's memory (zero-copy); otherwise it is a compacted copy.
   */
  readonly data: Float32Array;
  /** The received shape. */
  readonly shape: number[];
}

/**
 * The most elements a strided input may expand to when it is compacted beyond the values it
 * stores (stride-0 broadcasting): 2^26 (256 MB of float32). Larger broadcasts are refused
 * instead of allocated.
 */
export const MAX_BROADCAST_ELEMENTS = 2 ** 26;

/** How messages name what {@link toFloat32Tensor} expects. */
const FLOAT32_ARRAY = 'a float32 array';

/** The argument that first bound each symbolic dimension, for messages naming both arguments. */
const dimSources = new WeakMap<Dims, Map<string, string>>();

/**
 * Validates an array input and returns it as a contiguous row-major float32 tensor.
 *
 * Checks, in order: that `value` is an {@link ArrayLike} with a valid shape, that its data is
 * float32, that its shape matches `expectedShape` (binding symbolic dimensions in `dims`), that
 * its strides stay inside its data, and that every element is finite.
 *
 * @param name - The argument's name as the user knows it, e.g. `'means'`.
 * @param value - The received input, expected to be an {@link ArrayLike}.
 * @param expectedShape - The expected shape, e.g. `['N', 3]` or `['N', 'K', 3]`.
 * @param dims - Symbolic dimension sizes shared with the other arguments of the same call.
 * @param options - See {@link ToFloat32TensorOptions}.
 * @returns The data, zero-copy when the input is already contiguous float32 (a `subarray` of the
 *   caller's array, so later writes by the caller are visible), else a compacted copy.
 * @throws {@link ValidationError} naming the argument, the expectation and what was received.
 *
 * @example
 * ```ts
 * const dims: Dims = {};
 * const means = toFloat32Tensor('means', input.means, ['N', 3], dims);
 * const opacities = toFloat32Tensor('opacities', input.opacities, ['N'], dims); // same N
 * ```
 */
export function toFloat32Tensor(
  name: string,
  value: unknown,
  expectedShape: readonly Dim[],
  dims: Dims = {},
  options: ToFloat32TensorOptions = {},
): Float32Tensor {
  const { data, shape } = readTypedTensor(name, value, expectedShape, dims, 'float32', Float32Array, 'Float32Array.from(data)', (compact, s) => {
    if (options.finite !== false) requireFinite(name, compact, s);
  });
  return { data, shape };
}

/** A validated int32 array (indices): contiguous, row-major. */
export interface Int32Tensor {
  readonly data: Int32Array;
  readonly shape: number[];
}

/**
 * Validates an index array (int32, e.g. face indices) like {@link toFloat32Tensor} does float
 * arrays, and checks every value lies in [min, max).
 */
export function toInt32Tensor(
  name: string,
  value: unknown,
  expectedShape: readonly Dim[],
  dims: Dims = {},
  range: { min?: number; max?: number } = {},
): Int32Tensor {
  const { min = -Infinity, max = Infinity } = range;
  return readTypedTensor(name, value, expectedShape, dims, 'int32', Int32Array, 'Int32Array.from(data)', (compact, s) => {
    requireEach(name, compact, s, (v) => v >= min && v < max, `in [${min}, ${max})`);
  });
}

type TypedCtor<T> = { new (length: number): T };

/** The shared checks of toFloat32Tensor / toInt32Tensor: layout, dtype, shape, then `check`. */
function readTypedTensor<T extends Float32Array | Int32Array>(
  name: string,
  value: unknown,
  expectedShape: readonly Dim[],
  dims: Dims,
  dtypeName: 'float32' | 'int32',
  ctor: TypedCtor<T>,
  conversion: string,
  check: (compact: T, shape: number[]) => void,
): { data: T; shape: number[] } {
  const expectation = `expected ${name} to be a ${dtypeName} array of shape ${formatShape(expectedShape)}`;
  if (!isArrayLikeObject(value)) {
    throw new ValidationError(`${expectation}, received ${describeArrayInput(value)}`);
  }
  const shape = readLayoutList(name, 'shape', value.shape, 0);
  const dtype = dtypeOf(value.data);
  if (dtype !== dtypeName) {
    throw new ValidationError(`${expectation}, received ${dtype} data; convert it with ${conversion}`);
  }
  const data = ownMemory(name, value.data as T);
  const bindings = matchShape(expectation, shape, expectedShape, dims);
  const offset = value.offset === undefined ? 0 : requireNonNegativeInt(`${name}.offset`, value.offset);
  const stride = readStrides(name, value.stride, shape, offset, data.length);
  const size = product(shape);
  if (!isRowMajor(shape, stride) && size > Math.max(data.length, MAX_BROADCAST_ELEMENTS)) {
    // A zero stride lets a few stored values stand for a huge array, and the copy below is real.
    throw new ValidationError(
      `expected ${name} to be at most ${Math.max(data.length, MAX_BROADCAST_ELEMENTS)} elements after compacting its strides (its ${data.length} stored values, or ${MAX_BROADCAST_ELEMENTS} when broadcast), ` +
        `received shape ${formatShape(shape)} = ${size} elements with stride ${formatShape(stride)}; pass the array compacted`,
    );
  }
  const compact = isRowMajor(shape, stride)
    ? (data.subarray(offset, offset + size) as T)
    : compactStrided(data, shape, stride, offset, ctor);
  check(compact, shape);
  commitBindings(dims, bindings, name);
  return { data: compact, shape };
}

/**
 * Checks a shape against an expected one, binding symbolic dimensions in `dims` (for inputs
 * whose data is checked elsewhere, e.g. native tensors).
 *
 * @param name - The argument's name.
 * @param shape - The received shape.
 * @param expectedShape - The expected shape, e.g. `['N', 3]`.
 * @param dims - Symbolic dimension sizes shared with the other arguments of the same call.
 * @param kind - What the argument is, for the message; default `'a float32 array'`.
 * @throws {@link ValidationError} such as
 *   `expected means to be a float32 Tensor of shape [N, 3], received shape [10, 4]`.
 */
export function requireShape(
  name: string,
  shape: readonly number[],
  expectedShape: readonly Dim[],
  dims: Dims = {},
  kind: string = FLOAT32_ARRAY,
): void {
  const received = readLayoutList(name, 'shape', shape, 0);
  const expectation = `expected ${name} to be ${kind} of shape ${formatShape(expectedShape)}`;
  commitBindings(dims, matchShape(expectation, received, expectedShape, dims), name);
}

/** Options of {@link toFloat32Tensor}. */
export interface ToFloat32TensorOptions {
  /**
   * Whether to require every element to be finite (default `true`). The check reads every
   * element once; pass `false` only on hot paths whose inputs are already known to be finite.
   */
  finite?: boolean;
}

/**
 * Checks that every element of `data` passes `test`; reports the first one that does not.
 *
 * @param name - The argument's name.
 * @param data - Row-major elements.
 * @param shape - The logical shape of `data`, used to report a multi-dimensional index such as
 *   `[2, 1]`; omit (or pass a 1-D shape) to report a flat index.
 * @param test - The condition every element must meet.
 * @param expectation - What the condition means in words, e.g. `'positive'` or `'in [0, 1]'`.
 * @throws {@link ValidationError} such as `expected scales to be positive, received 0 at index [3, 1]`.
 */
export function requireEach(
  name: string,
  data: Float32Array | Float64Array | Int32Array,
  shape: readonly number[] | undefined,
  test: (value: number) => boolean,
  expectation: string,
): void {
  for (let i = 0; i < data.length; i++) {
    if (!test(data[i]!)) throw elementError(name, expectation, data, i, shape);
  }
}

/**
 * Checks that every element is finite (neither NaN nor ±Infinity).
 *
 * @param name - The argument's name.
 * @param data - Row-major elements.
 * @param shape - The logical shape, for multi-dimensional indices in the message.
 * @throws {@link ValidationError} such as `expected opacities to be finite, received NaN at index 7`.
 */
export function requireFinite(name: string, data: Float32Array | Float64Array, shape?: readonly number[]): void {
  // A dedicated loop rather than requireEach: this runs on every large input, and `v - v` is
  // 0 exactly for finite v (NaN for NaN and ±Infinity).
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v - v !== 0) throw elementError(name, 'finite', data, i, shape);
  }
}

/**
 * Requires an integer greater than zero.
 *
 * @param name - The argument's name.
 * @param value - The received value.
 * @returns `value`, typed as a number.
 * @throws {@link ValidationError} such as `expected width to be a positive integer, received 0`.
 */
export function requirePositiveInt(name: string, value: unknown): number {
  return requireInteger(name, value, 1, 'a positive integer');
}

/**
 * Requires an integer greater than or equal to zero.
 *
 * @param name - The argument's name.
 * @param value - The received value.
 * @returns `value`, typed as a number.
 * @throws {@link ValidationError} such as `expected count to be a non-negative integer, received -1`.
 */
export function requireNonNegativeInt(name: string, value: unknown): number {
  return requireInteger(name, value, 0, 'a non-negative integer');
}

/** Inclusive bounds for {@link requireFiniteNumber}. */
export interface NumberRange {
  /** Smallest accepted value. */
  min?: number;
  /** Largest accepted value. */
  max?: number;
}

/**
 * Requires a finite number, optionally within inclusive bounds.
 *
 * @param name - The argument's name.
 * @param value - The received value.
 * @param range - Optional inclusive bounds.
 * @returns `value`, typed as a number.
 * @throws {@link ValidationError} such as `expected lr to be a finite number, received NaN` or
 *   `expected guidance to be a finite number in [1, 10], received 12`.
 */
export function requireFiniteNumber(name: string, value: unknown, range: NumberRange = {}): number {
  const { min = -Infinity, max = Infinity } = range;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new ValidationError(`expected ${name} to be a finite number${formatRange(min, max)}, received ${describeValue(value)}`);
  }
  return value;
}

/**
 * Requires a finite number greater than zero.
 *
 * @param name - The argument's name.
 * @param value - The received value.
 * @returns `value`, typed as a number.
 * @throws {@link ValidationError} such as `expected camera.fx to be a positive finite number, received 0`.
 */
export function requirePositiveNumber(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new ValidationError(`expected ${name} to be a positive finite number, received ${describeValue(value)}`);
  }
  return value;
}

/** The largest finite float32, 3.4028234663852886e38: beyond it a double becomes Infinity in float32. */
export const FLOAT32_MAX = 3.4028234663852886e38;

/**
 * Requires a number that stays finite in float32, the precision the native code uses
 * (|value| <= 3.4e38: 1e300 is finite as a double but Infinity in float32), optionally within
 * inclusive bounds.
 *
 * @param name - The argument's name.
 * @param value - The received value.
 * @param range - Optional inclusive bounds.
 * @returns `value`, typed as a number.
 * @throws {@link ValidationError} such as
 *   `expected camera.cx to be a finite float32 number (|x| <= 3.4e38), received 1e+300`.
 */
export function requireFloat32Number(name: string, value: unknown, range: NumberRange = {}): number {
  const { min = -Infinity, max = Infinity } = range;
  if (typeof value !== 'number' || !Number.isFinite(Math.fround(value)) || value < min || value > max) {
    throw new ValidationError(`expected ${name} to be a finite float32 number (|x| <= 3.4e38)${formatRange(min, max)}, received ${describeValue(value)}`);
  }
  return value;
}

/**
 * Requires a number that is positive and finite in float32, the precision the native code
 * uses: 1e-300 is positive as a double but 0 in float32, 1e300 Infinity.
 *
 * @param name - The argument's name.
 * @param value - The received value.
 * @returns `value`, typed as a number.
 * @throws {@link ValidationError} such as
 *   `expected camera.near to be a positive float32 number (1.4e-45 to 3.4e38), received 1e-300`.
 */
export function requirePositiveFloat32(name: string, value: unknown): number {
  if (typeof value !== 'number' || !(Math.fround(value) > 0) || !Number.isFinite(Math.fround(value))) {
    throw new ValidationError(`expected ${name} to be a positive float32 number (1.4e-45 to 3.4e38), received ${describeValue(value)}`);
  }
  return value;
}

/**
 * The typed array itself, or a private copy when it lives in a SharedArrayBuffer (the native
 * bindings cannot borrow shared memory, and another thread could change it mid-call).
 *
 * @param name - The argument's name.
 * @param data - Array data about to cross the native boundary.
 * @throws {@link ValidationError} when its buffer was detached (transferred to a worker, or
 *   freed): its elements are gone.
 */
export function ownMemory<T extends TypedArray>(name: string, data: T): T {
  const buffer = data.buffer as ArrayBufferLike;
  if (isSharedBuffer(buffer)) return data.slice() as T;
  if (isDetached(buffer)) {
    throw new ValidationError(`expected ${name} to be readable array data, received a ${typedArrayTag(data)} whose ArrayBuffer was detached (transferred or freed)`);
  }
  return data;
}

/**
 * Default of the `maxOutputElements` option of native operations whose output size the caller
 * chooses (frames × vertices, frames × Gaussians...): 2^28 float32 values (1 GiB).
 */
export const DEFAULT_MAX_OUTPUT_ELEMENTS = 2 ** 28;

/**
 * Refuses an output beyond a stated, overridable size before any native allocation.
 *
 * @param what - The output as the user knows it, e.g. `'rigGaussians means [T, N, 3]'`.
 * @param shape - Its shape, frames first.
 * @param maxOutputElements - The caller's limit (`undefined`: {@link DEFAULT_MAX_OUTPUT_ELEMENTS}).
 * @throws {@link ValidationError} saying how many frames one call may take, e.g.
 *   `expected ... to hold at most maxOutputElements = 268435456 values, received [10000, 100000, 3] = ...;
 *   split the call into at most 894 frames each, or raise maxOutputElements`.
 */
export function requireOutputElements(what: string, shape: readonly number[], maxOutputElements: unknown): void {
  const limit = maxOutputElements === undefined ? DEFAULT_MAX_OUTPUT_ELEMENTS : requirePositiveInt('maxOutputElements', maxOutputElements);
  const total = product(shape);
  if (total <= limit) return;
  const frames = Math.floor(limit / Math.max(1, product(shape.slice(1))));
  throw new ValidationError(
    `expected ${what} to hold at most maxOutputElements = ${limit} values, received ${formatShape(shape)} = ${total}; ` +
      (frames >= 1 ? `split the call into at most ${frames} frames each, or ` : '') +
      'raise maxOutputElements if the machine has the memory (4 bytes per value)',
  );
}

/**
 * Default pixel limit (images × height × width, one call) of the perceptual networks (VGG-16,
 * LPIPS): 2^22, 2048² (their first layers hold 64 channels per pixel: ~1 GB of activations).
 */
export const DEFAULT_MAX_NETWORK_PIXELS = 2 ** 22;

/**
 * Refuses a perceptual-network call over more pixels than `maxPixels` (default
 * {@link DEFAULT_MAX_NETWORK_PIXELS}), before any native allocation.
 *
 * @throws {@link ValidationError} naming the option and how to stay under it.
 */
export function requireNetworkPixels(what: string, images: number, height: number, width: number, maxPixels: unknown): void {
  const limit = maxPixels === undefined ? DEFAULT_MAX_NETWORK_PIXELS : requirePositiveInt('maxPixels', maxPixels);
  const pixels = images * height * width;
  if (pixels > limit) {
    throw new ValidationError(
      `expected ${what} to cover at most maxPixels = ${limit} pixels in one call (images x height x width), received ${images} x ${height} x ${width} = ${pixels}; ` +
        'pass fewer images per call, or raise maxPixels if the machine has the memory (about 256 bytes of activations per pixel)',
    );
  }
}

/** Requires `true` or `false`. */
export function requireBoolean(name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new ValidationError(`expected ${name} to be a boolean, received ${describeValue(value)}`);
  return value;
}

/**
 * Requires one of a fixed set of values (compared with `===`).
 *
 * @param name - The argument's name.
 * @param value - The received value.
 * @param allowed - The accepted values.
 * @returns `value`, narrowed to the allowed type.
 * @throws {@link ValidationError} such as `expected mode to be one of "classic", "antialiased", received "fast"`.
 */
export function requireOneOf<const T>(name: string, value: unknown, allowed: readonly T[]): T {
  if (!allowed.includes(value as T)) {
    throw new ValidationError(`expected ${name} to be one of ${allowed.map(describeValue).join(', ')}, received ${describeValue(value)}`);
  }
  return value as T;
}

/**
 * Requires a 4×4 matrix of finite numbers and returns it as 16 row-major float32 values.
 *
 * Accepts 16 numbers in row-major order (a `number[]`, `Float32Array` or `Float64Array`) or
 * 4 rows of 4 numbers (`number[][]` or an array of 4 typed arrays). Flat input is read as
 * row-major: transpose column-major matrices (e.g. from gl-matrix) first.
 *
 * @param name - The argument's name, e.g. `'viewMatrix'`.
 * @param value - The received value.
 * @returns A new `Float32Array` of 16 values, row-major.
 * @throws {@link ValidationError} when the value is not 16 numbers / 4×4, or holds a non-finite entry
 *   (reported by `[row, column]`).
 */
export function requireMatrix4(name: string, value: unknown): Float32Array {
  const entries = matrixEntries(value);
  if (entries === undefined) {
    throw new ValidationError(
      `expected ${name} to be a 4x4 matrix (16 numbers in row-major order, or 4 rows of 4 numbers), received ${describeValue(value)}`,
    );
  }
  const values = Float64Array.from(entries);
  requireFinite(name, values, [4, 4]);
  // Finite as doubles is not enough: the native code reads float32 (1e300 -> Infinity).
  requireEach(name, values, [4, 4], (v) => Number.isFinite(Math.fround(v)), 'finite in float32 (|x| <= 3.4e38)');
  return Float32Array.from(values);
}

/**
 * Formats a shape the way messages show it: `[N, 3]`.
 *
 * @param shape - Fixed or symbolic dimensions.
 * @returns The shape in brackets.
 */
export function formatShape(shape: readonly Dim[]): string {
  return `[${shape.join(', ')}]`;
}

/**
 * Describes a received value briefly for a message: `0`, `NaN`, `"fast"`, `undefined`, `null`,
 * `a Float64Array of length 12`, `an array of length 3`, `an object`.
 *
 * @param value - Any value.
 * @returns A short description.
 */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'function') return 'a function';
  if (value === null || typeof value !== 'object') return String(value);
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  const tag = typedArrayTag(value);
  if (tag !== undefined) return `${/^[AEIO]/.test(tag) ? 'an' : 'a'} ${tag} of length ${(value as TypedArray).length}`;
  return 'an object';
}

/**
 * Door check of a public function's typed-array argument: `value` must be a `type` (e.g.
 * Float32Array). Its length is checked where it is used.
 *
 * @param fn - The public function, for messages (e.g. `'mouthTrack'`).
 * @param value - What the caller passed.
 * @param name - The argument's name.
 * @param type - The typed-array class required.
 * @returns `value`, typed.
 * @throws {@link ValidationError} such as `mouthTrack: expected jaw to be a Float32Array, received 42`.
 */
export function requireTypedArray<T extends TypedArray>(fn: string, value: unknown, name: string, type: { new (length: number): T; readonly name: string }): T {
  if (value instanceof type) return value;
  throw new ValidationError(`${fn}: expected ${name} to be ${/^[AEIOU]/.test(type.name) ? 'an' : 'a'} ${type.name}, received ${describeValue(value)}`);
}

/**
 * Door check of a list of indices (vertex or face numbers): an array of non-negative safe
 * integers. Their upper bound is checked where it is known.
 *
 * @param fn - The public function, for messages (e.g. `'lipPairs'`).
 * @param value - What the caller passed.
 * @param name - The argument's name.
 * @returns `value`, typed.
 * @throws {@link ValidationError} such as `lipPairs: expected upper to be an array of non-negative integers, received "x"`.
 */
export function requireIndexList(fn: string, value: unknown, name: string): readonly number[] {
  if (Array.isArray(value) && value.every((v) => Number.isSafeInteger(v) && (v as number) >= 0)) return value as number[];
  const bad = Array.isArray(value) ? `, received ${describeValue(value)} holding ${describeValue(value.find((v) => !(Number.isSafeInteger(v) && (v as number) >= 0)))}` : `, received ${describeValue(value)}`;
  throw new ValidationError(`${fn}: expected ${name} to be an array of non-negative integers${bad}`);
}

/**
 * Requires an optional AbortSignal: undefined, or an object with a boolean `aborted` and
 * `addEventListener` / `removeEventListener` (an AbortSignal of any realm). Without this check a
 * careless `signal: 42` fails as a TypeError inside the native wait, after the work has started.
 *
 * @param name - The option's name (e.g. `'options.signal'`).
 * @param value - What the caller passed.
 * @returns `value`, typed.
 * @throws {@link ValidationError} such as `expected options.signal to be an AbortSignal (AbortController's .signal), received 42`.
 */
export function requireAbortSignal(name: string, value: unknown): AbortSignal | undefined {
  if (value === undefined) return undefined;
  const s = value as Partial<AbortSignal> | null;
  if (typeof s === 'object' && s !== null && typeof s.aborted === 'boolean' && typeof s.addEventListener === 'function' && typeof s.removeEventListener === 'function') {
    return value as AbortSignal;
  }
  throw new ValidationError(`expected ${name} to be an AbortSignal (AbortController's .signal), received ${describeValue(value)}`);
}

// ---------------------------------------------------------------------------------------------
// Internals

/** Indexable numeric list (TypeScript's global `ArrayLike<number>`, shadowed in this module). */
interface ArrayLikeNumbers {
  readonly length: number;
  readonly [index: number]: number;
}

/** The 16 row-major entries of a flat or nested 4x4 matrix, or `undefined` if it is neither. */
function matrixEntries(value: unknown): ArrayLikeNumbers | undefined {
  if (isNumberList(value)) return value.length === 16 ? value : undefined;
  if (Array.isArray(value) && value.length === 4 && value.every((row) => isNumberList(row) && row.length === 4)) {
    return value.flatMap((row: ArrayLikeNumbers) => Array.from(row));
  }
  return undefined;
}

function isArrayLikeObject(value: unknown): value is ArrayLike {
  return typeof value === 'object' && value !== null && 'data' in value && 'shape' in value;
}

function isNumberList(value: unknown): value is ArrayLikeNumbers {
  if (Array.isArray(value)) return value.every((v) => typeof v === 'number');
  const tag = typedArrayTag(value);
  return tag === 'Float32Array' || tag === 'Float64Array';
}

/** `'Float32Array'` etc. for typed arrays of any realm, `undefined` for anything else. */
function typedArrayTag(value: unknown): string | undefined {
  if (!ArrayBuffer.isView(value) || value instanceof DataView) return undefined;
  return (value as unknown as { [Symbol.toStringTag]: string })[Symbol.toStringTag];
}

function isSharedBuffer(buffer: ArrayBufferLike): boolean {
  return typeof SharedArrayBuffer !== 'undefined' && Object.prototype.toString.call(buffer) === '[object SharedArrayBuffer]';
}

/** Whether an ArrayBuffer was detached (`detached` where the runtime has it, else slice() throws). */
function isDetached(buffer: ArrayBufferLike): boolean {
  const flag = (buffer as { detached?: unknown }).detached;
  if (typeof flag === 'boolean') return flag;
  if (buffer.byteLength > 0) return false;
  try {
    buffer.slice(0, 0);
    return false;
  } catch {
    return true;
  }
}

/** The dtype of array data: `'float32'`, `'float64'`, `'int32'`, ... `'plain Array'`, or its JS type. */
function dtypeOf(data: unknown): string {
  const tag = typedArrayTag(data);
  if (tag !== undefined) return tag.replace(/Array$/, '').toLowerCase();
  if (Array.isArray(data)) return 'plain Array';
  return data === null ? 'null' : typeof data === 'object' ? 'non-array' : typeof data;
}

function describeArrayInput(value: unknown): string {
  const tag = typedArrayTag(value);
  if (tag !== undefined || Array.isArray(value)) {
    return `${describeValue(value)} without a shape; pass { data, shape } or an ndarray`;
  }
  return describeValue(value);
}

/** Reads `shape` or `stride` as a list of integers no smaller than `min`. */
function readLayoutList(name: string, field: string, list: unknown, min: number): number[] {
  const ok = Array.isArray(list) && list.every((v) => Number.isSafeInteger(v) && v >= min);
  if (!ok) {
    const kind = min === 0 ? 'non-negative integers' : 'integers';
    const received = Array.isArray(list) ? formatShape(list) : describeValue(list);
    throw new ValidationError(`expected ${name}.${field} to be an array of ${kind}, received ${received}`);
  }
  return [...(list as number[])];
}

/**
 * The strides of an input: row-major when it has none (its data must then hold exactly its
 * elements after `offset`), else its own, checked to stay within its data.
 */
function readStrides(name: string, strides: unknown, shape: readonly number[], offset: number, length: number): number[] {
  if (strides === undefined) {
    const size = product(shape);
    if (length - offset !== size) {
      throw new ValidationError(`expected ${name} to hold ${size} values for shape ${formatShape(shape)}, received ${length - offset}`);
    }
    return rowMajorStrides(shape);
  }
  const stride = readLayoutList(name, 'stride', strides, -Infinity);
  if (stride.length !== shape.length) {
    throw new ValidationError(
      `expected ${name}.stride to have ${shape.length} entries like its shape ${formatShape(shape)}, received ${formatShape(stride)}`,
    );
  }
  requireInBounds(name, length, shape, stride, offset);
  return stride;
}

/** Matches a received shape against an expected one; returns the new symbol bindings. */
function matchShape(
  expectation: string,
  shape: readonly number[],
  expected: readonly Dim[],
  dims: Dims,
): Map<string, number> {
  const mismatch = (detail = ''): ValidationError =>
    new ValidationError(`${expectation}${detail}, received shape ${formatShape(shape)}`);
  if (shape.length !== expected.length) throw mismatch();
  const bindings = new Map<string, number>();
  expected.forEach((dim, axis) => {
    const size = shape[axis]!;
    if (typeof dim === 'number') {
      if (size !== dim) throw mismatch();
      return;
    }
    const bound = Object.hasOwn(dims, dim) ? dims[dim] : bindings.get(dim);
    if (bound === undefined) {
      bindings.set(dim, size);
    } else if (bound !== size) {
      const source = dimSources.get(dims)?.get(dim);
      const from = Object.hasOwn(dims, dim) ? ` (${dim} = ${bound}${source === undefined ? '' : ` from ${source}`})` : '';
      throw mismatch(from);
    }
  });
  return bindings;
}

function commitBindings(dims: Dims, bindings: Map<string, number>, name: string): void {
  if (bindings.size === 0) return;
  let sources = dimSources.get(dims);
  if (sources === undefined) dimSources.set(dims, (sources = new Map()));
  for (const [dim, size] of bindings) {
    dims[dim] = size;
    sources.set(dim, name);
  }
}

function product(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function rowMajorStrides(shape: readonly number[]): number[] {
  const stride = new Array<number>(shape.length);
  let step = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    stride[d] = step;
    step *= shape[d]!;
  }
  return stride;
}

/** Row-major contiguous, ignoring the stride of size-1 dimensions (and anything when empty). */
function isRowMajor(shape: readonly number[], stride: readonly number[]): boolean {
  if (product(shape) === 0) return true;
  const expected = rowMajorStrides(shape);
  return shape.every((size, d) => size === 1 || stride[d] === expected[d]);
}

function requireInBounds(name: string, length: number, shape: readonly number[], stride: readonly number[], offset: number): void {
  if (product(shape) === 0) return;
  let lo = offset;
  let hi = offset;
  shape.forEach((size, d) => {
    const reach = (size - 1) * stride[d]!;
    if (reach < 0) lo += reach;
    else hi += reach;
  });
  if (lo < 0 || hi >= length) {
    throw new ValidationError(
      `expected ${name} (shape ${formatShape(shape)}, stride ${formatShape(stride)}, offset ${offset}) to stay within its ${length} elements, ` +
        `received a layout reaching element ${lo < 0 ? lo : hi}`,
    );
  }
}

/** Copies a strided view into a new contiguous row-major array. */
function compactStrided<T extends Float32Array | Int32Array>(
  src: T,
  shape: readonly number[],
  stride: readonly number[],
  offset: number,
  ctor: TypedCtor<T>,
): T {
  const size = product(shape);
  const out = new ctor(size);
  const rank = shape.length;
  if (rank === 0) {
    out[0] = src[offset]!;
    return out;
  }
  const inner = shape[rank - 1]!;
  const innerStride = stride[rank - 1]!;
  const index = new Array<number>(rank).fill(0);
  let base = offset;
  for (let o = 0; o < size; o += inner) {
    for (let j = 0, p = base; j < inner; j++, p += innerStride) out[o + j] = src[p]!;
    for (let d = rank - 2; d >= 0; d--) {
      base += stride[d]!;
      if (++index[d]! < shape[d]!) break;
      base -= stride[d]! * shape[d]!;
      index[d] = 0;
    }
  }
  return out;
}

function requireInteger(name: string, value: unknown, min: number, kind: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new ValidationError(`expected ${name} to be ${kind}, received ${describeValue(value)}`);
  }
  return value;
}

/** The error for the first element of `data` that is not as expected. */
function elementError(
  name: string,
  expectation: string,
  data: Float32Array | Float64Array | Int32Array,
  index: number,
  shape: readonly number[] | undefined,
): ValidationError {
  return new ValidationError(`expected ${name} to be ${expectation}, received ${data[index]} at index ${formatIndex(index, shape)}`);
}

/** `7` for flat or 1-D data, `[2, 1]` for multi-dimensional data. */
function formatIndex(flat: number, shape: readonly number[] | undefined): string {
  if (shape === undefined || shape.length <= 1) return String(flat);
  const index = new Array<number>(shape.length);
  let rest = flat;
  for (let d = shape.length - 1; d >= 0; d--) {
    index[d] = rest % shape[d]!;
    rest = Math.floor(rest / shape[d]!);
  }
  return formatShape(index);
}

function formatRange(min: number, max: number): string {
  if (min > -Infinity && max < Infinity) return ` in [${min}, ${max}]`;
  if (min > -Infinity) return ` >= ${min}`;
  if (max < Infinity) return ` <= ${max}`;
  return '';
}
