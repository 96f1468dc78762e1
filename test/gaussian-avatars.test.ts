// importGaussianAvatars: a GaussianAvatars model (point_cloud.ply with binding_0 +
// flame_param.npz) as a ggtalker Avatar. The reference is test/fixtures/gaussian-avatars/
// expected.npz: FLAME and GaussianAvatars' get_xyz / get_scaling / get_rotation evaluated in
// numpy float64 by make_fixture.py, independently of ggtalker. Rendering checks compare the
// rendered coverage with the reference means projected by hand, never with another render.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { handleToArray } from '../lib/a2e/native-params.js';
import {
  Avatar,
  encodePly,
  encodeNpz,
  Flame,
  FormatError,
  importGaussianAvatars,
  loadFlame,
  lookAt,
  parseBoundPly,
  parsePly,
  readNpz,
  readPly,
  rigGaussians,
  sampleUvGaussians,
  ValidationError,
  type Camera,
  type FlameModel,
  type FrameFlame,
  type NdArrayData,
} from '../lib/index.js';

const FIX = fileURLToPath(new URL('./fixtures/gaussian-avatars/', import.meta.url));
const PLY = join(FIX, 'point_cloud.ply');
const NPZ = join(FIX, 'flame_param.npz');

let model: FlameModel;
let expected: Map<string, NdArrayData>;
let flameParams: Map<string, NdArrayData>;
let plyBytes: Buffer;
let tmp: string;

