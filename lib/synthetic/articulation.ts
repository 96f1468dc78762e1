/**
 * Phoneme timeline → smooth jaw and lip tracks for the procedural head, by coarticulation
 * after Cohen & Massaro (1993): every phoneme pulls each articulator towards its target with
 * a dominance that peaks over the phoneme and decays away from it, and the track is the
 * dominance-weighted mean of the targets. Neighbours therefore blend (anticipatory rounding,
 * a jaw that does not fully close for a "t" between two open vowels) while phonemes with a
 * strong claim on an articulator (bilabial closure) still reach their target.
 *
 * Dominance of a segment with centre c, half-length h, class strength α:
 *   D(t) = α · exp(−(max(0, |t − c| − ρ·h) / σ)²),  σ = clamp(κ · 2h, σmin, σmax)
 * a plateau over the segment's core (so long vowels and pauses hold their target) with
 * Gaussian flanks, continuous with a continuous slope, so the tracks have no steps or kinks.
 * Parameters in {@link COARTICULATION}; docs/synthetic-speech.md explains the choices.
 *
 * @module
 */

import { describeValue } from '../validate.js';
import { ValidationError } from '../errors.js';
import { EXPRESSION_NAMES } from '../flame/procedural/expressions.js';
import { CHANNELS, REST, visemeFor, type ArticulatoryTarget, type Dominance } from './visemes.js';

/** One phoneme with its time span in seconds (espeak event to next event). */
export interface TimedPhoneme {
  /** The phoneme (eSpeak's symbol). */
  phoneme: string;
  /** Start time, seconds. */
  start: number;
  /** End time, seconds. */
  end: number;
}

/** Per-frame tracks in the procedural head's parameters. */
export interface ArticulationTracks {
  /** Frames per second of the tracks. */
  fps: number;
  /** Frames: round(duration · fps); frame i is sampled at (i + 0.5) / fps seconds. */
  frames: number;
  /** Expression coefficients [frames, E] in EXPRESSION_NAMES order (jaw_open stays 0: the jaw is a pose). */
  expr: Float32Array;
  /** Jaw joint axis-angle [frames, 3]: rotation about +x, positive opens the mouth (FLAME convention). */
  jawPose: Float32Array;
}

export const COARTICULATION = {
  /** Plateau half-width as a share of the segment's half-length. */
  plateau: 0.5,
  /** Flank width as a share of the segment's length, clamped to [sigmaMin, sigmaMax] seconds. */
  kappa: 0.35,
  sigmaMin: 0.025,
  sigmaMax: 0.08,
  /**
   * A voiceless stop's closure precedes espeak's event (which marks the release) by a silent
   * gap, measured at 35–65 ms over en/de/fr/es at default rates: the closure is placed over
   * min(leadShare · previous length, leadMax) before the event.
   */
  leadShare: 0.4,
  leadMax: 0.07,
  /** Share of a voiceless stop's own span (the aspiration after the release) kept closed. */
  releaseHold: 0.15,
  /**
   * Pauses inside speech shorter than this (seconds) are not rests: some voices (Polish, for
   * one) mark every word boundary (18–30 ms) and every voiceless stop's closure (~67 ms) with
   * a `_` event, where en/de/fr/es/it voices write none. As rests (vowel-strong dominance on a
   * closed jaw) they shut the jaw between the words of one phrase; the neighbours articulate
   * them instead. Commas (espeak's `_:`, 150 ms and more) stay rests.
   */
  innerPauseMax: 0.1,
  /**
   * Articulator inertia: the dominance blend is convolved with a Gaussian of this width per
   * channel (seconds), zero-phase so nothing lags the audio. The jaw is the heaviest; the
   * lips close fastest (a bilabial closure takes 50–100 ms).
   */
  inertia: { jaw: 0.03, round: 0.025, press: 0.012, spread: 0.02 },
  /** Step of the numerical convolution (seconds). */
  inertiaStep: 0.002,
  /** Share of `spread` also sent to `smile` (spread lips lift the corners a little). */
  smileShare: 0.3,
} as const;

/** A span with one target: what the dominance functions are built from. */
interface Segment {
  centre: number;
  half: number;
  sigma: number;
  target: ArticulatoryTarget;
  logAlpha: Dominance;
}

