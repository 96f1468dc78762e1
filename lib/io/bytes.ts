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
