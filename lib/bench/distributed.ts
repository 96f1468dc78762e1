// Data-parallel training (`npm run bench -- distributed`): the Audio-Expression prior trained by
// 1 process and by 2 processes on this machine (Gloo over loopback), each with 1 LibTorch
// thread and the same batch per rank: steps per second, samples per second, the scaling of
// samples per second from 1 to 2 processes, and the milliseconds per step each rank waited for
// the gradient all-reduce after its backward pass (the communication the backward did not hide).
// One JSON line per world size. Random data and weights: speed does not depend on them.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { freePort } from '../distributed/launcher.js';
import { native } from '../native.js';
import type { BenchArgs } from './run.js';
import { round } from './stats.js';

const CONFIG = { dModel: 256, heads: 4, ffDim: 1024, condLayers: 2, decoderLayers: 4, speakerDim: 32, maxFrames: 32 };
const BATCH = 8;

/** The worker beside this file: .ts when run from lib/ (tsx), .js from dist/. */
function workerPath(): string {
  const here = fileURLToPath(import.meta.url);
  const ts = here.replace(/distributed\.[jt]s$/, 'distributed-worker.ts');
  return here.endsWith('.ts') && existsSync(ts) ? ts : here.replace(/distributed\.js$/, 'distributed-worker.js');
}

async function runWorld(world: number, steps: number): Promise<{ steps: number; seconds: number; allreduceWaitMs: number }> {
  const port = await freePort();
  const arg = JSON.stringify({ steps, batch: BATCH, config: CONFIG });
  const outputs = await Promise.all(
    Array.from({ length: world }, (_, rank) => {
      const env: NodeJS.ProcessEnv = { ...process.env };
      for (const k of ['RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT']) delete env[k];
      if (world > 1) Object.assign(env, { RANK: String(rank), WORLD_SIZE: String(world), MASTER_ADDR: '127.0.0.1', MASTER_PORT: String(port) });
      const child = spawn(process.execPath, [...process.execArgv, workerPath(), arg], { env, stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      return new Promise<string>((resolve, reject) => child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`distributed bench: rank ${rank} of ${world} exited with ${code}`)))));
    }),
  );
  return JSON.parse(outputs[0]!.trim().split('\n').at(-1)!) as { steps: number; seconds: number; allreduceWaitMs: number };
}

export async function distributedBench(args: BenchArgs): Promise<void> {
  if (!native().distributedAvailable()) throw new Error('distributed bench: this build has no distributed training (apt-get install libgloo-dev, then rebuild)');
  const steps = Math.max(6, (args.reps ?? 3) * 4);
  let single = 0;
  for (const world of [1, 2]) {
    console.error(`distributed: ${world} process${world > 1 ? 'es' : ''} × 1 thread, ${steps} steps of batch ${BATCH} per rank`);
    const r = await runWorld(world, steps);
    const stepsPerSecond = r.steps / r.seconds;
    const samplesPerSecond = stepsPerSecond * BATCH * world;
    if (world === 1) single = samplesPerSecond;
    console.log(
      JSON.stringify({
        bench: 'distributed',
        case: `a2e-train-${world}-process${world > 1 ? 'es' : ''}`,
        device: 'cpu',
        backend: world > 1 ? 'gloo' : 'none',
        processes: world,
        threadsPerProcess: 1,
        batchPerRank: BATCH,
        config: CONFIG,
        stepsTimed: r.steps,
        stepsPerSecond: round(stepsPerSecond, 3),
        samplesPerSecond: round(samplesPerSecond, 2),
        scaling: round(samplesPerSecond / single, 3),
        allreduceWaitMsPerStep: world > 1 ? round(r.allreduceWaitMs, 2) : 0,
      }),
    );
  }
}
