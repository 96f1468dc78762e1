// The native Audio-Expression transformer against an independent PyTorch implementation of
// docs/audio-expression-model.md (test/fixtures/a2e/make_fixture.py: float64 reference
// outputs and loss), finite differences of its gradients, and which parameters train.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { beforeAll, describe, expect, it } from 'vitest';

import { AudioExpressionModel, NativeError, ValidationError } from '../lib/index.js';
import { native } from '../lib/native.js';
import { FIXTURE_DIR, fixtureIo } from './helpers/a2e.js';

let model: AudioExpressionModel;
let io: Awaited<ReturnType<typeof fixtureIo>>;

beforeAll(async () => {
  model = await AudioExpressionModel.load(`${FIXTURE_DIR}dit_tiny`);
  io = await fixtureIo();
});

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
};

const batch = () => ({ x_t: io.x_t!, n: io.n!, cond: io.cond!, speaker: io.speaker!, keep: io.keep! });
const lossInput = () => ({ x0: io.x0!, n: io.n!, noise: io.noise!, cond: io.cond!, speaker: io.speaker!, keep: io.keep! });

describe('Audio-Expression transformer vs the PyTorch reference', () => {
  it('loads the fixture checkpoint with every named weight', () => {
    expect(model.kind).toBe('native');
    expect(model.parameterNames()).toContain('dec.layers.1.cross_attn.q.weight');
    expect(model.parameterNames()).toContain('speaker.embedding');
    expect(model.speakers).toEqual(['speaker0', 'speaker1', 'speaker2']);
  });

  it('forward matches float64 PyTorch to 1e-5 (T = 9, a kept and a dropped condition)', async () => {
    const x0 = await model.forward(batch());
    expect(x0.shape).toEqual([2, 9, 7]);
    expect(maxAbsDiff(x0.data, io.x0_hat!.data)).toBeLessThan(1e-5);
  });

  it('forward matches at T = maxFrames = 16', async () => {
    const x0 = await model.forward({ x_t: io.x_t16!, n: io.n16!, cond: io.cond16!, speaker: io.speaker16!, keep: io.keep16! });
    expect(maxAbsDiff(x0.data, io.x0_hat16!.data)).toBeLessThan(1e-5);
  });

  it('the alignment bias (alignRadius 1) matches too', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ggt-align-'));
    const json = JSON.parse(await readFile(`${FIXTURE_DIR}dit_tiny.json`, 'utf8'));
    json.config.alignRadius = 1;
    await writeFile(join(dir, 'aligned.json'), JSON.stringify(json));
    const aligned = await AudioExpressionModel.load(join(dir, 'aligned'), { weights: `${FIXTURE_DIR}dit_tiny.safetensors` });
    await rm(dir, { recursive: true });
    expect(aligned.config.alignRadius).toBe(1);
    expect(model.config.alignRadius).toBe(-1); // absent from the file: no bias
    const x0 = await aligned.forward(batch());
    expect(maxAbsDiff(x0.data, io.x0_hat_align1!.data)).toBeLessThan(1e-5);
    expect(maxAbsDiff(x0.data, io.x0_hat!.data)).toBeGreaterThan(1e-3);
  });

  it('the training loss (q_sample, L2 + Huber on frame differences) matches to 1e-5 relative', async () => {
    const { loss } = await model.lossAndGradients(lossInput(), { grads: false });
    const want = io.loss!.data[0]!;
    expect(Math.abs(loss - want) / want).toBeLessThan(1e-5);
  });
});

