// Shared assertion helpers for error tests.
import { expect } from 'vitest';

import { FormatError } from '../../lib/errors.js';

/** Runs `fn`, expects it to throw an instance of `type`, and returns the error's message. */
export function thrownMessage(fn: () => unknown, type: abstract new (...args: never[]) => Error): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(type);
    return (error as Error).message;
  }
  throw new Error(`expected a ${type.name}, but nothing was thrown`);
}

/** Runs `fn`, expects a FormatError, and returns its message. */
export function formatMessage(fn: () => unknown): string {
  return thrownMessage(fn, FormatError);
}
