/**
 * Sizes of the avatar networks (GGTalker §3.3-3.4) and their defaults.
 *
 * @module
 */

import { ValidationError } from '../errors.js';
import { describeValue } from '../validate.js';

/** The Identity-Gaussian Generator: image_size² RGB -> uv_size² x 14 map. */
export interface GeneratorConfig {
  /** Input image size (square). Default 512. */
  imageSize: number;
  /** Output UV map size (square). Default 128. */
  uvSize: number;
  /** Encoder output grid; imageSize and uvSize are latentSize · 2^k. Default 8. */
  latentSize: number;
  /** First encoder width (doubles per level). Default 32. */
  channels: number;
  /** Widest layer. Default 256. */
  maxChannels: number;
}

/** The colour MLP: (SH0, expression + jaw + rotation + neck) -> SH0. */
export interface ColorMlpConfig {
  hidden: number;
  layers: number;
}

/** The body inpainter U-Net. */
export interface InpainterConfig {
  /** First level width. Default 16. */
  channels: number;
  /** Levels (image sides divisible by 2^levels). Default 3. */
  levels: number;
}

export const DEFAULT_GENERATOR: Readonly<GeneratorConfig> = Object.freeze({ imageSize: 512, uvSize: 128, latentSize: 8, channels: 32, maxChannels: 256 });
export const DEFAULT_COLOR_MLP: Readonly<ColorMlpConfig> = Object.freeze({ hidden: 64, layers: 2 });
export const DEFAULT_INPAINTER: Readonly<InpainterConfig> = Object.freeze({ channels: 16, levels: 3 });

/** `partial` over `defaults`, every value a positive integer. */
export function resolveSizes<T extends object>(what: string, defaults: Readonly<T>, partial: Partial<T> | undefined): T {
  const out = { ...defaults, ...(partial ?? {}) } as T;
  for (const [key, value] of Object.entries(out)) {
    if (!(key in defaults)) throw new ValidationError(`unknown ${what} key "${key}" (known: ${Object.keys(defaults).join(', ')})`);
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
      throw new ValidationError(`expected ${what}.${key} to be a positive integer, received ${describeValue(value)}`);
    }
  }
  return out;
}
