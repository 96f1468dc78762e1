/**
 * The Identity-Gaussian Generator G (GGTalker §3.3): one front image -> a UV Gaussian map
 * [uv, uv, 14]. Its weights are named Tensor handles (`gen.*`), trained by
 * {@link trainExpressionVisualPrior} and saved as safetensors with a JSON config.
 *
 * @module
 */

import ndarray from 'ndarray';
import type { NdArray } from 'ndarray';

import { arrayToHandle, flattenNamed, handleToArray, toParamObject } from '../a2e/native-params.js';
import { ValidationError } from '../errors.js';
import { native, type NativeTensor } from '../native.js';
import { nativeAsync } from '../tensor.js';
import { DEFAULT_GENERATOR, resolveSizes, type GeneratorConfig } from './config.js';
import { resizeImage } from './image.js';
import { describeValue, requireNonNegativeInt, toFloat32Tensor } from '../validate.js';
import { loadNetworkFile, saveNetworkFile } from './network-file.js';

const FORMAT = 'ggtalker-generator';

/** The Identity-Gaussian Generator. */
export class IdentityGaussianGenerator {
  /** The generator's sizes. */
  readonly config: Readonly<GeneratorConfig>;
  /** @internal */
  readonly params: Map<string, NativeTensor>;

  private constructor(config: GeneratorConfig, params: Map<string, NativeTensor>) {
    this.config = Object.freeze({ ...config });
    this.params = params;
  }

  /** New weights; `base` (the mean map, e.g. from {@link meshUvMap}) starts the output. */
  static async create(
    options: {
      /** Sizes (default {@link DEFAULT_GENERATOR}). */
      config?: Partial<GeneratorConfig>;
      /** The mean map [uv, uv, 14] its output starts from. */
      base?: NdArray<Float32Array>;
      /** Seed of the initial weights. Default 0. */
      seed?: number;
    } = {},
  ): Promise<IdentityGaussianGenerator> {
    if (typeof options !== 'object' || options === null) throw new ValidationError(`expected options to be an object, received ${describeValue(options)}`);
    const config = resolveSizes('generator', DEFAULT_GENERATOR, options.config);
    const seed = options.seed === undefined ? 0 : requireNonNegativeInt('seed', options.seed);
    // Checked before the native init: a bad base must not cost a network's allocation first.
    const base = options.base === undefined ? undefined : toFloat32Tensor('base', options.base, [config.uvSize, config.uvSize, 14]);
    const raw = await nativeAsync(native().avatarNetInit({ kind: 'generator', config, seed, prefix: 'gen.' }));
    const params = flattenNamed<NativeTensor>(raw);
    if (base) params.set('gen.base', arrayToHandle({ data: Float32Array.from(base.data), shape: base.shape }));
    return new IdentityGaussianGenerator(config, params);
  }

  /** @internal The map for one image [H, W, 3] (resized to imageSize²), as a handle. */
  async generateHandle(image: NdArray<Float32Array>): Promise<NativeTensor> {
    const s = this.config.imageSize;
    const checked = toFloat32Tensor('image', image, ['H', 'W', 3]);
    const input = resizeImage(ndarray(checked.data, checked.shape), s, s);
    const raw = await nativeAsync(native().avatarGenerate({ config: this.config, params: toParamObject(this.params), images: { data: input.data, shape: [1, s, s, 3] } }));
    const m = raw.maps as { data: Float32Array; shape: number[] };
    return arrayToHandle({ data: m.data, shape: m.shape.slice(1) });
  }

  /** The UV Gaussian map [uv, uv, 14] of a front image [H, W, 3] in [0, 1]. */
  async generate(image: NdArray<Float32Array>): Promise<NdArray<Float32Array>> {
    const a = handleToArray(await this.generateHandle(image));
    return ndarray(a.data, a.shape);
  }

  /** Saves as one safetensors file (config in its metadata), atomically. */
  async save(path: string): Promise<void> {
    await saveNetworkFile(path, FORMAT, this.config, this.params);
  }

  /** Loads a generator saved by {@link IdentityGaussianGenerator.save}. */
  static async load(path: string): Promise<IdentityGaussianGenerator> {
    const file = await loadNetworkFile(path, FORMAT, 'an Identity-Gaussian Generator');
    const config = resolveSizes('generator', DEFAULT_GENERATOR, file.config as Partial<GeneratorConfig>, { path });
    const g = new IdentityGaussianGenerator(config, file.params);
    // A run checks every weight's presence and shape (names the first missing one).
    await g.generateHandle(ndarray(new Float32Array(config.imageSize * config.imageSize * 3), [config.imageSize, config.imageSize, 3]));
    return g;
  }
}
