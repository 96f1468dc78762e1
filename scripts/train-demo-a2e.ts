// Builds the demo's speech assets (what `npx ggtalker demo` uses, with no downloads): a small
// Audio-Expression model trained on synthetic espeak-ng speech, and a bundled voice clip.
//
//   npx tsx scripts/train-demo-a2e.ts [--out assets/demo] [--clips 120] [--steps 15000] [--seed 0]
//       [--batch 64] [--lr 1e-3] [--work DIR] [--keep-work]
//
// Writes to --out:
//   a2e.json + a2e.safetensors  the model (log-mel features; AudioExpressionModel.load('<out>/a2e'))
//   a2e-report.json             data, training (losses, wall time) and held-out evaluation
//   hello.wav + hello.json      an English clip not in the training data, with its phoneme-derived
//                               ground-truth jaw and lip tracks
//
// The dataset and the training checkpoint live in a work folder (default: in the system temp
// folder, named by the options): stop the script (Ctrl-C) and run the same command again to
// continue from the last checkpoint. The work folder is removed after a successful run unless
// --keep-work. Needs espeak-ng and libespeak-ng-dev (scripts/setup.sh installs them).
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import {
  AbortError,
  articulate,
  AudioExpressionModel,
  backends,
  encodeAudio,
  loadExpressionClips,
  predictExpressions,
  readSpeechDataset,
  speak,
  splitClips,
  trainAudioExpressionPrior,
  type AudioExpressionConfig,
  type ExpressionClip,
} from '../lib/index.js';
import { targetStatistics } from '../lib/a2e/train-loop.js';
import { EXPRESSION_NAMES } from '../lib/flame/procedural/expressions.js';
import { writeFileAtomic } from '../lib/io/atomic.js';
import { DEFAULT_LANGUAGES, DEFAULT_VARIANTS, makeSyntheticSpeechDataset } from '../lib/synthetic/speech-dataset.js';
import { LANGUAGE_VOICES, SENTENCES, type Language } from '../lib/synthetic/sentences.js';
import { pearson, trackColumn } from '../lib/a2e/track-metrics.js';

const { values } = parseArgs({
  options: {
    out: { type: 'string', default: 'assets/demo' },
    clips: { type: 'string', default: '120' },
    steps: { type: 'string', default: '15000' },
    seed: { type: 'string', default: '0' },
    batch: { type: 'string', default: '64' },
    lr: { type: 'string', default: '1e-3' },
    work: { type: 'string' },
    'keep-work': { type: 'boolean', default: false },
  },
});

const int = (name: string, s: string | undefined, min: number): number => {
  const n = Number(s);
  if (!Number.isInteger(n) || n < min) {
    console.error(`train-demo-a2e: expected --${name} to be an integer >= ${min}, received ${JSON.stringify(s)}`);
    process.exit(2);
  }
  return n;
};
const out = values.out!;
const clipCount = int('clips', values.clips, 2);
const steps = int('steps', values.steps, 1);
const seed = int('seed', values.seed, 0);
const batch = int('batch', values.batch, 1);
const lr = Number(values.lr);
if (!(lr > 0)) {
  console.error(`train-demo-a2e: expected --lr to be a positive number, received ${JSON.stringify(values.lr)}`);
  process.exit(2);
}

/** The demo model's sizes: ~1.1 M parameters, a 4.4 MB checkpoint. */
const CONFIG: Partial<AudioExpressionConfig> = {
  dModel: 128,
  heads: 4,
  ffDim: 256,
  condLayers: 2,
  decoderLayers: 3,
  speakerDim: 16,
  timeTokens: 2,
  maxFrames: 32,
  alignRadius: 2,
  diffusionSteps: 1000,
  schedule: 'cosine',
};
const VALIDATION_FRACTION = 0.1;
/** Sampling used for every evaluation: what predictExpressions does by default, with a fixed seed. */
const SAMPLE = { steps: 25, method: 'ddim', guidance: 1, seed: 1 } as const;

/** The bundled clip: English, not among the training sentences. */
const HELLO = { text: 'Hello! My name is Maya. I am a talking head, made of many small Gaussians.', voice: 'en-us+f2', rate: 160, pitch: 55, leadSeconds: 0.25 };

