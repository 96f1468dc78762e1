/**
 * Atomic file replacement: what the user had is never left half-written; and temporary files
 * that a killed process left behind are recognised and removed by later writes.
 *
 * Every temporary file ggtalker writes beside a target is named
 * `.<target name>.<owner pid>.<12 hex digits>.tmp[.<ext>]`. A process killed with SIGKILL cannot
 * clean up, so each write first sweeps its folder (once per process and minute): a temporary
 * whose owner pid no longer exists (`kill(pid, 0)` fails with ESRCH) is removed; one whose
 * owner is alive (a concurrent writer, or this process) is never touched.
 *
 * @module
 */

import { randomBytes } from 'node:crypto';
import { lstat, open, readdir, rename, rm, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';

import { FileSystemError } from '../errors.js';
import { asFileSystemError } from './read-file.js';

/** `.<name>.<pid>.<hex>.tmp` with an optional extension (`.mp4`, `.wav`): see the module comment. */
const TEMPORARY_NAME = /^\..+\.(\d{1,10})\.[0-9a-f]{12}\.tmp(?:\.[A-Za-z0-9]{1,8})?$/;

/** A folder is swept again after this long, ms (a long-running process outlives other writers). */
const SWEEP_INTERVAL_MS = 60_000;

/** When each folder was last swept by this process (resolved path -> ms). */
const swept = new Map<string, number>();

/**
 * A fresh temporary path beside `target`, owned by this process:
 * `.<name>.<pid>.<hex>.tmp<extension>`. Later writes to the folder remove it if this process
 * dies without removing it.
 *
 * @param target - The file the temporary will become (or accompanies).
 * @param extension - Appended after `.tmp` (`'.mp4'`: tools that pick a format by extension).
 */
export function temporaryPathFor(target: string, extension = ''): string {
  return join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp${extension}`);
}

/** Whether process `pid` exists (a process we may not signal, EPERM, exists too). */
function processExists(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/**
 * Removes the temporaries in `folder` left by processes that no longer exist (see the module
 * comment). Runs at most once a minute per folder and process; never throws (a folder that
 * cannot be listed is left alone: the write that follows reports its own error).
 *
 * @param folder - The folder to sweep.
 * @param force - Sweep even when this process swept the folder less than a minute ago.
 * @param pattern - The names to consider, the owner pid as group 1 (default: ggtalker's temporaries).
 * @returns The paths removed.
 */
export async function removeStaleTemporaries(folder: string, force = false, pattern: RegExp = TEMPORARY_NAME): Promise<string[]> {
  const resolved = resolve(folder);
  const key = `${resolved}\0${pattern.source}`;
  const now = Date.now();
  const last = swept.get(key);
  if (!force && last !== undefined && now - last < SWEEP_INTERVAL_MS) return [];
  swept.set(key, now);
  let names: string[];
  try {
    names = await readdir(resolved);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const match = pattern.exec(name);
    if (match === null) continue;
    const pid = Number(match[1]);
    if (pid <= 0 || processExists(pid)) continue;
    const path = join(resolved, name);
    try {
      await rm(path, { force: true });
      removed.push(path);
    } catch {
      // Not ours to fix (permissions, a folder of that name): leave it.
    }
  }
  return removed;
}

/**
 * Writes `data` to a temporary file beside `path`, flushes it to disk, then renames it over
 * `path`: readers see the old file or the new one, never a partial one. The temporary file is
 * removed if anything fails; temporaries of killed processes in the folder are removed first.
 *
 * @throws {@link FileSystemError} naming `path` when the file cannot be written (missing folder,
 *   permission denied, disk full...) or `path` is something other than a file (a folder, a
 *   device such as `/dev/zero`, a FIFO): the rename would replace it.
 */
export async function writeFileAtomic(path: string, data: Uint8Array): Promise<void> {
  await requireReplaceableTarget(path);
  await removeStaleTemporaries(dirname(path));
  const temporary = temporaryPathFor(path);
  let handle: FileHandle | undefined;
  try {
    handle = await open(temporary, 'wx');
    await handle.writeFile(data);
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(temporary, path);
  } catch (error) {
    await handle?.close().catch(() => undefined);
    await rm(temporary, { force: true }).catch(() => undefined);
    throw asFileSystemError(error, path, 'write');
  }
}

/**
 * Refuses a target that exists and is not a regular file (or a symbolic link, which the rename
 * replaces without touching what it points to): renaming over `/dev/zero` as root replaces the
 * device with a file.
 *
 * @throws {@link FileSystemError} naming `path`.
 */
export async function requireReplaceableTarget(path: string): Promise<void> {
  const existing = await lstat(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw asFileSystemError(error, path, 'write');
  });
  if (existing === undefined || existing.isFile() || existing.isSymbolicLink()) return;
  if (existing.isDirectory()) throw new FileSystemError('could not write it: it is a folder, expected a file path (EISDIR)', { path, systemCode: 'EISDIR' });
  const kind = existing.isFIFO() ? 'a FIFO' : existing.isCharacterDevice() || existing.isBlockDevice() ? 'a device' : 'not a regular file';
  throw new FileSystemError(`could not write it: it exists and is ${kind}, expected a file path`, { path });
}
