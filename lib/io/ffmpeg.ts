/**
 * Running ffmpeg on one input file and collecting what it writes to stdout, with errors in the
 * user's terms: a missing ffmpeg names the fix; a failed decode quotes ffmpeg's message.
 *
 * @module
 */

import { spawn } from 'node:child_process';
import { extname } from 'node:path';

import { FormatError } from '../errors.js';

/** What the caller decodes, for messages: e.g. `{ noun: 'file', fix: 'convert to WAV' }`. */
export interface FfmpegPurpose {
  /** "decoding .mp3 <noun> needs ffmpeg"; "ffmpeg could not decode the <noun>". */
  noun: string;
  /** The alternative to installing ffmpeg. */
  fix: string;
}

/** Runs `ffmpeg -v error -nostdin -i <path> <outputArgs>` and resolves with its stdout. */
export function ffmpegOutput(path: string, outputArgs: string[], ffmpeg: string, purpose: FfmpegPurpose): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn(ffmpeg, ['-v', 'error', '-nostdin', '-i', path, ...outputArgs], { stdio: ['ignore', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', (error: NodeJS.ErrnoException) => {
      const fix = `install ffmpeg (apt-get install ffmpeg) or ${purpose.fix}`;
      const message =
        error.code === 'ENOENT'
          ? `decoding ${extname(path) || 'this'} ${purpose.noun} needs ffmpeg, but ${JSON.stringify(ffmpeg)} was not found on PATH; ${fix}`
          : `could not run ${JSON.stringify(ffmpeg)}: ${error.message}; ${fix}`;
      reject(new FormatError(message, { path, cause: error }));
    });
    child.on('close', (code, signal) => {
      if (code !== 0) {
        const detail = Buffer.concat(stderr).toString('utf8').trim() || '(no output on stderr)';
        const status = signal === null ? `exit code ${code}` : `signal ${signal}`;
        reject(new FormatError(`ffmpeg could not decode the ${purpose.noun} (${status}): ${detail}`, { path }));
        return;
      }
      resolve(Buffer.concat(stdout));
    });
  });
}
