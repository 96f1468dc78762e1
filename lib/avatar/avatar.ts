/**
 * An adapted identity: its UV Gaussian map on a FLAME-format head, FLAME shape and offsets,
 * colour MLP, body inpainter, fine-tuned Audio-Expression model, and the tracked head motion,
 * camera and background of its video. Saved as one versioned file (safetensors: numbers only,
 * with a JSON description in its metadata).
 *
 * File layout (`.ggtavatar`): metadata `format` = "ggtalker-avatar", `version` = "1", `avatar`
 * (JSON: sizes, network configs, expression names), `flame` (the FLAME model's
 * {@link flameIdentity}: files before it was recorded have none), `a2e` (the Audio-Expression
 * model's JSON, when present); tensors `model.*` (the FLAME-format model, as saveFlameSafetensors names
 * them), `layout.face` / `layout.bary`, `avatar.<name>` (map, flame.shape, flame.static_offset,
 * color.*, inpaint.*), `track.<name>` (rotation, neck, eyes, translation [T, 3|6], view [4, 4],
 * intrinsics [4], background [H, W, 3]) and `a2e.<name>`.
 *
 * @module
 */

import ndarray from 'ndarray';
import type { NdArray } from 'ndarray';

import { requireOptions, requirePath } from '../arguments.js';
import { requireDevice, type Device } from '../backends.js';
import { AudioExpressionModel } from '../a2e/model.js';
import { FileSystemError, FormatError, ValidationError } from '../errors.js';
import { Flame } from '../flame/flame.js';
import { flameFromArrays } from '../flame/load.js';
import type { FlameModel } from '../flame/model.js';
import { flameIdentity } from '../flame/identity.js';
import { flameToArrays } from '../flame/save.js';
import { writeFileAtomic } from '../io/atomic.js';
import type { NdArrayData } from '../io/ndarray-data.js';
import { parseJsonText, readRegularFile } from '../io/read-file.js';
import { encodeSafetensors, parseSafetensors } from '../io/safetensors.js';
import { frameRateProblem, rigidTransformProblem } from '../io/vhap-camera.js';
import { firstNonFinite } from '../io/vhap-flame.js';
import { native, type NativeTensor, type RawArray } from '../native.js';
import { nativeAbortFlag } from '../native-abort.js';
import { requirePixelBudget } from '../render/pixel-limit.js';
import { awaitNative, toNdarray } from '../ops.js';
import type { Camera } from '../render/camera.js';
import { UV_MAP_CHANNELS, type UvLayout } from '../rig/uv.js';
import { describeValue, requirePositiveInt } from '../validate.js';
import { arrayToHandle, handleToArray, toParamObject } from '../a2e/native-params.js';
import { DEFAULT_COLOR_MLP, DEFAULT_INPAINTER, resolveSizes, type ColorMlpConfig, type InpainterConfig } from './config.js';
import { packFrames, type FrameFlame } from './frames.js';

export const AVATAR_FORMAT = 'ggtalker-avatar';
export const AVATAR_VERSION = 1;

/** What an avatar renders with beyond its weights. */
export interface AvatarDescription {
  /** Size of the UV Gaussian map, texels per side. */
  uvSize: number;
  /** The colour MLP's sizes, when the avatar has one. */
  color?: ColorMlpConfig;
  /** The body inpainter's sizes, when the avatar has one. */
  inpainter?: InpainterConfig;
  /** Pixels the head mask grows by before the inpainter fills it. */
  dilate: number;
  /** Names of the expression coefficients it was driven with, when known. */
  expressionNames?: string[];
  /** Frames per second of the tracked video. */
  fps: number;
}

/** The tracked video's head motion, camera and background (for synthesis with the identity's own pose). */
export interface AvatarTrack {
  /** Global head rotation per frame, axis-angle [frames, 3] flattened. */
  rotation: Float32Array;
  /** Neck rotation per frame, axis-angle [frames, 3] flattened. */
  neck: Float32Array;
  /** Eye rotations per frame, axis-angle [frames, 6] flattened (left, right). */
  eyes: Float32Array;
  /** Head translation per frame [frames, 3] flattened, world units. */
  translation: Float32Array;
  /** Frames tracked. */
  frames: number;
  /** The tracked camera. */
  camera: Camera;
  /** [H, W, 3] in [0, 1]. */
  background: NdArray<Float32Array>;
}

