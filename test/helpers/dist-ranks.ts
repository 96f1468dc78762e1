// Starting the ranks of a data-parallel run as child processes, for the distributed tests.
import { spawn, type ChildProcess } from 'node:child_process';

export { freePort } from '../../lib/distributed/launcher.js';

/** A rank's process, its output so far, and how it ended. */
export interface RankProcess {
  child: ChildProcess;
  stdout: string;
  stderr: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; seconds: number }>;
}

/**
 * Starts `script` (a TypeScript file run through tsx) with `arg`, with the torchrun variables
 * for `rank` of `worldSize` (none when worldSize is undefined: a plain single process).
 */
export function startRank(script: string, arg: string, rank: number | undefined, worldSize: number | undefined, port: number): RankProcess {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of ['RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT', 'LOCAL_RANK']) delete env[k];
  if (worldSize !== undefined) Object.assign(env, { RANK: String(rank), LOCAL_RANK: String(rank), WORLD_SIZE: String(worldSize), MASTER_ADDR: '127.0.0.1', MASTER_PORT: String(port) });
  const started = Date.now();
  const child = spawn(process.execPath, ['--import', 'tsx', script, arg], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const p: RankProcess = {
    child,
    stdout: '',
    stderr: '',
    exited: new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, seconds: (Date.now() - started) / 1000 }))),
  };
  child.stdout!.on('data', (d: Buffer) => (p.stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (p.stderr += d.toString()));
  return p;
}

/** The JSON error line a worker printed on stderr before exiting, if any. */
export function workerError(p: RankProcess): { error: string; code?: string; message: string } | undefined {
  const line = p.stderr.split('\n').find((l) => l.startsWith('{"error"'));
  return line ? (JSON.parse(line) as { error: string; code?: string; message: string }) : undefined;
}
