/**
 * The synthetic speech dataset: espeak-ng clips in several languages and voices, each with
 * ground-truth jaw and lip tracks for the procedural head derived from espeak's own phoneme
 * timings. What the Audio-Expression model trains and is evaluated on (DESIGN.md §7;
 * docs/synthetic-speech.md describes the format).
 *
 * Deterministic: the seed alone chooses sentences, voices, rates, pitches and lead-in
 * silences, and espeak-ng renders the same text and settings to the same samples.
 *
 * @module
 */

import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ValidationError } from '../errors.js';
import { mulberry32 } from '../random.js';
import { EXPRESSION_NAMES } from '../flame/procedural/expressions.js';
import { writeFileAtomic } from '../io/atomic.js';
import { writeNpz } from '../io/npy.js';
import { articulate } from './articulation.js';
import { speak } from './espeak.js';
import { LANGUAGE_VOICES, SENTENCES, type Language } from './sentences.js';
import { requireOptions } from '../arguments.js';

export const DATASET_FORMAT = 'ggtalker-speech-dataset';
export const DATASET_VERSION = 1;
export const DATASET_FPS = 25;

/** espeak-ng's generic variants (male m1–m7, female f1–f5), applicable to every language. */
export const DEFAULT_VARIANTS = ['m1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7', 'f1', 'f2', 'f3', 'f4', 'f5'] as const;

export const DEFAULT_LANGUAGES: Language[] = ['en', 'de', 'fr', 'es', 'it'];

export interface SpeechDatasetOptions {
  /** Folder to write (created if missing). */
  out: string;
  /** Number of clips (default 24). */
  clips?: number;
  /** Integer seed (default 0). */
  seed?: number;
  /** Languages to draw sentences from (default en, de, fr, es, it; pt also available). */
  languages?: Language[];
  /** espeak-ng voice variants to draw speakers from (default {@link DEFAULT_VARIANTS}). */
  variants?: string[];
  /** Called after each clip is written. */
  onProgress?: (done: number, total: number, clip: ManifestClip) => void;
}

export interface ManifestClip {
  /** The clip's id (its file stem). */
  id: string;
  /** Relative to the dataset folder. */
  audio: string;
  /** Its expression-track file, relative to the dataset folder. */
  tracks: string;
  /** Its timed-phoneme file, relative to the dataset folder. */
  phonemes: string;
  /** The espeak-ng voice, e.g. `de+f2`. */
  speaker: string;
  /** Language of the sentence. */
  language: Language;
  /** What is said. */
  text: string;
  /** eSpeak's speaking rate, words per minute. */
  rate: number;
  /** eSpeak's pitch, 0 to 99. */
  pitch: number;
  /** Video frames of the tracks. */
  frames: number;
  /** Length of the audio, seconds. */
  durationSeconds: number;
}

export interface SpeechManifest {
  /** Always `'ggtalker-speech-dataset'`: what the manifest is. */
  format: typeof DATASET_FORMAT;
  /** Format version of the manifest. */
  version: typeof DATASET_VERSION;
  /** Video frames per second of every clip's tracks. */
  fps: number;
  /** Seed the dataset was made with. */
  seed: number;
  /** Names of the expression coefficients of the tracks. */
  expressionNames: string[];
  /** The clips. */
  clips: ManifestClip[];
}


interface PlannedClip {
  id: string;
  language: Language;
  text: string;
  voice: string;
  rate: number;
  pitch: number;
  leadSeconds: number;
}

/**
 * What each clip will be, from the seed alone: the selected languages' sentences in a seeded
 * order (every sentence once before any repeats), each with a seeded variant, rate (150–190
 * wpm), pitch (35–65) and lead-in silence (0.1–0.3 s).
 */
export function planSpeechDataset(clips: number, seed: number, languages: readonly Language[], variants: readonly string[]): PlannedClip[] {
  const random = mulberry32(seed); // the plan must not depend on Math.random
  const pool = languages.flatMap((language) => SENTENCES[language].map((text) => ({ language, text })));
  const order: typeof pool = [];
  while (order.length < clips) {
    const round = [...pool];
    for (let i = round.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [round[i], round[j]] = [round[j]!, round[i]!];
    }
    order.push(...round);
  }
  return order.slice(0, clips).map(({ language, text }, i) => ({
    id: `${String(i).padStart(4, '0')}-${language}`,
    language,
    text,
    voice: `${LANGUAGE_VOICES[language]}+${variants[Math.floor(random() * variants.length)]!}`,
    rate: 150 + Math.floor(random() * 41),
    pitch: 35 + Math.floor(random() * 31),
    leadSeconds: (100 + Math.floor(random() * 201)) / 1000,
  }));
}

