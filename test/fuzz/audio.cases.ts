// Fuzz cases of the audio inputs (issue 13), run by test/fuzz-audio.test.ts through the fuzz
// harness (each case in a child process with a time and memory limit). Four groups:
//   wavCases     seeded mutations of small WAV files (truncations, bit flips, hostile header
//                fields) through loadAudio, which decodes and resamples to 16 kHz;
//   ffmpegCases  a file that ffmpeg decodes to hours of silence, and bit flips of a FLAC file;
//   configCases  Audio-Expression configs with each field at hostile values, and feature rates;
//   synthCases   predictExpressions / synthesize / SynthesisStream with hostile rates, arrays,
//                backgrounds and output paths.
// A case that returns must return something sane (finite samples, a bounded length), else it
// throws a plain Error, which the test reports as an untyped failure. Names starting with
// "named:" are checked by name in the test.
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import ndarray from 'ndarray';

import { resolveA2eConfig, type AudioExpressionConfig } from '../../lib/a2e/config.js';
import { encodeAudio } from '../../lib/a2e/features.js';
import { AudioExpressionModel } from '../../lib/a2e/model.js';
import { predictExpressions } from '../../lib/a2e/predict.js';
import { loadAudio } from '../../lib/audio/load.js';
import { logMelFeatures, type LogMelOptions } from '../../lib/audio/log-mel.js';
import { Wav2Vec2Encoder } from '../../lib/audio/wav2vec2.js';
import type { Avatar } from '../../lib/avatar/avatar.js';
import { proceduralAvatar } from '../../lib/avatar/procedural-avatar.js';
import { mulberry32 } from '../../lib/random.js';
import { SynthesisStream } from '../../lib/synthesize/stream.js';
import { synthesize } from '../../lib/synthesize/synthesize.js';
import type { FuzzCase } from '../helpers/fuzz.js';
import { writeWav } from './../fixtures/audio/wav-writer.js';
import { hasFfmpeg } from '../helpers/ffmpeg.js';

let base: string | undefined;
async function workspace(): Promise<string> {
  if (base === undefined) {
    base = await mkdtemp(join(tmpdir(), 'ggt-fuzz-audio-'));
    process.on('exit', () => execFileSync('rm', ['-rf', base!]));
  }
  return base;
}

/** Checks what a case returned: finite samples, no more than the duration limit allows. */
function saneAudio(samples: Float32Array, rate: number, maxSeconds = 3600): void {
  if (samples.length > Math.ceil(maxSeconds * rate) + 1) throw new Error(`returned ${samples.length} samples, more than ${maxSeconds} s at ${rate} Hz`);
  for (const v of samples) if (!Number.isFinite(v)) throw new Error(`returned a non-finite sample ${v}`);
}

async function loadWavBytes(bytes: Uint8Array, name: string): Promise<void> {
  const path = join(await workspace(), `${name.replace(/[^a-z0-9]+/gi, '_')}.wav`);
  await writeFile(path, bytes);
  const { samples, sampleRate } = await loadAudio(path);
  saneAudio(samples, sampleRate);
}

// Byte offsets of the plain 44-byte header writeWav writes (fmt chunk of 16 bytes, then data).
const FIELDS = { riffSize: [4, 4], fmtSize: [16, 4], format: [20, 2], channels: [22, 2], sampleRate: [24, 4], byteRate: [28, 4], blockAlign: [32, 2], bits: [34, 2], dataSize: [40, 4] } as const;
const HOSTILE_U32 = [0, 1, 7, 0xff, 0xffff, 0x7fffffff, 0x80000000, 0xf1003e80, 0xffffffff, 1e9, 999, 768001];

function setField(bytes: Uint8Array, field: keyof typeof FIELDS, value: number): Uint8Array {
  const out = bytes.slice();
  const [offset, size] = FIELDS[field];
  const view = new DataView(out.buffer);
  if (size === 2) view.setUint16(offset, value & 0xffff, true);
  else view.setUint32(offset, value >>> 0, true);
  return out;
}