/** Sentences that are not in the training set (lib/synthetic/sentences.ts), two per language. */
const NOVEL_SENTENCES: Record<Language, string[]> = {
  en: ['Maybe we can meet for lunch on Monday.', 'The baby played with a purple ball in the garden.'],
  de: ['Meine Mutter malt ein buntes Bild.', 'Am Wochenende besuchen wir den Markt am Bahnhof.'],
  fr: ['Le matin, papa prend le bus pour aller au bureau.', 'Mon ami habite dans une belle maison.'],
  es: ['Mañana vamos a comer con mi abuela.', 'El barco navega despacio por el mar.'],
  it: ['Mia madre prepara una buona torta.', 'Il pomeriggio andiamo a passeggiare al mare.'],
  pt: [],
};

const log = (message: string): void => void process.stderr.write(`${message}\n`);
const seconds = (since: number): number => (performance.now() - since) / 1000;
const round = (x: number, digits = 4): number => Number(x.toFixed(digits));

// ---------------------------------------------------------------------------------------------
// Work folder: dataset and checkpoint, named by everything that decides them (so a rerun with
// the same options resumes, and one with other options starts afresh).

const key = createHash('sha256').update(JSON.stringify({ clipCount, seed, steps, batch, lr, CONFIG, VALIDATION_FRACTION })).digest('hex').slice(0, 12);
const work = values.work ?? join(tmpdir(), `ggtalker-demo-a2e-${key}`);
const dataDir = join(work, 'speech');
const checkpoint = join(work, 'checkpoint');
await mkdir(work, { recursive: true });
await mkdir(out, { recursive: true });
log(`train-demo-a2e: work folder ${work}, output ${out}; LibTorch ${backends().torchVersion}, ${backends().threads} threads`);

const started = performance.now();
let t = performance.now();
if (!(await exists(join(dataDir, 'manifest.json')))) {
  log(`making ${clipCount} synthetic speech clips (${DEFAULT_LANGUAGES.join(', ')}; ${DEFAULT_VARIANTS.length} voice variants each)...`);
  await makeSyntheticSpeechDataset({
    out: dataDir,
    clips: clipCount,
    seed,
    onProgress: (done, total) => {
      if (done % 20 === 0 || done === total) log(`  ${done}/${total} clips`);
    },
  });
}
const dataset = await readSpeechDataset(dataDir);
const datasetSeconds = seconds(t);
t = performance.now();
const clips = await loadExpressionClips(dataset);
const featureSeconds = seconds(t);
const K = clips[0]!.targets.shape[1]!;
const JAW = K - 3; // jaw pose x: the mouth-opening rotation
const PRESS = EXPRESSION_NAMES.indexOf('lip_press');
if (K !== EXPRESSION_NAMES.length + 3 || PRESS < 0) throw new Error(`unexpected track layout: ${K} columns`);
const [train, validation] = splitClips(clips, VALIDATION_FRACTION, seed);
const frameCount = (list: readonly ExpressionClip[]): number => list.reduce((s, c) => s + c.features.shape[0]!, 0);
const audioSeconds = dataset.clips.reduce((s, c) => s + c.frames, 0) / dataset.fps;
log(`${clips.length} clips, ${audioSeconds.toFixed(0)} s of speech: ${train.length} for training (${frameCount(train)} frames), ${validation.length} held out (${frameCount(validation)} frames)`);

// ---------------------------------------------------------------------------------------------
// Training (resumed from the checkpoint when the work folder has one).

const speakers = [...new Set(clips.map((c) => c.speaker))];
const stats = targetStatistics(train, K);
const fresh = await AudioExpressionModel.create({
  config: { ...CONFIG, featureDim: 80, outputDim: K, expressionCount: K - 3 },
  features: { encoder: 'log-mel', dim: 80, fps: dataset.fps },
  speakers,
  expressionNames: [...EXPRESSION_NAMES],
  normalisation: stats,
  seed,
});
const resumedFrom = (await exists(`${checkpoint}.json`)) ? ((JSON.parse(await readFile(`${checkpoint}.json`, 'utf8')) as { train?: { step?: number } }).train?.step ?? 0) : 0;
if (resumedFrom > 0) log(`resuming from the checkpoint at step ${resumedFrom}`);
log(`training ${fresh.parameterCount()} parameters for ${steps} steps (batch ${batch} windows of 10 frames, lr ${lr})...`);

