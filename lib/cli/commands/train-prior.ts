/**
 * `ggtalker train-prior a2e|ev`: the Audio-Expression prior from a speech dataset, or the
 * Expression-Visual prior (generator + inpainter) from identity datasets.
 *
 * @module
 */

import { trainAudioExpressionPrior } from '../../a2e/train.js';
import { setThreads } from '../../backends.js';
import { launchLocalRanks, threadsPerRank } from '../../distributed/launcher.js';
import { distributedFromEnv, type DistributedOptions } from '../../distributed/process-group.js';
import { DistributedError } from '../../errors.js';
import { trainExpressionVisualPrior } from '../../avatar/ev-prior.js';
import { meshUvMap } from '../../avatar/uv-map.js';
import { uvLayout } from '../../rig/uv.js';
import { studioHead } from '../../synthetic/studio/index.js';
import { integer, number, parse, required, UsageError } from '../args.js';
import type { CommandContext } from '../context.js';
import { FLAME_HELP, FLAME_OPTIONS, flameFromOptions } from '../flame-option.js';

export const help = `ggtalker train-prior a2e --dataset SPEECH_DIR --out STEM [--steps 20000] [--batch 16]
                     [--lr 1e-4] [--config JSON] [--checkpoint STEM]
ggtalker train-prior ev --identities DIR[,DIR...] --out GENERATOR.safetensors [--steps 20000]
                     [--image-size 512] [--uv-size 128] [--size N] [--lr 1e-4] [--inpainter FILE]
                     [--flame FILE [--flame-uv OBJ] [--flame-landmarks NPY]]
both: [--allow-external-files] [--threads N]
     [--nproc-per-node N [--nnodes M --node-rank K] [--master-addr HOST] [--master-port PORT]]
     [--dist-timeout SECONDS]

a2e: a speech dataset folder (npm run make-speech) -> <STEM>.json + <STEM>.safetensors;
     --config overrides sizes, e.g. '{"dModel":256,"decoderLayers":4}'; --checkpoint resumes.
ev:  VHAP-format identity folders -> the Identity-Gaussian Generator (and, with --inpainter,
     the body inpainter trained alongside), on the procedural head's topology unless
     --flame names the FLAME model the identities were tracked with.
${FLAME_HELP}
--allow-external-files  read files a dataset names outside its folder (absolute or ../ paths);
                        refused by default, as a dataset from someone else could name any file
--threads N             LibTorch CPU threads of this process (default: all cores; with
                        --nproc-per-node, the cores shared out among the ranks)

Data-parallel training (docs/distributed-training.md): --nproc-per-node N starts N ranks on this
machine and supervises them (one failing stops the others); --nnodes/--node-rank/--master-addr/
--master-port run the same command on each of several machines. Started by torchrun, srun or
any launcher that sets RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT, the command joins that
run instead. --batch is per rank; rank 0 writes --out and --checkpoint and shows progress.
--dist-timeout (default 300) is how long a rank waits for the others before failing.`;

