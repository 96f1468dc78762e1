/**
 * Rendering a synthetic identity's talking-head video as a VHAP dataset (DESIGN.md §7): the
 * identity's head driven by speech clips' expression and jaw tracks, with a slow head motion,
 * gaze and blinks, rendered with Gaussians on the mesh over a seeded background gradient from
 * a front camera (every timestep) and two held-out side cameras, then written with
 * {@link VhapDatasetWriter}, with the speech's audio (`audio.wav`, 16-bit 16 kHz) and its
 * clips' texts and frame ranges (`speech.json`).
 *
 * Splits: the front camera's first 80 % of timesteps are `train`, the rest are `val` (first
 * half) and `test` (second half); the side cameras (yaw ±30°) render every 5th timestep, all
 * `test`.
 *
 * @module
 */

import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';

import { AbortError, ValidationError } from '../../errors.js';
import { Flame } from '../../flame/flame.js';
import { EXPRESSION_NAMES } from '../../flame/procedural/expressions.js';
import { Random, smoothstep } from '../../flame/procedural/math.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { VhapDatasetWriter } from '../../io/vhap-write.js';
import type { VhapCamera } from '../../io/vhap-camera.js';
import type { VhapSplit } from '../../io/vhap.js';
import { lookAt } from '../../render/camera.js';
import { renderHead } from '../../render/render-head.js';
import { gaussiansOnMesh } from '../../rig/mesh-gaussians.js';
import type { SyntheticIdentity } from './identity.js';
import { studioMotion } from './motion.js';
import { encodeWav16, joinSpeech, loadSpeechClips, STUDIO_SAMPLE_RATE, type StudioSpeechClip, type TimelineClip } from './speech.js';

export const STUDIO_FORMAT = 'ggtalker-synthetic-identity';
export const STUDIO_VERSION = 1;

/** Camera distance (m) and focal length per image pixel: the 0.255 m tall head fills ~60 % of the frame height. */
export const STUDIO_DISTANCE = 1.0;
export const STUDIO_FOCAL_PER_PIXEL = 2.35;
/** Yaw (degrees) of the held-out side cameras, and how often (in timesteps) they render. */
export const SIDE_YAWS = [30, -30] as const;
export const SIDE_EVERY = 5;
/** Share of the front camera's timesteps held out (val, then test). */
export const HELD_OUT = 0.2;

/** Progress of {@link renderSyntheticIdentityDataset}. */
export interface StudioProgress {
  /** Images written so far, and in all. */
  done: number;
  total: number;
  fraction: number;
  timestep: number;
}

/** Options of {@link renderSyntheticIdentityDataset}. */
export interface RenderIdentityDatasetOptions {
  identity: SyntheticIdentity;
  /** The dataset folder to write. */
  out: string;
  /** A synthetic speech dataset's folder (docs/synthetic-speech.md), or clips already loaded. */
  speech: string | readonly StudioSpeechClip[];
  /** Image width and height in pixels (default 256). */
  size?: number;
  /** Video frame rate (default 25). */
  fps?: number;
  /** At most this many timesteps (default: all of the speech). */
  frames?: number;
  /** Seed of the motion, blinks and background (default: the identity's seed). */
  seed?: number;
  /** Where to render: `'cpu'` (default) or `'cuda'`. */
  device?: string;
  onProgress?: (progress: StudioProgress) => void;
  signal?: AbortSignal;
}

/** What was written. */
export interface RenderIdentityDatasetResult {
  out: string;
  timesteps: number;
  /** Images per split. */
  splits: Record<VhapSplit, number>;
  /** Mean wall time of one image (render, compositing and writing), milliseconds. */
  msPerImage: number;
  /** Mean time of the render call alone, milliseconds. */
  msPerRender: number;
  clips: TimelineClip[];
}

/** The studio's cameras for a square image of `size` pixels: front (index 0), then the side ones. */
export function studioCameras(size: number): { index: number; yaw: number; camera: VhapCamera }[] {
  const f = STUDIO_FOCAL_PER_PIXEL * size;
  return [0, ...SIDE_YAWS].map((yaw, index) => {
    const a = (yaw * Math.PI) / 180;
    const view = lookAt([STUDIO_DISTANCE * Math.sin(a), 0, STUDIO_DISTANCE * Math.cos(a)], [0, 0, 0], [0, 1, 0]);
    return { index, yaw, camera: { view, fx: f, fy: f, cx: size / 2, cy: size / 2, width: size, height: size } };
  });
}

