// ffmpeg failing mid-stream, everywhere ggtalker spawns it (the MP4 writer of synthesize, audio
// decoding, dataset image decoding), with fake ffmpegs: one that exits before reading its input
// (writes to it fail with EPIPE), one that fails after part of the stream, one killed by a
// signal, one whose output stops short. Each call rejects with a GgtalkerError carrying
// ffmpeg's own message, the process survives, and no temporary file is left.
import { chmod, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { AudioExpressionModel } from '../lib/a2e/model.js';
import { loadAudio } from '../lib/audio/load.js';
import { proceduralAvatar } from '../lib/avatar/procedural-avatar.js';
import type { Avatar } from '../lib/avatar/avatar.js';
import { demoAssets } from '../lib/demo-assets.js';
import { FormatError, GgtalkerError } from '../lib/errors.js';
import { readImageFile } from '../lib/io/vhap-image.js';
import { synthesize } from '../lib/synthesize/synthesize.js';
import { Mp4Writer } from '../lib/synthesize/video-writer.js';

let dir: string;
let avatar: Avatar;
/** 1 s of a tone at 16 kHz: 25 frames. */
const audio = Float32Array.from({ length: 16000 }, (_, i) => 0.3 * Math.sin((2 * Math.PI * 220 * i) / 16000));

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ggt-ffmpeg-errors-'));
  const a2e = await AudioExpressionModel.load(demoAssets().speechModel);
  avatar = await proceduralAvatar({ size: 32, uvSize: 32, a2e });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A folder holding an executable `ffmpeg` shell script. */
async function fakeFfmpegFolder(name: string, script: string): Promise<string> {
  const folder = join(dir, name);
  await mkdir(folder);
  await writeFile(join(folder, 'ffmpeg'), `#!/bin/sh\n${script}\n`);
  await chmod(join(folder, 'ffmpeg'), 0o755);
  return folder;
}

/** Runs `fn` with `folder` first on PATH (synthesize spawns the `ffmpeg` found there). */
async function withPath<T>(folder: string, fn: () => Promise<T>): Promise<T> {
  const saved = process.env.PATH;
  process.env.PATH = `${folder}${delimiter}${saved ?? ''}`;
  try {
    return await fn();
  } finally {
    process.env.PATH = saved;
  }
}

async function rejection(promise: Promise<unknown>): Promise<GgtalkerError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(GgtalkerError);
  return error as GgtalkerError;
}

describe('synthesize: the MP4 writer', () => {
  const cases = [
    { name: 'exits before reading a frame (EPIPE)', script: 'echo "out.mp4: Permission denied (fake)" >&2; exit 1', message: /ffmpeg failed \(exit code 1\): out\.mp4: Permission denied \(fake\)/ },
    { name: 'fails after part of the frames', script: 'head -c 20000 >/dev/null; echo "Conversion failed: No space left on device (fake)" >&2; exit 1', message: /ffmpeg failed \(exit code 1\): Conversion failed: No space left on device \(fake\)/ },
    { name: 'is killed mid-stream', script: 'head -c 20000 >/dev/null; echo "killed (fake)" >&2; kill -9 $$', message: /ffmpeg failed \(SIGKILL\): killed \(fake\)/ },
  ];
  for (const c of cases) {
    it(`rejects with ffmpeg's message and leaves no file when ffmpeg ${c.name}`, async () => {
      const folder = await fakeFfmpegFolder(`mp4-${cases.indexOf(c)}`, c.script);
      const out = join(dir, `out-${cases.indexOf(c)}`);
      await mkdir(out);
      const error = await withPath(folder, () => rejection(synthesize({ avatar, audio, output: join(out, 'talk.mp4'), headPose: 'still', steps: 2, batch: 1 })));
      expect(error).toBeInstanceOf(FormatError);
      expect(error.message).toMatch(c.message);
      expect(await readdir(out)).toEqual([]);
    });
  }

  it('Mp4Writer.write and finish reject, and abort cleans up, when ffmpeg has gone', async () => {
    const folder = await fakeFfmpegFolder('mp4-direct', 'echo "Unknown encoder libx264 (fake)" >&2; exit 1');
    const out = join(dir, 'out-direct');
    await mkdir(out);
    const writer = await Mp4Writer.open(join(out, 'v.mp4'), { width: 32, height: 32, fps: 25, audio, ffmpeg: join(folder, 'ffmpeg') });
    const frames = { data: new Float32Array(64 * 32 * 32 * 3), shape: [64, 32, 32, 3] } as never;
    const first = await rejection(writer.write(frames));
    expect(first.message).toMatch(/Unknown encoder libx264 \(fake\)/);
    expect((await rejection(writer.write(frames))).message).toMatch(/Unknown encoder libx264 \(fake\)/);
    expect((await rejection(writer.finish())).message).toMatch(/Unknown encoder libx264 \(fake\)/);
    await writer.abort();
    expect(await readdir(out)).toEqual([]);
  });
});

