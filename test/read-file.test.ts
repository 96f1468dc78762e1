// Whole-file reads (lib/io/read-file.ts): regular files only, the size limit before reading,
// file-system failures as FileSystemError naming the path, JSON errors that do not quote the file.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { FileSystemError, FormatError, ValidationError } from '../lib/errors.js';
import { readJsonFile, readRegularFile } from '../lib/io/read-file.js';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ggt-read-file-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const rejection = (p: Promise<unknown>): Promise<unknown> => p.then(() => undefined, (e: unknown) => e);

describe('readRegularFile', () => {
  it('reads a regular file whole', async () => {
    await writeFile(join(dir, 'a.bin'), Uint8Array.from([1, 2, 3]));
    expect([...(await readRegularFile(join(dir, 'a.bin')))]).toEqual([1, 2, 3]);
  });

  it('refuses a FIFO, a device and a folder before reading (a FIFO without a writer does not block)', async () => {
    const fifo = join(dir, 'pipe');
    execFileSync('mkfifo', [fifo]);
    for (const [path, kind] of [[fifo, 'a FIFO (named pipe)'], ['/dev/zero', 'a character device'], [dir, 'a directory']] as const) {
      const error = await rejection(readRegularFile(path));
      expect(error).toBeInstanceOf(FormatError);
      expect((error as Error).message).toBe(`${path}: expected a regular file, received ${kind}`);
    }
  });

  it('refuses a file over maxBytes before reading it, naming the limit and how to raise it', async () => {
    await writeFile(join(dir, 'big.bin'), new Uint8Array(100));
    const error = await rejection(readRegularFile(join(dir, 'big.bin'), { maxBytes: 99, what: 'the weights', howToRaise: 'pass maxBytes' }));
    expect(error).toBeInstanceOf(FormatError);
    expect((error as Error).message).toMatch(/the weights is 100 bytes, more than the 99-byte limit; pass maxBytes to raise the limit/);
    expect((await readRegularFile(join(dir, 'big.bin'), { maxBytes: 100 })).length).toBe(100);
  });

  it('turns a missing file into a FileSystemError naming the path, and a non-path into a ValidationError', async () => {
    const missing = join(dir, 'nope', 'x.bin');
    const error = await rejection(readRegularFile(missing));
    expect(error).toBeInstanceOf(FileSystemError);
    expect((error as FileSystemError).path).toBe(missing);
    expect((error as FileSystemError).systemCode).toBe('ENOENT');
    expect(await rejection(readRegularFile(42 as never))).toBeInstanceOf(ValidationError);
  });
});

describe('readJsonFile', () => {
  it('names the file and the position of a syntax error, without quoting the file (it may be someone else’s)', async () => {
    const path = join(dir, 'secret.json');
    await writeFile(path, 'root:x:0:0:hunter2');
    const error = await rejection(readJsonFile(path, { what: 'the checkpoint JSON' }));
    expect(error).toBeInstanceOf(FormatError);
    expect((error as Error).message).toMatch(/^.*secret\.json: the checkpoint JSON is not valid JSON/);
    expect((error as Error).message).not.toMatch(/root|hunter2/);
  });
});
