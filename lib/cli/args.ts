/**
 * Argument parsing for the commands: node:util parseArgs with typed getters that fail with a
 * usage error (exit code 2) naming the option.
 *
 * @module
 */

import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A mistake in how the command was called (exit code 2). */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export type Options = NonNullable<ParseArgsConfig['options']>;

/** Parses argv against `options` (plus --help); unknown options are usage errors. */
export function parse(argv: string[], options: Options): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  try {
    const r = parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' }, verbose: { type: 'boolean' }, quiet: { type: 'boolean' } }, allowPositionals: true, strict: true });
    return { values: r.values as Record<string, string | boolean | undefined>, positionals: r.positionals };
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** A required string option. */
export function required(values: Record<string, unknown>, name: string): string {
  const v = values[name];
  if (typeof v !== 'string' || v === '') throw new UsageError(`missing --${name}`);
  return v;
}

/** An optional number option. */
export function number(values: Record<string, unknown>, name: string, fallback?: number): number | undefined {
  const v = values[name];
  if (v === undefined) return fallback;
  const n = Number(v);
  if (typeof v !== 'string' || !Number.isFinite(n)) throw new UsageError(`expected --${name} to be a number, received ${String(v)}`);
  return n;
}

/** An optional integer option. */
export function integer(values: Record<string, unknown>, name: string, fallback?: number): number | undefined {
  const n = number(values, name, fallback);
  if (n !== undefined && !Number.isInteger(n)) throw new UsageError(`expected --${name} to be an integer, received ${String(values[name])}`);
  return n;
}
