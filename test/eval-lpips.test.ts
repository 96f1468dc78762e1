// LPIPS (AlexNet and VGG-16 taps, the lpips package's v0.1 conventions) against a float64
// PyTorch reference with random weights (test/fixtures/lpips/make_fixture.py). The weights are
// regenerated here bit for bit from the fixture's counter-based hash, so the repository does not
// hold 10 MB (AlexNet) / 59 MB (VGG-16) of them; spot values in the fixture check the hash.
// Tolerance: 1e-5 relative (float32 convolutions against float64; measured ≤ 2.1e-7).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { FileSystemError, FormatError, ValidationError } from '../lib/errors.js';
import { Lpips } from '../lib/eval/lpips.js';
import type { NdArrayData } from '../lib/io/ndarray-data.js';
import { readNpz } from '../lib/io/npy.js';
import { writeSafetensors } from '../lib/io/safetensors.js';
import { hashedWeights } from './fixtures/lpips/hashed-weights.js';

const fixture = await readNpz(new URL('./fixtures/lpips/lpips.npz', import.meta.url).pathname);
const arr = (k: string) => fixture.get(k)!.data as Float32Array | Float64Array;
const dir = await mkdtemp(join(tmpdir(), 'ggt-lpips-'));
afterAll(() => rm(dir, { recursive: true }));

/** Fixture images [3, 3, H, W] → three [H, W, 3] images. */
function images(key: string): Float32Array[] {
  const [B, , H, W] = fixture.get(key)!.shape as [number, number, number, number];
  const d = arr(key);
  return Array.from({ length: B }, (_, i) => {
    const img = new Float32Array(H * W * 3);
    for (let c = 0; c < 3; c++) for (let p = 0; p < H * W; p++) img[3 * p + c] = d[(i * 3 + c) * H * W + p]!;
    return img;
  });
}

describe('LPIPS', () => {
  const a = images('a');
  const b = images('b');
  for (const [net, seed] of [['alex', 1], ['vgg', 2]] as const) {
    it(`${net}: matches the float64 PyTorch reference to 1e-5 relative`, async () => {
      const weights = hashedWeights(net, seed);
      // The hash reproduces the script's weights exactly (first, second and last element of each tensor).
      const check = arr(`${net}_check`);
      [...weights.values()].forEach((w, t) => {
        const d = w.data as Float32Array;
        expect([d[0], d[1], d[d.length - 1]]).toEqual([check[3 * t], check[3 * t + 1], check[3 * t + 2]]);
      });
      const path = join(dir, `${net}.safetensors`);
      await writeSafetensors(path, weights);
      const lpips = await Lpips.load(path, { network: net });
      const want = arr(`${net}_distance`);
      const got = await lpips.distances(a, b, 64, 64);
      for (let i = 0; i < 3; i++) expect(Math.abs(got[i]! - want[i]!) / want[i]!).toBeLessThan(1e-5);
      expect(await lpips.distance(a[1]!, b[1]!, 64, 64)).toBeCloseTo(got[1]!, 6);
      expect(await lpips.distance(a[0]!, a[0]!, 64, 64)).toBe(0);
    });
  }

  it("reads an lpips.LPIPS state dict's names (net.sliceK.N.*, lins.K.*)", async () => {
    const renamed = new Map<string, NdArrayData>();
    const slice = (idx: number) => (idx < 2 ? 1 : idx < 5 ? 2 : idx < 8 ? 3 : idx < 10 ? 4 : 5); // AlexNet's slices
    for (const [name, v] of hashedWeights('alex', 1)) {
      const m = /^features\.(\d+)\.(.*)$/.exec(name);
      renamed.set(m ? `net.slice${slice(Number(m[1]))}.${m[1]}.${m[2]}` : name.replace(/^lin(\d)/, 'lins.$1'), v);
    }
    renamed.set('scaling_layer.shift', { dtype: 'float32', shape: [1, 3, 1, 1], data: new Float32Array([-0.03, -0.088, -0.188]) });
    const lpips = await Lpips.fromTensors(renamed, { network: 'alex' });
    const got = await lpips.distance(images('a')[1]!, images('b')[1]!, 64, 64);
    expect(Math.abs(got - arr('alex_distance')[1]!) / arr('alex_distance')[1]!).toBeLessThan(1e-5);
  });

  it('refuses weights of the wrong network or shape, and bad images, with typed errors', async () => {
    const alex = hashedWeights('alex', 1);
    await expect(Lpips.fromTensors(alex, { network: 'vgg' })).rejects.toThrow(FormatError);
    const bad = new Map(alex);
    bad.set('lin2.model.1.weight', { dtype: 'float32', shape: [1, 100, 1, 1], data: new Float32Array(100) });
    await expect(Lpips.fromTensors(bad, { network: 'alex' })).rejects.toThrow(/lin2\.model\.1\.weight of shape \[1, 384, 1, 1\], received \[1, 100, 1, 1\]/);
    const missing = new Map(alex);
    missing.delete('features.8.bias');
    await expect(Lpips.fromTensors(missing)).rejects.toThrow(/features\.8\.bias/);
    await expect(Lpips.fromTensors(alex, { network: 'resnet' as 'alex' })).rejects.toThrow(ValidationError);
    const lpips = await Lpips.fromTensors(alex);
    await expect(lpips.distance(new Float32Array(10), new Float32Array(10), 64, 64)).rejects.toThrow(/expected a\[0\] to be a Float32Array \[64, 64, 3\]/);
  });

  it('careless calls are ValidationErrors naming the method; a missing file a FileSystemError', async () => {
    await expect(Lpips.fromTensors(undefined as never)).rejects.toThrow(/^Lpips\.fromTensors: expected tensors to be a Map of name to array .*, received undefined/);
    await expect(Lpips.fromTensors([1, 2, 3] as never)).rejects.toThrow(ValidationError);
    await expect(Lpips.fromTensors(new Map([['features.0.weight', null]]) as never)).rejects.toThrow(/^Lpips\.fromTensors: expected tensors\.get\("features\.0\.weight"\) to be an array/);
    await expect(Lpips.fromTensors(hashedWeights('alex', 1), null as never)).rejects.toThrow(/^Lpips\.fromTensors: expected options to be an object, received null/);
    await expect(Lpips.load(42 as never)).rejects.toThrow(/^Lpips\.load: expected path to be a non-empty path string, received 42/);
    await expect(Lpips.load(join(dir, 'x.safetensors'), 'vgg' as never)).rejects.toThrow(/^Lpips\.load: expected options to be an object, received "vgg"/);
    await expect(Lpips.load(join(dir, 'missing.safetensors'))).rejects.toThrow(FileSystemError);
  });
});
