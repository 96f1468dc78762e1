// The synthetic studio: identities (shape, colours and look per seed), and a tiny rendered
// identity dataset (64², one short clip, 30 timesteps, held-out views every 10th) read back as a
// VHAP dataset: splits and counts, the held-out views' angles, masks, tracked (noisy) and true
// FLAME parameters, the mouth opening with the jaw track, the cameras and FLAME parameters
// agreeing with the pixels, the audio and speech.json, and determinism.
import { readdir, readFile, rm, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadAudio } from '../lib/audio/load.js';
import { decodeWav } from '../lib/audio/wav.js';
import { ValidationError } from '../lib/errors.js';
import { Flame } from '../lib/flame/flame.js';
import { EXPRESSION_NAMES } from '../lib/flame/procedural/expressions.js';
import { readNpz } from '../lib/io/npy.js';
import { loadVhapFlame, loadVhapImage, projectPoints, readVhapDataset, vhapFlameToParams, type VhapDataset, type VhapFrame } from '../lib/io/vhap.js';
import { makeSyntheticSpeechDataset, type SpeechManifest } from '../lib/synthetic/speech-dataset.js';
import {
  blinkProfile,
  frontSplit,
  joinSpeech,
  makeSyntheticIdentity,
  MOTION_LIMITS,
  renderSyntheticIdentityDataset,
  STUDIO_VIEWS,
  studioCameras,
  studioMotion,
  type RenderIdentityDatasetResult,
  type StudioSpeechClip,
} from '../lib/synthetic/studio/index.js';

const SIZE = 64;
const FRAMES = 30;
const EVERY = 10;
const VIEWS = STUDIO_VIEWS.length;

describe('makeSyntheticIdentity', () => {
  const a = makeSyntheticIdentity({ seed: 1 });
  const b = makeSyntheticIdentity({ seed: 2 });
  const meanColour = (c: Float32Array): number[] => [0, 1, 2].map((k) => c.filter((_, i) => i % 3 === k).reduce((s, x) => s + x, 0) / (c.length / 3));

  it('is deterministic and shares one topology', () => {
    const again = makeSyntheticIdentity({ seed: 1 });
    expect(again.shape).toEqual(a.shape);
    expect(again.vertexColors).toEqual(a.vertexColors);
    expect(again.look).toEqual(a.look);
    expect(a.head).toBe(b.head);
    expect(a.shape).toHaveLength(26);
    expect(a.head.shapeNames).toHaveLength(26);
    expect(a.vertexColors).toHaveLength(a.head.model.vertexCount * 3);
  });

  it('differs between seeds in shape and colour, within plausible bounds', () => {
    let shapeDistance = 0;
    for (let i = 0; i < 26; i++) shapeDistance += (a.shape[i]! - b.shape[i]!) ** 2;
    expect(Math.sqrt(shapeDistance)).toBeGreaterThan(1);
    for (const id of [a, b]) {
      expect(Math.max(...id.shape.map(Math.abs))).toBeLessThanOrEqual(2);
      expect(id.vertexColors.every((v) => v >= 0 && v <= 1)).toBe(true);
    }
    const [ma, mb] = [meanColour(a.vertexColors), meanColour(b.vertexColors)];
    expect(Math.hypot(ma[0]! - mb[0]!, ma[1]! - mb[1]!, ma[2]! - mb[2]!)).toBeGreaterThan(0.03);
    // Across several seeds the skin tone spans light to dark.
    const tones = [1, 2, 3, 4, 5, 6, 7, 8].map((seed) => makeSyntheticIdentity({ seed }).palette.skin[1]);
    expect(Math.max(...tones) - Math.min(...tones)).toBeGreaterThan(0.2);
  });

  it('colours regions from the palette, with texture on the skin only', () => {
    const { head, palette, vertexColors } = a;
    const regionOf = new Int32Array(head.model.vertexCount).fill(-1);
    head.model.faces.forEach((v, i) => (regionOf[v] = head.regions.face[Math.floor(i / 3)]!));
    const inRegion = (name: string): number[] => {
      const id = head.regions.names.indexOf(name);
      return [...regionOf.keys()].filter((v) => regionOf[v] === id);
    };
    const mean = (vs: number[]): number[] => [0, 1, 2].map((k) => vs.reduce((s, v) => s + vertexColors[3 * v + k]!, 0) / vs.length);
    // Skin near the palette's skin (texture and blush are small), the pupils black.
    const skin = mean(inRegion('skin'));
    for (let k = 0; k < 3; k++) expect(Math.abs(skin[k]! - palette.skin[k]!)).toBeLessThan(0.12);
    expect(Math.max(...mean(inRegion('eye_left_pupil')))).toBeLessThan(0.05);
    // The texture varies the skin (not flat), while the pupils stay uniform.
    const spread = (vs: number[]): number => Math.max(...vs.map((v) => vertexColors[3 * v + 1]!)) - Math.min(...vs.map((v) => vertexColors[3 * v + 1]!));
    expect(spread(inRegion('neck'))).toBeGreaterThan(0.03);
    expect(spread(inRegion('eye_right_pupil'))).toBe(0);
  });

  it('rejects a non-integer seed', () => {
    expect(() => makeSyntheticIdentity({ seed: 1.5 })).toThrow(ValidationError);
  });
});

