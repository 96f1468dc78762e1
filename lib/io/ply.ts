/**
 * Reading and writing 3D Gaussian Splatting `.ply` files (binary little-endian PLY 1.0), the
 * format of the reference 3DGS implementation, readable by common splat viewers.
 *
 * Each Gaussian is one `vertex`; the writer emits these `float` properties, in this order:
 * `x y z nx ny nz f_dc_0 f_dc_1 f_dc_2 f_rest_0 .. f_rest_{3(K-1)-1} opacity scale_0 scale_1
 * scale_2 rot_0 rot_1 rot_2 rot_3`, where K = (degree + 1)² SH coefficients per channel.
 * Values are stored before activation: `opacity` is a logit, `scale_*` are natural logs,
 * `rot_*` is an unnormalised quaternion (w, x, y, z); normals are written as 0 and ignored on
 * read. `f_rest` is channel-major: `f_rest_{c·(K-1) + (k-1)}` holds coefficient k ≥ 1 of
 * channel c.
 *
 * GaussianAvatars' `point_cloud.ply` adds a `binding_0` property (each Gaussian's FLAME face)
 * and stores the other values in that face's frame: {@link parsePly} refuses such a file rather
 * than return local values as world ones; {@link parseBoundPly} reads it as it is.
 *
 * @module
 */

import { requirePath } from '../arguments.js';
import { FormatError, ValidationError } from '../errors.js';
import { describeValue, requireEach, requireNonNegativeInt, requireOneOf, toFloat32Tensor } from '../validate.js';
import { logit, sigmoid } from './activations.js';
import { writeFileAtomic } from './atomic.js';
import { requireParseArguments } from './bytes.js';
import { readRegularFile } from './read-file.js';

/** Degree of the spherical-harmonics colour model: 0 (constant colour) to 3. */
export type ShDegree = 0 | 1 | 2 | 3;

/** A set of 3D Gaussians in memory, with activated values (as the rasterizer uses them). */
export interface GaussianCloud {
  /** Number of Gaussians, N. */
  count: number;
  /** Centres, `[N, 3]`. */
  means: Float32Array;
  /** Rotations as quaternions (w, x, y, z), not necessarily normalised, `[N, 4]`. */
  quats: Float32Array;
  /** Scales (standard deviations along the local axes; positive, exp of the stored log), `[N, 3]`. */
  scales: Float32Array;
  /** Opacities in [0, 1] (sigmoid of the stored logit), `[N]`. */
  opacities: Float32Array;
  /**
   * Spherical-harmonics colour coefficients, `[N, K, 3]`: coefficient-major then RGB channel,
   * K = (shDegree + 1)²; `sh[n][0]` is the DC term (`f_dc_*`).
   */
  sh: Float32Array;
  /** The SH degree, 0 to 3. */
  shDegree: ShDegree;
}

/**
 * The number of SH coefficients per colour channel for a degree, K = (degree + 1)².
 *
 * @param degree - The SH degree.
 * @returns 1, 4, 9 or 16.
 */
export function shCoefficientCount(degree: ShDegree): number {
  return (degree + 1) ** 2;
}

/**
 * Checks that a cloud is consistent: `count` a non-negative integer, `shDegree` in 0..3, every
 * array a `Float32Array` of the length its shape implies, all values finite, scales positive and
 * opacities in [0, 1].
 *
 * @param cloud - The cloud to check.
 * @returns The same cloud.
 * @throws {@link ValidationError} naming the first inconsistent field, e.g.
 *   `expected cloud.sh to hold 480 float32 values for shape [10, 16, 3], received 30`.
 */
