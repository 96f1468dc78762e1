// The official FLAME files' companions: the template .obj (UV layout), the landmark embedding
// .npy, an old-scipy pickle, VHAP's teeth and the model identity. Fixtures and their numpy
// reference: test/fixtures/flame-official (make_fixtures.py, README.md).
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FormatError, ValidationError } from '../lib/errors.js';
import { flameIdentity } from '../lib/flame/identity.js';
import { parseFlameLandmarkEmbedding } from '../lib/flame/landmark-embedding.js';
import { attachFlameLandmarks, attachFlameUv, loadFlame } from '../lib/flame/load.js';
import type { FlameModel } from '../lib/flame/model.js';
import { saveFlameNpz, saveFlameSafetensors } from '../lib/flame/save.js';
import { addFlameTeeth, hasFlameTeeth } from '../lib/flame/teeth.js';
import type { NdArrayData } from '../lib/io/ndarray-data.js';
import { parseNpy, parseObjectNpy, readNpz } from '../lib/io/npy.js';
import { parseObj } from '../lib/io/obj.js';
import { PickleUnread, unpickle } from '../lib/io/pickle.js';
import { formatMessage, thrownMessage } from './helpers/errors.js';

const HERE = fileURLToPath(new URL('./fixtures/flame-official/', import.meta.url));
const OLD_FLAME = fileURLToPath(new URL('./fixtures/flame/', import.meta.url));
const counts = JSON.parse(readFileSync(join(HERE, 'expected.json'), 'utf8')) as {
  counts: { V: number; F: number; VT: number; shape: number; expr: number };
  identity: string;
  identity_teeth: string;
};
const { V, F, VT } = counts.counts;
const S = counts.counts.shape;
const E = counts.counts.expr;

let dir: string;
let ref: Map<string, NdArrayData>;
const paths = { model: '', obj: '', landmarks: join(HERE, 'landmark_embedding_with_eyes.npy') };
/** The fixture model with its UV layout and landmarks, loaded once (by the first test that needs it). */
let fullModel: Promise<FlameModel> | undefined;
const loadFull = (): Promise<FlameModel> => (fullModel ??= loadFlame(paths.model, { shapeCount: S, uv: paths.obj, landmarks: paths.landmarks }));

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ggtalker-flame-official-'));
  ref = await readNpz(join(HERE, 'expected.npz'));
  paths.model = join(dir, 'flame_fake.pkl');
  paths.obj = join(dir, 'head_template_mesh.obj');
  await writeFile(paths.model, gunzipSync(await readFile(join(HERE, 'flame_fake.pkl.gz'))));
  await writeFile(paths.obj, gunzipSync(await readFile(join(HERE, 'head_template_mesh.obj.gz'))));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The reference array under `key`, as numbers. */
function refValues(key: string): number[] {
  const array = ref.get(key);
  if (array === undefined) throw new Error(`expected.npz has no ${key}`);
  return Array.from(array.data as ArrayLike<number | bigint>, Number);
}

/** Every value within `tolerance` of the reference (0: exactly equal). */
function expectClose(actual: ArrayLike<number>, expected: readonly number[], tolerance: number, label: string): void {
  expect(actual.length, `${label} length`).toBe(expected.length);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < expected.length; i++) {
    const error = Math.abs(actual[i]! - expected[i]!);
    if (!(error <= worst)) {
      worst = error;
      at = i;
    }
  }
  expect(worst, `${label}: worst error at ${at} (${actual[at]} vs ${expected[at]})`).toBeLessThanOrEqual(tolerance);
}

const obj = (text: string, path = 'mesh.obj') => parseObj(Buffer.from(text, 'latin1'), path);