function baseWavs(): Record<string, Uint8Array> {
  const tone = (n: number, ch: number, f: (i: number, c: number) => number) => Array.from({ length: n }, (_, i) => Array.from({ length: ch }, (_, c) => f(i, c)));
  return {
    pcm16: writeWav({ kind: 'pcm', bits: 16, sampleRate: 16000, frames: tone(400, 1, (i) => Math.round(8000 * Math.sin(i / 5))) }),
    pcm8x2: writeWav({ kind: 'pcm', bits: 8, sampleRate: 8000, frames: tone(300, 2, (i, c) => 128 + Math.round(60 * Math.sin(i / (4 + c)))) }),
    f32: writeWav({ kind: 'float', bits: 32, sampleRate: 44100, frames: tone(500, 1, (i) => 0.3 * Math.sin(i / 7)) }),
    f64ext: writeWav({ kind: 'float', bits: 64, sampleRate: 48000, frames: tone(300, 2, (i) => 0.2 * Math.cos(i / 9)), extensible: true }),
    pcm24ext: writeWav({ kind: 'pcm', bits: 24, sampleRate: 22050, frames: tone(300, 1, (i) => Math.round(1e6 * Math.sin(i / 3))), extensible: true }),
  };
}

/** WAV mutations: the named header fields, then seeded truncations, bit flips and field values. */
export function* wavCases(): Iterable<FuzzCase> {
  const wavs = baseWavs();
  const pcm16 = wavs.pcm16!;
  // The named ones from the issue: these hung (0xF1003E80), threw RangeError (2^31 − 1), or returned no samples (1e9).
  for (const rate of [0xf1003e80, 2 ** 31 - 1, 1e9, 0]) {
    yield { name: `named:wav sampleRate ${rate}`, run: () => loadWavBytes(setField(pcm16, 'sampleRate', rate), `rate${rate}`) };
  }
  yield { name: 'named:wav channels 0', run: () => loadWavBytes(setField(pcm16, 'channels', 0), 'ch0') };
  yield { name: 'named:wav channels 65535', run: () => loadWavBytes(setField(pcm16, 'channels', 65535), 'ch65535') };
  yield { name: 'named:wav bits 65535', run: () => loadWavBytes(setField(pcm16, 'bits', 65535), 'bits65535') };
  yield { name: 'named:wav blockAlign 0', run: () => loadWavBytes(setField(pcm16, 'blockAlign', 0), 'ba0') };
  yield { name: 'named:wav dataSize 0xffffffff', run: () => loadWavBytes(setField(pcm16, 'dataSize', 0xffffffff), 'ds') };
  yield { name: 'named:wav fmtSize 0xffffffff', run: () => loadWavBytes(setField(pcm16, 'fmtSize', 0xffffffff), 'fs') };
  // Not regular files: reading /dev/zero never ends, a FIFO without a writer blocks forever.
  yield { name: 'named:wav link to /dev/zero', run: async () => {
    const link = join(await workspace(), 'zero.wav');
    execFileSync('ln', ['-sf', '/dev/zero', link]);
    await loadAudio(link);
  } };
  yield { name: 'named:wav FIFO', run: async () => {
    const fifo = join(await workspace(), 'fifo.wav');
    execFileSync('mkfifo', [fifo]);
    await loadAudio(fifo);
  } };
  const nan = writeWav({ kind: 'float', bits: 32, sampleRate: 16000, frames: [[0.1], [Number.NaN], [0.2]] });
  yield { name: 'named:wav float NaN sample', run: () => loadWavBytes(nan, 'nan') };

  const random = mulberry32(13);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  const names = Object.keys(wavs);
  for (let i = 0; i < 300; i++) {
    const which = pick(names);
    const bytes = wavs[which]!.slice();
    const kind = i % 3;
    let mutated: Uint8Array;
    let what: string;
    if (kind === 0) {
      const at = Math.floor(random() * bytes.length);
      mutated = bytes.subarray(0, at);
      what = `truncated at ${at}`;
    } else if (kind === 1) {
      const flips = 1 + Math.floor(random() * 8);
      // Mostly in the header, where a flip changes meaning; sometimes in the samples.
      const span = random() < 0.8 ? Math.min(64, bytes.length) : bytes.length;
      for (let f = 0; f < flips; f++) bytes[Math.floor(random() * span)]! ^= 1 << Math.floor(random() * 8);
      mutated = bytes;
      what = `${flips} bit flips`;
    } else {
      const field = pick(Object.keys(FIELDS) as (keyof typeof FIELDS)[]);
      const value = pick(HOSTILE_U32);
      // Extensible headers have a longer fmt chunk, so their data size sits elsewhere: the field offsets still hit the fmt fields.
      mutated = setField(bytes, field, value);
      what = `${field} = ${value}`;
    }
    yield { name: `wav ${which} #${i}: ${what}`, run: () => loadWavBytes(mutated, `m${i}`) };
  }
}


