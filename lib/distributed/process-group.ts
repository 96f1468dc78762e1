/**
 * Data-parallel training across processes and machines on LibTorch's distributed engine
 * (c10d): ranks meet at a TCPStore that rank 0 serves at `MASTER_ADDR:MASTER_PORT`, then
 * average gradients with Gloo's all-reduce (docs/distributed-training.md).
 *
 * @module
 */

import { AbortError, DistributedError, NativeError, ValidationError } from '../errors.js';
import { native, type NativeDistGroup, type NativeTensor } from '../native.js';
import { nativeAbortFlag } from '../native-abort.js';
import { nativeAsync } from '../tensor.js';
import { describeValue } from '../validate.js';

/** Where and how a process joins a data-parallel run (the names torchrun's variables have). */
export interface DistributedOptions {
  /** This process's rank, 0 ≤ rank < worldSize (`RANK`). Rank 0 serves the rendezvous, writes checkpoints and reports progress. */
  rank: number;
  /** How many processes take part, on all machines together (`WORLD_SIZE`). */
  worldSize: number;
  /** Host name or address of rank 0's machine (`MASTER_ADDR`). Default `'127.0.0.1'`. */
  masterAddr?: string;
  /** The TCP port rank 0 listens on (`MASTER_PORT`). Default 29500. */
  masterPort?: number;
  /** The rank among this machine's processes (`LOCAL_RANK`; informational on CPUs, the GPU index with CUDA). Default `rank`. */
  localRank?: number;
  /**
   * Seconds to wait for the other ranks: at the rendezvous, and in every gradient all-reduce. A
   * rank that died or stalls for longer stops the others with a {@link DistributedError}.
   * Default 300.
   */
  timeoutSeconds?: number;
}

const DEFAULT_PORT = 29500;
const DEFAULT_TIMEOUT_S = 300;

function isIntIn(v: unknown, lo: number, hi: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi;
}

/** Checks the options before any socket is opened; returns them with defaults filled in. */
export function resolveDistributedOptions(options: DistributedOptions): Required<DistributedOptions> {
  if (options === null || typeof options !== 'object') throw new ValidationError(`expected distributed options {rank, worldSize, ...}, received ${describeValue(options)}`);
  const { rank, worldSize } = options;
  if (!isIntIn(worldSize, 1, 65536)) throw new ValidationError(`expected worldSize (WORLD_SIZE) to be an integer in [1, 65536], received ${describeValue(worldSize)}`);
  if (!isIntIn(rank, 0, worldSize - 1)) throw new ValidationError(`expected rank (RANK) to be an integer in [0, worldSize - 1 = ${worldSize - 1}], received ${describeValue(rank)}`);
  const masterAddr = options.masterAddr ?? '127.0.0.1';
  if (typeof masterAddr !== 'string' || masterAddr.length === 0 || /\s/.test(masterAddr)) throw new ValidationError(`expected masterAddr (MASTER_ADDR) to be a host name or address, received ${describeValue(masterAddr)}`);
  const masterPort = options.masterPort ?? DEFAULT_PORT;
  if (!isIntIn(masterPort, 1, 65535)) throw new ValidationError(`expected masterPort (MASTER_PORT) to be an integer in [1, 65535], received ${describeValue(masterPort)}`);
  const localRank = options.localRank ?? rank;
  if (!isIntIn(localRank, 0, 65535)) throw new ValidationError(`expected localRank (LOCAL_RANK) to be an integer >= 0, received ${describeValue(localRank)}`);
  const timeoutSeconds = options.timeoutSeconds ?? DEFAULT_TIMEOUT_S;
  if (typeof timeoutSeconds !== 'number' || !(timeoutSeconds > 0) || timeoutSeconds > 86400) throw new ValidationError(`expected timeoutSeconds in (0, 86400], received ${describeValue(timeoutSeconds)}`);
  return { rank, worldSize, masterAddr, masterPort, localRank, timeoutSeconds };
}

/**
 * The distributed options torchrun, Slurm scripts and Kubernetes operators give through the
 * environment (`RANK`, `WORLD_SIZE`, `MASTER_ADDR`, `MASTER_PORT`, `LOCAL_RANK`), or undefined
 * when `WORLD_SIZE` is not set. Throws a {@link ValidationError} naming the variable that is
 * malformed or missing.
 */