const EXPR_INDEX = (name: (typeof EXPRESSION_NAMES)[number]): number => EXPRESSION_NAMES.indexOf(name);

function checkTimeline(phonemes: readonly TimedPhoneme[], duration: number): void {
  if (!(Number.isFinite(duration) && duration > 0)) throw new ValidationError(`expected duration to be a positive number of seconds, received ${duration}`);
  if (!Array.isArray(phonemes)) throw new ValidationError(`expected phonemes to be an array of timed phonemes, received ${describeValue(phonemes)}`);
  let previous = 0;
  phonemes.forEach((p: TimedPhoneme, i) => {
    if (typeof p !== 'object' || p === null) throw new ValidationError(`expected phonemes[${i}] to be a timed phoneme, received ${describeValue(p)}`);
    if (!(Number.isFinite(p.start) && Number.isFinite(p.end) && p.start <= p.end)) {
      throw new ValidationError(`expected phonemes[${i}] to have finite start <= end, received ${p.start}..${p.end}`);
    }
    // espeak's times are whole samples; 1 ms of slack absorbs rounding by callers.
    if (p.start < previous - 1e-3 || p.end > duration + 1e-3) {
      throw new ValidationError(`expected phonemes in order inside [0, ${duration}] s, received phonemes[${i}] ${p.phoneme} at ${p.start}..${p.end}`);
    }
    previous = p.start;
  });
}

/** Articulatory spans [a0, a1] per phoneme, with voiceless stops moved onto their closure. */
function spans(phonemes: readonly TimedPhoneme[], duration: number): { a0: number; a1: number; mnemonic: string }[] {
  const out: { a0: number; a1: number; mnemonic: string }[] = [];
  const first = phonemes[0]?.start ?? duration;
  // Before espeak's first event the speaker is silent: rest.
  if (first > 0) out.push({ a0: 0, a1: first, mnemonic: '_' });
  const lastSpoken = phonemes.reduce((k, p, i) => (visemeFor(p.phoneme).cls === 'pause' ? k : i), -1);
  phonemes.forEach((p, i) => {
    if (p.end <= p.start) return;
    const inner = out.length > 0 && i < lastSpoken && out[out.length - 1]!.mnemonic !== '_';
    if (inner && visemeFor(p.phoneme).cls === 'pause' && p.end - p.start < COARTICULATION.innerPauseMax) return;
    let a0 = p.start;
    let a1 = p.end;
    if (visemeFor(p.phoneme).releaseEvent) {
      const prev = out[out.length - 1];
      const lead = Math.min(COARTICULATION.leadShare * (prev ? prev.a1 - prev.a0 : p.start), COARTICULATION.leadMax, p.start);
      a0 = p.start - lead;
      a1 = p.start + COARTICULATION.releaseHold * (p.end - p.start);
      if (prev) prev.a1 = Math.max(prev.a0, Math.min(prev.a1, a0));
    }
    out.push({ a0, a1, mnemonic: p.phoneme });
  });
  const last = phonemes.length ? Math.max(...phonemes.map((p) => p.end)) : 0;
  if (last < duration) out.push({ a0: last, a1: duration, mnemonic: '_' });
  return out;
}

function segments(phonemes: readonly TimedPhoneme[], duration: number): Segment[] {
  const out: Segment[] = [];
  for (const { a0, a1, mnemonic } of spans(phonemes, duration)) {
    if (a1 <= a0) continue;
    const v = visemeFor(mnemonic);
    const n = v.targets.length;
    const logAlpha = Object.fromEntries(CHANNELS.map((c) => [c, Math.log(v.dominance[c])])) as Dominance;
    // Diphthongs: the span splits evenly between the first and the second target.
    v.targets.forEach((target, k) => {
      const s0 = a0 + ((a1 - a0) * k) / n;
      const s1 = a0 + ((a1 - a0) * (k + 1)) / n;
      const sigma = Math.min(Math.max(COARTICULATION.kappa * (s1 - s0), COARTICULATION.sigmaMin), COARTICULATION.sigmaMax);
      out.push({ centre: (s0 + s1) / 2, half: (s1 - s0) / 2, sigma, target, logAlpha });
    });
  }
  return out;
}

