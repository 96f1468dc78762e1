// One rank of `npm run bench -- distributed` (started by lib/bench/distributed.ts with the
// torchrun variables): trains the Audio-Expression prior on seeded random clips with 1 LibTorch
// thread and prints, on rank 0, one JSON line {steps, seconds, allreduceWaitMs} measured between
// its first and last progress report (the first chunk, with its warm-up, is left out).
import ndarray from 'ndarray';

import { setThreads } from '../backends.js';
import { trainAudioExpressionPrior } from '../a2e/train.js';
import type { ExpressionClip } from '../a2e/dataset.js';
import { mulberry32 } from '../random.js';

const { steps, batch, config } = JSON.parse(process.argv[2]!) as { steps: number; batch: number; config: Record<string, number> };
setThreads(1);
const random = mulberry32(7);
const clips: ExpressionClip[] = Array.from({ length: 16 }, (_, c) => {
  const T = 120;
  const features = Float32Array.from({ length: T * 80 }, () => random() * 2 - 1);
  const targets = Float32Array.from({ length: T * 7 }, (_, i) => Math.sin(i * 0.05 + c));
  return { id: `c${c}`, speaker: `s${c % 4}`, features: ndarray(features, [T, 80]), targets: ndarray(targets, [T, 7]) };
});
const marks: { step: number; t: number; wait: number }[] = [];
await trainAudioExpressionPrior({
  clips,
  config,
  steps,
  batch,
  validationFraction: 0,
  validateEvery: steps,
  onProgress: (p) => marks.push({ step: p.step, t: performance.now(), wait: p.allreduceWaitMs ?? 0 }),
});
if ((process.env.RANK ?? '0') === '0') {
  const first = marks[0]!;
  const last = marks.at(-1)!;
  const later = marks.slice(1);
  const wait = later.reduce((s, m, i) => s + m.wait * (m.step - marks[i]!.step), 0) / Math.max(1, last.step - first.step);
  console.log(JSON.stringify({ steps: last.step - first.step, seconds: (last.t - first.t) / 1000, allreduceWaitMs: wait }));
}
