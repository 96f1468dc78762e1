// Run by avatar-render.test.ts in a child process of its own (GC heuristics undisturbed by
// other tests): renders a frame through each of `n` inpainter workspaces, dropping each at once
// without forcing a collection, and prints how many V8 collected meanwhile. Each holds ~8.6 MB
// of native activations; V8 collects them promptly only if it is told of that memory.
import ndarray from 'ndarray';

import { inpaintingAvatar } from './inpainting-avatar.js';

const size = 128;
const avatar = await inpaintingAvatar(size, 64, { channels: 16, levels: 2 });
const frames = [{ expr: new Float32Array(avatar.model.exprCount), jaw: Float32Array.of(0.1, 0, 0) }];
const background = ndarray(new Float32Array(size * size * 3).fill(0.5), [size, size, 3]);
let collected = 0;
const registry = new FinalizationRegistry(() => {
  collected++;
});
const n = Number(process.argv[2] ?? 80);
for (let i = 0; i < n; i++) {
  const workspace = {};
  registry.register(workspace, i);
  await avatar.renderFrames({ frames, background }, workspace);
  await new Promise((resolve) => setImmediate(resolve));
}
await new Promise((resolve) => setTimeout(resolve, 50));
console.log(JSON.stringify({ n, collected, rssMB: Math.round(process.memoryUsage().rss / 2 ** 20) }));