describe('parseObj', () => {
  it('reads v, vt and the v/vt and v/vt/vn corner forms, ignoring comments, groups, materials and normals', () => {
    const mesh = obj(
      [
        '# a comment',
        'mtllib template.mtl',
        'o head',
        'v 0 0 0',
        'v 1.5 -2 3e-1 1.0', // w ignored
        'v .5 0.25 -1e2 0.1 0.2 0.3', // vertex colours ignored
        'vt 0.25 0.75',
        'vt 1 0 0',
        'vt 0.5 0.5',
        'vn 0 0 1',
        'g part',
        'usemtl skin',
        's off',
        'f 1/1 2/2 3/3   # trailing comment',
        'f 3/3/1 2/2/1 1/1/1',
        '',
      ].join('\r\n'),
    );
    expect(Array.from(mesh.positions)).toEqual([0, 0, 0, 1.5, -2, Math.fround(0.3), 0.5, 0.25, -100]);
    expect(Array.from(mesh.uvs)).toEqual([0.25, 0.75, 1, 0, 0.5, 0.5]);
    expect(Array.from(mesh.faces)).toEqual([0, 1, 2, 2, 1, 0]);
    expect(Array.from(mesh.faceUvs!)).toEqual([0, 1, 2, 2, 1, 0]);
  });

  it('reads v and v//vn corners as faces without texture coordinates', () => {
    const mesh = obj('v 0 0 0\nv 1 0 0\nv 0 1 0\nvn 0 0 1\nf 1 2 3\nf 3//1 2//1 1//1\n');
    expect(Array.from(mesh.faces)).toEqual([0, 1, 2, 2, 1, 0]);
    expect(mesh.faceUvs).toBeUndefined();
    expect(mesh.uvs.length).toBe(0);
  });

  it('resolves negative indices relative to the elements defined so far', () => {
    const mesh = obj('v 0 0 0\nv 1 0 0\nv 0 1 0\nvt 0 0\nvt 1 0\nvt 0 1\nf -3/-3 -2/-2 -1/-1\nv 1 1 0\nvt 1 1\nf -1/-1 -2/-2 -3/-3\nf 1/-4 -1/4 2/1\n');
    expect(Array.from(mesh.faces)).toEqual([0, 1, 2, 3, 2, 1, 0, 3, 1]);
    expect(Array.from(mesh.faceUvs!)).toEqual([0, 1, 2, 3, 2, 1, 0, 3, 0]);
  });

  it('refuses polygons, naming the file and line', () => {
    const message = formatMessage(() => obj('v 0 0 0\nv 1 0 0\nv 0 1 0\nv 1 1 0\nf 1 2 4 3\n', 'quad.obj'));
    expect(message).toMatch(/^quad\.obj: line 5: a face of 4 corners: only triangles are read/);
    expect(message).toMatch(/triangulate/);
  });

  it('names the line of malformed numbers, indices and statements', () => {
    const base = 'v 0 0 0\nv 1 0 0\nv 0 1 0\nvt 0 0\n';
    const cases: [string, RegExp][] = [
      ['v 1 2 zz\n', /line 5: expected a finite float32 number, received "zz"/],
      ['v 1 2\n', /line 5: expected "v x y z", received 2 values/],
      ['v 1 2 1e39\n', /line 5: expected a finite float32 number, received "1e39"/],
      ['f 1 2 4\n', /line 5: vertex index 4 in face corner "4" refers to no vertex defined before it \(3 so far\)/],
      ['f 0 1 2\n', /line 5: vertex index 0 in face corner "0" refers to no vertex/],
      ['f -4 1 2\n', /line 5: vertex index -4 .* \(3 so far\)/],
      ['f 1/2 2/1 3/1\n', /line 5: texture coordinate index 2 in face corner "1\/2" refers to no texture coordinate/],
      ['f 1//1 2 3\n', /line 5: normal index 1 in face corner "1\/\/1" refers to no normal defined before it \(0 so far\)/],
      ['f 1/1 2 3\n', /line 5: a face whose corners mix with and without texture coordinates/],
      ['f 1/1 2/1 3/1\n\nf 1 2 3\n', /line 7: a face without texture coordinates, while the first face \(line 5\) has them/],
      ['f 1/x 2/1 3/1\n', /line 5: malformed texture coordinate index "x"/],
      ['f 1/1/ 2/1 3/1\n', /line 5: malformed face corner "1\/1\/"/],
      ['f 1 2\n', /line 5: expected a face of 3 corners, received 2/],
      ['curv 0 1 1 2\n', /line 5: unsupported statement "curv"/],
    ];
    for (const [tail, pattern] of cases) {
      expect(formatMessage(() => obj(base + tail, 'bad.obj')), tail).toMatch(new RegExp(`^bad\\.obj: ${pattern.source}`));
    }
  });

  it("reads the fixture in FLAME's head_template_mesh.obj layout", async () => {
    const mesh = parseObj(await readFile(paths.obj), paths.obj);
    expect(mesh.positions.length / 3).toBe(V);
    expect(mesh.uvs.length / 2).toBe(VT);
    expectClose(mesh.uvs, refValues('obj_vt'), 0, 'vt');
    expectClose(mesh.faces, refValues('faces'), 0, 'faces');
    expectClose(mesh.faceUvs!, refValues('obj_ft'), 0, 'ft');
  });
});

