/**
 * `--nproc-per-node N`: starts this machine's ranks of a data-parallel run as child processes
 * of the same command, with the variables torchrun would set, and supervises them: when one
 * fails, the others are stopped, so no rank waits on a dead one until its timeout.
 *
 * @module
 */

import { spawn, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { createServer } from 'node:net';

import { ValidationError } from '../errors.js';

/** How to start this machine's ranks. */
export interface LaunchOptions {
  /** Processes on this machine. */
  nprocPerNode: number;
  /** Machines in all (each runs the same launch with its own nodeRank). Default 1. */
  nnodes?: number;
  /** This machine's index, 0..nnodes-1. Default 0. */
  nodeRank?: number;
  /** Rank 0's machine. Default 127.0.0.1. */
  masterAddr?: string;
  /** Rank 0's port. Default: a free port when nnodes is 1, else 29500. */
  masterPort?: number;
  /** The command line each rank runs (program arguments after node's own). */
  args: string[];
  /** Extra environment for the ranks. */
  env?: NodeJS.ProcessEnv;
  /** Messages (stderr). */
  log: (line: string) => void;
  /** Ctrl-C: forwarded to the ranks (SIGINT), which save and stop. */
  signal?: AbortSignal;
}

/** A TCP port free right now (for a rendezvous on this machine). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** LibTorch threads per rank: this machine's cores shared out (at least 1). */
export function threadsPerRank(nprocPerNode: number, cores = availableParallelism()): number {
  return Math.max(1, Math.floor(cores / nprocPerNode));
}

/**
 * Starts the ranks and waits for them. Resolves with 0 when all exit with 0, else with the
 * first failure's exit code (the others are sent SIGTERM, then SIGKILL after 5 s).
 */
export async function launchLocalRanks(options: LaunchOptions): Promise<number> {
  const n = options.nprocPerNode;
  const nnodes = options.nnodes ?? 1;
  const nodeRank = options.nodeRank ?? 0;
  if (!Number.isInteger(n) || n < 1 || n > 1024) throw new ValidationError(`expected --nproc-per-node to be an integer in [1, 1024], received ${n}`);
  if (!Number.isInteger(nnodes) || nnodes < 1) throw new ValidationError(`expected --nnodes to be a positive integer, received ${nnodes}`);
  if (!Number.isInteger(nodeRank) || nodeRank < 0 || nodeRank >= nnodes) throw new ValidationError(`expected --node-rank in [0, ${nnodes - 1}], received ${nodeRank}`);
  const masterPort = options.masterPort ?? (nnodes === 1 ? await freePort() : 29500);
  const masterAddr = options.masterAddr ?? '127.0.0.1';
  const world = n * nnodes;
  options.log(`starting ranks ${nodeRank * n}..${nodeRank * n + n - 1} of ${world} (rendezvous ${masterAddr}:${masterPort})`);
  const children: ChildProcess[] = [];
  let failure: { rank: number; code: number } | undefined;
  const stopOthers = (): void => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
    setTimeout(() => children.forEach((c) => c.exitCode === null && c.signalCode === null && c.kill('SIGKILL')), 5000).unref();
  };
  const onAbort = (): void => children.forEach((c) => c.exitCode === null && c.kill('SIGINT'));
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const exits = Array.from({ length: n }, (_, local) => {
    const rank = nodeRank * n + local;
    const env = {
      ...process.env,
      ...options.env,
      RANK: String(rank),
      LOCAL_RANK: String(local),
      WORLD_SIZE: String(world),
      LOCAL_WORLD_SIZE: String(n),
      MASTER_ADDR: masterAddr,
      MASTER_PORT: String(masterPort),
    };
    // Rank 0 shows its progress and results; the others only their errors.
    const child = spawn(process.execPath, [...process.execArgv, ...options.args], { env, stdio: ['ignore', rank === 0 ? 'inherit' : 'ignore', 'inherit'] });
    children.push(child);
    return new Promise<void>((resolve) => {
      child.on('error', (error) => {
        failure ??= { rank, code: 1 };
        options.log(`rank ${rank} could not start: ${error.message}`);
        stopOthers();
        resolve();
      });
      child.on('exit', (code, signal) => {
        if (code !== 0 && !failure) {
          failure = { rank, code: code ?? 1 };
          options.log(`rank ${rank} ${signal ? `was killed (${signal})` : `exited with code ${code}`}; stopping the other ranks`);
          stopOthers();
        }
        resolve();
      });
    });
  });
  await Promise.all(exits);
  options.signal?.removeEventListener('abort', onAbort);
  return failure ? failure.code : 0;
}