export function validateGaussianCloud(cloud: GaussianCloud): GaussianCloud {
  if (typeof cloud !== 'object' || cloud === null) {
    throw new ValidationError(`expected cloud to be a GaussianCloud object, received ${describeValue(cloud)}`);
  }
  const n = requireNonNegativeInt('cloud.count', cloud.count);
  const degree = requireOneOf('cloud.shDegree', cloud.shDegree, [0, 1, 2, 3] as const);
  for (const [field, shape] of Object.entries(fieldShapes(n, degree)) as [Field, number[]][]) {
    toFloat32Tensor(`cloud.${field}`, { data: cloud[field], shape }, shape);
  }
  requireEach('cloud.scales', cloud.scales, [n, 3], (v) => v > 0, 'positive');
  requireEach('cloud.opacities', cloud.opacities, [n], (v) => v >= 0 && v <= 1, 'in [0, 1]');
  return cloud;
}

/**
 * Reads a 3D Gaussian Splatting `.ply` file.
 *
 * @param path - The file to read.
 * @returns The Gaussians, activated (see {@link parsePly}).
 * @throws {@link FormatError} (with `path`) when the file is not a readable 3DGS PLY, or when it
 *   is a GaussianAvatars model (a `binding_0` vertex property: its Gaussians are in their
 *   triangles' local frames, not in world space; see {@link readBoundPly}), or
 *   when the path is not a regular file; `FileSystemError` (e.g. `ENOENT`) when it cannot be read.
 */
export async function readPly(path: string): Promise<GaussianCloud> {
  requirePath('readPly', path);
  return parsePly(await readRegularFile(path, { what: 'the PLY file' }), path);
}

/**
 * Parses the bytes of a 3D Gaussian Splatting PLY file.
 *
 * The header is read generally: properties in any order and of any scalar type (`float`,
 * `double`, `uchar`, `int`, ...), extra vertex properties (e.g. `red green blue`), comments, and
 * other elements before or after `vertex` (skipped; list properties allowed there). The SH degree
 * is inferred from the number of `f_rest_*` properties: 0, 9, 24 or 45 for degree 0 to 3.
 * Stored values are activated: opacity = sigmoid(stored), scale = exp(stored).
 *
 * A file with `binding*` vertex properties is refused: GaussianAvatars writes them for Gaussians
 * bound to FLAME triangles, whose `x y z`, `scale_*` and `rot_*` are relative to their
 * triangle's frame, so returning them as a world-space cloud (and rendering it) would be
 * silently wrong. Import such a file with `importGaussianAvatars`, or read its local values with
 * {@link parseBoundPly}.
 *
 * @param buffer - The whole file.
 * @param path - The file's path, used only in error messages.
 * @returns The Gaussians, in newly allocated arrays.
 * @throws {@link FormatError} for a non-PLY, ASCII or big-endian file, a truncated file, a
 *   missing required property, an f_rest count that fits no SH degree, or a bound
 *   (GaussianAvatars) file.
 */
export function parsePly(buffer: Uint8Array, path?: string): GaussianCloud {
  requireParseArguments('parsePly', buffer, path, 'readPly(path)');
  const table = readVertexTable(buffer, path);
  if (table.bindings.length > 0) {
    throw table.fail(
      `this is a GaussianAvatars model bound to FLAME faces (vertex property ${table.bindings[0]!.name}): its x y z, ` +
        `scale_* and rot_* are local to each Gaussian's triangle, not world space. Import it with ` +
        `importGaussianAvatars({ ply, model }) to rig it on the FLAME mesh, or read its local values with readBoundPly`,
    );
  }
  return gatherCloud(table, true);
}

/**
 * Gaussians bound to mesh triangles, as GaussianAvatars stores them (`point_cloud.ply` with a
 * `binding_0` vertex property): values in each Gaussian's triangle frame, before activation.
 * Not renderable as they are: their world placement needs the posed mesh (see
 * `importGaussianAvatars`).
 */
