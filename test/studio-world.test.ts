// The studio's world (DESIGN.md §7): identities that differ (albedo maps with sub-millimetre
// detail, hair geometry off the scalp, glasses on some seeds), a dark mouth cavity when the jaw
// opens, the body in the image but outside the avatar's mask, and tracking error that is smooth
// and of the stated size. Renders are small (96²) scenes of the studio camera; references are
// plain float64 computations over the returned arrays.
import { describe, expect, it } from 'vitest';

import { ValidationError } from '../lib/errors.js';
import { Flame } from '../lib/flame/flame.js';
import { projectPoints } from '../lib/io/vhap.js';
import {
  frameScene,
  LABELS,
  makeAlbedo,
  makeSyntheticIdentity,
  renderMeshes,
  renderSyntheticIdentityDataset,
  studioAssets,
  studioCameras,
  studioLights,
  studioRoom,
  TRACKING_NOISE,
  trackingError,
  trackingNoiseScales,
  type StudioMesh,
  type SyntheticIdentity,
} from '../lib/synthetic/studio/index.js';

const SIZE = 96;
const [front] = studioCameras(SIZE);
const lum = (img: Float32Array, i: number): number => 0.299 * img[3 * i]! + 0.587 * img[3 * i + 1]! + 0.114 * img[3 * i + 2]!;

/** Posed vertices [V, 3] of an identity at a jaw opening (radians), neutral otherwise. */
async function posed(id: SyntheticIdentity, jaw: number): Promise<Float32Array> {
  const flame = Flame.from(id.head.model);
  const out = await flame.forward({ shape: { data: id.shape, shape: [id.shape.length] }, expr: { data: new Float32Array(17), shape: [17] }, jaw: { data: Float32Array.of(jaw, 0, 0), shape: [3] } });
  return out.vertices.data.slice(0, id.head.model.vertexCount * 3);
}

/** The studio camera's front render of an identity (room and lights of seed 1 for all). */
async function render(id: SyntheticIdentity, jaw = 0, edit?: (meshes: StudioMesh[]) => StudioMesh[]) {
  const scene = frameScene(id, await posed(id, jaw), studioRoom(1));
  const { lights, ambient } = studioLights(1);
  const meshes = edit ? edit(scene.meshes) : scene.meshes;
  return renderMeshes({ camera: front!.camera, meshes, textures: scene.textures, lights, ambient });
}

/** Mean |x − mean of its 3×3 box| over texels where `where` holds: high-frequency energy. */
function highFrequency(tex: { data: Float32Array; width: number }, where: (i: number) => boolean): number {
  const W = tex.width;
  let s = 0;
  let n = 0;
  for (let y = 1; y < W - 1; y++) {
    for (let x = 1; x < W - 1; x++) {
      const i = y * W + x;
      if (!where(i)) continue;
      let box = 0;
      for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) box += tex.data[3 * (i + dy * W + dx) + 1]!;
      s += Math.abs(tex.data[3 * i + 1]! - box / 9);
      n++;
    }
  }
  return s / n;
}

