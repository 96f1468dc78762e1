// The avatar networks (native/avatar/networks.cpp through the addon's avatarNetForward) against
// independent float64 PyTorch references: test/fixtures/avatar-nets/reference_nets.py, fixtures
// written by make_fixture.py (every parameter random, biases / out.* / base included). Checks the
// outputs and d(sum(output * W))/d(every parameter), then the errors of bad calls.
import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { readNpz, type NdArrayData } from '../lib/index.js';
import { native, type NativeTensor, type RawArray } from '../lib/native.js';

type Kind = 'generator' | 'color' | 'inpainter';
interface Case {
  kind: Kind;
  config: Record<string, number>;
  inputs: Record<string, number[]>;
  params: Record<string, number[]>;
  output: number[];
}

const DIR = new URL('./fixtures/avatar-nets/', import.meta.url);
const manifest = JSON.parse(readFileSync(new URL('config.json', DIR), 'utf8')) as { cases: Record<string, Case> };
const CASES = Object.entries(manifest.cases);

interface Loaded {
  params: Record<string, RawArray>;
  inputs: Record<string, RawArray>;
  weights: RawArray;
  output: NdArrayData;
  grads: Map<string, NdArrayData>;
}

async function load(name: string): Promise<Loaded> {
  const npz = await readNpz(new URL(`${name}.npz`, DIR).pathname);
  const f32 = (a: NdArrayData): RawArray => {
    expect(a.dtype, 'fixture weights and inputs are float32').toBe('float32');
    return { data: a.data as Float32Array, shape: a.shape };
  };
  const loaded: Loaded = { params: {}, inputs: {}, weights: f32(npz.get('weights')!), output: npz.get('output')!, grads: new Map() };
  for (const [key, a] of npz) {
    if (key.startsWith('param.')) loaded.params[key.slice('param.'.length)] = f32(a);
    else if (key.startsWith('input.')) loaded.inputs[key.slice('input.'.length)] = f32(a);
    else if (key.startsWith('grad.')) loaded.grads.set(key.slice('grad.'.length), a);
  }
  return loaded;
}

/**
 * The addon's nested results ({enc: {0: {weight}}}) flattened to dotted names; leaves are the
 * objects with a `shape` array ({data, shape} arrays or Tensor handles).
 */
function flatten<T extends { shape: number[] }>(tree: Record<string, unknown>, prefix = '', out = new Map<string, T>()): Map<string, T> {
  for (const [key, v] of Object.entries(tree)) {
    const name = prefix ? `${prefix}.${key}` : key;
    if (Array.isArray((v as Partial<T>).shape)) out.set(name, v as T);
    else flatten(v as Record<string, unknown>, name, out);
  }
  return out;
}

/** max |a - b| / max |b| (b the float64 reference). */
function relError(actual: ArrayLike<number>, reference: ArrayLike<number>): number {
  expect(actual.length).toBe(reference.length);
  let err = 0;
  let scale = 0;
  for (let i = 0; i < reference.length; i++) {
    err = Math.max(err, Math.abs(actual[i]! - reference[i]!));
    scale = Math.max(scale, Math.abs(reference[i]!));
  }
  expect(scale).toBeGreaterThan(0);
  return err / scale;
}

// Rejections for both kinds of failure: argument errors thrown synchronously, compute errors
// rejected by the Promise.
const forward = async (options: Record<string, unknown>) => native().avatarNetForward(options);

describe.each(CASES)('avatarNetForward %s', (name, c) => {
  it('defines the parameters the reference defines (names and shapes, from avatarNetInit)', async () => {
    const init = await native().avatarNetInit({ kind: c.kind, config: c.config, seed: 1, prefix: '' });
    const shapes = Object.fromEntries([...flatten<NativeTensor>(init)].map(([k, t]) => [k, t.shape]));
    expect(shapes).toEqual(c.params);
  });

  it('matches the output (1e-4) and every parameter gradient (1e-3) of the float64 reference', async () => {
    const f = await load(name);
    expect(Object.keys(f.params).sort()).toEqual(Object.keys(c.params).sort());
    const raw = await forward({ kind: c.kind, config: c.config, params: f.params, inputs: f.inputs, grads: true, weights: f.weights });
    expect(raw.output.shape).toEqual(f.output.shape);
    expect(raw.output.shape).toEqual(c.output);
    const outErr = relError(raw.output.data, f.output.data as Float64Array);
    expect(outErr, `${name} output`).toBeLessThanOrEqual(1e-4);

    const grads = flatten<RawArray>(raw.grads);
    expect([...grads.keys()].sort()).toEqual([...f.grads.keys()].sort());
    let worst = 0;
    let worstName = '';
    for (const [param, ref] of f.grads) {
      const g = grads.get(param)!;
      expect(g.shape, param).toEqual(ref.shape);
      const e = relError(g.data, ref.data as Float64Array);
      expect(e, `${name} grad ${param}`).toBeLessThanOrEqual(1e-3);
      if (e >= worst) [worst, worstName] = [e, param];
    }
    console.log(`avatar-nets ${name}: output rel err ${outErr.toExponential(2)}, worst grad rel err ${worst.toExponential(2)} (${worstName})`);
  });

  it('without grads returns the same output and no grads', async () => {
    const f = await load(name);
    const raw = await forward({ kind: c.kind, config: c.config, params: f.params, inputs: f.inputs });
    expect(raw.grads).toBeUndefined();
    expect(relError(raw.output.data, f.output.data as Float64Array)).toBeLessThanOrEqual(1e-4);
  });
});

