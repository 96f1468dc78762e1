/**
 * Loading FLAME models: the official pickles (`generic_model.pkl`, `flame2023.pkl`), and the
 * same arrays in `.npz` or safetensors files, into a {@link FlameModel}.
 *
 * The pickles are read by ggtalker's data-only unpickler, which executes nothing and refuses
 * any class outside numpy, scipy.sparse and chumpy data: loading a pickle from an untrusted
 * path cannot run code, though it can still fail on a malformed or hostile file. `.npz` files
 * with object (pickled) arrays are refused outright.
 *
 * @module
 */

import { extname } from 'node:path';
import { optionalOptions, requireOptions, requirePath } from '../arguments.js';
import { FormatError, ValidationError } from '../errors.js';
import { isNdArrayData, type NdArrayData } from '../io/ndarray-data.js';
import { readRegularFile } from '../io/read-file.js';
import { parseNpz } from '../io/npy.js';
import { readObj, type ObjMesh } from '../io/obj.js';
import { describePickled } from '../io/pickle-objects.js';
import { unpickle } from '../io/pickle.js';
import { parseSafetensors } from '../io/safetensors.js';
import { checkSparseMatrix, isSparseMatrixData, sparseToDense, type SparseMatrixData } from '../io/sparse-matrix.js';
import { describeValue, requireFinite, requireNonNegativeInt, requireShape, type Dim, type Dims } from '../validate.js';
import { FLAME_KEYS as K, LMK_FACE_IDX_ALIAS, OFFICIAL_COMPONENT_COUNT, OFFICIAL_SHAPE_COUNT } from './format.js';
import { loadFlameLandmarkEmbedding, parseFlameLandmarkEmbedding } from './landmark-embedding.js';
import type { FlameLandmarks, FlameModel, FlameUv } from './model.js';
import { requireFlameLandmarks, requireFlameModel } from './require-model.js';

/** Options of {@link loadFlame} and {@link flameFromArrays}. */
export interface LoadFlameOptions {
  /**
   * How many shape components to keep (the first ones). By default all the file has: the
   * count it records (`n_shape`), or all of `shapedirs` when the file has a separate
   * `exprdirs`, or 300 when `shapedirs` has 400 components or more (FLAME's 300 + 100). For
   * a file that records none of these, this is where its shape components end.
   */
  shapeCount?: number;
  /** How many expression components to keep (the first ones); by default all the file has. */
  exprCount?: number;
}

/** Options of {@link loadFlame}: the components to keep, and the files that complete the model. */
export interface LoadFlameFileOptions extends LoadFlameOptions {
  /**
   * A Wavefront `.obj` of the model's template whose faces carry texture coordinates, e.g.
   * FLAME's `head_template_mesh.obj` (the official pickles hold no UV layout). Its faces must
   * be the model's; its `vt` and per-face texture indices become `model.uv`, replacing any
   * the model file has.
   */
  uv?: string;
  /**
   * A landmark embedding file, e.g. `landmark_embedding_with_eyes.npy` (see
   * {@link parseFlameLandmarkEmbedding}); it becomes `model.landmarks`, replacing any the
   * model file has.
   */
  landmarks?: string;
}

/** The files a model and its assets came from, for messages. */
export interface FlameSources {
  /** The model file. */
  model?: string;
  /** The `.obj` the UV layout came from. */
  uv?: string;
  /** The landmark embedding file. */
  landmarks?: string;
}

/**
 * Loads a FLAME model from an official pickle, a `.npz` or a safetensors file (recognised by
 * content, then by extension), converting every array to float32 / int32; optionally with the
 * UV layout of a template `.obj` and a landmark embedding file, which the official pickles
 * lack.
 *
 * @param path - The model file.
 * @param options - Which shape and expression components to keep; the `.obj` and landmark files.
 * @returns The model.
 * @throws {@link ValidationError} for bad options; {@link FormatError} for an unrecognised or
 *   malformed file, a missing key, or an array of the wrong shape or type (named by its key),
 *   a malformed `.obj` or landmark file, or one that does not fit the model (naming both
 *   files), or a path that is not a regular file; `FileSystemError` when a file cannot be read.
 *
 * @example
 * ```ts
 * const model = await loadFlame('flame2023.pkl'); // shapeCount 300, exprCount 100
 * const small = await loadFlame('flame2023.pkl', { shapeCount: 100, exprCount: 50 });
 * const full = await loadFlame('flame2023.pkl', { uv: 'head_template_mesh.obj', landmarks: 'landmark_embedding_with_eyes.npy' });
 * ```
 */
