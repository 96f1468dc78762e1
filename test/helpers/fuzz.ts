// Fuzz harness: runs hostile inputs through the library in a child process, one case at a time,
// with a per-case time limit and a memory watch (the child's RSS, sampled from /proc), so that a
// hang or a memory bomb fails the test with the case's name instead of hanging or killing the
// test runner. A cases module exports a function returning (async) iterables of FuzzCase.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** One hostile input: `run` feeds it to the library; throwing is fine if the error is typed. */
export interface FuzzCase {
  name: string;
  run: () => unknown;
}

/** What happened to one case. */
export interface FuzzReport {
  name: string;
  outcome: 'ok' | 'threw' | 'timeout' | 'memory' | 'crash';
  ms: number;
  /** Whether the error was a GgtalkerError (instanceof, in the child). */
  typed?: boolean;
  errorName?: string;
  code?: string | undefined;
  message?: string;
  /** The child's peak RSS in MiB while this case ran (sampled every 20 ms). */
  peakRssMiB?: number;
}

/** Limits of {@link runFuzzCases}. */
export interface FuzzLimits {
  /** Time one case may take (default 10 s); the child is killed and the run stops past it. */
  perCaseMs?: number;
  /** RSS the child may reach (default 2048 MiB, the addon alone takes ~300). */
  maxRssMiB?: number;
  /** The cases module's export to run (default `cases`). */
  exportName?: string;
  /** Extra environment for the child. */
  env?: Record<string, string>;
}

const CHILD = fileURLToPath(new URL('./fuzz-child.ts', import.meta.url));

/**
 * Runs every case of `casesFile` in one child process. Stops at the first case that hangs,
 * bombs memory or crashes the process (reported as such, with the cases before it).
 *
 * @returns One report per case that ran.
 */
export async function runFuzzCases(casesFile: string, limits: FuzzLimits = {}): Promise<FuzzReport[]> {
  const perCaseMs = limits.perCaseMs ?? 10_000;
  const maxRssMiB = limits.maxRssMiB ?? 2048;
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, casesFile, limits.exportName ?? 'cases'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...limits.env },
  });
  const reports: FuzzReport[] = [];
  let current: { name: string; t0: number; peak: number } | undefined;
  let killed: FuzzReport['outcome'] | undefined;
  let stderr = '';
  let buffered = '';
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  child.stdout.on('data', (d: Buffer) => {
    buffered += d.toString();
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      if (!line.startsWith('{')) continue;
      const msg = JSON.parse(line) as { start?: string; end?: FuzzReport & { maxRssKiB: number } };
      if (msg.start !== undefined) current = { name: msg.start, t0: performance.now(), peak: 0 };
      if (msg.end !== undefined) {
        const { maxRssKiB, ...report } = msg.end;
        const peak = Math.max(current?.peak ?? 0, maxRssKiB / 1024);
        reports.push({ ...report, peakRssMiB: Math.round(peak), ...(peak > maxRssMiB ? { outcome: 'memory' as const } : {}) });
        current = undefined;
      }
    }
  });
  const watch = setInterval(() => {
    if (current === undefined || killed !== undefined) return;
    const rss = rssMiB(child.pid!);
    current.peak = Math.max(current.peak, rss);
    if (rss > maxRssMiB) killed = 'memory';
    else if (performance.now() - current.t0 > perCaseMs) killed = 'timeout';
    if (killed !== undefined) child.kill('SIGKILL');
  }, 20);
  const exitCode = await new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  clearInterval(watch);
  if (current !== undefined) {
    reports.push({
      name: current.name,
      outcome: killed ?? 'crash',
      ms: performance.now() - current.t0,
      peakRssMiB: Math.round(current.peak),
      message: killed === undefined ? `the process exited (code ${exitCode}): ${stderr.slice(-1500)}` : undefined,
    } as FuzzReport);
  } else if (exitCode !== 0) {
    throw new Error(`fuzz child failed (code ${exitCode}) outside any case:\n${stderr}`);
  }
  return reports;
}

/**
 * The reports that break the rules: killed (hang, memory, crash) or an untyped error.
 * Use as `expect(fuzzFailures(reports)).toEqual([])` so a failure lists the cases.
 */
export function fuzzFailures(reports: FuzzReport[]): string[] {
  return reports
    .filter((r) => r.outcome === 'timeout' || r.outcome === 'memory' || r.outcome === 'crash' || (r.outcome === 'threw' && r.typed !== true))
    .map((r) => `${r.name}: ${r.outcome}${r.errorName ? ` ${r.errorName}` : ''}${r.message ? ` (${r.message.slice(0, 200)})` : ''} after ${Math.round(r.ms)} ms, peak ${r.peakRssMiB ?? '?'} MiB`);
}

function rssMiB(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/**
 * Like {@link runFuzzCases}, but after a case that kills the child (hang, memory, crash) a new
 * child continues with the next case, so one run reports every case.
 */
export async function runEveryFuzzCase(casesFile: string, limits: FuzzLimits = {}): Promise<FuzzReport[]> {
  const reports: FuzzReport[] = [];
  for (;;) {
    const run = await runFuzzCases(casesFile, { ...limits, env: { ...limits.env, GGT_FUZZ_SKIP: String(reports.length) } });
    reports.push(...run);
    const last = run[run.length - 1];
    if (last === undefined || last.outcome === 'ok' || last.outcome === 'threw') return reports;
  }
}
