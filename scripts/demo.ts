// `npm run demo`: the procedural FLAME-format head, posed and animated through the native
// FLAME forward, rigged Gaussians and the rasterizer; writes PNG frames to demo-output/ and
// prints the timings. Nothing is downloaded.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';

import { backends, Flame, gaussiansOnMesh, lookAt, renderHead, type FlameParams } from '../lib/index.js';
import { assemble } from '../lib/flame/procedural/assemble.js';
import { makeProceduralHead } from '../lib/flame/procedural/index.js';
import { bakeLighting } from '../lib/flame/procedural/shading.js';
import { writePng } from '../lib/io/png.js';

const out = process.argv[2] ?? 'demo-output';
await mkdir(out, { recursive: true });
const b = backends();
console.log(`ggtalker demo: LibTorch ${b.torchVersion}, ${b.threads} CPU threads, CUDA kernels: ${b.cuda ? 'yes' : 'no'}`);

const head = makeProceduralHead({ seed: 0 });
const flame = Flame.from(head.model);
// The colours the demo's avatar shows: albedo with its lighting baked in (shading.ts).
const gaussians = gaussiansOnMesh(head.model, bakeLighting(assemble(), head.model.vTemplate, head.model.faces, head.vertexColors));
console.log(`procedural head: ${head.model.vertexCount} vertices, ${head.model.faces.length / 3} faces, ${gaussians.face.shape[0]} Gaussians`);

const expr = (weights: Record<string, number>) => {
  const e = new Float32Array(head.model.exprCount);
  for (const [name, w] of Object.entries(weights)) e[head.expressionNames.indexOf(name)] = w;
  return { data: e, shape: [e.length] };
};
const vec = (...v: number[]) => ({ data: Float32Array.from(v), shape: [v.length] });
const frames: [string, FlameParams][] = [
  ['neutral', {}],
  ['smile', { expr: expr({ smile: 1 }) }],
  ['jaw-open', { jaw: vec(0.3, 0, 0) }],
  ['ooh', { expr: expr({ lip_round: 1 }), jaw: vec(0.12, 0, 0) }],
  ['blink', { expr: expr({ blink_left: 1, blink_right: 1 }) }],
  ['turn', { rotation: vec(0, 0.5, 0), neck: vec(0.1, 0, 0), expr: expr({ brow_raise: 0.8 }) }],
];
const camera = { view: lookAt([0, 0.02, 0.75], [0, 0.01, 0], [0, 1, 0]), fx: 1100, fy: 1100, cx: 256, cy: 256, width: 512, height: 512 };
for (const [name, params] of frames) {
  const t0 = performance.now();
  const { image } = await renderHead({ flame, params, gaussians }, { camera, background: [0.16, 0.18, 0.22], mode: 'antialiased' });
  const ms = performance.now() - t0;
  const file = join(out, `head-${name}.png`);
  await writePng(file, image);
  console.log(`  ${name.padEnd(9)} ${ms.toFixed(0).padStart(5)} ms  -> ${file}`);
}
console.log(`wrote ${frames.length} frames to ${out}/`);