describe('studio motion and splits', () => {
  it('keeps the head rotation within ±8° and blinks every few seconds', () => {
    const m = studioMotion(25 * 30, 25, 4);
    const deg = 180 / Math.PI;
    let maxYaw = 0;
    for (let i = 0; i < 25 * 30; i++) {
      for (let a = 0; a < 3; a++) expect(Math.abs(m.rotation[3 * i + a]!) * deg).toBeLessThanOrEqual(8 + 1e-4);
      maxYaw = Math.max(maxYaw, Math.abs(m.rotation[3 * i + 1]!));
    }
    expect(maxYaw * deg).toBeGreaterThan(2); // it moves
    expect(maxYaw).toBeLessThanOrEqual(MOTION_LIMITS.rotation[1] + 1e-6);
    expect(m.blinkStarts.length).toBeGreaterThanOrEqual(5);
    expect(m.blinkStarts.length).toBeLessThanOrEqual(16);
    expect(Math.max(...m.blink)).toBeGreaterThan(0.9);
    // Smooth: no frame-to-frame jump above 0.3° in the global rotation.
    for (let i = 1; i < 25 * 30; i++) expect(Math.abs(m.rotation[3 * i + 1]! - m.rotation[3 * i - 2]!) * deg).toBeLessThan(0.3);
    expect([blinkProfile(-0.01), blinkProfile(0.1), blinkProfile(0.5)]).toEqual([0, 1, 0]);
  });

  it('holds out the last 20 % of the front timesteps as val then test', () => {
    expect(Array.from({ length: 20 }, (_, t) => frontSplit(t, 20)).join(' ')).toBe(`${'train '.repeat(16)}val val test test`);
    expect(frontSplit(0, 1)).toBe('train');
  });

  it('frames the head at about 60 % of the image height', () => {
    const [front] = studioCameras(256);
    const { pixels } = projectPoints(front!.camera, [0, -0.13, 0, 0, 0.125, 0]);
    const share = (pixels[1]! - pixels[3]!) / 256;
    expect(share).toBeGreaterThan(0.55);
    expect(share).toBeLessThan(0.65);
  });

  it('joins clips at another frame rate, with audio cut to the frames', () => {
    const clip = (id: string, frames: number): StudioSpeechClip => ({
      id,
      text: id,
      fps: 25,
      frames,
      expr: Float32Array.from({ length: frames * 17 }, (_, i) => Math.floor(i / 17)),
      jawPose: new Float32Array(frames * 3),
      samples: new Float32Array(frames * 640 + 100).fill(0.5),
      sampleRate: 16000,
    });
    const timeline = joinSpeech([clip('a', 10), clip('b', 20)], 50);
    expect(timeline.frames).toBe(60);
    expect(timeline.clips.map((c) => [c.startFrame, c.endFrame, c.startSample, c.endSample])).toEqual([
      [0, 20, 0, 6400],
      [20, 60, 6400, 19200],
    ]);
    expect(timeline.audio).toHaveLength(19200);
    expect(timeline.expr[3 * 17]).toBeCloseTo(1.5, 6); // frame 3 at 50 fps = frame 1.5 at 25 fps
    expect(joinSpeech([clip('a', 10), clip('b', 20)], 25, 15).clips.map((c) => c.endFrame)).toEqual([10, 15]);
  });
});