const controller = new AbortController();
const stop = (): void => {
  log('stopping: writing the checkpoint (run the same command again to continue)...');
  controller.abort();
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);

t = performance.now();
let lastLog = 0;
let lastValidation: number | undefined;
let trained: Awaited<ReturnType<typeof trainAudioExpressionPrior>>;
try {
  trained = await trainAudioExpressionPrior({
    clips,
    model: fresh,
    steps,
    batch,
    lr,
    seed,
    validationFraction: VALIDATION_FRACTION,
    validateEvery: Math.max(1, Math.round(steps / 20)),
    checkpoint,
    signal: controller.signal,
    onProgress: (p) => {
      const validated = p.validationLoss !== undefined && p.validationLoss !== lastValidation;
      lastValidation = p.validationLoss;
      if (p.elapsedSeconds - lastLog < 30 && p.step !== p.steps && !validated) return;
      lastLog = p.elapsedSeconds;
      const eta = p.step > resumedFrom ? (p.elapsedSeconds / (p.step - resumedFrom)) * (p.steps - p.step) : 0;
      log(
        `  step ${String(p.step).padStart(6)}/${p.steps}  loss ${p.loss.toFixed(4)}  val ${p.validationLoss?.toFixed(4) ?? '-'}  lr ${p.lr.toExponential(2)}  ${p.elapsedSeconds.toFixed(0)} s, ~${eta.toFixed(0)} s left`,
      );
    },
  });
} catch (error) {
  if (error instanceof AbortError) {
    log(`stopped; the checkpoint is in ${work}`);
    process.exit(130);
  }
  throw error;
}
process.removeListener('SIGINT', stop);
process.removeListener('SIGTERM', stop);
const trainSeconds = seconds(t);
const { model, history } = trained;
if (trained.validationClips.join() !== validation.map((c) => c.id).join()) throw new Error('the held-out split differs from the one the statistics were taken on');

// The shipped model: weights only (no Adam moments); the training state without its per-step
// losses (they are summarised in the report).
const state = model.trainState ?? {};
model.trainState = { step: state.step, steps: state.steps, window: state.window, batch: state.batch, lr: state.lr, seed: state.seed, warmupSteps: state.warmupSteps };
const modelStem = join(out, 'a2e');
await model.save(modelStem);
log(`saved ${modelStem}.json + ${modelStem}.safetensors`);

// ---------------------------------------------------------------------------------------------
// Evaluation: sampled tracks against the targets.

const column = trackColumn;

const std = (a: ArrayLike<number>): number => {
  const n = a.length;
  let m = 0;
  for (let i = 0; i < n; i++) m += a[i]! / n;
  let v = 0;
  for (let i = 0; i < n; i++) v += (a[i]! - m) ** 2 / n;
  return Math.sqrt(v);
};

const rms = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) ** 2;
  return Math.sqrt(s / a.length);
};

interface Scored {
  id: string;
  frames: number;
  target: { jaw: Float64Array; press: Float64Array };
  predicted: { jaw: Float64Array; press: Float64Array };
}

