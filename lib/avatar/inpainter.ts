/**
 * The body inpainter (GGTalker §3.4): a small U-Net from the rendered head and the frame with
 * a dilated head region removed to the final frame. Pre-trained with the Expression-Visual
 * prior, fine-tuned per identity by {@link adapt}.
 *
 * @module
 */

import { flattenNamed } from '../a2e/native-params.js';
import { native, type NativeTensor } from '../native.js';
import { ValidationError } from '../errors.js';
import { nativeAsync } from '../tensor.js';
import { describeValue, requireNonNegativeInt } from '../validate.js';
import { DEFAULT_INPAINTER, resolveSizes, type InpainterConfig } from './config.js';
import { loadNetworkFile, saveNetworkFile } from './network-file.js';

const FORMAT = 'ggtalker-inpainter';

/** The body inpainter's weights (`inpaint.*`). */
export class BodyInpainter {
  /** The inpainter's sizes. */
  readonly config: Readonly<InpainterConfig>;
  /** @internal */
  readonly params: Map<string, NativeTensor>;

  /** @internal */
  constructor(config: InpainterConfig, params: Map<string, NativeTensor>) {
    this.config = Object.freeze({ ...config });
    this.params = params;
  }

  /** New weights (it starts as the plain alpha composite: its output layer is zero). */
  static async create(
    options: {
      /** Sizes (default {@link DEFAULT_INPAINTER}). */
      config?: Partial<InpainterConfig>;
      /** Seed of the initial weights. Default 0. */
      seed?: number;
    } = {},
  ): Promise<BodyInpainter> {
    if (typeof options !== 'object' || options === null) throw new ValidationError(`expected options to be an object, received ${describeValue(options)}`);
    const config = resolveSizes('inpainter', DEFAULT_INPAINTER, options.config);
    const seed = options.seed === undefined ? 0 : requireNonNegativeInt('seed', options.seed);
    const raw = await nativeAsync(native().avatarNetInit({ kind: 'inpainter', config, seed, prefix: 'inpaint.' }));
    return new BodyInpainter(config, flattenNamed<NativeTensor>(raw));
  }

  /** Saves as one safetensors file (config in its metadata), atomically. */
  async save(path: string): Promise<void> {
    await saveNetworkFile(path, FORMAT, this.config, this.params);
  }

  /** Loads an inpainter saved by {@link BodyInpainter.save}. */
  static async load(path: string): Promise<BodyInpainter> {
    const file = await loadNetworkFile(path, FORMAT, 'a body inpainter');
    return new BodyInpainter(resolveSizes('inpainter', DEFAULT_INPAINTER, file.config as Partial<InpainterConfig>, { path }), file.params);
  }
}
