/**
 * Rendering a synthetic identity's talking-head video as a VHAP dataset (DESIGN.md §7): the
 * identity's head driven by speech clips' expression and jaw tracks, with a slow head motion,
 * gaze and blinks, photographed by the studio camera (mesh-render.ts: textured, shaded
 * triangle meshes; never the Gaussian rasterizer the avatar uses) with its hair, glasses,
 * body and room (scene.ts), from a front camera (every timestep) and held-out views, then
 * written with {@link VhapDatasetWriter}, with the speech's audio (`audio.wav`, 16-bit 16 kHz)
 * and its clips' texts and frame ranges (`speech.json`).
 *
 * Splits: the front camera's first 80 % of timesteps are `train`, the rest are `val` (first
 * half) and `test` (second half); the held-out views ({@link STUDIO_VIEWS}: yaw ±15°, ±30°,
 * ±60°, pitch ±20°) render every {@link SIDE_EVERY}-th timestep, all `test`.
 *
 * The mask (`fg_masks/`) is the coverage of the head (with glasses) and hair: what the avatar
 * models; the neck's continuation, shoulders and clothing stay in the image, outside the mask.
 * The FLAME parameters written (`flame_param/`, `canonical_flame_param.npz`) are the truth plus
 * tracking error (tracking-noise.ts); the truth is in `flame_param_truth/` (same layout) and
 * `canonical_flame_param_truth.npz`.
 *
 * @module
 */

import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';

import { AbortError, ValidationError } from '../../errors.js';
import { Flame } from '../../flame/flame.js';
import { EXPRESSION_NAMES } from '../../flame/procedural/expressions.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { encodeVhapFlame } from '../../io/vhap-flame.js';
import { VhapDatasetWriter } from '../../io/vhap-write.js';
import type { VhapCamera } from '../../io/vhap-camera.js';
import type { VhapSplit } from '../../io/vhap.js';
import { lookAt } from '../../render/camera.js';
import { studioRoom } from './background.js';
import type { SyntheticIdentity } from './identity.js';
import { renderMeshes } from './mesh-render.js';
import { studioMotion } from './motion.js';
import { frameScene, LABELS, studioLights } from './scene.js';
import { encodeWav16, joinSpeech, loadSpeechClips, STUDIO_SAMPLE_RATE, type StudioSpeechClip, type TimelineClip } from './speech.js';
import { trackingError, trackingNoiseScales, type TrackingNoiseOption } from './tracking-noise.js';
import { requireOptions } from '../../arguments.js';

export const STUDIO_FORMAT = 'ggtalker-synthetic-identity';
export const STUDIO_VERSION = 2;

/** Camera distance (m) and focal length per image pixel: the 0.255 m tall head fills ~60 % of the frame height. */
export const STUDIO_DISTANCE = 1.0;
export const STUDIO_FOCAL_PER_PIXEL = 2.35;

/** A named studio view: yaw (about +y, positive towards the head's left, +x) and pitch (positive from above), degrees. */
export interface StudioView {
  name: string;
  yaw: number;
  pitch: number;
}

/** The views: the front (index 0, training) and the held-out ones (test only), in camera-index order. */
export const STUDIO_VIEWS: readonly StudioView[] = [
  { name: 'front', yaw: 0, pitch: 0 },
  { name: 'yaw+15', yaw: 15, pitch: 0 },
  { name: 'yaw-15', yaw: -15, pitch: 0 },
  { name: 'yaw+30', yaw: 30, pitch: 0 },
  { name: 'yaw-30', yaw: -30, pitch: 0 },
  { name: 'yaw+60', yaw: 60, pitch: 0 },
  { name: 'yaw-60', yaw: -60, pitch: 0 },
  { name: 'pitch+20', yaw: 0, pitch: 20 },
  { name: 'pitch-20', yaw: 0, pitch: -20 },
];
/** How often (in timesteps) the held-out views render. */
export const SIDE_EVERY = 5;
/** Share of the front camera's timesteps held out (val, then test). */
export const HELD_OUT = 0.2;
/** Timesteps posed per FLAME call. */
const FORWARD_CHUNK = 25;

