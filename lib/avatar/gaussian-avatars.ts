/**
 * Importing a GaussianAvatars model (Qian et al., CVPR 2024; github.com/ShenhanQian/GaussianAvatars)
 * as a ggtalker {@link Avatar}: its `point_cloud.ply` (Gaussians bound to FLAME triangles,
 * `binding_0`) and the `flame_param.npz` written beside it become an avatar that speech drives
 * through FLAME expressions and jaw pose.
 *
 * GaussianAvatars places Gaussian i, bound to face f, as (scene/gaussian_model.py `get_xyz`,
 * `get_scaling`, `get_rotation`): mean = k_f R_f xyz_i + centroid_f, scale = k_f exp(s_i),
 * rotation = q(R_f) ⊗ normalize(r_i), with R_f, k_f from utils/graphics_utils.py
 * `compute_face_orientation` — the same triangle frame and scale as ggtalker's rigging, and its
 * UV-map Gaussians are the same thing with an anchor given by barycentrics. So the import is
 * exact: the N Gaussians are packed into an S x S layout (S = ceil(√N); texel i holds Gaussian
 * i, its face `binding_0[i]` and the centroid's barycentrics (1/3, 1/3, 1/3); padding texels
 * have face -1), and the map's channels are the file's values as stored: `x y z` (the offset in
 * units of k), `scale_*` (log), `rot_*` (w, x, y, z), `f_dc_*` (SH0) and `opacity` (logit).
 *
 * @module
 */

import { dirname, join } from 'node:path';

import ndarray from 'ndarray';
import type { NdArray } from 'ndarray';

import { arrayToHandle } from '../a2e/native-params.js';
import { FormatError, ValidationError } from '../errors.js';
import type { FlameModel } from '../flame/model.js';
import { pathExists } from '../io/exists.js';
import type { NdArrayData } from '../io/ndarray-data.js';
import { parseNpz } from '../io/npy.js';
import { readRegularFile } from '../io/read-file.js';
import { requireFrameRate } from '../io/vhap-camera.js';
import { parseBoundPly, shCoefficientCount, type BoundGaussianCloud, type ShDegree } from '../io/ply.js';
import type { NativeTensor } from '../native.js';
import { toRawCamera, type Camera } from '../render/camera.js';
import { requirePixelBudget } from '../render/pixel-limit.js';
import { UV_MAP_CHANNELS, type UvLayout } from '../rig/uv.js';
import { describeValue } from '../validate.js';
import { Avatar, type AvatarTrack } from './avatar.js';
import type { FrameFlame } from './frames.js';

/** Options of {@link importGaussianAvatars}. */
export interface ImportGaussianAvatarsOptions {
  /** GaussianAvatars' `point_cloud.ply` (with `binding_0`): a path or the file's bytes. */
  ply: string | Uint8Array;
  /**
   * Its `flame_param.npz` (what `FlameGaussianModel.save_ply` writes beside the ply): a path,
   * the file's bytes, or its arrays already read. Default: `flame_param.npz` in the ply's
   * folder, as GaussianAvatars' `load_ply` finds it (required when `ply` is given as bytes).
   */
  flameParams?: string | Uint8Array | ReadonlyMap<string, NdArrayData>;
  /**
   * The FLAME-format model the bindings index into. GaussianAvatars binds to FLAME 2023 with
   * teeth (`FlameHead(add_teeth=True)`: 5143 vertices, 10144 faces), so pass the official
   * model through `addFlameTeeth` — bindings past the model's faces are refused.
   */
  model: FlameModel;
  /**
   * A camera to store as the avatar's tracked camera. `flame_param.npz` holds no camera (the
   * cameras are the dataset's): without one the avatar has no track, and rendering or
   * synthesis need a camera of their own. The npz's head motion is returned as `frames` either way.
   */
  camera?: Camera;
  /** Background of the track, [H, W, 3] in [0, 1] matching `camera`. Default black. */
  background?: NdArray<Float32Array>;
  /** Frames per second of the npz's timesteps. Default 25 (GaussianAvatars' datasets). */
  fps?: number;
  /** Names of the model's expression components, stored in the avatar's description. */
  expressionNames?: string[];
}

