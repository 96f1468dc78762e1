/**
 * Decoding of the arguments of pickle's text opcodes (protocol 0): quoted `STRING`s with
 * Python escapes, raw-unicode-escaped `UNICODE`, and decimal `INT`/`LONG`/`FLOAT` lines.
 * Each function returns `undefined` for malformed input; the unpickler reports it with the
 * opcode's byte offset.
 *
 * @module
 */

const SIMPLE_ESCAPES: { readonly [c: string]: number } = {
  '\\': 0x5c,
  "'": 0x27,
  '"': 0x22,
  a: 0x07,
  b: 0x08,
  f: 0x0c,
  n: 0x0a,
  r: 0x0d,
  t: 0x09,
  v: 0x0b,
};

/**
 * Decodes the argument of a `STRING` opcode: a quoted Python 2 `str` literal whose escapes
 * (`\n`, `\xhh`, octal `\ooo`, ...) are undone as `codecs.escape_decode` does.
 *
 * @param line - The line without its newline, quotes included.
 * @returns The bytes, or `undefined` when the line is not a quoted, well-formed literal.
 */
export function decodeQuotedString(line: Uint8Array): Uint8Array | undefined {
  const quote = line[0];
  if (line.length < 2 || (quote !== 0x27 && quote !== 0x22) || line[line.length - 1] !== quote) return undefined;
  // The decoded bytes are never more than the line's: one preallocated buffer (a number[] of a
  // 100 MB line would take 800 MB).
  const out = new Uint8Array(line.length);
  let n = 0;
  const push = (...bytes: number[]): void => {
    for (const byte of bytes) out[n++] = byte;
  };
  for (let i = 1; i < line.length - 1; i++) {
    const c = line[i]!;
    if (c !== 0x5c) {
      out[n++] = c;
      continue;
    }
    const next = String.fromCharCode(line[++i] ?? 0);
    if (i >= line.length - 1) return undefined; // a trailing lone backslash
    const simple = SIMPLE_ESCAPES[next];
    if (simple !== undefined) {
      push(simple);
    } else if (next === '\n') {
      // backslash-newline: a line continuation, nothing is produced
    } else if (next === 'x') {
      const hex = String.fromCharCode(line[i + 1] ?? 0, line[i + 2] ?? 0);
      if (i + 2 >= line.length - 1 || !/^[0-9a-fA-F]{2}$/.test(hex)) return undefined;
      push(parseInt(hex, 16));
      i += 2;
    } else if (next >= '0' && next <= '7') {
      let value = 0;
      let digits = 0;
      for (; digits < 3 && i < line.length - 1 && line[i]! >= 0x30 && line[i]! <= 0x37; digits++, i++) {
        value = value * 8 + (line[i]! - 0x30);
      }
      i--;
      push(value & 0xff);
    } else {
      push(0x5c, line[i]!); // unknown escapes are kept verbatim, as Python does
    }
  }
  return out.slice(0, n);
}

/**
 * Decodes the argument of a `UNICODE` opcode (Python's `raw-unicode-escape`): bytes are
 * Latin-1 characters, except `\uXXXX` and `\UXXXXXXXX` after an odd number of backslashes.
 *
 * @param line - The line without its newline.
 * @returns The text, or `undefined` for a truncated or invalid escape.
 */
export function decodeRawUnicodeEscape(line: Uint8Array): string | undefined {
  let out = '';
  for (let i = 0; i < line.length; ) {
    if (line[i] !== 0x5c) {
      // The run up to the next backslash at once, as Latin-1 (one append per run, not per byte).
      const next = line.indexOf(0x5c, i);
      const end = next < 0 ? line.length : next;
      out += Buffer.from(line.buffer, line.byteOffset + i, end - i).toString('latin1');
      i = end;
      continue;
    }
    let run = 0;
    while (line[i + run] === 0x5c) run++;
    const kind = line[i + run];
    if (run % 2 === 0 || (kind !== 0x75 && kind !== 0x55)) {
      out += '\\'.repeat(run);
      i += run;
      continue;
    }
    out += '\\'.repeat(run - 1);
    const digits = kind === 0x75 ? 4 : 8;
    const hex = String.fromCharCode(...line.subarray(i + run + 1, i + run + 1 + digits));
    if (!new RegExp(`^[0-9a-fA-F]{${digits}}$`).test(hex)) return undefined;
    const code = parseInt(hex, 16);
    if (code > 0x10ffff) return undefined;
    out += String.fromCodePoint(code);
    i += run + 1 + digits;
  }
  return out;
}

/** The most decimal digits an INT or LONG line may have, as in Python 3.11+. */
export const MAX_INTEGER_DIGITS = 4300;

/**
 * Parses a decimal integer line (`INT`, `LONG`, and the memo indices of `PUT`/`GET`),
 * allowing the `L` suffix Python 2 wrote for longs.
 *
 * @param text - The line without its newline.
 * @returns A number when it is a safe integer, a bigint when it is larger, or `undefined`
 *   (also for more than {@link MAX_INTEGER_DIGITS} digits).
 */
export function parseIntegerLine(text: string): number | bigint | undefined {
  const match = /^\s*([+-]?\d+)L?\s*$/.exec(text);
  // Decimal to binary is superlinear; Python's int() (which pickle's INT and LONG call) refuses
  // more than sys.int_info.default_max_str_digits = 4300 digits for the same reason.
  if (match === null || match[1]!.replace(/^[+-]/, '').length > MAX_INTEGER_DIGITS) return undefined;
  const value = BigInt(match[1]!);
  return toNumberIfSafe(value);
}

/**
 * Parses a `FLOAT` line as Python's `float()` would: decimal or exponent notation, `nan`,
 * `inf`, `-inf`.
 *
 * @param text - The line without its newline.
 * @returns The number, or `undefined` when it is not a float literal.
 */
export function parseFloatLine(text: string): number | undefined {
  const t = text.trim().toLowerCase();
  if (/^[+-]?(nan)$/.test(t)) return NaN;
  if (/^[+-]?(inf|infinity)$/.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
  // Unambiguous: the fraction's digits only after a '.' (with `\d+\.?\d*` a long line of
  // digits that fails at its end backtracked through every split of it: quadratic).
  if (!/^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?$/.test(t)) return undefined;
  return Number(t);
}

/**
 * A bigint as a number when no precision is lost, else the bigint itself (how the unpickler
 * represents Python's arbitrary-precision ints).
 *
 * @param value - The integer.
 * @returns `value` as a number if it is a safe integer, else `value`.
 */
export function toNumberIfSafe(value: bigint): number | bigint {
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
}