/** Per-clip and pooled (all frames together) correlations, RMS error and amplitude ratio. */
function summarise(scored: Scored[]) {
  const cat = (pick: (s: Scored) => Float64Array): Float64Array => {
    const all = new Float64Array(scored.reduce((n, s) => n + s.frames, 0));
    let at = 0;
    for (const s of scored) {
      all.set(pick(s), at);
      at += s.frames;
    }
    return all;
  };
  const channel = (name: 'jaw' | 'press') => {
    const perClip = scored.map((s) => pearson(s.target[name], s.predicted[name])).filter(Number.isFinite);
    const sorted = [...perClip].sort((a, b) => a - b);
    const target = cat((s) => s.target[name]);
    const predicted = cat((s) => s.predicted[name]);
    return {
      pooledCorrelation: round(pearson(target, predicted)),
      meanCorrelation: round(perClip.reduce((a, b) => a + b, 0) / perClip.length),
      medianCorrelation: round(sorted[Math.floor(sorted.length / 2)]!),
      minCorrelation: round(sorted[0]!),
      clipsScored: perClip.length,
      rmsError: round(rms(target, predicted), 5),
      amplitudeRatio: round(std(predicted) / std(target), 3),
    };
  };
  return { clips: scored.length, frames: scored.reduce((n, s) => n + s.frames, 0), jaw: channel('jaw'), lipPress: channel('press') };
}

async function scoreClip(id: string, features: ExpressionClip['features'], targets: Float32Array, speaker?: string): Promise<Scored> {
  const outp = await model.sample(features, { ...SAMPLE, ...(speaker !== undefined ? { speaker } : {}) });
  return {
    id,
    frames: features.shape[0]!,
    target: { jaw: column(targets, K, JAW), press: column(targets, K, PRESS) },
    predicted: { jaw: column(outp.data, K, JAW), press: column(outp.data, K, PRESS) },
  };
}

function packTargets(expr: Float32Array, jawPose: Float32Array, frames: number): Float32Array {
  const E = EXPRESSION_NAMES.length;
  const targets = new Float32Array(frames * K);
  for (let i = 0; i < frames; i++) {
    targets.set(expr.subarray(i * E, (i + 1) * E), i * K);
    targets.set(jawPose.subarray(i * 3, (i + 1) * 3), i * K + E);
  }
  return targets;
}

t = performance.now();
log(`evaluating on ${validation.length} held-out clips (DDIM ${SAMPLE.steps} steps, seed ${SAMPLE.seed})...`);
const heldOutDefault: Scored[] = [];
const heldOutOwn: Scored[] = [];
for (const c of validation) {
  heldOutDefault.push(await scoreClip(c.id, c.features, c.targets.data));
  heldOutOwn.push(await scoreClip(c.id, c.features, c.targets.data, c.speaker));
}
const trainSample = train.slice(0, Math.min(12, train.length));
const trainScored: Scored[] = [];
for (const c of trainSample) trainScored.push(await scoreClip(c.id, c.features, c.targets.data, c.speaker));

// Sentences never seen in training, in every training language, with seeded voices.
log('evaluating on sentences not in the training set...');
const novelScored: Scored[] = [];
const novelClips: { language: string; voice: string; text: string; frames: number }[] = [];
let pick = seed * 7 + 3;
for (const language of DEFAULT_LANGUAGES) {
  for (const text of NOVEL_SENTENCES[language]) {
    pick = (pick * 1103515245 + 12345) % 2147483648;
    const voice = `${LANGUAGE_VOICES[language]}+${DEFAULT_VARIANTS[pick % DEFAULT_VARIANTS.length]!}`;
    const speech = await speak({ text, voice, rate: 150 + (pick % 41), pitch: 35 + (pick % 31), leadSeconds: 0.2 });
    const tracks = articulate(speech.phonemes, speech.durationSeconds, dataset.fps);
    const features = await encodeAudio({ samples: speech.samples, sampleRate: speech.sampleRate }, { fps: dataset.fps, frames: tracks.frames });
    novelScored.push(await scoreClip(`${language}: ${text}`, features, packTargets(tracks.expr, tracks.jawPose, tracks.frames)));
    novelClips.push({ language, voice, text, frames: tracks.frames });
  }
}
for (const list of Object.values(SENTENCES)) for (const s of list) if (Object.values(NOVEL_SENTENCES).flat().includes(s) || s === HELLO.text) throw new Error(`"${s}" is a training sentence`);

// ---------------------------------------------------------------------------------------------
// The bundled clip, and a check that the saved model loads and predicts it.

