/**
 * The heart of every later stage: local Gaussians rigged to a posed FLAME head, rendered from
 * a camera. FLAME forward -> triangle frames -> rigging -> rasterization, in one native call.
 *
 * @module
 */

import { ValidationError } from '../errors.js';
import { Flame, type FlameParams } from '../flame/flame.js';
import { describeValue, requireAbortSignal } from '../validate.js';
import { native } from '../native.js';
import { awaitNative, throwIfAborted, toNdarray } from '../ops.js';
import { avatarGaussiansInput, type AvatarGaussians } from '../rig/local-gaussians.js';
import { rasterSettingsInput, type RasterizeOptions, type RasterizeResult } from './rasterize.js';
import type { NdArray } from 'ndarray';

/** What to render: a head model, one frame of its parameters, and the Gaussians on it. */
export interface RenderHeadInput {
  /** The head model's forward pass. */
  flame: Flame;
  /** One frame: vectors ([D]) or a batch of one ([1, D]). */
  params: FlameParams;
  /** The Gaussians bound to the mesh (local frames and their faces). */
  gaussians: AvatarGaussians;
}

/**
 * Renders rigged Gaussians on a posed FLAME head.
 *
 * @returns The rasterizer's outputs and the posed vertices [V, 3].
 */
export async function renderHead(
  input: RenderHeadInput,
  options: RasterizeOptions,
): Promise<
  RasterizeResult & {
    /** The posed mesh's vertices, [V, 3]. */
    vertices: NdArray<Float32Array>;
  }
> {
  if (typeof options !== 'object' || options === null) throw new ValidationError(`expected options to be an object with at least a camera, received ${describeValue(options)}`);
  throwIfAborted(requireAbortSignal('options.signal', options.signal));
  if (typeof input !== 'object' || input === null) throw new ValidationError(`expected input to be an object {flame, params, gaussians}, received ${describeValue(input)}`);
  if (!(input.flame instanceof Flame)) throw new ValidationError(`expected input.flame to be a Flame (Flame.from(model)), received ${describeValue(input.flame)}`);
  const { flame } = input;
  const gaussians = avatarGaussiansInput(input.gaussians, flame.faceCount);
  const raw = await awaitNative(
    native().renderHead({
      model: flame.nativeModel(),
      params: flame.nativeParams(input.params),
      gaussians,
      ...rasterSettingsInput(options),
    }),
    options.signal,
  );
  return {
    image: toNdarray(raw.image),
    alpha: toNdarray(raw.alpha),
    depth: toNdarray(raw.depth),
    radii: toNdarray<Int32Array>(raw.radii),
    vertices: toNdarray(raw.vertices),
  };
}
