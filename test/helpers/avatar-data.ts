// A small synthetic identity for the avatar tests, photographed by the studio's camera (the
// textured, shaded triangle-mesh renderer of lib/synthetic/studio, never the Gaussian
// rasterizer the avatar uses): a studio identity's 1024² albedo, hair geometry off the scalp,
// glasses on some seeds and seeded lights, on the procedural head's geometry (seed 0, shape
// coefficients zero, so every identity shares one FLAME model and no shape parameters), posed
// with seeded expressions, jaw and head rotations, from a front camera (train and held-out
// frames) and a side camera (novel views). Poses and looks come from separate streams of the
// seed (or `poseSeed`). The mask is the head's and hair's coverage; with `background`, the neck, shoulders and
// clothing and a gradient behind them are in the image too (outside the mask).
import ndarray from 'ndarray';

import { Flame, lookAt, type AvatarFrame, type Camera, type FlameModel } from '../../lib/index.js';
import { frameScene, LABELS, makeSyntheticIdentity, studioLights } from '../../lib/synthetic/studio/index.js';
import { renderMeshes } from '../../lib/synthetic/studio/mesh-render.js';
import { rng } from './scene.js';

export interface SyntheticIdentity {
  model: FlameModel;
  frames: AvatarFrame[];
}

/** A smooth gradient behind the head, [H, W, 3]. */
function gradient(size: number): Float32Array {
  const out = new Float32Array(size * size * 3);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      out.set([0.3 + 0.4 * (y / size), 0.35, 0.5 - 0.3 * (x / size)], 3 * (y * size + x));
    }
  }
  return out;
}

export async function syntheticIdentity(options: { size?: number; train?: number; heldOut?: number; side?: number; seed?: number; poseSeed?: number; background?: boolean } = {}): Promise<SyntheticIdentity> {
  const size = options.size ?? 128;
  const seed = options.seed ?? 3;
  const drawn = makeSyntheticIdentity({ seed });
  const identity = { ...drawn, shape: new Float32Array(drawn.shape.length) };
  const model = identity.head.model;
  const flame = Flame.from(model);
  const { lights, ambient } = studioLights(seed);
  const room = { meshes: [], textures: [] };
  const background = options.background ? gradient(size) : undefined;
  const r = rng(options.poseSeed ?? seed);
  const f = size * (1100 / 512);
  const camera = (eye: [number, number, number]) => ({ view: lookAt(eye, [0, 0.01, 0], [0, 1, 0]), fx: f, fy: f, cx: size / 2, cy: size / 2, width: size, height: size }) satisfies Camera;
  const front = camera([0, 0.02, 0.75]);
  const side = camera([0.75 * Math.sin(0.5), 0.02, 0.75 * Math.cos(0.5)]);
  const E = model.exprCount;
  const vec = (data: Float32Array) => ({ data, shape: [1, data.length] });
  const frames: AvatarFrame[] = [];
  const make = async (cam: ReturnType<typeof camera>, split: AvatarFrame['split'], cameraIndex: number, timestep: number) => {
    const expr = Float32Array.from({ length: E }, (_, k) => (k < 6 ? (r() - 0.3) * 0.8 : 0));
    const jaw = Float32Array.of(r() * 0.25, 0, 0);
    const rotation = Float32Array.of((r() - 0.5) * 0.2, (r() - 0.5) * 0.3, (r() - 0.5) * 0.1);
    const posed = await flame.forward({ shape: vec(identity.shape), expr: vec(expr), jaw: vec(jaw), rotation: vec(rotation) });
    const scene = frameScene(identity, posed.vertices.data, room);
    const meshes = options.background ? scene.meshes : scene.meshes.filter((m) => m.label !== LABELS.body);
    const shot = await renderMeshes({ camera: cam, meshes, textures: scene.textures, lights, ambient, samples: 2, ...(background ? { background } : {}) });
    const plane = size * size;
    const mask = new Float32Array(plane);
    for (let i = 0; i < plane; i++) mask[i] = Math.min(1, shot.coverage[LABELS.head * plane + i]! + shot.coverage[LABELS.hair * plane + i]!);
    frames.push({
      image: ndarray(shot.image, [size, size, 3]),
      mask: ndarray(mask, [size, size]),
      camera: cam,
      flame: { expr, jaw, rotation },
      split,
      cameraIndex,
      timestep,
    });
  };
  let t = 0;
  for (let i = 0; i < (options.train ?? 8); i++) await make(front, 'train', 0, t++);
  for (let i = 0; i < (options.heldOut ?? 3); i++) await make(front, 'test', 0, t++);
  for (let i = 0; i < (options.side ?? 2); i++) await make(side, 'test', 1, t++);
  return { model, frames };
}