log(`writing ${join(out, 'hello.wav')}...`);
const hello = await speak(HELLO);
const helloTracks = articulate(hello.phonemes, hello.durationSeconds, dataset.fps);
await writeFileAtomic(join(out, 'hello.wav'), hello.wav);
const E = EXPRESSION_NAMES.length;
const track = (name: string): number[] => Array.from({ length: helloTracks.frames }, (_, i) => round(helloTracks.expr[i * E + EXPRESSION_NAMES.indexOf(name as (typeof EXPRESSION_NAMES)[number])]!, 5));
const helloJaw = Array.from({ length: helloTracks.frames }, (_, i) => round(helloTracks.jawPose[i * 3]!, 5));
const helloJson = {
  format: 'ggtalker-demo-clip',
  version: 1,
  text: HELLO.text,
  language: 'en',
  voice: HELLO.voice,
  rate: HELLO.rate,
  pitch: HELLO.pitch,
  leadSeconds: HELLO.leadSeconds,
  audio: 'hello.wav',
  sampleRate: hello.sampleRate,
  durationSeconds: round(hello.durationSeconds, 5),
  fps: dataset.fps,
  frames: helloTracks.frames,
  note: 'Ground truth from espeak-ng phoneme timings (lib/synthetic/articulation.ts): frame i is at (i + 0.5) / fps s; jawPose is [jaw, 0, 0] (radians about +x); expression columns not listed are 0.',
  tracks: { jaw: helloJaw, lip_press: track('lip_press'), lip_round: track('lip_round'), lip_stretch: track('lip_stretch'), smile: track('smile') },
  phonemes: hello.phonemes.map((p) => ({ phoneme: p.phoneme, start: round(p.start, 5), end: round(p.end, 5) })),
  words: hello.words.map((w) => ({ text: w.text, start: round(w.start, 5), end: round(w.end, 5) })),
};
await writeFileAtomic(join(out, 'hello.json'), new TextEncoder().encode(`${JSON.stringify(helloJson)}\n`));

const loaded = await AudioExpressionModel.load(modelStem);
const predicted = await predictExpressions(join(out, 'hello.wav'), { model: loaded, ...SAMPLE });
if (predicted.frames !== helloTracks.frames) throw new Error(`predictExpressions gave ${predicted.frames} frames for hello.wav, expected ${helloTracks.frames}`);
const helloPredJaw = column(predicted.jawPose.data, 3, 0);
const helloPredPress = column(predicted.expression.data, E, PRESS);
const helloEval = {
  frames: predicted.frames,
  jawCorrelation: round(pearson(helloJaw, helloPredJaw)),
  lipPressCorrelation: round(pearson(helloJson.tracks.lip_press, helloPredPress)),
  jawRmsError: round(rms(helloJaw, helloPredJaw), 5),
  jawAmplitudeRatio: round(std(helloPredJaw) / std(helloJaw), 3),
  predictedJawRange: [round(Math.min(...helloPredJaw), 4), round(Math.max(...helloPredJaw), 4)],
  targetJawRange: [round(Math.min(...helloJaw), 4), round(Math.max(...helloJaw), 4)],
};
const evalSeconds = seconds(t);

// ---------------------------------------------------------------------------------------------
// Report.

const meanLoss = (from: number, to: number): number => {
  const xs = history.losses.filter((l) => l.step >= from && l.step < to).map((l) => l.loss);
  return xs.reduce((a, b) => a + b, 0) / xs.length;
};
const every = Math.max(1, Math.round(steps / 50));
const curve: { step: number; loss: number }[] = [];
for (let s = 0; s < steps; s += every) curve.push({ step: s + every, loss: round(meanLoss(s, s + every)) });
const finalValidation = history.validation[history.validation.length - 1];
const sizes: Record<string, number> = {};
for (const f of ['a2e.json', 'a2e.safetensors', 'hello.wav', 'hello.json']) sizes[f] = (await stat(join(out, f))).size;

