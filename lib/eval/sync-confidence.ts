/**
 * A lip-sync confidence in the spirit of SyncNet / LSE (Chung & Zisserman 2016; Prajwal et al.
 * 2020), trained on the synthetic world: how well a mouth-motion track agrees with speech, and at
 * which audio offset it agrees best.
 *
 * SyncNet embeds a window of audio and a window of mouth crops and measures their distance at
 * every audio/video offset in ±15 frames; LSE-D is the distance at the best offset and LSE-C the
 * median distance over offsets minus that minimum (a confident, synchronised pair has one sharp
 * minimum at offset 0). Here the "visual" side is the mouth motion itself (per frame: jaw pose and
 * expression coefficients, [T, K]) rather than pixels, and the "network" is a ridge regression
 * from a window of audio features (log-mel, [T, 80], `window` frames centred on t) to the mouth
 * vector at t, trained on speech with ground-truth mouth tracks (the synthetic speech datasets).
 * The distance at offset δ is the mean squared error, per standardised mouth component, between
 * the prediction at t and the track at t + δ.
 *
 * @module
 */

import { encodeAudio } from '../a2e/features.js';
import { optionalOptions, requireOptions, requirePath } from '../arguments.js';
import { ValidationError } from '../errors.js';
import { describeValue, requireTypedArray } from '../validate.js';
import { loadSpeechClips } from '../synthetic/studio/speech.js';

/** A clip to train or score on: audio features and the mouth track of the same frames. */
export interface SyncClip {
  /** Audio features at the video frame rate, [T, F] row-major. */
  features: Float32Array;
  /** Mouth motion, [T, K] row-major (e.g. jaw pose then expression coefficients). */
  mouth: Float32Array;
  /** Frames of the clip (T). */
  frames: number;
}

/** A trained scorer. */
export interface SyncScorer {
  /** Audio frames per window (odd), centred on the predicted frame. */
  window: number;
  /** Audio feature width F. */
  featureDim: number;
  /** Mouth vector width K. */
  mouthDim: number;
  /** Standardisation of the audio window [window·F] and of the mouth vector [K]. */
  featureMean: Float64Array;
  /** Standard deviation of the audio window, [window·F]. */
  featureStd: Float64Array;
  /** Mean of the mouth vector, [K]. */
  mouthMean: Float64Array;
  /** Standard deviation of the mouth vector, [K]. */
  mouthStd: Float64Array;
  /** Ridge weights [(window·F + 1), K] (last row: bias). */
  weights: Float64Array;
}

/** A score of one clip. */
export interface SyncScore {
  /** Distance at offset 0 (lower: better synchronised). */
  distance: number;
  /** Offset (frames; positive: the mouth lags the audio) of the smallest distance, and that distance (LSE-D's analogue). */
  offset: number;
  /** The distance at `offset`. */
  minDistance: number;
  /** Median distance over offsets minus the smallest (LSE-C's analogue; higher: more confident). */
  confidence: number;
  /** Distance per offset, from −maxOffset to +maxOffset. */
  distances: Float64Array;
}

function checkClip(c: SyncClip, name: string, featureDim?: number, mouthDim?: number): { F: number; K: number } {
  if (!c || !(c.features instanceof Float32Array) || !(c.mouth instanceof Float32Array) || !Number.isInteger(c.frames) || c.frames <= 0)
    throw new ValidationError(`expected ${name} to be {features: Float32Array [T, F], mouth: Float32Array [T, K], frames: T}`);
  const F = c.features.length / c.frames;
  const K = c.mouth.length / c.frames;
  if (!Number.isInteger(F) || !Number.isInteger(K) || F === 0 || K === 0)
    throw new ValidationError(`expected ${name}.features and .mouth to hold ${c.frames} rows each, received lengths ${c.features.length} and ${c.mouth.length}`);
  if (featureDim !== undefined && F !== featureDim) throw new ValidationError(`expected ${name}.features of width ${featureDim}, received ${F}`);
  if (mouthDim !== undefined && K !== mouthDim) throw new ValidationError(`expected ${name}.mouth of width ${mouthDim}, received ${K}`);
  return { F, K };
}

