// The evaluation report writers: a hand-built report is formatted as Markdown and JSON (no
// Infinity/NaN in the JSON); careless calls are ValidationErrors naming the function, and an
// output folder that cannot be created a FileSystemError naming it.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { FileSystemError, ValidationError } from '../lib/errors.js';
import type { EvaluationReport } from '../lib/eval/evaluate.js';
import { formatEvaluationJson, formatEvaluationMarkdown, writeEvaluationReport } from '../lib/eval/report.js';

const dir = await mkdtemp(join(tmpdir(), 'ggt-report-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

const report: EvaluationReport = {
  format: 'ggtalker-evaluation',
  version: 1,
  avatar: 'a.ggtavatar',
  dataset: 'ds',
  split: 'test',
  frames: 2,
  width: 8,
  height: 8,
  lpipsNetwork: null,
  maskDefinition: 'mask',
  image: { full: { psnr: Infinity, ssim: 0.98765, lpips: null }, mask: null },
  perView: [],
  motion: null,
  motionSkipped: 'no speech',
  timings: { load: 1, render: 2, metrics: 3, lpips: 0, a2e: 0, flame: 0, total: 6 },
  perFrame: [],
};

describe('evaluation report writers', () => {
  it('formats a report: identical images as ∞ dB in Markdown and null in JSON', async () => {
    expect(formatEvaluationMarkdown(report)).toContain('| full image | ∞ | 0.9877 | – |');
    expect(JSON.parse(formatEvaluationJson(report)).image.full).toEqual({ psnr: null, ssim: 0.98765, lpips: null });
    const written = await writeEvaluationReport(report, join(dir, 'out'));
    expect(await readFile(written.markdown, 'utf8')).toBe(formatEvaluationMarkdown(report));
  });

  it('careless calls are ValidationErrors naming the function and the field', async () => {
    expect(() => formatEvaluationMarkdown(undefined as never)).toThrow(/^formatEvaluationMarkdown: expected report to be an object, received undefined/);
    expect(() => formatEvaluationMarkdown({} as never)).toThrow(/^formatEvaluationMarkdown: expected report\.format to be "ggtalker-evaluation" .*received undefined/);
    expect(() => formatEvaluationMarkdown({ ...report, image: null } as never)).toThrow(/^formatEvaluationMarkdown: expected report\.image to be an object/);
    expect(() => formatEvaluationJson({ ...report, perView: 'x' } as never)).toThrow(/^formatEvaluationJson: expected report\.perView to be an array/);
    expect(() => formatEvaluationMarkdown({ ...report, timings: 42 } as never)).toThrow(ValidationError);
    await expect(writeEvaluationReport(report, 42 as never)).rejects.toThrow(/^writeEvaluationReport: expected out to be a non-empty path string, received 42/);
    await expect(writeEvaluationReport(null as never, dir)).rejects.toThrow(/^writeEvaluationReport: expected report to be an object, received null/);
  });

  it('an output folder that cannot be created is a FileSystemError naming it', async () => {
    const err = await writeEvaluationReport(report, '/dev/null/report').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FileSystemError);
    expect((err as FileSystemError).path).toBe('/dev/null/report');
  });
});
