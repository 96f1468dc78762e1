/**
 * LPIPS (Zhang et al. 2018), version 0.1, computed natively (native/eval/lpips.cpp) with the
 * user's weights: AlexNet or VGG-16 features (torchvision's names) plus the five learned 1×1
 * "lin" layers of the `lpips` package. None ship with ggtalker.
 *
 * Weight files: safetensors, float32 (float16/bfloat16 are widened on reading), holding
 * - the backbone as torchvision names it: `features.0.weight`, `features.0.bias`, … (AlexNet:
 *   convs 0, 3, 6, 8, 10; VGG-16: convs 0 … 28), and
 * - `lin0.model.1.weight` … `lin4.model.1.weight` ([1, C, 1, 1]), as in the `lpips` package's
 *   weights (`lpips/weights/v0.1/alex.pth`, `vgg.pth`).
 * Names from a whole `lpips.LPIPS` state dict are also understood: `net.sliceK.N.weight` is
 * torchvision's `features.N.weight` (the package keeps torchvision's layer indices inside its
 * slices), `lins.K.*` is `linK.*`, and the `scaling_layer.*` buffers are ignored (the shift and
 * scale are fixed constants). One way to make such a file:
 * ```python
 * import lpips, torch, safetensors.torch
 * m = lpips.LPIPS(net='alex')   # or 'vgg'
 * safetensors.torch.save_file({k: v.contiguous() for k, v in m.state_dict().items()}, 'lpips_alex.safetensors')
 * ```
 *
 * Inputs are [H, W, 3] images in [0, 1] (the package's `normalize=True`); the distance is the
 * package's spatially averaged one (`spatial=False`).
 *
 * @module
 */

import { optionalOptions, requirePath } from '../arguments.js';
import { requireDevice } from '../backends.js';
import { FormatError, NativeError, ValidationError } from '../errors.js';
import { readSafetensors } from '../io/safetensors.js';
import type { NdArrayData } from '../io/ndarray-data.js';
import { native, type NativeTensor } from '../native.js';
import { nativeAsync } from '../tensor.js';
import { arrayToHandle } from '../a2e/native-params.js';
import { describeValue, requireFinite, requireNetworkPixels } from '../validate.js';

/** The backbone LPIPS runs on. */
export type LpipsNetwork = 'alex' | 'vgg';

/** Options of {@link Lpips.load}. */
export interface LpipsLoadOptions {
  /** Backbone of the weights; default 'alex' (the package's default and the usual LPIPS). */
  network?: LpipsNetwork;
  /** Where distances are computed: 'cpu' (default), 'cuda' or 'cuda:N'. */
  device?: string;
}

/** Maps the names a weights file may use onto the native ones (`features.N.*`, `linK.model.1.weight`); undefined: not a weight. */
function canonicalName(name: string): string | undefined {
  const n = name.replace(/^(lpips\.|module\.)/, '');
  let m = /^net\.slice\d+\.(\d+)\.(weight|bias)$/.exec(n);
  if (m) return `features.${m[1]}.${m[2]}`;
  m = /^lins\.(\d+)\.model\.1\.weight$/.exec(n);
  if (m) return `lin${m[1]}.model.1.weight`;
  m = /^(?:(?:net|alex|alexnet|vgg|vgg16)\.)?(features\.\d+\.(?:weight|bias)|lin\d\.model\.1\.weight)$/.exec(n);
  return m ? m[1] : undefined;
}

/** A loaded LPIPS metric: weights held natively, distances computed off the JS thread. */
export class Lpips {
  /** The backbone the weights are for. */
  readonly network: LpipsNetwork;
  private readonly params: Map<string, NativeTensor>;
  private readonly device: string;

  private constructor(network: LpipsNetwork, params: Map<string, NativeTensor>, device: string) {
    this.network = network;
    this.params = params;
    this.device = device;
  }

  /**
   * Reads LPIPS weights from a safetensors file (see the module documentation for the names).
   *
   * @throws {@link ValidationError} for an unknown network; {@link FormatError} when the file
   *   lacks a weight or holds one of the wrong shape for the network (the message names it).
   */
  static async load(path: string, options: LpipsLoadOptions = {}): Promise<Lpips> {
    requirePath('Lpips.load', path);
    options = optionalOptions('Lpips.load', options);
    const file = await readSafetensors(path);
    return Lpips.fromTensors(file.tensors, options, path);
  }