/**
 * Door check of a scorer (as {@link trainSyncScorer} returns): its widths, and its arrays of the
 * lengths those widths give, so scoring never reads past them.
 */
function requireScorer(fn: string, value: unknown): SyncScorer {
  const s = requireOptions(fn, value, 'scorer') as Partial<SyncScorer>;
  const fail = (what: string, received: unknown): never => {
    throw new ValidationError(`${fn}: expected scorer.${what} (a SyncScorer, as trainSyncScorer returns), received ${describeValue(received)}`);
  };
  if (!Number.isSafeInteger(s.window) || s.window! < 1 || s.window! % 2 === 0) fail('window to be an odd positive integer', s.window);
  if (!Number.isSafeInteger(s.featureDim) || s.featureDim! < 1) fail('featureDim to be a positive integer', s.featureDim);
  if (!Number.isSafeInteger(s.mouthDim) || s.mouthDim! < 1) fail('mouthDim to be a positive integer', s.mouthDim);
  const D = s.window! * s.featureDim!;
  const K = s.mouthDim!;
  const lengths = { featureMean: D, featureStd: D, mouthMean: K, mouthStd: K, weights: (D + 1) * K } as const;
  for (const [key, length] of Object.entries(lengths)) {
    const a = s[key as keyof typeof lengths];
    if (!(a instanceof Float64Array) || a.length !== length) fail(`${key} to be a Float64Array of length ${length}`, a);
  }
  return s as SyncScorer;
}

/** The audio window around frame t, [window·F] (edges clamped). */
function windowAt(features: Float32Array, F: number, T: number, t: number, window: number, out: Float64Array): void {
  const half = (window - 1) / 2;
  for (let w = 0; w < window; w++) {
    const s = Math.min(T - 1, Math.max(0, t - half + w));
    for (let f = 0; f < F; f++) out[w * F + f] = features[s * F + f]!;
  }
}

/** Solves (A) x = b for symmetric positive-definite A [n, n] by Cholesky, in place of b [n, k]. */
function choleskySolve(A: Float64Array, n: number, b: Float64Array, k: number): void {
  for (let j = 0; j < n; j++) {
    let d = A[j * n + j]!;
    for (let p = 0; p < j; p++) d -= A[j * n + p]! ** 2;
    if (!(d > 0)) throw new ValidationError('the sync scorer\'s normal equations are singular: give more training frames or a larger ridge');
    const l = Math.sqrt(d);
    A[j * n + j] = l;
    for (let i = j + 1; i < n; i++) {
      let s = A[i * n + j]!;
      for (let p = 0; p < j; p++) s -= A[i * n + p]! * A[j * n + p]!;
      A[i * n + j] = s / l;
    }
  }
  for (let c = 0; c < k; c++) {
    for (let i = 0; i < n; i++) {
      let s = b[i * k + c]!;
      for (let p = 0; p < i; p++) s -= A[i * n + p]! * b[p * k + c]!;
      b[i * k + c] = s / A[i * n + i]!;
    }
    for (let i = n - 1; i >= 0; i--) {
      let s = b[i * k + c]!;
      for (let p = i + 1; p < n; p++) s -= A[p * n + i]! * b[p * k + c]!;
      b[i * k + c] = s / A[i * n + i]!;
    }
  }
}

/**
 * Trains the scorer: ridge regression (closed form) from standardised audio windows to
 * standardised mouth vectors over every frame of the clips.
 *
 * @param options.window - Audio frames per window, odd (default 5: ±80 ms at 25 fps).
 * @param options.ridge - L2 penalty per sample (default 0.1; 0.01 overfits 10 clips: held-out distance 2–4× the training one).
 * @throws {@link ValidationError} for malformed clips or an even window.
 */
