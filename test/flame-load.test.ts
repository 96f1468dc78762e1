import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FormatError, ValidationError } from '../lib/errors.js';
import { flameIdentity } from '../lib/flame/identity.js';
import { loadFlameLandmarkEmbedding, parseFlameLandmarkEmbedding } from '../lib/flame/landmark-embedding.js';
import { attachFlameLandmarks, attachFlameUv, flameFromArrays, loadFlame } from '../lib/flame/load.js';
import { addFlameTeeth, hasFlameTeeth } from '../lib/flame/teeth.js';
import type { FlameModel } from '../lib/flame/model.js';
import { flameToArrays, saveFlameNpz, saveFlameSafetensors } from '../lib/flame/save.js';
import type { NdArrayData } from '../lib/io/ndarray-data.js';
import { readNpz } from '../lib/io/npy.js';
import { expected, expectValues, fixture, hasNumpy, runPython } from './helpers/array-fixtures.js';
import { formatMessage } from './helpers/errors.js';

const FORMATS = ['model.pkl', 'model_protocol4.pkl', 'model.npz', 'model_compressed.npz', 'model.safetensors'];
const m = expected.model;
const V = m.vertexCount;
const S = m.shapeCount;
const E = m.exprCount;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ggtalker-flame-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Components [start, start + count) of a (rows, width) list, computed independently. */
function columns(values: readonly number[], width: number, start: number, count: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < values.length / width; r++) out.push(...values.slice(r * width + start, r * width + start + count));
  return out;
}

function expectModelMatchesFixture(model: FlameModel, label: string): void {
  expect(model.vertexCount, label).toBe(V);
  expect(model.shapeCount, label).toBe(S);
  expect(model.exprCount, label).toBe(E);
  expectValues(model.vTemplate, m.v_template!, `${label} vTemplate`);
  expect(model.faces).toBeInstanceOf(Int32Array);
  expectValues(model.faces, m.f!, `${label} faces`);
  expectValues(model.shapedirs, columns(m.shapedirs!, S + E, 0, S), `${label} shapedirs`);
  expectValues(model.exprdirs, columns(m.shapedirs!, S + E, S, E), `${label} exprdirs`);
  expectValues(model.posedirs, m.posedirs!, `${label} posedirs`);
  expectValues(model.jRegressor, m.J_regressor!, `${label} jRegressor`);
  expectValues(model.lbsWeights, m.weights!, `${label} lbsWeights`);
  expect(Array.from(model.parents), label).toEqual([-1, 0, 1, 1, 1]);
  expectValues(model.uv!.vt, m.vt!, `${label} vt`);
  expectValues(model.uv!.ft, m.ft!, `${label} ft`);
  expectValues(model.landmarks!.faceIdx, m.lmk_faces_idx!, `${label} landmark faces`);
  expectValues(model.landmarks!.bary, m.lmk_b_coords!, `${label} landmark bary`);
}

/** The fixture model's arrays (from the .npz), to break one at a time. */
async function fixtureArrays(): Promise<Record<string, NdArrayData>> {
  return Object.fromEntries(await readNpz(fixture('model.npz')));
}


describe('loadFlame: the five fixture formats', () => {
  for (const name of FORMATS) {
    it(`loads ${name} into the model numpy wrote`, async () => {
      expectModelMatchesFixture(await loadFlame(fixture(name), { shapeCount: S }), name);
    });
  }

  it('gives the same FlameModel from every format', async () => {
    const models = await Promise.all(FORMATS.map((name) => loadFlame(fixture(name), { shapeCount: S })));
    for (const model of models.slice(1)) expect(model).toEqual(models[0]);
  });

  it('keeps the first shapeCount / exprCount components asked for', async () => {
    const model = await loadFlame(fixture('model.pkl'), { shapeCount: S, exprCount: 2 });
    expect(model.exprCount).toBe(2);
    expectValues(model.exprdirs, columns(m.shapedirs!, S + E, S, 2), 'exprdirs');
    await expect(loadFlame(fixture('model.pkl'), { shapeCount: S, exprCount: E + 1 })).rejects.toThrow(
      new ValidationError(`expected options.exprCount to be at most ${E} (what the file has), received ${E + 1}`),
    );
    await expect(loadFlame(fixture('model.pkl'), { shapeCount: -1 })).rejects.toThrow(ValidationError);
  });

  it('asks for shapeCount when a file with fewer than 400 components does not record its split', async () => {
    await expect(loadFlame(fixture('model.npz'))).rejects.toThrow(
      `${fixture('model.npz')}: cannot tell how many of the ${S + E} components of shapedirs are shape and how many expression ` +
        "(FLAME's files have 300 + 100): pass options.shapeCount",
    );
  });

  it('refuses hostile and unrecognised files', async () => {
    await expect(loadFlame(fixture('evil_system.pkl'))).rejects.toThrow(/refusing to load posix\.system/);
    const path = join(dir, 'model.bin');
    await writeFile(path, 'just some text, not a model');
    await expect(loadFlame(path)).rejects.toThrow(
      new FormatError('unrecognised FLAME model file: expected a pickle (.pkl), a .npz or a .safetensors file', { path }),
    );
  });
});