describe('landmark embeddings', () => {
  it("reads full_lmk_faces_idx [1, 70] / full_lmk_bary_coords [1, 70, 3] from landmark_embedding_with_eyes.npy, leaving its torch tensors unread", async () => {
    const lmk = parseFlameLandmarkEmbedding(await readFile(paths.landmarks), paths.landmarks);
    expect(lmk.faceIdx).toBeInstanceOf(Int32Array);
    expectClose(lmk.faceIdx, refValues('full_lmk_faces_idx'), 0, 'faces');
    expectClose(lmk.bary, refValues('full_lmk_bary_coords').map(Math.fround), 0, 'bary');
  });

  it("reads lmk_face_idx / lmk_b_coords from FLAME's static embedding pickle", async () => {
    const path = join(HERE, 'flame_static_embedding.pkl');
    const lmk = parseFlameLandmarkEmbedding(await readFile(path), path);
    expectClose(lmk.faceIdx, refValues('pkl_lmk_face_idx'), 0, 'faces');
    expectClose(lmk.bary, refValues('pkl_lmk_b_coords').map(Math.fround), 0, 'bary');
  });

  it('the npy is a 0-d object array holding a dict, with PyTorch values as placeholders', async () => {
    const bytes = await readFile(paths.landmarks);
    const unread = (module: string) => module.startsWith('torch');
    const array = parseObjectNpy(bytes, 'x.npy', { unread });
    expect(array.shape).toEqual([]);
    const dict = array.items[0] as Map<string, unknown>;
    expect([...dict.keys()]).toEqual([
      'static_lmk_faces_idx',
      'static_lmk_bary_coords',
      'dynamic_lmk_faces_idx',
      'dynamic_lmk_bary_coords',
      'full_lmk_faces_idx',
      'full_lmk_bary_coords',
    ]);
    expect(dict.get('dynamic_lmk_faces_idx')).toBeInstanceOf(PickleUnread);
    expect((dict.get('dynamic_lmk_faces_idx') as PickleUnread).typeName).toBe('torch._utils._rebuild_tensor_v2');
    expect((dict.get('static_lmk_bary_coords') as NdArrayData).shape).toEqual([53, 3]);
    // Without leave to skip them, the torch names are refused; parseNpy refuses object arrays.
    expect(formatMessage(() => parseObjectNpy(bytes, 'x.npy'))).toMatch(/refusing to load torch\.(_utils\._rebuild_tensor_v2|storage\._load_from_bytes)/);
    expect(formatMessage(() => parseNpy(bytes, 'x.npy'))).toMatch(/unsupported \.npy dtype '\|O'/);
  });

  it('unread placeholders only stand in for the names asked for', () => {
    const pickle = Buffer.from('\x80\x02ctorch._utils\n_rebuild_tensor_v2\n)R.', 'latin1');
    expect(unpickle(pickle, 't.pkl', { unread: (module) => module === 'torch._utils' })).toBeInstanceOf(PickleUnread);
    expect(formatMessage(() => unpickle(pickle, 't.pkl'))).toMatch(/refusing to load torch\._utils\._rebuild_tensor_v2/);
    const system = Buffer.from('\x80\x02cposix\nsystem\nX\x02\x00\x00\x00ls\x85R.', 'latin1');
    expect(formatMessage(() => unpickle(system, 's.pkl', { unread: (module) => module === 'torch._utils' }))).toMatch(/refusing to load posix\.system/);
  });

  it('refuses a dict without landmark keys (listing its keys), a torch tensor where an array is needed, and a numeric npy', async () => {
    // A pickled dict {'a': 1, 'full_lmk_faces_idx': torch tensor, 'full_lmk_bary_coords': 2}.
    const dictPickle = (faces: string) =>
      Buffer.from(`\x80\x02}(X\x01\x00\x00\x00aK\x01X\x12\x00\x00\x00${faces}ctorch._utils\n_rebuild_tensor_v2\n)RX\x14\x00\x00\x00full_lmk_bary_coordsK\x02u.`, 'latin1');
    expect(formatMessage(() => parseFlameLandmarkEmbedding(dictPickle('xxxx_lmk_faces_idx'), 'l.pkl'))).toMatch(
      /^l\.pkl: expected a FLAME landmark embedding: .* received a dict of a, xxxx_lmk_faces_idx, full_lmk_bary_coords$/,
    );
    expect(formatMessage(() => parseFlameLandmarkEmbedding(dictPickle('full_lmk_faces_idx'), 'l.pkl'))).toMatch(
      /expected full_lmk_faces_idx to be a numpy array, received a PyTorch object \(torch\._utils\._rebuild_tensor_v2\)/,
    );
    const numeric = await readFile(join(OLD_FLAME, 'npy_f4.npy'));
    expect(formatMessage(() => parseFlameLandmarkEmbedding(numeric, 'n.npy'))).toMatch(/expected an object array \(dtype '\|O'\), received dtype '<f4'/);
  });
});