export interface BoundGaussianCloud {
  /** Always `'local'`: positions, scales and rotations are relative to the bound triangle. */
  space: 'local';
  /** Number of Gaussians, N. */
  count: number;
  /** The face each Gaussian is bound to (`binding_0`), int32 [N]. */
  binding: Int32Array;
  /** Position in the triangle's frame in units of its scale k (`x y z`), [N, 3]. */
  offsets: Float32Array;
  /** Natural-log scale in units of k (`scale_*`, as stored), [N, 3]. */
  logScales: Float32Array;
  /** Rotation relative to the triangle's frame, unnormalised (w, x, y, z) (`rot_*`), [N, 4]. */
  quats: Float32Array;
  /** Opacity before the sigmoid (`opacity`, as stored), [N]. */
  opacityLogits: Float32Array;
  /** SH coefficients `[N, K, 3]`, coefficient-major as in {@link GaussianCloud.sh} (`f_dc_*`, `f_rest_*`). */
  sh: Float32Array;
  /** The SH degree, 0 to 3. */
  shDegree: ShDegree;
}

/**
 * Reads a GaussianAvatars `point_cloud.ply` (Gaussians bound to triangles); see {@link parseBoundPly}.
 *
 * @param path - The file to read.
 * @throws {@link FormatError} (with `path`) as {@link parseBoundPly}; `FileSystemError` when it cannot be read.
 */
export async function readBoundPly(path: string): Promise<BoundGaussianCloud> {
  requirePath('readBoundPly', path);
  return parseBoundPly(await readRegularFile(path, { what: 'the PLY file' }), path);
}

/**
 * Parses a PLY of Gaussians bound to triangles, as GaussianAvatars' `GaussianModel.save_ply`
 * writes it: the 3DGS vertex properties plus `binding_0`, the index of each Gaussian's face
 * (stored as `float`; any integer type is accepted too). Values are returned as stored, in
 * the triangles' frames; nothing is activated.
 *
 * @param buffer - The whole file.
 * @param path - The file's path, used only in error messages.
 * @returns The bound Gaussians, in newly allocated arrays.
 * @throws {@link FormatError} as {@link parsePly} does for the 3DGS properties; when the file has
 *   no `binding_0` (a world-space cloud: use {@link parsePly}) or more than one `binding*`
 *   property; and when a binding is not a non-negative integer (for a `float` property: one of
 *   at most 2^24, the largest range where float32 holds every integer exactly).
 */
export function parseBoundPly(buffer: Uint8Array, path?: string): BoundGaussianCloud {
  requireParseArguments('parseBoundPly', buffer, path, 'readBoundPly(path)');
  const table = readVertexTable(buffer, path);
  const { fail, bindings } = table;
  if (bindings.length === 0) {
    throw fail('has no binding_0 vertex property: it is a world-space 3DGS PLY, not Gaussians bound to triangles; read it with readPly');
  }
  if (bindings.length > 1 || bindings[0]!.name !== 'binding_0') {
    throw fail(
      `expected exactly one binding property, binding_0 (one face per Gaussian, as GaussianAvatars writes), ` +
        `received ${bindings.map((b) => b.name).join(', ')}`,
    );
  }
  const { type, offset } = bindings[0]!;
  const maxExact = type === SCALAR_TYPES.float ? FLOAT32_MAX_EXACT_INT : type === SCALAR_TYPES.double ? Number.MAX_SAFE_INTEGER : 2 ** 31 - 1;
  const binding = new Int32Array(table.count);
  for (let i = 0, at = table.start + offset; i < table.count; i++, at += table.rowSize) {
    const value = type.read(table.view, at);
    if (!(Number.isInteger(value) && value >= 0 && value <= maxExact)) {
      throw fail(
        `binding_0 of vertex ${i} is ${value}; expected a non-negative integer face index` +
          (type === SCALAR_TYPES.float ? ` of at most 2^24 = ${FLOAT32_MAX_EXACT_INT} (float32 holds every integer exactly only up to there)` : ` of at most ${maxExact}`),
      );
    }
    binding[i] = value;
  }
  const raw = gatherCloud(table, false);
  return {
    space: 'local',
    count: raw.count,
    binding,
    offsets: raw.means,
    logScales: raw.scales,
    quats: raw.quats,
    opacityLogits: raw.opacities,
    sh: raw.sh,
    shDegree: raw.shDegree,
  };
}