const report = {
  format: 'ggtalker-demo-a2e-report',
  command: `npx tsx scripts/train-demo-a2e.ts --out ${out} --clips ${clipCount} --steps ${steps} --seed ${seed} --batch ${batch} --lr ${values.lr}`,
  machine: { torch: backends().torchVersion, threads: backends().threads, cuda: backends().cuda },
  data: {
    generator: 'makeSyntheticSpeechDataset (espeak-ng, lib/synthetic/speech-dataset.ts)',
    languages: DEFAULT_LANGUAGES,
    variants: DEFAULT_VARIANTS,
    seed,
    clips: clips.length,
    speakers: speakers.length,
    sentences: new Set(dataset.clips.map((c) => c.text)).size,
    audioSeconds: round(audioSeconds, 2),
    features: 'log-mel 80 at 25 fps',
    training: { clips: train.length, frames: frameCount(train) },
    validation: { clips: validation.length, frames: frameCount(validation), ids: validation.map((c) => c.id) },
    generationSeconds: round(datasetSeconds, 1),
    featureSeconds: round(featureSeconds, 1),
  },
  model: { config: model.config, parameters: model.parameterCount(), files: sizes },
  training: {
    steps,
    batch,
    window: 10,
    lr,
    schedule: 'linear warm-up (100 steps), cosine decay to 0.1 lr; Adam; grad clip 1; condition dropout 0.1',
    resumedFromStep: resumedFrom,
    wallSeconds: round(trainSeconds, 1),
    secondsPerStep: round(trainSeconds / Math.max(1, steps - resumedFrom), 4),
    finalTrainLoss: round(meanLoss(steps - Math.max(1, Math.round(steps / 50)), steps)),
    finalTrainLossNote: `mean over the last ${Math.max(1, Math.round(steps / 50))} steps (each step: a random batch, random diffusion timesteps)`,
    finalValidationLoss: finalValidation ? round(finalValidation.loss) : null,
    validation: history.validation.map((v) => ({ step: v.step, loss: round(v.loss) })),
    lossCurve: curve,
  },
  evaluation: {
    sampling: { ...SAMPLE, note: 'predictExpressions defaults (DDIM, guidance 1) with a fixed seed' },
    tracks: 'jaw = jaw pose x (column K-3, radians); lipPress = expression lip_press',
    heldOut: {
      description: `the ${validation.length} validation clips (not trained on; their voices/rates/pitches are new combinations, but their sentences also occur in training clips spoken by other voices)`,
      defaultSpeaker: summarise(heldOutDefault),
      ownSpeaker: summarise(heldOutOwn),
      perClipJaw: heldOutDefault.map((s) => ({ id: s.id, r: round(pearson(s.target.jaw, s.predicted.jaw), 3) })),
    },
    novelSentences: {
      description: 'sentences in no training clip (two per language), fresh espeak-ng renderings, default speaker',
      ...summarise(novelScored),
      sentences: novelClips,
      perClipJaw: novelScored.map((s) => ({ id: s.id, r: round(pearson(s.target.jaw, s.predicted.jaw), 3) })),
    },
    trainingClips: { description: `the first ${trainSample.length} training clips, own speaker (for comparison)`, ...summarise(trainScored) },
    hello: { description: 'predictExpressions(hello.wav, {model: AudioExpressionModel.load(a2e)}) against hello.json', ...helloEval },
    seconds: round(evalSeconds, 1),
  },
  totalWallSeconds: round(seconds(started), 1),
};
await writeFile(join(out, 'a2e-report.json'), `${JSON.stringify(report, null, 2)}\n`);

const h = report.evaluation;
log(`done in ${report.totalWallSeconds} s (training ${report.training.wallSeconds} s)`);
log(`  final loss: train ${report.training.finalTrainLoss}, validation ${report.training.finalValidationLoss}`);
log(`  held-out clips: jaw r ${h.heldOut.defaultSpeaker.jaw.pooledCorrelation} (pooled), lip_press r ${h.heldOut.defaultSpeaker.lipPress.pooledCorrelation}`);
log(`  novel sentences: jaw r ${h.novelSentences.jaw.pooledCorrelation}, lip_press r ${h.novelSentences.lipPress.pooledCorrelation}`);
log(`  hello.wav: jaw r ${h.hello.jawCorrelation}, lip_press r ${h.hello.lipPressCorrelation}`);
if (!values['keep-work']) await rm(work, { recursive: true, force: true });

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
