// The official-FLAME-shaped test model (test/fixtures/flame-official: 5023 vertices, 9976
// faces, 8 shape + 4 expression components) loaded as a user loads FLAME: the pickle with its
// template .obj's UVs, both unpacked from their .gz into `dir`.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

import { loadFlame } from '../../lib/flame/load.js';
import type { FlameModel } from '../../lib/flame/model.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/flame-official/', import.meta.url));

export async function officialFlameModel(dir: string): Promise<FlameModel> {
  const pkl = join(dir, 'flame.pkl');
  const obj = join(dir, 'head_template_mesh.obj');
  await writeFile(pkl, gunzipSync(await readFile(join(FIXTURE, 'flame_fake.pkl.gz'))));
  await writeFile(obj, gunzipSync(await readFile(join(FIXTURE, 'head_template_mesh.obj.gz'))));
  const loaded = await loadFlame(pkl, { shapeCount: 8, uv: obj });
  // FLAME's own UV layout leaves the strip VHAP puts the teeth in (u 0.38-0.62, v 0.9575-0.9917)
  // empty (checked on head_template_mesh.obj: none of its 558 texels at 256² is covered); the
  // fixture's random UV triangles are squeezed below it to match.
  const vt = Float32Array.from(loaded.uv!.vt, (x, i) => (i % 2 === 1 ? x * 0.9 : x));
  return { ...loaded, uv: { vt, ft: loaded.uv!.ft } };
}