/** Files decoded by ffmpeg: a silence bomb (5 h of silence in ~40 KB of FLAC) and flipped bits of a short FLAC. */
export async function* ffmpegCases(): AsyncIterable<FuzzCase> {
  if (!hasFfmpeg()) return;
  const dir = await workspace();
  const bomb = join(dir, 'bomb.flac');
  // Generated here (a few seconds) rather than stored: the file is small, but a fixture would be a binary blob.
  execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'anullsrc=r=8000:cl=mono', '-t', '18000', '-c:a', 'flac', '-frame_size', '65535', '-y', bomb]);
  yield { name: 'named:ffmpeg 5 h of silence', run: async () => saneAudio((await loadAudio(bomb)).samples, 16000) };
  yield { name: 'named:ffmpeg 5 h of silence, maxSeconds 60', run: async () => saneAudio((await loadAudio(bomb, { maxSeconds: 60 })).samples, 16000, 60) };
  yield { name: 'named:ffmpeg missing file', run: () => loadAudio(join(dir, 'missing.mp3')) };
  yield { name: 'named:ffmpeg folder', run: () => loadAudio(dir) };
  yield { name: 'named:ffmpeg not installed', run: () => loadAudio(bomb, { ffmpeg: join(dir, 'no-such-ffmpeg') }) };

  const tone = join(dir, 'tone.flac');
  execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=16000', '-t', '0.5', '-c:a', 'flac', '-y', tone]);
  const { readFileSync } = await import('node:fs');
  const original = readFileSync(tone);
  const random = mulberry32(7);
  for (let i = 0; i < 25; i++) {
    const bytes = Uint8Array.from(original);
    const flips = 1 + Math.floor(random() * 16);
    for (let f = 0; f < flips; f++) bytes[Math.floor(random() * Math.min(bytes.length, i % 2 === 0 ? 128 : bytes.length))]! ^= 1 << Math.floor(random() * 8);
    const path = join(dir, `flip${i}.flac`);
    await writeFile(path, bytes);
    yield { name: `ffmpeg flac #${i}: ${flips} bit flips`, run: async () => saneAudio((await loadAudio(path)).samples, 16000) };
  }
}

const TINY_CONFIG: Partial<AudioExpressionConfig> = { dModel: 16, heads: 2, ffDim: 16, condLayers: 1, decoderLayers: 1, speakerDim: 4, maxFrames: 16, expressionCount: 17, diffusionSteps: 100 };
const HOSTILE_NUMBERS: unknown[] = [0, -1, 0.5, Number.NaN, Infinity, 1e6, 1e300, 2 ** 31, -1e300, '8', null];