describe('loadFlame with the template .obj and the landmark embedding', () => {
  it('loads the old-scipy pickle (J_regressor as scipy.sparse.csc.csc_matrix)', async () => {
    const full = await loadFull();
    const bytes = gunzipSync(await readFile(join(HERE, 'flame_fake.pkl.gz')));
    expect(bytes.includes(Buffer.from('cscipy.sparse.csc\ncsc_matrix\n'))).toBe(true);
    expect(bytes.includes(Buffer.from('scipy.sparse._csc'))).toBe(false);
    expect(full.vertexCount).toBe(V);
    expect(full.shapeCount).toBe(S);
    expect(full.exprCount).toBe(E);
    expectClose(full.jRegressor, refValues('J_regressor'), 0, 'J_regressor');
    expectClose(full.faces, refValues('faces'), 0, 'faces');
    const ring = refValues('lip_ring_shapedirs'); // (15, 3, S + E) of the upper lip ring
    const ids = [1713, 1715, 1716, 1735, 1696, 1694, 1657, 3543, 2774, 2811, 2813, 2850, 2833, 2832, 2830];
    ids.forEach((id, i) => {
      for (let k = 0; k < 3; k++) {
        for (let c = 0; c < S + E; c++) {
          const actual = c < S ? full.shapedirs[(id * 3 + k) * S + c]! : full.exprdirs[(id * 3 + k) * E + c - S]!;
          expect(actual).toBe(ring[(i * 3 + k) * (S + E) + c]);
        }
      }
    });
  });

  it("attaches the .obj's vt / ft and the landmarks", async () => {
    const full = await loadFull();
    expectClose(full.uv!.vt, refValues('obj_vt'), 0, 'vt');
    expectClose(full.uv!.ft, refValues('obj_ft'), 0, 'ft');
    expectClose(full.landmarks!.faceIdx, refValues('full_lmk_faces_idx'), 0, 'landmark faces');
    expectClose(full.landmarks!.bary, refValues('full_lmk_bary_coords').map(Math.fround), 0, 'landmark bary');
  });

  it("refuses an .obj whose faces are not the model's, naming both files", async () => {
    const text = await readFile(paths.obj, 'latin1');
    const firstFace = text.indexOf('\nf ') + 1;
    const line = text.slice(firstFace, text.indexOf('\n', firstFace));
    const [, a, b, c] = line.split(' ');
    const swapped = join(dir, 'swapped.obj');
    await writeFile(swapped, text.replace(line, `f ${b} ${a} ${c}`), 'latin1');
    const error = await loadFlame(paths.model, { shapeCount: S, uv: swapped }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FormatError);
    expect((error as Error).message).toContain(swapped);
    expect((error as Error).message).toContain(paths.model);
    expect((error as Error).message).toMatch(/face 0 is \[\d+, \d+, \d+\] \(0-based\) in .* but \[\d+, \d+, \d+\] in the model/);

    const short = join(dir, 'short.obj');
    await writeFile(short, text.slice(0, text.lastIndexOf('\nf ') + 1), 'latin1');
    const shortError = await loadFlame(paths.model, { shapeCount: S, uv: short }).catch((e: unknown) => e);
    expect((shortError as Error).message).toMatch(new RegExp(`short\\.obj: does not fit the model .*flame_fake\\.pkl: it has ${F - 1} faces, the model ${F}`));

    const noUv = join(dir, 'no-uv.obj');
    await writeFile(noUv, text.replace(/^f (\d+)\/\d+ (\d+)\/\d+ (\d+)\/\d+$/gm, 'f $1 $2 $3'), 'latin1');
    const noUvError = await loadFlame(paths.model, { shapeCount: S, uv: noUv }).catch((e: unknown) => e);
    expect((noUvError as Error).message).toMatch(/no-uv\.obj: expected faces with texture coordinates/);
  });

  it("refuses landmarks on faces the model does not have, naming both files", async () => {
    const full = await loadFull();
    const message = formatMessage(() =>
      attachFlameLandmarks(full, { faceIdx: Int32Array.of(0, F), bary: new Float32Array(6) }, { model: 'm.pkl', landmarks: 'l.npy' }),
    );
    expect(message).toBe(`l.npy: does not fit the model m.pkl: landmark 1 lies on face ${F}, but the model has ${F} faces`);
    const mesh = { positions: new Float32Array(9), uvs: new Float32Array(2), faces: Int32Array.of(0, 1, 2), faceUvs: Int32Array.of(0, 0, 0) };
    expect(formatMessage(() => attachFlameUv(full, mesh, { model: 'm.pkl', uv: 'u.obj' }))).toBe(`u.obj: does not fit the model m.pkl: it has 3 vertices, the model ${V}`);
  });

  it('refuses bad paths in the options', async () => {
    await expect(loadFlame(paths.model, { uv: 3 as unknown as string })).rejects.toThrow(ValidationError);
    await expect(loadFlame(paths.model, { landmarks: '' })).rejects.toThrow(/expected options\.landmarks to be a file path/);
  });
});