describe('gradients', () => {
  it('reach every parameter group, and match central differences of the loss', async () => {
    const { loss, grads } = await model.lossAndGradients(lossInput());
    const names = model.parameterNames().filter((n) => !n.startsWith('data.'));
    expect([...grads.keys()].sort()).toEqual([...names].sort());
    for (const [name, g] of grads) {
      const norm = Math.hypot(...Array.from(g.data));
      expect(norm, name).toBeGreaterThan(0);
    }
    // Central differences in float32 (step 1e-3): each checked element is the largest of its
    // tensor; rounding error of the loss (~3e-7) / 2e-3 ≈ 2e-4 absolute, so 2 % relative.
    for (const name of ['cond.in_proj.weight', 'speaker.embedding', 'time.mlp.0.weight', 'dec.layers.0.film.weight', 'dec.layers.1.cross_attn.k.weight', 'dec.pos', 'dec.out_proj.bias']) {
      const g = grads.get(name)!.data;
      let at = 0;
      for (let i = 1; i < g.length; i++) if (Math.abs(g[i]!) > Math.abs(g[at]!)) at = i;
      const fd = await centralDifference(model, name, at, 1e-3);
      expect(Math.abs(fd - g[at]!), `${name}[${at}]: fd ${fd} vs ${g[at]} (loss ${loss})`).toBeLessThan(0.02 * Math.abs(g[at]!) + 2e-4);
    }
  });

  it('frozen prefixes get no gradient; speakerRows limits the embedding to those rows', async () => {
    const { grads } = await model.lossAndGradients(lossInput(), { frozen: ['cond.'], speakerRows: [2] });
    expect([...grads.keys()].some((n) => n.startsWith('cond.'))).toBe(false);
    expect(grads.has('dec.layers.0.self_attn.q.weight')).toBe(true);
    const e = grads.get('speaker.embedding')!;
    const width = e.shape[1]!;
    const rowNorm = (r: number) => Math.hypot(...Array.from(e.data.subarray(r * width, (r + 1) * width)));
    expect(rowNorm(2)).toBeGreaterThan(0); // batch item 0 speaks as speaker 2 with its condition kept
    expect(rowNorm(0)).toBe(0);
    expect(rowNorm(1)).toBe(0);
  });
});

describe('bad input', () => {
  it('names the argument, the expected shape and what was received', async () => {
    const b = batch();
    await expect(model.forward({ ...b, x_t: { data: new Float32Array(2 * 9 * 6), shape: [2, 9, 6] } })).rejects.toThrow(ValidationError);
    await expect(model.forward({ ...b, x_t: { data: new Float32Array(2 * 9 * 6), shape: [2, 9, 6] } })).rejects.toThrow(/x_t/);
    await expect(model.forward({ ...b, speaker: { data: new Int32Array([3, 0]), shape: [2] } })).rejects.toThrow(/speaker/);
    await expect(model.forward({ ...b, n: { data: new Int32Array([50, 0]), shape: [2] } })).rejects.toThrow(/\bn\b/);
  });

  it('a window longer than maxFrames is a rejected promise, not a crash', async () => {
    const T = 17;
    const err = await model
      .forward({
        x_t: { data: new Float32Array(T * 7), shape: [1, T, 7] },
        n: { data: new Int32Array([1]), shape: [1] },
        cond: { data: new Float32Array(T * 12), shape: [1, T, 12] },
        speaker: { data: new Int32Array([0]), shape: [1] },
        keep: { data: new Float32Array([1]), shape: [1] },
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NativeError);
    expect((err as Error).message).toMatch(/maxFrames = 16/);
  });
});

/** (L(p + h) − L(p − h)) / 2h for one element of one parameter; restores the parameter. */
async function centralDifference(m: AudioExpressionModel, name: string, index: number, h: number): Promise<number> {
  const original = m.parameter(name);
  const setTo = (delta: number) => {
    const data = Float32Array.from(original.data);
    data[index] = data[index]! + delta;
    setParameter(m, name, data, original.shape);
  };
  setTo(h);
  const plus = (await m.lossAndGradients(lossInput(), { grads: false })).loss;
  setTo(-h);
  const minus = (await m.lossAndGradients(lossInput(), { grads: false })).loss;
  setParameter(m, name, Float32Array.from(original.data), original.shape);
  return (plus - minus) / (2 * h);
}

// Tests reach the weights map directly: users change weights by training or loading.
function setParameter(m: AudioExpressionModel, name: string, data: Float32Array, shape: number[]) {
  m.params!.set(name, native().Tensor.fromArray(data, shape));
}