/** What {@link importGaussianAvatars} carried over and what it could not. */
export interface GaussianAvatarsImportReport {
  /** Gaussians imported (N). */
  gaussians: number;
  /** Side of the square layout and map, S = ceil(√N). */
  uvSize: number;
  /** The ply's SH degree (GaussianAvatars trains degree 3). */
  shDegree: ShDegree;
  /**
   * True when the ply has SH bands above 0 (`f_rest_*`): the avatar's map holds colour as SH0
   * only, so these view-dependent terms are dropped and colour no longer changes with view.
   */
  shDegreeDropped: boolean;
  /** The largest face index bound. */
  maxBinding: number;
  /** Timesteps of `flame_param.npz` (T). */
  timesteps: number;
  /** Shape components in the file and in the model (the file's were zero-padded or zero-trimmed to fit). */
  shapeComponents: {
    /** Components in the file. */
    file: number;
    /** Components of the model. */
    model: number;
  };
  /** Expression components in the file and in the model (likewise). */
  exprComponents: {
    /** Components in the file. */
    file: number;
    /** Components of the model. */
    model: number;
  };
  /** Rows of static_offset added as zeros to reach the model's vertex count (GaussianAvatars' load_meshes rule); 0 when it matched. */
  staticOffsetPadded: number;
  /** Keys of the npz not used: `dynamic_offset` (GaussianAvatars' FLAME forward ignores it too) and any unknown ones. */
  ignored: string[];
}

/** The imported avatar, the npz's motion, and the report. */
export interface GaussianAvatarsImport {
  /** The imported avatar. */
  avatar: Avatar;
  /**
   * The npz's timesteps as {@link Avatar.render} frames (expr fitted to the model, jaw,
   * rotation, neck, eyes, translation): rendering them replays the training sequence.
   */
  frames: FrameFlame[];
  /** What was imported, and what was dropped or padded. */
  report: GaussianAvatarsImportReport;
}

/**
 * Imports a GaussianAvatars model as a ggtalker {@link Avatar}.
 *
 * The avatar holds: the map and layout (see the module comment), `flame.shape` (the npz's
 * `shape`) and `flame.static_offset` (its `static_offset`, [V, 3]) as parameters, and — when a
 * `camera` is given — a track with the npz's rotation, neck, eyes and translation. Speech drives
 * it through expressions and jaw pose like any avatar ({@link Avatar.render}, `synthesize`).
 *
 * Not carried over: SH bands above 0 (`f_rest_*`; the UV map holds SH0 only — see
 * `report.shDegreeDropped`), and `dynamic_offset` (GaussianAvatars' FLAME forward ignores it
 * as well). The avatar has no colour MLP or body inpainter: it renders the head alone.
 *
 * Component counts follow the model: shape and expression vectors shorter than the model's are
 * zero-padded, longer ones lose trailing components only when those are zero. A static offset
 * with fewer rows than the model's vertices is zero-padded at the end, as GaussianAvatars'
 * `load_meshes` pads VHAP's to the teeth-augmented FLAME.
 *
 * @example
 * ```ts
 * const flame = addFlameTeeth(await loadFlame('flame2023.pkl'));
 * const { avatar, frames, report } = await importGaussianAvatars({ ply: 'output/306/point_cloud/iteration_600000/point_cloud.ply', model: flame, camera });
 * if (report.shDegreeDropped) console.warn('view-dependent colour (SH > 0) dropped');
 * const { frames: images } = await avatar.render({ frames: frames.slice(0, 10) });
 * ```
 * @throws {@link FormatError} for an unreadable ply (or one without `binding_0`) or npz, or an
 *   npz key of the wrong shape or type; {@link ValidationError} for bindings past the model's
 *   faces (pass the teeth-augmented model), a static offset with more rows than the model's
 *   vertices, non-zero shape or expression components the model lacks, non-finite values, a
 *   zero rotation quaternion, or bad options.
 */