export async function loadFlame(path: string, options: LoadFlameFileOptions = {}): Promise<FlameModel> {
  requirePath('loadFlame', path);
  checkOptions('loadFlame', options);
  for (const key of ['uv', 'landmarks'] as const) {
    const value = options[key];
    if (value !== undefined && (typeof value !== 'string' || value === '')) {
      throw new ValidationError(`loadFlame: expected options.${key} to be a file path, received ${describeValue(value)}`);
    }
  }
  const bytes = await readRegularFile(path, { what: 'the FLAME model file' });
  const { uv: uvPath, landmarks: landmarksPath, ...counts } = options;
  let model = buildModel(readModelArrays(bytes, path), path, counts);
  const sources: FlameSources = { model: path, uv: uvPath, landmarks: landmarksPath };
  if (uvPath !== undefined) model = attachFlameUv(model, await readObj(uvPath), sources);
  if (landmarksPath !== undefined) model = attachFlameLandmarks(model, await loadFlameLandmarkEmbedding(landmarksPath), sources);
  return model;
}

/**
 * A model with the UV layout of a template mesh, e.g. FLAME's `head_template_mesh.obj` read
 * by {@link readObj}: `uv.vt` its texture coordinates, `uv.ft` its faces' texture indices.
 * The mesh's triangles must be the model's, vertex for vertex, as pytorch3d's `load_obj` of
 * FLAME's template gives them (VHAP and GaussianAvatars use those faces in place of the
 * pickle's).
 *
 * @param model - The model (not modified).
 * @param mesh - The template mesh.
 * @param sources - The files they came from, for messages.
 * @returns A model sharing the arrays of `model`, with `uv` set.
 * @throws {@link FormatError} (naming both files) when the mesh has no texture coordinates,
 *   another vertex or face count, or other triangles than the model.
 */
export function attachFlameUv(model: FlameModel, mesh: ObjMesh, sources: FlameSources = {}): FlameModel {
  requireFlameModel('attachFlameUv', model);
  requireObjMesh('attachFlameUv', mesh);
  requireOptions('attachFlameUv', sources, 'sources');
  const uvName = sources.uv ?? 'the UV mesh';
  const modelName = sources.model === undefined ? 'the model' : `the model ${sources.model}`;
  const fail = (message: string): never => {
    throw new FormatError(`does not fit ${modelName}: ${message}`, { path: sources.uv });
  };
  const faceCount = model.faces.length / 3;
  if (mesh.faceUvs === undefined) {
    throw new FormatError('expected faces with texture coordinates (v/vt corners) to give a FLAME model its UV layout, received faces without', {
      path: sources.uv,
    });
  }
  if (mesh.positions.length / 3 !== model.vertexCount) fail(`it has ${mesh.positions.length / 3} vertices, the model ${model.vertexCount}`);
  if (mesh.faces.length / 3 !== faceCount) fail(`it has ${mesh.faces.length / 3} faces, the model ${faceCount}`);
  for (let i = 0; i < mesh.faces.length; i++) {
    if (mesh.faces[i] !== model.faces[i]) {
      const face = Math.floor(i / 3);
      const triangle = (f: Int32Array): string => `[${Array.from(f.subarray(3 * face, 3 * face + 3)).join(', ')}]`;
      fail(`face ${face} is ${triangle(mesh.faces)} (0-based) in ${uvName} but ${triangle(model.faces)} in the model`);
    }
  }
  return { ...model, uv: { vt: mesh.uvs, ft: mesh.faceUvs } };
}

/**
 * A model with a landmark embedding, e.g. one read by {@link parseFlameLandmarkEmbedding}.
 *
 * @param model - The model (not modified).
 * @param landmarks - Face indices [L] and barycentric coordinates [L, 3].
 * @param sources - The files they came from, for messages.
 * @returns A model sharing the arrays of `model`, with `landmarks` set.
 * @throws {@link FormatError} (naming both files) when a landmark's face is not one of the model's.
 */
