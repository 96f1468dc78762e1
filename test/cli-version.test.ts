// `ggtalker --version` prints the version package.json states (read here independently).
import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';

import { main } from '../lib/cli/main.js';

describe('ggtalker --version', () => {
  it('prints package.json\'s version and exits 0, under each spelling', async () => {
    const expected = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
    expect(expected).toMatch(/^\d+\.\d+\.\d+/);
    for (const flag of ['--version', '-V', 'version']) {
      const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
      try {
        expect(await main([flag])).toBe(0);
        expect(out.mock.calls.map((c) => String(c[0])).join('')).toBe(`${expected}\n`);
      } finally {
        out.mockRestore();
      }
    }
  });
});
