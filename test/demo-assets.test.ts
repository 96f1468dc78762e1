// demoAssets(): absolute paths inside the package that exist and load with the public loaders
// (the speech model with AudioExpressionModel.load, the clip with readWav and loadAudio), the
// same paths from the sources (lib/) and the build (dist/), and the demo command uses them.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import ts from 'typescript';
import { describe, expect, it } from 'vitest';

import { AudioExpressionModel, loadAudio, readWav } from '../lib/index.js';
import { demoAssets } from '../lib/demo-assets.js';
import { hasFfmpeg } from './helpers/ffmpeg.js';

const repo = fileURLToPath(new URL('..', import.meta.url));

describe('demoAssets', () => {
  it('gives absolute paths inside the package that exist', () => {
    const a = demoAssets();
    expect(a.folder).toBe(resolve(repo, 'assets/demo'));
    for (const path of [a.speechModelJson, a.speechModelWeights, a.speechModelReport, a.voiceClip, a.voiceClipInfo]) {
      expect(isAbsolute(path)).toBe(true);
      expect(existsSync(path)).toBe(true);
    }
    expect(a.speechModel).toBe(join(a.folder, 'a2e'));
  });

  it('loads: the speech model with the public loader, the clip as the README describes', async () => {
    const a = demoAssets();
    const model = await AudioExpressionModel.load(a.speechModel);
    expect(model.features.encoder).toBe('log-mel');
    expect(model.config.expressionCount).toBe(17);
    const wav = await readWav(a.voiceClip);
    expect(wav.sampleRate).toBe(22050);
    expect(wav.channels).toHaveLength(1);
    expect(wav.channels[0]!.length / wav.sampleRate).toBeCloseTo(5.88, 2);
    const info = JSON.parse(readFileSync(a.voiceClipInfo, 'utf8')) as { audio: string; frames: number };
    expect(info.audio).toBe('hello.wav');
    expect(info.frames).toBe(147);
    expect((JSON.parse(readFileSync(a.speechModelReport, 'utf8')) as object)).toBeTypeOf('object');
  });

  it.skipIf(!hasFfmpeg())('decodes through loadAudio at 16 kHz', async () => {
    const audio = await loadAudio(demoAssets().voiceClip, { sampleRate: 16000 });
    expect(audio.samples.length / 16000).toBeCloseTo(5.88, 2);
  });

  it('resolves inside the package it is installed in, from its build (dist/)', async () => {
    // A package of its own: dist/ compiled from the sources, assets/ beside it.
    const pkg = await mkdtemp(join(tmpdir(), 'ggt-demo-assets-'));
    try {
      await mkdir(join(pkg, 'dist'));
      await writeFile(join(pkg, 'package.json'), '{"type":"module"}');
      for (const name of ['demo-assets', 'errors']) {
        const source = readFileSync(join(repo, `lib/${name}.ts`), 'utf8');
        const js = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 } }).outputText;
        await writeFile(join(pkg, 'dist', `${name}.js`), js);
      }
      await symlink(join(repo, 'assets'), join(pkg, 'assets'));
      const script = `import(${JSON.stringify(pathToFileURL(join(pkg, 'dist/demo-assets.js')).href)}).then((m) => process.stdout.write(JSON.stringify(m.demoAssets())))`;
      const paths = JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' })) as Record<string, string>;
      expect(paths.folder).toBe(join(pkg, 'assets/demo'));
      expect(paths.voiceClip).toBe(join(pkg, 'assets/demo/hello.wav'));
      expect(existsSync(paths.speechModelWeights!)).toBe(true);
    } finally {
      await rm(pkg, { recursive: true, force: true });
    }
  });

  it('names the missing file when the package has no assets/', async () => {
    const pkg = await mkdtemp(join(tmpdir(), 'ggt-demo-assets-'));
    try {
      await mkdir(join(pkg, 'dist'));
      await writeFile(join(pkg, 'package.json'), '{"type":"module"}');
      for (const name of ['demo-assets', 'errors']) {
        const source = readFileSync(join(repo, `lib/${name}.ts`), 'utf8');
        await writeFile(join(pkg, 'dist', `${name}.js`), ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 } }).outputText);
      }
      const script = `import(${JSON.stringify(pathToFileURL(join(pkg, 'dist/demo-assets.js')).href)}).then((m) => m.demoAssets()).catch((e) => process.stdout.write(e.name + ': ' + e.message))`;
      expect(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' })).toBe(
        `FileSystemError: ${join(pkg, 'assets/demo/a2e.json')}: is missing: the ggtalker package was installed without its assets/ folder (reinstall it)`,
      );
    } finally {
      await rm(pkg, { recursive: true, force: true });
    }
  });
});
