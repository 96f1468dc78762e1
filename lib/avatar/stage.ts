/**
 * One optimisation stage of an avatar (a set of trainable parameters over the training
 * frames), run as chunks of native steps (~0.25 s each) with progress and abort between them.
 *
 * @module
 */

import { asDistributedError, type ProcessGroup } from '../distributed/process-group.js';
import { requireSameOnEveryRank } from '../distributed/training-group.js';
import { AbortError } from '../errors.js';
import { native, type NativeTensor } from '../native.js';
import { nativeAbortFlag } from '../native-abort.js';
import { nativeAsync, nativeCall } from '../tensor.js';
import { toParamObject } from '../a2e/native-params.js';
import type { PackedFrames } from './frames.js';

/** Progress of an avatar stage. */
export interface AvatarStageProgress {
  /** The stage's name (`'map'`, `'joint'`, `'color'`, `'inpainter'`, `'a2e'`, or the prior's). */
  stage: string;
  /** Steps done in the stage. */
  step: number;
  /** Steps of the stage. */
  steps: number;
  /** Mean loss of the last chunk. */
  loss: number;
  /** Mean PSNR (dB) of the last chunk's training frames. */
  psnr: number;
  /** Seconds since the stage started. */
  elapsedSeconds: number;
}

/** What a stage optimises and how. */
export interface AvatarStage {
  name: string;
  /** Parameter-name prefixes that train; every other parameter is held fixed. */
  trainable: string[];
  steps: number;
  lr: number;
  /** Learning-rate multipliers by parameter-name prefix. */
  lrScales?: Record<string, number>;
  batch: number;
  seed: number;
}

/** The fixed inputs of a stage. */
export interface AvatarStageInputs {
  config: Record<string, unknown>;
  scene: Record<string, unknown>;
  frames: PackedFrames;
  /** Every parameter by name (weights and per-frame FLAME); trained ones are updated in place. */
  params: Map<string, NativeTensor>;
  trainIndices: number[];
  onProgress?: (p: AvatarStageProgress) => void;
  signal?: AbortSignal;
  /**
   * Data parallelism: this process is one rank of the group. Rank 0's trainable weights are
   * copied to every rank first; each step renders `batch` frames per rank and averages the
   * gradients over the ranks; only rank 0 reports progress.
   */
  group?: ProcessGroup;
}

/** Runs a stage; returns its per-step losses and PSNRs. */
export async function runAvatarStage(stage: AvatarStage, inputs: AvatarStageInputs): Promise<{ losses: number[]; psnr: number[] }> {
  const zeros = new Map<string, NativeTensor>();
  const zeros2 = new Map<string, NativeTensor>();
  const T = native().Tensor;
  for (const [name, t] of inputs.params) {
    const n = t.shape.reduce((a, b) => a * b, 1);
    zeros.set(name, nativeCall(() => T.fromArray(new Float32Array(n), t.shape)));
    zeros2.set(name, nativeCall(() => T.fromArray(new Float32Array(n), t.shape)));
  }
  const trainable = (name: string): boolean => stage.trainable.some((p) => name.startsWith(p));
  const frozen = [...inputs.params.keys()].filter((n) => !trainable(n));
  const base = {
    config: inputs.config,
    ...inputs.scene,
    frames: inputs.frames.data,
    params: toParamObject(inputs.params),
    adamM: toParamObject(zeros),
    adamV: toParamObject(zeros2),
    adam: { lr: stage.lr, warmupSteps: Math.min(20, Math.floor(stage.steps / 10)), totalSteps: stage.steps, minLrFactor: 0.1 },
    lrScales: stage.lrScales ?? {},
    trainIndices: inputs.trainIndices,
    frozen,
    batch: stage.batch,
    seed: stage.seed,
  };
  const group = inputs.group;
  if (group) {
    await requireSameOnEveryRank(group, `${stage.name} training run`, {
      stage,
      config: inputs.config,
      params: Object.fromEntries([...inputs.params].map(([name, t]) => [name, t.shape])),
      frames: inputs.trainIndices.length,
    });
    await group.broadcast(Object.fromEntries([...inputs.params].filter(([name]) => trainable(name))));
  }
  const losses: number[] = [];
  const psnr: number[] = [];
  const started = Date.now();
  let step = 0;
  let samplesSeen = 0;
  let chunk = 1;
  while (step < stage.steps) {
    // In a group the native steps decide when to stop, all ranks after the same step.
    if (inputs.signal?.aborted && !group) throw new AbortError(undefined, { cause: inputs.signal.reason });
    const n = Math.min(chunk, stage.steps - step);
    const t0 = Date.now();
    const abort = nativeAbortFlag(inputs.signal);
    const call = native().avatarTrain({ ...base, step, steps: n, samplesSeen, abort: abort.flag, ...(group ? { group: group.handle } : {}) });
    const r = await nativeAsync(call)
      .catch((error: unknown) => {
        throw group ? asDistributedError(error, `rank ${group.rank} of ${group.worldSize}: ${stage.name} step ${step + 1}`) : error;
      })
      .finally(abort.release);
    samplesSeen = (r.samplesSeen.data as Float64Array)[0]!;
    if (group && (r.stopped.data as Float64Array)[0]) {
      throw new AbortError(inputs.signal?.aborted ? undefined : 'another rank of the data-parallel run was interrupted', { cause: inputs.signal?.reason });
    }
    const l = Array.from(r.losses.data as Float64Array);
    const p = Array.from(r.psnr.data as Float64Array);
    losses.push(...l);
    psnr.push(...p);
    step += l.length;
    if (l.length === 0) continue;
    chunk = Math.max(1, Math.min(50, Math.round((250 * n) / Math.max(1, Date.now() - t0))));
    if (!group || group.rank === 0) inputs.onProgress?.({
      stage: stage.name,
      step,
      steps: stage.steps,
      loss: l.reduce((a, b) => a + b, 0) / l.length,
      psnr: p.reduce((a, b) => a + b, 0) / p.length,
      elapsedSeconds: (Date.now() - started) / 1000,
    });
  }
  return { losses, psnr };
}