/** Options of {@link Avatar.render}. */
export interface RenderAvatarOptions {
  /** Per-frame FLAME parameters (expr, jaw, rotation, neck, eyes, translation). */
  frames: FrameFlame[];
  /** Default: the tracked camera. */
  camera?: Camera;
  /** [H, W, 3] behind the head; default: the tracked background. */
  background?: NdArray<Float32Array>;
  /** Where to render: `'cpu'` (default), `'cuda'` or `'cuda:N'` (inputs are copied there per call; frames come back to the CPU). */
  device?: Device;
  /**
   * The most pixels (width × height) of one frame; default 4096².
   * Each frame costs about 100 bytes per pixel while it renders.
   */
  maxPixels?: number;
  /** Cancels the render: the Promise rejects with AbortError at once and the native loop stops within 4 frames. */
  signal?: AbortSignal;
}

/** An adapted identity. */
export class Avatar {
  /** The FLAME-format model the avatar is rigged with. */
  readonly model: FlameModel;
  /** The model's forward pass (native). */
  readonly flame: Flame;
  /** Where each Gaussian of the UV map sits on the mesh. */
  readonly layout: UvLayout;
  /** Sizes and settings saved with the avatar. */
  readonly description: Readonly<AvatarDescription>;
  /** @internal Weights by name: map, flame.shape, flame.static_offset, color.*, inpaint.*. */
  readonly params: Map<string, NativeTensor>;
  /** The tracked motion and camera the avatar was adapted on, when it has them. */
  track: AvatarTrack | undefined;
  /** The Audio-Expression model it speaks with, when it has one. */
  a2e: AudioExpressionModel | undefined;

  /** @internal */
  constructor(init: { model: FlameModel; layout: UvLayout; description: AvatarDescription; params: Map<string, NativeTensor>; track?: AvatarTrack; a2e?: AudioExpressionModel }) {
    // Internal, but reachable from JavaScript: avatars come from adapt, proceduralAvatar or Avatar.load.
    requireOptions('new Avatar', init, 'init');
    if (!(init.params instanceof Map)) throw new ValidationError(`new Avatar: expected init.params to be a Map of weights (avatars come from adapt, proceduralAvatar or Avatar.load), received ${describeValue(init.params)}`);
    this.model = init.model;
    this.flame = Flame.from(init.model);
    this.layout = init.layout;
    this.description = Object.freeze({ ...init.description });
    this.params = init.params;
    this.track = init.track;
    this.a2e = init.a2e;
  }

  /**
   * The {@link flameIdentity} of the avatar's FLAME model (recorded in its file): which FLAME
   * (2020 or 2023, with or without teeth) its Gaussians are bound to.
   */
  get flameIdentity(): string {
    this.#flameIdentity ??= flameIdentity(this.model);
    return this.#flameIdentity;
  }

  #flameIdentity: string | undefined;

  /** The UV Gaussian map [uv, uv, 14] (a copy). */
  map(): NdArray<Float32Array> {
    const a = handleToArray(this.params.get('map')!);
    return ndarray(a.data, a.shape);
  }

  /** @internal The native `config` of the avatar ops. */
  nativeConfig(): Record<string, unknown> {
    const d = this.description;
    const e = this.model.exprCount;
    return {
      ...(d.color ? { color: { ...d.color, codeDim: e + 9 } } : {}),
      ...(d.inpainter ? { inpainter: d.inpainter } : {}),
      dilate: d.dilate,
    };
  }

  /** @internal The native scene inputs. */
  nativeScene(width: number, height: number): Record<string, unknown> {
    const [h, w] = this.layout.face.shape as [number, number];
    return {
      model: this.flame.nativeModel(),
      layout: { face: { data: this.layout.face.data, shape: [h, w] }, bary: { data: this.layout.bary.data, shape: [h, w, 3] } },
      width,
      height,
    };
  }

  /**
   * Renders frames: the head posed by each frame's FLAME parameters, seen from `camera`,
   * composited over `background` (through the body inpainter when the avatar has one).
   *
   * @returns frames [T, H, W, 3], heads [T, H, W, 3] (premultiplied), alphas [T, H, W].
   */
  async render(options: RenderAvatarOptions): Promise<{
    /** The final frames, [T, H, W, 3] in [0, 1]. */
    frames: NdArray<Float32Array>;
    /** The head alone, premultiplied by its opacity, [T, H, W, 3]. */
    heads: NdArray<Float32Array>;
    /** The head's opacity, [T, H, W]. */
    alphas: NdArray<Float32Array>;
  }> {
    const raw = await this.#render(options, true);
    return { frames: toNdarray(raw.frames), heads: toNdarray(raw.heads!), alphas: toNdarray(raw.alphas!) };
  }

