// The addon's cache of large CPU tensor blocks (native/common/caching_cpu_allocator.h): a
// repeated large workload is served from the cache (no fresh memory after its first run),
// results do not depend on it (a child with GGT_CPU_CACHE_MB=0 renders the same bytes), and
// its limit follows GGT_CPU_CACHE_MB.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import { backends, benchScene, rasterize } from '../lib/index.js';

const CHILD = `
import { backends, benchScene, rasterize } from './lib/index.js';
const s = benchScene('small', 3);
const out = await rasterize(s.gaussians, { camera: { ...s.camera, width: 512, height: 512, fx: s.camera.fx * 8, fy: s.camera.fy * 8, cx: 256, cy: 256 } });
const { createHash } = await import('node:crypto');
console.log(JSON.stringify({ cache: backends().cpuCache, hash: createHash('sha256').update(out.image.data).digest('hex') }));
`;

async function render512(): Promise<Float32Array> {
  const s = benchScene('small', 3);
  const camera = { ...s.camera, width: 512, height: 512, fx: s.camera.fx * 8, fy: s.camera.fy * 8, cx: 256, cy: 256 };
  return (await rasterize(s.gaussians, { camera })).image.data;
}

function runChild(env: Record<string, string>): { cache: ReturnType<typeof backends>['cpuCache']; hash: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', CHILD], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 120_000,
  });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

describe('CPU block cache', () => {
  it('serves a repeated large workload from the cache', async () => {
    await render512();  // first run: the blocks (512² images: 3 MiB, 1 MiB) are fresh
    const before = backends().cpuCache;
    expect(before.limitBytes).toBeGreaterThan(0);
    for (let i = 0; i < 3; i++) {
      await render512();
      (globalThis as { gc?: () => void }).gc?.();
    }
    const after = backends().cpuCache;
    expect(after.hits - before.hits).toBeGreaterThanOrEqual(3);
    expect(after.cachedBytes).toBeLessThanOrEqual(after.limitBytes);
  });

  it('changes no result, and GGT_CPU_CACHE_MB sets its limit (0: off)', () => {
    const off = runChild({ GGT_CPU_CACHE_MB: '0' });
    const small = runChild({ GGT_CPU_CACHE_MB: '64' });
    expect(off.cache.limitBytes).toBe(0);
    expect(off.cache.hits + off.cache.misses).toBe(0);  // nothing went through the cache
    expect(small.cache.limitBytes).toBe(64 * 2 ** 20);
    expect(small.cache.misses).toBeGreaterThan(0);
    expect(small.hash).toBe(off.hash);
    expect(createHash('sha256').update(new Float32Array(4)).digest('hex')).not.toBe(off.hash);
  });
});
