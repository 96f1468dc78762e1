/**
 * The FLAME head model, posed: shape and expression blendshapes, pose correctives and linear
 * blend skinning, batched over frames and differentiable (native LibTorch ops).
 *
 * @module
 */

import type { NdArray } from 'ndarray';

import { optionalOptions } from '../arguments.js';
import { requireDevice } from '../backends.js';
import { ValidationError } from '../errors.js';
import { native, type NativeTensor } from '../native.js';
import { awaitNative, throwIfAborted, toNdarray } from '../ops.js';
import { describeValue, requireAbortSignal, requireOutputElements, toFloat32Tensor, type ArrayLike, type Dims } from '../validate.js';
import type { FlameModel } from './model.js';

/**
 * Per-frame FLAME parameters, as VHAP tracks them. Each is optional (zero when omitted) and
 * either one vector for every frame ([D]) or one per frame ([T, D]); T must agree.
 */
export interface FlameParams<T = ArrayLike> {
  /** Identity shape coefficients, [S] or [T, S]. */
  shape?: T;
  /** Expression coefficients, [E] or [T, E]. */
  expr?: T;
  /** Global head rotation, axis-angle, [3] or [T, 3]. */
  rotation?: T;
  /** Neck rotation, axis-angle, [3] or [T, 3]. */
  neck?: T;
  /** Jaw rotation, axis-angle, [3] or [T, 3]: what opens the mouth. */
  jaw?: T;
  /** Left then right eyeball rotation, axis-angle, [6] or [T, 6]. */
  eyes?: T;
  /** Translation, [3] or [T, 3]. */
  translation?: T;
  /** Per-vertex offsets added to the template, [V, 3] or [T, V, 3]. */
  staticOffset?: T;
}

/** Posed FLAME geometry. */
export interface FlameOutput {
  /** [T, V, 3]. */
  vertices: NdArray<Float32Array>;
  /** Posed joints (global, neck, jaw, left eye, right eye), [T, 5, 3]. */
  joints: NdArray<Float32Array>;
  /** Landmarks from the model's barycentric embedding, [T, L, 3] (when it has one). */
  landmarks?: NdArray<Float32Array>;
}

/** Options of {@link Flame.forward}. */
export interface FlameForwardOptions {
  /** Cancels the call (checked between chunks of frames too). */
  signal?: AbortSignal;
  /**
   * The most float32 values the vertices output [T, V, 3] may hold; default 2^28 (1 GiB, about
   * 17,800 frames of FLAME's 5023 vertices). Longer sequences are refused with a
   * ValidationError saying how many frames one call may take.
   */
  maxOutputElements?: number;
}

/** Weights of the outputs in the loss whose gradient {@link Flame.forwardWithGradients} returns. */
export interface FlameOutputGrads {
  /** dL/dvertices, [B, V, 3]. */
  vertices?: ArrayLike;
  /** dL/djoints, [B, J, 3]. */
  joints?: ArrayLike;
  /** dL/dlandmarks, [B, L, 3]. */
  landmarks?: ArrayLike;
}

const PARAM_WIDTHS = { rotation: 3, neck: 3, jaw: 3, eyes: 6, translation: 3 } as const;

/**
 * Frames posed per native call. Longer sequences are posed in chunks of this many frames and
 * the outputs concatenated (frames are independent, so the result does not depend on the
 * chunking): the native forward keeps ~15 intermediates of [T, V, 3] per call, so 10,000
 * FLAME frames in one call took 9.3 GB; in chunks of 256 the peak is the output plus ~250 MB.
 */
export const FLAME_FRAMES_PER_CALL = 256;

/** A validated `{data, shape}` array. */
type Raw = { data: Float32Array; shape: number[] };

/** A FLAME model held natively (copied once), ready to pose. */
export class Flame {
  /** The model's arrays. */
  readonly model: FlameModel;
  private readonly tensors: Record<string, NativeTensor>;
  private readonly device: string | undefined;