function checkOptions(o: SpeechDatasetOptions): Required<Omit<SpeechDatasetOptions, 'onProgress'>> {
  const clips = o.clips ?? 24;
  const seed = o.seed ?? 0;
  const languages = o.languages ?? DEFAULT_LANGUAGES;
  const variants = o.variants ?? [...DEFAULT_VARIANTS];
  if (typeof o.out !== 'string' || o.out === '') throw new ValidationError('expected out to be a folder path');
  if (!(Number.isInteger(clips) && clips > 0)) throw new ValidationError(`expected clips to be a positive integer, received ${clips}`);
  if (!Number.isSafeInteger(seed)) throw new ValidationError(`expected seed to be an integer, received ${seed}`);
  const unknown = languages.filter((l) => !(l in SENTENCES));
  if (languages.length === 0 || unknown.length) {
    throw new ValidationError(`expected languages among ${Object.keys(SENTENCES).join(', ')}, received ${JSON.stringify(languages)}`);
  }
  if (variants.length === 0 || variants.some((v) => !/^[\w.-]+$/.test(v))) {
    throw new ValidationError(`expected variants to be espeak-ng variant names such as m3 or f2, received ${JSON.stringify(variants)}`);
  }
  return { out: o.out, clips, seed, languages, variants };
}

/**
 * Generates the dataset: per clip `clips/<id>.wav` (espeak's 16-bit audio), `clips/<id>.npz`
 * (`expr` [T, E] and `jaw_pose` [T, 3], float32, T = round(duration · 25)) and
 * `clips/<id>.phonemes.json`, then `manifest.json`. Every file is written atomically; the
 * manifest last, so a folder with a manifest is complete.
 *
 * @returns The manifest.
 * @throws {@link ValidationError} on bad options; EspeakError when espeak-ng fails.
 */
export async function makeSyntheticSpeechDataset(options: SpeechDatasetOptions): Promise<SpeechManifest> {
  const { out, clips, seed, languages, variants } = checkOptions(requireOptions('makeSyntheticSpeechDataset', options));
  await mkdir(join(out, 'clips'), { recursive: true });
  const plan = planSpeechDataset(clips, seed, languages, variants);
  const manifest: SpeechManifest = {
    format: DATASET_FORMAT,
    version: DATASET_VERSION,
    fps: DATASET_FPS,
    seed,
    expressionNames: [...EXPRESSION_NAMES],
    clips: [],
  };
  const encoder = new TextEncoder();
  for (const [done, p] of plan.entries()) {
    const speech = await speak({ text: p.text, voice: p.voice, rate: p.rate, pitch: p.pitch, leadSeconds: p.leadSeconds });
    const tracks = articulate(speech.phonemes, speech.durationSeconds, DATASET_FPS);
    const clip: ManifestClip = {
      id: p.id,
      audio: `clips/${p.id}.wav`,
      tracks: `clips/${p.id}.npz`,
      phonemes: `clips/${p.id}.phonemes.json`,
      speaker: p.voice,
      language: p.language,
      text: p.text,
      rate: p.rate,
      pitch: p.pitch,
      frames: tracks.frames,
      durationSeconds: speech.durationSeconds,
    };
    const timings = { sampleRate: speech.sampleRate, durationSeconds: speech.durationSeconds, phonemes: speech.phonemes, words: speech.words };
    await writeFileAtomic(join(out, clip.audio), speech.wav);
    await writeNpz(join(out, clip.tracks), {
      expr: { dtype: 'float32', shape: [tracks.frames, EXPRESSION_NAMES.length], data: tracks.expr },
      jaw_pose: { dtype: 'float32', shape: [tracks.frames, 3], data: tracks.jawPose },
    });
    await writeFileAtomic(join(out, clip.phonemes), encoder.encode(`${JSON.stringify(timings, null, 1)}\n`));
    manifest.clips.push(clip);
    options.onProgress?.(done + 1, plan.length, clip);
  }
  await writeFileAtomic(join(out, 'manifest.json'), encoder.encode(`${JSON.stringify(manifest, null, 2)}\n`));
  return manifest;
}