/** The split of the front camera's timestep `t` of `T`. */
export function frontSplit(t: number, T: number): VhapSplit {
  const held = Math.floor(HELD_OUT * T);
  const train = T - held;
  if (t < train) return 'train';
  return t < train + Math.ceil(held / 2) ? 'val' : 'test';
}

/** A seeded smooth background, [H, W, 3]: a two-colour gradient in a random direction with a soft vignette. */
export function studioBackground(size: number, seed: number, cameraIndex: number): Float32Array {
  const rng = new Random(seed * 5 + 0xb6 + cameraIndex * 7919);
  const colour = (): [number, number, number] => {
    const hue = 2 * Math.PI * rng.uniform();
    const light = rng.range(0.3, 0.75);
    const sat = rng.range(0.05, 0.3);
    return [0, 1, 2].map((k) => Math.min(1, Math.max(0, light * (1 + sat * Math.cos(hue - (2 * Math.PI * k) / 3))))) as [number, number, number];
  };
  const a = colour();
  const b = colour();
  const angle = 2 * Math.PI * rng.uniform();
  const [dx, dy] = [Math.cos(angle), Math.sin(angle)];
  const out = new Float32Array(size * size * 3);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const u = (x + 0.5) / size - 0.5;
      const v = (y + 0.5) / size - 0.5;
      const t = smoothstep(-0.6, 0.6, u * dx + v * dy);
      const vignette = 1 - 0.25 * (u * u + v * v);
      for (let c = 0; c < 3; c++) out[3 * (y * size + x) + c] = (a[c]! + (b[c]! - a[c]!) * t) * vignette;
    }
  }
  return out;
}

/**
 * Renders a synthetic identity speaking as a VHAP dataset in `out` (see the module's
 * description), plus `audio.wav` and `speech.json`. Deterministic for a given identity, speech
 * and seed.
 *
 * @throws {@link ValidationError} for bad options; {@link AbortError} on abort; FormatError
 *   for a malformed speech dataset.
 */