/** Progress of {@link renderSyntheticIdentityDataset}. */
export interface StudioProgress {
  /** Images written so far, and in all. */
  done: number;
  /** Images to write in all. */
  total: number;
  /** 0..1 over the whole dataset. */
  fraction: number;
  /** The timestep just written. */
  timestep: number;
}

/** Options of {@link renderSyntheticIdentityDataset}. */
export interface RenderIdentityDatasetOptions {
  /** The synthetic person to film (from {@link makeSyntheticIdentity}). */
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
  /** Seed of the motion, blinks, room, lights and tracking error (default: the identity's seed). */
  seed?: number;
  /**
   * Tracking error added to the written FLAME parameters: a factor on the default magnitudes
   * (`TRACKING_NOISE`: rotation 0.7°, translation 1.5 mm, ...; 0 disables) or magnitudes per
   * group. Default 1.
   */
  trackingNoise?: TrackingNoiseOption;
  /** Supersampling per axis of the studio camera (default 2). */
  samples?: number;
  /** The held-out views render every this many timesteps (default {@link SIDE_EVERY}; tests use more to stay cheap). */
  heldOutEvery?: number;
  /** Where to pose FLAME: `'cpu'` (default) or `'cuda'` (the studio camera renders on the CPU). */
  device?: string;
  /** Called after each timestep's images are written. */
  onProgress?: (progress: StudioProgress) => void;
  /** Cancels rendering: it rejects with AbortError. */
  signal?: AbortSignal;
}

/** What was written. */
export interface RenderIdentityDatasetResult {
  /** The dataset folder written. */
  out: string;
  /** Timesteps rendered. */
  timesteps: number;
  /** Images per split. */
  splits: Record<VhapSplit, number>;
  /** Mean wall time of one image (render, compositing and writing), milliseconds. */
  msPerImage: number;
  /** Mean time of posing, scene assembly and the studio camera alone, per image, milliseconds. */
  msPerRender: number;
  /** Where each speech clip sits on the timeline. */
  clips: TimelineClip[];
}

/** The studio's cameras for a square image of `size` pixels, one per {@link STUDIO_VIEWS} entry (index = camera index). */
export function studioCameras(size: number): { index: number; view: StudioView; yaw: number; pitch: number; camera: VhapCamera }[] {
  const f = STUDIO_FOCAL_PER_PIXEL * size;
  return STUDIO_VIEWS.map((v, index) => {
    const a = (v.yaw * Math.PI) / 180;
    const b = (v.pitch * Math.PI) / 180;
    const eye: [number, number, number] = [STUDIO_DISTANCE * Math.sin(a) * Math.cos(b), STUDIO_DISTANCE * Math.sin(b), STUDIO_DISTANCE * Math.cos(a) * Math.cos(b)];
    const view = lookAt(eye, [0, 0, 0], [0, 1, 0]);
    return { index, view: v, yaw: v.yaw, pitch: v.pitch, camera: { view, fx: f, fy: f, cx: size / 2, cy: size / 2, width: size, height: size } };
  });
}

