/**
 * The studio camera: a native textured, shaded triangle-mesh renderer (z-buffer,
 * perspective-correct barycentrics, Blinn-Phong with ambient occlusion, supersampled and
 * box-filtered). It is the studio's ground-truth image formation, deliberately independent of
 * the Gaussian rasterizer the avatar uses (DESIGN.md §7). Conventions and the shading formula:
 * docs/studio-camera.md.
 *
 * @module
 */

import { ValidationError } from '../../errors.js';
import { native, type RawArray } from '../../native.js';
import { nativeAbortFlag } from '../../native-abort.js';
import { awaitNative } from '../../ops.js';
import { toRawCamera, type PinholeCamera } from '../../render/camera.js';
import { describeValue, requireFinite, requireFiniteNumber, requireNonNegativeInt, requirePositiveInt } from '../../validate.js';

/** A linear-RGB albedo texture, [H, W, 3] in [0, 1]; row 0 is v = 0. */
export interface StudioTexture {
  data: Float32Array;
  width: number;
  height: number;
}

/** One triangle mesh of the studio scene. */
export interface StudioMesh {
  /** [V, 3] world positions, metres. */
  positions: Float32Array;
  /** [F, 3] vertex indices, counter-clockwise seen from outside (front faces). */
  faces: Uint32Array;
  /** [F, 3, 2] per-corner texture coordinates (u right, v down, in [0, 1]); per corner so seams work. */
  uvs: Float32Array;
  /** Index into `textures`. */
  texture: number;
  /** [V, 3] smooth normals; computed natively (area-weighted) when absent. */
  normals?: Float32Array;
  /** [V] ambient-occlusion factor in [0, 1] (1 = open), multiplied into ambient + diffuse. */
  occlusion?: Float32Array;
  /** Blinn-Phong specular strength (default 0.04). */
  specular?: number;
  /** Blinn-Phong exponent (default 32). */
  shininess?: number;
  /** Coverage layer this mesh writes, integer 0..7 (default 0), e.g. 0 head, 1 hair, 2 body. */
  label?: number;
  /** Default false: back faces are culled. When true they are drawn with the normal flipped toward the viewer. */
  doubleSided?: boolean;
}

/** A directional light; `direction` points from the surface toward the light, world space (normalised inside). */
export interface StudioLight {
  direction: readonly [number, number, number];
  colour: readonly [number, number, number];
}

/**
 * The studio camera's geometry: the same pinhole camera (OpenCV axes, row-major world->camera
 * `view`, pixel i spanning [i, i + 1]) that datasets and the Gaussian rasterizer use.
 */
export type StudioCamera = PinholeCamera;

/** What {@link renderMeshes} draws and how. */
export interface MeshRenderOptions {
  camera: StudioCamera;
  meshes: readonly StudioMesh[];
  textures: readonly StudioTexture[];
  lights: readonly StudioLight[];
  /** Ambient light colour, multiplied by albedo and occlusion. */
  ambient: readonly [number, number, number];
  /** [H, W, 3] behind the meshes; default black. */
  background?: Float32Array;
  /** Supersampling per axis, 1..4 (default 2: 4 samples per pixel), box-filtered down. */
  samples?: number;
  /** Cancels the render: the Promise rejects with AbortError at once, and the native loop stops at its next 32x32-pixel tile. */
  signal?: AbortSignal;
}

/** The rendered frame. */
export interface MeshRenderResult {
  /** [H, W, 3] shaded (each sample clamped to [0, 1]), composited over the background, box-filtered. */
  image: Float32Array;
  /** [L, H, W], per label: fraction of a pixel's samples whose nearest surface has that label (L = 1 + max label used). */
  coverage: Float32Array;
  /** [H, W] camera-space z of the nearest surface at the pixel centre (Infinity where none). */
  depth: Float32Array;
}

/** The options as the addon's `meshRender` receives them (validated, defaults filled in). */
export interface RawMeshRenderOptions {
  camera: { view: number[]; fx: number; fy: number; cx: number; cy: number; width: number; height: number };
  meshes: RawStudioMesh[];
  textures: StudioTexture[];
  lights: StudioLight[];
  ambient: [number, number, number];
  background?: Float32Array;
  samples: number;
  abort?: unknown;
}

/** A mesh as the addon receives it: validated, optional settings filled in. */
export type RawStudioMesh = Required<Omit<StudioMesh, 'normals' | 'occlusion'>> & Pick<StudioMesh, 'normals' | 'occlusion'>;

/** The most samples (width * height * samples^2) one render takes: its buffers hold ~16 bytes per sample. */
export const MESH_RENDER_MAX_SAMPLES = 2 ** 25;