  /**
   * Builds the metric from tensors already in memory (names as in a weights file).
   *
   * @param path - Where they came from, for messages.
   * @throws as {@link Lpips.load} does (FormatError for missing or misshapen weights).
   */
  static async fromTensors(tensors: ReadonlyMap<string, NdArrayData>, options: LpipsLoadOptions = {}, path?: string): Promise<Lpips> {
    if (!(tensors instanceof Map)) throw new ValidationError(`Lpips.fromTensors: expected tensors to be a Map of name to array (as readSafetensors returns in .tensors), received ${describeValue(tensors)}`);
    options = optionalOptions('Lpips.fromTensors', options);
    const network = options.network ?? 'alex';
    if (network !== 'alex' && network !== 'vgg') throw new ValidationError(`expected options.network to be 'alex' or 'vgg', received ${String(network)}`);
    const device = options.device === undefined ? 'cpu' : requireDevice(options.device);
    const params = new Map<string, NativeTensor>();
    for (const [name, v] of tensors) {
      const key = canonicalName(name);
      if (key === undefined || params.has(key)) continue;
      if (typeof v !== 'object' || v === null) throw new ValidationError(`Lpips.fromTensors: expected tensors.get(${JSON.stringify(name)}) to be an array {dtype, data, shape}, received ${describeValue(v)}`);
      if (v.dtype !== 'float32') throw new FormatError(`expected ${name} to be float32 (or float16/bfloat16), received ${v.dtype}`, { path });
      if (!(v.data instanceof Float32Array)) throw new ValidationError(`Lpips.fromTensors: expected tensors.get(${JSON.stringify(name)}).data to be a Float32Array (dtype float32), received ${describeValue(v.data)}`);
      params.set(key, arrayToHandle({ data: v.data, shape: v.shape }));
    }
    try {
      // Checks every weight's presence and shape for the network (native/eval/lpips.cpp: lpips_check).
      await nativeAsync(native().lpipsDistance({ network, weights: Object.fromEntries(params) }));
    } catch (e) {
      if (e instanceof NativeError) throw new FormatError(`not ${network === 'alex' ? 'AlexNet' : 'VGG-16'} LPIPS weights: ${e.message}`, { path, cause: e });
      throw e;
    }
    return new Lpips(network, params, device);
  }

  /**
   * LPIPS distance of two [H, W, 3] images in [0, 1] (lower is more similar; 0 for identical images).
   *
   * @throws {@link ValidationError} for arrays that are not [H, W, 3] of the given size.
   */
  async distance(a: Float32Array, b: Float32Array, width: number, height: number): Promise<number> {
    const d = await this.distances([a], [b], width, height);
    return d[0]!;
  }

  /**
   * Distances of image pairs (each [H, W, 3] in [0, 1]), in one native call: [B].
   *
   * @param options.maxPixels - The most pixels (pairs × height × width) one call may take,
   *   default 2^22 (2048²); more is refused with a ValidationError (pass fewer pairs per call).
   */
  async distances(a: readonly Float32Array[], b: readonly Float32Array[], width: number, height: number, options: { maxPixels?: number } = {}): Promise<Float64Array> {
    if (!Number.isSafeInteger(width) || !Number.isSafeInteger(height) || width <= 0 || height <= 0)
      throw new ValidationError(`expected width and height to be positive integers, received ${describeValue(width)} × ${describeValue(height)}`);
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length || a.length === 0)
      throw new ValidationError(`expected as many images in a as in b (at least one), received ${describeValue(a)} and ${describeValue(b)}`);
    const size = width * height;
    // Every image is checked before anything is allocated: the buffer below is sized by
    // width × height, which must therefore be backed by images that exist.
    const check = (imgs: readonly Float32Array[], name: string): void =>
      imgs.forEach((img, i) => {
        if (!(img instanceof Float32Array) || img.length !== 3 * size)
          throw new ValidationError(`expected ${name}[${i}] to be a Float32Array [${height}, ${width}, 3] (length ${3 * size}), received ${describeValue(img)}`);
        requireFinite(`${name}[${i}]`, img);
      });
    check(a, 'a');
    check(b, 'b');
    // Backbone activations per pixel are many times the image: a stated limit (default 2048²).
    requireNetworkPixels('LPIPS', a.length, height, width, options.maxPixels);
    const planar = (imgs: readonly Float32Array[]): Float32Array => {
      const out = new Float32Array(imgs.length * 3 * size); // [B, 3, H, W]
      imgs.forEach((img, i) => {
        for (let p = 0; p < size; p++) for (let c = 0; c < 3; c++) out[(i * 3 + c) * size + p] = img[3 * p + c]!;
      });
      return out;
    };
    const shape = [a.length, 3, height, width];
    const raw = await nativeAsync(
      native().lpipsDistance({
        network: this.network,
        weights: Object.fromEntries(this.params),
        a: { data: planar(a), shape },
        b: { data: planar(b), shape },
        device: this.device,
      }),
    );
    return Float64Array.from(raw.distance.data as Float32Array);
  }
}
