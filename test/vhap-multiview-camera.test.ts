// VHAP's principal point: its exports keep the OpenGL camera of its default
// camera_convention_conversion 'opencv->opengl' (vhap/util/camera.py: K[1, 2] = H − K[1, 2]),
// and its tools project with projection_from_intrinsics ((h − 2·cy)/h) and flip y into pixel
// rows (export_as_nerf_dataset.py MaskFromFLAME: world_to_ndc(..., flip_y=True), then
// (ndc·0.5 + 0.5)·[w, h]). The reference below is that pipeline in float64, written from those
// facts; ggtalker's reader must give the same pixel for an off-centre principal point, and
// what its writer writes must project through VHAP's pipeline to the OpenCV camera's pixel.
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { writeNpz } from '../lib/io/npy.js';
import { encodePng } from '../lib/io/png.js';
import { lookAt } from '../lib/render/camera.js';
import { projectPoints, readVhapDataset, writeVhapDataset, type VhapWriteFrame } from '../lib/io/vhap.js';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'ggt-vhap-cy-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const W = 64;
const H = 48;

/** Inverse of a rigid 4×4 (rows). */
function invertRigid(m: number[][]): number[][] {
  const r = [0, 1, 2].map((i) => [0, 1, 2].map((j) => m[j]![i]!));
  const t = [0, 1, 2].map((i) => -(r[i]![0]! * m[0]![3]! + r[i]![1]! * m[1]![3]! + r[i]![2]! * m[2]![3]!));
  return [[...r[0]!, t[0]!], [...r[1]!, t[1]!], [...r[2]!, t[2]!], [0, 0, 0, 1]];
}

/**
 * VHAP's own projection of a world point with a frame of its transforms.json: w2c (OpenGL) =
 * inverse(transform_matrix); clip = P · w2c · p with P from projection_from_intrinsics; ndc =
 * clip.xyz / clip.w; y flipped; pixel = (ndc · 0.5 + 0.5) · [w, h].
 */
function vhapProject(frame: { transform_matrix: number[][]; fl_x: number; fl_y: number; cx: number; cy: number; w: number; h: number }, p: number[]): [number, number] {
  const w2c = invertRigid(frame.transform_matrix);
  const cam = [0, 1, 2].map((i) => w2c[i]![0]! * p[0]! + w2c[i]![1]! * p[1]! + w2c[i]![2]! * p[2]! + w2c[i]![3]!);
  const { fl_x: fx, fl_y: fy, cx, cy, w, h } = frame;
  const near = 0.1;
  const far = 10;
  const clip = [
    ((fx * 2) / w) * cam[0]! + ((w - 2 * cx) / w) * cam[2]!,
    ((fy * 2) / h) * cam[1]! + ((h - 2 * cy) / h) * cam[2]!,
    (-(far + near) / (far - near)) * cam[2]! - (2 * far * near) / (far - near),
    -cam[2]!,
  ];
  const ndcX = clip[0]! / clip[3]!;
  const ndcY = -(clip[1]! / clip[3]!); // flip_y
  return [(ndcX * 0.5 + 0.5) * w, (ndcY * 0.5 + 0.5) * h];
}

/** A VHAP NeRFDatasetWriter-style frame from an OpenCV camera (K with cy from the top): cy written as H − cy. */
function vhapFrame(view: ArrayLike<number>, K: { fx: number; fy: number; cx: number; cy: number }, t: number, cam: number) {
  // c2w (OpenCV) = inverse(view); OpenGL axes: columns y and z negated.
  const rows = [0, 1, 2, 3].map((i) => [0, 1, 2, 3].map((j) => view[4 * i + j]!));
  const c2w = invertRigid(rows).map((r) => [r[0]!, -r[1]!, -r[2]!, r[3]!]);
  return {
    timestep_index: t,
    camera_index: cam,
    cx: K.cx,
    cy: H - K.cy,
    fl_x: K.fx,
    fl_y: K.fy,
    h: H,
    w: W,
    transform_matrix: c2w,
    file_path: `images/${String(t).padStart(5, '0')}_${String(cam).padStart(2, '0')}.png`,
    flame_param_path: `flame_param/${String(t).padStart(5, '0')}.npz`,
  };
}

