// The README's main-job snippet runs as written (only `from 'ggtalker'` pointed at this
// checkout), in a folder holding stand-ins for the files a user brings:
//   flame2023.pkl            the procedural FLAME-format head saved as safetensors (loadFlame
//                            recognises files by content; the real pickle is licensed)
//   head_template_mesh.obj   its template with texture coordinates, as Blender/FLAME write .obj
//   priors/                  savePriors() of that model and the demo's Audio-Expression model
//   subject/                 a VHAP export (writeVhapDataset) of a small synthetic identity
//   speech.wav               the demo's espeak-ng clip
// Then: the avatar file loads and matches the model, and the MP4 lasts as long as the speech.
import { execFileSync } from 'node:child_process';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { AudioExpressionModel, Avatar, makeProceduralHead, savePriors, writeVhapDataset } from '../lib/index.js';
import { flameIdentity } from '../lib/flame/identity.js';
import { saveFlameSafetensors } from '../lib/flame/save.js';
import type { VhapWriteFrame } from '../lib/io/vhap.js';
import { syntheticIdentity } from './helpers/avatar-data.js';

const repo = resolve(import.meta.dirname, '..');
let dir: string;
let stdout: string;

/** The ```ts block under "## The main job" in README.md. */
async function readmeSnippet(): Promise<string> {
  const readme = await readFile(join(repo, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## The main job'));
  const match = /```ts\n([\s\S]*?)```/.exec(section);
  if (!match) throw new Error('README.md has no ```ts block under "## The main job"');
  return match[1]!;
}

/** A Wavefront .obj of a model's template with its texture coordinates (1-based, f v/vt). */
function objText(model: ReturnType<typeof makeProceduralHead>['model']): string {
  const lines = ['# stand-in for head_template_mesh.obj'];
  for (let i = 0; i < model.vertexCount; i++) lines.push(`v ${model.vTemplate[3 * i]} ${model.vTemplate[3 * i + 1]} ${model.vTemplate[3 * i + 2]}`);
  const vt = model.uv!.vt;
  for (let i = 0; i < vt.length / 2; i++) lines.push(`vt ${vt[2 * i]} ${vt[2 * i + 1]}`);
  const { faces } = model;
  const ft = model.uv!.ft;
  for (let f = 0; f < faces.length / 3; f++) {
    lines.push(`f ${[0, 1, 2].map((k) => `${faces[3 * f + k]! + 1}/${ft[3 * f + k]! + 1}`).join(' ')}`);
  }
  return `${lines.join('\n')}\n`;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ggt-readme-'));
  const head = makeProceduralHead({ seed: 0 });
  // The stand-in pickle has no UV layout: the snippet's { uv: ... } must supply it.
  const { uv: _uv, ...withoutUv } = head.model;
  await saveFlameSafetensors(join(dir, 'flame2023.pkl'), withoutUv);
  await writeFile(join(dir, 'head_template_mesh.obj'), objText(head.model));
  await savePriors(join(dir, 'priors'), { model: withoutUv, a2e: await AudioExpressionModel.load(join(repo, 'assets/demo/a2e')) });
  const id = await syntheticIdentity({ size: 64, train: 6, heldOut: 2, side: 0 });
  const frames: VhapWriteFrame[] = id.frames.map((f, t) => ({
    timestep: t,
    cameraIndex: 0,
    split: f.split ?? 'train',
    camera: f.camera,
    image: f.image,
    ...(f.mask ? { mask: f.mask } : {}),
    flame: { expr: f.flame.expr!, jaw: f.flame.jaw!, rotation: f.flame.rotation! },
  }));
  await writeVhapDataset(join(dir, 'subject'), { frames, canonicalFlame: {}, vertexCount: head.model.vertexCount });
  await copyFile(join(repo, 'assets/demo/hello.wav'), join(dir, 'speech.wav'));
  const code = (await readmeSnippet()).replace(/from 'ggtalker'/g, `from ${JSON.stringify(join(repo, 'lib/index.js'))}`);
  await writeFile(join(dir, 'main.mts'), code);
  stdout = execFileSync(join(repo, 'node_modules/.bin/tsx'), ['main.mts'], { cwd: dir, encoding: 'utf8', timeout: 240_000 });
}, 300_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("README's main job", () => {
  it('adapts: progress printed per stage, held-out PSNR reported, an avatar file bound to the model it was given', async () => {
    expect(stdout).toMatch(/^map \d/m);
    expect(stdout).toMatch(/^joint \d/m);
    expect(stdout).toMatch(/held-out PSNR \d+\.\d dB/);
    const avatar = await Avatar.load(join(dir, 'subject.ggtavatar'));
    expect(avatar.flameIdentity).toBe(flameIdentity(makeProceduralHead({ seed: 0 }).model));
    expect(avatar.a2e).toBeDefined();
  });

  it('synthesizes an MP4 as long as the speech, with its audio', () => {
    const probe = (args: string[]) => execFileSync('ffprobe', ['-v', 'error', ...args, join(dir, 'talk.mp4')], { encoding: 'utf8' }).trim();
    const wav = Number(execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', join(dir, 'speech.wav')], { encoding: 'utf8' }));
    const video = Number(probe(['-select_streams', 'v:0', '-show_entries', 'stream=duration', '-of', 'csv=p=0']));
    expect(Math.abs(video - wav)).toBeLessThan(0.1);
    expect(probe(['-select_streams', 'a:0', '-show_entries', 'stream=codec_type', '-of', 'csv=p=0'])).toBe('audio');
  });
});
