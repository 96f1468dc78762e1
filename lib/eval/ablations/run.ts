/**
 * The ablation suite (GGTalker Table 3 on the synthetic world): prepares the speech and the
 * studio identities in a working folder, runs the four ablations, checks the trends, and writes
 * `table.md` and `results.json` to `out`. Progress as lines through `log`; AbortSignal between
 * and inside the steps.
 *
 * @module
 */

import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';

import { AbortError, ValidationError } from '../../errors.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { describeValue } from '../../validate.js';
import { Lpips } from '../lpips.js';
import { runA2eAblation, type A2eAblation } from './a2e.js';
import { runColorAblation } from './color-mlp.js';
import { runE2vAblation, type ImageRow } from './e2v.js';
import { identitySeeds, renderPeople } from './identities.js';
import { runJointAblation } from './joint-flame.js';
import { PRESETS, type AblationPreset } from './preset.js';
import { prepareA2eData } from './speech-data.js';
import { ablationTable } from './table.js';
import { checkTrends, type Trend } from './trends.js';

export interface AblationOptions {
  preset?: 'small' | 'full' | AblationPreset;
  /** Folder for table.md and results.json (none: nothing written). */
  out?: string;
  /** LPIPS weights (.safetensors); without them LPIPS is omitted. */
  lpips?: string;
  /** The command line that ran the suite (for the table). */
  command?: string;
  log?: (message: string) => void;
  signal?: AbortSignal;
}

export interface AblationResults {
  preset: string;
  command: string;
  date: string;
  machine: string;
  a2e: Omit<A2eAblation, 'seconds'>;
  e2vInfo: { identities: number; heldOut: number; size: number; frames: number; priorSteps: number; priorLoss: { first: number; last: number } };
  e2v: ImageRow[];
  color: ImageRow[];
  joint: ImageRow[];
  lpips?: string;
  trends: Trend[];
  /** Wall time per part. */
  seconds: Record<string, number>;
}

export async function runAblations(options: AblationOptions = {}): Promise<AblationResults> {
  const name = options.preset ?? 'small';
  if (typeof name !== 'object' && !(name === 'small' || name === 'full')) throw new ValidationError(`expected preset to be "small" or "full", received ${describeValue(name)}`);
  const preset = typeof name === 'object' ? name : PRESETS[name];
  if (options.signal?.aborted) throw new AbortError(undefined, { cause: options.signal.reason });
  const log = options.log ?? (() => {});
  const { signal } = options;
  const seconds: Record<string, number> = {};
  const started = performance.now();
  let t = started;
  const lap = (name: string) => {
    const now = performance.now();
    seconds[name] = (now - t) / 1000;
    t = now;
  };
  const lpips = options.lpips ? await Lpips.load(options.lpips) : undefined;
  const work = await mkdtemp(join(tmpdir(), 'ggt-ablations-'));
  try {
    const data = await prepareA2eData(join(work, 'speech'), preset.a2e, log, signal);
    lap('speech data');
    const a2e = await runA2eAblation(data, preset.a2e, log, signal);
    seconds['A2E prior'] = a2e.seconds.prior;
    seconds['A2E scratch + fine-tune + scoring'] = a2e.seconds.perSpeaker.reduce((x, y) => x + y, 0);
    t = performance.now();
    const seeds = identitySeeds(preset.e2v);
    const identities = join(work, 'identities');
    const speech = join(work, 'speech', 'train');
    // Training identities with the studio's default tracking error (as a tracker gives them);
    // held-out ones with their true parameters, and again with preset.trackingNoise for ablation 4.
    const train = await renderPeople(identities, speech, seeds.train, preset.e2v, undefined, log, signal);
    const heldOut = await renderPeople(identities, speech, seeds.heldOut, preset.e2v, 0, log, signal);
    const noisy = await renderPeople(identities, speech, seeds.heldOut, preset.e2v, preset.trackingNoise, log, signal);
    lap('identity rendering');
    const e2v = await runE2vAblation(train, heldOut, preset.e2v, log, signal, lpips);
    lap('E2V prior + rows');
    const color = await runColorAblation(heldOut, e2v.generator, e2v.rows.find((r) => r.method === 'prior + adaptation')!.scores, preset.e2v, log, signal, lpips);
    lap('colour MLP');
    const joint = await runJointAblation(noisy, heldOut, e2v.generator, preset, log, signal, lpips);
    lap('joint FLAME');
    seconds.total = (performance.now() - started) / 1000;
    const { seconds: _a2eSeconds, ...a2eRest } = a2e;
    void _a2eSeconds;
    const results: AblationResults = {
      preset: preset.name,
      command: options.command ?? `npm run eval -- ablations --preset ${preset.name}`,
      date: new Date().toISOString(),
      machine: `${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}`,
      a2e: a2eRest,
      e2vInfo: { identities: train.length, heldOut: heldOut.length, size: preset.e2v.size, frames: preset.e2v.frames, priorSteps: preset.e2v.priorSteps, priorLoss: { first: e2v.prior.firstLoss, last: e2v.prior.lastLoss } },
      e2v: e2v.rows,
      color,
      joint,
      ...(options.lpips ? { lpips: options.lpips } : {}),
      trends: checkTrends({ a2e, e2v: e2v.rows, color, joint }),
      seconds,
    };
    if (options.out) {
      await mkdir(options.out, { recursive: true });
      const encoder = new TextEncoder();
      await writeFileAtomic(join(options.out, 'table.md'), encoder.encode(ablationTable(results)));
      await writeFileAtomic(join(options.out, 'results.json'), encoder.encode(`${JSON.stringify(results, null, 2)}\n`));
    }
    return results;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
