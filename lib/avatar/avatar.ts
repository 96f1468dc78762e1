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

import { readFile } from 'node:fs/promises';

import ndarray from 'ndarray';
import type { NdArray } from 'ndarray';

import { requireDevice, type Device } from '../backends.js';
import { AudioExpressionModel } from '../a2e/model.js';
import { FormatError, ValidationError } from '../errors.js';
import { Flame } from '../flame/flame.js';
import { flameFromArrays } from '../flame/load.js';
import type { FlameModel } from '../flame/model.js';
import { flameIdentity } from '../flame/identity.js';
import { flameToArrays } from '../flame/save.js';
import { writeFileAtomic } from '../io/atomic.js';
import type { NdArrayData } from '../io/ndarray-data.js';
import { encodeSafetensors, parseSafetensors } from '../io/safetensors.js';
import { native, type NativeTensor } from '../native.js';
import { nativeAbortFlag } from '../native-abort.js';
import { awaitNative, toNdarray } from '../ops.js';
import type { Camera } from '../render/camera.js';
import type { UvLayout } from '../rig/uv.js';
import { arrayToHandle, handleToArray, toParamObject } from '../a2e/native-params.js';
import type { ColorMlpConfig, InpainterConfig } from './config.js';
import { packFrames, type FrameFlame } from './frames.js';

export const AVATAR_FORMAT = 'ggtalker-avatar';
export const AVATAR_VERSION = 1;

/** What an avatar renders with beyond its weights. */
export interface AvatarDescription {
  uvSize: number;
  color?: ColorMlpConfig;
  inpainter?: InpainterConfig;
  /** Pixels the head mask grows by before the inpainter fills it. */
  dilate: number;
  expressionNames?: string[];
  /** Frames per second of the tracked video. */
  fps: number;
}

/** The tracked video's head motion, camera and background (for synthesis with the identity's own pose). */
export interface AvatarTrack {
  rotation: Float32Array;
  neck: Float32Array;
  eyes: Float32Array;
  translation: Float32Array;
  frames: number;
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
  signal?: AbortSignal;
}

/** An adapted identity. */
export class Avatar {
  readonly model: FlameModel;
  readonly flame: Flame;
  readonly layout: UvLayout;
  readonly description: Readonly<AvatarDescription>;
  /** @internal Weights by name: map, flame.shape, flame.static_offset, color.*, inpaint.*. */
  readonly params: Map<string, NativeTensor>;
  track: AvatarTrack | undefined;
  a2e: AudioExpressionModel | undefined;

  /** @internal */
  constructor(init: { model: FlameModel; layout: UvLayout; description: AvatarDescription; params: Map<string, NativeTensor>; track?: AvatarTrack; a2e?: AudioExpressionModel }) {
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
  async render(options: RenderAvatarOptions): Promise<{ frames: NdArray<Float32Array>; heads: NdArray<Float32Array>; alphas: NdArray<Float32Array> }> {
    const camera = options.camera ?? this.track?.camera;
    const background = options.background ?? this.track?.background;
    if (!camera) throw new ValidationError('expected a camera (this avatar has no tracked camera)');
    if (!Array.isArray(options.frames) || options.frames.length === 0) throw new ValidationError('expected frames: a non-empty array of per-frame FLAME parameters');
    const { width, height } = camera;
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
        }),
        options.signal,
      );
      const frames = toNdarray(raw.frames);
      const heads = toNdarray(raw.heads);
      const alphas = toNdarray(raw.alphas);
      return { frames, heads, alphas };
    } finally {
      abort.release();
    }
  }

  /** Saves the avatar as one file, atomically. */
  async save(path: string): Promise<void> {
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
   * @throws {@link FormatError} naming the file when it is not a ggtalker avatar or is from a newer version.
   */
  static async load(path: string): Promise<Avatar> {
    let bytes: Buffer;
    try {
      bytes = await readFile(path);
    } catch (cause) {
      throw new FormatError((cause as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such avatar file' : `cannot read: ${(cause as Error).message}`, { path, cause });
    }
    const file = parseSafetensors(bytes, path);
    const meta = file.metadata;
    if (meta.format !== AVATAR_FORMAT) throw new FormatError(`is not a ggtalker avatar (metadata format ${JSON.stringify(meta.format)})`, { path });
    if (Number(meta.version) !== AVATAR_VERSION) throw new FormatError(`expected avatar format version ${AVATAR_VERSION}, received ${meta.version} (made by a newer ggtalker?)`, { path });
    const group = (prefix: string): Map<string, NdArrayData> => {
      const out = new Map<string, NdArrayData>();
      for (const [k, v] of file.tensors) if (k.startsWith(prefix)) out.set(k.slice(prefix.length), v);
      return out;
    };
    const model = flameFromArrays(Object.fromEntries(group('model.')), path);
    if (meta.flame !== undefined && meta.flame !== flameIdentity(model)) {
      throw new FormatError(
        `records FLAME model ${meta.flame} but holds ${flameIdentity(model)} (metadata "flame" vs tensors model.v_template, model.f): the file was damaged or edited; re-save the avatar from its source`,
        { path },
      );
    }
    const lf = file.tensors.get('layout.face');
    const lb = file.tensors.get('layout.bary');
    if (!lf || !lb) throw new FormatError('has no UV layout (layout.face, layout.bary)', { path });
    const face = lf.data as Int32Array;
    let count = 0;
    for (const f of face) if (f >= 0) count++;
    const layout: UvLayout = { face: ndarray(face, lf.shape), bary: ndarray(lb.data as Float32Array, lb.shape), count };
    const params = new Map<string, NativeTensor>();
    for (const [name, v] of group('avatar.')) params.set(name, arrayToHandle(v as { data: Float32Array; shape: number[] }));
    const description = JSON.parse(meta.avatar ?? '{}') as AvatarDescription;
    const tr = group('track.');
    let track: AvatarTrack | undefined;
    if (tr.has('view')) {
      const k = tr.get('intrinsics')!.data as Float32Array;
      const bg = tr.get('background')!;
      const rotation = tr.get('rotation')!;
      track = {
        rotation: rotation.data as Float32Array,
        neck: tr.get('neck')!.data as Float32Array,
        eyes: tr.get('eyes')!.data as Float32Array,
        translation: tr.get('translation')!.data as Float32Array,
        frames: rotation.shape[0]!,
        camera: { view: tr.get('view')!.data as Float32Array, fx: k[0]!, fy: k[1]!, cx: k[2]!, cy: k[3]!, width: bg.shape[1]!, height: bg.shape[0]! },
        background: ndarray(bg.data as Float32Array, bg.shape),
      };
    }
    let a2e: AudioExpressionModel | undefined;
    if (meta.a2e) a2e = await AudioExpressionModel.fromTensors(JSON.parse(meta.a2e), group('a2e.'));
    return new Avatar({ model, layout, description, params, ...(track ? { track } : {}), ...(a2e ? { a2e } : {}) });
  }
}