/** Audio-Expression configs: every field at every hostile value, in isolation, then model creation with hostile feature rates. */
export function* configCases(): Iterable<FuzzCase> {
  const fields = ['featureDim', 'outputDim', 'expressionCount', 'dModel', 'heads', 'ffDim', 'condLayers', 'decoderLayers', 'speakers', 'speakerDim', 'timeTokens', 'maxFrames', 'alignRadius', 'diffusionSteps'] as const;
  for (const field of fields) {
    for (const value of HOSTILE_NUMBERS) {
      yield { name: `named:config ${field} = ${String(value)}`, run: () => resolveA2eConfig({ ...TINY_CONFIG, [field]: value }) };
    }
  }
  yield { name: 'named:config too many weights', run: () => resolveA2eConfig({ dModel: 4096, heads: 64, ffDim: 16384, decoderLayers: 64, condLayers: 32 }) };
  yield { name: 'config schedule "x"', run: () => resolveA2eConfig({ schedule: 'x' as 'cosine' }) };
  // Created models: the config and the feature rate reach the native code only through these checks.
  for (const fps of [1e6, 1e300, Number.NaN, 0, -25]) {
    yield { name: `named:create features.fps = ${fps}`, run: () => AudioExpressionModel.create({ config: TINY_CONFIG, features: { fps }, seed: 1 }) };
  }
  yield { name: 'named:create diffusionSteps = 1e9', run: () => AudioExpressionModel.create({ config: { ...TINY_CONFIG, diffusionSteps: 1e9 }, seed: 1 }) };
  for (const fps of [1e6, Number.NaN, 1e300]) {
    yield { name: `named:encodeAudio fps = ${fps}`, run: () => encodeAudio(new Float32Array(4800), { fps }) };
  }
  // The log-mel encoder's settings: each out of range would allocate gigabytes or give -Infinity.
  const second = Float32Array.from({ length: 16000 }, (_, i) => 0.1 * Math.sin(i / 7));
  const melCases: [string, LogMelOptions][] = [
    ['nFft', { nFft: 1e9 }],
    ['nMels', { nMels: 1e6 }],
    ['hopLength', { hopLength: 0 }],
    ['logFloor', { logFloor: 1e-300 }],
    ['sampleRate', { sampleRate: 2 ** 31 - 1 }],
    ['fMax', { fMax: 1e300 }],
  ];
  for (const [field, options] of melCases) yield { name: `named:logMel ${field}`, run: () => logMelFeatures(second, options) };
  yield { name: 'named:logMel hopLength 1 on 2 hours', run: () => logMelFeatures(new Float32Array(16000 * 7200), { hopLength: 1 }) };
}

let tiny: { model: AudioExpressionModel; avatar: Avatar } | undefined;
async function tinyAvatar(): Promise<{ model: AudioExpressionModel; avatar: Avatar }> {
  if (tiny === undefined) {
    const model = await AudioExpressionModel.create({ config: TINY_CONFIG, seed: 1 });
    tiny = { model, avatar: await proceduralAvatar({ size: 32, uvSize: 16, a2e: model }) };
  }
  return tiny;
}

const RATES = [2 ** 31 - 1, 0xf1003e80, 1e-300, Number.NaN, Infinity, 0, -16000, 16000.5, 999, 768001];