beforeAll(async () => {
  model = await loadFlame(join(FIX, 'model.npz'));
  expected = await readNpz(join(FIX, 'expected.npz'));
  flameParams = await readNpz(NPZ);
  const { readFile } = await import('node:fs/promises');
  plyBytes = await readFile(PLY);
  tmp = await mkdtemp(join(tmpdir(), 'ggt-ga-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const N = 600; // Gaussians in the fixture
const T = 3; // timesteps
const ref = (name: string): Float64Array => Float64Array.from(expected.get(name)!.data as ArrayLike<number | bigint>, Number);
const f32 = (name: string): Float32Array => flameParams.get(name)!.data as Float32Array;

// ---------------------------------------------------------------------------------------------
// The ply, byte level, patched here by hand: // GaussianAvatars' layout is 63 float32 columns per row
// (x y z nx ny nz f_dc_0..2 f_rest_0..44 opacity scale_0..2 rot_0..3 binding_0).

const COLUMNS = 63;
const BINDING_COLUMN = 62;
function dataStart(bytes: Uint8Array): number {
  const marker = Buffer.from('end_header\n');
  return Buffer.from(bytes).indexOf(marker) + marker.length;
}
/** A copy of the fixture ply with binding_0 of `row` set to `value` (as float32). */
function withBinding(row: number, value: number): Buffer {
  const out = Buffer.from(plyBytes);
  out.writeFloatLE(value, dataStart(out) + (row * COLUMNS + BINDING_COLUMN) * 4);
  return out;
}

describe('GaussianAvatars point_cloud.ply', () => {
  it('is refused by readPly / parsePly: its local values are not returned as world space', async () => {
    await expect(readPly(PLY)).rejects.toThrow(FormatError);
    await expect(readPly(PLY)).rejects.toThrow(/point_cloud\.ply: this is a GaussianAvatars model bound to FLAME faces.*importGaussianAvatars/);
    expect(() => parsePly(plyBytes)).toThrow(/binding_0.*local to each Gaussian's triangle, not world space/);
  });

  it('is read as stored by parseBoundPly: binding, local xyz / scale / rot, opacity and SH as the file holds them', () => {
    const cloud = parseBoundPly(plyBytes, PLY);
    expect(cloud.space).toBe('local');
    expect(cloud.count).toBe(N);
    expect(cloud.shDegree).toBe(3);
    expect(Array.from(cloud.binding)).toEqual(Array.from(ref('binding')));
    // float32 columns compared exactly with numpy's float32 copies of the same columns
    expect(Array.from(cloud.offsets)).toEqual(Array.from(ref('xyz')));
    expect(Array.from(cloud.logScales)).toEqual(Array.from(ref('scale')));
    expect(Array.from(cloud.quats)).toEqual(Array.from(ref('rot')));
    expect(Array.from(cloud.opacityLogits)).toEqual(Array.from(ref('opacity')));
    const dc = ref('f_dc');
    const rest = ref('f_rest'); // [N, 45] channel-major: f_rest_{c·15 + k−1}
    for (let n = 0; n < N; n++) {
      for (let c = 0; c < 3; c++) {
        expect(cloud.sh[n * 48 + c]).toBe(dc[n * 3 + c]);
        for (let k = 1; k < 16; k++) expect(cloud.sh[n * 48 + k * 3 + c]).toBe(rest[n * 45 + c * 15 + k - 1]);
      }
    }
  });

  it('parseBoundPly refuses a world-space 3DGS ply and bindings that are not exact non-negative integers', () => {
    const plain = encodePly({ count: 1, means: new Float32Array(3), quats: Float32Array.of(1, 0, 0, 0), scales: Float32Array.of(1, 1, 1), opacities: Float32Array.of(0.5), sh: new Float32Array(3), shDegree: 0 });
    expect(() => parseBoundPly(plain, 'plain.ply')).toThrow(/plain\.ply: has no binding_0 vertex property: it is a world-space 3DGS PLY/);
    expect(() => parseBoundPly(withBinding(7, 3.5))).toThrow(/binding_0 of vertex 7 is 3\.5; expected a non-negative integer/);
    expect(() => parseBoundPly(withBinding(8, -1))).toThrow(/binding_0 of vertex 8 is -1/);
    // 2^24 + 2 is a float32, but float32 cannot tell it from a rounded 2^24 + 1 or + 3
    expect(() => parseBoundPly(withBinding(9, 2 ** 24 + 2))).toThrow(/at most 2\^24 = 16777216/);
    expect(parseBoundPly(withBinding(9, 2 ** 24)).binding[9]).toBe(2 ** 24);
  });
});

// ---------------------------------------------------------------------------------------------
// The import

/** Front camera, OpenCV axes: at z = EYE looking at the head. */
const SIZE = 128;
const EYE = 0.8;
const camera: Camera = { view: lookAt([0, 0, EYE], [0, 0, 0], [0, 1, 0]), fx: 220, fy: 220, cx: 64, cy: 64, width: SIZE, height: SIZE };

/** Pixel (column, row) of a world point, by hand. */
function project(p: ArrayLike<number>, at = 0): [number, number] {
  const v = camera.view as number[];
  const c = [0, 1, 2].map((r) => v[4 * r]! * p[at]! + v[4 * r + 1]! * p[at + 1]! + v[4 * r + 2]! * p[at + 2]! + v[4 * r + 3]!);
  return [camera.fx * (c[0]! / c[2]!) + camera.cx, camera.fy * (c[1]! / c[2]!) + camera.cy];
}

/** The ggtalker rig path (sample the map, pose FLAME, rig) on the avatar's own data, frames of the npz. */
async function riggedFromAvatar(avatar: Avatar, frames: FrameFlame[]) {
  const local = await sampleUvGaussians(avatar.map(), avatar.layout);
  const stack = (key: 'expr' | 'jaw' | 'rotation' | 'neck' | 'eyes' | 'translation', w: number) => ({
    data: Float32Array.from(frames.flatMap((f) => Array.from(f[key] ?? new Float32Array(w)))),
    shape: [frames.length, w],
  });
  const shape = handleToArray(avatar.params.get('flame.shape')!);
  const offset = handleToArray(avatar.params.get('flame.static_offset')!);
  const { vertices } = await Flame.from(avatar.model).forward({
    shape: { data: shape.data, shape: shape.shape },
    staticOffset: { data: offset.data, shape: offset.shape },
    expr: stack('expr', avatar.model.exprCount),
    jaw: stack('jaw', 3),
    rotation: stack('rotation', 3),
    neck: stack('neck', 3),
    eyes: stack('eyes', 6),
    translation: stack('translation', 3),
  });
  const rigged = await rigGaussians(vertices, { data: avatar.model.faces, shape: [avatar.model.faces.length / 3, 3] }, {
    face: local.face, bary: local.bary, offset: local.offset, logScale: local.logScale, quat: local.quat,
  });
  return { local, vertices, rigged };
}

describe('importGaussianAvatars', () => {
  it('packs the bound Gaussians into an S x S layout and map, and reports what it dropped', async () => {
    const { avatar, frames, report } = await importGaussianAvatars({ ply: PLY, model });
    expect(report).toEqual({
      gaussians: N, uvSize: 25, shDegree: 3, shDegreeDropped: true, maxBinding: 287, timesteps: T,
      shapeComponents: { file: 8, model: 8 }, exprComponents: { file: 6, model: 6 }, staticOffsetPadded: 0, ignored: ['dynamic_offset'],
    });
    expect(avatar.layout.face.shape).toEqual([25, 25]);
    expect(avatar.layout.count).toBe(N);
    const face = avatar.layout.face.data;
    const binding = ref('binding');
    for (let i = 0; i < 625; i++) expect(face[i]).toBe(i < N ? binding[i] : -1);
    for (let i = 0; i < N * 3; i++) expect(avatar.layout.bary.data[i]).toBe(Math.fround(1 / 3));
    // Channels: x y z | scale_* | rot_* | f_dc_* | opacity, as stored.
    const map = avatar.map().data;
    const [xyz, scale, rot, dc, opacity] = ['xyz', 'scale', 'rot', 'f_dc', 'opacity'].map(ref) as Float64Array[];
    for (let i = 0; i < N; i++) {
      const m = Array.from(map.subarray(14 * i, 14 * i + 14));
      expect(m).toEqual([...xyz!.subarray(3 * i, 3 * i + 3), ...scale!.subarray(3 * i, 3 * i + 3), ...rot!.subarray(4 * i, 4 * i + 4), ...dc!.subarray(3 * i, 3 * i + 3), opacity![i]!]);
    }
    expect(Array.from(handleToArray(avatar.params.get('flame.shape')!).data)).toEqual(Array.from(f32('shape')));
    expect(Array.from(handleToArray(avatar.params.get('flame.static_offset')!).data)).toEqual(Array.from(f32('static_offset')));
    expect(frames).toHaveLength(T);
    expect(Array.from(frames[1]!.jaw!)).toEqual(Array.from(f32('jaw_pose').subarray(3, 6)));
    expect(Array.from(frames[2]!.eyes!)).toEqual(Array.from(f32('eyes_pose').subarray(12, 18)));
    expect(avatar.track).toBeUndefined(); // no camera in flame_param.npz, none given
  });

  it("rigs each timestep's Gaussians where GaussianAvatars puts them (float64 reference)", async () => {
    const { avatar, frames } = await importGaussianAvatars({ ply: PLY, model });
    const { local, vertices, rigged } = await riggedFromAvatar(avatar, frames);
    expect(Array.from(local.face.data)).toEqual(Array.from(ref('binding')));
    // FLAME vertices first (float32 forward vs float64): |Δ| < 5e-7 m on a head of 0.2 m (measured 2e-8).
    const refVertices = ref('vertices');
    let vErr = 0;
    for (let i = 0; i < refVertices.length; i++) vErr = Math.max(vErr, Math.abs(vertices.data[i]! - refVertices[i]!));
    expect(vErr).toBeLessThan(5e-7);
    const means = ref('means');
    const scales = ref('scales');
    const rotations = ref('rotations'); // unit, w >= 0
    let meanErr = 0;
    let scaleErr = 0;
    let quatErr = 0;
    for (let i = 0; i < T * N; i++) {
      for (let c = 0; c < 3; c++) {
        meanErr = Math.max(meanErr, Math.abs(rigged.means.data[3 * i + c]! - means[3 * i + c]!));
        scaleErr = Math.max(scaleErr, Math.abs(rigged.scales.data[3 * i + c]! / scales[3 * i + c]! - 1));
      }
      const q = Array.from(rigged.quats.data.subarray(4 * i, 4 * i + 4));
      const norm = Math.hypot(...q) * (q[0]! < 0 ? -1 : 1);
      for (let c = 0; c < 4; c++) quatErr = Math.max(quatErr, Math.abs(q[c]! / norm - rotations[4 * i + c]!));
    }
    // Tolerances for float32 arithmetic (measured: means 4e-8 m, scales 2e-6 relative,
    // quaternions 2e-6): means |Δ| < 1e-6 m, scales relative 1e-5, unit quaternions
    // (sign-aligned) 2e-5 per component. A frame axis, sign or scale k off by anything
    // visible is off by millimetres and degrees.
    expect(meanErr).toBeLessThan(1e-6);
    expect(scaleErr).toBeLessThan(1e-5);
    expect(quatErr).toBeLessThan(2e-5);
  });

  it('renders the head where the reference means project, following the head motion', async () => {
    const { avatar, frames } = await importGaussianAvatars({ ply: PLY, model, camera });
    const out = await avatar.render({ frames: [frames[0]!, frames[2]!] });
    const means = ref('means');
    const scales = ref('scales');
    const timesteps = [0, 2];
    const alphas = timesteps.map((_, b) => out.alphas.data.subarray(b * SIZE * SIZE, (b + 1) * SIZE * SIZE));
    const pixels = timesteps.map((t) => Array.from({ length: N }, (_, i) => project(means, (t * N + i) * 3)));
    // How far each reference Gaussian can reach: 3 σ (the rasterizer's cut-off), σ in pixels
    // from its largest reference scale and depth (camera at z = EYE), plus a pixel.
    const reach = timesteps.map((t) => Array.from({ length: N }, (_, i) => {
      const j = (t * N + i) * 3;
      return (3 * Math.max(scales[j]!, scales[j + 1]!, scales[j + 2]!) * camera.fx) / (EYE - means[j + 2]!) + 1;
    }));
    /** Pixels drawn (alpha > 0.02) beyond the reach of every reference Gaussian of timestep index r. */
    const stray = (alpha: Float32Array, r: number): number => {
      let count = 0;
      for (let y = 0; y < SIZE; y++) {
        for (let x = 0; x < SIZE; x++) {
          if (alpha[y * SIZE + x]! < 0.02) continue;
          if (!pixels[r]!.some(([u, v], i) => Math.hypot(u - x - 0.5, v - y - 0.5) < reach[r]![i]!)) count++;
        }
      }
      return count;
    };
    /** Fraction of the reference means of timestep index r that land on covered pixels (alpha > 0.5). */
    const covered = (alpha: Float32Array, r: number): number =>
      pixels[r]!.filter(([u, v]) => alpha[Math.floor(v) * SIZE + Math.floor(u)]! > 0.5).length / N;
    for (const b of [0, 1]) {
      expect(covered(alphas[b]!, b)).toBeGreaterThan(0.97);
      expect(stray(alphas[b]!, b)).toBe(0);
    }
    // The same checks against the other timestep's reference fail: the render follows the motion.
    expect(stray(alphas[0]!, 1) + stray(alphas[1]!, 0)).toBeGreaterThan(50);
  });

  it('is driven by expressions: opening the jaw moves the lower-face Gaussians down and leaves the crown', async () => {
    const { avatar } = await importGaussianAvatars({ ply: PLY, model, camera });
    const E = model.exprCount;
    const neutral = { expr: new Float32Array(E), jaw: new Float32Array(3) };
    const open = { expr: new Float32Array(E), jaw: Float32Array.of(0.4, 0, 0) };
    // The Gaussians: bound to faces whose corners all follow the jaw (weight > 0.5) vs the crown (y > 0.05).
    const { rigged } = await riggedFromAvatar(avatar, [neutral, open]);
    const binding = ref('binding');
    const jawFace = (f: number): boolean => [0, 1, 2].every((k) => model.lbsWeights[model.faces[3 * f + k]! * 5 + 2]! > 0.5);
    const crownFace = (f: number): boolean => [0, 1, 2].every((k) => model.vTemplate[model.faces[3 * f + k]! * 3 + 1]! > 0.05);
    let lower = 0, lowerDy = 0, crown = 0, crownMove = 0;
    for (let i = 0; i < N; i++) {
      const d = [0, 1, 2].map((c) => rigged.means.data[(N + i) * 3 + c]! - rigged.means.data[i * 3 + c]!);
      if (jawFace(binding[i]!)) { lower++; lowerDy += d[1]!; }
      if (crownFace(binding[i]!)) { crown++; crownMove = Math.max(crownMove, Math.hypot(...d)); }
    }
    expect(lower).toBeGreaterThan(20);
    expect(crown).toBeGreaterThan(20);
    expect(lowerDy / lower).toBeLessThan(-0.005); // down by more than 5 mm on average
    expect(crownMove).toBeLessThan(0.002); // pose correctives only
    // The rendered frames change below the jaw joint, hardly over the crown (image rows of the
    // jaw joint's height in the reference mesh, and of y = 0.05 m where the crown faces start).
    const out = await avatar.render({ frames: [neutral, open] });
    const refVertices = ref('vertices'); // timestep 0: neutral pose
    const rowOf = (y: number): number => Math.floor(project([0, y, 0.05])[1]);
    let jawY = 0;
    for (let v = 0; v < model.vertexCount; v++) jawY += model.jRegressor[2 * model.vertexCount + v]! * refVertices[3 * v + 1]!;
    const jawRow = rowOf(jawY);
    const crownRow = rowOf(0.05);
    const change = (r0: number, r1: number): number => {
      let sum = 0;
      for (let y = Math.max(0, r0); y < Math.min(SIZE, r1); y++) {
        for (let x = 0; x < SIZE; x++) for (let c = 0; c < 3; c++) sum += Math.abs(out.frames.data[SIZE * SIZE * 3 + (y * SIZE + x) * 3 + c]! - out.frames.data[(y * SIZE + x) * 3 + c]!);
      }
      return sum / Math.max(1, Math.min(SIZE, r1) - Math.max(0, r0));
    };
    expect(jawRow).toBeGreaterThan(crownRow + 10);
    const below = change(jawRow, SIZE);
    const above = change(0, crownRow);
    expect(below).toBeGreaterThan(2); // mean |Δ| per row, summed over columns and channels (measured 5.0)
    expect(below).toBeGreaterThan(5 * above); // measured ratio ≈ 9
  });

  it('saves and reloads (Avatar.save / Avatar.load) and renders identically', async () => {
    const { avatar, frames } = await importGaussianAvatars({ ply: PLY, model, camera });
    const path = join(tmp, 'imported.ggtavatar');
    await avatar.save(path);
    const loaded = await Avatar.load(path);
    expect(Array.from(loaded.layout.face.data)).toEqual(Array.from(avatar.layout.face.data));
    expect(loaded.layout.count).toBe(N);
    expect(Array.from(loaded.map().data)).toEqual(Array.from(avatar.map().data));
    expect(Array.from(handleToArray(loaded.params.get('flame.static_offset')!).data)).toEqual(Array.from(f32('static_offset')));
    expect(Array.from(loaded.track!.rotation)).toEqual(Array.from(f32('rotation')));
    const a = await avatar.render({ frames: [frames[1]!] });
    const b = await loaded.render({ frames: [frames[1]!] });
    expect(Buffer.from(b.frames.data.buffer).equals(Buffer.from(a.frames.data.buffer))).toBe(true);
    expect(a.alphas.data.some((v) => v > 0.5)).toBe(true);
  });

  it('stores a given camera as the track, with the npz head motion', async () => {
    const { avatar } = await importGaussianAvatars({ ply: PLY, model, camera });
    const track = avatar.track!;
    expect(track.frames).toBe(T);
    expect(Array.from(track.neck)).toEqual(Array.from(f32('neck_pose')));
    expect(Array.from(track.eyes)).toEqual(Array.from(f32('eyes_pose')));
    expect(Array.from(track.translation)).toEqual(Array.from(f32('translation')));
    expect(track.background.shape).toEqual([SIZE, SIZE, 3]);
  });

  it('refuses bindings past the model faces, naming the ply, the largest binding and addFlameTeeth', async () => {
    const path = join(tmp, 'point_cloud.ply');
    await writeFile(path, withBinding(3, 288)); // the model has 288 faces: 0..287
    const attempt = importGaussianAvatars({ ply: path, flameParams: NPZ, model });
    await expect(attempt).rejects.toThrow(ValidationError);
    await expect(importGaussianAvatars({ ply: path, flameParams: NPZ, model })).rejects.toThrow(
      new RegExp(`${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} binds Gaussians to faces up to 288, but the model has 288 faces.*addFlameTeeth`),
    );
  });

  it('pads a static offset with fewer rows than the model vertices with zeros, and refuses more rows', async () => {
    const V = model.vertexCount;
    const so = f32('static_offset');
    const withOffset = (rows: number, shape: number[]): Map<string, NdArrayData> => {
      const data = new Float32Array(rows * 3);
      data.set(so.subarray(0, Math.min(rows, V) * 3));
      if (rows > V) data.fill(0.001, V * 3);
      return new Map([...flameParams, ['static_offset', { dtype: 'float32', shape, data }]]);
    };
    const short = await importGaussianAvatars({ ply: PLY, flameParams: withOffset(V - 6, [1, V - 6, 3]), model });
    expect(short.report.staticOffsetPadded).toBe(6);
    const padded = handleToArray(short.avatar.params.get('flame.static_offset')!);
    expect(padded.shape).toEqual([V, 3]);
    expect(Array.from(padded.data.subarray(0, (V - 6) * 3))).toEqual(Array.from(so.subarray(0, (V - 6) * 3)));
    expect(Array.from(padded.data.subarray((V - 6) * 3))).toEqual(new Array(18).fill(0));
    // [V, 3] (what load_meshes stores with disable_flame_static_offset) is accepted as well.
    const flat = await importGaussianAvatars({ ply: PLY, flameParams: withOffset(V, [V, 3]), model });
    expect(flat.report.staticOffsetPadded).toBe(0);
    await expect(importGaussianAvatars({ ply: PLY, flameParams: withOffset(V + 1, [1, V + 1, 3]), model })).rejects.toThrow(
      /static_offset has 147 rows, but the model has 146 vertices/,
    );
  });

  it('fits shape and expression components to the model: zero-padded, zero-trimmed, refused when non-zero', async () => {
    const E = model.exprCount;
    const expr = f32('expr');
    const withExpr = (width: number, fill: number): Map<string, NdArrayData> => {
      const data = new Float32Array(T * width).fill(fill);
      for (let t = 0; t < T; t++) for (let c = 0; c < Math.min(width, E); c++) data[t * width + c] = expr[t * E + c]!;
      return new Map([...flameParams, ['expr', { dtype: 'float32', shape: [T, width], data }]]);
    };
    const fewer = await importGaussianAvatars({ ply: PLY, flameParams: withExpr(E - 2, 0), model });
    expect(fewer.report.exprComponents).toEqual({ file: E - 2, model: E });
    expect(Array.from(fewer.frames[1]!.expr!)).toEqual([...Array.from(expr.subarray(E, 2 * E - 2)), 0, 0]);
    const zeroTail = await importGaussianAvatars({ ply: PLY, flameParams: withExpr(E + 3, 0), model });
    expect(Array.from(zeroTail.frames[2]!.expr!)).toEqual(Array.from(expr.subarray(2 * E, 3 * E)));
    await expect(importGaussianAvatars({ ply: PLY, flameParams: withExpr(E + 3, 0.5), model })).rejects.toThrow(
      /expr component 6 of timestep 0 is 0\.5, but the model has only 6 expression components/,
    );
    const shape = new Float32Array(12);
    shape.set(f32('shape'));
    shape[10] = 0.25;
    await expect(
      importGaussianAvatars({ ply: PLY, flameParams: new Map([...flameParams, ['shape', { dtype: 'float32', shape: [12], data: shape }]]), model }),
    ).rejects.toThrow(/shape component 10 is 0\.25, but the model has only 8 shape components/);
  });

  it('finds flame_param.npz beside the ply, and asks for it otherwise', async () => {
    const bytesNoNpz = importGaussianAvatars({ ply: plyBytes, model });
    await expect(bytesNoNpz).rejects.toThrow(/expected options\.flameParams/);
    const alone = join(tmp, 'alone');
    const { mkdir } = await import('node:fs/promises');
    await mkdir(alone, { recursive: true });
    await writeFile(join(alone, 'point_cloud.ply'), plyBytes);
    await expect(importGaussianAvatars({ ply: join(alone, 'point_cloud.ply'), model })).rejects.toThrow(/no flame_param\.npz beside/);
    await writeFile(join(alone, 'flame_param.npz'), encodeNpz(flameParams));
    const found = await importGaussianAvatars({ ply: join(alone, 'point_cloud.ply'), model });
    expect(found.report.timesteps).toBe(T);
    await expect(importGaussianAvatars({ ply: plyBytes, flameParams: new Map([...flameParams].filter(([k]) => k !== 'jaw_pose')), model })).rejects.toThrow(
      /has no "jaw_pose"/,
    );
  });
});
