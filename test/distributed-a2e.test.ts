// Data-parallel Audio-Expression prior training (c10d Gloo on this CPU): two ranks with batch B
// end where one process with batch 2B ends; a rank that dies or stalls stops the other with a
// DistributedError within the timeout, the checkpoint stays loadable, and a run with another
// world size resumes from it; bad configurations are refused before the first step.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { AudioExpressionModel, distributedFromEnv, joinProcessGroup, ValidationError } from '../lib/index.js';
import { freePort, startRank, workerError, type RankProcess } from './helpers/dist-ranks.js';

const WORKER = new URL('./helpers/dist-a2e-worker.ts', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'ggt-dist-a2e-'));

interface Saved {
  weights: Record<string, number[]>;
  losses: { step: number; loss: number }[];
}

async function finished(ranks: RankProcess[]): Promise<void> {
  const ends = await Promise.all(ranks.map((r) => r.exited));
  ends.forEach((e, i) => expect(e.code, `rank ${i}: ${ranks[i]!.stderr.slice(-2000)}`).toBe(0));
}

/** ‖a − b‖ / ‖a‖ over the whole weight vector, and the largest |a − b| over the largest |a|. */
function weightDifference(a: Saved['weights'], b: Saved['weights']): { l2: number; maxAbs: number } {
  let d2 = 0;
  let n2 = 0;
  let dMax = 0;
  let nMax = 0;
  for (const [name, x] of Object.entries(a)) {
    const y = b[name]!;
    expect(y, name).toHaveLength(x.length);
    x.forEach((v, i) => {
      const d = v - y[i]!;
      d2 += d * d;
      n2 += v * v;
      dMax = Math.max(dMax, Math.abs(d));
      nMax = Math.max(nMax, Math.abs(v));
    });
  }
  return { l2: Math.sqrt(d2 / n2), maxAbs: dMax / nMax };
}