describe('flameFromArrays: the shape / expression split', () => {
  /** A 2-vertex model whose component k holds the value k everywhere. */
  function tiny(components: number, extra: Record<string, NdArrayData> = {}): Record<string, NdArrayData> {
    const v = 2;
    return {
      v_template: { dtype: 'float32', shape: [v, 3], data: new Float32Array(v * 3) },
      f: { dtype: 'uint32', shape: [1, 3], data: Uint32Array.from([0, 1, 1]) },
      shapedirs: { dtype: 'float32', shape: [v, 3, components], data: Float32Array.from({ length: v * 3 * components }, (_, i) => i % components) },
      posedirs: { dtype: 'float32', shape: [v, 3, 36], data: new Float32Array(v * 3 * 36) },
      J_regressor: { dtype: 'float64', shape: [5, v], data: new Float64Array(5 * v) },
      weights: { dtype: 'float32', shape: [v, 5], data: new Float32Array(v * 5) },
      kintree_table: { dtype: 'uint32', shape: [2, 5], data: Uint32Array.from([4294967295, 0, 1, 1, 1, 0, 1, 2, 3, 4]) },
      ...extra,
    };
  }

  it("splits FLAME's 400 components 300 + 100 by default", () => {
    const model = flameFromArrays(tiny(400));
    expect([model.shapeCount, model.exprCount]).toEqual([300, 100]);
    expect(model.shapedirs.slice(0, 3)).toEqual(Float32Array.from([0, 1, 2]));
    expect(model.exprdirs.slice(0, 3)).toEqual(Float32Array.from([300, 301, 302]));
    expect(model.uv).toBeUndefined();
    expect(model.landmarks).toBeUndefined();
  });

  it('keeps the first shape and expression components (FLAME layout, DECA-style counts)', () => {
    const model = flameFromArrays(tiny(400), undefined, { shapeCount: 100, exprCount: 50 });
    expect([model.shapeCount, model.exprCount]).toEqual([100, 50]);
    expect(model.shapedirs[99]).toBe(99);
    expect(model.exprdirs[0]).toBe(300);
    expect(model.exprdirs[49]).toBe(349);
    expect(model.exprdirs[50]).toBe(300); // next row
  });

  it('uses the split a file records (n_shape, n_expr), and a separate exprdirs', () => {
    const count = (n: number): NdArrayData => ({ dtype: 'int64', shape: [], data: BigInt64Array.of(BigInt(n)) });
    const recorded = flameFromArrays(tiny(12, { n_shape: count(8), n_expr: count(4) }));
    expect([recorded.shapeCount, recorded.exprCount]).toEqual([8, 4]);
    expect(recorded.exprdirs.slice(0, 4)).toEqual(Float32Array.from([8, 9, 10, 11]));
    const exprdirs: NdArrayData = { dtype: 'float32', shape: [2, 3, 3], data: Float32Array.from({ length: 18 }, (_, i) => 100 + (i % 3)) };
    const separate = flameFromArrays(tiny(5, { exprdirs }));
    expect([separate.shapeCount, separate.exprCount]).toEqual([5, 3]);
    expect(separate.exprdirs.slice(0, 3)).toEqual(Float32Array.from([100, 101, 102]));
  });

  it('accepts a root parent of -1 as well as 2^32 - 1 and parents given by joint id', () => {
    const kintree: NdArrayData = { dtype: 'int64', shape: [2, 5], data: BigInt64Array.from([-1n, 10n, 11n, 11n, 11n, 10n, 11n, 12n, 13n, 14n]) };
    expect(Array.from(flameFromArrays(tiny(400, { kintree_table: kintree })).parents)).toEqual([-1, 0, 1, 1, 1]);
  });
});