export function attachFlameLandmarks(model: FlameModel, landmarks: FlameLandmarks, sources: FlameSources = {}): FlameModel {
  requireFlameModel('attachFlameLandmarks', model);
  requireFlameLandmarks('attachFlameLandmarks', landmarks);
  requireOptions('attachFlameLandmarks', sources, 'sources');
  const faceCount = model.faces.length / 3;
  const { faceIdx, bary } = landmarks;
  if (bary.length !== faceIdx.length * 3) {
    throw new FormatError(`expected landmark barycentric coordinates of shape [${faceIdx.length}, 3], received ${bary.length} values`, {
      path: sources.landmarks,
    });
  }
  const bad = faceIdx.findIndex((face) => !(face >= 0 && face < faceCount));
  if (bad >= 0) {
    throw new FormatError(
      `does not fit ${sources.model === undefined ? 'the model' : `the model ${sources.model}`}: landmark ${bad} lies on face ${faceIdx[bad]}, ` +
        `but the model has ${faceCount} faces`,
      { path: sources.landmarks },
    );
  }
  return { ...model, landmarks: { faceIdx, bary } };
}

/**
 * Builds a FLAME model from its arrays under the official key names (see `FLAME_KEYS`):
 * `v_template` (V, 3), `f` (F, 3) integers, `shapedirs` (V, 3, S + E) with the shape
 * components first (or (V, 3, S) plus `exprdirs` (V, 3, E)), `posedirs` (V, 3, 36),
 * `J_regressor` (5, V) sparse or dense, `weights` (V, 5), `kintree_table` (2, 5), and
 * optionally `vt` (VT, 2) with `ft` (F, 3), and `lmk_faces_idx` (L) with `lmk_b_coords` (L, 3).
 * Floats become float32 and indices int32; every value is checked (finite, indices in range).
 *
 * @param arrays - The arrays by key: {@link NdArrayData} or {@link SparseMatrixData}; values
 *   under other keys (a pickle's `bs_style` string...) are ignored. float32 arrays kept whole
 *   are used as they are, so the model may share their memory.
 * @param path - The file they came from, for messages.
 * @param options - Which shape and expression components to keep.
 * @returns The model.
 * @throws {@link FormatError} naming the missing or malformed key;
 *   {@link ValidationError} for bad options.
 */
export function flameFromArrays(
  arrays: Readonly<Record<string, unknown>>,
  path?: string,
  options: LoadFlameOptions = {},
): FlameModel {
  requireOptions('flameFromArrays', arrays, 'arrays');
  if (path !== undefined) requirePath('flameFromArrays', path);
  checkOptions('flameFromArrays', options);
  return buildModel(arrays, path, options);
}