export function trainSyncScorer(clips: readonly SyncClip[], options: { window?: number; ridge?: number } = {}): SyncScorer {
  options = optionalOptions('trainSyncScorer', options);
  const window = options.window ?? 5;
  if (!Number.isInteger(window) || window < 1 || window % 2 === 0) throw new ValidationError(`expected options.window to be an odd positive integer, received ${String(window)}`);
  if (!Array.isArray(clips) || clips.length === 0) throw new ValidationError('expected at least one training clip');
  const { F, K } = checkClip(clips[0]!, 'clips[0]');
  clips.forEach((c, i) => checkClip(c, `clips[${i}]`, F, K));
  const D = window * F;
  const N = clips.reduce((n, c) => n + c.frames, 0);
  // Standardisation statistics.
  const fMean = new Float64Array(D);
  const fSq = new Float64Array(D);
  const mMean = new Float64Array(K);
  const mSq = new Float64Array(K);
  const x = new Float64Array(D);
  for (const c of clips)
    for (let t = 0; t < c.frames; t++) {
      windowAt(c.features, F, c.frames, t, window, x);
      for (let d = 0; d < D; d++) {
        fMean[d]! += x[d]! / N;
        fSq[d]! += x[d]! ** 2 / N;
      }
      for (let k = 0; k < K; k++) {
        mMean[k]! += c.mouth[t * K + k]! / N;
        mSq[k]! += c.mouth[t * K + k]! ** 2 / N;
      }
    }
  const fStd = fMean.map((m, d) => Math.sqrt(Math.max(fSq[d]! - m * m, 0)) || 1);
  const mStd = mMean.map((m, k) => Math.sqrt(Math.max(mSq[k]! - m * m, 0)) || 1);
  // Normal equations over [x, 1].
  const n = D + 1;
  const A = new Float64Array(n * n);
  const B = new Float64Array(n * K);
  const z = new Float64Array(n);
  z[D] = 1;
  for (const c of clips)
    for (let t = 0; t < c.frames; t++) {
      windowAt(c.features, F, c.frames, t, window, x);
      for (let d = 0; d < D; d++) z[d] = (x[d]! - fMean[d]!) / fStd[d]!;
      for (let i = 0; i < n; i++) {
        const zi = z[i]!;
        for (let j = 0; j <= i; j++) A[i * n + j]! += zi * z[j]!;
        for (let k = 0; k < K; k++) B[i * K + k]! += zi * ((c.mouth[t * K + k]! - mMean[k]!) / mStd[k]!);
      }
    }
  const ridge = (options.ridge ?? 0.1) * N;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) A[j * n + i] = A[i * n + j]!;
    if (i < D) A[i * n + i]! += ridge;
  }
  choleskySolve(A, n, B, K);
  return { window, featureDim: F, mouthDim: K, featureMean: fMean, featureStd: fStd, mouthMean: mMean, mouthStd: mStd, weights: B };
}

/**
 * Scores how well a clip's mouth track agrees with its audio, at offsets −maxOffset … +maxOffset
 * frames (default 15, SyncNet's range at 25 fps).
 *
 * @param options.maxOffset - The largest offset tried, frames. Default 15.
 * @throws {@link ValidationError} when the clip does not match the scorer's widths.
 */