describe('data-parallel Audio-Expression training (2 processes, Gloo)', () => {
  it('2 ranks with batch B give the weights 1 process with batch 2B gives (1e-5 relative)', async () => {
    const steps = 6;
    const port = await freePort();
    const one = startRank(WORKER, JSON.stringify({ steps, batch: 4, out: join(dir, 'one.json') }), undefined, undefined, port);
    const two = [0, 1].map((rank) => startRank(WORKER, JSON.stringify({ steps, batch: 2, out: join(dir, 'two.json') }), rank, 2, port));
    await finished([one, ...two]);
    const a = JSON.parse(readFileSync(join(dir, 'one.json'), 'utf8')) as Saved;
    const b = JSON.parse(readFileSync(join(dir, 'two.json'), 'utf8')) as Saved;
    // Per-step losses: the 2-rank loss is the mean of the ranks' means, over the same windows.
    expect(b.losses.map((l) => l.step)).toEqual(a.losses.map((l) => l.step));
    a.losses.forEach((l, i) => expect(Math.abs(l.loss - b.losses[i]!.loss) / l.loss).toBeLessThan(1e-5));
    // Float32 sums in another order differ by ~1e-7; Adam turns the round-off of gradients that
    // are zero in exact arithmetic (attention key biases: softmax ignores a shift) into updates of
    // up to lr, so the measure is relative to the weights as a whole, not per tensor.
    const d = weightDifference(a.weights, b.weights);
    console.log(`2 ranks × batch 2 vs 1 × batch 4 after ${steps} steps: weights differ by ${d.l2.toExponential(2)} (L2, relative), ${d.maxAbs.toExponential(2)} (max abs / max |w|)`);
    expect(d.l2).toBeLessThan(1e-5); // measured 7.5e-7 (LibTorch 1.13), 6.0e-7 (2.6)
    // Element-wise the key biases' noise dominates: 8.0e-6 (1.13), 9.4e-6 (2.6) of the largest weight.
    expect(d.maxAbs).toBeLessThan(1e-4);
    // Not the same as one process with batch 2: the ranks did draw different windows.
    const half = startRank(WORKER, JSON.stringify({ steps, batch: 2, out: join(dir, 'half.json') }), undefined, undefined, port);
    await finished([half]);
    const c = JSON.parse(readFileSync(join(dir, 'half.json'), 'utf8')) as Saved;
    expect(weightDifference(a.weights, c.weights).l2).toBeGreaterThan(1e-4);
  });

  it('a rank that is killed stops the other with a DistributedError; the checkpoint loads and a 1-process run resumes from it', async () => {
    const port = await freePort();
    const checkpoint = join(dir, 'ckpt');
    const run = (out: string) => JSON.stringify({ steps: 40, batch: 2, out, checkpoint, validateEvery: 2, slowMs: 300, timeoutSeconds: 20 });
    const ranks = [0, 1].map((rank) => startRank(WORKER, run(join(dir, 'killed.json')), rank, 2, port));
    // Wait for the first checkpoint, then kill rank 1 mid-run.
    const t0 = Date.now();
    while (!existsSync(`${checkpoint}.json`) && Date.now() - t0 < 60_000) await new Promise((r) => setTimeout(r, 100));
    expect(existsSync(`${checkpoint}.json`), ranks[0]!.stderr).toBe(true);
    ranks[1]!.child.kill('SIGKILL');
    const killedAt = Date.now();
    const end = await ranks[0]!.exited;
    expect(end.code, ranks[0]!.stderr).toBe(3);
    const noticed = (Date.now() - killedAt) / 1000;
    console.log(`rank 0 stopped ${noticed.toFixed(1)} s after rank 1 was killed (timeout 20 s; rank 0 sleeps 0.3 s per progress report)`);
    expect(noticed).toBeLessThan(20);
    const error = workerError(ranks[0]!)!;
    expect(error.code).toBe('ERR_GGT_DISTRIBUTED');
    expect(error.message).toMatch(/rank 0 of 2: training step \d+.*Another rank has stopped/);
    // The checkpoint is whole, and a run on 1 process (another world size) finishes from it.
    const saved = await AudioExpressionModel.load(checkpoint);
    const stoppedAt = saved.trainState!.step as number;
    expect(stoppedAt).toBeGreaterThanOrEqual(2);
    expect(saved.trainState!.samplesSeen).toBe(stoppedAt * 4);
    const resumed = startRank(WORKER, JSON.stringify({ steps: stoppedAt + 4, batch: 4, out: join(dir, 'resumed.json'), checkpoint, validateEvery: 2 }), undefined, undefined, port);
    await finished([resumed]);
    const r = JSON.parse(readFileSync(join(dir, 'resumed.json'), 'utf8')) as Saved;
    expect(r.losses.at(-1)!.step).toBe(stoppedAt + 3);
    expect((await AudioExpressionModel.load(checkpoint)).trainState!.samplesSeen).toBe((stoppedAt + 4) * 4);
  });

  it('an abort on one rank stops every rank after the same step, promptly; rank 0 saves the checkpoint', async () => {
    const port = await freePort();
    const checkpoint = join(dir, 'aborted');
    // Far more steps than 4 s can hold (400 steps once took longer; with the CPU block cache
    // they finished before the abort), so the abort always lands mid-run.
    const run = JSON.stringify({ steps: 50_000, batch: 2, out: join(dir, 'aborted.json'), checkpoint, validateEvery: 100_000, timeoutSeconds: 60, abortRank: 1, abortAfterMs: 4000 });
    const ranks = [0, 1].map((rank) => startRank(WORKER, run, rank, 2, port));
    const ends = await Promise.all(ranks.map((r) => r.exited));
    ends.forEach((e, i) => expect(e.code, ranks[i]!.stderr).toBe(3));
    const [e0, e1] = ranks.map((r) => workerError(r)!);
    expect(e1!.code).toBe('ABORT_ERR');
    expect(e0!.code).toBe('ABORT_ERR');
    expect(e0!.message).toMatch(/another rank of the data-parallel run was interrupted/);
    // Well before the 60 s timeout: rank 0 did not wait for a collective rank 1 never started.
    expect(ends[0]!.seconds).toBeLessThan(30);
    const saved = await AudioExpressionModel.load(checkpoint);
    expect(saved.trainState!.step as number).toBeGreaterThan(0);
    expect(saved.trainState!.samplesSeen).toBe((saved.trainState!.step as number) * 4);
  });

  it('a rank that stalls stops the other within the timeout', async () => {
    const port = await freePort();
    const run = JSON.stringify({ steps: 50_000, batch: 2, out: join(dir, 'stall.json'), timeoutSeconds: 4 });
    const ranks = [0, 1].map((rank) => startRank(WORKER, run, rank, 2, port));
    const t0 = Date.now();
    while (!ranks[0]!.stdout.includes('"progress"') && Date.now() - t0 < 60_000) await new Promise((r) => setTimeout(r, 50));
    // Training is under way (else this would time the rendezvous, not a stall).
    expect(ranks[0]!.stdout, ranks[0]!.stderr).toContain('"progress"');
    ranks[1]!.child.kill('SIGSTOP');
    const stoppedAt = Date.now();
    const end = await ranks[0]!.exited;
    ranks[1]!.child.kill('SIGKILL');
    expect(end.code, ranks[0]!.stderr).toBe(3);
    const waited = (Date.now() - stoppedAt) / 1000;
    console.log(`a stalled rank was noticed after ${waited.toFixed(1)} s (timeout 4 s)`);
    expect(waited).toBeLessThan(4 + 10);
    expect(workerError(ranks[0]!)!.code).toBe('ERR_GGT_DISTRIBUTED');
    expect(workerError(ranks[0]!)!.message).toMatch(/rank 0 of 2: training step \d+/);
  });

  it('refuses bad configurations before training: rank >= world size, an unreachable master, different models', async () => {
    expect(() => distributedFromEnv({ WORLD_SIZE: '2', RANK: '2', MASTER_PORT: '1234' })).toThrow(ValidationError);
    expect(() => distributedFromEnv({ WORLD_SIZE: '2', RANK: '2' })).toThrow(/rank \(RANK\).*\[0, worldSize - 1 = 1\].*received 2/);
    expect(() => distributedFromEnv({ WORLD_SIZE: '2' })).toThrow(/RANK must be/);
    expect(() => distributedFromEnv({ WORLD_SIZE: 'two', RANK: '0' })).toThrow(/WORLD_SIZE.*"two"/);
    expect(distributedFromEnv({})).toBeUndefined();
    await expect(joinProcessGroup({ rank: 0, worldSize: 2, masterPort: 70000 })).rejects.toThrow(/masterPort.*\[1, 65535\]/);
    // Rank 1 alone: nobody serves the rendezvous.
    const port = await freePort();
    const t0 = Date.now();
    await expect(joinProcessGroup({ rank: 1, worldSize: 2, masterPort: port, timeoutSeconds: 2 })).rejects.toMatchObject({
      code: 'ERR_GGT_DISTRIBUTED',
      message: expect.stringMatching(/could not reach the rendezvous at MASTER_ADDR:MASTER_PORT = 127\.0\.0\.1:\d+ within 2 s/),
    });
    expect(Date.now() - t0).toBeLessThan(8000);
    // Two ranks whose models differ: both refuse, naming the field.
    const p2 = await freePort();
    const ranks = [0, 1].map((rank) => startRank(WORKER, JSON.stringify({ steps: 2, batch: 2, out: join(dir, 'bad.json'), config: rank === 1 ? { dModel: 32 } : {} }), rank, 2, p2));
    for (const r of ranks) {
      expect((await r.exited).code).toBe(3);
      const e = workerError(r)!;
      expect(e.code).toBe('ERR_GGT_INVALID_ARGUMENT');
      expect(e.message).toMatch(/rank 1 \(config\.dModel: 64 vs 32/);
    }
  });
});
