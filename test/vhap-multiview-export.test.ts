// A multi-view export written the way VHAP's export_as_nerf_dataset writes one
// (test/fixtures/vhap-multiview: make_fixture.py, README.md cites VHAP's functions): four
// NeRSemble-style cameras with off-centre principal points, six timesteps, OpenGL c2w
// matrices with cy counted from the bottom, split_json's train/val/test files, FLAME
// parameters by np.savez with 5143-row static offsets (VHAP tracks FLAME with 120 teeth
// vertices) and the canonical jaw as float64. ggtalker must read it as VHAP does: the splits
// as split_json assigns them, cameras that project world points to the pixels VHAP's own
// projection pipeline gives (expected.json, computed in the script), every offset row, and an
// avatar with the teeth.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { adapt, type FlameModel } from '../lib/index.js';
import { loadAvatarDataset } from '../lib/avatar/dataset.js';
import { addFlameTeeth, hasFlameTeeth } from '../lib/flame/teeth.js';
import { officialFlameModel } from './helpers/official-flame.js';
import { readNpz } from '../lib/io/npy.js';
import { loadVhapFlame, projectPoints, readVhapDataset, vhapFlameToParams, type VhapDataset, type VhapFlameParams, type VhapSplit } from '../lib/io/vhap.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/vhap-multiview/', import.meta.url));
const DATASET = join(FIXTURE, 'export');

/** VHAP's FLAME with teeth: 5023 + 120 vertices. */
const TRACKED_VERTICES = 5143;

interface Expected {
  points: number[][];
  frames: { timestep_index: number; camera_index: number; pixels: number[][]; depth: number[] }[];
}
interface TransformsJson {
  frames: { timestep_index: number; camera_index: number; file_path: string; h: number; cy: number }[];
  timestep_indices: number[];
  camera_indices: number[];
}

let expected: Expected;
let full: TransformsJson;
let ds: VhapDataset;
let tmp: string;
let model: FlameModel;
const key = (t: number, c: number): string => `${t}/${c}`;

beforeAll(async () => {
  expected = JSON.parse(await readFile(join(FIXTURE, 'expected.json'), 'utf8')) as Expected;
  full = JSON.parse(await readFile(join(DATASET, 'transforms.json'), 'utf8')) as TransformsJson;
  ds = await readVhapDataset(DATASET);
  // The official-FLAME-shaped model (8 shape + 4 expression components, as the export was
  // tracked with), with its template .obj's UVs; see test/adapt-teeth.test.ts.
  tmp = await mkdtemp(join(tmpdir(), 'ggt-vhap-multiview-'));
  model = await officialFlameModel(tmp);
});

afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('the splits, as VHAP split_json writes them', () => {
  it('lists every frame of transforms.json once, in the split split_json assigns it', () => {
    // split_json (train_ratio 0.7): the first ceil(0.7 · nt) timesteps are train/val, the rest
    // test; with several cameras, camera 8 (else the last camera) is the val camera; train =
    // the other cameras on the train timesteps; test = every camera on the test timesteps.
    const timesteps = [...full.timestep_indices].sort((a, b) => a - b);
    const cameras = full.camera_indices;
    const ntTrain = Math.ceil(timesteps.length * 0.7);
    const trainTimesteps = new Set(timesteps.slice(0, ntTrain));
    const valCamera = cameras.includes(8) ? 8 : cameras[cameras.length - 1]!;
    const want = new Map<string, VhapSplit>();
    for (const f of full.frames) {
      const split: VhapSplit = !trainTimesteps.has(f.timestep_index) ? 'test' : f.camera_index === valCamera ? 'val' : 'train';
      want.set(key(f.timestep_index, f.camera_index), split);
    }
    expect(want.size).toBe(24);
    const got = new Map(ds.frames.map((f) => [key(f.timestep, f.cameraIndex), f.split]));
    expect(ds.frames).toHaveLength(24);
    expect(got).toEqual(want);
  });

  it('gives each split its frames and cameras (15 train on cameras 0-2, 5 val on camera 3, 4 test on all)', () => {
    const of = (s: VhapSplit) => ds.frames.filter((f) => f.split === s);
    const cams = (s: VhapSplit) => [...new Set(of(s).map((f) => f.cameraIndex))].sort();
    const steps = (s: VhapSplit) => [...new Set(of(s).map((f) => f.timestep))].sort();
    expect(of('train')).toHaveLength(15);
    expect(of('val')).toHaveLength(5);
    expect(of('test')).toHaveLength(4);
    expect(cams('train')).toEqual([0, 1, 2]);
    expect(cams('val')).toEqual([3]);
    expect(cams('test')).toEqual([0, 1, 2, 3]);
    expect(steps('train')).toEqual([0, 1, 2, 3, 4]);
    expect(steps('val')).toEqual([0, 1, 2, 3, 4]);
    expect(steps('test')).toEqual([5]);
    expect(ds.timesteps).toEqual([0, 1, 2, 3, 4, 5]);
    expect(ds.cameras).toEqual([0, 1, 2, 3]);
  });

  it('reads one split alone', async () => {
    const val = await readVhapDataset(DATASET, { split: 'val' });
    expect(val.frames.map((f) => [f.split, f.cameraIndex])).toEqual([0, 1, 2, 3, 4].map(() => ['val', 3]));
    expect(val.frames.map((f) => f.timestep)).toEqual([0, 1, 2, 3, 4]);
  });

  it('names the files as VHAP does: images/{t:05d}_{c:02d}.png, fg_masks/ alike, flame_param/{t:05d}.npz', () => {
    for (const f of ds.frames) {
      const stem = `${String(f.timestep).padStart(5, '0')}_${String(f.cameraIndex).padStart(2, '0')}.png`;
      expect(f.image).toBe(join(DATASET, 'images', stem));
      expect(f.mask).toBe(join(DATASET, 'fg_masks', stem));
      expect(f.flameParams).toBe(join(DATASET, 'flame_param', `${String(f.timestep).padStart(5, '0')}.npz`));
    }
  });
});

