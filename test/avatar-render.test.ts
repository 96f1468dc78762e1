// Avatar.render: without a body inpainter a frame is the rendered head (premultiplied) over the
// background, frame = head + (1 − α) · background, made natively; checked here in float64 on
// a random background, with the head covering part of the image.
import { execFileSync } from 'node:child_process';

import ndarray from 'ndarray';
import { describe, expect, it } from 'vitest';

import { packFrames, proceduralAvatar } from '../lib/index.js';
import { native } from '../lib/native.js';
import { inpaintingAvatar } from './helpers/inpainting-avatar.js';
import { rng } from './helpers/scene.js';

describe('Avatar.render', () => {
  it('composites the head over the background: frame = head + (1 − α) · background', async () => {
    const avatar = await proceduralAvatar({ size: 48, uvSize: 32 });
    const r = rng(4);
    const background = ndarray(Float32Array.from({ length: 48 * 48 * 3 }, () => r()), [48, 48, 3]);
    const E = avatar.model.exprCount;
    const frames = [0, 0.25].map((jaw) => ({ expr: new Float32Array(E), jaw: Float32Array.of(jaw, 0, 0) }));
    const out = await avatar.render({ frames, background });
    expect(out.frames.shape).toEqual([2, 48, 48, 3]);
    let covered = 0;
    let err = 0;
    for (let t = 0; t < 2; t++) {
      for (let p = 0; p < 48 * 48; p++) {
        const a = out.alphas.data[t * 48 * 48 + p]!;
        if (a > 0.5) covered++;
        for (let c = 0; c < 3; c++) {
          const i = (t * 48 * 48 + p) * 3 + c;
          err = Math.max(err, Math.abs(out.frames.data[i]! - (out.heads.data[i]! + (1 - a) * background.data[p * 3 + c]!)));
        }
      }
    }
    expect(err).toBeLessThan(1e-6);
    expect(covered).toBeGreaterThan(0.1 * 2 * 48 * 48);
    expect(covered).toBeLessThan(0.9 * 2 * 48 * 48);
  });

  it('renders streams through their own inpainter workspaces as without one (to 1e-5): the head moving, out of view, two streams at once, a background changed, a workspace busy in another call', async () => {
    const avatar = await inpaintingAvatar();
    const E = avatar.model.exprCount;
    const r = rng(6);
    const backgroundA = ndarray(Float32Array.from({ length: 48 * 48 * 3 }, () => r()), [48, 48, 3]);
    const backgroundB = ndarray(Float32Array.from({ length: 48 * 48 * 3 }, () => r()), [48, 48, 3]);
    // Batches whose head turns and opens its mouth; one frame has it out of view (nothing drawn).
    const batch = (k: number) =>
      [0, 1, 2].map((t) => ({
        expr: new Float32Array(E),
        jaw: Float32Array.of(0.1 * t, 0, 0),
        rotation: Float32Array.of(0, 0.15 * k - 0.1 * t, 0),
        translation: Float32Array.of(k === 1 && t === 2 ? 10 : 0, 0, 0),
      }));
    const maxDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);
    const fresh = async (frames: ReturnType<typeof batch>, background: typeof backgroundA) => (await avatar.renderFrames({ frames, background })).data;
    let worst = 0;
    const check = async (got: Float32Array, frames: ReturnType<typeof batch>, background: typeof backgroundA) => {
      const want = await fresh(frames, background);
      expect(got.length).toBe(want.length);
      worst = Math.max(worst, maxDiff(got, want));
    };
    const streamA = {};
    const streamB = {};
    for (const k of [0, 1, 2]) {
      const [a, b] = await Promise.all([avatar.renderFrames({ frames: batch(k), background: backgroundA }, streamA), avatar.renderFrames({ frames: batch(k + 3), background: backgroundB }, streamB)]);
      await check(a.data, batch(k), backgroundA);
      await check(b.data, batch(k + 3), backgroundB);
    }
    // Stream A's background changes: its workspace starts over from the new one.
    await check((await avatar.renderFrames({ frames: batch(4), background: backgroundB }, streamA)).data, batch(4), backgroundB);
    // Two calls at once with one workspace: the one that finds it busy renders without it.
    const [c, d] = await Promise.all([avatar.renderFrames({ frames: batch(0), background: backgroundB }, streamA), avatar.renderFrames({ frames: batch(2), background: backgroundB }, streamA)]);
    await check(c.data, batch(0), backgroundB);
    await check(d.data, batch(2), backgroundB);
    expect(worst).toBeLessThanOrEqual(1e-5); // measured 1.2e-7: the same convolutions, on crops
    // An object that holds another native thing is refused, never read as a workspace.
    const tensor = native().Tensor.fromArray(new Float32Array(1), [1]) as object;
    await expect(avatar.renderFrames({ frames: batch(0), background: backgroundA }, tensor)).rejects.toThrow(/workspace to be a plain object of its own/);
  });

  // A workspace's native memory (activations of the background and the last frame) is reported
  // to V8, so dropped streams are collected as promptly as tensors of that size. Without the
  // report, 22 of 80 dropped workspaces were collected (RSS 933 MiB); with it, 74-79 (~420 MiB).
  it('reports each inpainter workspace\'s memory to V8: dropped workspaces are collected without forcing a GC', () => {
    const out = execFileSync(process.execPath, ['--import', 'tsx', 'test/helpers/workspace-gc.ts', '80'], { encoding: 'utf8', timeout: 120_000 });
    const { n, collected } = JSON.parse(out.trim().split('\n').pop()!) as { n: number; collected: number };
    expect(n).toBe(80);
    expect(collected).toBeGreaterThanOrEqual(60);
  });

  it('renders frames that share one background (packed once, read by every frame) exactly as with a copy per frame, through the inpainter; renderFrames gives the same frames', async () => {
    const avatar = await inpaintingAvatar();
    const r = rng(5);
    const background = ndarray(Float32Array.from({ length: 48 * 48 * 3 }, () => r()), [48, 48, 3]);
    const E = avatar.model.exprCount;
    const frames = [0, 0.15, 0.3].map((jaw) => ({ expr: new Float32Array(E), jaw: Float32Array.of(jaw, 0, 0) }));
    const shared = await avatar.render({ frames, background });
    // The same frames with a distinct copy of the background each: packed as [3, 48, 48, 3].
    const camera = avatar.track!.camera;
    const packed = packFrames(frames.map((flame) => ({ image: ndarray(Float32Array.from(background.data), [48, 48, 3]), camera, flame })), E);
    expect(packed.data.images!.shape).toEqual([3, 48, 48, 3]);
    expect(packFrames(frames.map((flame) => ({ image: background, camera, flame })), E).data.images!.shape).toEqual([1, 48, 48, 3]);
    const copies = (await native().avatarRender({
      config: avatar.nativeConfig(),
      ...avatar.nativeScene(48, 48),
      frames: packed.data,
      params: { ...Object.fromEntries(avatar.params), ...Object.fromEntries(packed.flame) },
      indices: [0, 1, 2],
      composite: true,
    })) as { frames: { data: Float32Array } };
    expect(shared.frames.data).toEqual(copies.frames.data);
    const residual = shared.frames.data.reduce((m, v, i) => Math.max(m, Math.abs(v - (shared.heads.data[i]! + (1 - shared.alphas.data[Math.floor(i / 3)]!) * background.data[i % (48 * 48 * 3)]!))), 0);
    expect(residual).toBeGreaterThan(1e-3); // the frames went through the inpainter, not the plain composite
    expect((await avatar.renderFrames({ frames, background })).data).toEqual(shared.frames.data);
  });
});
