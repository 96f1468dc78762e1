// The avatar networks (native/avatar/networks.cpp through the addon's avatarNetForward) against
// independent float64 PyTorch references: test/fixtures/avatar-nets/reference_nets.py, fixtures
// written by make_fixture.py (every parameter random, biases / out.* / base included). Checks the
// outputs and d(sum(output * W))/d(every parameter), then the errors of bad calls.
import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { BodyInpainter, DEFAULT_COLOR_MLP, DEFAULT_GENERATOR, DEFAULT_INPAINTER, FormatError, IdentityGaussianGenerator, readNpz, ValidationError, type NdArrayData } from '../lib/index.js';
import { resolveSizes } from '../lib/avatar/config.js';
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

describe('network configs: stated ranges, checked in JS before any native allocation', () => {
  it('accepts the defaults, partial configs and keys given as undefined', () => {
    expect(resolveSizes('inpainter', DEFAULT_INPAINTER, undefined)).toEqual(DEFAULT_INPAINTER);
    expect(resolveSizes('inpainter', DEFAULT_INPAINTER, { channels: undefined, levels: 2 } as never)).toEqual({ channels: 16, levels: 2 });
    expect(resolveSizes('generator', DEFAULT_GENERATOR, { imageSize: 64, uvSize: 32, latentSize: 4, channels: 8, maxChannels: 32 })).toMatchObject({ imageSize: 64 });
    expect(resolveSizes('color', DEFAULT_COLOR_MLP, { hidden: 1024, layers: 16 })).toEqual({ hidden: 1024, layers: 16 });
  });

  it.each([
    ['inpainter', { channels: 1e6 }, /expected inpainter\.channels to be an integer in \[1, 256\], received 1000000/],
    ['inpainter', { channels: -4 }, /inpainter\.channels .*received -4/],
    ['inpainter', { levels: 7 }, /inpainter\.levels to be an integer in \[1, 6\], received 7/],
    ['inpainter', { channels: 256, levels: 6 }, /channels · 2\^levels .* at most 1024, received 256 · 2\^6 = 16384/],
    ['inpainter', { dilate: 4 }, /unknown inpainter key "dilate"/],
    ['inpainter', 'big', /expected the inpainter config to be an object, received "big"/],
    ['generator', { imageSize: 100 }, /generator\.imageSize to be latentSize \(8\) times a power of two, received 100/],
    ['generator', { imageSize: 8 }, /generator\.imageSize to be greater than latentSize \(8\), received 8/],
    ['generator', { channels: 512, maxChannels: 256 }, /generator\.channels to be at most maxChannels \(256\), received 512/],
    ['generator', { maxChannels: 1e9 }, /generator\.maxChannels to be an integer in \[1, 1024\]/],
    ['generator', { uvSize: Number.NaN }, /generator\.uvSize .*received NaN/],
    ['color', { hidden: 4096 }, /color\.hidden to be an integer in \[1, 1024\], received 4096/],
    ['color', { layers: 1.5 }, /color\.layers .*received 1\.5/],
  ] as const)('%s %o is a ValidationError naming the field', (what, partial, message) => {
    const defaults = what === 'inpainter' ? DEFAULT_INPAINTER : what === 'generator' ? DEFAULT_GENERATOR : DEFAULT_COLOR_MLP;
    expect(() => resolveSizes(what, defaults as never, partial as never)).toThrow(ValidationError);
    expect(() => resolveSizes(what, defaults as never, partial as never)).toThrow(message);
  });

  it('a config read from a file is a FormatError naming the file', () => {
    let error: unknown;
    try {
      resolveSizes('inpainter', DEFAULT_INPAINTER, { levels: 9 }, { path: '/tmp/net.safetensors' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(FormatError);
    expect((error as FormatError).path).toBe('/tmp/net.safetensors');
    expect((error as Error).message).toBe('/tmp/net.safetensors: config: expected inpainter.levels to be an integer in [1, 6], received 9');
  });

  it('BodyInpainter.create refuses before the native init (no 72 TB allocation attempt)', async () => {
    await expect(BodyInpainter.create({ config: { channels: 1e6, levels: 3 } })).rejects.toBeInstanceOf(ValidationError);
    await expect(BodyInpainter.create({ seed: -1 })).rejects.toThrow(/expected seed to be a non-negative integer, received -1/);
    await expect(IdentityGaussianGenerator.create({ config: { imageSize: 64, uvSize: 32, latentSize: 4, channels: 8, maxChannels: 32 }, seed: Number.NaN })).rejects.toThrow(/seed/);
  });
});