/** The largest integer below which float32 represents every integer exactly: 2^24. */
const FLOAT32_MAX_EXACT_INT = 2 ** 24;

/** A 3DGS PLY's vertex rows, located and checked. */
interface VertexTable {
  fail: (message: string) => FormatError;
  view: DataView;
  /** Byte offset of the first vertex row. */
  start: number;
  count: number;
  rowSize: number;
  properties: Map<string, PropertySlot>;
  degree: ShDegree;
  /** The `binding*` properties (GaussianAvatars' face bindings), in header order. */
  bindings: (PropertySlot & { name: string })[];
}

/** Parses the header, finds the vertex rows and checks the 3DGS properties are there. */
function readVertexTable(buffer: Uint8Array, path: string | undefined): VertexTable {
  const fail = (message: string): FormatError => new FormatError(message, { path });
  const { elements, dataOffset } = parseHeader(buffer, fail);
  const vertex = elements.find((element) => element.name === 'vertex');
  if (vertex === undefined) throw fail('the PLY header has no "vertex" element; expected one Gaussian per vertex');
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  let start = dataOffset;
  for (const element of elements.slice(0, elements.indexOf(vertex))) start = skipElement(view, start, element, fail);

  const { rowSize, properties } = vertexLayout(vertex, fail);
  const degree = inferShDegree([...properties.keys()], fail);
  const columns = plyColumns(degree);
  const missing = columns.filter((column) => column.field !== undefined && !properties.has(column.name));
  if (missing.length > 0) {
    throw fail(
      `missing vertex properties ${missing.map((column) => column.name).join(', ')}; a 3DGS PLY needs ` +
        `x y z f_dc_0..2 f_rest_* opacity scale_0..2 rot_0..3`,
    );
  }
  const n = vertex.count;
  if (start + n * rowSize > buffer.byteLength) {
    throw fail(
      `the file is truncated: ${n} vertices of ${rowSize} bytes need ${n * rowSize} bytes from byte ${start}, ` +
        `but only ${Math.max(0, buffer.byteLength - start)} remain`,
    );
  }
  // GaussianModel.load_ply takes every property whose name starts with "binding".
  const bindings = [...properties].filter(([name]) => name.startsWith('binding')).map(([name, slot]) => ({ name, ...slot }));
  return { fail, view, start, count: n, rowSize, properties, degree, bindings };
}

/** The 3DGS fields of every vertex row; activated (exp, sigmoid) or as stored. */
function gatherCloud({ view, start, count, rowSize, properties, degree }: VertexTable, activate: boolean): GaussianCloud {
  const columns = plyColumns(degree);
  const needed = columns.filter((column) => column.field !== undefined).map((column) => properties.get(column.name)!);
  const rows = floatRows(view, start, count, rowSize, needed);
  const offsets = fieldOffsets(columns, degree, (column) => rows.offsets.get(properties.get(column.name)!)!);
  const cloud = allocateCloud(count, degree);
  for (const field of FIELDS) {
    gatherRows(rows, offsets[field], cloud[field]);
    const activation = activate ? ACTIVATIONS[field] : undefined;
    if (activation === undefined) continue;
    const values = cloud[field];
    for (let i = 0; i < values.length; i++) values[i] = activation.fromFile(values[i]!);
  }
  return cloud;
}

/**
 * Encodes a cloud as a 3D Gaussian Splatting PLY file (binary little-endian 1.0, all `float`,
 * in the standard property order documented on this module).
 *
 * Opacities are clamped into [1e-7, 1 − 1e-7] before the logit (`logit` in io/activations), so 0 and 1
 * are stored as finite logits and read back as 1e-7 and 1 − 1e-7.
 *
 * @param cloud - The Gaussians, activated.
 * @returns The file's bytes.
 * @throws {@link ValidationError} when the cloud is inconsistent (the same checks as {@link parsePly}'s result).
 */
