/**
 * MP4 output through ffmpeg: RGB frames piped in as raw video, the speech muxed in, written
 * to a temporary file beside the target and renamed into place when complete, so an aborted
 * or failed synthesis never leaves a partial file.
 *
 * @module
 */

import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';

import type { NdArray } from 'ndarray';

import { FormatError } from '../errors.js';
import { encodeWav16 } from '../synthetic/studio/speech.js';

/** Writes one MP4 (H.264, yuv420p; AAC audio when given). */
export class Mp4Writer {
  private readonly child: ChildProcess;
  private readonly temporary: string;
  private readonly audioFile: string | undefined;
  private readonly done: Promise<void>;
  private stderr = '';
  private closed = false;

  private constructor(readonly path: string, readonly width: number, readonly height: number, child: ChildProcess, temporary: string, audioFile: string | undefined, done: Promise<void>) {
    this.child = child;
    this.temporary = temporary;
    this.audioFile = audioFile;
    this.done = done;
    child.stderr?.on('data', (b: Buffer) => {
      this.stderr = (this.stderr + b.toString('utf8')).slice(-4000);
    });
  }

  /**
   * Starts ffmpeg. `audio`: 16 kHz mono samples to mux in (the video ends with the shorter).
   *
   * @throws {@link FormatError} when ffmpeg cannot be started (with the fix: install ffmpeg).
   */
  static async open(path: string, options: { width: number; height: number; fps: number; audio?: Float32Array; ffmpeg?: string }): Promise<Mp4Writer> {
    const { width, height, fps } = options;
    const tag = `${process.pid}.${randomBytes(6).toString('hex')}`;
    const temporary = join(dirname(path), `.${basename(path)}.${tag}.tmp.mp4`);
    let audioFile: string | undefined;
    if (options.audio) {
      audioFile = join(tmpdir(), `ggtalker-audio.${tag}.wav`);
      await writeFile(audioFile, encodeWav16(options.audio, 16000));
    }
    const args = ['-v', 'error', '-y', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${width}x${height}`, '-r', String(fps), '-i', '-'];
    if (audioFile) args.push('-i', audioFile, '-c:a', 'aac', '-b:a', '128k', '-shortest');
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

  /** Appends frames [T, H, W, 3] (values in [0, 1]). */
  async write(frames: NdArray<Float32Array>): Promise<void> {
    const [t, h, w] = frames.shape as [number, number, number];
    if (h !== this.height || w !== this.width) throw new FormatError(`expected ${this.width}x${this.height} frames, received ${w}x${h}`, { path: this.path });
    const bytes = Buffer.allocUnsafe(t * h * w * 3);
    const d = frames.data;
    for (let i = 0; i < bytes.length; i++) bytes[i] = Math.max(0, Math.min(255, Math.round(d[i]! * 255)));
    const stdin = this.child.stdin!;
    if (!stdin.write(bytes)) await new Promise<void>((resolve, reject) => {
      stdin.once('drain', resolve);
      this.done.catch(reject);
    });
  }

  /** Closes the stream, waits for ffmpeg and renames the file into place. */
  async finish(): Promise<void> {
    this.closed = true;
    this.child.stdin!.end();
    try {
      await this.done;
      await rename(this.temporary, this.path);
    } catch (error) {
      await rm(this.temporary, { force: true });
      throw error;
    } finally {
      if (this.audioFile) await rm(this.audioFile, { force: true });
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
    await rm(this.temporary, { force: true });
    if (this.audioFile) await rm(this.audioFile, { force: true });
  }
}
