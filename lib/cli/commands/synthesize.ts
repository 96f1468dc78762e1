/**
 * `ggtalker synthesize`: an avatar file + speech -> MP4.
 *
 * @module
 */

import { AudioExpressionModel } from '../../a2e/model.js';
import { requireDevice, type Device } from '../../backends.js';
import { Wav2Vec2Encoder } from '../../audio/wav2vec2.js';
import { Avatar } from '../../avatar/avatar.js';
import { lookAt } from '../../render/camera.js';
import { synthesize } from '../../synthesize/synthesize.js';
import { integer, number, parse, required, UsageError } from '../args.js';
import type { CommandContext } from '../context.js';
import { synthesisLabel } from '../progress.js';
import { sampler } from '../sampler-option.js';

export const help = `ggtalker synthesize --avatar FILE.ggtavatar --audio SPEECH --out VIDEO.mp4
                   [--a2e STEM] [--wav2vec2 FILE.safetensors] [--head-pose tracked|still]
                   [--yaw DEGREES] [--method ddim|ddpm|dpm-solver++] [--steps N] [--guidance 1] [--seed 0]
                   [--device auto|cpu|cuda|cuda:N]
                   [--allow-external-files]

Speech (WAV, or any format ffmpeg reads) to a talking-head MP4 with the speech muxed in.
--a2e      an Audio-Expression checkpoint (default: the avatar's own)
--wav2vec2 the audio encoder, for models trained on wav2vec2 features
--yaw      view the head from this many degrees to the side (a novel view)
--method   the expression sampler (default ddim); dpm-solver++ needs few steps
--steps    denoising steps (default 25; 8 with dpm-solver++, whose lip accuracy at 4-8
           matches ddim's at 25)
--device   where to run (default cpu; cuda needs a CUDA build, see docs/gpu-build.md)
--allow-external-files  let the --a2e checkpoint's JSON name weights outside its folder
           (absolute or ../ paths); refused by default`;

export async function run(argv: string[], ctx: CommandContext): Promise<void> {
  const { values } = parse(argv, {
    avatar: { type: 'string' }, audio: { type: 'string' }, out: { type: 'string' }, a2e: { type: 'string' }, wav2vec2: { type: 'string' },
    'head-pose': { type: 'string' }, yaw: { type: 'string' }, method: { type: 'string' }, steps: { type: 'string' }, guidance: { type: 'string' }, seed: { type: 'string' },
    device: { type: 'string' },
    'allow-external-files': { type: 'boolean' },
  });
  let device: Device | undefined;
  if (values.device !== undefined) {
    try {
      device = requireDevice(values.device);
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
  }
  const avatar = await Avatar.load(required(values, 'avatar'));
  const headPose = (values['head-pose'] as string | undefined) ?? 'tracked';
  if (headPose !== 'tracked' && headPose !== 'still') throw new UsageError(`expected --head-pose tracked or still, received ${headPose}`);
  const model = values.a2e ? await AudioExpressionModel.load(values.a2e as string, { allowExternalFiles: values['allow-external-files'] === true }) : undefined;
  const encoder = values.wav2vec2 ? await Wav2Vec2Encoder.load(values.wav2vec2 as string) : undefined;
  let camera = avatar.track?.camera;
  const yaw = number(values, 'yaw');
  if (yaw !== undefined && camera) {
    // Orbit the tracked camera about the vertical axis through the origin (the head).
    const v = camera.view as ArrayLike<number>;
    const t = [v[3]!, v[7]!, v[11]!];
    const centre = [0, 1, 2].map((j) => -(v[j]! * t[0]! + v[4 + j]! * t[1]! + v[8 + j]! * t[2]!));
    const a = (yaw * Math.PI) / 180;
    const eye: [number, number, number] = [centre[0]! * Math.cos(a) + centre[2]! * Math.sin(a), centre[1]!, -centre[0]! * Math.sin(a) + centre[2]! * Math.cos(a)];
    camera = { ...camera, view: lookAt(eye, [0, 0, 0], [0, 1, 0]) };
  }
  const r = await synthesize({
    avatar,
    audio: required(values, 'audio'),
    output: required(values, 'out'),
    ...(model ? { model } : {}),
    ...(encoder ? { encoder } : {}),
    ...(camera ? { camera } : {}),
    headPose,
    ...sampler(values),
    guidance: number(values, 'guidance', 1)!,
    seed: integer(values, 'seed', 0)!,
    ...(device ? { device } : {}),
    signal: ctx.signal,
    onProgress: (p) => ctx.progress.update(p.fraction, synthesisLabel(p)),
  });
  ctx.progress.done();
  ctx.log(`wrote ${r.output} (${r.frameCount} frames, ${r.durationSeconds.toFixed(2)} s; ${(r.frameCount / r.timings.total).toFixed(1)} frames/s)`);
}