  private constructor(model: FlameModel, device: string | undefined) {
    this.model = model;
    this.device = device;
    const t = (data: Float32Array | Int32Array, shape: number[]): NativeTensor =>
      native().Tensor.fromArray(data, shape, device ? { device } : undefined);
    const { vertexCount: v, shapeCount: s, exprCount: e } = model;
    this.tensors = {
      vTemplate: t(model.vTemplate, [v, 3]),
      shapedirs: t(model.shapedirs, [v, 3, s]),
      exprdirs: t(model.exprdirs, [v, 3, e]),
      posedirs: t(model.posedirs, [v, 3, 36]),
      jRegressor: t(model.jRegressor, [5, v]),
      lbsWeights: t(model.lbsWeights, [v, 5]),
      faces: t(model.faces, [model.faces.length / 3, 3]),
      ...(model.landmarks
        ? {
            lmkFaces: t(model.landmarks.faceIdx, [model.landmarks.faceIdx.length]),
            lmkBary: t(model.landmarks.bary, [model.landmarks.faceIdx.length, 3]),
          }
        : {}),
    };
  }

  /**
   * Copies a model into native memory (on `device`, default the CPU).
   *
   * @param options.device - Where the model's arrays live: `'cpu'` (default), `'cuda'`, `'cuda:N'` or `'auto'` (CUDA when available).
   * @throws {@link ValidationError} when the model's arrays disagree with its counts.
   */
  static from(model: FlameModel, options: { device?: string } = {}): Flame {
    checkModel(model);
    options = optionalOptions('Flame.from', options);
    return new Flame(model, options.device === undefined ? undefined : requireDevice(options.device));
  }

  /** Triangles, [F, 3]. */
  get faceCount(): number {
    return this.model.faces.length / 3;
  }

  /** @internal The model as the addon's `model` input. */
  nativeModel(): Record<string, unknown> {
    return { ...this.tensors, parents: Array.from(this.model.parents) };
  }

  /**
   * @internal Validated parameters as the addon's `params` input; `dims.T` is bound to the
   * frame count when some parameter is given per frame.
   */
  nativeParams(params: FlameParams, dims: Dims = {}): Record<string, Raw> {
    if (typeof params !== 'object' || params === null || Array.isArray(params)) {
      throw new ValidationError(`expected FLAME params to be an object {shape?, expr?, rotation?, neck?, jaw?, eyes?, translation?, staticOffset?}, received ${describeValue(params)}`);
    }
    const out: Record<string, Raw> = {};
    const { vertexCount: v, shapeCount: s, exprCount: e } = this.model;
    const widths: Record<string, number> = { shape: s, expr: e, ...PARAM_WIDTHS };
    for (const [name, width] of Object.entries(widths)) {
      const value = params[name as keyof FlameParams];
      if (value !== undefined) out[name] = frameParam(name, value, [width], dims);
    }
    if (params.staticOffset !== undefined) out.staticOffset = frameParam('staticOffset', params.staticOffset, [v, 3], dims);
    return out;
  }

  /**
   * Poses the model for every frame of `params`. Sequences longer than
   * {@link FLAME_FRAMES_PER_CALL} frames are posed in chunks (same result, bounded memory);
   * `signal` is checked between chunks.
   */
  async forward(params: FlameParams, options: FlameForwardOptions = {}): Promise<FlameOutput> {
    const { output } = await this.run(params, undefined, options);
    return output;
  }

  /**
   * Poses the model and back-propagates L = Σ vertices·W_v + Σ joints·W_j + Σ landmarks·W_l
   * to every parameter given. `grads` mirrors `params` (only those given). Chunked like
   * {@link Flame.forward}: a parameter shared by all frames gets the sum of its chunks'
   * gradients (equal to the one-call gradient up to float32 rounding of the sum).
   */
  async forwardWithGradients(
    params: FlameParams,
    options: FlameForwardOptions & { outputGrads: FlameOutputGrads },
  ): Promise<
    FlameOutput & {
      /** dL/dparameter for every FLAME parameter, shaped like it. */
      grads: Record<keyof FlameParams, NdArray<Float32Array>>;
    }
  > {
    if (typeof options !== 'object' || options === null || typeof options.outputGrads !== 'object' || options.outputGrads === null) {
      throw new ValidationError('expected options.outputGrads to be an object {vertices?, joints?, landmarks?}');
    }
    const { output, grads } = await this.run(params, options.outputGrads, options);
    return { ...output, grads: grads as Record<keyof FlameParams, NdArray<Float32Array>> };
  }

