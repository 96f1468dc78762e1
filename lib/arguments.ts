/**
 * Checks at the door of public functions: the kinds of arguments (an options object, bytes, a
 * path), so a careless call (`synthesize()`, `unpickle('file.pkl')`, `readPly(42)`) gets a
 * {@link ValidationError} naming the function and the argument instead of a TypeError from
 * deep inside. Values inside the arguments are checked where they are used (validate.ts).
 *
 * @module
 */

import { ValidationError } from './errors.js';
import { describeValue } from './validate.js';

/**
 * Requires an options object (a plain object, not null, an array or a primitive).
 *
 * @param fn - The public function, for messages (e.g. `'synthesize'`).
 * @param value - What the caller passed.
 * @param name - The argument's name (default `'options'`).
 * @returns `value`, typed.
 * @throws {@link ValidationError} when it is not an object.
 */
export function requireOptions<T>(fn: string, value: T, name = 'options'): NonNullable<T> {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || ArrayBuffer.isView(value)) {
    throw new ValidationError(`${fn}: expected ${name} to be an object, received ${describeValue(value)}`);
  }
  return value as NonNullable<T>;
}

/**
 * Like {@link requireOptions}, but `undefined` stands for "no options" and gives `{}`.
 *
 * @throws {@link ValidationError} when it is neither undefined nor an object.
 */
export function optionalOptions<T extends object>(fn: string, value: T | undefined, name = 'options'): T | Partial<T> {
  return value === undefined ? {} : requireOptions(fn, value, name);
}

/**
 * Requires bytes (a Uint8Array, Node's Buffer included).
 *
 * @throws {@link ValidationError} naming the function and argument otherwise (a path string is
 *   pointed to the function's file-reading twin when there is one).
 */
export function requireBytes(fn: string, value: unknown, name = 'bytes', readerHint?: string): Uint8Array {
  if (value instanceof Uint8Array) return value;
  const hint = typeof value === 'string' && readerHint !== undefined ? ` (to read a file, use ${readerHint})` : '';
  throw new ValidationError(`${fn}: expected ${name} to be a Uint8Array or Buffer, received ${describeValue(value)}${hint}`);
}

/**
 * Requires a file-system path: a non-empty string without NUL characters.
 *
 * @throws {@link ValidationError} naming the function and argument otherwise.
 */
export function requirePath(fn: string, value: unknown, name = 'path'): string {
  if (typeof value === 'string' && value.length > 0 && !value.includes('\0')) return value;
  throw new ValidationError(`${fn}: expected ${name} to be a non-empty path string, received ${describeValue(value)}`);
}