export async function importGaussianAvatars(options: ImportGaussianAvatarsOptions): Promise<GaussianAvatarsImport> {
  if (typeof options !== 'object' || options === null) throw new ValidationError(`expected options to be an object, received ${describeValue(options)}`);
  const { model } = options;
  if (typeof model !== 'object' || model === null || !(model.faces instanceof Int32Array) || !Number.isInteger(model.vertexCount)) {
    throw new ValidationError(`expected options.model to be a FlameModel (loadFlame(...), addFlameTeeth(...)), received ${describeValue(model)}`);
  }
  const fps = options.fps ?? 25;
  requireFrameRate('options.fps', fps);

  const { cloud, plyName } = await readPlyOption(options.ply);
  const maxBinding = checkCloud(cloud, plyName, model);
  const npz = await readFlameParamsOption(options.flameParams, options.ply);
  const flame = fitFlameParams(npz.arrays, npz.name, model);

  // The layout and map.
  const n = cloud.count;
  const size = Math.ceil(Math.sqrt(n));
  const face = new Int32Array(size * size).fill(-1);
  const bary = new Float32Array(size * size * 3);
  const map = new Float32Array(size * size * UV_MAP_CHANNELS);
  const k = shCoefficientCount(cloud.shDegree);
  for (let i = 0; i < n; i++) {
    face[i] = cloud.binding[i]!;
    bary.fill(1 / 3, 3 * i, 3 * i + 3);
    const o = i * UV_MAP_CHANNELS;
    map.set(cloud.offsets.subarray(3 * i, 3 * i + 3), o);
    map.set(cloud.logScales.subarray(3 * i, 3 * i + 3), o + 3);
    map.set(cloud.quats.subarray(4 * i, 4 * i + 4), o + 6);
    map.set(cloud.sh.subarray(3 * k * i, 3 * k * i + 3), o + 10); // SH0 = f_dc_0..2
    map[o + 13] = cloud.opacityLogits[i]!;
  }
  const layout: UvLayout = { face: ndarray(face, [size, size]), bary: ndarray(bary, [size, size, 3]), count: n };

  const params = new Map<string, NativeTensor>([
    ['map', arrayToHandle({ data: map, shape: [size, size, UV_MAP_CHANNELS] })],
    ['flame.shape', arrayToHandle({ data: flame.shape, shape: [model.shapeCount] })],
  ]);
  if (flame.staticOffset) params.set('flame.static_offset', arrayToHandle({ data: flame.staticOffset, shape: [model.vertexCount, 3] }));

  const track = options.camera === undefined ? undefined : makeTrack(options.camera, options.background, flame);
  const avatar = new Avatar({
    model,
    layout,
    description: { uvSize: size, dilate: 4, fps, ...(options.expressionNames ? { expressionNames: [...options.expressionNames] } : {}) },
    params,
    ...(track ? { track } : {}),
  });
  const frames: FrameFlame[] = Array.from({ length: flame.timesteps }, (_, t) => ({
    expr: flame.expr.slice(t * model.exprCount, (t + 1) * model.exprCount),
    jaw: flame.jaw.slice(3 * t, 3 * t + 3),
    rotation: flame.rotation.slice(3 * t, 3 * t + 3),
    neck: flame.neck.slice(3 * t, 3 * t + 3),
    eyes: flame.eyes.slice(6 * t, 6 * t + 6),
    translation: flame.translation.slice(3 * t, 3 * t + 3),
  }));
  return {
    avatar,
    frames,
    report: {
      gaussians: n,
      uvSize: size,
      shDegree: cloud.shDegree,
      shDegreeDropped: cloud.shDegree > 0,
      maxBinding,
      timesteps: flame.timesteps,
      shapeComponents: { file: flame.shapeFileCount, model: model.shapeCount },
      exprComponents: { file: flame.exprFileCount, model: model.exprCount },
      staticOffsetPadded: flame.staticOffsetPadded,
      ignored: flame.ignored,
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The ply

async function readPlyOption(ply: unknown): Promise<{ cloud: BoundGaussianCloud; plyName: string }> {
  if (typeof ply === 'string') return { cloud: parseBoundPly(await readRegularFile(ply, { what: 'the point_cloud.ply' }), ply), plyName: ply };
  if (ply instanceof Uint8Array) return { cloud: parseBoundPly(ply), plyName: 'the point_cloud.ply bytes' };
  throw new ValidationError(`expected options.ply to be a path or the bytes of a GaussianAvatars point_cloud.ply, received ${describeValue(ply)}`);
}

/** Checks the bound Gaussians against the model; returns the largest binding. */
function checkCloud(cloud: BoundGaussianCloud, plyName: string, model: FlameModel): number {
  if (cloud.count === 0) throw new FormatError('holds no Gaussians (element vertex 0)', { path: plyName });
  const faceCount = model.faces.length / 3;
  let maxBinding = 0;
  for (const b of cloud.binding) if (b > maxBinding) maxBinding = b;
  if (maxBinding >= faceCount) {
    throw new ValidationError(
      `${plyName} binds Gaussians to faces up to ${maxBinding}, but the model has ${faceCount} faces (${model.vertexCount} vertices). ` +
        `GaussianAvatars binds to FLAME with teeth (FlameHead(add_teeth=True): 5143 vertices, 10144 faces): ` +
        `pass the teeth-augmented FLAME model the bindings refer to, importGaussianAvatars({ model: addFlameTeeth(flame), ... })`,
    );
  }
  const finite = (name: string, values: Float32Array, width: number): void => {
    for (let i = 0; i < values.length; i++) {
      if (!Number.isFinite(values[i]!)) throw new FormatError(`${name} of Gaussian ${Math.floor(i / width)} is ${values[i]}; expected finite values`, { path: plyName });
    }
  };
  finite('x y z', cloud.offsets, 3);
  finite('scale_*', cloud.logScales, 3);
  finite('rot_*', cloud.quats, 4);
  finite('opacity', cloud.opacityLogits, 1);
  finite('f_dc_*', cloud.sh, 3 * shCoefficientCount(cloud.shDegree));
  for (let i = 0; i < cloud.count; i++) {
    const q = cloud.quats.subarray(4 * i, 4 * i + 4);
    if (q[0] === 0 && q[1] === 0 && q[2] === 0 && q[3] === 0) {
      throw new FormatError(`rot_* of Gaussian ${i} is the zero quaternion, which is no rotation; expected a non-zero (w, x, y, z)`, { path: plyName });
    }
  }
  return maxBinding;
}

// ---------------------------------------------------------------------------------------------
// flame_param.npz

async function readFlameParamsOption(
  flameParams: ImportGaussianAvatarsOptions['flameParams'],
  ply: string | Uint8Array,
): Promise<{ arrays: ReadonlyMap<string, NdArrayData>; name: string }> {
  if (flameParams === undefined) {
    if (typeof ply !== 'string') {
      throw new ValidationError('expected options.flameParams (the flame_param.npz GaussianAvatars writes beside point_cloud.ply) when options.ply is given as bytes');
    }
    const beside = join(dirname(ply), 'flame_param.npz');
    if (!(await pathExists(beside))) {
      throw new ValidationError(
        `no options.flameParams, and no flame_param.npz beside ${ply} (GaussianAvatars' FlameGaussianModel.save_ply writes it there): ` +
          `pass options.flameParams`,
      );
    }
    return { arrays: parseNpz(await readRegularFile(beside, { what: 'flame_param.npz' }), beside), name: beside };
  }
  if (typeof flameParams === 'string') return { arrays: parseNpz(await readRegularFile(flameParams, { what: 'flame_param.npz' }), flameParams), name: flameParams };
  if (flameParams instanceof Uint8Array) return { arrays: parseNpz(flameParams, 'flame_param.npz'), name: 'flame_param.npz' };
  if (flameParams instanceof Map) return { arrays: flameParams, name: 'flame_param.npz' };
  throw new ValidationError(`expected options.flameParams to be a path, the bytes of flame_param.npz or its arrays (a Map), received ${describeValue(flameParams)}`);
}

/** The npz's parameters, fitted to the model. Per-frame arrays are [T, D] flattened. */
interface FittedFlame {
  timesteps: number;
  shape: Float32Array;
  expr: Float32Array;
  rotation: Float32Array;
  neck: Float32Array;
  jaw: Float32Array;
  eyes: Float32Array;
  translation: Float32Array;
  staticOffset?: Float32Array;
  shapeFileCount: number;
  exprFileCount: number;
  staticOffsetPadded: number;
  ignored: string[];
}

/** The keys FlameGaussianModel.save_ply writes (self.flame_param, built by load_meshes). */
const POSE_KEYS = [
  ['rotation', 3],
  ['neck_pose', 3],
  ['jaw_pose', 3],
  ['eyes_pose', 6],
  ['translation', 3],
] as const;
const KNOWN_KEYS = new Set(['shape', 'expr', 'static_offset', 'dynamic_offset', ...POSE_KEYS.map(([key]) => key)]);

function fitFlameParams(arrays: ReadonlyMap<string, NdArrayData>, name: string, model: FlameModel): FittedFlame {
  const fail = (message: string): FormatError => new FormatError(message, { path: name });
  const floats = (key: string): { values: Float32Array; shape: number[] } => {
    const array = arrays.get(key);
    if (array === undefined) {
      throw fail(`has no "${key}"; expected GaussianAvatars' FLAME parameters: shape, expr, rotation, neck_pose, jaw_pose, eyes_pose, translation (and static_offset)`);
    }
    if (array.dtype !== 'float32' && array.dtype !== 'float64') throw fail(`${key}: expected a float32 or float64 array, received ${array.dtype}`);
    return { values: array.data instanceof Float32Array ? array.data : Float32Array.from(array.data as Float64Array), shape: [...array.shape] };
  };

  // expr [T, E] sets T.
  const expr = floats('expr');
  if (expr.shape.length !== 2) throw fail(`expr: expected shape [T, E] (one row per timestep), received [${expr.shape.join(', ')}]`);
  const [timesteps, exprFileCount] = expr.shape as [number, number];
  if (timesteps === 0) throw fail('expr: expected at least one timestep, received shape [0, E]');
  const poses = new Map<string, Float32Array>();
  for (const [key, width] of POSE_KEYS) {
    const p = floats(key);
    if (p.shape.length !== 2 || p.shape[0] !== timesteps || p.shape[1] !== width) {
      throw fail(`${key}: expected shape [T, ${width}] with T = ${timesteps} (from expr), received [${p.shape.join(', ')}]`);
    }
    poses.set(key, p.values);
  }

  const shapeArray = floats('shape');
  const shapeOk = shapeArray.shape.length === 1 || (shapeArray.shape.length === 2 && shapeArray.shape[0] === 1);
  if (!shapeOk) throw fail(`shape: expected shape [S] (or [1, S]), received [${shapeArray.shape.join(', ')}]`);
  const shapeFileCount = shapeArray.shape.at(-1)!;
  const shape = fitComponents(shapeArray.values, 1, shapeFileCount, model.shapeCount, (index, value) =>
    new ValidationError(
      `${name}: shape component ${index} is ${value}, but the model has only ${model.shapeCount} shape components: ` +
        `pass the FLAME model the avatar was trained with (GaussianAvatars uses n_shape = 300)`,
    ),
  );
  const exprFitted = fitComponents(expr.values, timesteps, exprFileCount, model.exprCount, (index, value, row) =>
    new ValidationError(
      `${name}: expr component ${index} of timestep ${row} is ${value}, but the model has only ${model.exprCount} expression components: ` +
        `pass the FLAME model the avatar was trained with (GaussianAvatars uses n_expr = 100)`,
    ),
  );

  let staticOffset: Float32Array | undefined;
  let staticOffsetPadded = 0;
  if (arrays.has('static_offset')) {
    const so = floats('static_offset');
    const s = so.shape;
    // load_meshes keeps VHAP's [1, V, 3]; with disable_flame_static_offset it stores zeros [V, 3].
    const ok = (s.length === 3 && s[0] === 1 && s[2] === 3) || (s.length === 2 && s[1] === 3);
    if (!ok) throw fail(`static_offset: expected shape [1, V, 3] or [V, 3], received [${s.join(', ')}]`);
    const rows = s.at(-2)!;
    if (rows > model.vertexCount) {
      throw new ValidationError(
        `${name}: static_offset has ${rows} rows, but the model has ${model.vertexCount} vertices: GaussianAvatars' FLAME has teeth ` +
          `(5143 vertices); pass the model the avatar was trained with (addFlameTeeth(flame) for FLAME 2023)`,
      );
    }
    staticOffset = new Float32Array(model.vertexCount * 3); // the rows past the file's stay zero (load_meshes' padding)
    staticOffset.set(so.values);
    staticOffsetPadded = model.vertexCount - rows;
  }
  for (const [key, values] of [['shape', shape], ['expr', exprFitted], ...poses, ['static_offset', staticOffset]] as const) {
    if (values === undefined) continue;
    for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i]!)) throw fail(`${key}: expected finite values, received ${values[i]} at index ${i}`);
  }
  const ignored = [...arrays.keys()].filter((key) => !KNOWN_KEYS.has(key) || key === 'dynamic_offset');
  return {
    timesteps,
    shape,
    expr: exprFitted,
    rotation: poses.get('rotation')!,
    neck: poses.get('neck_pose')!,
    jaw: poses.get('jaw_pose')!,
    eyes: poses.get('eyes_pose')!,
    translation: poses.get('translation')!,
    ...(staticOffset ? { staticOffset } : {}),
    shapeFileCount,
    exprFileCount,
    staticOffsetPadded,
    ignored,
  };
}