/** predictExpressions / synthesize / SynthesisStream with hostile audio, backgrounds and output paths. */
export async function* synthCases(): AsyncIterable<FuzzCase> {
  const dir = await workspace();
  const speech = Float32Array.from({ length: 4800 }, (_, i) => 0.1 * Math.sin(i / 9));
  const withBad = (v: number) => {
    const a = speech.slice();
    a[123] = v;
    return a;
  };
  for (const sampleRate of RATES) {
    yield { name: `named:predict sampleRate ${sampleRate}`, run: async () => predictExpressions({ samples: speech, sampleRate }, { model: (await tinyAvatar()).model, steps: 2 }) };
    yield { name: `named:synthesize sampleRate ${sampleRate}`, run: async () => synthesize({ avatar: (await tinyAvatar()).avatar, audio: { samples: speech, sampleRate }, steps: 2 }) };
  }
  for (const v of [Number.NaN, Infinity, -Infinity]) {
    yield { name: `named:predict samples with ${v}`, run: async () => predictExpressions(withBad(v), { model: (await tinyAvatar()).model, steps: 2 }) };
    yield { name: `named:synthesize samples with ${v}`, run: async () => synthesize({ avatar: (await tinyAvatar()).avatar, audio: { samples: withBad(v), sampleRate: 16000 }, steps: 2 }) };
    yield { name: `named:stream push with ${v}`, run: async () => new SynthesisStream({ avatar: (await tinyAvatar()).avatar, steps: 2 }).push(withBad(v)) };
  }
  for (const [label, value] of [['NaN', Number.NaN], ['1e300', 1e300], ['-1', -1], ['2', 2]] as const) {
    const background = () => ndarray(new Float32Array(32 * 32 * 3).fill(value), [32, 32, 3]);
    yield { name: `named:synthesize background ${label}`, run: async () => synthesize({ avatar: (await tinyAvatar()).avatar, audio: speech, steps: 2, background: background() }) };
    yield { name: `named:stream background ${label}`, run: async () => new SynthesisStream({ avatar: (await tinyAvatar()).avatar, background: background() }) };
  }
  yield { name: 'named:synthesize background wrong size', run: async () => synthesize({ avatar: (await tinyAvatar()).avatar, audio: speech, steps: 2, background: ndarray(new Float32Array(8 * 8 * 3), [8, 8, 3]) }) };
  const file = join(dir, 'a-file');
  await writeFile(file, 'x');
  await mkdir(join(dir, 'existing-folder'), { recursive: true });
  const outputs: [string, string][] = [
    ['existing folder', join(dir, 'existing-folder')],
    ['missing parent', join(dir, 'no-such-folder', 'out.mp4')],
    ['parent is a file', join(file, 'out.mp4')],
    ['empty', ''],
  ];
  for (const [label, output] of outputs) {
    yield { name: `named:synthesize output ${label}`, run: async () => synthesize({ avatar: (await tinyAvatar()).avatar, audio: speech, steps: 2, output }) };
  }
  // wav2vec2 attends over all frames at once (heads × T² floats): 20 minutes would take ~29 GB.
  const encoder = await Wav2Vec2Encoder.load(new URL('../fixtures/wav2vec2/base_like.safetensors', import.meta.url).pathname, { numHeads: 2, doNormalize: false });
  yield { name: 'named:wav2vec2 20 min of audio', run: () => encodeAudio(new Float32Array(16000 * 1200), { encoder }) };
  yield { name: 'named:wav2vec2 maxAttentionBytes 1000', run: () => encoder.features(speech, { maxAttentionBytes: 1000 }) };
  yield { name: 'wav2vec2 1 s', run: async () => {
    const f = await encodeAudio(speech, { encoder });
    if (f.shape[0] !== 8) throw new Error(`expected 8 frames, received ${f.shape[0]}`);
  } };
  yield { name: 'named:synthesize batch 1e9', run: async () => synthesize({ avatar: (await tinyAvatar()).avatar, audio: speech, batch: 1e9 }) };
  yield { name: 'named:synthesize maxReturnedBytes 1000', run: async () => synthesize({ avatar: (await tinyAvatar()).avatar, audio: speech, maxReturnedBytes: 1000 }) };
  yield { name: 'named:synthesize model {}', run: async () => synthesize({ avatar: (await tinyAvatar()).avatar, audio: speech, model: {} as AudioExpressionModel }) };
  yield { name: 'named:synthesize avatar null', run: () => synthesize({ avatar: null as unknown as Avatar, audio: speech }) };
  yield { name: 'named:stream avatar null', run: () => new SynthesisStream({ avatar: null as unknown as Avatar }) };
  // A valid call, so the group shows the hostile cases fail for their own reason.
  yield { name: 'synthesize valid', run: async () => {
    const r = await synthesize({ avatar: (await tinyAvatar()).avatar, audio: speech, steps: 2 });
    if (r.frameCount !== 8) throw new Error(`expected 8 frames for 0.3 s at 25 fps, received ${r.frameCount}`);
  } };
}