export async function renderSyntheticIdentityDataset(options: RenderIdentityDatasetOptions): Promise<RenderIdentityDatasetResult> {
  const { identity, out } = options;
  const size = options.size ?? 256;
  const fps = options.fps ?? 25;
  const seed = options.seed ?? identity?.seed;
  if (typeof identity !== 'object' || identity === null || !(identity.shape instanceof Float32Array)) {
    throw new ValidationError('expected identity to be a SyntheticIdentity (makeSyntheticIdentity)');
  }
  if (typeof out !== 'string' || out === '') throw new ValidationError('expected out to be a folder path');
  if (!(Number.isInteger(size) && size >= 16 && size <= 4096)) throw new ValidationError(`expected size to be an integer in [16, 4096], received ${String(size)}`);
  if (!(typeof fps === 'number' && fps > 0 && fps <= 120)) throw new ValidationError(`expected fps in (0, 120], received ${String(fps)}`);
  if (options.frames !== undefined && !(Number.isInteger(options.frames) && options.frames > 0)) {
    throw new ValidationError(`expected frames to be a positive integer, received ${String(options.frames)}`);
  }
  if (!Number.isSafeInteger(seed)) throw new ValidationError(`expected seed to be an integer, received ${String(seed)}`);
  const checkAbort = (): void => {
    if (options.signal?.aborted) throw new AbortError(undefined, { cause: options.signal.reason });
  };

  const clips = typeof options.speech === 'string' ? await loadSpeechClips(options.speech) : options.speech;
  const speech = joinSpeech(clips, fps, options.frames);
  const T = speech.frames;
  const motion = studioMotion(T, fps, seed!);
  const { head } = identity;
  const E = EXPRESSION_NAMES.length;
  const blinkLeft = EXPRESSION_NAMES.indexOf('blink_left');
  const blinkRight = EXPRESSION_NAMES.indexOf('blink_right');

  const flame = Flame.from(head.model, options.device ? { device: options.device } : {});
  const gaussians = gaussiansOnMesh(head.model, identity.vertexColors);
  const cameras = studioCameras(size);
  const backgrounds = cameras.map((c) => studioBackground(size, seed!, c.index));
  const jobs: { t: number; cam: (typeof cameras)[number]; split: VhapSplit }[] = [];
  for (let t = 0; t < T; t++) {
    jobs.push({ t, cam: cameras[0]!, split: frontSplit(t, T) });
    if (t % SIDE_EVERY === 0) for (const cam of cameras.slice(1)) jobs.push({ t, cam, split: 'test' });
  }

  await mkdir(out, { recursive: true });
  const shape = Array.from(identity.shape);
  const writer = await VhapDatasetWriter.create(out, {
    canonicalFlame: { shape, jaw: [0.3, 0, 0] },
    vertexCount: head.model.vertexCount,
    fps,
    extra: {
      ggtalker: {
        format: STUDIO_FORMAT,
        version: STUDIO_VERSION,
        flameModel: 'procedural-head',
        proceduralSeed: 0,
        identitySeed: identity.seed,
        seed,
        expressionNames: [...EXPRESSION_NAMES],
        shapeNames: [...head.shapeNames],
        palette: identity.palette,
        audio: 'audio.wav',
        speech: 'speech.json',
      },
    },
  });

  const splits: Record<VhapSplit, number> = { train: 0, val: 0, test: 0 };
  let renderMs = 0;
  const started = performance.now();
  for (const [done, { t, cam, split }] of jobs.entries()) {
    checkAbort();
    const expr = speech.expr.slice(t * E, (t + 1) * E);
    expr[blinkLeft] = Math.max(expr[blinkLeft]!, motion.blink[t]!);
    expr[blinkRight] = Math.max(expr[blinkRight]!, motion.blink[t]!);
    const params = {
      shape: identity.shape,
      expr,
      rotation: motion.rotation.slice(3 * t, 3 * t + 3),
      neck: motion.neck.slice(3 * t, 3 * t + 3),
      jaw: speech.jawPose.slice(3 * t, 3 * t + 3),
      eyes: motion.eyes.slice(6 * t, 6 * t + 6),
      translation: new Float32Array(3),
    };
    const vec = (data: Float32Array) => ({ data, shape: [data.length] });
    const r0 = performance.now();
    const rendered = await renderHead(
      {
        flame,
        params: { shape: vec(params.shape), expr: vec(params.expr), rotation: vec(params.rotation), neck: vec(params.neck), jaw: vec(params.jaw), eyes: vec(params.eyes) },
        gaussians,
      },
      { camera: cam.camera, background: [0, 0, 0], mode: 'antialiased', ...(options.device ? { device: options.device } : {}), ...(options.signal ? { signal: options.signal } : {}) },
    );
    renderMs += performance.now() - r0;
    // Over the background: colour (premultiplied, on black) + (1 − alpha) · background.
    const image = rendered.image.data;
    const alpha = rendered.alpha.data;
    const bg = backgrounds[cam.index]!;
    const composite = new Float32Array(size * size * 3);
    for (let i = 0; i < size * size; i++) {
      const rest = 1 - alpha[i]!;
      for (let c = 0; c < 3; c++) composite[3 * i + c] = image[3 * i + c]! + rest * bg[3 * i + c]!;
    }
    await writer.add({
      timestep: t,
      cameraIndex: cam.index,
      split,
      camera: cam.camera,
      image: { data: composite, shape: [size, size, 3] },
      mask: { data: Float32Array.from(alpha), shape: [size, size] },
      flame: params,
    });
    splits[split]++;
    options.onProgress?.({ done: done + 1, total: jobs.length, fraction: (done + 1) / jobs.length, timestep: t });
  }
  checkAbort();
  const elapsed = performance.now() - started;

  const encoder = new TextEncoder();
  await writeFileAtomic(join(out, 'audio.wav'), encodeWav16(speech.audio, STUDIO_SAMPLE_RATE));
  const speechJson = {
    format: `${STUDIO_FORMAT}-speech`,
    version: STUDIO_VERSION,
    audio: 'audio.wav',
    sampleRate: STUDIO_SAMPLE_RATE,
    fps,
    frames: T,
    expressionNames: [...EXPRESSION_NAMES],
    clips: speech.clips,
  };
  await writeFileAtomic(join(out, 'speech.json'), encoder.encode(`${JSON.stringify(speechJson, null, 2)}\n`));
  await writer.finish();
  return {
    out,
    timesteps: T,
    splits,
    msPerImage: elapsed / jobs.length,
    msPerRender: renderMs / jobs.length,
    clips: speech.clips,
  };
}
