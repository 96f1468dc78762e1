/**
 * The image-size limit every renderer shares: native buffers scale with width × height, so a
 * camera of 16384² would ask for gigabytes before any check in C++ could answer.
 *
 * @module
 */

import { ValidationError } from '../errors.js';
import { requirePositiveInt } from '../validate.js';

/** Default most pixels (width × height) one render call may produce: 4096 × 4096. */
export const DEFAULT_MAX_PIXELS = 4096 * 4096;

/**
 * Requires `width × height` within `maxPixels` (default {@link DEFAULT_MAX_PIXELS}).
 *
 * @param camera - The image size.
 * @param maxPixels - The caller's limit, or undefined for the default.
 * @param bytesPerPixel - Roughly what one pixel costs in that renderer, for the message.
 * @throws {@link ValidationError} naming the limit, the size and how to raise it.
 */
export function requirePixelBudget(camera: { width: number; height: number }, maxPixels: unknown, bytesPerPixel: number): void {
  const limit = maxPixels === undefined ? DEFAULT_MAX_PIXELS : requirePositiveInt('maxPixels', maxPixels);
  const pixels = camera.width * camera.height;
  if (pixels > limit) {
    throw new ValidationError(
      `expected camera.width x camera.height to be at most maxPixels = ${limit} pixels, received ${camera.width} x ${camera.height} = ${pixels}; ` +
        `pass a larger maxPixels if the machine has the memory (about ${bytesPerPixel} bytes per pixel), or render the image in tiles`,
    );
  }
}
