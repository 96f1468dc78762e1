/**
 * Native tensor handles: data that stays inside LibTorch between calls (on the CPU or a CUDA
 * device), with autograd. JS holds only the handle; the memory is released when the handle
 * is garbage-collected, or at once by {@link Tensor.dispose}.
 *
 * @module
 */

import ndarray from 'ndarray';
import type { NdArray } from 'ndarray';

import { optionalOptions } from './arguments.js';
import { requireDevice } from './backends.js';
import { ValidationError } from './errors.js';
import { native, toGgtalkerError, type NativeTensor, type RawArray } from './native.js';
import { describeValue, toFloat32Tensor, type ArrayLike } from './validate.js';

/** Options of {@link Tensor.from}. */
export interface TensorOptions {
  /** Track gradients of computations that use this tensor (float tensors only). */
  requiresGrad?: boolean;
  /** Where the data lives: `'cpu'` (default), `'cuda'`, `'cuda:N'` or `'auto'` (CUDA when available). */
  device?: string;
}

/** A LibTorch tensor owned by JS. */
export class Tensor {
  /** @internal */
  readonly handle: NativeTensor;

  private constructor(handle: NativeTensor) {
    this.handle = handle;
  }

  /**
   * Copies a float32 array (ndarray or `{data, shape}`, any strides) into a new tensor.
   *
   * @throws {@link ValidationError} for non-float32 or non-finite data.
   */
  static from(value: ArrayLike, options: TensorOptions = {}): Tensor {
    options = optionalOptions('Tensor.from', options);
    const shape = typeof value === 'object' && value !== null ? (value as { shape?: unknown }).shape : undefined;
    const expected = Array.isArray(shape) ? (shape as number[]) : [];
    const t = toFloat32Tensor('tensor data', value, expected);
    const device = options.device === undefined ? undefined : requireDevice(options.device);
    const nativeOptions = { ...(options.requiresGrad !== undefined ? { requiresGrad: options.requiresGrad } : {}), ...(device ? { device } : {}) };
    return nativeCall(() => new Tensor(native().Tensor.fromArray(t.data, t.shape, nativeOptions)));
  }

  /** @internal Wraps a handle returned by the addon. */
  static wrap(handle: NativeTensor): Tensor {
    return new Tensor(handle);
  }

  /**
   * Releases this handle's data now rather than when the handle is garbage-collected (a loop
   * of renders or training steps otherwise holds every result until V8 collects, and takes
   * fresh memory meanwhile). Memory shared with something still alive (a view from
   * {@link Tensor.select}, an autograd graph that saved this tensor, native work in flight)
   * stays until that lets go. Any later use of this handle is a {@link ValidationError};
   * disposing twice does nothing.
   */
  dispose(): void {
    this.handle.dispose();
  }

  /** Whether {@link Tensor.dispose} was called. */
  get disposed(): boolean {
    return this.handle.disposed;
  }

  /** @internal The handle for a native call, after checking it was not disposed. */
  live(name: string): NativeTensor {
    if (this.handle.disposed) throw new ValidationError(`expected ${name} to be a live tensor, received one that was disposed (Tensor.dispose())`);
    return this.handle;
  }

  /** Size of each dimension. */
  get shape(): number[] {
    return this.live('this tensor').shape;
  }

  /** Element type, e.g. `'float32'`. */
  get dtype(): string {
    return this.live('this tensor').dtype;
  }

  /** Device, e.g. `'cpu'` or `'cuda:0'`. */
  get device(): string {
    return this.live('this tensor').device;
  }

  /** Whether gradients flow to this tensor. */
  get requiresGrad(): boolean {
    return this.live('this tensor').requiresGrad;
  }

  /** Turns gradient tracking on or off. */
  set requiresGrad(value: boolean) {
    const handle = this.live('this tensor');
    nativeCall(() => {
      handle.requiresGrad = value;
    });
  }

  /** Gradient accumulated by {@link Tensor.backward}, or null. */
  get grad(): Tensor | null {
    const g = this.live('this tensor').grad;
    return g === null ? null : new Tensor(g);
  }

  /** A copy of the data as an ndarray (float32 stays float32, int32 stays int32). */
  toNdarray(): NdArray<Float32Array | Float64Array | Int32Array> {
    const handle = this.live('this tensor');
    const raw = nativeCall(() => handle.toArray());
    return ndarray(raw.data, raw.shape);
  }

  /** This tensor on another device (`'cpu'`, `'cuda'`, `'cuda:N'`, `'auto'`). */
  to(device: string): Tensor {
    const resolved = requireDevice(device);
    const handle = this.live('this tensor');
    return nativeCall(() => new Tensor(handle.to(resolved)));
  }

  /**
   * The slice at `index` along `dim`, one dimension fewer: a view that shares this tensor's
   * memory (no copy), e.g. `means.select(0, t)` is frame t of rigged means [T, N, 3]. Gradients
   * flow through it.
   *
   * @param dim - A dimension in [0, rank).
   * @param index - An index in [0, shape[dim]).
   * @throws {@link ValidationError} for a dimension or index out of range.
   */
  select(dim: number, index: number): Tensor {
    const shape = this.shape;
    if (!Number.isInteger(dim) || dim < 0 || dim >= shape.length) {
      throw new ValidationError(`expected dim to be an integer in [0, ${shape.length}) for a tensor of shape [${shape.join(', ')}], received ${describeValue(dim)}`);
    }
    if (!Number.isInteger(index) || index < 0 || index >= shape[dim]!) {
      throw new ValidationError(`expected index to be an integer in [0, ${shape[dim]}) along dim ${dim} of shape [${shape.join(', ')}], received ${describeValue(index)}`);
    }
    const handle = this.live('this tensor');
    return nativeCall(() => new Tensor(handle.select(dim, index)));
  }

  /**
   * Back-propagates from this tensor through the computation that produced it, accumulating
   * `.grad` on every tensor created with `requiresGrad`. Runs off the JS thread.
   *
   * @param grad - dL/d(this), same shape; omit for a single-element tensor (dL/dthis = 1).
   */
  async backward(grad?: ArrayLike | Tensor): Promise<void> {
    const handle = this.live('this tensor');
    let g: RawArray | NativeTensor | undefined;
    if (grad instanceof Tensor) g = grad.live('grad');
    else if (grad !== undefined) g = toFloat32Tensor('grad', grad, this.shape);
    else if (this.shape.reduce((a, b) => a * b, 1) !== 1) {
      throw new ValidationError(`backward() on a tensor of shape [${this.shape.join(', ')}] needs grad of the same shape`);
    }
    await nativeAsync(handle.backward(g));
  }
}

/**
 * Runs a synchronous addon call, turning native failures into NativeError (instance methods
 * of handles: the addon's functions and classes are already guarded in native.ts).
 */
export function nativeCall<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw toGgtalkerError(e);
  }
}

/** Awaits an addon Promise, turning native failures into NativeError. */
export async function nativeAsync<T>(promise: Promise<T>): Promise<T> {
  try {
    return await promise;
  } catch (e) {
    throw toGgtalkerError(e);
  }
}