export function encodePly(cloud: GaussianCloud): Buffer {
  validateGaussianCloud(cloud);
  const n = cloud.count;
  const columns = plyColumns(cloud.shDegree);
  const header = [
    'ply',
    'format binary_little_endian 1.0',
    `element vertex ${n}`,
    ...columns.map((column) => `property float ${column.name}`),
    'end_header',
    '',
  ].join('\n');
  const headerSize = Buffer.byteLength(header, 'latin1');
  const out = Buffer.alloc(headerSize + n * columns.length * 4); // normals stay 0
  out.write(header, 0, 'latin1');
  const rows: FloatRows = { view: new DataView(out.buffer, out.byteOffset, out.byteLength), start: headerSize, rowSize: columns.length * 4 };
  const offsets = fieldOffsets(columns, cloud.shDegree, (column) => columns.indexOf(column) * 4);
  for (const field of FIELDS) {
    const activation = ACTIVATIONS[field];
    scatterRows(activation === undefined ? cloud[field] : cloud[field].map(activation.toFile), offsets[field], rows);
  }
  return out;
}

/**
 * Writes a cloud as a 3D Gaussian Splatting `.ply` file, atomically: the bytes go to a temporary
 * file in the same folder, which is flushed and then renamed over `path`, so readers never see
 * a partial file. The cloud is validated before anything is written.
 *
 * @param path - The file to write (replaced if it exists).
 * @param cloud - The Gaussians, activated.
 * @throws {@link ValidationError} when `path` is not a path string or the cloud is inconsistent;
 *   `FileSystemError` naming `path` when it cannot be written (missing folder, EISDIR...).
 */
export async function writePly(path: string, cloud: GaussianCloud): Promise<void> {
  requirePath('writePly', path);
  await writeFileAtomic(path, encodePly(cloud));
}

// ---------------------------------------------------------------------------------------------
// The 3DGS vertex layout, shared by the reader and the writer

/** The array fields of a {@link GaussianCloud}. */
type Field = 'means' | 'quats' | 'scales' | 'opacities' | 'sh';

/** How a stored value maps to the in-memory value and back. */
interface Activation {
  fromFile(stored: number): number;
  toFile(value: number): number;
}

/** The fields stored before activation; the others are stored as they are. */
const ACTIVATIONS: Partial<Record<Field, Activation>> = {
  scales: { fromFile: Math.exp, toFile: Math.log },
  opacities: { fromFile: sigmoid, toFile: logit },
};

/** One vertex property: its name, and where its value lives in the cloud (none for normals). */
interface Column {
  name: string;
  field?: Field;
  /** Index within the Gaussian's record of `field` (e.g. 0..2 for means, k·3 + c for sh). */
  index: number;
}

/** The fields, in a fixed order. */
const FIELDS: readonly Field[] = ['means', 'quats', 'scales', 'opacities', 'sh'];

/** Rows of little-endian float32 values in a byte buffer: row i starts at `start + i * rowSize`. */
interface FloatRows {
  view: DataView;
  start: number;
  rowSize: number;
}

/**
 * For each field, the byte offset within a row of each of its per-Gaussian values:
 * `offsets[field][index]`.
 *
 * @param offsetOf - The byte offset within a row of a stored PLY column.
 */
function fieldOffsets(columns: Column[], degree: ShDegree, offsetOf: (column: Column) => number): Record<Field, Int32Array> {
  const widths = fieldWidths(degree);
  const offsets = Object.fromEntries(FIELDS.map((field) => [field, new Int32Array(widths[field])])) as Record<Field, Int32Array>;
  for (const column of columns) {
    if (column.field !== undefined) offsets[column.field][column.index] = offsetOf(column);
  }
  return offsets;
}

/** `values[i, j] = rows[i] at offsets[j]` for a field of width `offsets.length`, row by row. */
function gatherRows({ view, start, rowSize }: FloatRows, offsets: Int32Array, values: Float32Array): void {
  const width = offsets.length;
  for (let i = 0, row = start; i < values.length; i += width, row += rowSize) {
    for (let j = 0; j < width; j++) values[i + j] = view.getFloat32(row + offsets[j]!, true);
  }
}