export function syncScore(scorer: SyncScorer, clip: SyncClip, options: { maxOffset?: number } = {}): SyncScore {
  requireScorer('syncScore', scorer);
  options = optionalOptions('syncScore', options);
  const { F, K } = checkClip(clip, 'clip', scorer.featureDim, scorer.mouthDim);
  const maxOffset = options.maxOffset ?? 15;
  if (!Number.isInteger(maxOffset) || maxOffset < 0) throw new ValidationError(`expected options.maxOffset to be a non-negative integer, received ${String(maxOffset)}`);
  const T = clip.frames;
  const D = scorer.window * F;
  // Predicted standardised mouth vector per frame, [T, K].
  const pred = new Float64Array(T * K);
  const x = new Float64Array(D);
  for (let t = 0; t < T; t++) {
    windowAt(clip.features, F, T, t, scorer.window, x);
    for (let k = 0; k < K; k++) {
      let s = scorer.weights[D * K + k]!;
      for (let d = 0; d < D; d++) s += ((x[d]! - scorer.featureMean[d]!) / scorer.featureStd[d]!) * scorer.weights[d * K + k]!;
      pred[t * K + k] = s;
    }
  }
  const distances = new Float64Array(2 * maxOffset + 1);
  for (let o = -maxOffset; o <= maxOffset; o++) {
    let sum = 0;
    let count = 0;
    for (let t = Math.max(0, -o); t < Math.min(T, T - o); t++) {
      for (let k = 0; k < K; k++) sum += (pred[t * K + k]! - (clip.mouth[(t + o) * K + k]! - scorer.mouthMean[k]!) / scorer.mouthStd[k]!) ** 2;
      count += K;
    }
    distances[o + maxOffset] = count > 0 ? sum / count : Number.NaN;
  }
  let best = maxOffset;
  distances.forEach((d, i) => {
    if (d < distances[best]!) best = i;
  });
  const sorted = Array.from(distances).filter((d) => !Number.isNaN(d)).sort((a, b) => a - b);
  const median = sorted.length % 2 ? sorted[(sorted.length - 1) / 2]! : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2;
  return { distance: distances[maxOffset]!, offset: best - maxOffset, minDistance: distances[best]!, confidence: median - distances[best]!, distances };
}

/**
 * The mouth vector the scorer reads, per frame: jaw pose (3) then expression coefficients (E),
 * [T, 3 + E]. Train and score with the same layout.
 */
export function mouthTrack(jaw: Float32Array, expr: Float32Array, frames: number): Float32Array {
  requireTypedArray('mouthTrack', jaw, 'jaw', Float32Array);
  requireTypedArray('mouthTrack', expr, 'expr', Float32Array);
  if (!Number.isSafeInteger(frames) || frames < 1) throw new ValidationError(`mouthTrack: expected frames to be a positive integer, received ${describeValue(frames)}`);
  const E = expr.length / frames;
  if (jaw.length !== 3 * frames || !Number.isInteger(E)) throw new ValidationError(`expected jaw [${frames}, 3] and expr [${frames}, E], received lengths ${jaw.length} and ${expr.length}`);
  const out = new Float32Array(frames * (E + 3));
  for (let t = 0; t < frames; t++) {
    out.set(jaw.subarray(3 * t, 3 * t + 3), t * (E + 3));
    out.set(expr.subarray(E * t, E * (t + 1)), t * (E + 3) + 3);
  }
  return out;
}

/**
 * Trains a scorer on a synthetic speech dataset's clips (docs/synthetic-speech.md): log-mel
 * features at the clips' frame rate against their ground-truth [jaw, expression] tracks.
 *
 * @param options.window - Audio frames per window, odd (default 5), as {@link trainSyncScorer}'s.
 * @param options.ridge - L2 penalty per sample (default 0.1), as {@link trainSyncScorer}'s.
 * @param options.limit - Use at most this many clips (the first, in manifest order). Default: all.
 */
export async function trainSyncScorerOnSpeech(dir: string, options: { window?: number; ridge?: number; limit?: number } = {}): Promise<SyncScorer> {
  requirePath('trainSyncScorerOnSpeech', dir, 'dir');
  options = optionalOptions('trainSyncScorerOnSpeech', options);
  const clips: SyncClip[] = [];
  for (const c of await loadSpeechClips(dir, options.limit ?? Infinity)) {
    const features = await encodeAudio(c.samples, { fps: c.fps, frames: c.frames });
    clips.push({ features: features.data, mouth: mouthTrack(c.jawPose, c.expr, c.frames), frames: c.frames });
  }
  return trainSyncScorer(clips, options);
}
