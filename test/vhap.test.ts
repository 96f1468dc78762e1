// VHAP / GaussianAvatars datasets: the writer's files read back by the reader (cameras,
// pixels, FLAME parameters), the camera axis conversion against known matrices, hand-written
// VHAP-style JSON, images through ffmpeg, resizing, and the errors for broken datasets.
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { FileSystemError, FormatError, ValidationError } from '../lib/errors.js';
import { writeNpz } from '../lib/io/npy.js';
import { encodePng, writePng } from '../lib/io/png.js';
import { lookAt } from '../lib/render/camera.js';
import { mulberry32 } from '../lib/random.js';
import {
  loadVhapFlame,
  loadVhapImage,
  projectPoints,
  readVhapDataset,
  resizeArea,
  scaleCamera,
  transformMatrixFromView,
  VhapDatasetWriter,
  vhapFlameToParams,
  viewFromTransformMatrix,
  writeVhapDataset,
  type VhapSplit,
  type VhapWriteFrame,
} from '../lib/io/vhap.js';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'ggt-vhap-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});


const W = 9;
const H = 7;

function cameraAt(yawDeg: number, width = W, height = H) {
  const a = (yawDeg * Math.PI) / 180;
  return {
    view: lookAt([0.9 * Math.sin(a), 0.05, 0.9 * Math.cos(a)], [0, 0.01, 0], [0, 1, 0]),
    fx: 11.5,
    fy: 12.25,
    cx: width / 2 + 0.3,
    cy: height / 2 - 0.2,
    width,
    height,
  };
}