/** The number of coverage layers labels can select (labels 0..7). */
export const MESH_RENDER_LABELS = 8;

/**
 * Renders textured, shaded triangle meshes with a z-buffer (see docs/studio-camera.md).
 *
 * @throws {@link ValidationError} (as a rejected Promise) for bad input, before any native work;
 *   AbortError when `signal` aborts; NativeError if the native render fails.
 */
export async function renderMeshes(options: MeshRenderOptions): Promise<MeshRenderResult> {
  const raw = toRawOptions(options);
  const abort = nativeAbortFlag(options.signal);
  try {
    let pending: Promise<Record<'image' | 'coverage' | 'depth', RawArray>>;
    try {
      pending = native().meshRender({ ...raw, ...(abort.flag ? { abort: abort.flag } : {}) });
    } catch (e) {
      // The binding's own argument checks throw synchronously as TypeErrors.
      throw e instanceof TypeError ? new ValidationError(e.message, { cause: e }) : e;
    }
    const out = await awaitNative(pending, options.signal);
    return { image: out.image.data as Float32Array, coverage: out.coverage.data as Float32Array, depth: out.depth.data as Float32Array };
  } finally {
    abort.release();
  }
}

/** Validates every input in the caller's terms and fills in the defaults. */
function toRawOptions(options: MeshRenderOptions): RawMeshRenderOptions {
  if (typeof options !== 'object' || options === null) {
    throw new ValidationError(`expected options to be an object {camera, meshes, textures, lights, ambient}, received ${describeValue(options)}`);
  }
  const cam = toRawCamera(options.camera);
  const { width, height } = cam;
  // toRawCamera checked 16 numbers or 4 rows of 4; keep float64 (its copy is float32).
  const given = options.camera.view as unknown;
  const view = Array.isArray(given) && Array.isArray(given[0]) ? (given as number[][]).flat() : Array.from(given as ArrayLike<number>);
  const samples = options.samples === undefined ? 2 : requirePositiveInt('samples', options.samples);
  if (samples > 4) throw new ValidationError(`expected samples to be an integer in [1, 4], received ${samples}`);
  const count = width * height * samples * samples;
  if (count > MESH_RENDER_MAX_SAMPLES) {
    throw new ValidationError(
      `expected camera.width * camera.height * samples^2 to be at most ${MESH_RENDER_MAX_SAMPLES}, received ${width} * ${height} * ${samples}^2 = ${count}`,
    );
  }
  const textures = list('textures', options.textures).map((t, i) => texture(`textures[${i}]`, t));
  const lights = list('lights', options.lights).map((l, i) => light(`lights[${i}]`, l));
  const meshes = list('meshes', options.meshes).map((m, i) => mesh(`meshes[${i}]`, m, textures.length));
  const raw: RawMeshRenderOptions = {
    camera: { view, fx: cam.fx, fy: cam.fy, cx: cam.cx, cy: cam.cy, width, height },
    meshes,
    textures,
    lights,
    ambient: vec3('ambient', options.ambient),
    samples,
  };
  if (options.background !== undefined) raw.background = floats('background', options.background, width * height * 3, [height, width, 3], true);
  return raw;
}

function list<T>(name: string, value: readonly T[] | undefined): readonly T[] {
  if (!Array.isArray(value)) throw new ValidationError(`expected ${name} to be an array, received ${describeValue(value)}`);
  return value;
}

/**
 * A Float32Array of exactly `length` values, checked finite here unless `nativeFinite`: images
 * (textures, background: millions of values) are scanned by the binding instead, synchronously
 * and with the same message, ~10x faster than a JS loop.
 */
function floats(name: string, value: unknown, length: number, shape: readonly number[], nativeFinite = false): Float32Array {
  if (!(value instanceof Float32Array)) throw new ValidationError(`expected ${name} to be a Float32Array, received ${describeValue(value)}`);
  if (value.length !== length) {
    throw new ValidationError(`expected ${name} to hold ${length} values (shape [${shape.join(', ')}]), received ${value.length}`);
  }
  if (!nativeFinite) requireFinite(name, value, shape);
  return value;
}

/** The row count of a flat Float32Array of rows of `row` values. */
function rows(name: string, value: unknown, row: number, what: string): number {
  if (!(value instanceof Float32Array)) throw new ValidationError(`expected ${name} to be a Float32Array ${what}, received ${describeValue(value)}`);
  if (value.length % row !== 0) throw new ValidationError(`expected ${name} to be ${what} (a multiple of ${row} values), received ${value.length} values`);
  return value.length / row;
}

