/**
 * Image metrics and losses as the avatar stages compute them (natively): PSNR, SSIM (3DGS's
 * 11×11 Gaussian window), L1, and the VGG-16 perceptual loss when VGG weights are given.
 *
 * VGG weights: a safetensors file with torchvision's `vgg16().features` names
 * (`features.0.weight` … `features.21.bias`; e.g. exported with
 * `safetensors.torch.save_file({k: v for k, v in torchvision.models.vgg16(weights='DEFAULT').features.state_dict().items()}, 'vgg16.safetensors')`
 * and the `features.` prefix added). None ship with ggtalker.
 *
 * @module
 */

import type { NdArray } from 'ndarray';

import { optionalOptions, requirePath } from '../arguments.js';
import { FormatError, ValidationError } from '../errors.js';
import { readSafetensors } from '../io/safetensors.js';
import { native, type NativeTensor } from '../native.js';
import { nativeAsync } from '../tensor.js';
import { arrayToHandle } from '../a2e/native-params.js';
import { describeValue, requireNetworkPixels, toFloat32Tensor, type Dims } from '../validate.js';

/** Loaded VGG-16 feature weights (named Tensor handles). */
export interface VggWeights {
  /** The VGG-16 weights as native tensors, by layer name. */
  params: Map<string, NativeTensor>;
}

/** Reads VGG-16 `features.*` weights from a safetensors file (a `vgg.` or `vgg16.` prefix is dropped). */
export async function loadVggWeights(path: string): Promise<VggWeights> {
  requirePath('loadVggWeights', path);
  const file = await readSafetensors(path);
  const params = new Map<string, NativeTensor>();
  for (const [name, v] of file.tensors) {
    const key = name.replace(/^(vgg16?\.)/, '');
    if (!key.startsWith('features.')) continue;
    if (v.dtype !== 'float32') throw new FormatError(`expected ${name} to be float32, received ${v.dtype}`, { path });
    params.set(key, arrayToHandle(v as { data: Float32Array; shape: number[] }));
  }
  if (!params.has('features.0.weight')) throw new FormatError(`no VGG-16 features.* weights found (expected torchvision's names, e.g. features.0.weight)`, { path });
  return { params };
}

/** Image metrics of two batches [B, 3, H, W] in [0, 1]. */
export async function imageMetrics(
  a: NdArray<Float32Array> | { data: Float32Array; shape: number[] },
  b: NdArray<Float32Array> | { data: Float32Array; shape: number[] },
  options: {
    /** With VGG-16 weights, also the perceptual distance. */
    vgg?: VggWeights;
    /** With `vgg`: the most pixels per batch the VGG loss may hold (default 2048²). */
    maxPixels?: number;
  } = {},
): Promise<{
  /** PSNR of each image pair, dB, [B]. */
  psnr: Float32Array;
  /** Mean SSIM over the batch. */
  ssim: number;
  /** Mean absolute difference. */
  l1: number;
  /** The VGG-16 perceptual distance, with `vgg`. */
  vgg?: number;
}> {
  options = optionalOptions('imageMetrics', options);
  if (options.vgg !== undefined && !(options.vgg?.params instanceof Map))
    throw new ValidationError(`imageMetrics: expected options.vgg to be VggWeights (as loadVggWeights returns), received ${describeValue(options.vgg)}`);
  const dims: Dims = {};
  const x = toFloat32Tensor('a', a, ['B', 3, 'H', 'W'], dims);
  const y = toFloat32Tensor('b', b, ['B', 3, 'H', 'W'], dims);
  // The VGG loss holds 64-channel activations per pixel: a stated limit (maxPixels, default 2048²).
  if (options.vgg) requireNetworkPixels('the VGG loss', dims.B!, dims.H!, dims.W!, options.maxPixels);
  const raw = await nativeAsync(native().imageLosses({ a: x, b: y, ...(options.vgg ? { weights: Object.fromEntries(options.vgg.params) } : {}) }));
  return {
    psnr: raw.psnr.data as Float32Array,
    ssim: raw.ssim.data[0] as number,
    l1: raw.l1.data[0] as number,
    ...(raw.vgg ? { vgg: raw.vgg.data[0] as number } : {}),
  };
}
