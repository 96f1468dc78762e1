// Audio-Expression model (`npm run bench -- a2e`): audio features of 10 s of speech-like audio
// (wav2vec2-base with random weights, log-mel), sampling 10 s of expressions with the
// paper-sized diffusion transformer (DDIM 25 steps, windows of 10 frames overlapping by 4,
// without and with classifier-free guidance), both end to end, a training step, and a stream
// fed 40 ms chunks (its own latency figures, and a replay against a live clock). All on CPU;
// one JSON line per case, medians after warm-up. Weights are random: timings do not depend on
// their values.
//
// Cases: wav2vec2-base-features, log-mel-features, dit-sample-paper, dit-sample-paper-cfg,
// dit-sample-paper-no-kv-cache (DDIM 25 projecting the condition's cross-attention keys and
// values at every step, as before they were cached), dit-sample-paper-dpm2/4/8 (DPM-Solver++
// with 2, 4, 8 steps), dit-sample-paper-dpm4-cfg, a2e-end-to-end-wav2vec2,
// a2e-end-to-end-log-mel, a2e-end-to-end-log-mel-dpm4, dit-train-step, stream-latency,
// stream-latency-dpm4.
// `--reps N` (default 3) is used as is for the fast cases and the plain DiT sampling; the
// guided sampling, end-to-end runs and the stream run fewer (see `repsFor`).
import ndarray from 'ndarray';
import type { NdArray } from 'ndarray';

import {
  AudioExpressionModel,
  backends,
  encodeAudio,
  ExpressionStream,
  trainAudioExpressionPrior,
  Wav2Vec2Encoder,
  type ExpressionChunk,
  type ExpressionClip,
} from '../index.js';
import { randomBaseWeights } from './audio.js';
import type { BenchArgs } from './run.js';
import { median, round } from './stats.js';

const CASES = [
  'wav2vec2-base-features',
  'log-mel-features',
  'dit-sample-paper',
  'dit-sample-paper-cfg',
  'dit-sample-paper-no-kv-cache',
  'dit-sample-paper-dpm2',
  'dit-sample-paper-dpm4',
  'dit-sample-paper-dpm8',
  'dit-sample-paper-dpm4-cfg',
  'a2e-end-to-end-wav2vec2',
  'a2e-end-to-end-log-mel',
  'a2e-end-to-end-log-mel-dpm4',
  'dit-train-step',
  'stream-latency',
  'stream-latency-dpm4',
] as const;
type CaseName = (typeof CASES)[number];

const RATE = 16000;
const AUDIO_S = 10;
const FPS = 25;
const FRAMES = AUDIO_S * FPS;
/** The sampler settings of the sampling cases (the defaults, spelled out). */
const SAMPLE = { method: 'ddim', steps: 25, window: 10, overlap: 4 } as const;
/** The few-step sampler's, for the cases named …-dpmN (N steps). */
const FAST = { ...SAMPLE, method: 'dpm-solver++' } as const;

/** Sampler settings of a case: DPM-Solver++ with N steps for names with `dpmN`, else SAMPLE. */
function samplerOf(name: CaseName): { method: 'ddim' | 'dpm-solver++'; steps: number; window: number; overlap: number } {
  const m = /dpm(\d+)/.exec(name);
  return m ? { ...FAST, steps: Number(m[1]) } : SAMPLE;
}
const TRAIN = { batch: 16, window: 10, clips: 8, clipFrames: 100 } as const;

const log = (msg: string): void => console.error(`a2e: ${msg}`);

/** Seconds of each of `reps` runs after `warmup` untimed ones. */
async function timeRuns(warmup: number, reps: number, fn: () => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < warmup + reps; i++) {
    const t0 = performance.now();
    await fn();
    if (i >= warmup) out.push((performance.now() - t0) / 1000);
  }
  return out;
}

/** A seeded uniform generator in [0, 1). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

/**
 * Speech-like test audio at 16 kHz: a gliding voiced fundamental with three harmonics and
 * two formant-ish tones, amplitude-modulated at syllable rate (~4 Hz), plus white noise.
 */
function syntheticAudio(seconds: number, seed = 1): Float32Array {
  const r = rng(seed);
  const n = Math.round(seconds * RATE);
  const out = new Float32Array(n);
  let phase = 0;
  for (let i = 0; i < n; i++) {
    const t = i / RATE;
    const f0 = 120 + 30 * Math.sin(2 * Math.PI * 0.7 * t);
    phase += (2 * Math.PI * f0) / RATE;
    const voiced = Math.sin(phase) + 0.5 * Math.sin(2 * phase) + 0.25 * Math.sin(3 * phase);
    const formants = 0.3 * Math.sin(2 * Math.PI * 700 * t) + 0.2 * Math.sin(2 * Math.PI * 1200 * t);
    const envelope = 0.5 + 0.5 * Math.sin(2 * Math.PI * 4 * t);
    out[i] = 0.3 * envelope * (voiced + formants) + 0.05 * (r() * 2 - 1);
  }
  return out;
}