describe('the cameras project as VHAP projects', () => {
  it('has off-centre principal points (cy as written differs from the OpenCV row h − cy)', () => {
    for (const f of full.frames) expect(Math.abs(f.cy - (f.h - f.cy))).toBeGreaterThan(4);
  });

  it('projects the reference points of every frame to the pixels of VHAP\'s pipeline (1e-4 px)', () => {
    // VHAP inverts transform_matrix with a general inverse, ggtalker as a rigid transform
    // (transposed rotation); the file's rotations are float32-rounded, so the two differ by
    // ~1e-7 relative: ~1e-5 px here, ~1e-7 in depth.
    const points = expected.points.flat();
    const byFrame = new Map(expected.frames.map((e) => [key(e.timestep_index, e.camera_index), e]));
    expect(byFrame.size).toBe(ds.frames.length);
    let worst = 0;
    for (const f of ds.frames) {
      const want = byFrame.get(key(f.timestep, f.cameraIndex))!;
      const { pixels, depth } = projectPoints(f.camera, points);
      want.pixels.forEach(([u, v], i) => {
        worst = Math.max(worst, Math.abs(pixels[2 * i]! - u!), Math.abs(pixels[2 * i + 1]! - v!));
        expect(depth[i]!).toBeCloseTo(want.depth[i]!, 6);
      });
    }
    expect(worst).toBeLessThan(1e-4);
  });
});

