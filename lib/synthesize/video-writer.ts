/**
 * MP4 output through ffmpeg: RGB frames piped in as raw video, the speech muxed in, written
 * to a temporary file beside the target and renamed into place when complete, so an aborted
 * or failed synthesis never leaves a partial file.
 *
 * Both temporaries (the video and the speech WAV ffmpeg reads) sit beside the target, named as
 * lib/io/atomic.ts names temporaries (`.<name>.<pid>.<hex>.tmp.mp4` / `.tmp.wav`), so a process
 * killed mid-write leaves nothing that the next write to the folder does not remove.
 *
 * @module
 */

import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:fs';
import { access, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname } from 'node:path';

import type { NdArray } from 'ndarray';

import { FileSystemError, FormatError, GgtalkerError, ValidationError } from '../errors.js';
import { removeStaleTemporaries, requireReplaceableTarget, temporaryPathFor } from '../io/atomic.js';
import { withFileErrors } from '../io/read-file.js';
import { encodeWav16 } from '../synthetic/studio/speech.js';
import { describeValue } from '../validate.js';

/**
 * Checks, before any work, that an MP4 can be written at `path`: a non-empty string, not an
 * existing folder (or other non-file), in a folder that exists and is writable.
 *
 * @throws {@link ValidationError} when `path` is not a non-empty string;
 *   {@link FileSystemError} naming the path or its folder otherwise.
 */
export async function checkOutputPath(path: unknown, name = 'output'): Promise<string> {
  if (typeof path !== 'string' || path === '') throw new ValidationError(`expected ${name} to be a non-empty file path, received ${describeValue(path)}`);
  await requireReplaceableTarget(path);
  const folder = dirname(path);
  const info = await withFileErrors(folder, 'write into', () => stat(folder));
  if (!info.isDirectory()) throw new FileSystemError('could not write into it: it is not a folder (ENOTDIR)', { path: folder, systemCode: 'ENOTDIR' });
  await withFileErrors(folder, 'write into', () => access(folder, constants.W_OK));
  return path;
}

/** `ggtalker-audio.<pid>.<hex>.wav`: the speech WAV earlier versions wrote to the system temp folder. */
const LEGACY_AUDIO_TEMPORARY = /^ggtalker-audio\.(\d{1,10})\.[0-9a-f]{12}\.wav$/;

/** Writes one MP4 (H.264, yuv420p; AAC audio when given). */
export class Mp4Writer {
  private readonly child: ChildProcess;
  private readonly temporary: string;
  private readonly audioFile: string | undefined;
  private readonly done: Promise<void>;
  private stderr = '';
  private closed = false;
  /** The first failure of ffmpeg's stdin (EPIPE when ffmpeg died), held until `done` says why. */
  private pipeError: Error | undefined;

  private constructor(readonly path: string, readonly width: number, readonly height: number, child: ChildProcess, temporary: string, audioFile: string | undefined, done: Promise<void>) {
    this.child = child;
    this.temporary = temporary;
    this.audioFile = audioFile;
    this.done = done;
    child.stderr?.on('data', (b: Buffer) => {
      this.stderr = (this.stderr + b.toString('utf8')).slice(-4000);
    });
    child.stderr?.on('error', () => undefined);
    // Without a listener, EPIPE (ffmpeg exited: a bad output folder, a full disk) would be an
    // uncaught 'error' event and end the process; `write`/`finish` report it with ffmpeg's message.
    child.stdin?.on('error', (error: Error) => {
      this.pipeError ??= error;
    });
  }

