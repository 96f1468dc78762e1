/**
 * Where the demo's files are, for code that depends on the package: `ggtalker/package.json` and
 * deep paths are closed by `exports`, so the paths are given by a function that resolves them
 * against the installed package (the same from `lib/` and `dist/`, which sit side by side with
 * `assets/`).
 *
 * @module
 */

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

import { FileSystemError } from './errors.js';

/**
 * The files `ggtalker demo` runs on, as absolute paths. All were made by this project's own code
 * from espeak-ng synthetic speech (no outside data sets, recordings or pretrained weights) and
 * ship under the package's MIT licence; `assets/demo/README.md` in the package says how they
 * were made and what they measure.
 *
 * There is no head file: the demo's head is the procedural one, made in code by
 * {@link proceduralAvatar} (pass it `a2e: await AudioExpressionModel.load(speechModel)`).
 */
export interface DemoAssets {
  /** The folder holding them (`assets/demo/` in the package). */
  folder: string;
  /**
   * The speech model: a small Audio-Expression model (speech → FLAME jaw pose and the procedural
   * head's lip expressions; log-mel features at 25 fps, 1.1 M parameters), trained by
   * `scripts/train-demo-a2e.ts` on espeak-ng speech in five languages. The stem to pass to
   * {@link AudioExpressionModel.load} (`<folder>/a2e`, reading `a2e.json` and `a2e.safetensors`).
   */
  speechModel: string;
  /** The speech model's description (config, features, speaker names, expression names). */
  speechModelJson: string;
  /** The speech model's weights (safetensors, float32, no optimiser state). */
  speechModelWeights: string;
  /** The training, data and evaluation numbers of the run that made the speech model (JSON). */
  speechModelReport: string;
  /**
   * The voice clip: a WAV of 5.88 s, 16-bit mono 22,050 Hz, espeak-ng voice `en-us+f2` saying
   * "Hello! My name is Maya. I am a talking head, made of many small Gaussians." (a sentence in
   * none of the model's training clips). Read it with {@link loadAudio} or {@link readWav}, or pass the path as
   * `audio` to {@link synthesize} / {@link predictExpressions}.
   */
  voiceClip: string;
  /** The clip's text, voice, phoneme and word timings and ground-truth jaw/lip tracks (JSON). */
  voiceClipInfo: string;
}

/** Where `assets/demo/` is: two levels up from this file in `lib/` and in `dist/` alike. */
const DEMO_FOLDER = fileURLToPath(new URL('../assets/demo/', import.meta.url));

/**
 * The absolute paths of the demo's speech model, voice clip and their descriptions, inside the
 * installed package.
 *
 * @example
 * ```ts
 * import { AudioExpressionModel, demoAssets, predictExpressions } from 'ggtalker';
 *
 * const { speechModel, voiceClip } = demoAssets();
 * const model = await AudioExpressionModel.load(speechModel);
 * const tracks = await predictExpressions(voiceClip, { model }); // 147 frames of jaw pose and lips
 * ```
 * @throws {@link FileSystemError} naming the first file missing (a package copied without its
 *   `assets/` folder).
 */
export function demoAssets(): DemoAssets {
  const folder = DEMO_FOLDER.replace(/[\\/]$/, '');
  const at = (name: string): string => join(folder, name);
  const assets: DemoAssets = {
    folder,
    speechModel: at('a2e'),
    speechModelJson: at('a2e.json'),
    speechModelWeights: at('a2e.safetensors'),
    speechModelReport: at('a2e-report.json'),
    voiceClip: at('hello.wav'),
    voiceClipInfo: at('hello.json'),
  };
  for (const path of [assets.speechModelJson, assets.speechModelWeights, assets.speechModelReport, assets.voiceClip, assets.voiceClipInfo]) {
    if (!existsSync(path)) throw new FileSystemError('is missing: the ggtalker package was installed without its assets/ folder (reinstall it)', { path, systemCode: 'ENOENT' });
  }
  return assets;
}