describe('the FLAME parameters', () => {
  it('reads the canonical jaw VHAP writes as float64 as 0.3, the rest of the canonical pose as zeros', async () => {
    const raw = await readNpz(join(DATASET, 'canonical_flame_param.npz'));
    expect(raw.get('jaw_pose')!.dtype).toBe('float64');
    expect(raw.get('rotation')!.dtype).toBe('float32');
    const canonical = ds.canonicalFlame!;
    expect(canonical).toBeDefined();
    expect(canonical.jaw[0]).toBeCloseTo(0.3, 7);
    expect(Array.from(canonical.jaw.subarray(1))).toEqual([0, 0]);
    expect(Array.from(canonical.rotation)).toEqual([0, 0, 0]);
    expect(Array.from(canonical.expr)).toEqual([0, 0, 0, 0]);
    expect(canonical.shape).toHaveLength(8);
    expect(canonical.staticOffset).toHaveLength(TRACKED_VERTICES * 3);
  });

  it('reads every FLAME file with its 5143-row static offset, as stored', async () => {
    const files = [...new Set(ds.frames.map((f) => f.flameParams))];
    expect(files).toHaveLength(6);
    for (const file of files) {
      const raw = (await readNpz(file)).get('static_offset')!;
      expect(raw.shape).toEqual([1, TRACKED_VERTICES, 3]);
      const params = await loadVhapFlame(file);
      expect(params.staticOffset!.length / 3).toBe(TRACKED_VERTICES);
      expect(params.staticOffset).toEqual(raw.data);
      expect(params.expr).toHaveLength(4);
      expect(params.eyes).toHaveLength(6);
    }
  });

  it('loadAvatarDataset returns all 24 frames and the identity\'s 5143·3 static offsets', async () => {
    const loaded = await loadAvatarDataset(DATASET);
    expect(loaded.frames).toHaveLength(24);
    expect(loaded.staticOffset).toHaveLength(TRACKED_VERTICES * 3);
    expect(loaded.staticOffset).toEqual(ds.canonicalFlame!.staticOffset);
    expect(loaded.shape).toEqual(ds.canonicalFlame!.shape);
    // Its cameras are the reader's (cy flipped to the OpenCV row).
    const first = loaded.frames[0]!;
    const read = ds.frames.find((f) => f.timestep === first.timestep && f.cameraIndex === first.cameraIndex)!;
    expect(first.camera.cy).toBe(read.camera.cy);
    expect(first.image.shape).toEqual([40, 32, 3]);
    // Pixels and cameras agree: the head, drawn as a disc centred where VHAP projects the world
    // origin, has its mask centroid there (within a pixel; rows read upside down would put it
    // 7-11 px away) and its colour under that pixel; the corner is background (mask 0, white).
    const origin = new Map(expected.frames.map((e) => [key(e.timestep_index, e.camera_index), e.pixels[0]!]));
    for (const f of loaded.frames) {
      const [u, v] = origin.get(key(f.timestep!, f.cameraIndex!))!;
      const [col, row] = [Math.floor(u!), Math.floor(v!)];
      let [sum, sumX, sumY] = [0, 0, 0];
      for (let y = 0; y < 40; y++) {
        for (let x = 0; x < 32; x++) {
          const m = f.mask!.get(y, x);
          [sum, sumX, sumY] = [sum + m, sumX + m * (x + 0.5), sumY + m * (y + 0.5)];
        }
      }
      expect(Math.abs(sumX / sum - u!)).toBeLessThan(1);
      expect(Math.abs(sumY / sum - v!)).toBeLessThan(1);
      expect(f.mask!.get(0, 0)).toBe(0);
      expect(f.image.get(row, col, 2)).toBeLessThan(0.6);
      expect(f.image.get(0, 0, 2)).toBe(1);
    }
  });

  it('vhapFlameToParams keeps every one of the 5143 rows on FLAME with teeth (and refuses FLAME without)', async () => {
    const params: VhapFlameParams = await loadVhapFlame(ds.frames[0]!.flameParams);
    const teeth = addFlameTeeth(model);
    const out = vhapFlameToParams(params, teeth);
    expect(out.staticOffset!.shape).toEqual([TRACKED_VERTICES, 3]);
    expect(out.staticOffset!.data).toHaveLength(TRACKED_VERTICES * 3);
    expect(out.staticOffset!.data).toEqual(params.staticOffset);
    expect(out.shape!.data).toEqual(params.shape);
    expect(() => vhapFlameToParams(params, model)).toThrow(/5143 vertices but the model has 5023.*120 teeth vertices/);
  });
});

describe('adapt on the export', () => {
  it('adds the teeth automatically: an avatar with 5143 vertices keeping the tracked offsets', async () => {
    const steps = { map: 0, joint: 0, color: 0, inpainter: 0, a2e: 0 };
    const { avatar, report } = await adapt({ dataset: DATASET, model, steps, color: false, inpainter: false, uvSize: 64 });
    // Held out: the test timestep on the three training cameras; novel views: camera 3 (val + test).
    expect(report.heldOut.initial.frames).toBe(3);
    expect(report.novelViews?.initial.frames).toBe(6);
    expect(avatar.model.vertexCount).toBe(TRACKED_VERTICES);
    expect(hasFlameTeeth(avatar.model)).toBe(true);
    const saved = avatar.params.get('flame.static_offset')!.toArray().data;
    expect(saved).toHaveLength(TRACKED_VERTICES * 3);
    expect(Float32Array.from(saved)).toEqual(ds.canonicalFlame!.staticOffset);
  }, 120_000);
});

describe('a dataset tracked with fewer components than the model', () => {
  it('is padded with zeros for adaptation; more components than the model are refused', async () => {
    const { fitDatasetToModel } = await import('../lib/avatar/dataset.js');
    const ds = await loadAvatarDataset(DATASET);
    const wider = fitDatasetToModel(ds, { shapeCount: 12, exprCount: 10 });
    const f = wider.frames[0]!;
    expect(f.flame.expr).toHaveLength(10);
    expect(Array.from(f.flame.expr!.subarray(0, 4))).toEqual(Array.from(ds.frames[0]!.flame.expr!));
    expect(Array.from(f.flame.expr!.subarray(4))).toEqual(new Array(6).fill(0));
    expect(wider.shape).toHaveLength(12);
    expect(() => fitDatasetToModel(ds, { shapeCount: 8, exprCount: 2 })).toThrow(/the dataset's expr holds 4 coefficients but the model has 2/);
  });
});