export function distributedFromEnv(env: NodeJS.ProcessEnv = process.env): DistributedOptions | undefined {
  if (env === null || typeof env !== 'object') throw new ValidationError(`expected an environment object such as process.env, received ${describeValue(env)}`);
  if (env.WORLD_SIZE === undefined || env.WORLD_SIZE === '') return undefined;
  const int = (name: string, required: boolean): number | undefined => {
    const raw = env[name];
    if (raw === undefined || raw === '') {
      if (required) throw new ValidationError(`WORLD_SIZE is set (${env.WORLD_SIZE}), so ${name} must be too (the variables torchrun sets: RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT)`);
      return undefined;
    }
    if (!/^\d+$/.test(raw.trim())) throw new ValidationError(`expected the environment variable ${name} to be a non-negative integer, received ${JSON.stringify(raw)}`);
    return Number(raw.trim());
  };
  const worldSize = int('WORLD_SIZE', true)!;
  const rank = int('RANK', worldSize > 1) ?? 0;
  const out: DistributedOptions = { rank, worldSize };
  if (env.MASTER_ADDR) out.masterAddr = env.MASTER_ADDR;
  const port = int('MASTER_PORT', false);
  if (port !== undefined) out.masterPort = port;
  const localRank = int('LOCAL_RANK', false);
  if (localRank !== undefined) out.localRank = localRank;
  resolveDistributedOptions(out);
  return out;
}

/**
 * A joined group of training processes. Made by {@link joinProcessGroup}; pass it as
 * `distributed` to {@link trainAudioExpressionPrior} or {@link trainExpressionVisualPrior}
 * (several runs can share one group), and {@link ProcessGroup.close} it at the end.
 */
export class ProcessGroup {
  /** @internal */
  constructor(
    /** @internal */ readonly handle: NativeDistGroup,
    /** The options it was joined with (defaults filled in). */ readonly options: Required<DistributedOptions>,
  ) {}

  /** This process's rank. */
  get rank(): number {
    return this.options.rank;
  }

  /** The number of processes. */
  get worldSize(): number {
    return this.options.worldSize;
  }

  /** Every rank's `value` for `key`, by rank (small strings, e.g. each rank's configuration). */
  async exchange(key: string, value: string): Promise<string[]> {
    const r = await this.call(this.handle.exchange(key, value), `exchanging "${key}"`);
    return Array.from({ length: this.worldSize }, (_, i) => Buffer.from(Uint8Array.from(r.values[`r${i}`]!.data as Int32Array)).toString('utf8'));
  }

  /** Copies rank 0's tensors into every rank's (in place; the same names and shapes on every rank). */
  async broadcast(params: Record<string, NativeTensor>): Promise<void> {
    await this.call(this.handle.broadcast(params, 0), 'broadcasting the weights from rank 0');
  }

  /** Leaves the group (the handle cannot be used afterwards). */
  close(): void {
    this.handle.close();
  }

  private async call<T>(promise: Promise<T>, what: string): Promise<T> {
    try {
      return await nativeAsync(promise);
    } catch (error) {
      throw asDistributedError(error, `rank ${this.rank} of ${this.worldSize}: ${what} failed`);
    }
  }
}

/** A native failure during collective work, as a DistributedError saying what it means. */
export function asDistributedError(error: unknown, context: string): unknown {
  if (!(error instanceof NativeError)) return error;
  return new DistributedError(
    `${context}: ${error.message}. Another rank has stopped (crashed, was killed, or stalls past the timeout); ` +
      'restart every rank to resume from the last checkpoint',
    { cause: error },
  );
}

/**
 * Joins a data-parallel group: rank 0 serves the rendezvous at `masterAddr:masterPort`, every
 * rank connects and waits until all `worldSize` have come (off the JS thread). Rejects with a
 * {@link ValidationError} for bad options (before any socket is opened), and a
 * {@link DistributedError} when the master cannot be reached or the others do not all come
 * within `timeoutSeconds`. `signal` cancels the wait.
 */
export async function joinProcessGroup(options: DistributedOptions, signal?: AbortSignal): Promise<ProcessGroup> {
  const o = resolveDistributedOptions(options);
  const addon = native();
  if (!addon.distributedAvailable()) {
    throw new ValidationError('this ggtalker build has no distributed training: it was compiled without the Gloo headers LibTorch\'s c10d needs (Debian/Ubuntu: apt-get install libgloo-dev, then npm rebuild ggtalker)');
  }
  const handle = new addon.DistGroup();
  const abort = nativeAbortFlag(signal);
  try {
    await nativeAsync(handle.join({ masterAddr: o.masterAddr, masterPort: o.masterPort, rank: o.rank, worldSize: o.worldSize, timeoutMs: Math.round(o.timeoutSeconds * 1000), ...(abort.flag ? { abort: abort.flag } : {}) }));
  } catch (error) {
    if (signal?.aborted) throw new AbortError(undefined, { cause: signal.reason });
    throw error instanceof NativeError ? new DistributedError(error.message, { cause: error }) : error;
  } finally {
    abort.release();
  }
  return new ProcessGroup(handle, o);
}