describe('audio decoding', () => {
  it("rejects with ffmpeg's message when it fails after part of the samples", async () => {
    const folder = await fakeFfmpegFolder('audio-mid', `printf '\\000\\000\\000\\000\\000\\000\\000\\000'; echo "Error while decoding stream #0:0: Invalid data found when processing input (fake)" >&2; exit 1`);
    const path = join(dir, 'speech.m4a');
    await writeFile(path, 'not really audio');
    const error = await rejection(loadAudio(path, { ffmpeg: join(folder, 'ffmpeg') }));
    expect(error).toBeInstanceOf(FormatError);
    expect(error.message).toMatch(/ffmpeg could not decode the file \(exit code 1\): Error while decoding stream #0:0: Invalid data found when processing input \(fake\)$/);
  });

  it('rejects when ffmpeg is killed mid-stream', async () => {
    const folder = await fakeFfmpegFolder('audio-killed', `printf '\\000\\000\\000\\000'; echo "decoding... (fake)" >&2; kill -9 $$`);
    const path = join(dir, 'speech.ogg');
    await writeFile(path, 'not really audio');
    const error = await rejection(loadAudio(path, { ffmpeg: join(folder, 'ffmpeg') }));
    expect(error.message).toMatch(/ffmpeg could not decode the file \(signal SIGKILL\): decoding\.\.\. \(fake\)/);
  });

  it('synthesize rejects with the decode error for an audio path (no MP4 started)', async () => {
    const folder = await fakeFfmpegFolder('audio-synth', 'echo "speech.mp3: Invalid data found when processing input (fake)" >&2; exit 1');
    const path = join(dir, 'speech.mp3');
    await writeFile(path, 'not really audio');
    const out = join(dir, 'out-audio');
    await mkdir(out);
    const error = await withPath(folder, () => rejection(synthesize({ avatar, audio: path, output: join(out, 'talk.mp4'), steps: 2 })));
    expect(error.message).toMatch(/speech\.mp3: Invalid data found when processing input \(fake\)/);
    expect(await readdir(out)).toEqual([]);
  });
});

describe('dataset image decoding', () => {
  it("rejects with ffmpeg's message when it fails after part of the image", async () => {
    const folder = await fakeFfmpegFolder('image-mid', `printf 'P6\\n4 4\\n255\\n\\000\\000\\000'; echo "frame.jpg: corrupt JPEG data: premature end of data segment (fake)" >&2; exit 1`);
    const path = join(dir, 'frame.jpg');
    await writeFile(path, 'not really a JPEG');
    const error = await rejection(readImageFile(path, { ffmpeg: join(folder, 'ffmpeg') }));
    expect(error).toBeInstanceOf(FormatError);
    expect(error.message).toMatch(/ffmpeg could not decode the image \(exit code 1\): frame\.jpg: corrupt JPEG data: premature end of data segment \(fake\)$/);
  });

  it('rejects an image whose stream stops short even when ffmpeg exits 0', async () => {
    const folder = await fakeFfmpegFolder('image-short', `printf 'P6\\n4 4\\n255\\n\\000\\000\\000'`);
    const path = join(dir, 'short.jpg');
    await writeFile(path, 'not really a JPEG');
    const error = await rejection(readImageFile(path, { ffmpeg: join(folder, 'ffmpeg') }));
    expect(error.message).toMatch(/ffmpeg returned a truncated image/);
  });
});
