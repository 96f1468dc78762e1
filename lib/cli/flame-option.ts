/**
 * The `--flame FILE [--flame-uv OBJ] [--flame-landmarks NPY]` options of the commands that
 * take a FLAME model: the official pickle (or .npz / safetensors) with the UV template and
 * landmark embedding it lacks (docs/data-preparation.md, "The files you bring").
 *
 * @module
 */

import { loadFlame } from '../flame/load.js';
import type { FlameModel } from '../flame/model.js';
import { UsageError } from './args.js';

export const FLAME_OPTIONS = { flame: { type: 'string' }, 'flame-uv': { type: 'string' }, 'flame-landmarks': { type: 'string' } } as const;

export const FLAME_HELP = `--flame   the FLAME model the data was tracked with (flame2023.pkl, .npz, .safetensors);
          --flame-uv head_template_mesh.obj gives it the UV layout the pickles lack,
          --flame-landmarks landmark_embedding_with_eyes.npy its landmarks`;

/** The model the options name, or undefined without --flame. */
export async function flameFromOptions(values: Record<string, unknown>): Promise<FlameModel | undefined> {
  const path = values.flame as string | undefined;
  if (path === undefined) {
    if (values['flame-uv'] !== undefined || values['flame-landmarks'] !== undefined) throw new UsageError('--flame-uv and --flame-landmarks go with --flame');
    return undefined;
  }
  const uv = values['flame-uv'] as string | undefined;
  const landmarks = values['flame-landmarks'] as string | undefined;
  return loadFlame(path, { ...(uv ? { uv } : {}), ...(landmarks ? { landmarks } : {}) });
}