describe('addFlameTeeth', () => {
  const N = 120;
  const TEETH_FACES = 168;

  /** Rows [from, to) of a flat [rows, width] array. */
  const rows = (data: ArrayLike<number>, width: number, from: number, to: number) => Array.from(data).slice(from * width, to * width);

  it("builds VHAP's teeth: 5143 vertices, 9976 + 168 faces, arrays equal to the numpy reference", async () => {
    const full = await loadFull();
    const teeth = addFlameTeeth(full);
    expect(teeth.vertexCount).toBe(V + N);
    expect(teeth.faces.length / 3).toBe(F + TEETH_FACES);
    // The model's own part is unchanged.
    expect(rows(teeth.vTemplate, 3, 0, V)).toEqual(Array.from(full.vTemplate));
    expect(rows(teeth.faces, 3, 0, F)).toEqual(Array.from(full.faces));
    expect(rows(teeth.shapedirs, 3 * S, 0, V)).toEqual(Array.from(full.shapedirs));
    expect(rows(teeth.lbsWeights, 5, 0, V)).toEqual(Array.from(full.lbsWeights));
    // Teeth vertices: float64 maths rounded to float32 (values ~0.05: float32 steps ~4e-9).
    expectClose(rows(teeth.vTemplate, 3, V, V + N), refValues('teeth_v_template'), 1e-7, 'teeth vertices');
    expectClose(rows(teeth.shapedirs, 3 * S, V, V + N), refValues('teeth_shapedirs'), 1e-9, 'teeth shapedirs');
    expectClose(rows(teeth.exprdirs, 3 * E, V, V + N), refValues('teeth_exprdirs'), 0, 'teeth exprdirs');
    expectClose(rows(teeth.posedirs, 3 * 36, V, V + N), refValues('teeth_posedirs'), 0, 'teeth posedirs');
    expectClose(rows(teeth.lbsWeights, 5, V, V + N), refValues('teeth_weights'), 0, 'teeth weights');
    const teethJ: number[] = [];
    for (let j = 0; j < 5; j++) teethJ.push(...Array.from(teeth.jRegressor.subarray(j * (V + N) + V, (j + 1) * (V + N))));
    expectClose(teethJ, refValues('teeth_J_regressor'), 0, 'teeth J_regressor');
    for (let j = 0; j < 5; j++) expect(Array.from(teeth.jRegressor.subarray(j * (V + N), j * (V + N) + V))).toEqual(Array.from(full.jRegressor.subarray(j * V, (j + 1) * V)));
    expectClose(rows(teeth.faces, 3, F, F + TEETH_FACES), refValues('teeth_faces'), 0, 'teeth faces');
    // UVs: VHAP's linspace table (float32 in the model: 1e-7).
    expect(teeth.uv!.vt.length / 2).toBe(VT + N);
    expectClose(rows(teeth.uv!.vt, 2, VT, VT + N), refValues('teeth_vt'), 1e-7, 'teeth vt');
    expectClose(rows(teeth.uv!.ft, 3, F, F + TEETH_FACES), refValues('teeth_ft'), 0, 'teeth ft');
    expect(rows(teeth.uv!.ft, 3, 0, F)).toEqual(Array.from(full.uv!.ft));
    expect(teeth.landmarks).toEqual(full.landmarks);
    // The input is not modified.
    expect(full.vertexCount).toBe(V);
  });

  it('is idempotent, before and after a save / load', async () => {
    const full = await loadFull();
    const teeth = addFlameTeeth(full);
    expect(hasFlameTeeth(full)).toBe(false);
    expect(hasFlameTeeth(teeth)).toBe(true);
    expect(addFlameTeeth(teeth)).toBe(teeth);
    const path = join(dir, 'teeth.npz');
    await saveFlameNpz(path, teeth);
    const loaded = await loadFlame(path);
    expect(hasFlameTeeth(loaded)).toBe(true);
    expect(addFlameTeeth(loaded)).toBe(loaded);
  });

  it('adds no UVs to a model without a UV layout', async () => {
    const bare = await loadFlame(paths.model, { shapeCount: S });
    const teeth = addFlameTeeth(bare);
    expect(teeth.uv).toBeUndefined();
    expect(teeth.vertexCount).toBe(V + N);
  });

  it("refuses models without FLAME 2020/2023's topology", async () => {
    const full = await loadFull();
    const small = await loadFlame(join(OLD_FLAME, 'model.npz'), { shapeCount: 6 });
    expect(thrownMessage(() => addFlameTeeth(small), ValidationError)).toMatch(
      /^teeth need FLAME 2020\/2023's topology \(5023 vertices, .*\), received a model of 16 vertices$/,
    );
    // 5143 vertices without the teeth triangles is not a model with teeth, nor FLAME.
    const teeth = addFlameTeeth(full);
    const faces = teeth.faces.slice();
    faces[F * 3] = 0;
    const broken = { ...teeth, faces };
    expect(hasFlameTeeth(broken)).toBe(false);
    expect(thrownMessage(() => addFlameTeeth(broken), ValidationError)).toMatch(/received a model of 5143 vertices/);
    // Coinciding lip rings: no mouth to put teeth in.
    const flat = { ...full, vTemplate: new Float32Array(full.vTemplate.length) };
    expect(thrownMessage(() => addFlameTeeth(flat), ValidationError)).toMatch(/lip rings coincide/);
  });
});

