// Rasterizer benchmark on the scenes of DESIGN.md §8: medians after warm-up (2 s, `warmup_runs`
// calls) of the forward
// (projection + binning + blending, native tensors in and out) and of the backward (gradients
// of sum(image * fixed random weights) to all inputs), per backend. The `reference` case times
// the float64 per-pixel reference and the kernels on the same small scene. On the CPU each line
// also has `stage_ms`: checks (input checks before the kernels), project, sort (tile counts,
// binning, sorting), blend, backwardBlend, backwardProject, forwardTotal (the whole native
// forward); and `tile_pairs`: the last render's (tile, Gaussian) pairs in the Gaussians' tile
// rectangles (`rect`) and in the tile lists (`listed`: those whose tiles the ellipses reach).
import {
  backends,
  benchScene,
  rasterizeTensors,
  referenceRasterize,
  Tensor,
  type BenchScene,
} from '../index.js';
import { native } from '../native.js';
import { benchDevices } from './devices.js';
import type { BenchArgs } from './run.js';
import { median, round } from './stats.js';

const now = (): number => performance.now();
const WARMUP_RUNS = 2;
const WARMUP_MS = 2000;

function weights(height: number, width: number): { data: Float32Array; shape: number[] } {
  let s = 12345;
  const data = Float32Array.from({ length: height * width * 3 }, () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32));
  return { data, shape: [height, width, 3] };
}

// A careful training loop releases each step's results as it goes (Tensor.dispose).
function disposeAll(out: object): void {
  for (const t of Object.values(out)) if (t instanceof Tensor) t.dispose();
}

async function timeKernels(scene: BenchScene, device: string, reps: number) {
  const { gaussians: g, camera } = scene;
  const w = Tensor.from(weights(camera.height, camera.width), { device });
  const t = (a: (typeof g)['means']) => Tensor.from(a, { requiresGrad: true, device });
  const inputs = { means: t(g.means), quats: t(g.quats), scales: t(g.scales), opacities: t(g.opacities), colors: t(g.colors) };
  const forward: number[] = [];
  const backward: number[] = [];
  const stages: Record<string, number[]> = {};
  let pairs: { rect: number; listed: number } | undefined;  // (tile, Gaussian) pairs of the last render
  // Warm-up: at least WARMUP_RUNS calls and WARMUP_MS of them. The first renders of a process
  // run slower (head: ~13 calls at 13-16 ms of blending against 11 after) while the CPU block
  // cache fills: results stay alive until V8 collects their handles, so until then every call
  // takes fresh, page-faulting memory.
  const warmupStart = now();
  let warmup = 0;
  while (warmup < WARMUP_RUNS || now() - warmupStart < WARMUP_MS) {
    const out = await rasterizeTensors(inputs, { camera, device });
    await out.image.backward(w);
    disposeAll(out);
    warmup++;
  }
  for (let r = 0; r < reps; r++) {
    const t0 = now();
    const out = await rasterizeTensors(inputs, { camera, device });
    const t1 = now();
    await out.image.backward(w);
    const t2 = now();
    disposeAll(out);
    {
      forward.push(t1 - t0);
      backward.push(t2 - t1);
      if (device === 'cpu') {
        const { rectTilePairs, tilePairs, ...times } = native().rasterizerStageTimes();
        for (const [k, v] of Object.entries(times)) (stages[k] ??= []).push(v);
        pairs = { rect: rectTilePairs, listed: tilePairs };
      }
    }
  }
  // Per stage (CPU only), medians: the native kernels' own times; forward_ms less their sum is
  // what the TypeScript call and LibTorch's autograd cost around them.
  const stage_ms = Object.fromEntries(Object.entries(stages).map(([k, v]) => [k, round(median(v))]));
  return {
    forward_ms: round(median(forward)),
    backward_ms: round(median(backward)),
    warmup_runs: warmup,
    ...(device === 'cpu' ? { stage_ms, tile_pairs: pairs } : {}),
  };
}

async function timeReference(scene: BenchScene, reps: number) {
  const { gaussians, camera } = scene;
  const outputGrads = { image: weights(camera.height, camera.width) };
  const forward: number[] = [];
  const both: number[] = [];
  for (let r = 0; r < reps + 1; r++) {
    const t0 = now();
    await referenceRasterize(gaussians, { camera });
    const t1 = now();
    await referenceRasterize(gaussians, { camera, outputGrads });
    const t2 = now();
    if (r >= 1) {
      forward.push(t1 - t0);
      both.push(t2 - t1);
    }
  }
  const f = median(forward);
  return { forward_ms: round(f), backward_ms: round(Math.max(0, median(both) - f)) };
}


export async function rasterizerBench(args: BenchArgs): Promise<void> {
  const devices = benchDevices(args);
  const cases = args.cases ?? ['reference', 'head', 'scene'];
  for (const name of cases) {
    const sceneName = name === 'reference' ? 'small' : (name as 'head' | 'scene');
    const scene = benchScene(sceneName, 0);
    const n = scene.gaussians.opacities.shape[0]!;
    const base = { case: name, n, width: scene.camera.width, height: scene.camera.height };
    const reps = args.reps ?? (name === 'scene' ? 3 : 10);
    for (const device of devices) {
      console.error(`rasterizer: ${name} on ${device}...`);
      const kernel = await timeKernels(scene, device, reps);
      const threads = device === 'cpu' ? backends().threads : 0;
      if (name === 'reference') {
        const ref = await timeReference(scene, Math.min(reps, 3));
        const speedup = (ref.forward_ms + ref.backward_ms) / (kernel.forward_ms + kernel.backward_ms);
        console.log(JSON.stringify({ ...base, backend: device, threads, ...kernel,
          reference_forward_ms: ref.forward_ms, reference_backward_ms: ref.backward_ms, speedup: round(speedup) }));
      } else {
        console.log(JSON.stringify({ ...base, backend: device, threads, ...kernel }));
      }
    }
  }
}