describe('identities that differ', () => {
  const ids = [3, 4].map((seed) => makeSyntheticIdentity({ seed }));

  it('draws albedo maps of 1024² with high-frequency skin detail (measured 0.022 vs 0.0024 without), different per seed (0.060)', () => {
    const [a, b] = ids.map((id) => studioAssets(id).albedo);
    expect([a!.width, a!.height]).toEqual([1024, 1024]);
    // Skin texels of the face: compare with the same map drawn without any detail (no pores,
    // spots, stubble, make-up): the per-texel detail must carry several times its energy.
    const id = ids[0]!;
    const plain = makeAlbedo({ seed: id.seed, head: id.head, palette: id.palette, hairOnScalp: true, skin: { ...id.look.skin, pores: 0, poreDensity: 0, blotch: 0, redness: 0, freckles: 0, moles: 0, stubble: 0, blush: 0, eyeshadow: null, lipstick: null } }, 1024);
    const skin = (i: number): boolean => Math.abs(a!.data[3 * i]! - plain.data[3 * i]!) < 0.3 && plain.data[3 * i]! > 0.2 && plain.data[3 * i]! - plain.data[3 * i + 2]! > 0.08;
    const detailed = highFrequency(a!, skin);
    const smooth = highFrequency(plain, skin);
    expect(detailed).toBeGreaterThan(0.008);
    expect(detailed).toBeGreaterThan(4 * smooth);
    // The two seeds' maps differ texel by texel.
    let diff = 0;
    for (let i = 0; i < a!.data.length; i++) diff += Math.abs(a!.data[i]! - b!.data[i]!);
    expect(diff / a!.data.length).toBeGreaterThan(0.04);
  });

  it("renders two seeds' heads that differ strongly (mean |Δ| 0.115 over the heads)", async () => {
    const [ra, rb] = [await render(ids[0]!), await render(ids[1]!)];
    const plane = SIZE * SIZE;
    let s = 0;
    let n = 0;
    for (let i = 0; i < plane; i++) {
      const head = (k: number) => (k === 0 ? ra : rb).coverage[LABELS.head * plane + i]! + (k === 0 ? ra : rb).coverage[LABELS.hair * plane + i]!;
      if (head(0) < 0.5 && head(1) < 0.5) continue;
      for (let c = 0; c < 3; c++) s += Math.abs(ra.image[3 * i + c]! - rb.image[3 * i + c]!) / 3;
      n++;
    }
    expect(n).toBeGreaterThan(0.1 * plane);
    expect(s / n).toBeGreaterThan(0.08);
  });

  it('grows hair geometry off the scalp (median 10 mm short, 14 mm curly; none when bald)', () => {
    const seeds = Array.from({ length: 30 }, (_, i) => makeSyntheticIdentity({ seed: 100 + i }));
    const kinds = new Set(seeds.map((s) => s.look.hair.kind));
    expect(kinds).toEqual(new Set(['bald', 'short', 'long', 'curly']));
    const bald = seeds.find((s) => s.look.hair.kind === 'bald')!;
    expect(studioAssets(bald).hair).toBeNull();
    for (const kind of ['short', 'curly'] as const) {
      const id = seeds.find((s) => s.look.hair.kind === kind)!;
      const { hair, rest } = studioAssets(id);
      // Distance from each hair vertex to the nearest head vertex (brute force, float64).
      const V = rest.length / 3;
      const d: number[] = [];
      for (let i = 0; i < hair!.positions.length / 3; i++) {
        let best = Infinity;
        for (let v = 0; v < V; v++) best = Math.min(best, (hair!.positions[3 * i]! - rest[3 * v]!) ** 2 + (hair!.positions[3 * i + 1]! - rest[3 * v + 1]!) ** 2 + (hair!.positions[3 * i + 2]! - rest[3 * v + 2]!) ** 2);
        d.push(Math.sqrt(best));
      }
      d.sort((x, y) => x - y);
      const median = d[Math.floor(d.length / 2)]!;
      expect(median).toBeGreaterThan(kind === 'curly' ? 0.008 : 0.003);
      expect(d[d.length - 1]!).toBeLessThan(0.06);
    }
  });

  it('puts glasses on some seeds (15 of 40), changing the eye region (0.046) inside the mask (0.99)', async () => {
    const seeds = Array.from({ length: 40 }, (_, i) => makeSyntheticIdentity({ seed: 200 + i }));
    const share = seeds.filter((s) => s.look.glasses).length / seeds.length;
    expect(share).toBeGreaterThan(0.2);
    expect(share).toBeLessThan(0.6);
    const id = seeds.find((s) => s.look.glasses)!;
    const withGlasses = await render(id);
    const glassesMesh = frameScene(id, await posed(id, 0), studioRoom(1)).meshes.findIndex((m) => m.shininess === 64);
    const without = await render(id, 0, (ms) => ms.filter((_, k) => k !== glassesMesh));
    // Around each projected eye joint: the frames change the pixels; and they are in the mask.
    const joints = (await Flame.from(id.head.model).forward({ shape: { data: id.shape, shape: [26] } })).joints.data;
    const { pixels } = projectPoints(front!.camera, joints.subarray(9, 15));
    const plane = SIZE * SIZE;
    let change = 0;
    let masked = 0;
    let n = 0;
    for (const e of [0, 1]) {
      for (let dy = -6; dy <= 6; dy++) {
        for (let dx = -8; dx <= 8; dx++) {
          const i = (Math.floor(pixels[2 * e + 1]!) + dy) * SIZE + Math.floor(pixels[2 * e]!) + dx;
          for (let c = 0; c < 3; c++) change += Math.abs(withGlasses.image[3 * i + c]! - without.image[3 * i + c]!) / 3;
          masked += withGlasses.coverage[LABELS.head * plane + i]!;
          n++;
        }
      }
    }
    expect(change / n).toBeGreaterThan(0.02);
    expect(masked / n).toBeGreaterThan(0.9);
  });
});