describe('flameFromArrays: errors name the key', () => {
  it('reports a missing key with the keys present', async () => {
    const arrays = await fixtureArrays();
    delete arrays.posedirs;
    expect(formatMessage(() => flameFromArrays(arrays, 'm.npz', { shapeCount: S }))).toBe(
      'm.npz: missing posedirs: expected FLAME\'s arrays under their official names, received v_template, f, shapedirs, J_regressor, weights, kintree_table, vt, ft, lmk_faces_idx, lmk_b_coords',
    );
  });

  it('reports wrong shapes against the vertex count of v_template', async () => {
    const arrays = await fixtureArrays();
    arrays.weights = { dtype: 'float64', shape: [V, 4], data: new Float64Array(V * 4) };
    expect(formatMessage(() => flameFromArrays(arrays, undefined, { shapeCount: S }))).toBe(
      `expected weights to be a float array of shape [V, 5], received shape [${V}, 4]`,
    );
    arrays.weights = { dtype: 'float64', shape: [V + 1, 5], data: new Float64Array((V + 1) * 5) };
    expect(formatMessage(() => flameFromArrays(arrays, undefined, { shapeCount: S }))).toBe(
      `expected weights to be a float array of shape [V, 5] (V = ${V} from v_template), received shape [${V + 1}, 5]`,
    );
    const kintree = await fixtureArrays();
    kintree.kintree_table = { dtype: 'int64', shape: [2, 4], data: new BigInt64Array(8) };
    expect(formatMessage(() => flameFromArrays(kintree, undefined, { shapeCount: S }))).toBe(
      "expected kintree_table to be an integer array (FLAME's 5 joints) of shape [2, 5], received shape [2, 4]",
    );
  });

  it('reports wrong dtypes, out-of-range indices, non-finite values and bad kinematic trees', async () => {
    const cases: [string, (a: Record<string, NdArrayData>) => void, string | RegExp][] = [
      ['float faces', (a) => (a.f = { dtype: 'float32', shape: [m.faceCount, 3], data: new Float32Array(m.faceCount * 3) }), 'expected f to be an integer array, received float32 data'],
      ['int weights', (a) => (a.weights = { dtype: 'int32', shape: [V, 5], data: new Int32Array(V * 5) }), 'expected weights to be a float array, received int32 data'],
      ['face index', (a) => ((a.f!.data as Uint32Array)[4] = V), `expected f to hold indices in [0, ${V}), received ${V} at 4`],
      ['NaN', (a) => ((a.posedirs!.data as Float64Array)[7] = NaN), 'expected posedirs to be finite, received NaN at index [0, 0, 7]'],
      ['cycle', (a) => ((a.kintree_table!.data as BigInt64Array)[1] = 3n), 'expected joint 1 of kintree_table to have an earlier joint as parent, received parent id 3'],
      ['rooted root', (a) => ((a.kintree_table!.data as BigInt64Array)[0] = 2n), /root \(first joint\) of kintree_table to have no parent/],
      ['lonely vt', (a) => delete a.ft, 'expected vt and ft together (the texture layout), received only vt'],
      ['string', (a) => ((a as Record<string, unknown>).v_template = 'lbs'), 'expected v_template to be an array, received a str "lbs"'],
    ];
    for (const [label, breakIt, message] of cases) {
      const arrays = await fixtureArrays();
      breakIt(arrays);
      const received = formatMessage(() => flameFromArrays(arrays, undefined, { shapeCount: S }));
      if (typeof message === 'string') expect(received, label).toBe(message);
      else expect(received, label).toMatch(message);
    }
  });
});

