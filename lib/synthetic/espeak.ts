/**
 * Speech from espeak-ng with exact phoneme timings: runs the small C tool
 * native/tools/espeak_timings.c (built here on first use, not part of the addon) and returns
 * the audio with its phoneme and word spans. Needs the `espeak-ng` and `libespeak-ng-dev`
 * packages and a C compiler.
 *
 * @module
 */

import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rename, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { decodeWav } from '../audio/wav.js';
import { GgtalkerError, ValidationError } from '../errors.js';
import type { TimedPhoneme } from './articulation.js';
import { requireOptions } from '../arguments.js';

const run = promisify(execFile);

/** The package root: lib/synthetic/ (or dist/synthetic/ once compiled) is two levels down. */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const ESPEAK_TOOL_SOURCE = join(ROOT, 'native', 'tools', 'espeak_timings.c');
export const ESPEAK_TOOL_BINARY = join(ROOT, 'build', 'tools', 'espeak-timings');

/** Errors of the espeak tool or its build, with code `ERR_GGT_ESPEAK`. */
export class EspeakError extends GgtalkerError {
  /** An EspeakError with the tool's or the build's message. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, 'ERR_GGT_ESPEAK', options);
    this.name = 'EspeakError';
  }
}

export interface SpeakOptions {
  /** What to say. */
  text: string;
  /** espeak-ng voice, optionally with a variant: `en-us`, `de+f2`, `fr+m3`. */
  voice: string;
  /** Words per minute, 80..450 (espeak's default is 175). */
  rate?: number;
  /** Base pitch, 0..100 (default 50). */
  pitch?: number;
  /** Silence before the speech, seconds (default 0; espeak itself starts within ~40 ms). */
  leadSeconds?: number;
}

export interface SpokenWord {
  /** The word as written. */
  text: string;
  /** Start time, seconds. */
  start: number;
  /** End time, seconds. */
  end: number;
}

export interface Speech {
  /** Mono samples in [-1, 1). */
  samples: Float32Array;
  /** Samples per second of `samples`. */
  sampleRate: number;
  /** Length of the speech, seconds. */
  durationSeconds: number;
  /** Phonemes (espeak mnemonics, pauses start with `_`), in order; end = next event's start. */
  phonemes: TimedPhoneme[];
  /** Words, from espeak's word events; end = the end of the word's last spoken phoneme. */
  words: SpokenWord[];
  /** The 16-bit WAV file exactly as the tool wrote it. */
  wav: Uint8Array;
  /** The voice as given. */
  voice: string;
}

interface ToolEvent {
  type: 'phoneme' | 'word' | 'sentence' | 'end';
  sample: number;
  time: number;
  textPosition: number;
  phoneme?: string;
  length?: number;
}

interface ToolOutput {
  sampleRate: number;
  samples: number;
  durationSeconds: number;
  events: ToolEvent[];
}

let building: Promise<string> | undefined;

async function mtime(path: string): Promise<number | undefined> {
  return stat(path).then(
    (s) => s.mtimeMs,
    () => undefined,
  );
}

/** Explains a failed compile by what is missing, most likely first. */
function buildFailure(error: unknown): EspeakError {
  const e = error as NodeJS.ErrnoException & { stderr?: string };
  if (e.code === 'ENOENT') return new EspeakError('cannot build the espeak tool: no C compiler `cc` (apt-get install gcc)', { cause: error });
  const stderr = String(e.stderr ?? '');
  if (/speak_lib\.h|-lespeak-ng|espeak-ng/.test(stderr)) {
    return new EspeakError(`cannot build the espeak tool: the espeak-ng library or its header is missing (apt-get install libespeak-ng-dev)\n${stderr.trim()}`, {
      cause: error,
    });
  }
  return new EspeakError(`cannot build the espeak tool from ${ESPEAK_TOOL_SOURCE}:\n${stderr.trim() || String(error)}`, { cause: error });
}

/**
 * Builds the tool when it is missing or older than its source (`cc -O2 ... -lespeak-ng`), and
 * returns its path. The binary is compiled beside its final name and renamed into place, so
 * concurrent processes never run a half-written file.
 *
 * @throws {@link EspeakError} naming the package to install when the build fails.
 */
export async function ensureEspeakTool(): Promise<string> {
  const [src, bin] = await Promise.all([mtime(ESPEAK_TOOL_SOURCE), mtime(ESPEAK_TOOL_BINARY)]);
  if (src === undefined) throw new EspeakError(`the espeak tool's source is missing: ${ESPEAK_TOOL_SOURCE}`);
  if (bin !== undefined && bin >= src) return ESPEAK_TOOL_BINARY;
  building ??= (async () => {
    await mkdir(join(ROOT, 'build', 'tools'), { recursive: true });
    const temporary = `${ESPEAK_TOOL_BINARY}.${process.pid}.tmp`;
    try {
      await run('cc', ['-O2', ESPEAK_TOOL_SOURCE, '-lespeak-ng', '-o', temporary]);
      await rename(temporary, ESPEAK_TOOL_BINARY);
    } catch (error) {
      await rm(temporary, { force: true });
      throw buildFailure(error);
    }
    return ESPEAK_TOOL_BINARY;
  })().finally(() => (building = undefined));
  return building;
}