describe('camera conversion', () => {
  it('maps a camera at +z looking at the origin to the identity OpenGL rotation', () => {
    const view = lookAt([0, 0, 1], [0, 0, 0], [0, 1, 0]);
    const c2w = transformMatrixFromView(view);
    const expected = [
      [1, 0, 0, 0],
      [0, 1, 0, 0],
      [0, 0, 1, 1],
      [0, 0, 0, 1],
    ];
    c2w.flat().forEach((v, i) => expect(v).toBeCloseTo(expected.flat()[i]!, 12));
    // and back: VHAP's default monocular camera (c2w = I, translated to z = 1) is that view.
    viewFromTransformMatrix(expected.flat()).forEach((v, i) => expect(v).toBeCloseTo(view[i]!, 12));
  });

  it('maps a camera looking down -x (OpenGL) to the matching OpenCV view', () => {
    // OpenGL camera at (2, 0, 0) rotated +90° about y: its -z axis (viewing direction) is -x.
    const c2w = [0, 0, 1, 2, 0, 1, 0, 0, -1, 0, 0, 0, 0, 0, 0, 1];
    const view = viewFromTransformMatrix(c2w);
    viewFromTransformMatrix(c2w).forEach((v, i) => expect(v).toBeCloseTo(lookAt([2, 0, 0], [0, 0, 0], [0, 1, 0])[i]!, 12));
    // The origin is 2 m in front (OpenCV +z); a point above the origin is up in the image (−y).
    const { pixels, depth } = projectPoints({ view, fx: 100, fy: 100, cx: 50, cy: 50, width: 100, height: 100 }, [0, 0, 0, 0, 0.2, 0]);
    expect(Array.from(depth)).toEqual([2, 2]);
    expect(pixels[0]).toBeCloseTo(50, 12);
    expect(pixels[3]).toBeCloseTo(40, 12);
  });

  it('rejects a non-rigid matrix', () => {
    const scaled = [2, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
    expect(() => viewFromTransformMatrix(scaled)).toThrow(/not a rotation/);
    expect(() => transformMatrixFromView([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 1, 1])).toThrow(/last row/);
  });

  it('scales intrinsics with the image', () => {
    const c = scaleCamera({ view: lookAt([0, 0, 1], [0, 0, 0]), fx: 100, fy: 120, cx: 64, cy: 32, width: 128, height: 64 }, 64, 16);
    expect([c.fx, c.fy, c.cx, c.cy, c.width, c.height]).toEqual([50, 30, 32, 8, 64, 16]);
  });
});

describe('writeVhapDataset -> readVhapDataset round trip', () => {
  let dir: string;
  const cameras = [cameraAt(0), cameraAt(30), cameraAt(-30)];
  const splitOf = (t: number, c: number): VhapSplit => (c > 0 ? 'test' : t < 3 ? 'train' : t === 3 ? 'val' : 'test');
  const frames: VhapWriteFrame[] = [];
  const flames = new Map<number, ReturnType<typeof flameOf>>();
  const random = mulberry32(7);
  const flameOf = (t: number) => ({
    expr: Float32Array.from({ length: 17 }, () => random() - 0.5),
    rotation: Float32Array.from({ length: 3 }, () => 0.1 * (random() - 0.5)),
    neck: Float32Array.from({ length: 3 }, () => 0.05 * (random() - 0.5)),
    jaw: Float32Array.of(0.1 * t, 0, 0),
    eyes: Float32Array.from({ length: 6 }, () => 0.02 * (random() - 0.5)),
    translation: Float32Array.of(0.001 * t, 0, 0),
  });
  const shape = Float32Array.from({ length: 26 }, (_, i) => Math.sin(i) * 0.7);
  const staticOffset = Float32Array.from({ length: 12 }, (_, i) => i * 1e-4);

  beforeAll(async () => {
    dir = join(root, 'roundtrip');
    for (let t = 0; t < 5; t++) {
      flames.set(t, flameOf(t));
      cameras.forEach((camera, c) => {
        if (c > 0 && t % 2 !== 0) return;
        frames.push({
          timestep: t,
          cameraIndex: c,
          split: splitOf(t, c),
          camera,
          image: { data: Float32Array.from({ length: H * W * 3 }, () => random()), shape: [H, W, 3] },
          mask: { data: Float32Array.from({ length: H * W }, () => random()), shape: [H, W] },
          flame: flames.get(t),
        });
      });
    }
    // Frames given out of order: the JSON is ordered by timestep, then camera.
    const shuffled = [...frames].reverse();
    const progress: number[] = [];
    const result = await writeVhapDataset(dir, {
      frames: shuffled,
      canonicalFlame: { shape, staticOffset, jaw: [0.3, 0, 0] },
      fps: 25,
      extra: { ggtalker: { identitySeed: 3 } },
      onProgress: (n) => progress.push(n),
    });
    expect(result).toEqual({ frames: frames.length, timesteps: 5 });
    expect(progress.at(-1)).toBe(frames.length);
  });

  it('lays out the files as VHAP exports them', async () => {
    const all = JSON.parse(await readFile(join(dir, 'transforms.json'), 'utf8'));
    expect(all.frames).toHaveLength(11);
    expect(all.frames[0]).toMatchObject({
      timestep_index: 0,
      camera_index: 0,
      file_path: 'images/00000_00.png',
      fg_mask_path: 'fg_masks/00000_00.png',
      flame_param_path: 'flame_param/00000.npz',
      fl_x: 11.5,
      fl_y: 12.25,
      w: W,
      h: H,
    });
    expect(all.frames[1].file_path).toBe('images/00000_01.png');
    expect(all.timestep_indices).toEqual([0, 1, 2, 3, 4]);
    expect(all.camera_indices).toEqual([0, 1, 2]);
    expect(all.fps).toBe(25);
    expect(all.ggtalker).toEqual({ identitySeed: 3 });
    const test = JSON.parse(await readFile(join(dir, 'transforms_test.json'), 'utf8'));
    expect(test.frames.map((f: { file_path: string }) => f.file_path)).toEqual([
      'images/00000_01.png',
      'images/00000_02.png',
      'images/00002_01.png',
      'images/00002_02.png',
      'images/00004_00.png',
      'images/00004_01.png',
      'images/00004_02.png',
    ]);
    // VHAP's keys and shapes: poses [1, D], shape [S], static_offset [1, V, 3].
    const { readNpz } = await import('../lib/io/npy.js');
    const npz = await readNpz(join(dir, 'flame_param', '00002.npz'));
    expect(Object.fromEntries([...npz].map(([k, v]) => [k, v.shape]))).toEqual({
      rotation: [1, 3],
      neck_pose: [1, 3],
      jaw_pose: [1, 3],
      eyes_pose: [1, 6],
      translation: [1, 3],
      expr: [1, 17],
      shape: [26],
      static_offset: [1, 4, 3],
    });
  });

  it('reads back the same cameras, pixels and FLAME parameters', async () => {
    const dataset = await readVhapDataset(dir);
    expect(dataset.frames).toHaveLength(frames.length);
    expect(dataset.timesteps).toEqual([0, 1, 2, 3, 4]);
    expect(dataset.cameras).toEqual([0, 1, 2]);
    expect(dataset.fps).toBe(25);
    expect(dataset.extra).toEqual({ ggtalker: { identitySeed: 3 } });
    for (const original of frames) {
      const frame = dataset.frames.find((f) => f.timestep === original.timestep && f.cameraIndex === original.cameraIndex)!;
      expect(frame.split).toBe(original.split);
      const cam = original.camera as ReturnType<typeof cameraAt>;
      frame.camera.view.forEach((v, i) => expect(Math.abs(v - cam.view[i]!)).toBeLessThan(1e-6));
      expect([frame.camera.fx, frame.camera.fy, frame.camera.cx, frame.camera.cy, frame.camera.width, frame.camera.height]).toEqual([
        cam.fx,
        cam.fy,
        cam.cx,
        cam.cy,
        cam.width,
        cam.height,
      ]);
      const { image, mask, camera } = await loadVhapImage(frame);
      expect(image.shape).toEqual([H, W, 3]);
      expect(camera).toEqual(frame.camera);
      const src = original.image.data as Float32Array;
      for (let i = 0; i < src.length; i++) expect(Math.abs(image.data[i]! - src[i]!)).toBeLessThanOrEqual(0.5 / 255 + 1e-7);
      const srcMask = original.mask!.data as Float32Array;
      for (let i = 0; i < srcMask.length; i++) expect(Math.abs(mask!.data[i]! - srcMask[i]!)).toBeLessThanOrEqual(0.5 / 255 + 1e-7);
      const flame = await loadVhapFlame(frame.flameParams);
      const expected = flames.get(original.timestep)!;
      expect(flame.expr).toEqual(expected.expr);
      expect(flame.rotation).toEqual(expected.rotation);
      expect(flame.neck).toEqual(expected.neck);
      expect(flame.jaw).toEqual(expected.jaw);
      expect(flame.eyes).toEqual(expected.eyes);
      expect(flame.translation).toEqual(expected.translation);
      expect(flame.shape).toEqual(shape);
      expect(flame.staticOffset).toEqual(staticOffset);
    }
    expect(dataset.canonicalFlame!.shape).toEqual(shape);
    expect(dataset.canonicalFlame!.jaw).toEqual(Float32Array.of(0.3, 0, 0));
    expect(dataset.canonicalFlame!.expr).toEqual(new Float32Array(0));
  });

  it('reads each split on its own', async () => {
    const counts = Object.fromEntries(
      await Promise.all((['train', 'val', 'test'] as const).map(async (s) => [s, (await readVhapDataset(dir, { split: s })).frames.length])),
    );
    expect(counts).toEqual({ train: 3, val: 1, test: 7 });
    const val = await readVhapDataset(dir, { split: 'val' });
    expect(val.frames.map((f) => [f.timestep, f.cameraIndex, f.split])).toEqual([[3, 0, 'val']]);
  });

  it('resizes by area averaging and scales the camera', async () => {
    const dataset = await readVhapDataset(dir, { split: 'train' });
    const frame = dataset.frames[0]!;
    const full = await loadVhapImage(frame);
    const small = await loadVhapImage(frame, { size: { width: 3, height: 7 } });
    expect(small.image.shape).toEqual([7, 3, 3]);
    // Each output pixel is the mean of 3 input columns.
    for (let y = 0; y < 7; y++) {
      for (let c = 0; c < 3; c++) {
        const mean = (full.image.get(y, 3, c) + full.image.get(y, 4, c) + full.image.get(y, 5, c)) / 3;
        expect(small.image.get(y, 1, c)).toBeCloseTo(mean, 6);
      }
    }
    expect(small.camera.fx).toBeCloseTo(11.5 / 3, 12);
    expect(small.camera.cx).toBeCloseTo((W / 2 + 0.3) / 3, 12);
    expect(small.camera.fy).toBe(12.25);
    const longest = await loadVhapImage(frame, { size: 18 });
    expect(longest.image.shape).toEqual([14, 18, 3]);
    expect(longest.mask!.shape).toEqual([14, 18]);
  });
});

describe('resizeArea', () => {
  it('averages fractional areas exactly', () => {
    // 3 -> 2 pixels in x: output 0 = (a + b/2) / 1.5, output 1 = (b/2 + c) / 1.5.
    const out = resizeArea({ width: 3, height: 1, channels: 1, data: Float32Array.of(0, 0.6, 0.9) }, 2, 1);
    expect(out.data[0]).toBeCloseTo((0 + 0.3) / 1.5, 6);
    expect(out.data[1]).toBeCloseTo((0.3 + 0.9) / 1.5, 6);
  });
});

describe('reading VHAP-style datasets written by hand', () => {
  async function dataset(name: string, json: unknown, files: { image?: boolean; flame?: boolean } = {}): Promise<string> {
    const dir = join(root, name);
    await mkdir(join(dir, 'images'), { recursive: true });
    await mkdir(join(dir, 'flame_param'), { recursive: true });
    await writeFile(join(dir, 'transforms.json'), typeof json === 'string' ? json : JSON.stringify(json));
    if (files.image ?? true) await writePng(join(dir, 'images', '00000_00.png'), { data: new Float32Array(4 * 6 * 4).fill(0.5), shape: [4, 6, 4] });
    if (files.flame ?? true) await writeNpz(join(dir, 'flame_param', '00000.npz'), { expr: { dtype: 'float64', shape: [1, 3], data: Float64Array.of(1, 2, 3) } });
    return dir;
  }
  const frame = (extra: Record<string, unknown> = {}) => ({
    timestep_index: 0,
    camera_index: 0,
    file_path: 'images/00000_00', // no extension: .png (GaussianAvatars' convention)
    flame_param_path: 'flame_param/00000.npz',
    transform_matrix: [
      [1, 0, 0, 0],
      [0, 1, 0, 0],
      [0, 0, 1, 1],
      [0, 0, 0, 1],
    ],
    ...extra,
  });

  it('takes shared intrinsics from the top level and camera_angle_x as the fallback', async () => {
    const dir = await dataset('angle', { camera_angle_x: 2 * Math.atan(3 / 10), w: 6, h: 4, frames: [frame()] });
    const data = await readVhapDataset(dir);
    const { camera } = data.frames[0]!;
    expect(camera.fx).toBeCloseTo(10, 9);
    expect(camera.fy).toBeCloseTo(10, 9);
    expect([camera.cx, camera.cy, camera.width, camera.height]).toEqual([3, 2, 6, 4]);
    expect(data.frames[0]!.split).toBe('train');
    expect(data.frames[0]!.image).toBe(join(dir, 'images', '00000_00.png'));
    expect(data.canonicalFlame).toBeUndefined();
    // An RGBA image without a mask file: the mask is its alpha.
    const { image, mask } = await loadVhapImage(data.frames[0]!);
    expect(image.shape).toEqual([4, 6, 3]);
    expect(mask!.data.every((v) => Math.abs(v - 128 / 255) < 1e-7)).toBe(true);
    // Missing keys read as zeros, float64 as float32, the leading dimension is optional.
    const flame = await loadVhapFlame(data.frames[0]!.flameParams);
    expect(flame.expr).toEqual(Float32Array.of(1, 2, 3));
    expect(flame.jaw).toEqual(new Float32Array(3));
    expect(flame.eyes).toEqual(new Float32Array(6));
    expect(flame.shape).toBeUndefined();
  });

  it('gives per-frame intrinsics priority over the top level', async () => {
    const dir = await dataset('perframe', { fl_x: 1, fl_y: 1, cx: 0, cy: 0, w: 6, h: 4, frames: [frame({ fl_x: 7, fl_y: 8, cx: 2.5, cy: 1.5 })] });
    const { camera } = (await readVhapDataset(dir)).frames[0]!;
    // cy counts from the bottom in VHAP's files (OpenGL): the OpenCV row is h − cy = 4 − 1.5.
    expect([camera.fx, camera.fy, camera.cx, camera.cy]).toEqual([7, 8, 2.5, 2.5]);
  });

  it('decodes JPEG images and masks through ffmpeg', async () => {
    const dir = await dataset('jpeg', { fl_x: 10, fl_y: 10, cx: 8, cy: 6, w: 16, h: 12, frames: [frame({ file_path: 'images/a.jpg', fg_mask_path: 'images/m.jpg' })] });
    const ff = (args: string[]) => execFileSync('ffmpeg', ['-v', 'error', '-nostdin', '-y', ...args]);
    ff(['-f', 'lavfi', '-i', 'color=c=0x3366CC:size=16x12', '-frames:v', '1', '-q:v', '1', join(dir, 'images', 'a.jpg')]);
    ff(['-f', 'lavfi', '-i', 'color=c=white:size=16x12', '-frames:v', '1', '-q:v', '1', join(dir, 'images', 'm.jpg')]);
    const { image, mask } = await loadVhapImage((await readVhapDataset(dir)).frames[0]!);
    expect(image.shape).toEqual([12, 16, 3]);
    expect(image.get(6, 8, 0)).toBeCloseTo(0x33 / 255, 1);
    expect(image.get(6, 8, 1)).toBeCloseTo(0x66 / 255, 1);
    expect(image.get(6, 8, 2)).toBeCloseTo(0xcc / 255, 1);
    expect(mask!.get(3, 3)).toBeGreaterThan(0.98);
  });

  it('refuses images that decode to more than maxPixels, through ffmpeg and as PNG', async () => {
    const dir = await dataset('bigimage', { fl_x: 10, fl_y: 10, cx: 8, cy: 6, w: 40, h: 30, frames: [frame({ file_path: 'images/a.jpg', fg_mask_path: 'images/m.png' })] });
    const ff = (args: string[]) => execFileSync('ffmpeg', ['-v', 'error', '-nostdin', '-y', ...args]);
    ff(['-f', 'lavfi', '-i', 'color=c=gray:size=40x30', '-frames:v', '1', join(dir, 'images', 'a.jpg')]);
    ff(['-f', 'lavfi', '-i', 'color=c=white:size=40x30', '-frames:v', '1', '-pix_fmt', 'gray', join(dir, 'images', 'm.png')]);
    const [f] = (await readVhapDataset(dir)).frames;
    // 1200 pixels: ffmpeg is stopped once its output passes 1199 (the JPEG), the PNG is refused from its header.
    const jpeg = await loadVhapImage({ ...f!, mask: undefined }, { maxPixels: 1199 }).catch((e: unknown) => e);
    expect(jpeg).toBeInstanceOf(FormatError);
    expect((jpeg as Error).message).toMatch(/a\.jpg: the image decodes to more than maxPixels = 1199 pixels/);
    const png = await loadVhapImage({ ...f!, image: join(dir, 'images', 'm.png'), mask: undefined }, { maxPixels: 1199 }).catch((e: unknown) => e);
    expect(png).toBeInstanceOf(FormatError);
    expect((png as Error).message).toMatch(/maxPixels/);
    expect((await loadVhapImage(f!, { maxPixels: 1200 })).image.shape).toEqual([30, 40, 3]);
  });

  it('names the file and the field of a malformed transform_matrix', async () => {
    const bad = frame({ transform_matrix: [[1, 0, 0], [0, 1, 0], [0, 0, 1]] });
    const dir = await dataset('badmatrix', { fl_x: 1, w: 6, h: 4, frames: [frame(), frame(), frame(), bad] });
    await writeFile(join(dir, 'transforms_train.json'), JSON.stringify({ fl_x: 1, w: 6, h: 4, frames: [frame(), frame(), frame(), bad] }));
    const error = await readVhapDataset(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FormatError);
    expect((error as FormatError).message).toBe(`${join(dir, 'transforms_train.json')}: frames[3].transform_matrix: expected a 4×4 array of numbers finite in float32 (camera-to-world, OpenGL axes)`);
    expect((error as FormatError).path).toBe(join(dir, 'transforms_train.json'));
    await rm(join(dir, 'transforms_train.json'));
    const scaled = frame({ transform_matrix: [[2, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 1], [0, 0, 0, 1]] });
    await writeFile(join(dir, 'transforms.json'), JSON.stringify({ fl_x: 1, w: 6, h: 4, frames: [scaled] }));
    await expect(readVhapDataset(dir)).rejects.toThrow(/transforms\.json: frames\[0\]\.transform_matrix: expected a rigid camera-to-world matrix, but its 3×3 part is not a rotation/);
  });

  it('rejects malformed JSON, missing keys and missing files', async () => {
    const dir = await dataset('broken', '{"frames": [');
    await expect(readVhapDataset(dir)).rejects.toThrow(new RegExp(`^${join(dir, 'transforms.json')}: the dataset JSON is not valid JSON`));
    await writeFile(join(dir, 'transforms.json'), JSON.stringify({ w: 6, h: 4, frames: [frame()] }));
    await expect(readVhapDataset(dir)).rejects.toThrow('transforms.json: frames[0]: missing the focal length: expected "fl_x" or "camera_angle_x" in the frame or at the top level');
    await writeFile(join(dir, 'transforms.json'), JSON.stringify({ fl_x: '5', w: 6, h: 4, frames: [frame()] }));
    await expect(readVhapDataset(dir)).rejects.toThrow('transforms.json: fl_x (top level, used by frames[0]): expected a number finite in float32 (|x| < 3.4e38), received "5"');
    await writeFile(join(dir, 'transforms.json'), JSON.stringify({ fl_x: 5, w: 6, h: 4, frames: [frame({ timestep_index: -1 })] }));
    await expect(readVhapDataset(dir)).rejects.toThrow('transforms.json: frames[0].timestep_index: expected a non-negative integer, received -1');
    await writeFile(join(dir, 'transforms.json'), JSON.stringify({ fl_x: 5, w: 6, h: 4, frames: [frame({ flame_param_path: undefined, mesh_path: 'meshes/00000.obj' })] }));
    await expect(readVhapDataset(dir)).rejects.toThrow(/frames\[0\]\.flame_param_path: expected a relative file path, received nothing \(the key is missing\) \(this export holds meshes/);
    await writeFile(join(dir, 'transforms.json'), JSON.stringify({ fl_x: 5, w: 6, h: 4, frames: [frame({ file_path: 'images/00007_00.png' })] }));
    const missing = await readVhapDataset(dir).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(FormatError);
    expect((missing as FormatError).path).toBe(join(dir, 'images', '00007_00.png'));
    expect((missing as FormatError).message).toMatch(/00007_00\.png: missing image of timestep 0, camera 0 \(transforms\.json frames\[0\]\.file_path\)$/);
    // Without the check, reading succeeds and loading the image names the file.
    const unchecked = await readVhapDataset(dir, { checkFiles: false });
    const notFound = await loadVhapImage(unchecked.frames[0]!).catch((e: unknown) => e);
    expect(notFound).toBeInstanceOf(FileSystemError);
    expect((notFound as FileSystemError).message).toBe(`${join(dir, 'images', '00007_00.png')}: could not read it: no such file or folder (ENOENT)`);
    await expect(readVhapDataset(dir, { split: 'train' })).rejects.toThrow(/missing transforms_train\.json \(the dataset has only transforms\.json/);
    await expect(readVhapDataset(join(root, 'nothing-here'))).rejects.toThrow(/not a VHAP dataset/);
    await expect(readVhapDataset(dir, { split: 'dev' as never })).rejects.toThrow(ValidationError);
  });

  it('rejects an image whose size disagrees with its camera', async () => {
    const dir = await dataset('size', { fl_x: 5, w: 8, h: 4, frames: [frame()] });
    await expect(loadVhapImage((await readVhapDataset(dir)).frames[0]!)).rejects.toThrow(/00000_00\.png: the image is 6 x 4 but its camera says 8 x 4/);
  });
});

describe('loadVhapFlame errors', () => {
  it('names the file and the key of a wrongly shaped or typed array', async () => {
    const path = join(root, 'bad-flame.npz');
    await writeNpz(path, { jaw_pose: { dtype: 'float32', shape: [2, 3], data: new Float32Array(6) } });
    await expect(loadVhapFlame(path)).rejects.toThrow(`${path}: jaw_pose: expected shape [3] or [1, 3], received [2, 3]`);
    await writeNpz(path, { eyes_pose: { dtype: 'float32', shape: [1, 3], data: new Float32Array(3) } });
    await expect(loadVhapFlame(path)).rejects.toThrow(`${path}: eyes_pose: expected shape [6] or [1, 6], received [1, 3]`);
    await writeNpz(path, { expr: { dtype: 'int32', shape: [1, 3], data: new Int32Array(3) } });
    await expect(loadVhapFlame(path)).rejects.toThrow(`${path}: expr: expected a float32 or float64 array, received int32`);
    await writeNpz(path, { static_offset: { dtype: 'float32', shape: [1, 4, 2], data: new Float32Array(8) } });
    await expect(loadVhapFlame(path)).rejects.toThrow(`${path}: static_offset: expected shape [V, 3] or [1, V, 3], received [1, 4, 2]`);
    // Unknown keys (dynamic_offset, focal_length...) are ignored.
    await writeNpz(path, { dynamic_offset: { dtype: 'float32', shape: [1, 4, 3], data: new Float32Array(12) }, rotation: { dtype: 'float32', shape: [3], data: Float32Array.of(1, 2, 3) } });
    expect((await loadVhapFlame(path)).rotation).toEqual(Float32Array.of(1, 2, 3));
  });

  it('pads to a model and refuses a larger basis', () => {
    const params = { expr: Float32Array.of(1, 2), rotation: new Float32Array(3), neck: new Float32Array(3), jaw: new Float32Array(3), eyes: new Float32Array(6), translation: new Float32Array(3), shape: Float32Array.of(5) };
    const p = vhapFlameToParams(params, { shapeCount: 3, exprCount: 4, vertexCount: 10 });
    expect(Array.from(p.expr!.data)).toEqual([1, 2, 0, 0]);
    expect(Array.from(p.shape!.data)).toEqual([5, 0, 0]);
    expect(() => vhapFlameToParams(params, { shapeCount: 3, exprCount: 1, vertexCount: 10 })).toThrow(/expr holds 2 coefficients but the model has 1/);
    // VHAP's static offsets cover FLAME plus 120 teeth vertices.
    const withTeeth = { ...params, staticOffset: Float32Array.from({ length: 130 * 3 }, (_, i) => i) };
    expect(() => vhapFlameToParams(withTeeth, { shapeCount: 3, exprCount: 4, vertexCount: 10 })).toThrow(
      "the dataset's static_offset holds 130 vertices but the model has 10 (VHAP appends 120 teeth vertices to FLAME: pass { extraVertices: 'drop' } to keep the first 10)",
    );
    const dropped = vhapFlameToParams(withTeeth, { shapeCount: 3, exprCount: 4, vertexCount: 10 }, { extraVertices: 'drop' });
    expect(dropped.staticOffset!.shape).toEqual([10, 3]);
    expect(Array.from(dropped.staticOffset!.data)).toEqual(Array.from({ length: 30 }, (_, i) => i));
  });
});

describe('VhapDatasetWriter errors', () => {
  const image = { data: new Float32Array(H * W * 3), shape: [H, W, 3] };
  it('rejects bad frames', async () => {
    await expect(VhapDatasetWriter.create(join(root, 'wnooffset'), { canonicalFlame: {} })).rejects.toThrow(/expected canonicalFlame.staticOffset or vertexCount/);
    await expect(VhapDatasetWriter.create(join(root, 'wbadoffset'), { canonicalFlame: { staticOffset: new Float32Array(6) }, vertexCount: 3 })).rejects.toThrow(
      'expected canonicalFlame.staticOffset to hold 3·3 numbers (vertexCount), received 6',
    );
    const writer = await VhapDatasetWriter.create(join(root, 'werr'), { canonicalFlame: {}, vertexCount: 3 });
    const base = { timestep: 0, cameraIndex: 0, split: 'train' as const, camera: cameraAt(0), image, flame: { jaw: [0.1, 0, 0] } };
    await expect(writer.add({ ...base, image: { data: new Float32Array(12), shape: [2, 2, 3] } })).rejects.toThrow('expected frame.image to be a float32 array of shape [7, 9, 3], received shape [2,2,3]');
    await expect(writer.add({ ...base, camera: { ...cameraAt(0), view: [2, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1] } })).rejects.toThrow(/not a rotation/);
    await expect(writer.add({ ...base, flame: { jaw: [1, 2] } })).rejects.toThrow('expected flame.jaw to hold 3 numbers, received 2');
    await writer.add(base);
    await expect(writer.add(base)).rejects.toThrow('timestep 0, camera 0 was already written');
    await expect(writer.add({ ...base, cameraIndex: 1, flame: { jaw: [0.2, 0, 0] } })).rejects.toThrow(/frames of timestep 0 disagree on its FLAME parameters/);
    await writer.add({ ...base, cameraIndex: 2, flame: undefined });
    await writer.add({ ...base, timestep: 1, flame: undefined });
    await expect(writer.finish()).rejects.toThrow('timesteps without FLAME parameters (give frame.flame on one frame of each): 1');
    expect(() => encodePng(image)).not.toThrow();
  });

  it('rejects extra keys that shadow the format', async () => {
    await expect(VhapDatasetWriter.create(join(root, 'wextra'), { canonicalFlame: {}, extra: { frames: [] } })).rejects.toThrow(/extra not to hold the format's own keys, received frames/);
  });
});