describe('renderSyntheticIdentityDataset (64², one clip, 30 timesteps, held-out views every 10th)', () => {
  let root: string;
  let manifest: SpeechManifest;
  let result: RenderIdentityDatasetResult;
  let dataset: VhapDataset;
  const identity = makeSyntheticIdentity({ seed: 11 });

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'ggt-studio-'));
    manifest = await makeSyntheticSpeechDataset({ out: join(root, 'speech'), clips: 1, seed: 3, languages: ['en'] });
    result = await renderSyntheticIdentityDataset({ identity, out: join(root, 'a'), speech: join(root, 'speech'), size: SIZE, frames: FRAMES, seed: 5, heldOutEvery: EVERY });
    dataset = await readVhapDataset(join(root, 'a'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const frame = (t: number, c: number): VhapFrame => dataset.frames.find((f) => f.timestep === t && f.cameraIndex === c)!;
  const luminance = (img: { get(y: number, x: number, c: number): number }, cx: number, cy: number, r: number): number => {
    let s = 0;
    let n = 0;
    for (let y = Math.round(cy - r); y <= Math.round(cy + r); y++) {
      for (let x = Math.round(cx - r); x <= Math.round(cx + r); x++) {
        s += 0.299 * img.get(y, x, 0) + 0.587 * img.get(y, x, 1) + 0.114 * img.get(y, x, 2);
        n++;
      }
    }
    return s / n;
  };

  it('writes the expected splits and counts, the held-out views only in test', () => {
    const sides = FRAMES / EVERY;
    expect(result.timesteps).toBe(FRAMES);
    expect(result.splits).toEqual({ train: 24, val: 3, test: 3 + (VIEWS - 1) * sides });
    expect(dataset.timesteps).toEqual(Array.from({ length: FRAMES }, (_, t) => t));
    expect(dataset.cameras).toEqual(Array.from({ length: VIEWS }, (_, c) => c));
    expect(dataset.frames).toHaveLength(FRAMES + (VIEWS - 1) * sides);
    const count = (split: string, camera?: number) => dataset.frames.filter((f) => f.split === split && (camera === undefined || f.cameraIndex === camera)).length;
    expect([count('train', 0), count('val', 0), count('test', 0)]).toEqual([24, 3, 3]);
    for (let c = 1; c < VIEWS; c++) expect([count('train', c), count('val', c), count('test', c)]).toEqual([0, 0, sides]);
    expect([...new Set(dataset.frames.filter((f) => f.cameraIndex > 0).map((f) => f.timestep))]).toEqual([0, 10, 20]);
    expect(dataset.fps).toBe(25);
    const extra = dataset.extra.ggtalker as { identitySeed: number; views: { cameraIndex: number; name: string; yaw: number; pitch: number }[]; truth: { flameParams: string } };
    expect(extra.identitySeed).toBe(11);
    expect(extra.views.map((v) => v.name)).toEqual(['front', 'yaw+15', 'yaw-15', 'yaw+30', 'yaw-30', 'yaw+60', 'yaw-60', 'pitch+20', 'pitch-20']);
    expect(extra.truth.flameParams).toBe('flame_param_truth');
    // The tracked canonical shape is the truth plus a small constant error.
    const shape = Array.from(dataset.canonicalFlame!.shape!);
    const shapeError = shape.map((v, i) => v - identity.shape[i]!);
    expect(Math.max(...shapeError.map(Math.abs))).toBeGreaterThan(0.01);
    expect(Math.max(...shapeError.map(Math.abs))).toBeLessThan(0.5);
    expect(Array.from(dataset.canonicalFlame!.jaw)).toEqual([Math.fround(0.3), 0, 0]);
  });

  it('places the held-out cameras at yaw ±15°, ±30°, ±60° and pitch ±20° about the head', () => {
    // The camera centre from the written world-to-camera matrix: C = −Rᵀ t (float64).
    for (let c = 0; c < VIEWS; c++) {
      const v = Array.from(frame(0, c).camera.view as ArrayLike<number>);
      const C = [0, 1, 2].map((k) => -(v[k]! * v[3]! + v[4 + k]! * v[7]! + v[8 + k]! * v[11]!));
      const r = Math.hypot(C[0]!, C[1]!, C[2]!);
      expect(r).toBeCloseTo(1, 6);
      expect((Math.atan2(C[0]!, C[2]!) * 180) / Math.PI).toBeCloseTo(STUDIO_VIEWS[c]!.yaw, 4);
      expect((Math.asin(C[1]! / r) * 180) / Math.PI).toBeCloseTo(STUDIO_VIEWS[c]!.pitch, 4);
    }
    expect(STUDIO_VIEWS.slice(1).map((v) => [v.yaw, v.pitch])).toEqual([[15, 0], [-15, 0], [30, 0], [-30, 0], [60, 0], [-60, 0], [0, 20], [0, -20]]);
  });

  const truthOf = async (t: number) => loadVhapFlame(join(root, 'a', 'flame_param_truth', `${String(t).padStart(5, '0')}.npz`));

  it('keeps the speech tracks as the true FLAME parameters, and writes them with smooth tracking error', async () => {
    const tracks = await readNpz(join(root, 'speech', manifest.clips[0]!.tracks));
    const jaw = tracks.get('jaw_pose')!.data as Float32Array;
    const expr = tracks.get('expr')!.data as Float32Array;
    const blink = EXPRESSION_NAMES.indexOf('blink_left');
    const rotationError: number[] = [];
    const translationError: number[] = [];
    let jawError = 0;
    for (let t = 0; t < FRAMES; t++) {
      const truth = await truthOf(t);
      expect(Array.from(truth.jaw)).toEqual(Array.from(jaw.subarray(3 * t, 3 * t + 3)));
      for (let e = 0; e < 17; e++) if (e !== blink && e !== blink + 1) expect(truth.expr[e]).toBe(expr[t * 17 + e]);
      expect(Array.from(truth.shape!)).toEqual(Array.from(identity.shape));
      expect(Math.hypot(...truth.rotation)).toBeLessThan((8 * Math.PI) / 180 * Math.sqrt(3));
      const tracked = await loadVhapFlame(frame(t, 0).flameParams);
      rotationError.push(tracked.rotation[1]! - truth.rotation[1]!);
      translationError.push(tracked.translation[0]! - truth.translation[0]!);
      jawError = Math.max(jawError, Math.abs(tracked.jaw[0]! - truth.jaw[0]!));
    }
    // Error of the stated size (0.7°, 1.5 mm; within a 30-frame window) and smooth: successive frames' errors nearly equal.
    const rms = (a: number[]) => Math.sqrt(a.reduce((s, v) => s + v * v, 0) / a.length);
    expect((rms(rotationError) * 180) / Math.PI).toBeGreaterThan(0.1);
    expect((rms(rotationError) * 180) / Math.PI).toBeLessThan(2.5);
    expect(rms(translationError) * 1000).toBeGreaterThan(0.2);
    expect(rms(translationError) * 1000).toBeLessThan(5);
    expect(jawError).toBeGreaterThan(0);
    expect(jawError).toBeLessThan(0.05);
    // Successive differences: white noise would give √2 × the error's RMS; this drifts (measured 0.32 ×).
    const steps = rotationError.slice(1).map((v, i) => v - rotationError[i]!);
    expect(rms(steps)).toBeLessThan(0.5 * rms(rotationError));
  });

  it('masks a plausible share of a front frame, and the projected landmarks fall inside it', async () => {
    const f = frame(3, 0);
    const { image, mask } = await loadVhapImage(f);
    const share = mask!.data.reduce((s, v) => s + v, 0) / (SIZE * SIZE);
    expect(share).toBeGreaterThan(0.15);
    expect(share).toBeLessThan(0.35);
    // The image is the render over the background: where the mask is 0 the background shows,
    // and it is a gradient (not one colour).
    const corners = [image.get(0, 0, 1), image.get(SIZE - 1, SIZE - 1, 1), image.get(0, SIZE - 1, 1)];
    expect(Math.max(...corners) - Math.min(...corners)).toBeGreaterThan(0.01);
    expect(mask!.get(0, 0)).toBe(0);
    // The body (neck continuation, shoulders, clothing) fills the bottom of the frame but is
    // not in the mask: the head's own neck ends at about row 0.8 × size.
    let bottom = 0;
    for (let y = Math.round(0.86 * SIZE); y < SIZE; y++) for (let x = 0; x < SIZE; x++) bottom = Math.max(bottom, mask!.get(y, x));
    expect(bottom).toBe(0);
    // The true FLAME parameters and the camera explain the pixels: every landmark lands on the
    // mask; the tracked ones land within a pixel or two of them (tracking error, not a wrong camera).
    const head = identity.head;
    const flame = Flame.from(head.model);
    const project = async (params: Awaited<ReturnType<typeof loadVhapFlame>>) => projectPoints(f.camera, (await flame.forward(vhapFlameToParams(params, head.model))).landmarks!.data).pixels;
    const pixels = await project(await truthOf(3));
    for (let i = 0; i < 68; i++) {
      const [x, y] = [Math.floor(pixels[2 * i]!), Math.floor(pixels[2 * i + 1]!)];
      expect(mask!.get(y, x)).toBeGreaterThan(0.5);
    }
    const tracked = await project(await loadVhapFlame(f.flameParams));
    let offset = 0;
    for (let i = 0; i < 68; i++) offset += Math.hypot(tracked[2 * i]! - pixels[2 * i]!, tracked[2 * i + 1]! - pixels[2 * i + 1]!) / 68;
    expect(offset).toBeGreaterThan(0.01);
    expect(offset).toBeLessThan(2);
  });

  it('renders the yaw ±30° views from another angle', async () => {
    const head = identity.head;
    const flame = Flame.from(head.model);
    const views = await Promise.all(
      [0, 3, 4].map(async (c) => {
        const f = frame(10, c);
        const { image, mask } = await loadVhapImage(f);
        const posed = await flame.forward(vhapFlameToParams(await truthOf(10), head.model));
        const nose = projectPoints(f.camera, posed.landmarks!.data.subarray(30 * 3, 31 * 3)).pixels; // landmark 30: the nose tip
        let s = 0;
        let w = 0;
        mask!.data.forEach((v, i) => ((s += v * ((i % SIZE) + 0.5)), (w += v)));
        return { image, mask: mask!, camera: f.camera, noseOffset: nose[0]! - s / w, nose };
      }),
    );
    const [front, left, right] = views as [(typeof views)[0], (typeof views)[0], (typeof views)[0]];
    const diff = (a: { data: Float32Array }, b: { data: Float32Array }) => a.data.reduce((s, v, i) => s + Math.abs(v - b.data[i]!), 0) / a.data.length;
    expect(diff(front.image, left.image)).toBeGreaterThan(0.05);
    expect(diff(front.image, right.image)).toBeGreaterThan(0.05);
    // Cameras at yaw ±30° about the head: the nose tip sits at the silhouette's middle in
    // the front view and well off it, on opposite sides, in the side views.
    expect(left.camera.view[2]).toBeCloseTo(-Math.sin(Math.PI / 6), 9);
    expect(right.camera.view[2]).toBeCloseTo(Math.sin(Math.PI / 6), 9);
    // (The head's own slow turn moves the front view's nose by a pixel or two.)
    expect(Math.abs(front.noseOffset)).toBeLessThan(3.5);
    expect(left.noseOffset - front.noseOffset).toBeLessThan(-5);
    expect(right.noseOffset - front.noseOffset).toBeGreaterThan(5);
    // The nose tip is on the head (the mask) in every view.
    for (const v of views) expect(v.mask.get(Math.floor(v.nose[1]!), Math.floor(v.nose[0]!))).toBeGreaterThan(0.5);
  });

  it('opens the mouth in the image when the jaw track opens', async () => {
    const jaws = await Promise.all(Array.from({ length: FRAMES }, async (_, t) => (await truthOf(t)).jaw[0]!));
    const open = jaws.indexOf(Math.max(...jaws));
    const closed = jaws.indexOf(Math.min(...jaws));
    expect(jaws[open]! - jaws[closed]!).toBeGreaterThan(0.1);
    const head = identity.head;
    const flame = Flame.from(head.model);
    const at = async (t: number) => {
      const f = frame(t, 0);
      const posed = await flame.forward(vhapFlameToParams(await truthOf(t), head.model));
      const { pixels } = projectPoints(f.camera, posed.landmarks!.data);
      // Inner-lip landmarks 60–67: the mouth's centre; the nose bridge 27–30: a control.
      const mean = (from: number, to: number) => [0, 1].map((k) => Array.from({ length: to - from }, (_, i) => pixels[2 * (from + i) + k]!).reduce((s, v) => s + v, 0) / (to - from));
      return { image: (await loadVhapImage(f)).image, mouth: mean(60, 68), nose: mean(27, 31) };
    };
    const [o, c] = [await at(open), await at(closed)];
    const lum = (img: typeof o.image, x: number, y: number): number => 0.299 * img.get(y, x, 0) + 0.587 * img.get(y, x, 1) + 0.114 * img.get(y, x, 2);
    /** Over a (2r+1)² box centred on each frame's own landmark: the mean |change| and each frame's darkest pixel. */
    const compare = (key: 'mouth' | 'nose', r: number) => {
      let change = 0;
      let darkestOpen = Infinity;
      let darkestClosed = Infinity;
      for (let dy = -r; dy <= r; dy++) {
        for (let dx = -r; dx <= r; dx++) {
          const a = lum(o.image, Math.floor(o[key][0]!) + dx, Math.floor(o[key][1]!) + dy);
          const b = lum(c.image, Math.floor(c[key][0]!) + dx, Math.floor(c[key][1]!) + dy);
          change += Math.abs(a - b) / (2 * r + 1) ** 2;
          darkestOpen = Math.min(darkestOpen, a);
          darkestClosed = Math.min(darkestClosed, b);
        }
      }
      return { change, darkestOpen, darkestClosed };
    };
    const mouth = compare('mouth', 2);
    const nose = compare('nose', 2);
    // The open mouth shows a dark gap between the lips; the nose looks the same.
    expect(mouth.darkestClosed - mouth.darkestOpen).toBeGreaterThan(0.03);
    expect(mouth.change).toBeGreaterThan(0.02);
    expect(mouth.change).toBeGreaterThan(2 * nose.change);
  });

  it('writes the speech audio (16-bit, 16 kHz, frames / 25 s) and speech.json', async () => {
    const wav = decodeWav(await readFile(join(root, 'a', 'audio.wav')));
    expect(wav.sampleRate).toBe(16000);
    expect(wav.channels).toHaveLength(1);
    expect(wav.channels[0]).toHaveLength(FRAMES * 640);
    const source = await loadAudio(join(root, 'speech', manifest.clips[0]!.audio), { sampleRate: 16000 });
    for (let i = 0; i < FRAMES * 640; i += 97) expect(Math.abs(wav.channels[0]![i]! - source.samples[i]!)).toBeLessThanOrEqual(1 / 32767 + 1e-6);
    const speech = JSON.parse(await readFile(join(root, 'a', 'speech.json'), 'utf8'));
    expect(speech).toMatchObject({ audio: 'audio.wav', sampleRate: 16000, fps: 25, frames: FRAMES });
    expect(speech.clips).toEqual([
      { id: manifest.clips[0]!.id, text: manifest.clips[0]!.text, language: 'en', speaker: manifest.clips[0]!.speaker, startFrame: 0, endFrame: FRAMES, startSample: 0, endSample: FRAMES * 640 },
    ]);
  });

  it('is deterministic for a seed, and the seed changes it', async () => {
    const again = join(root, 'b');
    await renderSyntheticIdentityDataset({ identity, out: again, speech: join(root, 'speech'), size: SIZE, frames: 6, seed: 5, heldOutEvery: EVERY });
    for (const name of ['images/00000_00.png', 'images/00000_05.png', 'fg_masks/00003_00.png', 'flame_param/00004.npz', 'flame_param_truth/00004.npz']) {
      expect(Buffer.compare(await readFile(join(root, 'a', name)), await readFile(join(again, name)))).toBe(0);
    }
    const other = join(root, 'c');
    await renderSyntheticIdentityDataset({ identity, out: other, speech: join(root, 'speech'), size: SIZE, frames: 1, seed: 6, trackingNoise: 0 });
    expect(Buffer.compare(await readFile(join(root, 'a', 'images/00000_00.png')), await readFile(join(other, 'images/00000_00.png')))).not.toBe(0);
    expect((await readdir(join(other, 'images'))).sort()).toEqual(Array.from({ length: VIEWS }, (_, c) => `00000_0${c}.png`));
    // Without tracking noise the written parameters are the truth.
    const [written, truth] = [await loadVhapFlame(join(other, 'flame_param/00000.npz')), await loadVhapFlame(join(other, 'flame_param_truth/00000.npz'))];
    for (const k of ['rotation', 'jaw', 'expr', 'translation', 'eyes', 'neck', 'shape'] as const) expect(Array.from(written[k]!)).toEqual(Array.from(truth[k]!));
  });
});
