// SSIM, L1, PSNR and the VGG-16 perceptual loss against float64 PyTorch references
// (test/fixtures/image-losses/make_fixture.py; a width-reduced VGG with torchvision's layout).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { imageMetrics, loadVggWeights, readNpz, writeSafetensors, type NdArrayData } from '../lib/index.js';

const fixture = await readNpz(new URL('./fixtures/image-losses/image_losses.npz', import.meta.url).pathname);
const get = (k: string) => fixture.get(k)! as NdArrayData & { data: Float32Array | Float64Array };
const a = { data: get('a').data as Float32Array, shape: get('a').shape };
const b = { data: get('b').data as Float32Array, shape: get('b').shape };

describe('image metrics', () => {
  it('SSIM, L1 and PSNR match the float64 references', async () => {
    const m = await imageMetrics(a, b);
    expect(Math.abs(m.ssim - get('ssim').data[0]!)).toBeLessThan(1e-5);
    expect(Math.abs(m.l1 - get('l1').data[0]!)).toBeLessThan(1e-6);
    for (let i = 0; i < 2; i++) expect(Math.abs(m.psnr[i]! - get('psnr').data[i]!)).toBeLessThan(1e-3);
    const same = await imageMetrics(a, a);
    expect(same.ssim).toBeCloseTo(1, 6);
    expect(same.l1).toBe(0);
  });

  it('the VGG-16 perceptual loss matches (1e-4 relative), from a safetensors file of torchvision names', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ggt-vgg-'));
    const weights: Record<string, NdArrayData> = {};
    for (const [k, v] of fixture) if (k.startsWith('w.')) weights[`features.${k.slice('w.features.'.length)}`] = v;
    await writeSafetensors(join(dir, 'vgg16.safetensors'), weights);
    const vgg = await loadVggWeights(join(dir, 'vgg16.safetensors'));
    const m = await imageMetrics(a, b, { vgg });
    const want = get('vgg').data[0]!;
    expect(Math.abs(m.vgg! - want) / want).toBeLessThan(1e-4);
    await writeSafetensors(join(dir, 'other.safetensors'), { 'x.weight': weights['features.0.weight']! });
    await expect(loadVggWeights(join(dir, 'other.safetensors'))).rejects.toThrow(/features\.0\.weight/);
    await rm(dir, { recursive: true });
  });

  it('adds the perceptual term to adaptation when VGG weights are given', async () => {
    const { adapt } = await import('../lib/index.js');
    const { syntheticIdentity } = await import('./helpers/avatar-data.js');
    const dir = await mkdtemp(join(tmpdir(), 'ggt-vgg-adapt-'));
    const weights: Record<string, NdArrayData> = {};
    for (const [k, v] of fixture) if (k.startsWith('w.')) weights[`features.${k.slice('w.features.'.length)}`] = v;
    await writeSafetensors(join(dir, 'vgg16.safetensors'), weights);
    const vgg = await loadVggWeights(join(dir, 'vgg16.safetensors'));
    await rm(dir, { recursive: true });
    const id = await syntheticIdentity({ size: 32, train: 2, heldOut: 0, side: 0 });
    const settings = { frames: id.frames, model: id.model, uvSize: 16, steps: { map: 3, joint: 0, color: 0, inpainter: 0, a2e: 0 }, color: false as const, inpainter: false as const };
    const plain = await adapt(settings);
    const perceptual = await adapt({ ...settings, perceptual: { vgg, weight: 1 } });
    expect(perceptual.report.stages[0]!.finalLoss).toBeGreaterThan(plain.report.stages[0]!.finalLoss + 1e-4);
    expect([...perceptual.avatar.params.keys()].some((n) => n.startsWith('vgg.'))).toBe(false); // not saved with the avatar
  });

  it('loadVggWeights: a careless path is a ValidationError naming it, a missing file a FileSystemError', async () => {
    const { FileSystemError, ValidationError } = await import('../lib/index.js');
    await expect(loadVggWeights(undefined as never)).rejects.toThrow(/^loadVggWeights: expected path to be a non-empty path string, received undefined/);
    await expect(loadVggWeights(new Float32Array(2) as never)).rejects.toThrow(ValidationError);
    await expect(loadVggWeights(join(tmpdir(), 'ggt-no-such-vgg16.safetensors'))).rejects.toThrow(FileSystemError);
    await expect(imageMetrics(a, a, null as never)).rejects.toThrow(/^imageMetrics: expected options to be an object, received null/);
    await expect(imageMetrics(a, a, { vgg: {} as never })).rejects.toThrow(/^imageMetrics: expected options\.vgg to be VggWeights \(as loadVggWeights returns\), received an object/);
  });

  it('rejects images of different shapes', async () => {
    await expect(imageMetrics(a, { data: new Float32Array(3 * 24 * 24), shape: [1, 3, 24, 24] })).rejects.toThrow(/B = 2/);
  });
});