/** {@link flameFromArrays} after its door checks. */
function buildModel(arrays: Readonly<Record<string, unknown>>, path: string | undefined, options: LoadFlameOptions): FlameModel {
  const read = new ArrayReader(arrays, path);
  const dims: Dims = {};
  const vTemplate = read.floats(K.vTemplate, ['V', 3], dims);
  const vertexCount = dims.V!;
  const faces = read.indices(K.faces, ['F', 3], dims, vertexCount);
  const { shapeCount, exprCount, shapedirs, exprdirs } = readBlendshapes(read, dims, options);
  const posedirs = read.floats(K.posedirs, ['V', 3, 36], dims);
  const jRegressor = read.floats(K.jRegressor, [5, 'V'], dims);
  const lbsWeights = read.floats(K.weights, ['V', 5], dims);
  const parents = read.parents();
  const uv = readUv(read, dims);
  const landmarks = readLandmarks(read, dims);
  return {
    vertexCount,
    shapeCount,
    exprCount,
    vTemplate,
    faces,
    shapedirs,
    exprdirs,
    posedirs,
    jRegressor,
    lbsWeights,
    parents,
    ...(uv ? { uv } : {}),
    ...(landmarks ? { landmarks } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// Internals

function checkOptions(fn: string, options: LoadFlameOptions): void {
  const { shapeCount, exprCount } = optionalOptions(fn, options);
  if (shapeCount !== undefined) requireNonNegativeInt('options.shapeCount', shapeCount);
  if (exprCount !== undefined) requireNonNegativeInt('options.exprCount', exprCount);
}

/** Requires an `.obj` mesh as {@link readObj} returns it (the kinds of its arrays; sizes are checked where used). */
function requireObjMesh(fn: string, value: unknown): ObjMesh {
  const mesh = requireOptions(fn, value, 'mesh') as Partial<ObjMesh>;
  for (const [key, kind] of [['positions', Float32Array], ['uvs', Float32Array], ['faces', Int32Array]] as const) {
    if (!(mesh[key] instanceof kind)) throw new ValidationError(`${fn}: expected mesh.${key} to be a ${kind.name} (an ObjMesh, as readObj returns), received ${describeValue(mesh[key])}`);
  }
  if (mesh.faceUvs !== undefined && !(mesh.faceUvs instanceof Int32Array)) {
    throw new ValidationError(`${fn}: expected mesh.faceUvs to be an Int32Array or undefined (an ObjMesh, as readObj returns), received ${describeValue(mesh.faceUvs)}`);
  }
  return mesh as ObjMesh;
}

/** The arrays of a model file, in whichever format it is. */
function readModelArrays(bytes: Uint8Array, path: string): Record<string, unknown> {
  switch (detectFormat(bytes, path)) {
    case 'npz':
      return Object.fromEntries(parseNpz(bytes, path));
    case 'safetensors':
      return Object.fromEntries(parseSafetensors(bytes, path).tensors);
    case 'pickle': {
      const value = unpickle(bytes, path);
      if (!(value instanceof Map)) {
        throw new FormatError(`expected the pickle to hold a dict of FLAME's arrays, received ${describePickled(value)}`, { path });
      }
      return Object.fromEntries([...value].filter(([key]) => typeof key === 'string'));
    }
    case undefined:
      throw new FormatError('unrecognised FLAME model file: expected a pickle (.pkl), a .npz or a .safetensors file', { path });
  }
}

/** A file's format by its content, else by its extension. */
function detectFormat(bytes: Uint8Array, path: string): 'npz' | 'safetensors' | 'pickle' | undefined {
  // safetensors: a u64 header length that fits the file, then the JSON header's '{'. Checked
  // first and strictly, since the length's first byte may be anything (0x80 included).
  if (bytes.length >= 10 && bytes[8] === 0x7b) {
    const headerLength = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
    if (headerLength <= BigInt(bytes.length - 8)) return 'safetensors';
  }
  if (bytes[0] === 0x50 && bytes[1] === 0x4b && (bytes[2] === 3 || bytes[2] === 5)) return 'npz'; // "PK\x03\x04", "PK\x05\x06"
  if (bytes[0] === 0x80 && bytes[1]! <= 5) return 'pickle'; // PROTO n, protocols 2-5
  const extension = extname(path).toLowerCase();
  if (extension === '.npz') return 'npz';
  if (extension === '.safetensors') return 'safetensors';
  if (extension === '.pkl' || extension === '.pickle') return 'pickle'; // protocols 0-1 have no signature
  return undefined;
}

/** Reads arrays by key with shape checks in the user's terms, as float32 or int32. */
class ArrayReader {
  constructor(
    private readonly arrays: Readonly<Record<string, unknown>>,
    private readonly path: string | undefined,
  ) {}

  has(key: string): boolean {
    return Object.hasOwn(this.arrays, key);
  }

  /** A float array of the expected shape, as float32, every value finite. */
  floats(key: string, shape: readonly Dim[], dims: Dims): Float32Array {
    const value = this.get(key);
    if (isSparseMatrixData(value)) {
      this.check(() => checkSparseMatrix(value, key, this.path));
      this.checkShape(key, value.shape, shape, dims, 'a sparse or dense float array');
      return this.finite(key, new Float32Array(sparseToDense(value)), value.shape);
    }
    const array = this.array(key, value);
    if (array.dtype !== 'float32' && array.dtype !== 'float64') {
      this.fail(`expected ${key} to be a float array, received ${array.dtype} data`);
    }
    this.checkShape(key, array.shape, shape, dims, 'a float array');
    return this.finite(key, array.dtype === 'float32' ? array.data : new Float32Array(array.data), array.shape);
  }

  /** An integer array of the expected shape, as int32, every value in [0, bound). */
  indices(key: string, shape: readonly Dim[], dims: Dims, bound: number): Int32Array {
    const array = this.array(key, this.get(key));
    this.checkShape(key, array.shape, shape, dims, 'an integer array');
    const values = this.integers(key, array);
    const out = new Int32Array(values.length);
    values.forEach((v, i) => {
      if (!(v >= 0 && v < bound)) this.fail(`expected ${key} to hold indices in [0, ${bound}), received ${v} at ${i}`);
      out[i] = v;
    });
    return out;
  }

  /** A count stored as a 0-d (or 1-element) integer array. */
  count(key: string): number | undefined {
    if (!this.has(key)) return undefined;
    const array = this.array(key, this.get(key));
    const values = this.integers(key, array);
    if (values.length !== 1 || values[0]! < 0) this.fail(`expected ${key} to be one non-negative integer, received ${values.length} values`);
    return values[0]!;
  }

  /** Each joint's parent from `kintree_table`: row 0 parent ids, row 1 joint ids. */
  parents(): Int32Array {
    const key = K.kintreeTable;
    const array = this.array(key, this.get(key));
    this.checkShape(key, array.shape, [2, 5], {}, "an integer array (FLAME's 5 joints)");
    const values = this.integers(key, array);
    const ids = values.slice(5);
    const column = new Map(ids.map((id, j) => [id, j]));
    if (column.size !== 5) this.fail(`expected the joint ids in row 1 of ${key} to be distinct, received [${ids.join(', ')}]`);
    const parents = new Int32Array(5);
    parents[0] = -1;
    if (column.has(values[0]!)) this.fail(`expected the root (first joint) of ${key} to have no parent (-1 or 2^32 - 1), received ${values[0]}`);
    for (let j = 1; j < 5; j++) {
      const parent = column.get(values[j]!);
      if (parent === undefined || parent >= j) {
        this.fail(`expected joint ${j} of ${key} to have an earlier joint as parent, received parent id ${values[j]}`);
      }
      parents[j] = parent;
    }
    return parents;
  }

  fail(message: string): never {
    throw new FormatError(message, { path: this.path });
  }

  private get(key: string): unknown {
    if (!this.has(key)) {
      const present = Object.keys(this.arrays);
      this.fail(`missing ${key}: expected FLAME's arrays under their official names, received ${present.length ? present.join(', ') : 'no arrays'}`);
    }
    return this.arrays[key];
  }

  private array(key: string, value: unknown): NdArrayData {
    if (!isNdArrayData(value)) this.fail(`expected ${key} to be an array, received ${isSparseMatrixData(value) ? 'a sparse matrix' : describePickled(value)}`);
    return value;
  }

  /** Integer elements as numbers (int64 beyond 2^53 rounds, which only a root id can be). */
  private integers(key: string, array: NdArrayData): number[] {
    if (array.dtype === 'float32' || array.dtype === 'float64' || array.dtype === 'bool') {
      this.fail(`expected ${key} to be an integer array, received ${array.dtype} data`);
    }
    return Array.from(array.data as ArrayLike<number | bigint>, Number);
  }

  private checkShape(key: string, shape: readonly number[], expected: readonly Dim[], dims: Dims, kind: string): void {
    this.check(() => requireShape(key, shape, expected, dims, kind));
  }

  private finite(key: string, data: Float32Array, shape: readonly number[]): Float32Array {
    this.check(() => requireFinite(key, data, shape));
    return data;
  }

  /** Runs a validate.ts check, reporting its failure as a malformed file. */
  private check(run: () => void): void {
    try {
      run();
    } catch (error) {
      if (error instanceof ValidationError) throw new FormatError(error.message, { path: this.path, cause: error });
      throw error;
    }
  }
}

interface Blendshapes {
  shapeCount: number;
  exprCount: number;
  shapedirs: Float32Array;
  exprdirs: Float32Array;
}

/** Splits `shapedirs` (or `shapedirs` + `exprdirs`) into the shape and expression components kept. */
function readBlendshapes(read: ArrayReader, dims: Dims, options: LoadFlameOptions): Blendshapes {
  const all = read.floats(K.shapedirs, ['V', 3, 'K'], dims);
  const total = dims.K!;
  const rows = dims.V! * 3;
  let fileShape: number;
  let expression: { data: Float32Array; width: number; start: number; count: number };
  if (read.has(K.exprdirs)) {
    const exprdirs = read.floats(K.exprdirs, ['V', 3, 'E'], dims);
    fileShape = total;
    expression = { data: exprdirs, width: dims.E!, start: 0, count: dims.E! };
  } else {
    const stored = read.count(K.shapeCount);
    const storedExpr = read.count(K.exprCount);
    fileShape = stored ?? (total >= OFFICIAL_COMPONENT_COUNT ? OFFICIAL_SHAPE_COUNT : (options.shapeCount ?? -1));
    if (fileShape < 0) {
      read.fail(
        `cannot tell how many of the ${total} components of ${K.shapedirs} are shape and how many expression ` +
          `(FLAME's files have ${OFFICIAL_SHAPE_COUNT} + ${OFFICIAL_COMPONENT_COUNT - OFFICIAL_SHAPE_COUNT}): pass options.shapeCount`,
      );
    }
    const fileExpr = storedExpr ?? total - fileShape;
    if (fileShape > total || fileShape + fileExpr > total) {
      read.fail(`expected ${K.shapedirs} to hold ${fileShape} shape + ${fileExpr} expression components, received ${total}`);
    }
    expression = { data: all, width: total, start: fileShape, count: fileExpr };
  }
  const shapeCount = keep('shapeCount', options.shapeCount, fileShape);
  const exprCount = keep('exprCount', options.exprCount, expression.count);
  return {
    shapeCount,
    exprCount,
    shapedirs: components(all, rows, total, 0, shapeCount),
    exprdirs: components(expression.data, rows, expression.width, expression.start, exprCount),
  };
}

/** The requested number of components, at most what the file has. */
function keep(name: string, requested: number | undefined, available: number): number {
  if (requested === undefined) return available;
  if (requested > available) {
    throw new ValidationError(`expected options.${name} to be at most ${available} (what the file has), received ${requested}`);
  }
  return requested;
}

/** Components [start, start + count) of a (rows, width) row-major array, as (rows, count). */
function components(data: Float32Array, rows: number, width: number, start: number, count: number): Float32Array {
  if (start === 0 && count === width) return data;
  const out = new Float32Array(rows * count);
  for (let r = 0; r < rows; r++) out.set(data.subarray(r * width + start, r * width + start + count), r * count);
  return out;
}

function readUv(read: ArrayReader, dims: Dims): FlameUv | undefined {
  if (!read.has(K.vt) && !read.has(K.ft)) return undefined;
  if (!read.has(K.vt) || !read.has(K.ft)) read.fail(`expected ${K.vt} and ${K.ft} together (the texture layout), received only ${read.has(K.vt) ? K.vt : K.ft}`);
  const vt = read.floats(K.vt, ['VT', 2], dims);
  return { vt, ft: read.indices(K.ft, ['F', 3], dims, dims.VT!) };
}

function readLandmarks(read: ArrayReader, dims: Dims): FlameLandmarks | undefined {
  const faceKey = read.has(K.lmkFacesIdx) ? K.lmkFacesIdx : read.has(LMK_FACE_IDX_ALIAS) ? LMK_FACE_IDX_ALIAS : undefined;
  if (faceKey === undefined && !read.has(K.lmkBCoords)) return undefined;
  if (faceKey === undefined || !read.has(K.lmkBCoords)) {
    read.fail(`expected ${K.lmkFacesIdx} and ${K.lmkBCoords} together (the landmark embedding), received only ${faceKey ?? K.lmkBCoords}`);
  }
  const faceIdx = read.indices(faceKey, ['L'], dims, dims.F!);
  return { faceIdx, bary: read.floats(K.lmkBCoords, ['L', 3], dims) };
}
