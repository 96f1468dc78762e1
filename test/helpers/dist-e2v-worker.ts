// One rank of a data-parallel Expression-Visual prior run, for test/distributed-e2v.test.ts:
// argv[2] is {steps, batch, out}; the rank comes from the torchrun variables; rank 0 writes the
// generator's weights (JSON of {name: number[]}) and the per-step losses to `out`.
import { writeFileSync } from 'node:fs';

import { IdentityGaussianGenerator, makeProceduralHead, meshUvMap, setThreads, trainExpressionVisualPrior, uvLayout } from '../../lib/index.js';
import { syntheticIdentity } from './avatar-data.js';

const run = JSON.parse(process.argv[2]!) as { steps: number; batch: number; out: string };
setThreads(1);
const head = makeProceduralHead({ seed: 0 });
const identities = [];
for (const seed of [3, 5]) identities.push({ frames: (await syntheticIdentity({ size: 32, train: 3, heldOut: 0, side: 0, seed })).frames });
const base = meshUvMap(head.model, head.vertexColors, await uvLayout(head.model.uv!, { height: 16, width: 16 }));
const generator = await IdentityGaussianGenerator.create({ config: { imageSize: 32, uvSize: 16, latentSize: 4, channels: 8, maxChannels: 16 }, base });
const rank = Number(process.env.RANK ?? 0);
const result = await trainExpressionVisualPrior({
  identities,
  model: head.model,
  generator,
  steps: run.steps,
  batch: run.batch,
  lr: 1e-3,
  seed: 2,
  ...(process.env.WORLD_SIZE ? { distributed: { rank, worldSize: Number(process.env.WORLD_SIZE), masterPort: Number(process.env.MASTER_PORT), timeoutSeconds: 60 } } : {}),
});
if (rank === 0) {
  const weights: Record<string, number[]> = {};
  for (const [name, t] of result.generator.params) weights[name] = Array.from(t.toArray().data as Float32Array);
  writeFileSync(run.out, JSON.stringify({ weights, losses: result.losses.map((loss, step) => ({ step, loss })) }));
}
