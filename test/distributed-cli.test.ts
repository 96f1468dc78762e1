// `ggtalker train-prior ... --nproc-per-node N` starts the ranks itself and supervises them, and
// the Expression-Visual prior trains data-parallel like the Audio-Expression one: two ranks with
// batch B end where one process with batch 2B ends.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { AudioExpressionModel } from '../lib/index.js';
import { launchLocalRanks, threadsPerRank } from '../lib/distributed/launcher.js';
import { makeSyntheticSpeechDataset } from '../lib/synthetic/speech-dataset.js';
import { freePort, startRank } from './helpers/dist-ranks.js';

const repo = new URL('..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'ggt-dist-cli-'));

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const env = { ...process.env };
    for (const k of ['RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT', 'LOCAL_RANK']) delete env[k];
    const child = spawn(process.execPath, ['--import', 'tsx', join(repo, 'lib', 'cli', 'main.ts'), ...args], { cwd: repo, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('ggtalker train-prior --nproc-per-node', () => {
  it('trains the Audio-Expression prior on 2 local ranks; rank 0 writes the model and the checkpoint', async () => {
    const data = join(dir, 'speech');
    await makeSyntheticSpeechDataset({ out: data, clips: 6, seed: 4, languages: ['en', 'de'] });
    const out = join(dir, 'prior');
    const r = await cli(['train-prior', 'a2e', '--dataset', data, '--out', out, '--steps', '4', '--batch', '2', '--checkpoint', join(dir, 'ckpt'), '--quiet',
      '--config', '{"dModel":32,"heads":2,"ffDim":64,"condLayers":1,"decoderLayers":1,"speakerDim":8}', '--nproc-per-node', '2']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/starting ranks 0\.\.1 of 2 \(rendezvous 127\.0\.0\.1:\d+\)/);
    const model = await AudioExpressionModel.load(out);
    expect(model.trainState!.step).toBe(4);
    expect(model.trainState!.samplesSeen).toBe(4 * 2 * 2);
  });

  it('stops the other ranks when one fails, and exits with its code', async () => {
    const log: string[] = [];
    const t0 = Date.now();
    const script = join(dir, 'rank.mjs');
    await import('node:fs/promises').then((fs) => fs.writeFile(script, 'if (process.env.RANK === "1") setTimeout(() => process.exit(7), 300); else setTimeout(() => {}, 60000);\n'));
    const code = await launchLocalRanks({ nprocPerNode: 2, args: [script], log: (l) => log.push(l) });
    expect(code).toBe(7);
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(log.join('\n')).toMatch(/rank 1 exited with code 7; stopping the other ranks/);
    expect(threadsPerRank(2, 2)).toBe(1);
    expect(threadsPerRank(4, 2)).toBe(1);
    expect(threadsPerRank(2, 16)).toBe(8);
  });
});

describe('data-parallel Expression-Visual prior training (2 processes, Gloo)', () => {
  it('2 ranks with batch B give the generator 1 process with batch 2B gives (1e-5 relative)', async () => {
    const worker = new URL('./helpers/dist-e2v-worker.ts', import.meta.url).pathname;
    const port = await freePort();
    const one = startRank(worker, JSON.stringify({ steps: 4, batch: 4, out: join(dir, 'e1.json') }), undefined, undefined, port);
    const two = [0, 1].map((rank) => startRank(worker, JSON.stringify({ steps: 4, batch: 2, out: join(dir, 'e2.json') }), rank, 2, port));
    for (const p of [one, ...two]) expect((await p.exited).code, p.stderr.slice(-2000)).toBe(0);
    type Saved = { weights: Record<string, number[]>; losses: { loss: number }[] };
    const a = JSON.parse(readFileSync(join(dir, 'e1.json'), 'utf8')) as Saved;
    const b = JSON.parse(readFileSync(join(dir, 'e2.json'), 'utf8')) as Saved;
    a.losses.forEach((l, i) => expect(Math.abs(l.loss - b.losses[i]!.loss) / l.loss).toBeLessThan(1e-5));
    let d2 = 0;
    let n2 = 0;
    let moved = 0;
    for (const [name, x] of Object.entries(a.weights)) x.forEach((v, i) => ((d2 += (v - b.weights[name]![i]!) ** 2), (n2 += v * v)));
    const rel = Math.sqrt(d2 / n2);
    console.log(`Expression-Visual prior, 2 ranks × batch 2 vs 1 × batch 4 after 4 steps: weights differ by ${rel.toExponential(2)} (L2, relative)`);
    expect(rel).toBeLessThan(1e-5);
    // One process with batch 2 (half the frames) ends elsewhere: the comparison can tell.
    const half = startRank(worker, JSON.stringify({ steps: 4, batch: 2, out: join(dir, 'e3.json') }), undefined, undefined, port);
    expect((await half.exited).code, half.stderr).toBe(0);
    const c = JSON.parse(readFileSync(join(dir, 'e3.json'), 'utf8')) as Saved;
    for (const [name, x] of Object.entries(a.weights)) x.forEach((v, i) => (moved += (v - c.weights[name]![i]!) ** 2));
    expect(Math.sqrt(moved / n2)).toBeGreaterThan(1e-4);
  });
});
