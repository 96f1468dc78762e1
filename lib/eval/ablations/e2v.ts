/**
 * Ablation 2, the Expression-Visual prior (paper Table 3, "E2V"): the Identity-Gaussian
 * Generator trained on studio identities, then on held-out identities:
 *   - a mean-colour head (the tracked head, every vertex the training frames' mean head colour);
 *   - the prior only: G(I_ref), no adaptation;
 *   - adaptation from scratch: no priors (adapt() starts from the template coloured by
 *     projecting the reference frame onto it);
 *   - the prior + adaptation.
 * PSNR / SSIM on held-out front frames and on novel views (the studio's held-out cameras: yaw
 * ±15°, ±30°, ±60°, pitch ±20°). The generator trains on identities with the studio's default
 * tracking error; the held-out identities here carry their true parameters (ablation 4 adds noise).
 *
 * @module
 */

import { trainExpressionVisualPrior } from '../../avatar/ev-prior.js';
import { IdentityGaussianGenerator } from '../../avatar/generator.js';
import { meshUvMap } from '../../avatar/uv-map.js';
import { Flame } from '../../flame/flame.js';
import { renderHead } from '../../render/render-head.js';
import { gaussiansOnMesh } from '../../rig/mesh-gaussians.js';
import { uvLayout } from '../../rig/uv.js';
import { studioHead } from '../../synthetic/studio/identity.js';
import { adaptAndScore, meanScores } from './adapt-run.js';
import type { ImageScores } from './image-eval.js';
import { scoreHeldOut, type HeadRenderer } from './image-eval.js';
import type { StudioPerson } from './identities.js';
import type { AblationPreset } from './preset.js';
import type { Lpips } from '../lpips.js';

export type E2vMethod = 'mean-colour head' | 'prior only' | 'scratch + adaptation' | 'prior + adaptation';

export interface ImageRow {
  method: string;
  scores: ImageScores;
}

export interface E2vAblation {
  rows: ImageRow[];
  generator: IdentityGaussianGenerator;
  prior: { identities: number; steps: number; firstLoss: number; lastLoss: number };
  seconds: { prior: number; perIdentity: number[] };
}

/** The head in the frame's tracked pose, every vertex one colour (the training frames' mean inside the mask). */
function meanColourHead(person: StudioPerson): HeadRenderer {
  const head = studioHead();
  const sum = [0, 0, 0];
  let weight = 0;
  for (const f of person.frames.filter((g) => (g.split ?? 'train') === 'train')) {
    const m = f.mask!.data;
    for (let p = 0; p < m.length; p++) {
      for (let c = 0; c < 3; c++) sum[c]! += m[p]! * f.image.data[3 * p + c]!;
      weight += m[p]!;
    }
  }
  const colour = sum.map((s) => s / weight);
  const gaussians = gaussiansOnMesh(head.model, Float32Array.from({ length: head.model.vertexCount * 3 }, (_, i) => colour[i % 3]!));
  const flame = Flame.from(head.model);
  const vec = (v: Float32Array | undefined) => v && { data: v, shape: [v.length] };
  return async (f) => {
    const params = Object.fromEntries(Object.entries({ shape: person.shape, ...f.flame }).filter(([, v]) => v !== undefined).map(([k, v]) => [k, vec(v)]));
    return (await renderHead({ flame, params, gaussians }, { camera: f.camera, background: [0, 0, 0], mode: 'antialiased' })).image.data;
  };
}

/** Trains the generator on `train` people and runs the four rows on `heldOut` people. */
export async function runE2vAblation(train: StudioPerson[], heldOut: StudioPerson[], e2v: AblationPreset['e2v'], log: (m: string) => void, signal?: AbortSignal, lpips?: Lpips): Promise<E2vAblation> {
  const head = studioHead();
  const t0 = performance.now();
  const uv = e2v.generator.uvSize!;
  const base = meshUvMap(head.model, head.vertexColors, await uvLayout(head.model.uv!, { height: uv, width: uv }));
  const generator = await IdentityGaussianGenerator.create({ config: e2v.generator, base });
  log(`e2v: training the generator on ${train.length} identities (${e2v.priorSteps} steps)`);
  const trained = await trainExpressionVisualPrior({
    identities: train.map((p) => ({ frames: p.frames, ...(p.shape ? { shape: p.shape } : {}) })),
    model: head.model,
    generator,
    steps: e2v.priorSteps,
    lr: e2v.priorLr,
    batch: e2v.priorBatch,
    ...(signal ? { signal } : {}),
    onProgress: (p) => p.step % 50 === 0 && log(`e2v prior: step ${p.step}/${p.steps}`),
  });
  const priorSeconds = (performance.now() - t0) / 1000;
  const per: Record<E2vMethod, ImageScores[]> = { 'mean-colour head': [], 'prior only': [], 'scratch + adaptation': [], 'prior + adaptation': [] };
  const perIdentity: number[] = [];
  for (const person of heldOut) {
    const t1 = performance.now();
    per['mean-colour head'].push(await scoreHeldOut(person.frames, meanColourHead(person), lpips));
    const none = { map: 0, joint: 0, color: 0 };
    per['prior only'].push((await adaptAndScore(person, { frames: person.frames, generator: trained.generator, steps: none, color: false, lpips }, e2v, signal)).scores);
    per['scratch + adaptation'].push((await adaptAndScore(person, { frames: person.frames, steps: e2v.adapt, color: true, lpips }, e2v, signal)).scores);
    per['prior + adaptation'].push((await adaptAndScore(person, { frames: person.frames, generator: trained.generator, steps: e2v.adapt, color: true, lpips }, e2v, signal)).scores);
    perIdentity.push((performance.now() - t1) / 1000);
    log(`e2v: identity ${person.seed} done (${perIdentity.at(-1)!.toFixed(1)} s)`);
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  return {
    rows: (Object.keys(per) as E2vMethod[]).map((method) => ({ method, scores: meanScores(per[method]) })),
    generator: trained.generator,
    prior: { identities: train.length, steps: e2v.priorSteps, firstLoss: mean(trained.losses.slice(0, 10)), lastLoss: mean(trained.losses.slice(-10)) },
    seconds: { prior: priorSeconds, perIdentity },
  };
}
