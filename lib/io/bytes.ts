/**
 * Byte helpers shared by the binary readers.
 *
 * @module
 */

import { requireBytes, requirePath } from '../arguments.js';

/**
 * A plain `Uint8Array` view of some bytes. Readers take their input through this because on a
 * Node `Buffer` (what `readFile` returns) `slice()` shares memory instead of copying and
 * `subarray()` returns more Buffers; on a plain view both behave as the standard says.
 *
 * @param bytes - Any `Uint8Array`, `Buffer` included.
 * @returns A `Uint8Array` over the same memory.
 */
export function plainView(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Bytes as a string of Latin-1 characters, one per byte.
 *
 * @param bytes - The bytes.
 * @returns The string.
 */
export function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

/**
 * Text from a file quoted for a message, cut to `limit` characters (plus its length) when
 * longer: a malformed field may be megabytes long.
 *
 * @param text - The text.
 * @param limit - The most characters quoted.
 * @returns It as a JSON string, cut with `... (N characters)` when longer than `limit`.
 */
export function quotedPreview(text: string, limit = 40): string {
  return text.length <= limit ? JSON.stringify(text) : `${JSON.stringify(text.slice(0, limit))}... (${text.length} characters)`;
}

/**
 * Text for a message cut to `limit` characters (plus its length) when longer.
 *
 * @param text - The text (e.g. a JSON value as written).
 * @param limit - The most characters kept.
 */
export function shortened(text: string, limit = 200): string {
  return text.length <= limit ? text : `${text.slice(0, limit)}... (${text.length} characters)`;
}

/**
 * The door check of a `parseX(bytes, path?)` function: `bytes` must be a `Uint8Array` (a path
 * string is pointed to the reading twin) and `path`, used only in messages, a path string when
 * given, so a careless call gets a ValidationError instead of a TypeError from inside the parser.
 *
 * @param fn - The public function, for messages (e.g. `'parsePly'`).
 * @param bytes - What the caller passed as the file's bytes.
 * @param path - What the caller passed as the file's path (optional).
 * @param readerHint - The function that reads a file, e.g. `'readPly(path)'`.
 * @returns `bytes`, typed.
 * @throws ValidationError naming `fn` and the argument.
 */
export function requireParseArguments(fn: string, bytes: unknown, path: unknown, readerHint?: string): Uint8Array {
  const checked = requireBytes(fn, bytes, 'bytes', readerHint);
  if (path !== undefined) requirePath(fn, path);
  return checked;
}
