// One rank of a data-parallel Audio-Expression training run, for test/distributed-*.test.ts:
// reads the run from argv[2] (JSON), the rank from the torchrun variables, trains, and (rank 0,
// or every rank with saveEvery) writes the weights as JSON of {name: number[]} to run.out.
import { writeFileSync } from 'node:fs';

import { setThreads, trainAudioExpressionPrior } from '../../lib/index.js';
import { syntheticClips, TINY } from './a2e.js';

interface WorkerRun {
  steps: number;
  batch: number;
  out: string;
  seed?: number;
  lr?: number;
  checkpoint?: string;
  validateEvery?: number;
  timeoutSeconds?: number;
  config?: Record<string, unknown>;
  /** Milliseconds to sleep after each progress report (rank 0): lets a test kill a rank mid-run. */
  slowMs?: number;
  /** This rank's AbortSignal fires after abortAfterMs (as Ctrl-C would on one machine). */
  abortRank?: number;
  abortAfterMs?: number;
}

const run = JSON.parse(process.argv[2]!) as WorkerRun;
setThreads(1);
const clips = syntheticClips(6, 40, 3);
const rank = Number(process.env.RANK ?? 0);
const controller = new AbortController();
if (run.abortRank === rank) setTimeout(() => controller.abort(), run.abortAfterMs ?? 0);
try {
  const result = await trainAudioExpressionPrior({
    clips,
    config: { ...TINY, ...(run.config ?? {}) },
    steps: run.steps,
    batch: run.batch,
    lr: run.lr ?? 1e-4,
    seed: run.seed ?? 5,
    validationFraction: 0,
    signal: controller.signal,
    ...(run.checkpoint ? { checkpoint: run.checkpoint } : {}),
    ...(run.validateEvery ? { validateEvery: run.validateEvery } : {}),
    ...(process.env.WORLD_SIZE ? { distributed: { rank, worldSize: Number(process.env.WORLD_SIZE), masterPort: Number(process.env.MASTER_PORT), timeoutSeconds: run.timeoutSeconds ?? 60 } } : {}),
    onProgress: (p) => {
      console.log(JSON.stringify({ progress: p.step, loss: p.loss }));
      if (run.slowMs) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, run.slowMs);
    },
  });
  if (rank === 0) {
    const weights: Record<string, number[]> = {};
    for (const [name, t] of result.model.nativeParams()) weights[name] = Array.from(t.toArray().data as Float32Array);
    writeFileSync(run.out, JSON.stringify({ weights, losses: result.history.losses }));
  }
} catch (error) {
  const e = error as Error & { code?: string };
  console.error(JSON.stringify({ error: e.name, code: e.code, message: e.message }));
  process.exit(3);
}