/** The split of the front camera's timestep `t` of `T`. */
export function frontSplit(t: number, T: number): VhapSplit {
  const held = Math.floor(HELD_OUT * T);
  const train = T - held;
  if (t < train) return 'train';
  return t < train + Math.ceil(held / 2) ? 'val' : 'test';
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
  const { identity, out } = requireOptions('renderSyntheticIdentityDataset', options);
  const size = options.size ?? 256;
  const fps = options.fps ?? 25;
  const seed = options.seed ?? identity?.seed;
  if (typeof identity !== 'object' || identity === null || !(identity.shape instanceof Float32Array) || typeof identity.look !== 'object') {
    throw new ValidationError('expected identity to be a SyntheticIdentity (makeSyntheticIdentity)');
  }
  if (typeof out !== 'string' || out === '') throw new ValidationError('expected out to be a folder path');
  if (!(Number.isInteger(size) && size >= 16 && size <= 4096)) throw new ValidationError(`expected size to be an integer in [16, 4096], received ${String(size)}`);
  if (!(typeof fps === 'number' && fps > 0 && fps <= 120)) throw new ValidationError(`expected fps in (0, 120], received ${String(fps)}`);
  if (options.frames !== undefined && !(Number.isInteger(options.frames) && options.frames > 0)) {
    throw new ValidationError(`expected frames to be a positive integer, received ${String(options.frames)}`);
  }
  if (!Number.isSafeInteger(seed)) throw new ValidationError(`expected seed to be an integer, received ${String(seed)}`);
  const samples = options.samples ?? 2;
  if (!(Number.isInteger(samples) && samples >= 1 && samples <= 4)) throw new ValidationError(`expected samples to be an integer in [1, 4], received ${String(samples)}`);
  const noiseScales = trackingNoiseScales(options.trackingNoise);
  const every = options.heldOutEvery ?? SIDE_EVERY;
  if (!(Number.isInteger(every) && every >= 1)) throw new ValidationError(`expected heldOutEvery to be a positive integer, received ${String(every)}`);
  const checkAbort = (): void => {
    if (options.signal?.aborted) throw new AbortError(undefined, { cause: options.signal.reason });
  };

  const clips = typeof options.speech === 'string' ? await loadSpeechClips(options.speech) : options.speech;
  const speech = joinSpeech(clips, fps, options.frames);
  const T = speech.frames;
  const motion = studioMotion(T, fps, seed!);
  const { head } = identity;
  const E = EXPRESSION_NAMES.length;
  const V = head.model.vertexCount;
  const blinkLeft = EXPRESSION_NAMES.indexOf('blink_left');
  const blinkRight = EXPRESSION_NAMES.indexOf('blink_right');
  const error = trackingError(T, fps, E, identity.shape.length, noiseScales, seed!);

  const flame = Flame.from(head.model, options.device ? { device: options.device } : {});
  const cameras = studioCameras(size);
  const room = studioRoom(seed!);
  const { lights, ambient } = studioLights(seed!);
  const jobs: { t: number; cams: { cam: (typeof cameras)[number]; split: VhapSplit }[] }[] = [];
  let total = 0;
  for (let t = 0; t < T; t++) {
    const cams = [{ cam: cameras[0]!, split: frontSplit(t, T) }];
    if (t % every === 0) for (const cam of cameras.slice(1)) cams.push({ cam, split: 'test' });
    jobs.push({ t, cams });
    total += cams.length;
  }

  await mkdir(join(out, 'flame_param_truth'), { recursive: true });
  const shape = Array.from(identity.shape);
  const trackedShape = shape.map((v, i) => v + error.shape[i]!);
  await writeFileAtomic(join(out, 'canonical_flame_param_truth.npz'), encodeVhapFlame({ shape, jaw: [0.3, 0, 0], staticOffset: new Float32Array(V * 3) }));
  const writer = await VhapDatasetWriter.create(out, {
    canonicalFlame: { shape: trackedShape, jaw: [0.3, 0, 0] },
    vertexCount: V,
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
        look: { hair: identity.look.hair.kind, glasses: identity.look.glasses !== null, neckline: identity.look.clothing.neckline, pattern: identity.look.clothing.pattern },
        imageFormation: 'studio mesh camera (lib/synthetic/studio/mesh-render.ts)',
        mask: 'head (with glasses) and hair coverage; neck continuation, shoulders and clothing are outside it',
        views: cameras.map((c) => ({ cameraIndex: c.index, name: c.view.name, yaw: c.yaw, pitch: c.pitch, split: c.index === 0 ? 'train/val/test' : 'test', every: c.index === 0 ? 1 : every })),
        trackingNoise: noiseScales,
        truth: { flameParams: 'flame_param_truth', canonical: 'canonical_flame_param_truth.npz' },
        audio: 'audio.wav',
        speech: 'speech.json',
      },
    },
  });

  const splits: Record<VhapSplit, number> = { train: 0, val: 0, test: 0 };
  let renderMs = 0;
  let done = 0;
  const started = performance.now();
  const add = (a: Float32Array, b: Float32Array): Float32Array => Float32Array.from(a, (v, i) => v + b[i]!);
  // The true parameters of every timestep, [T, ·] (what the studio photographs).
  const S = identity.shape.length;
  const truthAll = {
    shape: new Float32Array(T * S),
    expr: new Float32Array(T * E),
    rotation: motion.rotation,
    neck: motion.neck,
    jaw: speech.jawPose.subarray(0, 3 * T),
    eyes: motion.eyes,
    translation: new Float32Array(T * 3),
  };
  for (let t = 0; t < T; t++) {
    truthAll.shape.set(identity.shape, t * S);
    const expr = speech.expr.subarray(t * E, (t + 1) * E);
    truthAll.expr.set(expr, t * E);
    truthAll.expr[t * E + blinkLeft] = Math.max(expr[blinkLeft]!, motion.blink[t]!);
    truthAll.expr[t * E + blinkRight] = Math.max(expr[blinkRight]!, motion.blink[t]!);
  }
  let posedChunk: Float32Array = new Float32Array(0);
  let chunkStart = -1;
  for (const { t, cams } of jobs) {
    checkAbort();
    const truth = {
      shape: identity.shape,
      expr: truthAll.expr.slice(t * E, (t + 1) * E),
      rotation: truthAll.rotation.slice(3 * t, 3 * t + 3),
      neck: truthAll.neck.slice(3 * t, 3 * t + 3),
      jaw: truthAll.jaw.slice(3 * t, 3 * t + 3),
      eyes: truthAll.eyes.slice(6 * t, 6 * t + 6),
      translation: truthAll.translation.slice(3 * t, 3 * t + 3),
    };
    // What a tracker reports: the truth plus its (smooth) error.
    const tracked = {
      shape: Float32Array.from(trackedShape),
      expr: add(truth.expr, error.expr.subarray(t * E, (t + 1) * E)),
      rotation: add(truth.rotation, error.rotation.subarray(3 * t, 3 * t + 3)),
      neck: add(truth.neck, error.neck.subarray(3 * t, 3 * t + 3)),
      jaw: add(truth.jaw, error.jaw.subarray(3 * t, 3 * t + 3)),
      eyes: add(truth.eyes, error.eyes.subarray(6 * t, 6 * t + 6)),
      translation: add(truth.translation, error.translation.subarray(3 * t, 3 * t + 3)),
    };
    const pad = String(t).padStart(5, '0');
    await writeFileAtomic(join(out, 'flame_param_truth', `${pad}.npz`), encodeVhapFlame({ ...truth, staticOffset: new Float32Array(V * 3) }));
    const r0 = performance.now();
    // FLAME is posed in chunks of timesteps: one batched call costs little more than one frame.
    if (chunkStart < 0 || t >= chunkStart + FORWARD_CHUNK) {
      chunkStart = t;
      const n = Math.min(FORWARD_CHUNK, T - t);
      const part = (a: Float32Array, w: number) => ({ data: a.slice(t * w, (t + n) * w), shape: [n, w] });
      const posed = await flame.forward(
        { shape: part(truthAll.shape, S), expr: part(truthAll.expr, E), rotation: part(truthAll.rotation, 3), neck: part(truthAll.neck, 3), jaw: part(truthAll.jaw, 3), eyes: part(truthAll.eyes, 6), translation: part(truthAll.translation, 3) },
        options.signal ? { signal: options.signal } : {},
      );
      posedChunk = posed.vertices.data;
    }
    const scene = frameScene(identity, posedChunk.subarray((t - chunkStart) * V * 3, (t - chunkStart + 1) * V * 3), room);
    renderMs += performance.now() - r0;
    for (const { cam, split } of cams) {
      checkAbort();
      const r1 = performance.now();
      const rendered = await renderMeshes({ camera: cam.camera, meshes: scene.meshes, textures: scene.textures, lights, ambient, samples, ...(options.signal ? { signal: options.signal } : {}) });
      renderMs += performance.now() - r1;
      // The mask: head and hair coverage ([L, H, W] layers).
      const plane = size * size;
      const mask = new Float32Array(plane);
      for (let i = 0; i < plane; i++) mask[i] = Math.min(1, rendered.coverage[LABELS.head * plane + i]! + rendered.coverage[LABELS.hair * plane + i]!);
      await writer.add({
        timestep: t,
        cameraIndex: cam.index,
        split,
        camera: cam.camera,
        image: { data: rendered.image, shape: [size, size, 3] },
        mask: { data: mask, shape: [size, size] },
        flame: tracked,
      });
      splits[split]++;
      done++;
      options.onProgress?.({ done, total, fraction: done / total, timestep: t });
    }
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
    msPerImage: elapsed / total,
    msPerRender: renderMs / total,
    clips: speech.clips,
  };
}
