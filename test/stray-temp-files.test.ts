// kill -9 during a save leaves the target intact (old or new content, never partial) and
// nothing that accumulates: a child process writes without end (writeFileAtomic of 16 MiB, or
// an MP4 through the video writer), is killed with SIGKILL mid-write five times, then one
// normal write in this process must leave the folder holding the target alone, with no
// temporary of ours in the system temp folder either. Also: a live owner's temporary is never
// removed.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, lstatSync, readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import ndarray from 'ndarray';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { FileSystemError } from '../lib/errors.js';
import { removeStaleTemporaries, temporaryPathFor, writeFileAtomic } from '../lib/io/atomic.js';
import { Mp4Writer } from '../lib/synthesize/video-writer.js';
import { hasFfmpeg } from './helpers/ffmpeg.js';

const CHILD = fileURLToPath(new URL('./fuzz/audio-temp-writer.child.ts', import.meta.url));
const MiB16 = 16 << 20;

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ggt-stray-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Whether `pid` runs (a zombie, exited but not yet reaped, does not). */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z/.test(stat);
  } catch {
    return false;
  }
}

/**
 * Starts the child, waits for `lines` JSON lines on its stdout plus `delayMs` (and, with
 * `ownTemporary`, until a temporary named with the child's pid is in the target's folder, so the
 * kill lands mid-write however loaded the machine is), then kills it with SIGKILL.
 */
async function killMidWrite(mode: 'atomic' | 'mp4', target: string, lines: number, delayMs: number, ownTemporary = false): Promise<{ ffmpeg?: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, mode, target], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const seen: Record<string, number>[] = [];
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    let buffered = '';
    child.stdout.on('data', (d: Buffer) => {
      buffered += d.toString();
      const parts = buffered.split('\n');
      buffered = parts.pop()!;
      for (const p of parts) if (p.startsWith('{')) seen.push(JSON.parse(p) as Record<string, number>);
      if (seen.length >= lines) resolve();
    });
    child.on('exit', (code) => reject(new Error(`the writer exited early (code ${code}): ${stderr}`)));
  });
  await new Promise((r) => setTimeout(r, delayMs));
  for (let i = 0; ownTemporary && i < 2000; i++) {
    if ((await readdir(dirname(target))).some((n) => n.includes(`.${child.pid}.`))) break;
    await new Promise((r) => setTimeout(r, 1));
  }
  child.kill('SIGKILL');
  await exited;
  return { ffmpeg: seen.find((l) => l.ffmpeg !== undefined)?.ffmpeg };
}

const ours = (names: string[]): string[] => names.filter((n) => /\.tmp(\.[a-z0-9]+)?$/.test(n) || n.startsWith('ggtalker-audio.'));

