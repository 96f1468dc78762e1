// Every CPU kernel variant (scalar, AVX2, and AVX-512 where the CPU has it) against the
// float64 reference: GGT_CPU_SIMD caps the variant and is read once per process, so each runs
// in a child process. Tolerances as in rasterize-reference.test.ts.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

type Check = { kernels: string; errors: Record<string, number>; radii: Record<string, number[]>; pairs: { rect: number; listed: number } };

function errorsWith(simd: string): Check {
  const out = execFileSync(process.execPath, ['--import', 'tsx', 'test/helpers/simd-check.ts'], {
    env: { ...process.env, GGT_CPU_SIMD: simd },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return JSON.parse(out.trim().split('\n').pop()!) as Check;
}

// What the capped choice must give on this CPU (AVX2 kernels need AVX2 and FMA).
const flags = ` ${readFileSync('/proc/cpuinfo', 'utf8').match(/^flags\s*:(.*)$/m)?.[1] ?? ''} `;
const expected: Record<string, string> = { scalar: 'scalar', avx2: flags.includes(' avx2 ') && flags.includes(' fma ') ? 'avx2' : 'scalar' };

const checks = new Map<string, Check>();
const checkWith = (simd: string): Check => {
  if (!checks.has(simd)) checks.set(simd, errorsWith(simd));
  return checks.get(simd)!;
};

describe('CPU kernel variants', () => {
  for (const simd of ['scalar', 'avx2']) {
    it(`GGT_CPU_SIMD=${simd} matches the float64 reference`, () => {
      const { kernels, errors } = checkWith(simd);
      // The cap must really select that variant.
      expect(kernels).toBe(expected[simd]);
      expect(Object.keys(errors).length).toBe(16);
      for (const [name, err] of Object.entries(errors)) {
        expect(err, name).toBeLessThan(name.endsWith('image') || name.endsWith('alpha') ? 1e-5 : 1e-4);
      }
    });
  }

  // Each variant computes the tile masks in its projection: each must leave out the tiles the
  // thin Gaussians miss (and match the reference above, so none they reach).
  it('every variant lists only the tiles the Gaussians reach', () => {
    for (const check of [checkWith('scalar'), checkWith('avx2'), checkWith('avx512')]) {
      expect(check.pairs.rect, check.kernels).toBeGreaterThan(600);
      expect(check.pairs.listed, check.kernels).toBeLessThan(0.85 * check.pairs.rect);
    }
  });

  // The projection runs per variant too (V::kLanes Gaussians at a time). The scalar variant is
  // project_gaussian's arithmetic operation for operation (what CUDA runs); the vector ones may
  // fuse a * b + c, which must not move a radius or a culling decision on this scene.
  it('every variant gives the scalar projection\'s radii and culling, edge cases included', () => {
    const scalar = checkWith('scalar').radii;
    for (const mode of ['classic', 'antialiased']) {
      const culled = scalar[mode]!.filter((x) => x === 0).length;
      // The scene really has both culled and drawn Gaussians.
      expect(culled).toBeGreaterThan(200);
      expect(culled).toBeLessThan(1000);
      for (const other of [checkWith('avx2'), checkWith('avx512')]) {
        const differing = other.radii[mode]!.filter((x, i) => x !== scalar[mode]![i]).length;
        expect(differing, `${other.kernels} ${mode}`).toBe(0);
      }
      // Against the float64 reference (which culls by the 3DGS rectangle only, not by the
      // alpha >= 1/255 extent): every Gaussian the kernels draw, it draws, with the same
      // radius; float64 may round ceil(3 sigma) differently at an integer, by 1 (none here).
      const reference = scalar[`${mode}.reference`]!;
      let drawn = 0;
      let off = 0;
      scalar[mode]!.forEach((x, i) => {
        if (x === 0) return;
        drawn++;
        expect(reference[i], `Gaussian ${i}`).toBeGreaterThan(0);
        expect(Math.abs(reference[i]! - x), `Gaussian ${i}`).toBeLessThanOrEqual(1);
        if (reference[i] !== x) off++;
      });
      expect(drawn).toBeGreaterThan(200);
      expect(off).toBeLessThanOrEqual(2);
    }
  });
});