/** `rows[i] at offsets[j] = values[i, j]`: the inverse of {@link gatherRows}. */
function scatterRows(values: Float32Array, offsets: Int32Array, { view, start, rowSize }: FloatRows): void {
  const width = offsets.length;
  for (let i = 0, row = start; i < values.length; i += width, row += rowSize) {
    for (let j = 0; j < width; j++) view.setFloat32(row + offsets[j]!, values[i + j]!, true);
  }
}

/** The vertex properties of a 3DGS PLY of the given SH degree, in the standard order. */
function plyColumns(degree: ShDegree): Column[] {
  const rest = shCoefficientCount(degree) - 1;
  const channels = [0, 1, 2];
  return [
    ...['x', 'y', 'z'].map((name, index): Column => ({ name, field: 'means', index })),
    ...['nx', 'ny', 'nz'].map((name): Column => ({ name, index: 0 })),
    ...channels.map((c): Column => ({ name: `f_dc_${c}`, field: 'sh', index: c })),
    ...channels.flatMap((c) =>
      Array.from({ length: rest }, (_, r): Column => ({ name: `f_rest_${c * rest + r}`, field: 'sh', index: (r + 1) * 3 + c })),
    ),
    { name: 'opacity', field: 'opacities', index: 0 },
    ...channels.map((index): Column => ({ name: `scale_${index}`, field: 'scales', index })),
    ...[0, 1, 2, 3].map((index): Column => ({ name: `rot_${index}`, field: 'quats', index })),
  ];
}

/** The shape of each field for N Gaussians. */
function fieldShapes(n: number, degree: ShDegree): Record<Field, number[]> {
  return { means: [n, 3], quats: [n, 4], scales: [n, 3], opacities: [n], sh: [n, shCoefficientCount(degree), 3] };
}

/** Values per Gaussian in each field. */
function fieldWidths(degree: ShDegree): Record<Field, number> {
  const shapes = fieldShapes(1, degree);
  return Object.fromEntries(FIELDS.map((field) => [field, shapes[field].reduce((a, b) => a * b, 1)])) as Record<Field, number>;
}

/** A cloud of N Gaussians, all zero. */
function allocateCloud(n: number, degree: ShDegree): GaussianCloud {
  const widths = fieldWidths(degree);
  return {
    count: n,
    means: new Float32Array(n * widths.means),
    quats: new Float32Array(n * widths.quats),
    scales: new Float32Array(n * widths.scales),
    opacities: new Float32Array(n * widths.opacities),
    sh: new Float32Array(n * widths.sh),
    shDegree: degree,
  };
}

const SH_DEGREE_BY_REST_COUNT = new Map<number, ShDegree>([
  [0, 0],
  [9, 1],
  [24, 2],
  [45, 3],
]);

/** The SH degree implied by the number of f_rest_* properties. */
function inferShDegree(names: string[], fail: (message: string) => FormatError): ShDegree {
  const restCount = names.filter((name) => /^f_rest_\d+$/.test(name)).length;
  const degree = SH_DEGREE_BY_REST_COUNT.get(restCount);
  if (degree === undefined) {
    throw fail(`found ${restCount} f_rest_* vertex properties; expected 0, 9, 24 or 45 (SH degree 0, 1, 2 or 3)`);
  }
  return degree;
}

// ---------------------------------------------------------------------------------------------
// Generic binary little-endian PLY header and element layout

/** A PLY scalar type: its size in bytes and how to read one little-endian value. */
interface ScalarType {
  size: number;
  read(view: DataView, at: number): number;
}