describe('temporary files after kill -9', () => {
  it('writeFileAtomic: five killed writers leave no temporaries behind the next write, and the target is whole', async () => {
    const folder = join(dir, 'atomic');
    execFileSync('mkdir', ['-p', folder]);
    const target = join(folder, 'avatar.ggtavatar');
    await writeFile(target, new Uint8Array(MiB16).fill(0));
    let leftAtSomeKill = 0;
    for (let k = 0; k < 5; k++) {
      // Each killed writer's first write sweeps its predecessors' leftovers, so count after each kill.
      await killMidWrite('atomic', target, 2 + k, 30 * k, true);
      leftAtSomeKill = Math.max(leftAtSomeKill, ours(await readdir(folder)).length);
    }
    // The scenario happened: a kill mid-write left a temporary (else this test proves nothing).
    expect(leftAtSomeKill).toBeGreaterThan(0);
    // The target is one whole write: 16 MiB of one byte value (the initial 0 or a child's).
    const bytes = await readFile(target);
    expect(bytes.length).toBe(MiB16);
    expect(bytes.every((b) => b === bytes[0])).toBe(true);

    await writeFileAtomic(target, new Uint8Array(MiB16).fill(7));
    expect(await readdir(folder)).toEqual(['avatar.ggtavatar']);
    const after = await readFile(target);
    expect(after.length === MiB16 && after.every((b) => b === 7)).toBe(true);
  }, 120_000);

  it.skipIf(!hasFfmpeg('ffprobe'))('the MP4 writer: five killed writers leave no temporaries (video or speech WAV) behind the next write', async () => {
    const folder = join(dir, 'mp4');
    execFileSync('mkdir', ['-p', folder]);
    const target = join(folder, 'talk.mp4');
    // A speech WAV as earlier versions left in the system temp folder after kill -9 (owner pid cannot exist).
    const legacy = join(tmpdir(), `ggtalker-audio.${2 ** 22 + 1}.0123456789ab.wav`);
    await writeFile(legacy, 'RIFF');
    const tmpBefore = ours(await readdir(tmpdir())).filter((n) => n !== legacy.slice(tmpdir().length + 1));
    let leftAtSomeKill = 0;
    for (let k = 0; k < 5; k++) {
      const { ffmpeg } = await killMidWrite('mp4', target, 2 + k, 20 * k);
      // ffmpeg outlives its killed parent (it finishes the temporary on end of input): wait for it.
      for (let i = 0; ffmpeg !== undefined && running(ffmpeg) && i < 500; i++) await new Promise((r) => setTimeout(r, 20));
      leftAtSomeKill = Math.max(leftAtSomeKill, ours(await readdir(folder)).length);
    }
    expect(leftAtSomeKill).toBeGreaterThan(0);
    expect(existsSync(target)).toBe(false);

    const writer = await Mp4Writer.open(target, { width: 64, height: 64, fps: 25, audio: new Float32Array(16000) });
    await writer.write(ndarray(new Float32Array(10 * 64 * 64 * 3).fill(0.25), [10, 64, 64, 3]));
    await writer.finish();
    expect(await readdir(folder)).toEqual(['talk.mp4']);
    // Nothing new in the system temp folder (others' files may go: stale ones of dead owners), and the legacy leftover is gone.
    expect(ours(await readdir(tmpdir())).filter((n) => !tmpBefore.includes(n))).toEqual([]);
    expect(existsSync(legacy)).toBe(false);
    const frames = execFileSync('ffprobe', ['-v', 'error', '-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=nb_read_frames', '-of', 'csv=p=0', target], { encoding: 'utf8' });
    expect(Number(frames.trim())).toBe(10);
  }, 180_000);

  it("never removes a live process's temporary, nor a file that only looks like one", async () => {
    const folder = join(dir, 'live');
    execFileSync('mkdir', ['-p', folder]);
    const mine = temporaryPathFor(join(folder, 'a.bin'));
    // pid 1 always exists; 2^22 + 1 is above Linux's largest pid (so it cannot exist).
    const live = join(folder, '.b.bin.1.0123456789ab.tmp');
    const dead = join(folder, `.c.bin.${2 ** 22 + 1}.0123456789ab.tmp.mp4`);
    const lookalike = join(folder, `.d.bin.${2 ** 22 + 1}.not-hex-at-all.tmp`);
    for (const p of [mine, live, dead, lookalike]) await writeFile(p, 'x');
    expect(await removeStaleTemporaries(folder, true)).toEqual([dead]);
    expect((await readdir(folder)).sort()).toEqual([mine, live, lookalike].map((p) => p.slice(folder.length + 1)).sort());
  });
});


describe('what an atomic write may replace', () => {
  it('refuses a FIFO or a folder at the target (the rename would replace it) and leaves it as it was', async () => {
    const folder = join(dir, 'targets');
    execFileSync('mkdir', ['-p', join(folder, 'a-folder')]);
    const fifo = join(folder, 'pipe');
    execFileSync('mkfifo', [fifo]);
    for (const target of [fifo, join(folder, 'a-folder')]) {
      const error = await writeFileAtomic(target, new Uint8Array(4)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(FileSystemError);
      expect((error as Error).message).toMatch(/it exists and is a FIFO|it is a folder/);
    }
    expect(lstatSync(fifo).isFIFO()).toBe(true);
    expect(lstatSync(join(folder, 'a-folder')).isDirectory()).toBe(true);
    expect((await readdir(folder)).sort()).toEqual(['a-folder', 'pipe']);
    // A regular file and a new name are written as before.
    await writeFileAtomic(join(folder, 'new.bin'), new Uint8Array([1, 2]));
    expect([...readFileSync(join(folder, 'new.bin'))]).toEqual([1, 2]);
  });
});