describe('the photographed scene', () => {
  const id = makeSyntheticIdentity({ seed: 5 });

  it('shows a dark mouth cavity when the jaw opens (luminance 0.10 over 52 pixels)', async () => {
    // Where the mouth's inside is visible: a second render with the cavity, tongue and teeth
    // faces as their own coverage layer (label 5).
    const mouthRegions = new Set(['mouth_interior', 'tongue', 'teeth_upper', 'teeth_lower'].map((n) => id.head.regions.names.indexOf(n)));
    const split = (ms: StudioMesh[]): StudioMesh[] => {
      const head = ms[0]!;
      const keep: number[] = [];
      const mouth: number[] = [];
      for (let f = 0; f < head.faces.length / 3; f++) (mouthRegions.has(id.head.regions.face[f]!) ? mouth : keep).push(f);
      const sub = (faces: number[], label: number): StudioMesh => ({
        ...head,
        faces: Uint32Array.from(faces.flatMap((f) => [head.faces[3 * f]!, head.faces[3 * f + 1]!, head.faces[3 * f + 2]!])),
        uvs: Float32Array.from(faces.flatMap((f) => Array.from(head.uvs.subarray(6 * f, 6 * f + 6)))),
        label,
      });
      return [sub(keep, LABELS.head), sub(mouth, 5), ...ms.slice(1)];
    };
    const plane = SIZE * SIZE;
    const inside = async (jaw: number) => {
      const r = await render(id, jaw, split);
      let s = 0;
      let n = 0;
      for (let i = 0; i < plane; i++) {
        if (r.coverage[5 * plane + i]! < 0.75) continue;
        s += lum(r.image, i);
        n++;
      }
      return { pixels: n, luminance: s / Math.max(n, 1) };
    };
    const open = await inside(0.35);
    const closed = await inside(0);
    expect(open.pixels).toBeGreaterThan(12);
    expect(closed.pixels).toBeLessThan(open.pixels / 3);
    expect(open.luminance).toBeLessThan(0.15);
  });

  it('has the body (neck, shoulders, clothing; 6.8 % of the image) outside the mask, and a structured room', async () => {
    const r = await render(id);
    const plane = SIZE * SIZE;
    let body = 0;
    let bodyInMask = 0;
    for (let i = 0; i < plane; i++) {
      const b = r.coverage[LABELS.body * plane + i]!;
      body += b;
      bodyInMask += b * (r.coverage[LABELS.head * plane + i]! + r.coverage[LABELS.hair * plane + i]!);
    }
    expect(body / plane).toBeGreaterThan(0.05);
    // Only edge pixels shared by the neck's seam count (measured 0.007).
    expect(bodyInMask / body).toBeLessThan(0.03);
    // The room: background pixels are not one flat colour (edges: tiles, books, frames).
    let edges = 0;
    let n = 0;
    for (let y = 0; y < SIZE; y++) {
      for (let x = 0; x < SIZE - 1; x++) {
        const i = y * SIZE + x;
        if (r.coverage[LABELS.room * plane + i]! < 1 || r.coverage[LABELS.room * plane + i + 1]! < 1) continue;
        edges += Math.abs(lum(r.image, i) - lum(r.image, i + 1)) > 0.05 ? 1 : 0;
        n++;
      }
    }
    expect(n).toBeGreaterThan(0.3 * plane);
    expect(edges / n).toBeGreaterThan(0.02);
  });
});

describe('attachments', () => {
  /** Rodrigues: the rotation matrix (row-major, float64) of an axis-angle vector. */
  const rodrigues = (w: number[]): number[] => {
    const th = Math.hypot(w[0]!, w[1]!, w[2]!);
    const [x, y, z] = w.map((v) => v / th) as [number, number, number];
    const c = Math.cos(th);
    const s = Math.sin(th);
    const C = 1 - c;
    return [c + x * x * C, x * y * C - z * s, x * z * C + y * s, y * x * C + z * s, c + y * y * C, y * z * C - x * s, z * x * C - y * s, z * y * C + x * s, c + z * z * C];
  };

  it('moves hair and glasses with the skull and the body with the neck base', async () => {
    const id = makeSyntheticIdentity({ seed: 3 });
    const flame = Flame.from(id.head.model);
    const pose = async (neck: number[], rotation: number[]) =>
      (await flame.forward({ shape: { data: id.shape, shape: [26] }, neck: { data: Float32Array.from(neck), shape: [3] }, rotation: { data: Float32Array.from(rotation), shape: [3] } })).vertices.data.slice(0, id.head.model.vertexCount * 3);
    const room = studioRoom(1);
    const close = (R: Float64Array, want: number[], tol: number) => want.forEach((v, i) => expect(Math.abs(R[i]! - v)).toBeLessThan(tol));
    // A nod of the neck turns the skull (hair, glasses) but not the body.
    const nod = [0.3, 0.1, 0];
    const a = frameScene(id, await pose(nod, [0, 0, 0]), room);
    close(a.skull.R, rodrigues(nod), 0.01);
    close(a.root.R, [1, 0, 0, 0, 1, 0, 0, 0, 1], 0.01);
    // A global turn moves both.
    const turn = [0, 0.4, 0.05];
    const b = frameScene(id, await pose([0, 0, 0], turn), room);
    close(b.skull.R, rodrigues(turn), 0.01);
    close(b.root.R, rodrigues(turn), 0.01);
  });
});