  /** Validates, then poses in chunks of frames, concatenating outputs and gradients. */
  private async run(
    params: FlameParams,
    outputGrads: FlameOutputGrads | undefined,
    options: FlameForwardOptions,
  ): Promise<{ output: FlameOutput; grads: Record<string, NdArray<Float32Array>> }> {
    if (typeof options !== 'object' || options === null) throw new ValidationError(`expected options to be an object, received ${describeValue(options)}`);
    const signal = requireAbortSignal('options.signal', options.signal);
    const dims: Dims = {};
    const p = this.nativeParams(params, dims);
    const frames = dims.T ?? 1;
    requireOutputElements('Flame.forward vertices [T, V, 3]', [frames, this.model.vertexCount, 3], options.maxOutputElements);
    const weights = outputGrads === undefined ? undefined : this.outputGradsInput(outputGrads, frames);
    const merged = new FrameMerger(frames);
    const calls = Math.max(1, Math.ceil(frames / FLAME_FRAMES_PER_CALL)); // one call for T = 0 too
    for (let call = 0, start = 0; call < calls; call++, start += FLAME_FRAMES_PER_CALL) {
      throwIfAborted(signal);
      const end = Math.min(frames, start + FLAME_FRAMES_PER_CALL);
      const slice = (r: Raw, perFrame: boolean): Raw => (perFrame && (start > 0 || end < frames) ? frameSlice(r, start, end) : r);
      const chunkParams: Record<string, Raw> = {};
      for (const [name, r] of Object.entries(p)) chunkParams[name] = slice(r, isPerFrame(name, r));
      const chunkGrads: Record<string, Raw> | undefined = weights && Object.fromEntries(Object.entries(weights).map(([k, r]) => [k, slice(r, true)]));
      const raw = await awaitNative(
        native().flameForward({ model: this.nativeModel(), params: chunkParams, ...(chunkGrads ? { outputGrads: chunkGrads } : {}), ...this.deviceOption() }),
        signal,
      );
      for (const key of ['vertices', 'joints', 'landmarks']) if (raw[key]) merged.put(key, raw[key] as Raw, start);
      for (const [name, g] of Object.entries((raw.grads?.params ?? {}) as Record<string, Raw>)) {
        if (isPerFrame(name, p[name]!)) merged.put(`grads.${name}`, g, start);
        else merged.sum(`grads.${name}`, g);
      }
    }
    const out = merged.result();
    const grads: Record<string, NdArray<Float32Array>> = {};
    for (const [key, value] of Object.entries(out)) if (key.startsWith('grads.')) grads[key.slice(6)] = value;
    return {
      output: { vertices: out.vertices!, joints: out.joints!, ...(out.landmarks ? { landmarks: out.landmarks } : {}) },
      grads,
    };
  }

  /** Output weights [T, V, 3] / [T, 5, 3] / [T, L, 3], T the parameters' frame count. */
  private outputGradsInput(outputGrads: FlameOutputGrads, frames: number): Record<string, Raw> {
    const shapes: Record<string, number[]> = {
      vertices: [frames, this.model.vertexCount, 3],
      joints: [frames, 5, 3],
      ...(this.model.landmarks ? { landmarks: [frames, this.model.landmarks.faceIdx.length, 3] } : {}),
    };
    const out: Record<string, Raw> = {};
    for (const [name, value] of Object.entries(outputGrads)) {
      if (value === undefined) continue;
      const shape = shapes[name];
      if (shape === undefined) throw new ValidationError(`expected outputGrads keys among ${Object.keys(shapes).join(', ')}, received "${name}"`);
      out[name] = toFloat32Tensor(`outputGrads.${name}`, value, shape);
    }
    return out;
  }

  private deviceOption(): { device?: string } {
    return this.device ? { device: this.device } : {};
  }
}

/** Whether a validated parameter has a leading frame axis ([T, D], or [T, V, 3] for staticOffset). */
function isPerFrame(name: string, r: Raw): boolean {
  return r.shape.length === (name === 'staticOffset' ? 3 : 2);
}

