/**
 * Image quality of a head renderer on an identity's held-out frames (front camera, timesteps not
 * trained on) and novel views (cameras never trained on): PSNR and SSIM (lib/eval) of the head
 * rendered over black against the frame's head (image × foreground mask), weighted by the mask
 * grown by {@link MASK_GROWTH} pixels, so a head drawn too large or too small is counted too.
 *
 * @module
 */

import ndarray from 'ndarray';

import type { Avatar } from '../../avatar/avatar.js';
import type { AvatarFrame } from '../../avatar/frames.js';
import { psnr, ssim } from '../image-metrics.js';
import type { Lpips } from '../lpips.js';

export const MASK_GROWTH = 2;

export interface ViewScores {
  psnr: number;
  ssim: number;
  /** With LPIPS weights only (lower is better). */
  lpips?: number;
  frames: number;
}

/** Held-out front frames and novel views. */
export interface ImageScores {
  heldOut: ViewScores;
  novel: ViewScores;
}

/** Renders one frame's head over black, [H, W, 3] flattened. */
export type HeadRenderer = (frame: AvatarFrame) => Promise<Float32Array>;

/** The mask [H, W] grown by r pixels (max filter). */
function grow(mask: Float32Array, width: number, height: number, r: number): Float32Array {
  const out = new Float32Array(mask.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let m = 0;
      for (let dy = -r; dy <= r; dy++) for (let dx = -r; dx <= r; dx++) {
        const yy = y + dy;
        const xx = x + dx;
        if (yy >= 0 && yy < height && xx >= 0 && xx < width) m = Math.max(m, mask[yy * width + xx]!);
      }
      out[y * width + x] = m;
    }
  }
  return out;
}

async function scoreFrames(frames: AvatarFrame[], render: HeadRenderer, lpips?: Lpips): Promise<ViewScores> {
  let p = 0;
  let s = 0;
  let l = 0;
  for (const f of frames) {
    const [height, width] = f.image.shape as [number, number];
    const mask = f.mask!.data;
    const truth = Float32Array.from(f.image.data, (v, i) => v * mask[Math.floor(i / 3)]!);
    const weight = grow(mask, width, height, MASK_GROWTH);
    const pred = await render(f);
    p += psnr(pred, truth, { mask: weight });
    s += ssim(pred, truth, width, height, { mask: weight });
    // LPIPS on the whole frame (it has no mask): both heads over black.
    if (lpips) l += await lpips.distance(pred, truth, width, height);
  }
  const n = frames.length;
  return { psnr: p / n, ssim: s / n, ...(lpips ? { lpips: l / n } : {}), frames: n };
}

/**
 * Scores `render` on the held-out frames of `frames` (split other than train): camera 0 (the
 * training camera) and the others (novel views), each frame rendered with its own FLAME
 * parameters and camera.
 */
export async function scoreHeldOut(frames: readonly AvatarFrame[], render: HeadRenderer, lpips?: Lpips): Promise<ImageScores> {
  const held = frames.filter((f) => (f.split ?? 'train') !== 'train');
  return {
    heldOut: await scoreFrames(held.filter((f) => (f.cameraIndex ?? 0) === 0), render, lpips),
    novel: await scoreFrames(held.filter((f) => (f.cameraIndex ?? 0) !== 0), render, lpips),
  };
}

/** An adapted avatar as a {@link HeadRenderer} (its own tracked FLAME shape; the frame's parameters and camera). */
export function avatarRenderer(avatar: Avatar): HeadRenderer {
  return async (f) => {
    const { width, height } = f.camera;
    const black = ndarray(new Float32Array(width * height * 3), [height, width, 3]);
    return (await avatar.render({ frames: [f.flame], camera: f.camera, background: black })).frames.data;
  };
}