/** Random per-frame features [frames, dim] (the sampler's cost does not depend on their values). */
function randomFeatures(frames: number, dim: number, seed: number): NdArray<Float32Array> {
  const r = rng(seed);
  return ndarray(Float32Array.from({ length: frames * dim }, () => r() * 2 - 1), [frames, dim]);
}

/** Clips of random features and smooth targets (sums of slow sinusoids per channel). */
function syntheticClips(count: number, frames: number, featureDim: number, outputDim: number): ExpressionClip[] {
  const r = rng(7);
  return Array.from({ length: count }, (_, c) => {
    const targets = new Float32Array(frames * outputDim);
    for (let k = 0; k < outputDim; k++) {
      const [f1, f2, p1, p2, a] = [0.02 + 0.1 * r(), 0.1 + 0.3 * r(), 2 * Math.PI * r(), 2 * Math.PI * r(), 0.2 + r()];
      for (let t = 0; t < frames; t++) targets[t * outputDim + k] = a * (Math.sin(f1 * t + p1) + 0.3 * Math.sin(f2 * t + p2));
    }
    return { id: `clip${c}`, speaker: 'default', features: randomFeatures(frames, featureDim, 100 + c), targets: ndarray(targets, [frames, outputDim]) };
  });
}

function repsFor(name: CaseName, reps: number): number {
  switch (name) {
    case 'dit-sample-paper-cfg':
    case 'dit-sample-paper-no-kv-cache':
      return Math.max(1, Math.floor(reps / 2));
    case 'a2e-end-to-end-wav2vec2':
    case 'a2e-end-to-end-log-mel':
    case 'stream-latency':
      return Math.max(1, Math.floor(reps / 3));
    default:
      return reps;
  }
}