/** Frames [start, end) of a [T, ...] array (a view, no copy). */
function frameSlice(r: Raw, start: number, end: number): Raw {
  const per = r.shape.slice(1).reduce((a, b) => a * b, 1);
  return { data: r.data.subarray(start * per, end * per), shape: [end - start, ...r.shape.slice(1)] };
}

/** Concatenates per-chunk [n, ...] outputs into [T, ...], and sums gradients of shared inputs. */
class FrameMerger {
  private readonly arrays = new Map<string, Raw>();

  constructor(private readonly frames: number) {}

  /** Chunk `r` ([n, ...]) holds frames from `start`. */
  put(key: string, r: Raw, start: number): void {
    const per = r.shape.slice(1).reduce((a, b) => a * b, 1);
    let out = this.arrays.get(key);
    if (out === undefined) {
      out = r.shape[0] === this.frames ? r : { data: new Float32Array(this.frames * per), shape: [this.frames, ...r.shape.slice(1)] };
      this.arrays.set(key, out);
    }
    if (out !== r) out.data.set(r.data, start * per);
  }

  /** Adds `r` to the running sum under `key`. */
  sum(key: string, r: Raw): void {
    const out = this.arrays.get(key);
    if (out === undefined) this.arrays.set(key, { data: Float32Array.from(r.data), shape: r.shape });
    else for (let i = 0; i < r.data.length; i++) out.data[i]! += r.data[i]!;
  }

  result(): Record<string, NdArray<Float32Array>> {
    const out: Record<string, NdArray<Float32Array>> = {};
    for (const [key, r] of this.arrays) out[key] = toNdarray(r);
    return out;
  }
}

/** A parameter given for all frames ([...inner]) or per frame ([T, ...inner]). */
function frameParam(name: string, value: ArrayLike, inner: number[], dims: Dims) {
  const rank = Array.isArray((value as { shape?: unknown }).shape) ? value.shape.length : -1;
  return toFloat32Tensor(name, value, rank === inner.length + 1 ? ['T', ...inner] : inner, dims);
}

/** Checks that a model's arrays match its declared counts. */
export function checkModel(model: FlameModel): void {
  if (typeof model !== 'object' || model === null) throw new ValidationError(`expected a FLAME model object, received ${describeValue(model)}`);
  for (const key of ['vertexCount', 'shapeCount', 'exprCount'] as const) {
    if (!Number.isSafeInteger(model[key]) || model[key] < 0) throw new ValidationError(`expected FLAME ${key} to be a non-negative integer, received ${describeValue(model[key])}`);
  }
  if (!(model.faces instanceof Int32Array)) throw new ValidationError(`expected FLAME faces to be an Int32Array, received ${describeValue(model.faces)}`);
  const { vertexCount: v, shapeCount: s, exprCount: e } = model;
  const expect = (name: string, array: { length: number } | undefined, length: number, shape: string): void => {
    if (!array || array.length !== length) {
      throw new ValidationError(`expected FLAME ${name} to hold ${length} values (${shape}), received ${array?.length ?? 'nothing'}`);
    }
  };
  expect('vTemplate', model.vTemplate, v * 3, `[${v}, 3]`);
  expect('shapedirs', model.shapedirs, v * 3 * s, `[${v}, 3, ${s}]`);
  expect('exprdirs', model.exprdirs, v * 3 * e, `[${v}, 3, ${e}]`);
  expect('posedirs', model.posedirs, v * 3 * 36, `[${v}, 3, 36]`);
  expect('jRegressor', model.jRegressor, 5 * v, `[5, ${v}]`);
  expect('lbsWeights', model.lbsWeights, v * 5, `[${v}, 5]`);
  expect('parents', model.parents, 5, '[5]');
  if (model.faces.length % 3 !== 0) throw new ValidationError(`expected FLAME faces to be [F, 3], received ${model.faces.length} values`);
  for (const index of model.faces) {
    if (!(index >= 0 && index < v)) throw new ValidationError(`expected FLAME face indices in [0, ${v}), received ${index}`);
  }
}
