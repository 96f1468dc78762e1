/**
 * Whether a path exists (any kind of file), without throwing.
 *
 * @module
 */

import { access } from 'node:fs/promises';

export async function pathExists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
