// The synthetic speech generator (lib/synthetic; docs/synthetic-speech.md): espeak-ng speech
// with phoneme timings, phoneme → articulatory targets, coarticulated jaw and lip tracks, and
// the dataset folder. Needs espeak-ng and libespeak-ng-dev (scripts/setup.sh).
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { decodeWav } from '../lib/audio/wav.js';
import { ValidationError } from '../lib/errors.js';
import { EXPRESSION_NAMES } from '../lib/flame/procedural/expressions.js';
import { makeProceduralHead } from '../lib/flame/procedural/index.js';
import { readNpz } from '../lib/io/npy.js';
import { articulate, articulationCurve, type ArticulationTracks, type TimedPhoneme } from '../lib/synthetic/articulation.js';
import { EspeakError, speak, type Speech } from '../lib/synthetic/espeak.js';
import { LANGUAGE_VOICES, SENTENCES } from '../lib/synthetic/sentences.js';
import { makeSyntheticSpeechDataset, type SpeechManifest } from '../lib/synthetic/speech-dataset.js';
import { visemeFor } from '../lib/synthetic/visemes.js';
import { flameReference } from './helpers/flame-reference.js';

const E = EXPRESSION_NAMES.length;
const FPS = 25;
const col = (name: (typeof EXPRESSION_NAMES)[number]): number => EXPRESSION_NAMES.indexOf(name);

/** One expression's track, or the jaw angle (jaw pose x). */
function track(t: ArticulationTracks, name: (typeof EXPRESSION_NAMES)[number] | 'jaw'): number[] {
  return Array.from({ length: t.frames }, (_, i) => (name === 'jaw' ? t.jawPose[i * 3]! : t.expr[i * E + col(name)]!));
}

/** The value of a track at time `s` (nearest frame centre). */
const at = (values: number[], s: number, fps = FPS): number => values[Math.min(values.length - 1, Math.max(0, Math.round(s * fps - 0.5)))]!;

const isBilabial = (p: TimedPhoneme): boolean => visemeFor(p.phoneme).cls === 'bilabial';
const isVowel = (p: TimedPhoneme): boolean => visemeFor(p.phoneme).cls === 'vowel';

function rms(samples: Float32Array, from: number, to: number): number {
  let s = 0;
  for (let i = from; i < to; i++) s += samples[i]! ** 2;
  return Math.sqrt(s / Math.max(1, to - from));
}