describe('tracking error', () => {
  const fps = 25;
  const T = 25 * 60;
  const err = trackingError(T, fps, 17, 26, TRACKING_NOISE, 7);
  const rms = (a: Float32Array) => Math.sqrt(a.reduce((s, v) => s + v * v, 0) / a.length);
  /** Lag-1 autocorrelation of channel c of [T, C]. */
  const lag1 = (a: Float32Array, C: number, c: number): number => {
    let m = 0;
    for (let t = 0; t < T; t++) m += a[t * C + c]! / T;
    let num = 0;
    let den = 0;
    for (let t = 0; t < T; t++) {
      den += (a[t * C + c]! - m) ** 2;
      if (t > 0) num += (a[t * C + c]! - m) * (a[(t - 1) * C + c]! - m);
    }
    return num / den;
  };

  it('has the stated magnitudes over a minute (0.71°, 1.5 mm, 0.039) and is smooth in time (lag-1 r ≥ 0.97)', () => {
    const deg = 180 / Math.PI;
    expect(rms(err.rotation) * deg).toBeGreaterThan(0.45);
    expect(rms(err.rotation) * deg).toBeLessThan(1.0);
    expect(rms(err.translation) * 1000).toBeGreaterThan(1.0);
    expect(rms(err.translation) * 1000).toBeLessThan(2.0);
    expect(rms(err.expr)).toBeGreaterThan(0.025);
    expect(rms(err.expr)).toBeLessThan(0.06);
    for (let c = 0; c < 3; c++) {
      expect(lag1(err.rotation, 3, c)).toBeGreaterThan(0.9);
      expect(lag1(err.translation, 3, c)).toBeGreaterThan(0.9);
    }
    expect(lag1(err.expr, 17, 4)).toBeGreaterThan(0.9);
    // Shape error: constant, about 0.1 per coefficient.
    expect(rms(err.shape)).toBeGreaterThan(0.04);
    expect(rms(err.shape)).toBeLessThan(0.16);
  });

  it('scales with the option, 0 disables it, bad options are refused', () => {
    const none = trackingError(50, fps, 17, 26, trackingNoiseScales(0), 7);
    expect(Math.max(...none.rotation.map(Math.abs), ...none.expr.map(Math.abs), ...none.shape.map(Math.abs))).toBe(0);
    const twice = trackingError(T, fps, 17, 26, trackingNoiseScales(2), 7);
    expect(rms(twice.rotation) / rms(err.rotation)).toBeCloseTo(2, 5);
    expect(trackingNoiseScales({ translation: 0.003 }).translation).toBe(0.003);
    expect(() => trackingNoiseScales(-1)).toThrow(ValidationError);
    expect(() => trackingNoiseScales({ wobble: 1 } as never)).toThrow(ValidationError);
  });

  it('is refused with ValidationError by the dataset renderer when out of range, before any work', async () => {
    const identity = makeSyntheticIdentity({ seed: 1 });
    const base = { identity, out: '/nonexistent/never-written', speech: [] };
    await expect(renderSyntheticIdentityDataset({ ...base, trackingNoise: -1 })).rejects.toThrow(/expected trackingNoise to be a non-negative number/);
    await expect(renderSyntheticIdentityDataset({ ...base, heldOutEvery: 0 })).rejects.toThrow(/expected heldOutEvery to be a positive integer, received 0/);
    await expect(renderSyntheticIdentityDataset({ ...base, samples: 5 })).rejects.toThrow(ValidationError);
    await expect(renderSyntheticIdentityDataset({ ...base, identity: { ...identity, look: undefined } as never })).rejects.toThrow(/expected identity to be a SyntheticIdentity/);
  });
});
