// FLAME forward + rigging + rendering per frame (`npm run bench -- rig`): one JSON line per
// (model, stage): a single frame end to end through renderHead, and FLAME + rigging batched
// over 100 frames (ms per frame), the rig both copied to JS arrays and kept native (the fused
// CPU kernel's own speed). Medians after warm-up.
import { backends, Flame, lookAt, renderHead, rigGaussians, rigGaussiansTensors, Tensor, type AvatarGaussians, type FlameModel } from '../index.js';
import type { BenchArgs } from './run.js';
import { flameSizedModel, gaussiansOnFaces } from './flame-sized.js';
import { round, medianMs } from './stats.js';


async function benchModel(name: string, model: FlameModel, gaussians: AvatarGaussians, reps: number): Promise<void> {
  const flame = Flame.from(model);
  const n = gaussians.opacityLogit.shape[0]!;
  const camera = { view: lookAt([0, 0, 0.6], [0, 0, 0], [0, 1, 0]), fx: 1100, fy: 1100, cx: 256, cy: 256, width: 512, height: 512 };
  const jaw = { data: Float32Array.from([0.2, 0, 0]), shape: [3] };
  const base = { model: name, vertices: model.vertexCount, faces: model.faces.length / 3, gaussians: n, threads: backends().threads };
  const frameMs = await medianMs(reps, () => renderHead({ flame, params: { jaw }, gaussians }, { camera }));
  console.log(JSON.stringify({ ...base, case: 'frame', stage: 'flame+rig+render', width: 512, height: 512, ms_per_frame: round(frameMs) }));

  const T = 100;
  const expr = { data: Float32Array.from({ length: T * model.exprCount }, (_, i) => Math.sin(i) * 0.5), shape: [T, model.exprCount] };
  const jaws = { data: Float32Array.from({ length: T * 3 }, (_, i) => (i % 3 === 0 ? 0.2 * Math.sin(i) : 0)), shape: [T, 3] };
  let vertices: Awaited<ReturnType<Flame['forward']>>['vertices'] | undefined;
  const flameMs = await medianMs(Math.max(1, Math.floor(reps / 2)), async () => {
    vertices = (await flame.forward({ expr, jaw: jaws })).vertices;
  });
  const faces = { data: model.faces, shape: [model.faces.length / 3, 3] };
  const rigMs = await medianMs(Math.max(1, Math.floor(reps / 2)), () => rigGaussians(vertices!, faces, gaussians));
  // The same rig, results kept native (what goes on to rasterizeTensors frame by frame).
  const verticesTensor = Tensor.from(vertices!);
  const nativeMs = await medianMs(reps, () => rigGaussiansTensors(verticesTensor, faces, gaussians));
  console.log(JSON.stringify({ ...base, case: 'batch100', stage: 'flame', frames: T, ms_per_frame: round(flameMs / T) }));
  console.log(JSON.stringify({ ...base, case: 'batch100', stage: 'rig', output: 'js-arrays', frames: T, ms_per_frame: round(rigMs / T) }));
  console.log(JSON.stringify({ ...base, case: 'batch100', stage: 'rig', output: 'native', frames: T, ms_per_frame: round(nativeMs / T) }));
}

export async function rigBench(args: BenchArgs): Promise<void> {
  const reps = args.reps ?? 5;
  const cases = args.cases ?? ['procedural', 'flame-sized'];
  if (cases.includes('procedural')) {
    const { makeProceduralHead } = await import('../flame/procedural/index.js');
    const head = makeProceduralHead({ seed: 0 });
    console.error('rig: procedural head...');
    await benchModel('procedural', head.model, gaussiansOnFaces(head.model.faces.length / 3, 100_000), reps);
  }
  if (cases.includes('flame-sized')) {
    console.error('rig: FLAME-sized model...');
    const model = flameSizedModel();
    await benchModel('flame-sized', model, gaussiansOnFaces(model.faces.length / 3, 100_000), reps);
  }
}