  /**
   * @internal The final frames of {@link Avatar.render} alone, [T, H, W, 3] (synthesis): the
   * heads and alphas are neither stacked nor copied out. `workspace`: an empty object owned by
   * one stream of frames (one synthesis), passed with each of its calls: the body inpainter
   * keeps the activations of the stream's background on it and recomputes only around the
   * head (native/avatar/networks.h). Frames equal those made without it up to float rounding.
   */
  async renderFrames(options: RenderAvatarOptions, workspace?: object): Promise<NdArray<Float32Array>> {
    return toNdarray((await this.#render(options, false, workspace)).frames);
  }

  async #render(options: RenderAvatarOptions, heads: boolean, workspace?: object): Promise<{ frames: RawArray; heads?: RawArray; alphas?: RawArray }> {
    requireOptions('Avatar.render', options);
    const camera = options.camera ?? this.track?.camera;
    const background = options.background ?? this.track?.background;
    if (!camera) throw new ValidationError('expected a camera (this avatar has no tracked camera)');
    if (!Array.isArray(options.frames) || options.frames.length === 0) throw new ValidationError('expected frames: a non-empty array of per-frame FLAME parameters');
    const { width, height } = camera;
    requirePositiveInt('camera.width', width);
    requirePositiveInt('camera.height', height);
    requirePixelBudget(camera, options.maxPixels, 100);
    const bg = background ?? ndarray(new Float32Array(width * height * 3), [height, width, 3]);
    if (bg.shape[0] !== height || bg.shape[1] !== width) throw new ValidationError(`expected the background to be ${width}x${height} like the camera, received ${bg.shape[1]}x${bg.shape[0]}`);
    const packed = packFrames(
      options.frames.map((flame) => ({ image: bg, camera, flame })),
      this.model.exprCount,
    );
    const device = options.device === undefined ? undefined : requireDevice(options.device);
    const abort = nativeAbortFlag(options.signal);
    try {
      const raw = await awaitNative(
        native().avatarRender({
          ...(device ? { device } : {}),
          config: this.nativeConfig(),
          ...this.nativeScene(width, height),
          frames: packed.data,
          params: { ...toParamObject(this.params), ...Object.fromEntries(packed.flame) },
          indices: options.frames.map((_, i) => i),
          composite: true,
          heads,
          ...(workspace ? { workspace } : {}),
          ...(abort.flag ? { abort: abort.flag } : {}),
        }),
        options.signal,
      );
      return raw as { frames: RawArray; heads?: RawArray; alphas?: RawArray };
    } finally {
      abort.release();
    }
  }

  /** Saves the avatar as one file, atomically. */
  async save(path: string): Promise<void> {
    requirePath('Avatar.save', path);
    const tensors = new Map<string, NdArrayData>();
    for (const [k, v] of Object.entries(flameToArrays(this.model))) tensors.set(`model.${k}`, v);
    const [h, w] = this.layout.face.shape as [number, number];
    tensors.set('layout.face', { dtype: 'int32', shape: [h, w], data: this.layout.face.data });
    tensors.set('layout.bary', { dtype: 'float32', shape: [h, w, 3], data: this.layout.bary.data });
    for (const [name, t] of this.params) tensors.set(`avatar.${name}`, handleToArray(t));
    const metadata: Record<string, string> = { format: AVATAR_FORMAT, version: String(AVATAR_VERSION), avatar: JSON.stringify(this.description), flame: this.flameIdentity };
    if (this.track) {
      const tr = this.track;
      for (const key of ['rotation', 'neck', 'eyes', 'translation'] as const) {
        tensors.set(`track.${key}`, { dtype: 'float32', shape: [tr.frames, tr[key].length / Math.max(1, tr.frames)], data: tr[key] });
      }
      tensors.set('track.view', { dtype: 'float32', shape: [4, 4], data: Float32Array.from(tr.camera.view as ArrayLike<number>) });
      tensors.set('track.intrinsics', { dtype: 'float32', shape: [4], data: Float32Array.of(tr.camera.fx, tr.camera.fy, tr.camera.cx, tr.camera.cy) });
      tensors.set('track.background', { dtype: 'float32', shape: tr.background.shape, data: Float32Array.from(tr.background.data) });
    }
    if (this.a2e) {
      for (const name of this.a2e.parameterNames()) {
        const p = this.a2e.parameter(name);
        tensors.set(`a2e.${name}`, { dtype: 'float32', shape: p.shape, data: p.data });
      }
      metadata.a2e = JSON.stringify({ config: this.a2e.config, features: this.a2e.features, speakers: this.a2e.speakers, expressionNames: this.a2e.expressionNames });
    }
    await writeFileAtomic(path, encodeSafetensors(tensors, metadata));
  }

  /**
   * Loads an avatar file.
   *
   * @throws {@link FormatError} naming the file and the field (metadata key or tensor name) when
   *   it is not a ggtalker avatar, is from a newer version, or has a missing, malformed or
   *   non-finite part; {@link FileSystemError} when it cannot be read.
   */
  static async load(path: string): Promise<Avatar> {
    requirePath('Avatar.load', path);
    const bytes = await readRegularFile(path, { what: 'the avatar file' }).catch((error: unknown) => {
      if (error instanceof FileSystemError && error.systemCode === 'ENOENT') throw new FileSystemError('no such avatar file', { path, systemCode: 'ENOENT', cause: error });
      throw error;
    });
    const file = parseSafetensors(bytes, path);
    const meta = file.metadata;
    const fail = (message: string): never => {
      throw new FormatError(message, { path });
    };
    if (meta.format !== AVATAR_FORMAT) fail(`is not a ggtalker avatar (metadata format ${JSON.stringify(meta.format)})`);
    if (Number(meta.version) !== AVATAR_VERSION) fail(`expected avatar format version ${AVATAR_VERSION}, received ${JSON.stringify(meta.version)} (made by a newer ggtalker?)`);
    const group = (prefix: string): Map<string, NdArrayData> => {
      const out = new Map<string, NdArrayData>();
      for (const [k, v] of file.tensors) if (k.startsWith(prefix)) out.set(k.slice(prefix.length), v);
      return out;
    };
    const model = flameFromArrays(Object.fromEntries(group('model.')), path);
    if (meta.flame !== undefined && meta.flame !== flameIdentity(model)) {
      fail(
        `records FLAME model ${meta.flame} but holds ${flameIdentity(model)} (metadata "flame" vs tensors model.v_template, model.f): the file was damaged or edited; re-save the avatar from its source`,
      );
    }
    if (meta.avatar === undefined) fail('metadata "avatar": missing (expected the JSON description: uvSize, dilate, fps...)');
    const description = checkDescription(parseJsonText(meta.avatar!, path, 'metadata "avatar"'), path);
    const uv = description.uvSize;

    // A float32 tensor of the given shape (-1: any size), with finite values.
    const floats = (name: string, shape: readonly number[]): NdArrayData & { data: Float32Array } => {
      const t = file.tensors.get(name);
      if (t === undefined) return fail(`${name}: missing (expected a float32 tensor [${shape.map((d) => (d < 0 ? '·' : d)).join(', ')}])`);
      if (t.dtype !== 'float32') fail(`${name}: expected float32, received ${t.dtype}`);
      if (t.shape.length !== shape.length || shape.some((d, i) => d >= 0 && t.shape[i] !== d)) {
        fail(`${name}: expected shape [${shape.map((d) => (d < 0 ? '·' : d)).join(', ')}], received [${t.shape.join(', ')}]`);
      }
      requireFiniteTensor(name, t.data as Float32Array, path);
      return t as NdArrayData & { data: Float32Array };
    };

    const lf = file.tensors.get('layout.face');
    if (lf === undefined || file.tensors.get('layout.bary') === undefined) fail('has no UV layout (layout.face, layout.bary)');
    if (lf!.dtype !== 'int32' || lf!.shape.length !== 2 || lf!.shape[0] !== uv || lf!.shape[1] !== uv) {
      fail(`layout.face: expected int32 [${uv}, ${uv}] (uvSize from metadata "avatar"), received ${lf!.dtype} [${lf!.shape.join(', ')}]`);
    }
    const lb = floats('layout.bary', [uv, uv, 3]);
    const face = lf!.data as Int32Array;
    const faceCount = model.faces.length / 3;
    let count = 0;
    for (let i = 0; i < face.length; i++) {
      const f = face[i]!;
      if (f >= faceCount || f < -1) fail(`layout.face: texel ${i} names face ${f}, but the model has ${faceCount} faces (expected -1 or [0, ${faceCount}))`);
      if (f >= 0) count++;
    }
    const layout: UvLayout = { face: ndarray(face, lf!.shape), bary: ndarray(lb.data, lb.shape), count };

    const params = new Map<string, NativeTensor>();
    floats('avatar.map', [uv, uv, UV_MAP_CHANNELS]);
    for (const [name, v] of group('avatar.')) {
      if (v.dtype !== 'float32') fail(`avatar.${name}: expected float32, received ${v.dtype}`);
      requireFiniteTensor(`avatar.${name}`, v.data as Float32Array, path);
      params.set(name, arrayToHandle(v as { data: Float32Array; shape: number[] }));
    }

    let track: AvatarTrack | undefined;
    if (group('track.').size > 0) {
      const rotation = floats('track.rotation', [-1, 3]);
      const frames = rotation.shape[0]!;
      if (frames < 1) fail('track.rotation: expected at least one frame, received shape [0, 3]');
      const neck = floats('track.neck', [frames, 3]);
      const eyes = floats('track.eyes', [frames, 6]);
      const translation = floats('track.translation', [frames, 3]);
      const view = floats('track.view', [4, 4]);
      const problem = rigidTransformProblem(view.data);
      if (problem) fail(`track.view: expected a rigid world-to-camera matrix, but ${problem}`);
      const k = floats('track.intrinsics', [4]).data;
      if (!(k[0]! > 0 && k[1]! > 0)) fail(`track.intrinsics: expected positive focal lengths fx, fy, received ${k[0]}, ${k[1]}`);
      const bg = floats('track.background', [-1, -1, 3]);
      const [height, width] = bg.shape as [number, number];
      if (!(height >= 1 && width >= 1)) fail(`track.background: expected an image [H, W, 3] with H, W >= 1, received [${bg.shape.join(', ')}]`);
      track = {
        rotation: rotation.data,
        neck: neck.data,
        eyes: eyes.data,
        translation: translation.data,
        frames,
        camera: { view: view.data, fx: k[0]!, fy: k[1]!, cx: k[2]!, cy: k[3]!, width, height },
        background: ndarray(bg.data, bg.shape),
      };
    }
    let a2e: AudioExpressionModel | undefined;
    if (meta.a2e) a2e = await AudioExpressionModel.fromTensors(parseJsonText(meta.a2e, path, 'metadata "a2e"') as Parameters<typeof AudioExpressionModel.fromTensors>[0], group('a2e.'), path);
    return new Avatar({ model, layout, description, params, ...(track ? { track } : {}), ...(a2e ? { a2e } : {}) });
  }
}

/** The largest UV map side a file may declare (an imported GaussianAvatars model of N Gaussians has ⌈√N⌉). */
const MAX_UV_SIZE = 4096;

/** The largest dilation of the head mask a file may ask for, in pixels. */
const MAX_DILATE = 256;

/** The metadata's description, field by field (a {@link FormatError} naming the file and the field). */
function checkDescription(value: unknown, path: string): AvatarDescription {
  const fail = (message: string): never => {
    throw new FormatError(`metadata "avatar": ${message}`, { path });
  };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail(`expected a JSON object, received ${JSON.stringify(value)}`);
  const d = value as Record<string, unknown>;
  const int = (key: string, min: number, max: number): number => {
    const v = d[key];
    if (!(typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max)) fail(`${key}: expected an integer in [${min}, ${max}], received ${JSON.stringify(v) ?? 'nothing'}`);
    return v as number;
  };
  const out: AvatarDescription = { uvSize: int('uvSize', 1, MAX_UV_SIZE), dilate: int('dilate', 0, MAX_DILATE), fps: 0 };
  const fpsProblem = frameRateProblem(d.fps);
  if (fpsProblem !== undefined) fail(`fps: ${fpsProblem}`);
  out.fps = d.fps as number;
  if (d.color !== undefined) out.color = resolveSizes('color', DEFAULT_COLOR_MLP, d.color as Partial<ColorMlpConfig>, { path });
  if (d.inpainter !== undefined) out.inpainter = resolveSizes('inpainter', DEFAULT_INPAINTER, d.inpainter as Partial<InpainterConfig>, { path });
  if (d.expressionNames !== undefined) {
    if (!(Array.isArray(d.expressionNames) && d.expressionNames.every((n) => typeof n === 'string'))) fail('expressionNames: expected an array of names');
    out.expressionNames = [...(d.expressionNames as string[])];
  }
  return out;
}

/** Throws a {@link FormatError} naming the tensor and the index of its first non-finite value. */
function requireFiniteTensor(name: string, data: Float32Array, path: string): void {
  const bad = firstNonFinite(data);
  if (bad >= 0) throw new FormatError(`${name}: expected finite values, received ${data[bad]} at index ${bad}`, { path });
}
