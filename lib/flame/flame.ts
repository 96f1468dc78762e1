/**
 * The FLAME head model, posed: shape and expression blendshapes, pose correctives and linear
 * blend skinning, batched over frames and differentiable (native LibTorch ops).
 *
 * @module
 */

import type { NdArray } from 'ndarray';

import { ValidationError } from '../errors.js';
import { native, type NativeTensor } from '../native.js';
import { awaitNative, toNdarray } from '../ops.js';
import { toFloat32Tensor, type ArrayLike, type Dims } from '../validate.js';
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

/** Weights of the outputs in the loss whose gradient {@link Flame.forwardWithGradients} returns. */
export interface FlameOutputGrads {
  vertices?: ArrayLike;
  joints?: ArrayLike;
  landmarks?: ArrayLike;
}

const PARAM_WIDTHS = { rotation: 3, neck: 3, jaw: 3, eyes: 6, translation: 3 } as const;

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
   * @throws {@link ValidationError} when the model's arrays disagree with its counts.
   */
  static from(model: FlameModel, options: { device?: string } = {}): Flame {
    checkModel(model);
    return new Flame(model, options.device);
  }

  /** Triangles, [F, 3]. */
  get faceCount(): number {
    return this.model.faces.length / 3;
  }

  /** @internal The model as the addon's `model` input. */
  nativeModel(): Record<string, unknown> {
    return { ...this.tensors, parents: Array.from(this.model.parents) };
  }

  /** @internal Validated parameters as the addon's `params` input. */
  nativeParams(params: FlameParams): Record<string, unknown> {
    if (typeof params !== 'object' || params === null) throw new ValidationError('expected FLAME params to be an object');
    const dims: Dims = {};
    const out: Record<string, unknown> = {};
    const { vertexCount: v, shapeCount: s, exprCount: e } = this.model;
    const widths: Record<string, number> = { shape: s, expr: e, ...PARAM_WIDTHS };
    for (const [name, width] of Object.entries(widths)) {
      const value = params[name as keyof FlameParams];
      if (value !== undefined) out[name] = frameParam(name, value, [width], dims);
    }
    if (params.staticOffset !== undefined) out.staticOffset = frameParam('staticOffset', params.staticOffset, [v, 3], dims);
    return out;
  }

  /** Poses the model for every frame of `params`. */
  async forward(params: FlameParams, options: { signal?: AbortSignal } = {}): Promise<FlameOutput> {
    const raw = await awaitNative(
      native().flameForward({ model: this.nativeModel(), params: this.nativeParams(params), ...this.deviceOption() }),
      options.signal,
    );
    return flameOutput(raw);
  }

  /**
   * Poses the model and back-propagates L = Σ vertices·W_v + Σ joints·W_j + Σ landmarks·W_l
   * to every parameter given. `grads` mirrors `params` (only those given).
   */
  async forwardWithGradients(
    params: FlameParams,
    options: { outputGrads: FlameOutputGrads; signal?: AbortSignal },
  ): Promise<FlameOutput & { grads: Record<keyof FlameParams, NdArray<Float32Array>> }> {
    const outputGrads: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(options.outputGrads)) {
      if (value !== undefined) outputGrads[name] = toFloat32Tensor(`outputGrads.${name}`, value, [(value as ArrayLike).shape].flat() as number[]);
    }
    const raw = await awaitNative(
      native().flameForward({ model: this.nativeModel(), params: this.nativeParams(params), outputGrads, ...this.deviceOption() }),
      options.signal,
    );
    const grads = {} as Record<keyof FlameParams, NdArray<Float32Array>>;
    for (const [name, g] of Object.entries(raw.grads?.params ?? {})) grads[name as keyof FlameParams] = toNdarray(g as never);
    return { ...flameOutput(raw), grads };
  }

  private deviceOption(): { device?: string } {
    return this.device ? { device: this.device } : {};
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function flameOutput(raw: Record<string, any>): FlameOutput {
  return {
    vertices: toNdarray(raw.vertices),
    joints: toNdarray(raw.joints),
    ...(raw.landmarks ? { landmarks: toNdarray(raw.landmarks) } : {}),
  };
}

/** A parameter given for all frames ([...inner]) or per frame ([T, ...inner]). */
function frameParam(name: string, value: ArrayLike, inner: number[], dims: Dims) {
  const rank = Array.isArray((value as { shape?: unknown }).shape) ? value.shape.length : -1;
  return toFloat32Tensor(name, value, rank === inner.length + 1 ? ['T', ...inner] : inner, dims);
}

/** Checks that a model's arrays match its declared counts. */
export function checkModel(model: FlameModel): void {
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