describe('speak: espeak-ng audio with phoneme timings', () => {
  let speech: Speech;
  const lead = 0.3;
  beforeAll(async () => {
    speech = await speak({ text: 'Papa and mama saw Bob by the boat.', voice: 'en-us+m3', leadSeconds: lead });
  });

  it('returns mono audio at espeak sample rate, its WAV file and the words', () => {
    expect(speech.sampleRate).toBe(22050);
    expect(speech.durationSeconds).toBeCloseTo(speech.samples.length / 22050, 9);
    const again = decodeWav(speech.wav);
    expect(again.channels).toHaveLength(1);
    expect(again.channels[0]).toEqual(speech.samples);
    expect(speech.words.map((w) => w.text)).toEqual(['Papa', 'and', 'mama', 'saw', 'Bob', 'by', 'the', 'boat']);
    for (const w of speech.words) expect(w.end).toBeGreaterThan(w.start);
  });

  it('orders the phonemes inside the audio, after the lead-in silence', () => {
    const { phonemes } = speech;
    expect(phonemes.filter((p) => !p.phoneme.startsWith('_')).length).toBeGreaterThan(15);
    phonemes.forEach((p, i) => {
      expect(p.start).toBeGreaterThanOrEqual(i ? phonemes[i - 1]!.end - 1e-9 : lead);
      expect(p.end).toBeGreaterThanOrEqual(p.start);
      expect(p.end).toBeLessThanOrEqual(speech.durationSeconds + 1e-9);
    });
    // The sentence ends in a pause (espeakENDPAUSE) that reaches the end of the audio.
    const last = phonemes[phonemes.length - 1]!;
    expect(last.end).toBeCloseTo(speech.durationSeconds, 6);
  });

  it('has far more energy (20 ms RMS) inside vowels than in the leading and trailing silence', () => {
    const sr = speech.sampleRate;
    const win = Math.round(0.02 * sr);
    const windowsIn = (a: number, b: number): number[] => {
      const out: number[] = [];
      for (let s = Math.ceil(a * sr); s + win <= Math.floor(b * sr); s += win) out.push(rms(speech.samples, s, s + win));
      return out;
    };
    const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
    const vowels = speech.phonemes.filter(isVowel).flatMap((p) => windowsIn(p.start, p.end));
    const pause = speech.phonemes.filter((p) => p.phoneme.startsWith('_') && p.end - p.start > 0.15).at(-1)!;
    expect(pause.end).toBeCloseTo(speech.durationSeconds, 6);
    const leading = windowsIn(0, lead);
    const trailing = windowsIn(pause.start + 0.02, pause.end);
    expect(vowels.length).toBeGreaterThan(20);
    expect(leading.length).toBeGreaterThanOrEqual(10);
    expect(trailing.length).toBeGreaterThanOrEqual(5);
    expect(mean(vowels)).toBeGreaterThan(0.05);
    expect(Math.max(...leading)).toBeLessThan(0.05 * mean(vowels));
    expect(Math.max(...trailing)).toBeLessThan(0.05 * mean(vowels));
    // Timing, not just totals: the middle of (nearly) every vowel is loud.
    const loud = speech.phonemes.filter(isVowel).filter((p) => {
      const mid = Math.round(((p.start + p.end) / 2) * sr);
      return rms(speech.samples, mid - (win >> 1), mid + (win >> 1)) > 0.3 * mean(vowels);
    });
    expect(loud.length).toBeGreaterThanOrEqual(0.9 * speech.phonemes.filter(isVowel).length);
  });

  it('rejects empty text, unknown voices and variants, bad rates with clear errors', async () => {
    await expect(speak({ text: '  ', voice: 'en' })).rejects.toThrow(ValidationError);
    await expect(speak({ text: 'hello', voice: 'en', rate: 10 })).rejects.toThrow(/rate .*\[80, 450\]/);
    await expect(speak({ text: 'hello', voice: 'en us' })).rejects.toThrow(ValidationError);
    await expect(speak({ text: 'hello', voice: 'nosuchvoice' })).rejects.toThrow(/unknown voice "nosuchvoice"/);
    await expect(speak({ text: 'hello', voice: 'en+zz9' })).rejects.toThrow(/unknown voice variant "zz9"/);
    await expect(speak({ text: '...', voice: 'en' })).rejects.toThrow(EspeakError);
    await expect(speak({ text: '...', voice: 'en' })).rejects.toThrow(/no phonemes/);
  });
});

describe('visemes: espeak mnemonics to articulatory targets', () => {
  it('reads pauses, stops, diphthongs and decorated vowels of several languages', () => {
    for (const pause of ['_', '_:', '_!', '_|']) expect(visemeFor(pause).cls).toBe('pause');
    expect(visemeFor('p')).toMatchObject({ cls: 'bilabial', releaseEvent: true });
    expect(visemeFor('m')).toMatchObject({ cls: 'bilabial', releaseEvent: false });
    expect(visemeFor('f').cls).toBe('labiodental');
    expect(visemeFor('A:').targets).toEqual(visemeFor('A').targets); // length mark
    expect(visemeFor('a#').targets).toEqual(visemeFor('a').targets); // variant
    expect(visemeFor('O~').targets).toEqual(visemeFor('O').targets); // French nasal
    expect(visemeFor('n^').cls).toBe('consonant'); // palatal nasal
    expect(visemeFor('tS').symbols).toEqual(['tS']); // affricate, not t + S
    expect(visemeFor('aI').symbols).toEqual(['a', 'I']);
    expect(visemeFor('aI').targets[0]!.jaw).toBeGreaterThan(visemeFor('aI').targets[1]!.jaw);
    expect(visemeFor('oU').targets[1]!.round).toBeGreaterThan(0.5);
    expect(visemeFor('3:').cls).toBe('vowel'); // ɜ, a digit that is a symbol
    expect(visemeFor('@2').symbols).toEqual(['@']); // a digit that is a variant
    expect(visemeFor('**').symbols).toEqual(['*']); // Spanish trill
    // Open > mid > close jaw; rounded vowels round, front vowels spread.
    expect(visemeFor('a').targets[0]!.jaw).toBeGreaterThan(2 * visemeFor('i').targets[0]!.jaw);
    for (const v of ['u:', 'o:', 'y', 'Y:', 'W~']) expect(visemeFor(v).targets[0]!.round).toBeGreaterThan(0.4);
    expect(visemeFor('i:').targets[0]!.spread).toBeGreaterThan(0.4);
  });
});