  /**
   * Starts ffmpeg. `audio`: 16 kHz mono samples to mux in (the video ends with the shorter).
   * Temporaries that killed processes left beside `path` are removed first.
   *
   * @throws {@link FileSystemError} when `path` cannot be written ({@link checkOutputPath});
   *   {@link FormatError} when ffmpeg cannot be started (with the fix: install ffmpeg).
   */
  static async open(path: string, options: { width: number; height: number; fps: number; audio?: Float32Array; ffmpeg?: string }): Promise<Mp4Writer> {
    const { width, height, fps } = options;
    await checkOutputPath(path);
    await removeStaleTemporaries(dirname(path));
    // Earlier versions wrote the speech to the system temp folder; clear what their killed runs left.
    await removeStaleTemporaries(tmpdir(), false, LEGACY_AUDIO_TEMPORARY);
    const temporary = temporaryPathFor(path, '.mp4');
    let audioFile: string | undefined;
    if (options.audio) {
      const wav = temporaryPathFor(path, '.wav');
      await withFileErrors(wav, 'write', () => writeFile(wav, encodeWav16(options.audio!, 16000), { flag: 'wx' }));
      audioFile = wav;
    }
    const args = ['-v', 'error', '-y', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${width}x${height}`, '-r', String(fps), '-i', '-'];
    // The video decides the length: the speech is padded with silence (apad) and cut where the
    // frames end (-shortest). A bare -shortest lets ffmpeg 7 end on the speech's last sample and
    // drop the final frame when the frames run a few ms past it (122 of 123 frames).
    if (audioFile) args.push('-i', audioFile, '-af', 'apad', '-c:a', 'aac', '-b:a', '128k', '-shortest');
    // yuv420p needs even sides: pad by one pixel when odd.
    args.push('-vf', 'pad=ceil(iw/2)*2:ceil(ih/2)*2', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-preset', 'veryfast', '-crf', '18', '-movflags', '+faststart', temporary);
    const child = spawn(options.ffmpeg ?? 'ffmpeg', args, { stdio: ['pipe', 'ignore', 'pipe'] });
    const done = new Promise<void>((resolve, reject) => {
      child.on('error', (error: NodeJS.ErrnoException) => {
        reject(new FormatError(error.code === 'ENOENT' ? 'writing MP4 needs ffmpeg, which was not found on PATH: apt-get install ffmpeg' : `could not run ffmpeg: ${error.message}`, { path, cause: error }));
      });
      child.on('close', (code, signal) => (code === 0 ? resolve() : reject(new FormatError(`ffmpeg failed (${signal ?? `exit code ${code}`}): ${writer.stderr.trim() || 'no message'}`, { path }))));
    });
    const writer = new Mp4Writer(path, width, height, child, temporary, audioFile, done);
    done.catch(() => undefined);
    return writer;
  }

  /**
   * Appends frames [T, H, W, 3] (values in [0, 1]).
   *
   * @throws {@link FormatError} carrying ffmpeg's message when ffmpeg has failed.
   */
  async write(frames: NdArray<Float32Array>): Promise<void> {
    const [t, h, w] = frames.shape as [number, number, number];
    if (h !== this.height || w !== this.width) throw new ValidationError(`expected ${this.width}x${this.height} frames, received ${w}x${h}`);
    const bytes = Buffer.allocUnsafe(t * h * w * 3);
    const d = frames.data;
    for (let i = 0; i < bytes.length; i++) bytes[i] = Math.max(0, Math.min(255, Math.round(d[i]! * 255)));
    const stdin = this.child.stdin!;
    if (this.pipeError !== undefined || stdin.destroyed) throw await this.failure();
    // The callback runs once the pipe took the bytes (flow control) or with the pipe's error.
    const error = await new Promise<Error | null | undefined>((resolve) => {
      stdin.write(bytes, resolve);
      this.done.catch(() => resolve(this.pipeError ?? new Error('ffmpeg exited')));
    });
    if (error) throw await this.failure();
  }

  /** Why the pipe to ffmpeg failed: ffmpeg's own error (its stderr) once it has exited. */
  private async failure(): Promise<GgtalkerError> {
    try {
      // ffmpeg closes its end first and exits right after; its exit status and stderr say why.
      await Promise.race([this.done, new Promise((r) => setTimeout(r, 5000))]);
    } catch (error) {
      return error as GgtalkerError;
    }
    return new FormatError(`writing to ffmpeg failed (${this.pipeError?.message ?? 'the pipe closed'}): ${this.stderr.trim() || 'no message'}`, { path: this.path, cause: this.pipeError });
  }

  /**
   * Closes the stream, waits for ffmpeg and renames the file into place.
   *
   * @throws {@link FormatError} carrying ffmpeg's message when ffmpeg failed;
   *   {@link FileSystemError} when the file cannot be renamed into place. Nothing is left behind.
   */
  async finish(): Promise<void> {
    this.closed = true;
    this.child.stdin!.end();
    try {
      await this.done;
      await withFileErrors(this.path, 'write', () => rename(this.temporary, this.path));
    } catch (error) {
      await rm(this.temporary, { force: true }).catch(() => undefined);
      throw error;
    } finally {
      if (this.audioFile) await rm(this.audioFile, { force: true }).catch(() => undefined);
    }
  }

  /** Stops ffmpeg and removes everything written. */
  async abort(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.child.stdin!.destroy();
      this.child.kill('SIGKILL');
    }
    await this.done.catch(() => undefined);
    await rm(this.temporary, { force: true }).catch(() => undefined);
    if (this.audioFile) await rm(this.audioFile, { force: true }).catch(() => undefined);
  }
}