export async function a2eBench(args: BenchArgs): Promise<void> {
  const cases = (args.cases ?? [...CASES]) as CaseName[];
  const unknown = cases.filter((c) => !(CASES as readonly string[]).includes(c));
  if (unknown.length > 0) throw new Error(`unknown a2e case(s) ${unknown.join(', ')}; expected some of ${CASES.join(', ')}`);
  const reps = args.reps ?? 3;
  const threads = backends().threads;
  const audio = syntheticAudio(AUDIO_S);

  // Made on first use and shared by the cases (creation is not timed).
  let encoder: Wav2Vec2Encoder | undefined;
  const wav2vec2 = (): Wav2Vec2Encoder => (encoder ??= Wav2Vec2Encoder.fromTensors(randomBaseWeights()));
  const models = new Map<'wav2vec2' | 'log-mel', AudioExpressionModel>();
  const warmed = new Set<AudioExpressionModel>();
  const paperModel = async (kind: 'wav2vec2' | 'log-mel'): Promise<AudioExpressionModel> => {
    let m = models.get(kind);
    if (!m) {
      const dim = kind === 'wav2vec2' ? 768 : 80;
      m = await AudioExpressionModel.create({ config: { featureDim: dim, outputDim: 103, expressionCount: 100 }, features: { encoder: kind, dim } });
      models.set(kind, m);
    }
    if (!warmed.has(m)) {
      // A short untimed sample (4 windows) so the timed runs do not pay for first-call setup.
      await m.sample(randomFeatures(28, m.config.featureDim, 99), { ...SAMPLE, steps: 5 });
      warmed.add(m);
    }
    return m;
  };
  const featureTimes = new Map<'wav2vec2' | 'log-mel', number>();
  const features = async (kind: 'wav2vec2' | 'log-mel'): Promise<NdArray<Float32Array>> =>
    encodeAudio(audio, { encoder: kind === 'wav2vec2' ? wav2vec2() : 'log-mel', fps: FPS });

  for (const name of cases) {
    const n = repsFor(name, reps);
    const base = { case: name, threads };
    switch (name) {
      case 'wav2vec2-base-features':
      case 'log-mel-features': {
        const kind = name === 'log-mel-features' ? 'log-mel' : 'wav2vec2';
        log(`${kind} features of ${AUDIO_S} s (${n} reps)...`);
        let dim = 0;
        const times = await timeRuns(1, n, async () => {
          dim = (await features(kind)).shape[1]!;
        });
        const s = median(times);
        featureTimes.set(kind, s);
        console.log(JSON.stringify({ ...base, encoder: kind === 'wav2vec2' ? 'wav2vec2-base (random weights)' : 'log-mel', audio_s: AUDIO_S, fps: FPS, frames: FRAMES, feature_dim: dim, reps: n, seconds: round(s, 4), realtime_factor: round(AUDIO_S / s, 1) }));
        break;
      }
      case 'dit-sample-paper':
      case 'dit-sample-paper-cfg':
      case 'dit-sample-paper-no-kv-cache':
      case 'dit-sample-paper-dpm2':
      case 'dit-sample-paper-dpm4':
      case 'dit-sample-paper-dpm8':
      case 'dit-sample-paper-dpm4-cfg': {
        const guidance = name.endsWith('-cfg') ? 2 : 1;
        const sampler = samplerOf(name);
        const crossAttentionCache = name !== 'dit-sample-paper-no-kv-cache';
        log(`paper-sized DiT: ${FRAMES} frames, ${sampler.method} ${sampler.steps}, guidance ${guidance}${crossAttentionCache ? '' : ', no cross-attention cache'} (${n} reps)...`);
        const model = await paperModel('wav2vec2');
        const cond = randomFeatures(FRAMES, model.config.featureDim, 3);
        const times = await timeRuns(0, n, () => model.sample(cond, { ...sampler, guidance, seed: 1, crossAttentionCache }));
        const s = median(times);
        const windows = Math.ceil((FRAMES - sampler.overlap) / (sampler.window - sampler.overlap));
        console.log(JSON.stringify({ ...base, feature_dim: model.config.featureDim, d_model: model.config.dModel, decoder_layers: model.config.decoderLayers, cond_layers: model.config.condLayers, align_radius: model.config.alignRadius, parameters: model.parameterCount(), frames: FRAMES, audio_s: AUDIO_S, method: sampler.method, steps: sampler.steps, window: sampler.window, overlap: sampler.overlap, windows, guidance, cross_attention_cache: crossAttentionCache, reps: n, seconds: round(s), ms_per_step: round((s / sampler.steps) * 1000, 1), realtime_factor: round(AUDIO_S / s, 2) }));
        break;
      }
      case 'a2e-end-to-end-wav2vec2':
      case 'a2e-end-to-end-log-mel':
      case 'a2e-end-to-end-log-mel-dpm4': {
        const kind = name === 'a2e-end-to-end-wav2vec2' ? 'wav2vec2' : 'log-mel';
        const sampler = samplerOf(name);
        log(`end to end with ${kind}: ${AUDIO_S} s of audio to ${FRAMES} frames (${n} reps)...`);
        const model = await paperModel(kind);
        if (!featureTimes.has(kind)) await features(kind); // warm-up of the encoder
        const feat: number[] = [];
        const sample: number[] = [];
        const total = await timeRuns(0, n, async () => {
          // What predictExpressions does, timed per stage.
          const t0 = performance.now();
          const f = await features(kind);
          const t1 = performance.now();
          await model.sample(f, { ...sampler, guidance: 1, seed: 1 });
          feat.push((t1 - t0) / 1000);
          sample.push((performance.now() - t1) / 1000);
        });
        const s = median(total);
        console.log(JSON.stringify({ ...base, encoder: kind === 'wav2vec2' ? 'wav2vec2-base (random weights)' : 'log-mel', feature_dim: model.config.featureDim, parameters: model.parameterCount(), audio_s: AUDIO_S, frames: FRAMES, method: sampler.method, steps: sampler.steps, guidance: 1, reps: n, features_seconds: round(median(feat)), sample_seconds: round(median(sample)), seconds: round(s), realtime_factor: round(AUDIO_S / s, 2) }));
        break;
      }
      case 'dit-train-step': {
        // A fresh model: training changes the weights the sampling cases use.
        const model = await AudioExpressionModel.create({ config: { featureDim: 768, outputDim: 103, expressionCount: 100 }, features: { encoder: 'wav2vec2', dim: 768 } });
        const clips = syntheticClips(TRAIN.clips, TRAIN.clipFrames, 768, 103);
        const steps = Math.max(2, 2 * n);
        const opts = { clips, model, validationFraction: 0, batch: TRAIN.batch, window: TRAIN.window };
        log(`paper-sized DiT training: warm-up step, then ${steps} steps of ${TRAIN.batch} windows of ${TRAIN.window} frames...`);
        // Training resumes from model.trainState.step, so the timed call asks for warm-up + steps in all.
        await trainAudioExpressionPrior({ ...opts, steps: 1 });
        const t0 = performance.now();
        const r = await trainAudioExpressionPrior({ ...opts, steps: 1 + steps });
        const s = (performance.now() - t0) / 1000;
        const ran = r.history.losses.length; // the history of this call only (the model keeps none)
        if (ran !== steps) throw new Error(`expected ${steps} timed training steps, ran ${ran}`);
        console.log(JSON.stringify({ ...base, feature_dim: 768, parameters: model.parameterCount(), batch: TRAIN.batch, window: TRAIN.window, clips: TRAIN.clips, clip_frames: TRAIN.clipFrames, steps, seconds: round(s), ms_per_step: round((s / steps) * 1000, 1), final_loss: round(r.history.losses.at(-1)!.loss, 4) }));
        break;
      }
      case 'stream-latency':
      case 'stream-latency-dpm4': {
        const sampler = samplerOf(name);
        const model = await paperModel('log-mel');
        const chunkSeconds = 0.04;
        const chunkSamples = Math.round(chunkSeconds * RATE);
        log(`stream over the paper-sized log-mel model: ${AUDIO_S} s in ${chunkSamples}-sample chunks (${n} runs)...`);
        const chunks: ExpressionChunk[] = [];
        // Replayed against a live clock: chunk i arrives at (i + 1) · 40 ms; each push takes all
        // the audio that has arrived by the time the previous push returned (so a stream that
        // falls behind receives its backlog at once, and batches it); latency of a frame = the
        // clock when it is returned − its start time.
        const live: number[] = [];
        let bounds = { max: 0, steady: 0 };
        const walls = await timeRuns(0, n, async () => {
          const stream = new ExpressionStream({ model, ...sampler, guidance: 1, seed: 1 });
          bounds = { max: stream.maxBufferedSeconds, steady: stream.steadyBufferedSeconds };
          let clock = 0;
          const take = (out: ExpressionChunk[], arrival: number, t0: number): void => {
            clock = Math.max(clock, arrival) + (performance.now() - t0) / 1000;
            for (const c of out) live.push(clock - c.startFrame / FPS);
            chunks.push(...out);
          };
          for (let at = 0; at < audio.length; ) {
            const arrived = Math.floor((clock * RATE) / chunkSamples) * chunkSamples;
            const end = Math.min(audio.length, Math.max(at + chunkSamples, arrived));
            const t0 = performance.now();
            take(await stream.push(audio.subarray(at, end)), end / RATE, t0);
            at = end;
          }
          const t0 = performance.now();
          take(await stream.end(), audio.length / RATE, t0);
        });
        const frames = chunks.reduce((a, c) => a + c.frames, 0) / n;
        if (frames !== FRAMES) throw new Error(`expected the stream to emit ${FRAMES} frames, received ${frames}`);
        const latency = chunks.map((c) => c.latencySeconds);
        const maxBufferedSeen = Math.max(...chunks.map((c) => c.bufferedSeconds));
        const compute = median(chunks.map((c) => c.computeSeconds));
        const hop = median(chunks.map((c) => c.frames)) / FPS; // new frames per chunk, seconds
        const wall = median(walls);
        console.log(JSON.stringify({ ...base, feature_dim: model.config.featureDim, audio_s: AUDIO_S, chunk_ms: chunkSeconds * 1000, method: sampler.method, steps: sampler.steps, window: sampler.window, overlap: sampler.overlap, align_radius: model.config.alignRadius, runs: n, emitted_chunks: chunks.length / n, frames,
          max_latency_seconds: round(Math.max(...latency)), median_latency_seconds: round(median(latency)),
          max_buffered_seconds: round(maxBufferedSeen), stream_max_buffered_seconds: round(bounds.max), stream_steady_buffered_seconds: round(bounds.steady), buffered_within_bound: maxBufferedSeen <= bounds.max + chunkSeconds + 1e-9,
          median_compute_seconds: round(compute), max_compute_seconds: round(Math.max(...chunks.map((c) => c.computeSeconds))), hop_seconds: round(hop), keeps_up: Math.max(...live.slice(-20)) <= 2 * Math.max(...live.slice(0, 20)),
          simulated_live_max_latency_seconds: round(Math.max(...live)), simulated_live_median_latency_seconds: round(median(live)),
          seconds: round(wall), realtime_factor: round(AUDIO_S / wall, 2) }));
        break;
      }
    }
  }
}
