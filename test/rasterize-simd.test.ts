// Every CPU kernel variant (scalar, AVX2, and AVX-512 where the CPU has it) against the
// float64 reference: GGT_CPU_SIMD caps the variant and is read once per process, so each runs
// in a child process. Tolerances as in rasterize-reference.test.ts.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

function errorsWith(simd: string): Record<string, number> {
  const out = execFileSync(process.execPath, ['--import', 'tsx', 'test/helpers/simd-check.ts'], {
    env: { ...process.env, GGT_CPU_SIMD: simd },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return JSON.parse(out.trim().split('\n').pop()!) as Record<string, number>;
}

describe('CPU kernel variants', () => {
  for (const simd of ['scalar', 'avx2']) {
    it(`GGT_CPU_SIMD=${simd} matches the float64 reference`, () => {
      const errors = errorsWith(simd);
      expect(Object.keys(errors).length).toBe(14);
      for (const [name, err] of Object.entries(errors)) {
        expect(err, name).toBeLessThan(name.endsWith('image') || name.endsWith('alpha') ? 1e-5 : 1e-4);
      }
    });
  }
});