function vec3(name: string, value: unknown): [number, number, number] {
  const v = value as ArrayLike<unknown> | undefined;
  if (typeof v !== 'object' || v === null || v.length !== 3) throw new ValidationError(`expected ${name} to be 3 numbers, received ${describeValue(value)}`);
  return [requireFiniteNumber(`${name}[0]`, v[0]), requireFiniteNumber(`${name}[1]`, v[1]), requireFiniteNumber(`${name}[2]`, v[2])];
}

function texture(name: string, t: StudioTexture): StudioTexture {
  if (typeof t !== 'object' || t === null) throw new ValidationError(`expected ${name} to be an object {data, width, height}, received ${describeValue(t)}`);
  const width = requirePositiveInt(`${name}.width`, t.width);
  const height = requirePositiveInt(`${name}.height`, t.height);
  if (width > 65536 || height > 65536) throw new ValidationError(`expected ${name} to be at most 65536 x 65536, received ${width} x ${height}`);
  return { data: floats(`${name}.data`, t.data, width * height * 3, [height, width, 3], true), width, height };
}

function light(name: string, l: StudioLight): StudioLight {
  if (typeof l !== 'object' || l === null) throw new ValidationError(`expected ${name} to be an object {direction, colour}, received ${describeValue(l)}`);
  const direction = vec3(`${name}.direction`, l.direction);
  if (direction.every((d) => d === 0)) throw new ValidationError(`expected ${name}.direction to be non-zero, received [0, 0, 0]`);
  return { direction, colour: vec3(`${name}.colour`, l.colour) };
}

function mesh(name: string, m: StudioMesh, textureCount: number): RawStudioMesh {
  if (typeof m !== 'object' || m === null) throw new ValidationError(`expected ${name} to be an object {positions, faces, uvs, texture}, received ${describeValue(m)}`);
  const V = rows(`${name}.positions`, m.positions, 3, '[V, 3]');
  requireFinite(`${name}.positions`, m.positions, [V, 3]);
  if (!(m.faces instanceof Uint32Array)) throw new ValidationError(`expected ${name}.faces to be a Uint32Array [F, 3], received ${describeValue(m.faces)}`);
  if (m.faces.length % 3 !== 0) throw new ValidationError(`expected ${name}.faces to be [F, 3] (a multiple of 3 values), received ${m.faces.length} values`);
  const F = m.faces.length / 3;
  for (let i = 0; i < m.faces.length; i++) {
    if (m.faces[i]! >= V) {
      throw new ValidationError(`expected ${name}.faces to be vertex indices < ${V} (V), received ${m.faces[i]} at index [${Math.floor(i / 3)}, ${i % 3}]`);
    }
  }
  const uvs = floats(`${name}.uvs`, m.uvs, F * 6, [F, 3, 2]);
  const texture = requireNonNegativeInt(`${name}.texture`, m.texture);
  if (texture >= textureCount) {
    throw new ValidationError(`expected ${name}.texture to be an index into textures (fewer than ${textureCount}), received ${texture}`);
  }
  const out: RawStudioMesh = {
    positions: m.positions,
    faces: m.faces,
    uvs,
    texture,
    specular: m.specular === undefined ? 0.04 : requireFiniteNumber(`${name}.specular`, m.specular, { min: 0 }),
    shininess: m.shininess === undefined ? 32 : requireFiniteNumber(`${name}.shininess`, m.shininess, { min: 0 }),
    label: m.label === undefined ? 0 : requireNonNegativeInt(`${name}.label`, m.label),
    doubleSided: m.doubleSided === undefined ? false : requireBoolean(`${name}.doubleSided`, m.doubleSided),
  };
  if (out.label >= MESH_RENDER_LABELS) throw new ValidationError(`expected ${name}.label to be an integer in [0, ${MESH_RENDER_LABELS - 1}], received ${out.label}`);
  if (m.normals !== undefined) out.normals = floats(`${name}.normals`, m.normals, V * 3, [V, 3]);
  if (m.occlusion !== undefined) {
    const occlusion = floats(`${name}.occlusion`, m.occlusion, V, [V]);
    const bad = occlusion.findIndex((a) => !(a >= 0 && a <= 1));
    if (bad >= 0) throw new ValidationError(`expected ${name}.occlusion to be in [0, 1], received ${occlusion[bad]} at index ${bad}`);
    out.occlusion = occlusion;
  }
  return out;
}

function requireBoolean(name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new ValidationError(`expected ${name} to be a boolean, received ${describeValue(value)}`);
  return value;
}
