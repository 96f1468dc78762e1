/**
 * The ablation results as Markdown tables (one per ablation) and the trend list.
 *
 * @module
 */

import type { AblationResults } from './run.js';

const f = (x: number, digits: number) => (Number.isFinite(x) ? x.toFixed(digits) : 'n/a');

export function ablationTable(r: AblationResults): string {
  const lines: string[] = [];
  lines.push(`# Ablations (preset \`${r.preset}\`)`, '', `Command: \`${r.command}\``, '', `Measured ${r.date} on ${r.machine}; ${f(r.seconds.total, 0)} s in all.`, '');
  lines.push('## 1. Audio-Expression prior (lip metrics on the studio head\'s mesh)', '');
  const a = r.a2e;
  lines.push(`Prior: ${a.prior.clips} clips in ${a.prior.languages.join(', ')} (${a.prior.speakers} voices), ${a.prior.steps} steps. Held out: ${a.fineTunes.map((t) => `${t.split} speaker \`${t.speaker}\` (${t.fineTuneClips} fine-tune clips, ${t.testClips} test clips of unseen sentences; fine-tune best at step ${t.bestStep})`).join('; ')}.`, '');
  lines.push('| test speaker | method | lip vertex error (mm) ↓ | mouth-opening r ↑ |', '|---|---|---:|---:|');
  for (const row of a.rows) lines.push(`| ${row.split} | ${row.method} | ${f(row.lipVertexErrorMm, 2)} | ${f(row.mouthOpeningR, 3)} |`);
  lines.push('');
  const imageTable = (title: string, rows: AblationResults['e2v']) => {
    const lp = r.lpips !== undefined;
    lines.push(title, '', `| method | held-out PSNR ↑ | held-out SSIM ↑ |${lp ? ' held-out LPIPS ↓ |' : ''} novel-view PSNR ↑ | novel-view SSIM ↑ |${lp ? ' novel-view LPIPS ↓ |' : ''}`, `|---|---:|---:|${lp ? '---:|' : ''}---:|---:|${lp ? '---:|' : ''}`);
    for (const { method, scores: { heldOut: h, novel: n } } of rows) {
      lines.push(`| ${method} | ${f(h.psnr, 2)} | ${f(h.ssim, 3)} |${lp ? ` ${f(h.lpips ?? NaN, 3)} |` : ''} ${f(n.psnr, 2)} | ${f(n.ssim, 3)} |${lp ? ` ${f(n.lpips ?? NaN, 3)} |` : ''}`);
    }
    lines.push('');
  };
  imageTable(`## 2. Expression-Visual prior (${r.e2vInfo.identities} training identities, ${r.e2vInfo.heldOut} held-out identities, ${r.e2vInfo.size} px)`, r.e2v);
  imageTable('## 3. Colour MLP', r.color);
  imageTable('## 4. Joint FLAME optimisation under tracking noise', r.joint);
  lines.push(r.lpips ? '' : 'LPIPS is not reported: it needs LPIPS weights (`--lpips weights.safetensors`), and none ship with this repository.', '');
  lines.push('## Trends', '', '| trend | measured | holds | asserted in CI |', '|---|---|---|---|');
  for (const t of r.trends) lines.push(`| ${t.claim}${t.note && !t.holds ? ` — ${t.note}` : ''} | ${f(t.left, 3)} vs ${f(t.right, 3)} | ${t.holds ? 'yes' : '**no**'} | ${t.robust ? 'yes' : 'no'} |`);
  lines.push('', '## Time per part (s)', '', '| part | seconds |', '|---|---:|');
  for (const [k, v] of Object.entries(r.seconds)) lines.push(`| ${k} | ${f(v, 1)} |`);
  lines.push('');
  return lines.join('\n');
}
