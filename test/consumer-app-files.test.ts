/** The consumer-app check's helpers: which files shipped Markdown and source maps point at. */
import { describe, expect, it } from 'vitest';

import { mapSources, markdownLinks } from '../scripts/consumer-app/shipped-files.mjs';

describe('markdownLinks', () => {
  it('keeps relative links and images, without anchors or titles', () => {
    const md = 'See [the guide](docs/synthesis.md#idle-motion), ![frame](docs/demo-frame.png "a frame") and <img src="docs/a.png">.';
    expect(markdownLinks(md)).toEqual(['docs/synthesis.md', 'docs/demo-frame.png', 'docs/a.png']);
  });

  it('leaves out web addresses, mailto, in-page anchors and code', () => {
    const md = '[a](https://x.org/y.md) [b](mailto:a@b.c) [c](#usage) `[d](inline.md)`\n```md\n[e](fenced.md)\n```\n[f](../README.md)';
    expect(markdownLinks(md)).toEqual(['../README.md']);
  });

  it('decodes escaped characters', () => {
    expect(markdownLinks('[x](my%20file.md)')).toEqual(['my file.md']);
  });
});

describe('mapSources', () => {
  it('resolves sources against the map and its sourceRoot', () => {
    expect(mapSources({ sources: ['../../lib/a2e/model.ts'] }, 'dist/a2e/model.js.map')).toEqual(['lib/a2e/model.ts']);
    expect(mapSources({ sourceRoot: '../src', sources: ['x.ts'] }, 'dist/x.js.map')).toEqual(['src/x.ts']);
  });

  it('rejects a map without sources', () => {
    expect(() => mapSources({ version: 3 }, 'dist/x.js.map')).toThrow(/dist\/x\.js\.map: expected a source map with a "sources" array/);
  });
});
