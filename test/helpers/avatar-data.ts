// A small synthetic identity for the avatar tests: the procedural head's geometry (seed 0, so
// every identity shares one FLAME model) with colours drawn from the seed — a palette (skin
// tone, hair, lips, irises) as the procedural head draws it, a skin tint and a sinusoidal
// pattern of seeded frequency, phase and amplitude — posed with seeded expressions, jaw and
// head rotations, rendered from a front camera (train frames and held-out frames) and a side
// camera (novel views). Poses and colours come from separate streams of the seed. Ground truth
// is the renderer's own output over black, with its alpha as the mask.
import ndarray from 'ndarray';

import { Flame, gaussiansOnMesh, lookAt, makeProceduralHead, renderHead, type AvatarFrame, type Camera, type FlameModel } from '../../lib/index.js';
import { rng } from './scene.js';

export interface SyntheticIdentity {
  model: FlameModel;
  frames: AvatarFrame[];
  trueColors: Float32Array;
}

export async function syntheticIdentity(options: { size?: number; train?: number; heldOut?: number; side?: number; seed?: number; background?: boolean } = {}): Promise<SyntheticIdentity> {
  const size = options.size ?? 128;
  const head = makeProceduralHead({ seed: 0 });
  const model = head.model;
  const flame = Flame.from(model);
  const seed = options.seed ?? 3;
  const r = rng(seed);
  const colors = identityColors(model, seed);
  const gaussians = gaussiansOnMesh(model, colors);
  const f = size * (1100 / 512);
  const camera = (eye: [number, number, number]): Camera => ({ view: lookAt(eye, [0, 0.01, 0], [0, 1, 0]), fx: f, fy: f, cx: size / 2, cy: size / 2, width: size, height: size });
  const front = camera([0, 0.02, 0.75]);
  const side = camera([0.75 * Math.sin(0.5), 0.02, 0.75 * Math.cos(0.5)]);
  const E = model.exprCount;
  const frames: AvatarFrame[] = [];
  const make = async (cam: Camera, split: AvatarFrame['split'], cameraIndex: number, timestep: number) => {
    const expr = Float32Array.from({ length: E }, (_, k) => (k < 6 ? (r() - 0.3) * 0.8 : 0));
    const jaw = Float32Array.of(r() * 0.25, 0, 0);
    const rotation = Float32Array.of((r() - 0.5) * 0.2, (r() - 0.5) * 0.3, (r() - 0.5) * 0.1);
    const params = { expr: { data: expr, shape: [E] }, jaw: { data: jaw, shape: [3] }, rotation: { data: rotation, shape: [3] } };
    const { image, alpha } = await renderHead({ flame, params, gaussians }, { camera: cam });
    if (options.background) {
      // A smooth gradient behind the head: image = head + (1 − α) · background.
      for (let y = 0; y < size; y++) {
        for (let x = 0; x < size; x++) {
          const a = alpha.get(y, x);
          const bg = [0.3 + 0.4 * (y / size), 0.35, 0.5 - 0.3 * (x / size)];
          for (let c = 0; c < 3; c++) image.set(y, x, c, image.get(y, x, c) + (1 - a) * bg[c]!);
        }
      }
    }
    frames.push({ image: image as ndarray.NdArray<Float32Array>, mask: alpha as ndarray.NdArray<Float32Array>, camera: cam, flame: { expr, jaw, rotation }, split, cameraIndex, timestep });
  };
  let t = 0;
  for (let i = 0; i < (options.train ?? 8); i++) await make(front, 'train', 0, t++);
  for (let i = 0; i < (options.heldOut ?? 3); i++) await make(front, 'test', 0, t++);
  for (let i = 0; i < (options.side ?? 2); i++) await make(side, 'test', 1, t++);
  return { model, frames, trueColors: colors };
}

/**
 * An identity's albedo per vertex [V, 3]: the procedural head's colours with the palette it
 * draws for a seed (its geometry is not used: colours are laid out on the canonical head),
 * tinted, with a sinusoidal pattern so that detail matters. Seeded by `seed` alone.
 */
export function identityColors(model: FlameModel, seed: number): Float32Array {
  const base = makeProceduralHead({ seed: 1000 + seed }).vertexColors;
  const c = rng(7919 * seed + 17);
  const tint = [0.8 + 0.4 * c(), 0.8 + 0.4 * c(), 0.8 + 0.4 * c()];
  const offset = [(c() - 0.5) * 0.2, (c() - 0.5) * 0.2, (c() - 0.5) * 0.2];
  const fy = 60 + 60 * c();
  const fx = 50 + 50 * c();
  const phase = 2 * Math.PI * c();
  const amp = 0.05 + 0.07 * c();
  const sign = [c() < 0.5 ? -1 : 1, c() < 0.5 ? -1 : 1, c() < 0.5 ? -1 : 1];
  const colors = new Float32Array(base.length);
  for (let i = 0; i < model.vertexCount; i++) {
    const y = model.vTemplate[3 * i + 1]!;
    const x = model.vTemplate[3 * i]!;
    const pattern = amp * Math.sin(fy * y + phase) * Math.cos(fx * x);
    for (let k = 0; k < 3; k++) colors[3 * i + k] = clamp(base[3 * i + k]! * tint[k]! + offset[k]! + sign[k]! * pattern);
  }
  return colors;
}

function clamp(x: number): number {
  return Math.min(1, Math.max(0, x));
}