const SCALAR_TYPES: Record<string, ScalarType> = (() => {
  const int8: ScalarType = { size: 1, read: (v, at) => v.getInt8(at) };
  const uint8: ScalarType = { size: 1, read: (v, at) => v.getUint8(at) };
  const int16: ScalarType = { size: 2, read: (v, at) => v.getInt16(at, true) };
  const uint16: ScalarType = { size: 2, read: (v, at) => v.getUint16(at, true) };
  const int32: ScalarType = { size: 4, read: (v, at) => v.getInt32(at, true) };
  const uint32: ScalarType = { size: 4, read: (v, at) => v.getUint32(at, true) };
  const float32: ScalarType = { size: 4, read: (v, at) => v.getFloat32(at, true) };
  const float64: ScalarType = { size: 8, read: (v, at) => v.getFloat64(at, true) };
  return {
    char: int8, int8, uchar: uint8, uint8, short: int16, int16, ushort: uint16, uint16,
    int: int32, int32, uint: uint32, uint32, float: float32, float32, double: float64, float64,
  };
})();

/** A property declared in the PLY header. */
interface PlyProperty {
  name: string;
  type: ScalarType;
  /** For a list property, the type of its length prefix (`type` is then the items' type). */
  countType?: ScalarType;
}

/** An element declared in the PLY header, with its properties in row order. */
interface PlyElement {
  name: string;
  count: number;
  properties: PlyProperty[];
}

/** The longest header accepted, so a non-PLY file fails fast. */
const MAX_HEADER_BYTES = 1 << 20;
const EXPECTED_FORMAT = 'expected "format binary_little_endian 1.0"';

/** Parses the header's elements and finds where their data begins. */
function parseHeader(
  bytes: Uint8Array,
  fail: (message: string) => FormatError,
): { elements: PlyElement[]; dataOffset: number } {
  const magic = latin1(bytes, 0, Math.min(bytes.byteLength, 5));
  if (!/^ply\r?\n/.test(magic)) throw fail('not a PLY file: expected it to start with "ply"');
  const elements: PlyElement[] = [];
  let format: string | undefined;
  let position = 0;
  for (let lineNumber = 1; ; lineNumber++) {
    const newline = bytes.indexOf(0x0a, position);
    if (newline < 0 || newline > MAX_HEADER_BYTES) throw fail('the PLY header has no "end_header" line');
    const line = latin1(bytes, position, newline).trim();
    position = newline + 1;
    const [keyword, ...args] = line.split(/\s+/);
    if (lineNumber === 1 || keyword === 'comment' || keyword === 'obj_info' || line === '') continue;
    if (keyword === 'end_header') break;
    if (keyword === 'format') {
      format = args.join(' ');
      if (args[0] === 'ascii') throw fail(`ASCII PLY files are not supported; ${EXPECTED_FORMAT}`);
      if (args[0] === 'binary_big_endian') throw fail(`big-endian PLY files are not supported; ${EXPECTED_FORMAT}`);
      if (format !== 'binary_little_endian 1.0') throw fail(`unsupported "format ${format}"; ${EXPECTED_FORMAT}`);
    } else if (keyword === 'element' && args.length === 2 && /^\d+$/.test(args[1]!)) {
      elements.push({ name: args[0]!, count: Number(args[1]), properties: [] });
    } else if (keyword === 'property' && elements.length > 0) {
      elements.at(-1)!.properties.push(parseProperty(args, line, lineNumber, fail));
    } else {
      throw fail(`unexpected PLY header line ${lineNumber}: "${line}"`);
    }
  }
  if (format === undefined) throw fail(`the PLY header has no format line; ${EXPECTED_FORMAT}`);
  return { elements, dataOffset: position };
}

/** Parses the arguments of a `property` header line. */
function parseProperty(
  args: string[],
  line: string,
  lineNumber: number,
  fail: (message: string) => FormatError,
): PlyProperty {
  const typeOf = (name: string | undefined): ScalarType => {
    const type = name !== undefined && Object.hasOwn(SCALAR_TYPES, name) ? SCALAR_TYPES[name] : undefined;
    if (type === undefined) throw fail(`unknown property type "${name}" on PLY header line ${lineNumber}: "${line}"`);
    return type;
  };
  if (args[0] === 'list' && args.length === 4) {
    const countType = typeOf(args[1]);
    if (countType === SCALAR_TYPES.float || countType === SCALAR_TYPES.double) {
      throw fail(`list count type "${args[1]}" on PLY header line ${lineNumber}: "${line}"; expected an integer type`);
    }
    return { name: args[3]!, countType, type: typeOf(args[2]) };
  }
  if (args.length !== 2) throw fail(`malformed property on PLY header line ${lineNumber}: "${line}"`);
  return { name: args[1]!, type: typeOf(args[0]) };
}