describe('avatarNetForward errors', () => {
  const gen = manifest.cases.generator!;
  const inp = manifest.cases.inpainter!;

  it('names the expected generator input shape for a wrong image size', async () => {
    const f = await load('generator');
    const image = { data: new Float32Array(2 * 3 * 16 * 16), shape: [2, 3, 16, 16] };
    await expect(forward({ kind: 'generator', config: gen.config, params: f.params, inputs: { image } })).rejects.toThrow(
      /expected generator input images of shape \[B, 3, 32, 32\], received \[2, 3, 16, 16\]/,
    );
    const hwc = { data: new Float32Array(2 * 32 * 32 * 3), shape: [2, 32, 32, 3] };
    await expect(forward({ kind: 'generator', config: gen.config, params: f.params, inputs: { image: hwc } })).rejects.toThrow(
      /\[B, 3, 32, 32\]/,
    );
  });

  it('rejects inpainter frames whose size is not divisible by 2^levels', async () => {
    const f = await load('inpainter');
    const img = (ch: number) => ({ data: new Float32Array(2 * ch * 18 * 16), shape: [2, ch, 18, 16] });
    const inputs = { head: img(3), alpha: img(1), background: img(3), region: img(1) };
    await expect(forward({ kind: 'inpainter', config: inp.config, params: f.params, inputs })).rejects.toThrow(
      /inpainter's image size divisible by 4 \(2\^levels\), received 18x16/,
    );
  });

  it('names a missing parameter', async () => {
    for (const [caseName, missing] of [['generator', 'dec.1.bias'], ['generator', 'base'], ['color', 'out.weight'], ['inpainter', 'up.0.weight']] as const) {
      const c = manifest.cases[caseName]!;
      const f = await load(caseName);
      const params = { ...f.params };
      delete params[missing];
      await expect(forward({ kind: c.kind, config: c.config, params, inputs: f.inputs }), `${caseName} without ${missing}`).rejects.toThrow(
        new RegExp(`weights lack ${missing.replace(/\./g, '\\.')} \\(expected shape`),
      );
    }
  });

  it('names a parameter of the wrong shape, and rejects a degenerate config instead of hanging', async () => {
    const c = manifest.cases.generator!;
    const f = await load('generator');
    const bad = { ...f.params, base: { data: new Float32Array(14), shape: [1, 1, 14] } };
    await expect(forward({ kind: c.kind, config: c.config, params: bad, inputs: f.inputs })).rejects.toThrow(/weight base of shape \[16, 16, 14\], received \[1, 1, 14\]/);
    await expect(forward({ kind: c.kind, config: { ...c.config, latentSize: 0 }, params: f.params, inputs: f.inputs })).rejects.toThrow(/latentSize/);
    await expect(forward({ kind: c.kind, config: { ...c.config, imageSize: 24 }, params: f.params, inputs: f.inputs })).rejects.toThrow(/times a power of two/);
  });

  it('rejects missing inputs, output weights of the wrong shape, and an unknown kind', async () => {
    const f = await load('color');
    const c = manifest.cases.color!;
    await expect(forward({ kind: 'color', config: c.config, params: f.params, inputs: { sh0: f.inputs.sh0 } })).rejects.toThrow(
      /missing input inputs\.code/,
    );
    await expect(forward({ kind: 'color', config: c.config, params: f.params, inputs: f.inputs, grads: true })).rejects.toThrow(/missing input weights/);
    const w = { data: new Float32Array(3), shape: [1, 3] };
    await expect(forward({ kind: 'color', config: c.config, params: f.params, inputs: f.inputs, grads: true, weights: w })).rejects.toThrow(
      /expected weights of the output's shape \[11, 3\], received \[1, 3\]/,
    );
    const code = { data: new Float32Array(4), shape: [4] };
    await expect(forward({ kind: 'color', config: c.config, params: f.params, inputs: { sh0: f.inputs.sh0, code } })).rejects.toThrow(
      /colour-MLP code of 5 values, received shape \[4\]/,
    );
    await expect(forward({ kind: 'decoder', config: c.config, params: f.params, inputs: f.inputs })).rejects.toThrow(
      /expected kind 'generator', 'color' or 'inpainter'/,
    );
  });
});