/**
 * Rows of `from` components as rows of `to`: zero-padded, or trimmed when the trimmed
 * components are all zero (else `excess(index, value, row)` is thrown).
 */
function fitComponents(
  values: Float32Array,
  rows: number,
  from: number,
  to: number,
  excess: (index: number, value: number, row: number) => Error,
): Float32Array {
  const out = new Float32Array(rows * to);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < from; c++) {
      const v = values[r * from + c]!;
      if (c < to) out[r * to + c] = v;
      else if (v !== 0) throw excess(c, v, r);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The track

function makeTrack(camera: Camera, background: NdArray<Float32Array> | undefined, flame: FittedFlame): AvatarTrack {
  toRawCamera(camera); // validates
  const { width, height } = camera;
  // The track's background is allocated here and every render of the avatar uses this size.
  requirePixelBudget(camera, undefined, 100);
  const bg = ndarray(new Float32Array(width * height * 3), [height, width, 3]);
  if (background !== undefined) {
    const b = background as Partial<NdArray<Float32Array>>;
    if (!(b.data instanceof Float32Array) || !Array.isArray(b.shape) || b.shape.length !== 3 || b.shape[0] !== height || b.shape[1] !== width || b.shape[2] !== 3) {
      throw new ValidationError(`expected options.background to be a float32 ndarray of shape [${height}, ${width}, 3] like the camera, received ${Array.isArray(b.shape) ? `shape [${b.shape.join(', ')}]` : describeValue(background)}`);
    }
    for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) for (let c = 0; c < 3; c++) bg.set(y, x, c, background.get(y, x, c));
  }
  return {
    rotation: Float32Array.from(flame.rotation),
    neck: Float32Array.from(flame.neck),
    eyes: Float32Array.from(flame.eyes),
    translation: Float32Array.from(flame.translation),
    frames: flame.timesteps,
    camera,
    background: bg,
  };
}
