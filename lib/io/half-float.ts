/**
 * Widening of 16-bit floats (IEEE half precision and bfloat16) to float32, for readers of
 * files that store them (JavaScript has no 16-bit float array in Node 20).
 *
 * @module
 */

/**
 * Converts IEEE 754 half-precision bit patterns to float32 values, exactly (every half value,
 * subnormals, infinities and NaN included, is representable in float32).
 *
 * @param bits - The 16-bit patterns.
 * @returns The values as float32.
 */
export function float16ToFloat32(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) {
    const h = bits[i]!;
    const sign = h & 0x8000 ? -1 : 1;
    const exponent = (h >> 10) & 0x1f;
    const mantissa = h & 0x3ff;
    if (exponent === 0) out[i] = sign * mantissa * 2 ** -24; // zero and subnormals
    else if (exponent === 0x1f) out[i] = mantissa === 0 ? sign * Infinity : NaN;
    else out[i] = sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
  }
  return out;
}

/**
 * Converts bfloat16 bit patterns (the upper half of a float32) to float32 values, exactly.
 *
 * @param bits - The 16-bit patterns.
 * @returns The values as float32.
 */
export function bfloat16ToFloat32(bits: Uint16Array): Float32Array {
  const words = new Uint32Array(bits.length);
  for (let i = 0; i < bits.length; i++) words[i] = bits[i]! << 16;
  return new Float32Array(words.buffer);
}
