// synthesize() on a small procedural avatar whose lips are driven by a tiny Audio-Expression
// model trained here on synthetic speech: the mouth moves with the speech (not in silence),
// the MP4 decodes to the right duration and frame count, aborting leaves nothing behind,
// streaming yields every frame, and the command line reports in exit codes.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import ndarray from 'ndarray';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { AbortError, FormatError, audioSamples16k, loadExpressionClips, predictExpressions, proceduralAvatar, readSpeechDataset, STREAM_SAMPLE_METHOD, STREAM_SAMPLE_STEPS, synthesize, SynthesisStream, trainAudioExpressionPrior, type Avatar } from '../lib/index.js';
import { main } from '../lib/cli/main.js';
import { FileSystemError } from '../lib/errors.js';
import { makeSyntheticSpeechDataset } from '../lib/synthetic/speech-dataset.js';
import { Mp4Writer } from '../lib/synthesize/video-writer.js';
import { TINY } from './helpers/a2e.js';

let dir: string;
let avatar: Avatar;
let audio: Float32Array;
const SILENCE = 16000; // 1 s of silence before and after the speech

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ggt-synth-'));
  await makeSyntheticSpeechDataset({ out: join(dir, 'speech'), clips: 6, seed: 1, languages: ['en', 'de'] });
  const dataset = await readSpeechDataset(join(dir, 'speech'));
  const clips = await loadExpressionClips(dataset);
  const { model } = await trainAudioExpressionPrior({ clips, steps: 800, batch: 32, lr: 1e-3, config: TINY, validationFraction: 0 });
  avatar = await proceduralAvatar({ size: 128, uvSize: 64, a2e: model });
  const speech = await audioSamples16k(dataset.clips[0]!.audio);
  audio = new Float32Array(SILENCE + speech.length + SILENCE);
  audio.set(speech, SILENCE);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('synthesize', () => {
  it('moves the mouth during speech and not during silence', async () => {
    const r = await synthesize({ avatar, audio, headPose: 'still', steps: 10, seed: 1 });
    const T = r.frameCount;
    expect(T).toBe(Math.round((audio.length / 16000) * 25));
    expect(r.frames!.shape).toEqual([T, 128, 128, 3]);
    // Mean absolute change between consecutive frames in the mouth region.
    const change = (t: number) => {
      let s = 0;
      for (let y = 78; y < 98; y++) for (let x = 48; x < 80; x++) for (let c = 0; c < 3; c++) s += Math.abs(r.frames!.get(t, y, x, c) - r.frames!.get(t - 1, y, x, c));
      return s / (20 * 32 * 3);
    };
    const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
    const silent = [...Array.from({ length: 18 }, (_, i) => i + 3), ...Array.from({ length: 18 }, (_, i) => T - 3 - i)];
    const speaking = Array.from({ length: T - 60 }, (_, i) => i + 30);
    const during = mean(speaking.map(change));
    const quiet = mean(silent.map(change));
    expect(during).toBeGreaterThan(3 * quiet);
    expect(during).toBeGreaterThan(0.002);
  });

  it('moves the head, eyes and lids in silence with idle motion on (the demo), and keeps it still with it off (the default)', async () => {
    const on = await synthesize({ avatar, audio, headPose: 'still', idle: { seed: 2 }, steps: 10, seed: 1 });
    const off = await synthesize({ avatar, audio, headPose: 'still', steps: 10, seed: 1 });
    expect(off.idle).toBeUndefined();
    expect(on.idle!.frames).toBe(on.frameCount);
    // The speech's tracks are the same: idle motion only adds to them.
    expect(on.jawPose.data).toEqual(off.jawPose.data);
    const diff = (r: typeof on, a: number, b: number): number => {
      let sum = 0;
      for (let y = 0; y < 128; y++) for (let x = 0; x < 128; x++) for (let c = 0; c < 3; c++) sum += Math.abs(r.frames!.get(a, y, x, c) - r.frames!.get(b, y, x, c));
      return sum / (128 * 128 * 3);
    };
    // Frames 3 and 20 lie in the first second of silence.
    const moving = diff(on, 3, 20);
    const still = diff(off, 3, 20);
    expect(moving).toBeGreaterThan(1e-3);
    expect(moving).toBeGreaterThan(10 * still);
  });

  it('writes an MP4 that decodes to the right duration and frame count, with the audio', async () => {
    const out = join(dir, 'talk.mp4');
    const r = await synthesize({ avatar, audio, output: out, steps: 5 });
    expect(r.frames).toBeUndefined();
    const probe = JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-count_frames', '-show_entries', 'stream=codec_type,nb_read_frames,duration,width,height', '-of', 'json', out], { encoding: 'utf8' })) as {
      streams: { codec_type: string; nb_read_frames?: string; duration?: string; width?: number; height?: number }[];
    };
    const video = probe.streams.find((s) => s.codec_type === 'video')!;
    const sound = probe.streams.find((s) => s.codec_type === 'audio');
    expect(Number(video.nb_read_frames)).toBe(r.frameCount);
    expect(Math.abs(Number(video.duration) - r.frameCount / 25)).toBeLessThan(0.05);
    expect([video.width, video.height]).toEqual([128, 128]);
    expect(sound).toBeDefined();
    expect(Math.abs(Number(sound!.duration) - audio.length / 16000)).toBeLessThan(0.1);
  });

  it('stops within a second of an abort and leaves no file', async () => {
    const out = join(dir, 'aborted.mp4');
    const controller = new AbortController();
    let abortedAt = 0;
    const run = synthesize({
      avatar,
      audio,
      output: out,
      batch: 2,
      steps: 5,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.stage === 'render' && p.frame >= 4 && !controller.signal.aborted) {
          abortedAt = performance.now();
          controller.abort();
        }
      },
    });
    await expect(run).rejects.toThrow(AbortError);
    expect(performance.now() - abortedAt).toBeLessThan(1000);
    expect(existsSync(out)).toBe(false);
    expect((await readdir(dir)).filter((f) => f.includes('aborted'))).toEqual([]);
  });

  it('streams audio chunks to every frame once, in order', async () => {
    const stream = new SynthesisStream({ avatar, steps: 5, headPose: 'still' });
    let next = 0;
    const take = (chunks: Awaited<ReturnType<SynthesisStream['push']>>) => {
      for (const c of chunks) {
        expect(c.startFrame).toBe(next);
        expect(c.frames.shape.slice(1)).toEqual([128, 128, 3]);
        expect(c.latencySeconds).toBeGreaterThanOrEqual(c.bufferedSeconds);
        next += c.frames.shape[0]!;
      }
    };
    for (let i = 0; i < audio.length; i += 640) take(await stream.push(audio.slice(i, i + 640)));
    take(await stream.end());
    expect(next).toBe(Math.round((audio.length / 16000) * 25));
  });

  // The stream samples as ExpressionStream does unless told otherwise (DPM-Solver++ at
  // STREAM_SAMPLE_STEPS); it used to ask for 10 steps, 2.5 times the expression compute per window.
  it('samples like ExpressionStream by default (DPM-Solver++, STREAM_SAMPLE_STEPS steps) and passes method and steps on', async () => {
    const clip = audio.slice(SILENCE, SILENCE + 24000);
    const framesOf = async (options: { steps?: number; method?: 'ddim' | 'dpm-solver++' }) => {
      const stream = new SynthesisStream({ avatar, headPose: 'still', ...options });
      const chunks = [...(await stream.push(clip)), ...(await stream.end())];
      return Float32Array.from(chunks.flatMap((c) => Array.from(c.frames.data as Float32Array)));
    };
    const byDefault = await framesOf({});
    const maxDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i]!)), 0);
    expect(maxDiff(byDefault, await framesOf({ method: STREAM_SAMPLE_METHOD, steps: STREAM_SAMPLE_STEPS }))).toBe(0);
    expect(maxDiff(byDefault, await framesOf({ steps: 10 }))).toBeGreaterThan(1e-3);
    expect(maxDiff(byDefault, await framesOf({ method: 'ddim' }))).toBeGreaterThan(1e-3);
  });

  it('checks the output path before any work: an existing folder, a missing parent (FileSystemError naming the path)', async () => {
    for (const [output, message] of [
      [dir, `${dir}: could not write it: it is a folder, expected a file path (EISDIR)`],
      [join(dir, 'missing', 'x.mp4'), `${join(dir, 'missing')}: could not write into it: no such file or folder (ENOENT)`],
    ]) {
      const stages: string[] = [];
      const error = await synthesize({ avatar, audio, output, steps: 5, onProgress: (p) => stages.push(p.stage) }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(FileSystemError);
      expect((error as Error).message).toBe(message);
      // Not a single expression sampled nor frame rendered (the old code rendered every frame first).
      expect(stages).toEqual([]);
    }
  });

  it('turns ffmpeg dying mid-write (EPIPE) into a FormatError with its message, and leaves no temporary', async () => {
    // A stand-in ffmpeg that reads nothing, complains and exits: the next write meets a closed pipe.
    const folder = join(dir, 'epipe');
    await mkdir(folder);
    const fake = join(folder, 'dying-ffmpeg');
    await writeFile(fake, '#!/bin/sh\necho "out.mp4: No space left on device" >&2\nexit 1\n');
    await chmod(fake, 0o755);
    const writer = await Mp4Writer.open(join(folder, 'out.mp4'), { width: 64, height: 64, fps: 25, audio: new Float32Array(1600), ffmpeg: fake });
    const frames = ndarray(new Float32Array(8 * 64 * 64 * 3), [8, 64, 64, 3]);
    let error: unknown;
    try {
      for (let i = 0; i < 100; i++) await writer.write(frames);
    } catch (e) {
      error = e;
    }
    await writer.abort();
    expect(error).toBeInstanceOf(FormatError);
    expect((error as Error).message).toMatch(/out\.mp4: ffmpeg failed \(exit code 1\): out\.mp4: No space left on device/);
    expect((await readdir(folder)).sort()).toEqual(['dying-ffmpeg']);
  });

  it('samples the expressions with the method asked for (dpm-solver++: predictExpressions\' tracks, not ddim\'s), checked before any work', async () => {
    const clip = audio.subarray(0, 3 * 16000);
    const few = await synthesize({ avatar, audio: clip, headPose: 'still', method: 'dpm-solver++', steps: 4, seed: 2, returnFrames: false });
    const direct = await predictExpressions(clip, { model: avatar.a2e!, method: 'dpm-solver++', steps: 4, seed: 2, speaker: 0 });
    expect(Array.from(few.jawPose.data)).toEqual(Array.from(direct.jawPose.data));
    // The option really changes the sampler: DDIM at 4 steps gives other tracks.
    const ddim = await synthesize({ avatar, audio: clip, headPose: 'still', steps: 4, seed: 2, returnFrames: false });
    const diff = Math.max(...Array.from(ddim.jawPose.data, (v, i) => Math.abs(v - few.jawPose.data[i]!)));
    expect(diff).toBeGreaterThan(1e-4);
    // A bad sampler or step count is refused before the audio is read.
    await expect(synthesize({ avatar, audio: '/no/such.wav', method: 'euler' as never })).rejects.toThrow(/expected method to be one of/);
    await expect(synthesize({ avatar, audio: '/no/such.wav', method: 'dpm-solver++', steps: 10_000 })).rejects.toThrow(/expected steps to be an integer/);
  });

  it('rejects an avatar without an Audio-Expression model', async () => {
    const mute = await proceduralAvatar({ size: 64, uvSize: 32 });
    await expect(synthesize({ avatar: mute, audio })).rejects.toThrow(/no Audio-Expression model/);
  });
});

describe('the ggtalker command', () => {
  it('synthesizes from files and reports errors in exit codes', async () => {
    const file = join(dir, 'p.ggtavatar');
    await avatar.save(file);
    const wav = join(dir, 'speech', (await readSpeechDataset(join(dir, 'speech'))).clips[1]!.audio.split('/speech/')[1]!);
    const out = join(dir, 'cli.mp4');
    expect(await main(['synthesize', '--avatar', file, '--audio', wav, '--out', out, '--steps', '3', '--quiet'])).toBe(0);
    expect(existsSync(out)).toBe(true);
    expect(await main(['synthesize', '--avatar', file, '--audio', wav, '--out', out, '--method', 'dpm-solver++', '--quiet'])).toBe(0);
    expect(await main(['synthesize', '--avatar', file, '--audio', wav, '--out', out, '--method', 'euler', '--quiet'])).toBe(2);
    expect(await main(['synthesize', '--avatar', file, '--quiet'])).toBe(2); // missing --audio
    expect(await main(['synthesize', '--avatar', join(dir, 'none.ggtavatar'), '--audio', wav, '--out', out, '--quiet'])).toBe(1);
    expect(await main(['no-such-command'])).toBe(2);
    expect(await main(['info', '--help'])).toBe(0);
  });
});
