// Every CPU kernel variant (scalar, AVX2, and AVX-512 where the CPU has it) against the
// float64 reference: GGT_CPU_SIMD caps the variant and is read once per process, so each runs
// in a child process. Tolerances as in rasterize-reference.test.ts.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

function errorsWith(simd: string): { kernels: string; errors: Record<string, number> } {
  const out = execFileSync(process.execPath, ['--import', 'tsx', 'test/helpers/simd-check.ts'], {
    env: { ...process.env, GGT_CPU_SIMD: simd },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return JSON.parse(out.trim().split('\n').pop()!) as { kernels: string; errors: Record<string, number> };
}

// What the capped choice must give on this CPU (AVX2 kernels need AVX2 and FMA).
const flags = ` ${readFileSync('/proc/cpuinfo', 'utf8').match(/^flags\s*:(.*)$/m)?.[1] ?? ''} `;
const expected: Record<string, string> = { scalar: 'scalar', avx2: flags.includes(' avx2 ') && flags.includes(' fma ') ? 'avx2' : 'scalar' };

describe('CPU kernel variants', () => {
  for (const simd of ['scalar', 'avx2']) {
    it(`GGT_CPU_SIMD=${simd} matches the float64 reference`, () => {
      const { kernels, errors } = errorsWith(simd);
      // The cap must really select that variant.
      expect(kernels).toBe(expected[simd]);
      expect(Object.keys(errors).length).toBe(14);
      for (const [name, err] of Object.entries(errors)) {
        expect(err, name).toBeLessThan(name.endsWith('image') || name.endsWith('alpha') ? 1e-5 : 1e-4);
      }
    });
  }
});