describe('saving FLAME models', () => {
  it('round-trips through .npz and safetensors, recording the shape / expression split', async () => {
    const model = await loadFlame(fixture('model.pkl'), { shapeCount: S });
    const npz = join(dir, 'head.npz');
    const safetensors = join(dir, 'head.safetensors');
    await saveFlameNpz(npz, model);
    await saveFlameSafetensors(safetensors, model);
    expect(await loadFlame(npz)).toEqual(model);
    expect(await loadFlame(safetensors)).toEqual(model);
  });

  it('writes the official keys, shapedirs concatenated and kintree_table with -1 as the root', () => {
    const model: FlameModel = {
      vertexCount: 1, shapeCount: 2, exprCount: 1,
      vTemplate: new Float32Array(3), faces: Int32Array.from([0, 0, 0]),
      shapedirs: Float32Array.from([1, 2, 3, 4, 5, 6]), exprdirs: Float32Array.from([7, 8, 9]),
      posedirs: new Float32Array(108), jRegressor: new Float32Array(5), lbsWeights: new Float32Array(5),
      parents: Int32Array.from([-1, 0, 1, 1, 1]),
    };
    const arrays = flameToArrays(model);
    expect(Object.keys(arrays)).toEqual(['v_template', 'f', 'shapedirs', 'posedirs', 'J_regressor', 'weights', 'kintree_table', 'n_shape', 'n_expr']);
    expect(arrays.shapedirs).toEqual({ dtype: 'float32', shape: [1, 3, 3], data: Float32Array.from([1, 2, 7, 3, 4, 8, 5, 6, 9]) });
    expect(arrays.kintree_table).toEqual({ dtype: 'int64', shape: [2, 5], data: BigInt64Array.from([-1n, 0n, 1n, 1n, 1n, 0n, 1n, 2n, 3n, 4n]) });
    expect(() => flameToArrays({ ...model, exprdirs: new Float32Array(2) })).toThrow(ValidationError);
    expect(() => flameToArrays({ ...model, uv: { vt: new Float32Array(2), ft: Int32Array.from([0, 0, 1]) } })).toThrow(
      'expected model.uv.ft to hold indices in [0, 1), received 1 at 2',
    );
  });

  it.skipIf(!hasNumpy)(`numpy reads the saved .npz as a FLAME model${hasNumpy ? '' : ' (skipped: /usr/bin/python3 cannot import numpy)'}`, async () => {
    const model = await loadFlame(fixture('model.safetensors'), { shapeCount: S });
    const path = join(dir, 'for-numpy.npz');
    await saveFlameNpz(path, model);
    const code = String.raw`
import json, sys, numpy as np
d = np.load(sys.argv[1])
print(json.dumps({k: [d[k].dtype.str, list(d[k].shape)] for k in d.files} | {'parents': d['kintree_table'][0].tolist(), 'n': [int(d['n_shape']), int(d['n_expr'])]}))
`;
    const seen = runPython(code, path) as Record<string, unknown>;
    expect(seen.shapedirs).toEqual(['<f4', [V, 3, S + E]]);
    expect(seen.J_regressor).toEqual(['<f4', [5, V]]);
    expect(seen.f).toEqual(['<i4', [m.faceCount, 3]]);
    expect(seen.kintree_table).toEqual(['<i8', [2, 5]]);
    expect(seen.parents).toEqual([-1, 0, 1, 1, 1]);
    expect(seen.n).toEqual([S, E]);
  });
});

describe('careless calls to the FLAME loaders: ValidationErrors naming the function, not TypeErrors', () => {
  const thrown = (run: () => unknown): Error => {
    try {
      run();
    } catch (error) {
      return error as Error;
    }
    throw new Error('expected a throw');
  };
  const careless = (run: () => unknown, pattern: RegExp): void => {
    const error = thrown(run);
    expect(error, error.message).toBeInstanceOf(ValidationError);
    expect(error.message).toMatch(pattern);
  };

  it('refuses paths, options and models of the wrong kind before reading anything', async () => {
    await expect(loadFlame(42 as never)).rejects.toThrow(/^loadFlame: expected path to be a non-empty path string, received 42/);
    await expect(loadFlame(fixture('model.npz'), null as never)).rejects.toThrow(ValidationError);
    await expect(loadFlameLandmarkEmbedding(undefined as never)).rejects.toThrow(/^loadFlameLandmarkEmbedding: expected path/);
    careless(() => flameFromArrays(null as never), /^flameFromArrays: expected arrays to be an object, received null/);
    careless(() => flameFromArrays({}, {} as never), /^flameFromArrays: expected path/);
    careless(() => parseFlameLandmarkEmbedding('lmk.npy' as never), /^parseFlameLandmarkEmbedding: expected bytes .*use loadFlameLandmarkEmbedding\(path\)/);
    careless(() => flameIdentity(null as never), /^flameIdentity: expected model to be an object, received null/);
    careless(() => hasFlameTeeth(undefined as never), /^hasFlameTeeth: expected model to be an object/);
    careless(() => addFlameTeeth({} as never), /^addFlameTeeth: expected model.vertexCount to be a non-negative integer/);
  });

  it('refuses a mesh or landmarks that are not what readObj and parseFlameLandmarkEmbedding return', async () => {
    const model = await loadFlame(fixture('model.npz'), { shapeCount: S });
    careless(() => attachFlameUv(undefined as never, {} as never), /^attachFlameUv: expected model to be an object/);
    careless(() => attachFlameUv(model, 'head.obj' as never), /^attachFlameUv: expected mesh to be an object/);
    careless(() => attachFlameUv(model, { positions: [1, 2, 3] } as never), /^attachFlameUv: expected mesh.positions to be a Float32Array/);
    careless(() => attachFlameLandmarks(model, {} as never), /^attachFlameLandmarks: expected landmarks.faceIdx to be an Int32Array/);
    careless(() => attachFlameLandmarks(model, model.landmarks!, null as never), /^attachFlameLandmarks: expected sources to be an object/);
    // The checks do not get in the way of a valid call.
    expect(attachFlameLandmarks(model, model.landmarks!).landmarks).toEqual(model.landmarks);
    expect(flameIdentity(model)).toMatch(/^flame-[0-9a-f]{16}$/);
  });
});
