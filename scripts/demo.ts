// `npm run demo`: renders the benchmark head cloud (DESIGN.md §8: 100k Gaussians on a
// head-sized shell) from a ring of viewpoints with the native rasterizer, writes PNGs to
// demo-output/, and prints the timings. Nothing is downloaded.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';

import { backends, benchScene, lookAt, rasterize } from '../lib/index.js';
import { writePng } from '../lib/io/png.js';

const out = process.argv[2] ?? 'demo-output';
await mkdir(out, { recursive: true });
const b = backends();
console.log(`ggtalker demo: LibTorch ${b.torchVersion}, ${b.threads} CPU threads, CUDA kernels: ${b.cuda ? 'yes' : 'no'}`);

const { gaussians, camera } = benchScene('head', 0);
// Shade the shell by position so its shape reads in a still image.
const n = gaussians.opacities.shape[0]!;
const colors = new Float32Array(n * 3);
for (let i = 0; i < n; i++) {
  const [x, y, z] = [gaussians.means.get(i, 0), gaussians.means.get(i, 1), gaussians.means.get(i, 2)];
  colors[3 * i] = 0.55 + 3 * x;
  colors[3 * i + 1] = 0.45 - 2 * y;
  colors[3 * i + 2] = 0.5 + 3 * z;
}
const views = 6;
for (let v = 0; v < views; v++) {
  const angle = (2 * Math.PI * v) / views;
  const eye = [0.6 * Math.sin(angle), -0.05, -0.6 * Math.cos(angle)] as const;
  const t0 = performance.now();
  const { image } = await rasterize(
    { ...gaussians, colors: { data: colors, shape: [n, 3] } },
    { camera: { ...camera, view: lookAt(eye, [0, 0, 0]) }, background: [0.08, 0.08, 0.1], mode: 'antialiased' },
  );
  const ms = performance.now() - t0;
  const file = join(out, `head-${v}.png`);
  await writePng(file, image);
  console.log(`  view ${v}: ${ms.toFixed(0)} ms -> ${file}`);
}
console.log(`wrote ${views} views of ${n} Gaussians at ${camera.width}x${camera.height} to ${out}/`);
