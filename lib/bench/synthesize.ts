// Synthesis speed (`npm run bench -- synthesize`): 10 s of audio to 512² frames of the
// procedural avatar on each device (the CPU, and CUDA when available), end to end (expressions + rendering) and per stage: the
// Audio-Expression sampling, then rendering with the head alone, with the colour MLP, and with
// the colour MLP and the body inpainter (random weights: speed does not depend on them).
// Frames per second; JSON lines.
import { arrayToHandle } from '../a2e/native-params.js';
import { Avatar } from '../avatar/avatar.js';
import { proceduralAvatar } from '../avatar/procedural-avatar.js';
import { demoAssets } from '../demo-assets.js';
import { FileSystemError } from '../errors.js';
import { AudioExpressionModel, backends, synthesize } from '../index.js';
import { native, type NativeTensor } from '../native.js';
import { benchDevices } from './devices.js';
import type { BenchArgs } from './run.js';
import { round } from './stats.js';

export async function synthesizeBench(args: BenchArgs): Promise<void> {
  const seconds = 10;
  const size = 512;
  const samples = Float32Array.from({ length: seconds * 16000 }, (_, i) => 0.3 * Math.sin(i / 9) * Math.sin(i / 2000) ** 2);
  const a2e = demoModelPath()
    ? await AudioExpressionModel.load(demoModelPath()!)
    : await AudioExpressionModel.create({ config: { dModel: 128, heads: 4, ffDim: 256, condLayers: 2, decoderLayers: 3, speakerDim: 16, maxFrames: 32, expressionCount: 17 } });
  const base = await proceduralAvatar({ size, uvSize: 256, a2e });
  const withNetworks = async (color: boolean, inpainter: boolean): Promise<Avatar> => {
    const params = new Map<string, NativeTensor>(base.params);
    const add = async (kind: string, prefix: string, config: object) => {
      const raw = await native().avatarNetInit({ kind, config, seed: 1, prefix });
      const flat = (o: Record<string, unknown>, p = ''): void => {
        for (const [k, v] of Object.entries(o)) {
          if (v instanceof (native().Tensor as unknown as new () => object)) params.set(`${p}${k}`, v as NativeTensor);
          else flat(v as Record<string, unknown>, `${p}${k}.`);
        }
      };
      flat(raw);
      // Non-zero output layers, so the networks change the image as trained ones do.
      for (const name of [...params.keys()].filter((n) => n.startsWith(`${prefix}out.`))) {
        const t = params.get(name)!.toArray();
        params.set(name, arrayToHandle({ data: Float32Array.from(t.data as Float32Array, (_, i) => 0.01 * Math.sin(i)), shape: t.shape }));
      }
    };
    const colorConfig = { hidden: 64, layers: 2 };
    const inpainterConfig = { channels: 16, levels: 3 };
    if (color) await add('color', 'color.', { ...colorConfig, codeDim: base.model.exprCount + 9 });
    if (inpainter) await add('inpainter', 'inpaint.', inpainterConfig);
    return new Avatar({
      model: base.model,
      layout: base.layout,
      description: { ...base.description, ...(color ? { color: colorConfig } : {}), ...(inpainter ? { inpainter: inpainterConfig } : {}) },
      params,
      track: base.track!,
      a2e,
    });
  };
  // malloc_env: whether glibc's MALLOC_* tunables were set (they keep freed memory mapped and
  // used to change the inpainter's rate 2.5x, issue 16; the rates must not depend on them now).
  const mallocEnv = Object.keys(process.env).some((k) => k.startsWith('MALLOC_'));
  const common = { case: 'synthesize', width: size, height: size, audio_s: seconds, a2e_parameters: a2e.parameterCount(), gaussians: base.layout.count, steps: 25, malloc_env: mallocEnv };
  const configs: [string, boolean, boolean][] = [
    ['head', false, false],
    ['head+color', true, false],
    ['head+color+inpainter', true, true],
  ];
  for (const device of benchDevices(args)) {
    for (const [stages, color, inpainter] of configs) {
      if (args.cases && !args.cases.includes(stages)) continue;
      const avatar = await withNetworks(color, inpainter);
      await synthesize({ avatar, audio: samples.subarray(0, 16000), returnFrames: false, steps: 5, device }); // warm-up
      console.error(`synthesizing ${seconds} s at ${size}² on ${device} (${stages})...`);
      const cpu0 = process.cpuUsage();
      const r = await synthesize({ avatar, audio: samples, returnFrames: false, steps: 25, device });
      const cpu = process.cpuUsage(cpu0);
      console.log(JSON.stringify({
        ...common, backend: device, threads: device === 'cpu' ? backends().threads : 0, stages, frames: r.frameCount,
        expressions_seconds: round(r.timings.expressions), render_seconds: round(r.timings.render), seconds: round(r.timings.total),
        render_fps: round(r.frameCount / r.timings.render, 2), end_to_end_fps: round(r.frameCount / r.timings.total, 2),
        realtime_factor: round(seconds / r.timings.total, 3),
        // CPU time of this process per frame (all threads, user + system), ms: what the frames
        // cost when other processes share the cores and the wall-clock rates say little.
        cpu_ms_per_frame: round((cpu.user + cpu.system) / 1000 / r.frameCount, 1),
      }));
    }
  }
}

/** The demo's speech model, or undefined in a checkout without `assets/demo/` (a random model is timed instead). */
function demoModelPath(): string | undefined {
  try {
    return demoAssets().speechModel;
  } catch (error) {
    if (error instanceof FileSystemError) return undefined;
    throw error;
  }
}
