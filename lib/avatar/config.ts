/**
 * Sizes of the avatar networks (GGTalker §3.3-3.4) and their defaults.
 *
 * @module
 */

import { FormatError, ValidationError } from '../errors.js';
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
  /** Hidden width of the colour MLP. */
  hidden: number;
  /** Hidden layers of the colour MLP. */
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

/**
 * The accepted range of every size, inclusive. The upper bounds keep one network's weights to
 * a few hundred MB (a 3×3 convolution of 1024 -> 1024 channels is 38 MB; a colour MLP of 16
 * layers of 1024 is 64 MB); they are far above the defaults and the paper's sizes. The
 * inpainter's widest level, channels · 2^levels, is also at most {@link MAX_INPAINTER_WIDTH}.
 */
export const CONFIG_RANGES: Readonly<Record<'generator' | 'color' | 'inpainter', Readonly<Record<string, readonly [number, number]>>>> = Object.freeze({
  generator: { imageSize: [2, 2048], uvSize: [1, 1024], latentSize: [1, 256], channels: [1, 512], maxChannels: [1, 1024] },
  color: { hidden: [1, 1024], layers: [1, 16] },
  inpainter: { channels: [1, 256], levels: [1, 6] },
});

/** The inpainter's widest level (channels · 2^levels) at most. */
export const MAX_INPAINTER_WIDTH = 1024;

/** Where a config came from: a file (errors are FormatErrors naming it) or the caller. */
export interface ConfigSource {
  /** The file the config was read from. */
  path?: string;
}

/**
 * `partial` over `defaults`: every key known, every value an integer within
 * {@link CONFIG_RANGES}, and the sizes consistent with each other (a generator's imageSize and
 * uvSize are latentSize times a power of two, imageSize > latentSize, channels <= maxChannels;
 * an inpainter's channels · 2^levels <= 1024),
 * checked here so that no bad config reaches the native code.
 *
 * @throws {@link ValidationError} naming the field and its range (a {@link FormatError} naming
 *   the file too when `source.path` is given).
 */
export function resolveSizes<T extends object>(what: 'generator' | 'color' | 'inpainter', defaults: Readonly<T>, partial: Partial<T> | undefined, source: ConfigSource = {}): T {
  const fail = (message: string): Error => (source.path === undefined ? new ValidationError(message) : new FormatError(`config: ${message}`, { path: source.path }));
  if (partial !== undefined && (typeof partial !== 'object' || partial === null || Array.isArray(partial))) {
    throw fail(`expected the ${what} config to be an object, received ${describeValue(partial)}`);
  }
  // A key given as undefined keeps its default, as an omitted one does.
  const given = Object.fromEntries(Object.entries(partial ?? {}).filter(([, v]) => v !== undefined));
  const out = { ...defaults, ...given } as T;
  const ranges = CONFIG_RANGES[what];
  for (const [key, value] of Object.entries(out)) {
    if (!(key in defaults)) throw fail(`unknown ${what} key "${key}" (known: ${Object.keys(defaults).join(', ')})`);
    const [min, max] = ranges[key] ?? [1, Number.MAX_SAFE_INTEGER];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      throw fail(`expected ${what}.${key} to be an integer in [${min}, ${max}], received ${describeValue(value)}`);
    }
  }
  if (what === 'generator') {
    const g = out as unknown as GeneratorConfig;
    for (const key of ['imageSize', 'uvSize'] as const) {
      if (!isPowerOfTwoMultiple(g[key], g.latentSize)) {
        throw fail(`expected generator.${key} to be latentSize (${g.latentSize}) times a power of two, received ${g[key]}`);
      }
    }
    if (!(g.imageSize > g.latentSize)) throw fail(`expected generator.imageSize to be greater than latentSize (${g.latentSize}), received ${g.imageSize}`);
    if (g.channels > g.maxChannels) throw fail(`expected generator.channels to be at most maxChannels (${g.maxChannels}), received ${g.channels}`);
  }
  if (what === 'inpainter') {
    const c = out as unknown as InpainterConfig;
    if (c.channels * 2 ** c.levels > MAX_INPAINTER_WIDTH) {
      throw fail(`expected inpainter.channels · 2^levels (its widest level) to be at most ${MAX_INPAINTER_WIDTH}, received ${c.channels} · 2^${c.levels} = ${c.channels * 2 ** c.levels}`);
    }
  }
  return out;
}

/** Whether `value` = `base` · 2^k for some k >= 0. */
function isPowerOfTwoMultiple(value: number, base: number): boolean {
  if (value % base !== 0) return false;
  const ratio = value / base;
  return (ratio & (ratio - 1)) === 0;
}
