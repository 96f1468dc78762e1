/**
 * Running ffmpeg on one input file and collecting what it writes to stdout, with errors in the
 * user's terms: a missing ffmpeg names the fix; a failed decode quotes ffmpeg's message; a
 * missing input is a {@link FileSystemError} naming it; output beyond a stated limit stops
 * ffmpeg while it streams (a small file can decode to gigabytes).
 *
 * @module
 */

import { spawn } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { extname } from 'node:path';

import { AbortError, FormatError, GgtalkerError } from '../errors.js';
import { requireRegularFile } from './random-access.js';
import { withFileErrors } from './read-file.js';

/** What the caller decodes, for messages: e.g. `{ noun: 'file', fix: 'convert to WAV' }`. */
export interface FfmpegPurpose {
  /** "decoding .mp3 <noun> needs ffmpeg"; "ffmpeg could not decode the <noun>". */
  noun: string;
  /** The alternative to installing ffmpeg. */
  fix: string;
}

/** The output limit of {@link ffmpegOutput}. */
export interface FfmpegOutputLimit {
  /** Most bytes of output accepted; ffmpeg is killed as soon as it writes more. */
  maxBytes: number;
  /** The error to reject with when it does (it should name the limit and the option raising it). */
  error: () => GgtalkerError;
}

/**
 * Runs `ffmpeg -v error -nostdin -i <path> <outputArgs>` and resolves with its stdout.
 *
 * The input must be a regular file (a FIFO would block ffmpeg forever). Every failure rejects
 * with a {@link GgtalkerError}: {@link FileSystemError} for a missing or unreadable input,
 * {@link FormatError} carrying ffmpeg's own stderr for a failed decode or a failed pipe, and
 * `limit.error()` once the output passes `limit.maxBytes`, {@link AbortError} when `signal`
 * aborts (ffmpeg is killed at once in both cases).
 */
export async function ffmpegOutput(path: string, outputArgs: string[], ffmpeg: string, purpose: FfmpegPurpose, limit?: FfmpegOutputLimit, signal?: AbortSignal): Promise<Buffer> {
  if (signal?.aborted) throw new AbortError(undefined, { cause: signal.reason });
  requireRegularFile(await withFileErrors(path, 'read', () => stat(path)), path);
  return new Promise((resolve, reject) => {
    const child = spawn(ffmpeg, ['-v', 'error', '-nostdin', '-i', path, ...outputArgs], { stdio: ['ignore', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    let stdoutBytes = 0;
    let stderr = '';
    let failure: GgtalkerError | undefined;
    // The first failure wins; ffmpeg is killed so 'close' follows and settles the promise.
    const fail = (error: GgtalkerError): void => {
      if (failure !== undefined) return;
      failure = error;
      stdout.length = 0;
      child.kill('SIGKILL');
    };
    // An abort stops ffmpeg at once; the 'close' that follows rejects with the AbortError.
    const onAbort = (): void => fail(new AbortError(undefined, { cause: signal?.reason }));
    signal?.addEventListener('abort', onAbort, { once: true });
    child.on('close', () => signal?.removeEventListener('abort', onAbort));
    const streamError = (stream: string) => (error: Error) =>
      fail(new FormatError(`ffmpeg's ${stream} failed (${error.message}) while decoding the ${purpose.noun}: ${stderr.trim() || '(no output on stderr)'}`, { path, cause: error }));
    child.stdout.on('error', streamError('stdout'));
    child.stderr.on('error', streamError('stderr'));
    child.stdout.on('data', (chunk: Buffer) => {
      if (failure !== undefined) return;
      stdoutBytes += chunk.length;
      if (limit !== undefined && stdoutBytes > limit.maxBytes) fail(limit.error());
      else stdout.push(chunk);
    });
    // Keep the end of stderr only: ffmpeg may print a line per broken packet.
    child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString('utf8')).slice(-4000)));
    child.on('error', (error: NodeJS.ErrnoException) => {
      const fix = `install ffmpeg (apt-get install ffmpeg) or ${purpose.fix}`;
      const message =
        error.code === 'ENOENT'
          ? `decoding ${extname(path) || 'this'} ${purpose.noun} needs ffmpeg, but ${JSON.stringify(ffmpeg)} was not found on PATH; ${fix}`
          : `could not run ${JSON.stringify(ffmpeg)}: ${error.message}; ${fix}`;
      // A failed spawn emits no 'close' when no process ever ran: settle here.
      failure ??= new FormatError(message, { path, cause: error });
      reject(failure);
    });
    child.on('close', (code, signal) => {
      if (failure !== undefined) {
        reject(failure);
        return;
      }
      if (code !== 0) {
        const status = signal === null ? `exit code ${code}` : `signal ${signal}`;
        reject(new FormatError(`ffmpeg could not decode the ${purpose.noun} (${status}): ${stderr.trim() || '(no output on stderr)'}`, { path }));
        return;
      }
      resolve(Buffer.concat(stdout));
    });
  });
}
