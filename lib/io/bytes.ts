/**
 * Byte helpers shared by the binary readers.
 *
 * @module
 */

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
