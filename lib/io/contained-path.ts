/**
 * Files that name other files (a dataset's JSON naming its images, a checkpoint naming its
 * weights) must not reach outside their own folder unless the caller says so: a file from
 * someone else could otherwise make ggtalker read `/etc/passwd` or `../../secrets`.
 *
 * @module
 */

import { isAbsolute, relative, resolve, sep } from 'node:path';

import { FormatError } from '../errors.js';

/** Options of {@link resolveContained}. */
export interface ResolveContainedOptions {
  /** Accept absolute paths and paths leading out of the folder (the caller trusts the file). */
  allowExternal?: boolean | undefined;
  /** The file that names the reference, for messages. */
  from?: string | undefined;
  /** The field that holds the reference, for messages (e.g. `'frames[3].file_path'`). */
  field?: string | undefined;
  /** The option that lets the caller accept external paths, for messages (e.g. `'allowExternalFiles: true'`). */
  optIn?: string | undefined;
}

/**
 * Resolves a path that a file names, relative to `folder`, refusing (unless `allowExternal`)
 * absolute paths and paths that lead outside `folder` (after `..` are resolved; the check is
 * lexical, symbolic links inside the folder are followed as the user placed them).
 *
 * @param folder - The folder the reference is relative to (the naming file's folder).
 * @param reference - The path as the file names it.
 * @param options - The opt-in and names for messages.
 * @returns The absolute path.
 * @throws {@link FormatError} naming the file and the field when the path leads outside.
 */
export function resolveContained(folder: string, reference: string, options: ResolveContainedOptions = {}): string {
  const base = resolve(folder);
  const target = resolve(base, reference);
  if (options.allowExternal === true) return target;
  const rel = relative(base, target);
  const outside = isAbsolute(reference) || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel);
  if (!outside) return target;
  const field = options.field === undefined ? 'a path' : options.field;
  const optIn = options.optIn === undefined ? '' : `; pass ${options.optIn} if you trust this file`;
  throw new FormatError(
    `${field} ${JSON.stringify(reference)} leads outside the folder ${base} (expected a path inside it)${optIn}`,
    { path: options.from },
  );
}