/**
 * The continuous articulation of a timeline: a function of time (seconds) giving the jaw angle
 * and lip coefficients: the dominance blend, smoothed by articulator inertia. Defined
 * everywhere (before and after the speech it tends to rest); infinitely differentiable.
 *
 * @throws {@link ValidationError} when the timeline is out of order, not finite or outside [0, duration].
 */
export function articulationCurve(phonemes: readonly TimedPhoneme[], duration: number): (time: number) => ArticulatoryTarget {
  checkTimeline(phonemes, duration);
  const raw = blend(segments(phonemes, duration));
  const h = COARTICULATION.inertiaStep;
  const K = Math.ceil((3 * Math.max(...Object.values(COARTICULATION.inertia))) / h);
  // Gaussian weights per channel over offsets -K..K steps, normalised.
  const weights = Object.fromEntries(
    CHANNELS.map((c) => {
      const sigma = COARTICULATION.inertia[c];
      const w = Float64Array.from({ length: 2 * K + 1 }, (_, j) => Math.exp(-0.5 * (((j - K) * h) / sigma) ** 2));
      const sum = w.reduce((a, b) => a + b, 0);
      return [c, w.map((x) => x / sum)];
    }),
  ) as Record<keyof ArticulatoryTarget, Float64Array>;
  return (time) => {
    const out = { ...REST };
    for (let j = 0; j <= 2 * K; j++) {
      const a = raw(time + (j - K) * h);
      for (const c of CHANNELS) out[c] += weights[c][j]! * a[c];
    }
    return out;
  };
}

/** The dominance-weighted mean of the segments' targets, as a function of time. */
function blend(segs: Segment[]): (time: number) => ArticulatoryTarget {
  if (segs.length === 0) return () => ({ ...REST });
  const logShape = new Float64Array(segs.length);
  return (time) => {
    segs.forEach((s, k) => {
      const d = Math.max(0, Math.abs(time - s.centre) - COARTICULATION.plateau * s.half) / s.sigma;
      logShape[k] = -d * d;
    });
    const out = { ...REST };
    for (const c of CHANNELS) {
      // Normalised in the log domain: far from every centre the weights would underflow to 0/0.
      let max = -Infinity;
      segs.forEach((s, k) => (max = Math.max(max, logShape[k]! + s.logAlpha[c])));
      let num = 0;
      let den = 0;
      segs.forEach((s, k) => {
        const w = Math.exp(logShape[k]! + s.logAlpha[c] - max);
        num += w * s.target[c];
        den += w;
      });
      out[c] = num / den;
    }
    return out;
  };
}

/**
 * Tracks for the procedural head at `fps`, sampled at frame centres: `jawPose` rotates the jaw
 * joint, `expr` carries `lip_round`, `lip_press`, `lip_stretch` and a little `smile`.
 *
 * @param phonemes - Ordered phonemes with start/end in seconds (e.g. from espeak events).
 * @param duration - The audio's length in seconds.
 * @param fps - Frames per second (default 25).
 * @throws {@link ValidationError} on a bad timeline or fps.
 */
export function articulate(phonemes: readonly TimedPhoneme[], duration: number, fps = 25): ArticulationTracks {
  if (!(Number.isFinite(fps) && fps > 0)) throw new ValidationError(`expected fps to be a positive number, received ${fps}`);
  const curve = articulationCurve(phonemes, duration);
  const frames = Math.round(duration * fps);
  const E = EXPRESSION_NAMES.length;
  const expr = new Float32Array(frames * E);
  const jawPose = new Float32Array(frames * 3);
  const [round, press, stretch, smile] = (['lip_round', 'lip_press', 'lip_stretch', 'smile'] as const).map(EXPR_INDEX);
  for (let i = 0; i < frames; i++) {
    const a = curve((i + 0.5) / fps);
    expr[i * E + round!] = a.round;
    expr[i * E + press!] = a.press;
    expr[i * E + stretch!] = a.spread;
    expr[i * E + smile!] = COARTICULATION.smileShare * a.spread;
    jawPose[i * 3] = a.jaw;
  }
  return { fps, frames, expr, jawPose };
}
