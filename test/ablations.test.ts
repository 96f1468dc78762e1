// The ablation suite's small preset (`npm run eval -- ablations --preset small`), end to end on
// synthetic speech and studio identities: it writes its table and JSON, and the trends that hold
// with room to spare at this size hold, each checked here from the raw rows with its margin
// (measured in the small preset's run of docs/evaluation.md (Ablations); margins about half the measured gap).
// Trends that do not hold robustly at this size are reported by the suite, not asserted.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { AbortError, ValidationError } from '../lib/errors.js';
import { runAblations, type AblationResults } from '../lib/eval/ablations/run.js';

let dir: string;
let results: AblationResults;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ggt-ablations-test-'));
  results = await runAblations({ preset: 'small', out: dir });
}, 600_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const lip = (split: string, method: string) => results.a2e.rows.find((r) => r.split === split && r.method === method)!;
const image = (method: string) => results.e2v.find((r) => r.method === method)!.scores;

describe('ablations, small preset', () => {
  it('writes table.md and results.json with every row, and no LPIPS column without weights', async () => {
    const json = JSON.parse(await readFile(join(dir, 'results.json'), 'utf8')) as AblationResults;
    expect(json.a2e.rows).toEqual(results.a2e.rows);
    expect(results.a2e.rows).toHaveLength(10); // 2 test speakers × 5 methods
    expect(results.e2v.map((r) => r.method)).toEqual(['mean-colour head', 'prior only', 'scratch + adaptation', 'prior + adaptation']);
    expect(results.color).toHaveLength(2);
    expect(results.joint).toHaveLength(4);
    const table = await readFile(join(dir, 'table.md'), 'utf8');
    for (const row of [...results.e2v, ...results.color, ...results.joint]) expect(table).toContain(`| ${row.method} | ${row.scores.heldOut.psnr.toFixed(2)} |`);
    expect(table).not.toContain('LPIPS ↓');
    expect(table).toContain('LPIPS is not reported');
    for (const part of ['speech data', 'A2E prior', 'identity rendering', 'E2V prior + rows', 'colour MLP', 'joint FLAME', 'total']) expect(results.seconds[part]).toBeGreaterThan(0);
    // Held-out data really is held out: 5 training languages, the test speakers' voices unseen.
    expect(results.a2e.prior.languages).not.toContain('pt');
    expect(results.a2e.fineTunes.map((f) => f.speaker)).toEqual(['pt-br+f2', 'en-us+m3']);
  });

  it('A2E: prior + fine-tune follows mouth opening better than loudness by >= 0.05 r (measured 0.83 vs 0.62 cross-language, 0.75 vs 0.52 in-language)', () => {
    for (const split of ['cross-language', 'in-language']) {
      expect(lip(split, 'prior+fine-tune').mouthOpeningR, split).toBeGreaterThanOrEqual(lip(split, 'loudness').mouthOpeningR + 0.05);
    }
  });

  it('A2E: prior + fine-tune has >= 5 % less lip error than the same model trained from scratch on the fine-tune set (measured 2.42 vs 3.06 mm cross-language, 2.76 vs 3.17 mm in-language)', () => {
    for (const split of ['cross-language', 'in-language']) {
      expect(lip(split, 'prior+fine-tune').lipVertexErrorMm, split).toBeLessThanOrEqual(0.95 * lip(split, 'scratch').lipVertexErrorMm);
    }
  });

  it('A2E: the zero-shot prior has >= 30 % less lip error than an untrained model (measured 2.6 vs 7.1 mm, 3.0 vs 6.4 mm)', () => {
    for (const split of ['cross-language', 'in-language']) {
      expect(lip(split, 'prior').lipVertexErrorMm, split).toBeLessThanOrEqual(0.7 * lip(split, 'untrained').lipVertexErrorMm);
    }
  });

  it('E2V: on held-out frames prior + adaptation beats the mean-colour head by >= 3 dB and the prior alone by >= 1.5 dB (measured 21.9 vs 14.0 and 16.7)', () => {
    const best = image('prior + adaptation').heldOut.psnr;
    expect(best).toBeGreaterThanOrEqual(image('mean-colour head').heldOut.psnr + 3);
    expect(best).toBeGreaterThanOrEqual(image('prior only').heldOut.psnr + 1.5);
  });

  it('E2V: prior + adaptation beats adaptation from scratch by >= 0.03 SSIM on held-out frames and novel views (measured 0.856 vs 0.758, 0.707 vs 0.608; PSNR +1.1 / +1.0 dB, not asserted)', () => {
    const [prior, scratch] = [image('prior + adaptation'), image('scratch + adaptation')];
    expect(prior.heldOut.ssim).toBeGreaterThanOrEqual(scratch.heldOut.ssim + 0.03);
    expect(prior.novel.ssim).toBeGreaterThanOrEqual(scratch.novel.ssim + 0.03);
  });

  it('reports every trend it checks, with a reason for each one that does not hold', () => {
    expect(results.trends.length).toBeGreaterThanOrEqual(10);
    for (const t of results.trends.filter((x) => !x.holds)) expect(t.note, t.id).toBeTruthy();
    for (const t of results.trends.filter((x) => x.robust)) expect(t.holds, t.id).toBe(true);
  });
});

describe('runAblations input', () => {
  it('rejects an unknown preset and stops at once when already aborted', async () => {
    await expect(runAblations({ preset: 'huge' as 'small' })).rejects.toThrow(ValidationError);
    await expect(runAblations({ preset: 'huge' as 'small' })).rejects.toThrow(/expected preset to be "small" or "full", received/);
    const controller = new AbortController();
    controller.abort();
    await expect(runAblations({ signal: controller.signal })).rejects.toThrow(AbortError);
  });
});
