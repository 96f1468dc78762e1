/**
 * Reading whole files safely: regular files only (a FIFO, a device such as `/dev/zero`, a
 * socket or a folder is refused before a byte is read, and never blocks), sizes checked against
 * a stated limit before anything is allocated, and file-system failures turned into
 * {@link FileSystemError}s naming the path. Every loader that reads a whole file goes through
 * here; readers of large files read ranges instead ({@link readRangesFromFile}).
 *
 * @module
 */

import { requirePath } from '../arguments.js';
import { FileSystemError, FormatError, GgtalkerError } from '../errors.js';
import { RandomAccessFile } from './random-access.js';

/** Limits of {@link readRegularFile}. */
export interface ReadFileOptions {
  /**
   * The largest file accepted, in bytes. Larger files are refused with a {@link FormatError}
   * before any byte is read. Defaults to {@link DEFAULT_MAX_FILE_BYTES}.
   */
  maxBytes?: number;
  /** What the file holds, for messages (e.g. `'the dataset's JSON'`). */
  what?: string;
  /** How the caller raises the limit, for messages (e.g. `'pass maxBytes'`). */
  howToRaise?: string;
}

/** Default size limit of a whole-file read: 2 GiB (Node's largest single buffer is 4 GiB). */
export const DEFAULT_MAX_FILE_BYTES = 2 ** 31;

/** Default size limit of a JSON or text file: 256 MiB. */
export const DEFAULT_MAX_TEXT_BYTES = 2 ** 28;

/**
 * Reads a whole regular file.
 *
 * @param path - The file.
 * @param options - The size limit and names for messages.
 * @returns Its bytes (a fresh buffer).
 * @throws {@link FormatError} when the path is not a regular file or is larger than the limit;
 *   {@link FileSystemError} when it cannot be opened or read (missing, not permitted, ...).
 */
export async function readRegularFile(path: string, options: ReadFileOptions = {}): Promise<Uint8Array> {
  requirePath(options.what === undefined ? 'reading a file' : `reading ${options.what}`, path);
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_FILE_BYTES;
  const file = await RandomAccessFile.open(path);
  try {
    if (file.size > maxBytes) {
      const what = options.what ?? 'the file';
      const raise = options.howToRaise === undefined ? '' : `; ${options.howToRaise} to raise the limit`;
      throw new FormatError(`${what} is ${file.size} bytes, more than the ${maxBytes}-byte limit${raise}`, { path });
    }
    return await file.read({ offset: 0, length: file.size, what: options.what ?? 'the file' });
  } finally {
    await file.close().catch(() => undefined);
  }
}

/**
 * Reads a whole regular file as UTF-8 text (limit {@link DEFAULT_MAX_TEXT_BYTES} unless given).
 *
 * @throws As {@link readRegularFile}.
 */
export async function readTextFile(path: string, options: ReadFileOptions = {}): Promise<string> {
  const bytes = await readRegularFile(path, { ...options, maxBytes: options.maxBytes ?? DEFAULT_MAX_TEXT_BYTES });
  return new TextDecoder().decode(bytes);
}

/**
 * Reads and parses a JSON file.
 *
 * @param path - The file.
 * @param options - The size limit and what the file holds, for messages.
 * @returns The parsed value (unchecked: the caller validates its fields).
 * @throws {@link FormatError} naming the file when it is not valid JSON; as {@link readTextFile}.
 */
export async function readJsonFile(path: string, options: ReadFileOptions = {}): Promise<unknown> {
  return parseJsonText(await readTextFile(path, options), path, options.what);
}

/**
 * Parses JSON text that came from `path` (or from inside it, e.g. a member of a container),
 * turning a syntax error into a {@link FormatError}.
 *
 * @param text - The JSON text.
 * @param path - Where it came from, for messages.
 * @param what - What it holds, for messages.
 */
export function parseJsonText(text: string, path: string | undefined, what = 'the JSON'): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    // V8's message quotes the text; the position alone is given, since the text may be a file
    // that is not the user's (the full message stays in `cause`).
    const position = /position (\d+)/.exec((error as Error).message)?.[1];
    throw new FormatError(`${what} is not valid JSON${position === undefined ? '' : ` (at character ${position})`}`, { path, cause: error });
  }
}

/**
 * Runs a file-system operation on `path`, turning Node's errors (ENOENT, EACCES, EISDIR, ...)
 * into a {@link FileSystemError} naming the path; ggtalker's own errors pass through.
 *
 * @param path - The file or folder operated on.
 * @param verb - What was being done, for the message (`'read'`, `'write'`, `'create'`).
 * @param operation - The operation.
 */
export async function withFileErrors<T>(path: string, verb: string, operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    throw asFileSystemError(error, path, verb);
  }
}

/** Node's file-system error as a {@link FileSystemError} (ggtalker errors are returned as they are). */
export function asFileSystemError(error: unknown, path: string, verb: string): Error {
  if (error instanceof GgtalkerError) return error;
  const systemCode = (error as { code?: unknown } | null)?.code;
  const code = typeof systemCode === 'string' ? systemCode : undefined;
  const reason = code === undefined ? String((error as Error | null)?.message ?? error) : FILE_ERROR_WORDS[code] ?? (error as Error).message;
  return new FileSystemError(`could not ${verb} it: ${reason}`, { path, systemCode: code, cause: error });
}

/** Node's error codes in words. */
const FILE_ERROR_WORDS: Record<string, string> = {
  ENOENT: 'no such file or folder (ENOENT)',
  EACCES: 'permission denied (EACCES)',
  EPERM: 'operation not permitted (EPERM)',
  EISDIR: 'it is a folder, expected a file (EISDIR)',
  ENOTDIR: 'a part of the path is not a folder (ENOTDIR)',
  ENOSPC: 'no space left on the device (ENOSPC)',
  EROFS: 'the file system is read-only (EROFS)',
  EEXIST: 'it already exists (EEXIST)',
  ELOOP: 'too many symbolic links (ELOOP)',
  ENAMETOOLONG: 'the name is too long (ENAMETOOLONG)',
  EMFILE: 'too many open files (EMFILE)',
};
