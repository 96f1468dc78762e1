/**
 * What a training function does with its `distributed` option: find or join the group, check
 * that every rank trains the same thing, and leave the group at the end if it joined it.
 *
 * @module
 */

import { ValidationError } from '../errors.js';
import { distributedFromEnv, joinProcessGroup, ProcessGroup, type DistributedOptions } from './process-group.js';

/**
 * The `distributed` option of the training functions: options to join a group with, a group
 * already joined, `false` for none, or undefined for the environment's (`WORLD_SIZE` and the
 * other torchrun variables; none when `WORLD_SIZE` is unset or 1).
 */
export type DistributedSetting = DistributedOptions | ProcessGroup | false | undefined;

/** A training run's group (undefined: this process alone), and how to leave it. */
export interface TrainingGroup {
  group: ProcessGroup | undefined;
  /** Leaves the group when the run joined it itself (a group passed in stays open). */
  release(): void;
}

/** Resolves the `distributed` option of a training call (see {@link DistributedSetting}). */
export async function openTrainingGroup(setting: DistributedSetting, signal?: AbortSignal): Promise<TrainingGroup> {
  if (setting instanceof ProcessGroup) return { group: setting.worldSize > 1 ? setting : undefined, release: () => undefined };
  if (setting === false) return { group: undefined, release: () => undefined };
  const options = setting ?? distributedFromEnv();
  if (!options || options.worldSize === 1) return { group: undefined, release: () => undefined };
  const group = await joinProcessGroup(options, signal);
  return { group, release: () => group.close() };
}

/** A JSON text with object keys sorted, so equal values compare equal whatever their key order. */
function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1))) : v,
  );
}

/** The top-level fields of two descriptions that differ (e.g. `config.dModel`), for the message. */
function differingFields(a: Record<string, unknown>, b: Record<string, unknown>, prefix = ''): string[] {
  const out: string[] = [];
  for (const key of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
    const x = a[key];
    const y = b[key];
    if (stableJson(x) === stableJson(y)) continue;
    if (x && y && typeof x === 'object' && typeof y === 'object' && !Array.isArray(x) && !Array.isArray(y)) {
      out.push(...differingFields(x as Record<string, unknown>, y as Record<string, unknown>, `${prefix}${key}.`));
    } else {
      out.push(`${prefix}${key}: ${stableJson(x)?.slice(0, 80)} vs ${stableJson(y)?.slice(0, 80)}`);
    }
  }
  return out;
}

/**
 * Checks, before training starts, that every rank describes the same run (model configuration,
 * training settings, data sizes): ranks that differ would average gradients of different
 * models, or wait for each other forever. Every rank throws the same ValidationError, naming
 * the ranks and fields that differ from rank 0.
 */
export async function requireSameOnEveryRank(group: ProcessGroup, what: string, description: Record<string, unknown>): Promise<void> {
  const all = await group.exchange(what, stableJson(description));
  const first = JSON.parse(all[0]!) as Record<string, unknown>;
  const problems: string[] = [];
  all.forEach((text, rank) => {
    if (rank === 0 || text === all[0]) return;
    problems.push(`rank ${rank} (${differingFields(first, JSON.parse(text) as Record<string, unknown>).join('; ')})`);
  });
  if (problems.length > 0) {
    throw new ValidationError(`every rank must train the same ${what}, but these differ from rank 0: ${problems.join(', ')}. Start every rank with the same options and data`);
  }
}