describe('articulation: coarticulated tracks', () => {
  let bilabial: Speech;
  let tracks: ArticulationTracks;
  beforeAll(async () => {
    bilabial = await speak({ text: 'Papa, mama, Bob.', voice: 'en-us+m1', leadSeconds: 0.2 });
    tracks = articulate(bilabial.phonemes, bilabial.durationSeconds);
  });

  it('has round(duration · fps) frames, a jaw about +x only, and jaw_open left at 0', () => {
    expect(tracks.frames).toBe(Math.round(bilabial.durationSeconds * FPS));
    expect(tracks.expr.length).toBe(tracks.frames * E);
    expect(tracks.jawPose.length).toBe(tracks.frames * 3);
    for (let i = 0; i < tracks.frames; i++) {
      expect(tracks.jawPose[i * 3]).toBeGreaterThanOrEqual(0);
      expect([tracks.jawPose[i * 3 + 1], tracks.jawPose[i * 3 + 2], tracks.expr[i * E + col('jaw_open')]]).toEqual([0, 0, 0]);
    }
  });

  it('presses the lips with the jaw nearly closed at p, b and m, and only there', () => {
    const press = track(tracks, 'lip_press');
    const jaw = track(tracks, 'jaw');
    const maxJaw = Math.max(...jaw);
    const closures = bilabial.phonemes.filter(isBilabial);
    expect(closures.map((p) => p.phoneme)).toEqual(['p', 'p', 'm', 'm', 'b', 'b']);
    for (const p of closures) {
      // Voiceless stops close before espeak's event (the release); b and m over their span.
      const t = visemeFor(p.phoneme).releaseEvent ? p.start - 0.02 : (p.start + p.end) / 2;
      const near = press.filter((_, i) => Math.abs((i + 0.5) / FPS - t) <= 0.045);
      expect(Math.max(...near), `${p.phoneme} at ${t.toFixed(2)} s`).toBeGreaterThan(0.8);
      expect(Math.min(...jaw.filter((_, i) => Math.abs((i + 0.5) / FPS - t) <= 0.045))).toBeLessThan(0.35 * maxJaw);
    }
    // Every local peak of lip_press lies at a bilabial; vowel centres are open and unpressed.
    press.forEach((v, i) => {
      if (i === 0 || i === press.length - 1 || v < 0.5 || v < press[i - 1]! || v < press[i + 1]!) return;
      const t = (i + 0.5) / FPS;
      const distance = Math.min(...closures.map((p) => Math.max(0, p.start - 0.07 - t, t - p.end)));
      expect(distance, `lip_press peak at ${t.toFixed(2)} s`).toBeLessThan(0.04);
    });
    // The open vowels (a, ɑ, ɒ; not the final schwa of "Papa").
    const vowels = bilabial.phonemes.filter((p) => isVowel(p) && visemeFor(p.phoneme).targets[0]!.jaw >= 0.1);
    expect(vowels.length).toBeGreaterThanOrEqual(4);
    for (const v of vowels) {
      const mid = (v.start + v.end) / 2;
      expect(at(press, mid)).toBeLessThan(0.3);
      expect(at(jaw, mid)).toBeGreaterThan(0.5 * maxJaw);
    }
  });

  it('opens the jaw more for open vowels than close ones, rounds the lips for rounded vowels', async () => {
    const maxOf = async (text: string, name: 'jaw' | 'lip_round' | 'lip_stretch'): Promise<number> => {
      const s = await speak({ text, voice: 'en-us+f2' });
      return Math.max(...track(articulate(s.phonemes, s.durationSeconds), name));
    };
    const [jawA, jawI] = [await maxOf('Ha ha ha.', 'jaw'), await maxOf('He he he.', 'jaw')];
    expect(jawA).toBeGreaterThan(0.15);
    expect(jawA).toBeGreaterThan(2 * jawI);
    const [roundU, roundI] = [await maxOf('Who who who.', 'lip_round'), await maxOf('He he he.', 'lip_round')];
    expect(roundU).toBeGreaterThan(0.6);
    expect(roundI).toBeLessThan(0.1);
    expect(await maxOf('He he he.', 'lip_stretch')).toBeGreaterThan(3 * (await maxOf('Who who who.', 'lip_stretch')));
  });

  it('is smooth: no steps at 1 kHz, jaw speed within physiological bounds at 25 fps', () => {
    // At 1 kHz a step would jump by the track's whole range in one sample; the blend of
    // dominance functions smoothed by articulator inertia moves at most a few % per ms.
    const fine = articulate(bilabial.phonemes, bilabial.durationSeconds, 1000);
    for (const name of ['jaw', 'lip_press', 'lip_round', 'lip_stretch'] as const) {
      const v = track(fine, name);
      const range = Math.max(...v) - Math.min(...v);
      let d1 = 0;
      let d2 = 0;
      for (let i = 2; i < v.length; i++) {
        d1 = Math.max(d1, Math.abs(v[i]! - v[i - 1]!));
        d2 = Math.max(d2, Math.abs(v[i]! - 2 * v[i - 1]! + v[i - 2]!));
      }
      if (name === 'jaw' || name === 'lip_press') expect(range, name).toBeGreaterThan(0.1);
      expect(d1, name).toBeLessThan(0.05 * Math.max(range, 0.1));
      expect(d2, name).toBeLessThan(0.005 * Math.max(range, 0.1));
    }
    // Jaw opening in speech peaks at about 100–150 mm/s at the incisors, ~0.1 m from the
    // condyles: 1–1.5 rad/s. Allow 2 rad/s (espeak speaks fast): 0.08 rad per 40 ms frame.
    const jaw = track(tracks, 'jaw');
    for (let i = 1; i < jaw.length; i++) expect(Math.abs(jaw[i]! - jaw[i - 1]!)).toBeLessThan(0.08);
  });

  it('opens the procedural head’s mouth with a positive jaw angle (FLAME jaw joint)', () => {
    const head = makeProceduralHead();
    const m = head.model;
    const jaw = Math.max(...track(tracks, 'jaw'));
    const pose = (j: number): number[] => [0, 0, 0, 0, 0, 0, j, 0, 0, 0, 0, 0, 0, 0, 0];
    const params = (j: number) => ({ shape: new Array(m.shapeCount).fill(0), expr: new Array(m.exprCount).fill(0), pose: pose(j), translation: [0, 0, 0] });
    const rest = flameReference(m, params(0)).vertices;
    const open = flameReference(m, params(jaw)).vertices;
    const region = (name: string): number[] => {
      const id = head.regions.names.indexOf(name);
      const set = new Set<number>();
      head.regions.face.forEach((r, f) => r === id && [0, 1, 2].forEach((k) => set.add(m.faces[3 * f + k]!)));
      return [...set];
    };
    const meanY = (vs: number[][], ids: number[]): number => ids.reduce((s, i) => s + vs[i]![1]!, 0) / ids.length;
    const lower = region('lip_lower');
    const upper = region('lip_upper');
    // The lower lip drops by millimetres; the upper lip stays within a fraction of that.
    const drop = meanY(rest, lower) - meanY(open, lower);
    expect(drop).toBeGreaterThan(0.004);
    expect(Math.abs(meanY(rest, upper) - meanY(open, upper))).toBeLessThan(0.3 * drop);
  });

  it('gives non-trivial tracks in every language', async () => {
    for (const [language, voice] of Object.entries(LANGUAGE_VOICES)) {
      const text = SENTENCES[language as keyof typeof SENTENCES][1]!;
      const s = await speak({ text, voice });
      const t = articulate(s.phonemes, s.durationSeconds);
      const jaw = track(t, 'jaw');
      expect(t.expr.every(Number.isFinite) && t.jawPose.every(Number.isFinite), language).toBe(true);
      expect(Math.max(...jaw) - Math.min(...jaw), `${language} jaw range`).toBeGreaterThan(0.08);
      expect(Math.max(...track(t, 'lip_press')), `${language} lip_press`).toBeGreaterThan(0.5);
      expect(Math.max(...track(t, 'lip_round')), `${language} lip_round`).toBeGreaterThan(0.3);
      // Unknown mnemonics fall back to a weak consonant; none of these should need it.
      for (const p of s.phonemes) expect(visemeFor(p.phoneme).symbols.length, `${language} ${p.phoneme}`).toBeGreaterThan(0);
    }
  });

  it('does not shut the jaw at a short pause inside speech (Polish marks word boundaries with one)', () => {
    // espeak's Polish voice writes a 18–30 ms `_` at word boundaries and ~67 ms before
    // voiceless stops; en/de/fr/es/it voices write none. Between two open vowels the jaw
    // stays open (before the fix, the pause was a rest and pulled it to 0.10 of 0.16 rad);
    // a comma's 150 ms pause is still a rest.
    const phonemes = (gap: number): TimedPhoneme[] => [
      { phoneme: 'm', start: 0.1, end: 0.16 },
      { phoneme: 'a', start: 0.16, end: 0.3 },
      { phoneme: '_', start: 0.3, end: 0.3 + gap },
      { phoneme: 'a', start: 0.3 + gap, end: 0.44 + gap },
      { phoneme: '_:', start: 0.44 + gap, end: 0.6 + gap },
    ];
    const word = articulationCurve(phonemes(0.025), 0.8);
    expect(word(0.3125).jaw).toBeGreaterThan(0.9 * visemeFor('a').targets[0]!.jaw);
    const comma = articulationCurve(phonemes(0.15), 0.8);
    expect(comma(0.375).jaw).toBeLessThan(0.5 * visemeFor('a').targets[0]!.jaw);
  });

  it('opens the jaw on open vowels in Polish and Turkish at least as far as in English', async () => {
    // Issue 12 saw ~0.6x in pl and tr. The same text read by each voice (three variants), the
    // jaw's peak and mean over each 'a'-like vowel as shares of its target: measured 0.68 / 0.51
    // (en), 0.80 / 0.65 (pl), 0.75 / 0.61 (tr) — English reduces more of its vowels. Before the
    // inner-pause fix Polish was 0.75 / 0.60; no 0.6x was found in the ground truth.
    const reach = async (voice: string): Promise<{ peak: number; mean: number }> => {
      const peaks: number[] = [];
      const means: number[] = [];
      for (const variant of ['m1', 'm3', 'f2']) {
        const s = await speak({ text: 'Papa ma kota. Mama ma psa. Tata ma kaczkę.', voice: `${voice}+${variant}`, rate: 175 });
        const jaw = track(articulate(s.phonemes, s.durationSeconds, 100), 'jaw');
        for (const p of s.phonemes) {
          const v = visemeFor(p.phoneme);
          if (v.cls !== 'vowel' || !['a', 'A'].includes(v.symbols[0]!)) continue;
          const span = jaw.slice(Math.floor(p.start * 100), Math.ceil(p.end * 100));
          peaks.push(Math.max(...span) / v.targets[0]!.jaw);
          means.push(span.reduce((a, b) => a + b, 0) / span.length / v.targets[0]!.jaw);
        }
      }
      const avg = (a: number[]): number => a.reduce((x, y) => x + y, 0) / a.length;
      return { peak: avg(peaks), mean: avg(means) };
    };
    const en = await reach('en-us');
    for (const voice of ['pl', 'tr']) {
      const r = await reach(voice);
      expect(r.peak).toBeGreaterThan(0.9 * en.peak);
      expect(r.mean).toBeGreaterThan(0.9 * en.mean);
    }
  });

  it('rejects timelines out of order or outside the audio', () => {
    const ok: TimedPhoneme[] = [{ phoneme: 'a', start: 0.1, end: 0.2 }];
    expect(() => articulate(ok, 0)).toThrow(ValidationError);
    expect(() => articulate(ok, 1, 0)).toThrow(/fps/);
    expect(() => articulate([{ phoneme: 'a', start: 0.3, end: 0.2 }], 1)).toThrow(ValidationError);
    expect(() => articulate([{ phoneme: 'a', start: 0.5, end: 0.6 }, { phoneme: 'm', start: 0.1, end: 0.2 }], 1)).toThrow(/in order/);
    expect(() => articulate([{ phoneme: 'a', start: 0.5, end: 1.6 }], 1)).toThrow(/inside/);
    // An empty timeline is silence: the mouth rests.
    const rest = articulationCurve([], 1)(0.5);
    expect(rest).toEqual({ jaw: 0, round: 0, press: 0, spread: 0 });
  });
});