describe('flameIdentity', () => {
  it("matches the fixture script's SHA-256 of the same bytes, with and without teeth", async () => {
    const full = await loadFull();
    expect(flameIdentity(full)).toBe(counts.identity);
    expect(flameIdentity(addFlameTeeth(full))).toBe(counts.identity_teeth);
    expect(flameIdentity(full)).toMatch(/^flame-[0-9a-f]{16}$/);
  });

  it('differs between templates and between topologies', async () => {
    const full = await loadFull();
    const other = full.vTemplate.slice();
    other[3 * 100 + 1] = Math.fround(other[3 * 100 + 1]! + 1e-4); // FLAME 2023's template differs from 2020's
    expect(flameIdentity({ ...full, vTemplate: other })).not.toBe(flameIdentity(full));
    const faces = full.faces.slice();
    [faces[0], faces[1]] = [faces[1]!, faces[0]!];
    expect(flameIdentity({ ...full, faces })).not.toBe(flameIdentity(full));
    expect(flameIdentity(addFlameTeeth(full))).not.toBe(flameIdentity(full));
  });

  it('ignores blendshapes, UVs and landmarks, and survives saving and loading', async () => {
    const full = await loadFull();
    const { uv: _uv, landmarks: _landmarks, ...bare } = full;
    expect(flameIdentity({ ...bare, shapedirs: new Float32Array(full.shapedirs.length) })).toBe(flameIdentity(full));
    const teeth = addFlameTeeth(full);
    for (const [name, save] of [['m.npz', saveFlameNpz], ['m.safetensors', saveFlameSafetensors]] as const) {
      const path = join(dir, name);
      await save(path, teeth);
      expect(flameIdentity(await loadFlame(path)), name).toBe(flameIdentity(teeth));
    }
  });

  it('refuses a model whose template is not float32', async () => {
    const full = await loadFull();
    expect(() => flameIdentity({ ...full, vTemplate: new Float64Array(V * 3) as unknown as Float32Array })).toThrow(ValidationError);
  });
});