/**
 * Byte offset just past an element's data, walking rows when it has list properties. Each row
 * takes at least its scalars and list counts, so the element's count is checked against the
 * bytes left before walking, and every list count must be a non-negative integer: each row then
 * advances, and the walk ends within the file.
 */
function skipElement(view: DataView, start: number, element: PlyElement, fail: (message: string) => FormatError): number {
  const truncated = (): FormatError => fail(`the file is truncated inside the "${element.name}" element`);
  const minRowSize = element.properties.reduce((sum, property) => sum + (property.countType ?? property.type).size, 0);
  const remaining = view.byteLength - start;
  if (element.count * minRowSize > remaining) {
    throw fail(
      `the file is truncated: ${element.count} "${element.name}" rows of at least ${minRowSize} bytes need ` +
        `${element.count * minRowSize} bytes from byte ${start}, but only ${remaining} remain`,
    );
  }
  if (element.properties.every((property) => property.countType === undefined)) return start + element.count * minRowSize;
  let at = start;
  for (let row = 0; row < element.count; row++) {
    for (const { name, type, countType } of element.properties) {
      if (countType === undefined) {
        at += type.size;
        continue;
      }
      if (at + countType.size > view.byteLength) throw truncated();
      const count = countType.read(view, at);
      if (!(Number.isInteger(count) && count >= 0)) {
        throw fail(`list property "${name}" of "${element.name}" row ${row} has count ${count}; expected a non-negative integer`);
      }
      at += countType.size + count * type.size;
      if (at > view.byteLength) throw truncated();
    }
    if (at > view.byteLength) throw truncated();
  }
  return at;
}

/** Byte size of a vertex row and the offset and type of each property within it. */
function vertexLayout(
  vertex: PlyElement,
  fail: (message: string) => FormatError,
): { rowSize: number; properties: Map<string, PropertySlot> } {
  const properties = new Map<string, PropertySlot>();
  let rowSize = 0;
  for (const { name, type, countType } of vertex.properties) {
    if (countType !== undefined) throw fail(`vertex property "${name}" is a list; 3DGS vertices have only scalar properties`);
    if (properties.has(name)) throw fail(`vertex property "${name}" is declared twice`);
    properties.set(name, { offset: rowSize, type });
    rowSize += type.size;
  }
  return { rowSize, properties };
}

/** A vertex property's place in a row. */
interface PropertySlot {
  offset: number;
  type: ScalarType;
}

/**
 * The vertex rows as float32 rows, with the byte offset of each needed property. When every
 * needed property is a float, these are the file's own bytes (no copy); otherwise the needed
 * values are decoded by type into a compact block of float32 rows.
 */
function floatRows(
  view: DataView,
  start: number,
  n: number,
  rowSize: number,
  properties: PropertySlot[],
): FloatRows & { offsets: Map<PropertySlot, number> } {
  if (properties.every(({ type }) => type === SCALAR_TYPES.float)) {
    return { view, start, rowSize, offsets: new Map(properties.map((p) => [p, p.offset])) };
  }
  const compactRowSize = properties.length * 4;
  const compact = new DataView(new ArrayBuffer(n * compactRowSize));
  properties.forEach(({ offset, type }, q) => {
    for (let i = 0, at = start + offset; i < n; i++, at += rowSize) compact.setFloat32(i * compactRowSize + q * 4, type.read(view, at), true);
  });
  return { view: compact, start: 0, rowSize: compactRowSize, offsets: new Map(properties.map((p, q) => [p, q * 4])) };
}

function latin1(bytes: Uint8Array, start: number, end: number): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('latin1');
}
