#!/usr/bin/env node
// Checks that the prebuild made by `npm run prebuild` is what node-gyp-build loads when no
// local build exists: copies package.json and prebuilds/ into an empty folder, loads from
// there, and renders one Gaussian; the manifest beside it (prebuild-manifest.mjs) must name the
// LibTorch the binary reports.
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { readManifest } from './prebuild-torch.mjs';

const require = createRequire(import.meta.url);
const dir = mkdtempSync(join(tmpdir(), 'ggt-prebuild-'));
try {
  cpSync('package.json', join(dir, 'package.json'));
  cpSync('prebuilds', join(dir, 'prebuilds'), { recursive: true });
  const path = require('node-gyp-build').resolve(dir);
  if (!path.startsWith(join(dir, 'prebuilds'))) throw new Error(`node-gyp-build resolved ${path}, not the prebuild`);
  const addon = require(path);
  const f = (values, shape) => ({ data: Float32Array.from(values), shape });
  const out = await addon.rasterize({
    means: f([0, 0, 1], [1, 3]), quats: f([1, 0, 0, 0], [1, 4]), scales: f([0.1, 0.1, 0.1], [1, 3]),
    opacities: f([0.9], [1]), colors: f([1, 0, 0], [1, 3]), background: [0, 0, 0], mode: 'classic',
    camera: { view: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1], fx: 10, fy: 10, cx: 4, cy: 4, width: 8, height: 8, near: 0.01, far: 100 },
  });
  const manifest = readManifest(dir);
  if (!manifest) throw new Error('the prebuild has no readable manifest (prebuilds/<platform>-<arch>/ggtalker.json): run `node scripts/prebuild-manifest.mjs`');
  const reported = addon.backends().torchVersion;
  if (manifest.torch.version !== reported) throw new Error(`the manifest says LibTorch ${manifest.torch.version}, the binary reports ${reported}`);
  const centre = out.image.data[(4 * 8 + 4) * 3];
  if (!(centre > 0.5)) throw new Error(`prebuild rendered ${centre} at the centre, expected a red splat`);
  console.log(`prebuild OK: ${path.slice(dir.length + 1)} loads and renders (LibTorch ${reported}, ${manifest.torch.source}; manifest agrees)`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