function checkOptions(o: SpeakOptions): void {
  if (typeof o.text !== 'string' || o.text.trim() === '') throw new ValidationError(`expected text to be a non-empty string, received ${JSON.stringify(o.text)}`);
  if (typeof o.voice !== 'string' || !/^[\w.-]+(\+[\w.-]+)?$/.test(o.voice)) {
    throw new ValidationError(`expected voice to be an espeak-ng voice name such as "en-us" or "de+f2", received ${JSON.stringify(o.voice)}`);
  }
  const int = (name: string, v: number | undefined, lo: number, hi: number): void => {
    if (v !== undefined && !(Number.isInteger(v) && v >= lo && v <= hi)) throw new ValidationError(`expected ${name} to be an integer in [${lo}, ${hi}], received ${v}`);
  };
  int('rate', o.rate, 80, 450);
  int('pitch', o.pitch, 0, 100);
  const lead = o.leadSeconds;
  if (lead !== undefined && !(Number.isFinite(lead) && lead >= 0 && lead <= 5)) throw new ValidationError(`expected leadSeconds in [0, 5], received ${lead}`);
}

/** Phoneme spans: each phoneme ends where the next phoneme or end-of-clause event starts. */
function phonemeSpans(events: ToolEvent[]): TimedPhoneme[] {
  const out: TimedPhoneme[] = [];
  events.forEach((e, i) => {
    if (e.type !== 'phoneme') return;
    const next = events.slice(i + 1).find((n) => n.type === 'phoneme' || n.type === 'end');
    out.push({ phoneme: e.phoneme!, start: e.time, end: next ? next.time : e.time });
  });
  return out;
}

function wordSpans(events: ToolEvent[], phonemes: TimedPhoneme[], text: string): SpokenWord[] {
  const chars = Array.from(text); // espeak's text positions count characters, from 1
  const out: SpokenWord[] = [];
  events.forEach((w, k) => {
    if (w.type !== 'word') return;
    // The word's phonemes start before the next word or end-of-clause event.
    const stop = events.slice(k + 1).find((e) => e.type === 'word' || e.type === 'end')?.time ?? Infinity;
    const spoken = phonemes.filter((p) => p.start >= w.time && p.start < stop && !p.phoneme.startsWith('_'));
    out.push({
      text: chars.slice(w.textPosition - 1, w.textPosition - 1 + (w.length ?? 0)).join(''),
      start: w.time,
      end: spoken.length ? spoken[spoken.length - 1]!.end : w.time,
    });
  });
  return out;
}

/**
 * Speaks `text` with espeak-ng and returns the audio with its phoneme and word timings.
 *
 * @throws {@link ValidationError} on empty text or bad options; {@link EspeakError} when
 *   espeak-ng is missing, the voice is unknown, or the text yields no phonemes.
 */
export async function speak(options: SpeakOptions): Promise<Speech> {
  checkOptions(requireOptions('speak', options));
  const dir = await mkdtemp(join(tmpdir(), 'ggt-espeak-'));
  try {
    const wavPath = join(dir, 'speech.wav');
    const jsonPath = join(dir, 'speech.json');
    const args = ['--voice', options.voice, '--text', options.text, '--wav', wavPath, '--json', jsonPath];
    if (options.rate !== undefined) args.push('--rate', String(options.rate));
    if (options.pitch !== undefined) args.push('--pitch', String(options.pitch));
    if (options.leadSeconds) args.push('--lead-ms', String(Math.round(options.leadSeconds * 1000)));
    try {
      await run(await ensureEspeakTool(), args, { maxBuffer: 1 << 20 }).catch(async (error: NodeJS.ErrnoException) => {
        // `node-gyp rebuild` empties build/: if the tool vanished since the check, build it again.
        if (error.code !== 'ENOENT') throw error;
        return run(await ensureEspeakTool(), args, { maxBuffer: 1 << 20 });
      });
    } catch (error) {
      const e = error as { code?: number; stderr?: string };
      const message = String(e.stderr ?? error).trim();
      const hint = e.code === 3 ? ' (apt-get install espeak-ng)' : '';
      throw new EspeakError(`espeak-ng failed for voice ${JSON.stringify(options.voice)}: ${message}${hint}`, { cause: error });
    }
    const [wav, json] = await Promise.all([readFile(wavPath), readFile(jsonPath, 'utf8')]);
    const bytes = new Uint8Array(wav.buffer, wav.byteOffset, wav.byteLength);
    const out = JSON.parse(json) as ToolOutput;
    const audio = decodeWav(bytes, wavPath);
    const samples = audio.channels[0]!;
    if (audio.sampleRate !== out.sampleRate || samples.length !== out.samples) {
      throw new EspeakError(`espeak tool output disagrees with its WAV: ${out.samples} samples at ${out.sampleRate} Hz vs ${samples.length} at ${audio.sampleRate} Hz`);
    }
    // Times from the exact sample positions (the JSON's rounded `time` could pass the end).
    for (const e of out.events) e.time = e.sample / out.sampleRate;
    const phonemes = phonemeSpans(out.events);
    return {
      samples,
      sampleRate: audio.sampleRate,
      durationSeconds: samples.length / audio.sampleRate,
      phonemes,
      words: wordSpans(out.events, phonemes, options.text),
      wav: bytes,
      voice: options.voice,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
