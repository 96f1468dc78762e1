/**
 * Writing an {@link EvaluationReport}: `report.json` (everything, per frame included) and
 * `report.md` (the tables a paper would print: image quality, per view, lip sync, time per stage).
 *
 * JSON has no Infinity or NaN: a PSNR of identical images (+Infinity) and undefined values are
 * written as null.
 *
 * @module
 */

import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';

import { requireOptions, requirePath } from '../arguments.js';
import { ValidationError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic.js';
import { withFileErrors } from '../io/read-file.js';
import { describeValue } from '../validate.js';
import type { EvaluationReport, ImageScores } from './evaluate.js';

const fmt = (x: number | null | undefined, digits: number): string => (x === null || x === undefined ? '–' : Number.isFinite(x) ? x.toFixed(digits) : x > 0 ? '∞' : '–');

function imageRow(label: string, s: ImageScores | null): string {
  return `| ${label} | ${fmt(s?.psnr, 3)} | ${fmt(s?.ssim, 4)} | ${fmt(s?.lpips, 4)} |`;
}

/**
 * Door check of a report (as evaluate() returns): its format tag and the parts every writer
 * reads (image, perView, timings), so a careless call is a ValidationError naming `fn`.
 */
function requireReport(fn: string, value: unknown): EvaluationReport {
  const r = requireOptions(fn, value, 'report') as Partial<EvaluationReport>;
  const hint = '(an EvaluationReport, as evaluate() returns)';
  if (r.format !== 'ggtalker-evaluation') throw new ValidationError(`${fn}: expected report.format to be "ggtalker-evaluation" ${hint}, received ${describeValue(r.format)}`);
  if (typeof r.image !== 'object' || r.image === null) throw new ValidationError(`${fn}: expected report.image to be an object ${hint}, received ${describeValue(r.image)}`);
  if (!Array.isArray(r.perView)) throw new ValidationError(`${fn}: expected report.perView to be an array ${hint}, received ${describeValue(r.perView)}`);
  if (typeof r.timings !== 'object' || r.timings === null) throw new ValidationError(`${fn}: expected report.timings to be an object ${hint}, received ${describeValue(r.timings)}`);
  return r as EvaluationReport;
}

/** The report as Markdown tables. */
export function formatEvaluationMarkdown(r: EvaluationReport): string {
  requireReport('formatEvaluationMarkdown', r);
  const lines: string[] = [];
  lines.push(`# Evaluation`, '');
  lines.push(`Avatar \`${r.avatar}\` on \`${r.dataset}\`, split ${r.split}: ${r.frames} frames of ${r.width}×${r.height}.`, '');
  lines.push('## Image quality', '');
  lines.push(`| region | PSNR ↑ (dB) | SSIM ↑ | LPIPS${r.lpipsNetwork ? ` (${r.lpipsNetwork})` : ''} ↓ |`, '|---|---:|---:|---:|');
  lines.push(imageRow('full image', r.image.full));
  lines.push(imageRow('head mask', r.image.mask));
  lines.push('', `Head mask: ${r.maskDefinition}.${r.lpipsNetwork ? '' : ' LPIPS: not computed (no weights given).'}`, '');
  lines.push('## Per view', '');
  lines.push('| camera | yaw (°) | pitch (°) | frames | PSNR ↑ | SSIM ↑ | LPIPS ↓ | PSNR (mask) ↑ | SSIM (mask) ↑ | LPIPS (mask) ↓ |', '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const v of r.perView)
    lines.push(
      `| ${v.cameraIndex} | ${fmt(v.yaw, 1)} | ${fmt(v.pitch, 1)} | ${v.frames} | ${fmt(v.full.psnr, 3)} | ${fmt(v.full.ssim, 4)} | ${fmt(v.full.lpips, 4)} | ${fmt(v.mask?.psnr, 3)} | ${fmt(v.mask?.ssim, 4)} | ${fmt(v.mask?.lpips, 4)} |`,
    );
  lines.push('', '## Lip sync', '');
  if (r.motion) {
    const m = r.motion;
    lines.push('| LMD ↓ (px) | lip vertex error ↓ (mm) | mouth-opening r ↑ | frames | clips | ground truth |', '|---:|---:|---:|---:|---:|---|');
    lines.push(`| ${fmt(m.lmd, 3)} | ${fmt(m.lipVertexError * 1000, 3)} | ${fmt(m.mouthOpeningCorrelation, 3)} | ${m.frames}${m.frameSource === 'all-clips' ? ' (all clip frames)' : ''} | ${m.clips} | ${m.truth} |`);
    if (m.sync) {
      lines.push('', '| lip-sync scorer (SyncNet-style) | distance at 0 ↓ | best-offset distance ↓ | confidence ↑ | best offsets (frames) |', '|---|---:|---:|---:|---|');
      for (const [label, s] of [['predicted', m.sync.predicted], ['ground truth', m.sync.truth]] as const)
        lines.push(`| ${label} | ${fmt(s.distance, 3)} | ${fmt(s.minDistance, 3)} | ${fmt(s.confidence, 3)} | ${s.offsets.join(', ')} |`);
    }
    lines.push('', 'Speech → the avatar\'s Audio-Expression model → FLAME, against the ground-truth FLAME mesh on the same frames (front camera). LMD: 68 landmarks projected with the frame camera; lip vertex error: per frame the largest lip-vertex distance (FaceFormer), mean over frames; r: Pearson correlation of the inner-lip distance.');
  } else {
    lines.push(`Not computed: ${r.motionSkipped ?? 'no speech'}.`);
  }
  const t = r.timings;
  lines.push('', '## Time per stage (s)', '', '| load | render | metrics | LPIPS | A2E | FLAME | total |', '|---:|---:|---:|---:|---:|---:|---:|');
  lines.push(`| ${fmt(t.load, 2)} | ${fmt(t.render, 2)} | ${fmt(t.metrics, 2)} | ${fmt(t.lpips, 2)} | ${fmt(t.a2e, 2)} | ${fmt(t.flame, 2)} | ${fmt(t.total, 2)} |`, '');
  return lines.join('\n');
}

/** The report as JSON text (non-finite numbers as null). */
export function formatEvaluationJson(r: EvaluationReport): string {
  requireReport('formatEvaluationJson', r);
  return `${JSON.stringify(r, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2)}\n`;
}

/**
 * Writes `report.json` and `report.md` into the folder `out` (created if needed), atomically.
 *
 * @returns The two paths.
 */
export async function writeEvaluationReport(
  report: EvaluationReport,
  out: string,
): Promise<{
  /** The JSON file written. */
  json: string;
  /** The Markdown file written. */
  markdown: string;
}> {
  requireReport('writeEvaluationReport', report);
  requirePath('writeEvaluationReport', out, 'out');
  await withFileErrors(out, 'create', () => mkdir(out, { recursive: true }));
  const json = join(out, 'report.json');
  const markdown = join(out, 'report.md');
  const enc = new TextEncoder();
  await writeFileAtomic(json, enc.encode(formatEvaluationJson(report)));
  await writeFileAtomic(markdown, enc.encode(formatEvaluationMarkdown(report)));
  return { json, markdown };
}