describe('makeSyntheticSpeechDataset', () => {
  const dirs: string[] = [];
  const tmp = async (): Promise<string> => {
    const d = await mkdtemp(join(tmpdir(), 'ggt-speech-'));
    dirs.push(d);
    return d;
  };
  afterAll(async () => {
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  });

  const options = { clips: 7, seed: 11, languages: ['en', 'de', 'fr', 'es', 'it', 'pt'] as const };

  it('writes a manifest whose clips exist with T = round(duration · 25) frames of E expressions', async () => {
    const out = await tmp();
    const progress: number[] = [];
    const manifest = await makeSyntheticSpeechDataset({ ...options, languages: [...options.languages], out, onProgress: (done) => progress.push(done) });
    expect(progress).toEqual([1, 2, 3, 4, 5, 6, 7]);
    const onDisk = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8')) as SpeechManifest;
    expect(onDisk).toEqual(manifest);
    expect(onDisk).toMatchObject({ format: 'ggtalker-speech-dataset', version: 1, fps: 25, expressionNames: [...EXPRESSION_NAMES] });
    expect(onDisk.clips).toHaveLength(7);
    expect(new Set(onDisk.clips.map((c) => c.language)).size).toBeGreaterThanOrEqual(3);
    expect(new Set(onDisk.clips.map((c) => c.id)).size).toBe(7);
    for (const clip of onDisk.clips) {
      expect(clip.speaker).toMatch(/^[\w-]+\+[mf]\d$/);
      expect((SENTENCES[clip.language] as readonly string[]).includes(clip.text)).toBe(true);
      const wav = decodeWav(new Uint8Array(await readFile(join(out, clip.audio))));
      expect(wav.channels[0]!.length / wav.sampleRate).toBeCloseTo(clip.durationSeconds, 9);
      expect(clip.frames).toBe(Math.round(clip.durationSeconds * 25));
      const npz = await readNpz(join(out, clip.tracks));
      expect([...npz.keys()].sort()).toEqual(['expr', 'jaw_pose']);
      expect(npz.get('expr')).toMatchObject({ dtype: 'float32', shape: [clip.frames, E] });
      expect(npz.get('jaw_pose')).toMatchObject({ dtype: 'float32', shape: [clip.frames, 3] });
      const timings = JSON.parse(await readFile(join(out, clip.phonemes), 'utf8')) as { phonemes: TimedPhoneme[] };
      expect(timings.phonemes.length).toBeGreaterThan(10);
      // The stored tracks are the timings' articulation.
      const again = articulate(timings.phonemes, clip.durationSeconds);
      expect(npz.get('jaw_pose')!.data).toEqual(again.jawPose);
    }
    // Nothing but the manifest and the clips' files (atomic writes leave no temporaries).
    expect((await readdir(out)).sort()).toEqual(['clips', 'manifest.json']);
    const expected = onDisk.clips.flatMap((c) => [c.audio, c.tracks, c.phonemes].map((f) => f.slice('clips/'.length)));
    expect((await readdir(join(out, 'clips'))).sort()).toEqual(expected.sort());
  });

  it('is deterministic for a seed and varies with it', async () => {
    const [a, b, c] = [await tmp(), await tmp(), await tmp()];
    const ma = await makeSyntheticSpeechDataset({ ...options, languages: [...options.languages], out: a });
    const mb = await makeSyntheticSpeechDataset({ ...options, languages: [...options.languages], out: b });
    expect(mb).toEqual(ma);
    for (const clip of ma.clips) {
      expect(await readFile(join(b, clip.tracks))).toEqual(await readFile(join(a, clip.tracks)));
      expect(await readFile(join(b, clip.audio))).toEqual(await readFile(join(a, clip.audio)));
    }
    const mc = await makeSyntheticSpeechDataset({ ...options, languages: [...options.languages], seed: 12, out: c });
    expect(mc.clips.map((x) => `${x.speaker} ${x.text}`)).not.toEqual(ma.clips.map((x) => `${x.speaker} ${x.text}`));
  });

  it('rejects bad options', async () => {
    const out = await tmp();
    await expect(makeSyntheticSpeechDataset({ out, languages: ['xx' as 'en'] })).rejects.toThrow(/languages/);
    await expect(makeSyntheticSpeechDataset({ out, clips: 0 })).rejects.toThrow(/clips/);
    await expect(makeSyntheticSpeechDataset({ out, clips: 1, variants: ['nosuchvariant'] })).rejects.toThrow(/unknown voice variant/);
  });
});
