// adapt() on a small synthetic identity (a studio identity on the procedural head, posed and
// photographed by the studio's mesh camera — never the avatar's own Gaussian rasterizer — from
// a front and a side camera): held-out and novel-view quality rise well above the
// starting point, the avatar file reloads and renders bit-identically, abort and progress.
// Held-out and novel-view frames have poses no training frame has, and the fitted avatar does
// not depend on their images at all (so a quality gain on them is generalisation, not fitting).
import { mkdtemp, rm, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import ndarray from 'ndarray';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { AbortError, adapt, Avatar, FormatError, type AdaptProgress } from '../lib/index.js';
import { native } from '../lib/native.js';
import { syntheticIdentity, type SyntheticIdentity } from './helpers/avatar-data.js';

let dir: string;
let id: SyntheticIdentity;
let result: Awaited<ReturnType<typeof adapt>>;
const progress: AdaptProgress[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ggt-avatar-'));
  id = await syntheticIdentity({ size: 128 });
  result = await adapt({
    frames: id.frames,
    model: id.model,
    uvSize: 64,
    steps: { map: 60, joint: 30, color: 20, inpainter: 0, a2e: 0 },
    inpainter: false,
    onProgress: (p) => progress.push(p),
  });
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('adapt', () => {
  it('raises held-out PSNR well above the starting map (measured 24.0 -> 28.1 dB) and improves novel views (23.1 -> 25.5 dB)', () => {
    // Photographed frames (texture detail, hair and glasses off the FLAME surface, shading) are
    // not reproducible exactly by Gaussians on the mesh: the gains are smaller than they were
    // against the avatar's own renderer (19.9 -> 27.3 dB), and the margins are set below them.
    const { heldOut, novelViews } = result.report;
    expect(heldOut.initial.frames).toBe(3);
    expect(heldOut.final.psnr).toBeGreaterThan(heldOut.initial.psnr + 3);
    expect(heldOut.final.ssim).toBeGreaterThan(heldOut.initial.ssim + 0.05); // measured 0.777 -> 0.880
    expect(novelViews!.final.frames).toBe(2);
    expect(novelViews!.final.psnr).toBeGreaterThan(novelViews!.initial.psnr + 1.5);
  });

  it('holds out poses and expressions that no training frame has', () => {
    const train = id.frames.filter((f) => f.split === 'train');
    const vector = (f: (typeof id.frames)[number]) => [...f.flame.expr!.subarray(0, 6), ...f.flame.jaw!, ...f.flame.rotation!];
    for (const f of id.frames.filter((g) => g.split !== 'train')) {
      const v = vector(f);
      const nearest = Math.min(...train.map((t) => Math.hypot(...vector(t).map((x, k) => x - v[k]!))));
      expect(nearest).toBeGreaterThan(0.15); // measured >= 0.35 (parameters drawn over ranges of 0.1 to 0.8)
    }
  });

  it('fits an avatar that does not depend on the held-out and novel-view images (they are never trained on)', async () => {
    // The same adaptation with every non-training image replaced by its negative: the fitted
    // map and colour MLP must come out identical. Training on held-out frames (e.g. `train`
    // including every frame) changes them; the quality checks above alone could not tell.
    const small = { model: id.model, uvSize: 32, steps: { map: 6, joint: 3, color: 3, inpainter: 0, a2e: 0 }, inpainter: false as const };
    const negated = id.frames.map((f) => (f.split === 'train' ? f : { ...f, image: ndarray(f.image.data.map((x) => 1 - x), f.image.shape) }));
    const a = await adapt({ ...small, frames: id.frames });
    const b = await adapt({ ...small, frames: negated });
    expect([...b.avatar.params.keys()]).toEqual([...a.avatar.params.keys()]);
    expect([...a.avatar.params.keys()]).toEqual(expect.arrayContaining(['map', 'color.out.weight']));
    for (const [name, t] of a.avatar.params) {
      const x = t.toArray().data;
      const y = b.avatar.params.get(name)!.toArray().data;
      expect(Buffer.from(y.buffer, y.byteOffset, y.byteLength).equals(Buffer.from(x.buffer, x.byteOffset, x.byteLength)), name).toBe(true);
    }
  });

  it('picks a front-facing training frame as the reference', () => {
    const ref = id.frames[result.report.referenceFrame]!;
    expect(ref.split).toBe('train');
    expect(Math.abs(ref.flame.rotation![1]!)).toBeLessThan(0.1);
  });

  it('reports progress per stage up to fraction 1', () => {
    expect(progress.map((p) => p.stage)).toEqual(expect.arrayContaining(['map', 'joint', 'color']));
    const fractions = progress.map((p) => p.fraction);
    expect(fractions).toEqual([...fractions].sort((a, b) => a - b));
    expect(fractions.at(-1)).toBeCloseTo(1, 9);
    expect(result.report.stages.map((s) => s.name)).toEqual(['map', 'joint', 'color']);
  });

  it('saves one file that reloads and renders bit-identically', async () => {
    const path = join(dir, 'id.ggtavatar');
    await result.avatar.save(path);
    const loaded = await Avatar.load(path);
    const frames = id.frames.slice(8, 10).map((f) => f.flame);
    const a = await result.avatar.render({ frames });
    const b = await loaded.render({ frames });
    expect(a.frames.shape).toEqual([2, 128, 128, 3]);
    expect(Buffer.from(b.frames.data.buffer).equals(Buffer.from(a.frames.data.buffer))).toBe(true);
    expect(loaded.description).toEqual(result.avatar.description);
    const bytes = await readFile(path);
    await writeFile(join(dir, 'bad.ggtavatar'), bytes.subarray(0, 100));
    await expect(Avatar.load(join(dir, 'bad.ggtavatar'))).rejects.toThrow(FormatError);
  });

  it('renders a moving mouth: jaw open changes the lower face, not the forehead', async () => {
    const E = id.model.exprCount;
    const closed = { expr: new Float32Array(E), jaw: Float32Array.of(0, 0, 0) };
    const open = { expr: new Float32Array(E), jaw: Float32Array.of(0.3, 0, 0) };
    const r = await result.avatar.render({ frames: [closed, open] });
    const diff = (y0: number, y1: number) => {
      let s = 0;
      for (let y = y0; y < y1; y++) for (let x = 40; x < 88; x++) for (let c = 0; c < 3; c++) s += Math.abs(r.frames.get(0, y, x, c) - r.frames.get(1, y, x, c));
      return s / ((y1 - y0) * 48 * 3);
    };
    expect(diff(80, 100)).toBeGreaterThan(0.02); // mouth and chin
    expect(diff(25, 40)).toBeLessThan(0.002); // forehead
  });

  it('resumes after an abort from its checkpoint, skipping finished stages', async () => {
    const checkpoint = join(dir, 'adapt.ckpt');
    const controller = new AbortController();
    const settings = { frames: id.frames, model: id.model, uvSize: 64, steps: { map: 60, joint: 30, color: 20, inpainter: 0, a2e: 0 }, inpainter: false as const, checkpoint };
    const err = await adapt({ ...settings, signal: controller.signal, onProgress: (p) => p.stage === 'joint' && controller.abort() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AbortError);
    const stages: string[] = [];
    const resumed = await adapt({ ...settings, onProgress: (p) => stages.push(p.stage) });
    expect(stages).not.toContain('map'); // finished before the abort
    expect(resumed.report.stages.map((s) => s.name)).toEqual(['map', 'joint', 'color']);
    expect(resumed.report.heldOut.initial.psnr).toBeCloseTo(result.report.heldOut.initial.psnr, 6);
    expect(resumed.report.heldOut.final.psnr).toBeGreaterThan(resumed.report.heldOut.initial.psnr + 3);
    const other = await syntheticIdentity({ size: 64, train: 2, heldOut: 0, side: 0 });
    await expect(adapt({ frames: other.frames, model: other.model, uvSize: 64, checkpoint, inpainter: false })).rejects.toThrow(/another adaptation/);
  });

  it('stops promptly on abort', async () => {
    const controller = new AbortController();
    const t0 = Date.now();
    const run = adapt({ frames: id.frames, model: id.model, uvSize: 64, steps: { map: 2000, joint: 0, color: 0, inpainter: 0, a2e: 0 }, inpainter: false, color: false, signal: controller.signal });
    setTimeout(() => controller.abort(), 300);
    await expect(run).rejects.toThrow(AbortError);
    expect(Date.now() - t0).toBeLessThan(3000);
  });
});

describe('adapt with the body inpainter', () => {
  it('fits the inpainter: on held-out frames whose head region is removed from the background it gets, it beats the plain composite it starts from (measured 14.8 -> 20.1 dB on photographed frames with neck, shoulders and clothing)', async () => {
    const withBg = await syntheticIdentity({ size: 64, train: 6, heldOut: 2, side: 0, background: true });
    const r = await adapt({ frames: withBg.frames, model: withBg.model, uvSize: 32, steps: { map: 40, joint: 0, color: 0, inpainter: 60, a2e: 0 }, color: false, inpainter: { channels: 8, levels: 2 } });
    expect(r.report.stages.map((s) => s.name)).toEqual(['map', 'inpainter']);
    expect(r.avatar.description.inpainter).toEqual({ channels: 8, levels: 2 });
    // The starting point: the same avatar with the inpainter's residual output zeroed.
    const params = new Map(r.avatar.params);
    for (const name of ['inpaint.out.weight', 'inpaint.out.bias']) {
      const t = params.get(name)!;
      params.set(name, native().Tensor.fromArray(new Float32Array(t.shape.reduce((a, b) => a * b, 1)), t.shape));
    }
    const composite = new Avatar({ model: r.avatar.model, layout: r.avatar.layout, description: r.avatar.description, params });
    // The background the inpainter gets is the frame with its dilated head region removed (as
    // adaptation removes it): what lies there in the truth (head, and the background behind
    // its edge) is never given, so it must be inpainted, not copied.
    const heldOut = withBg.frames.filter((f) => f.split === 'test');
    expect(heldOut).toHaveLength(2);
    const backgrounds = heldOut.map((f) => withoutRegion(f.image, f.mask!, r.avatar.description.dilate));
    for (const [k, f] of heldOut.entries()) {
      let differs = 0;
      for (let i = 0; i < f.image.data.length; i++) differs += Math.abs(backgrounds[k]!.data[i]! - f.image.data[i]!) > 0.05 ? 1 : 0;
      expect(differs / f.image.data.length).toBeGreaterThan(0.2); // measured 0.51: the head and a ring around it
    }
    const psnr = async (a: Avatar) => {
      let total = 0;
      for (const [k, f] of heldOut.entries()) {
        const out = await a.render({ frames: [f.flame], camera: f.camera, background: backgrounds[k]! });
        let se = 0;
        for (let i = 0; i < out.frames.data.length; i++) se += (out.frames.data[i]! - f.image.data[i]!) ** 2;
        total += -10 * Math.log10(se / out.frames.data.length);
      }
      return total / heldOut.length;
    };
    const fitted = await psnr(r.avatar);
    const start = await psnr(composite);
    expect(fitted).toBeGreaterThan(start + 1);
  });
});

/** image [H, W, 3] × (1 − the mask [H, W] grown by r pixels (max-pool, as adaptation dilates it)). */
function withoutRegion(image: ndarray.NdArray<Float32Array>, mask: ndarray.NdArray<Float32Array>, r: number): ndarray.NdArray<Float32Array> {
  const [h, w] = image.shape as [number, number];
  const out = ndarray(new Float32Array(h * w * 3), [h, w, 3]);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let region = 0;
      for (let dy = -r; dy <= r; dy++) for (let dx = -r; dx <= r; dx++) if (y + dy >= 0 && y + dy < h && x + dx >= 0 && x + dx < w) region = Math.max(region, mask.get(y + dy, x + dx));
      for (let c = 0; c < 3; c++) out.set(y, x, c, image.get(y, x, c) * (1 - region));
    }
  }
  return out;
}