// Three cameras around the head with principal points well off centre (as NeRSemble's are).
const CAMERAS = [
  { eye: [0.1, 0.05, 1.0], K: { fx: 70, fy: 71, cx: 29.5, cy: 17.25 } },
  { eye: [0.7, -0.1, 0.75], K: { fx: 66, fy: 66, cx: 36, cy: 31.5 } },
  { eye: [-0.6, 0.2, 0.8], K: { fx: 74, fy: 73, cx: 30.25, cy: 20 } },
];
const POINTS = [
  [0, 0, 0],
  [0.03, 0.05, 0.02],
  [-0.04, -0.06, 0.05],
];

describe('VHAP multi-view cameras with an off-centre principal point', () => {
  it('reads cy as VHAP does: ggtalker projects every point to the pixel VHAP projects it to', async () => {
    const dir = join(root, 'read');
    await mkdir(join(dir, 'images'), { recursive: true });
    await mkdir(join(dir, 'flame_param'), { recursive: true });
    const frames = CAMERAS.map((c, i) => vhapFrame(lookAt(c.eye as [number, number, number], [0, 0, 0], [0, 1, 0]), c.K, 0, i));
    await writeFile(join(dir, 'transforms.json'), JSON.stringify({ frames, ...frames[0], frames_count: 3 }));
    for (const f of frames) await writeFile(join(dir, f.file_path), encodePng({ data: new Float32Array(W * H * 3), shape: [H, W, 3] }));
    await writeNpz(join(dir, 'flame_param/00000.npz'), { expr: { dtype: 'float32', shape: [1, 2], data: new Float32Array(2) } });

    const ds = await readVhapDataset(dir);
    expect(ds.frames).toHaveLength(3);
    for (const [i, frame] of ds.frames.entries()) {
      // The OpenCV principal point comes back (cy from the top), not VHAP's bottom-up value.
      expect(frame.camera.cy).toBeCloseTo(CAMERAS[i]!.K.cy, 9);
      const { pixels } = projectPoints(frame.camera, POINTS.flat());
      for (const [k, p] of POINTS.entries()) {
        const [u, v] = vhapProject(frames[i]!, p);
        expect(pixels[2 * k]!).toBeCloseTo(u, 6);
        expect(pixels[2 * k + 1]!).toBeCloseTo(v, 6);
      }
    }
  });

  it('writes cy as VHAP reads it: VHAP\'s projection of the written JSON gives the OpenCV camera\'s pixels', async () => {
    const dir = join(root, 'write');
    const image = new Float32Array(W * H * 3);
    const written: VhapWriteFrame[] = CAMERAS.map((c, i) => ({
      timestep: 0,
      cameraIndex: i,
      split: 'train',
      camera: { view: lookAt(c.eye as [number, number, number], [0, 0, 0], [0, 1, 0]), ...c.K, width: W, height: H },
      image: { data: image, shape: [H, W, 3] },
      ...(i === 0 ? { flame: {} } : {}),
    }));
    await writeVhapDataset(dir, { frames: written, canonicalFlame: {}, vertexCount: 4 });
    const json = JSON.parse(await readFile(join(dir, 'transforms.json'), 'utf8')) as { frames: Parameters<typeof vhapProject>[0][] };
    for (const [i, frame] of json.frames.entries()) {
      expect(frame.cy).toBeCloseTo(H - CAMERAS[i]!.K.cy, 9);
      const { pixels } = projectPoints(written[i]!.camera as Parameters<typeof projectPoints>[0], POINTS.flat());
      for (const [k, p] of POINTS.entries()) {
        const [u, v] = vhapProject(frame, p);
        expect(u).toBeCloseTo(pixels[2 * k]!, 6);
        expect(v).toBeCloseTo(pixels[2 * k + 1]!, 6);
      }
    }
    // And the round trip gives the cameras back.
    const ds = await readVhapDataset(dir);
    for (const [i, f] of ds.frames.entries()) expect(f.camera.cy).toBeCloseTo(CAMERAS[i]!.K.cy, 5);
  });
});