export async function run(argv: string[], ctx: CommandContext): Promise<void> {
  const { values, positionals } = parse(argv, {
    dataset: { type: 'string' }, identities: { type: 'string' }, out: { type: 'string' }, steps: { type: 'string' }, batch: { type: 'string' }, lr: { type: 'string' },
    ...FLAME_OPTIONS,
    config: { type: 'string' }, checkpoint: { type: 'string' }, 'image-size': { type: 'string' }, 'uv-size': { type: 'string' }, size: { type: 'string' }, inpainter: { type: 'string' },
    'allow-external-files': { type: 'boolean' }, threads: { type: 'string' },
    'nproc-per-node': { type: 'string' }, nnodes: { type: 'string' }, 'node-rank': { type: 'string' }, 'master-addr': { type: 'string' }, 'master-port': { type: 'string' },
    'dist-timeout': { type: 'string' },
  });
  const nproc = integer(values, 'nproc-per-node');
  if (nproc !== undefined) {
    const code = await launchLocalRanks({
      nprocPerNode: nproc,
      nnodes: integer(values, 'nnodes', 1)!,
      nodeRank: integer(values, 'node-rank', 0)!,
      ...(values['master-addr'] ? { masterAddr: values['master-addr'] as string } : {}),
      ...(values['master-port'] ? { masterPort: integer(values, 'master-port')! } : {}),
      args: [process.argv[1]!, 'train-prior', ...rankArgs(argv), ...(values.threads ? [] : ['--threads', String(threadsPerRank(nproc))])],
      log: ctx.log,
      signal: ctx.signal,
    });
    if (code !== 0) throw new DistributedError(`a rank failed (exit code ${code}); the others were stopped. Rerun the same command to resume from --checkpoint`);
    return;
  }
  const threads = integer(values, 'threads');
  if (threads !== undefined) setThreads(threads);
  const fromEnv = distributedFromEnv();
  const timeoutSeconds = number(values, 'dist-timeout');
  const distributed: DistributedOptions | false = fromEnv ? { ...fromEnv, ...(timeoutSeconds !== undefined ? { timeoutSeconds } : {}) } : false;
  const leader = !fromEnv || fromEnv.rank === 0;
  if (!leader) ctx.progress.done();
  const allowExternalFiles = values['allow-external-files'] === true;
  const kind = positionals[0];
  const out = required(values, 'out');
  const steps = integer(values, 'steps', 20000)!;
  if (kind === 'a2e') {
    let config = {};
    if (values.config) {
      try {
        config = JSON.parse(values.config as string) as object;
      } catch {
        throw new UsageError(`expected --config to be JSON, received ${String(values.config)}`);
      }
    }
    const r = await trainAudioExpressionPrior({
      dataset: required(values, 'dataset'), allowExternalFiles, steps, batch: integer(values, 'batch', 16)!, lr: number(values, 'lr', 1e-4)!, config,
      ...(values.checkpoint ? { checkpoint: values.checkpoint as string } : {}),
      signal: ctx.signal,
      distributed,
      onProgress: (p) => ctx.progress.update(p.fraction, `step ${p.step}/${p.steps}, loss ${p.loss.toFixed(4)}${p.validationLoss !== undefined ? `, validation ${p.validationLoss.toFixed(4)}` : ''}`),
    });
    ctx.progress.done();
    if (!leader) return;
    await r.model.save(out);
    ctx.log(`wrote ${out}.json and ${out}.safetensors`);
    return;
  }
  if (kind === 'ev') {
    const flame = await flameFromOptions(values);
    const head = flame ? undefined : studioHead();
    const model = flame ?? head!.model;
    if (!model.uv) throw new UsageError(`--flame ${String(values.flame)} has no UV layout: add --flame-uv head_template_mesh.obj`);
    const uvSize = integer(values, 'uv-size', 128)!;
    // The generator's starting map: the template in the head's colours (mid grey for FLAME).
    const colors = head ? head.vertexColors : new Float32Array(model.vertexCount * 3).fill(0.5);
    const base = meshUvMap(model, colors, await uvLayout(model.uv, { height: uvSize, width: uvSize }));
    const size = integer(values, 'size');
    const r = await trainExpressionVisualPrior({
      identities: required(values, 'identities').split(','),
      allowExternalFiles,
      model,
      config: { imageSize: integer(values, 'image-size', 512)!, uvSize },
      base,
      ...(size ? { size } : {}),
      ...(values.inpainter ? { inpainter: {} } : {}),
      steps, lr: number(values, 'lr', 1e-4)!, batch: integer(values, 'batch', 4)!,
      signal: ctx.signal,
      distributed,
      onProgress: (p) => ctx.progress.update(p.fraction, `step ${p.step}/${p.steps}, loss ${p.loss.toFixed(4)}, PSNR ${p.psnr.toFixed(2)}`),
    });
    ctx.progress.done();
    if (!leader) return;
    await r.generator.save(out);
    if (values.inpainter && r.inpainter) await r.inpainter.save(values.inpainter as string);
    ctx.log(`wrote ${out}${values.inpainter ? ` and ${String(values.inpainter)}` : ''}`);
    return;
  }
  throw new UsageError(`expected train-prior a2e or train-prior ev, received ${kind ?? 'nothing'}`);
}

/** The command's own arguments without the launcher's (each rank is told its place by the environment). */
function rankArgs(argv: string[]): string[] {
  const launcher = new Set(['--nproc-per-node', '--nnodes', '--node-rank', '--master-addr', '--master-port']);
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (launcher.has(a)) i++;
    else if (![...launcher].some((f) => a.startsWith(`${f}=`))) out.push(a);
  }
  return out;
}
