/**
 * The priors folder (DESIGN §1: `loadPriors('priors/')`): what adaptation and synthesis start
 * from. Each part is optional:
 *   a2e.json + a2e.safetensors      the Audio-Expression model
 *   wav2vec2.safetensors            its audio encoder (HuggingFace names), when it reads wav2vec2 features,
 *   or wav2vec2/                    or a HuggingFace model folder (config.json + model.safetensors or pytorch_model.bin)
 *   generator.safetensors           the Identity-Gaussian Generator
 *   inpainter.safetensors           the body inpainter
 *   flame.safetensors               the FLAME-format head model the priors were trained with
 *   priors.json                     {"format": "ggtalker-priors", "version": 1, "parts": [...], "flame": identity}
 *
 * `flame` is the {@link flameIdentity} of the FLAME model the priors were trained with (absent
 * in folders made before it was recorded): {@link loadPriors} checks flame.safetensors against
 * it, and {@link adapt} refuses a model that is another FLAME.
 *
 * @module
 */

import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';

import { AudioExpressionModel } from '../a2e/model.js';
import { requireOptions, requirePath } from '../arguments.js';
import { Wav2Vec2Encoder } from '../audio/wav2vec2.js';
import { loadWav2Vec2 } from '../audio/wav2vec2-hf.js';
import { FileSystemError, FormatError, ValidationError } from '../errors.js';
import { pathExists } from '../io/exists.js';
import { flameIdentity } from '../flame/identity.js';
import { loadFlame } from '../flame/load.js';
import type { FlameModel } from '../flame/model.js';
import { saveFlameSafetensors } from '../flame/save.js';
import { writeFileAtomic } from '../io/atomic.js';
import { readJsonFile, withFileErrors } from '../io/read-file.js';
import { describeValue } from '../validate.js';
import { IdentityGaussianGenerator } from './generator.js';
import { BodyInpainter } from './inpainter.js';

const FORMAT = 'ggtalker-priors';

/** Everything adaptation and synthesis can start from. */
export interface Priors {
  /** The Audio-Expression prior. */
  a2e?: AudioExpressionModel;
  /** The wav2vec 2.0 encoder the Audio-Expression prior reads features of. */
  encoder?: Wav2Vec2Encoder;
  /** The Identity-Gaussian Generator (an image to a UV Gaussian map). */
  generator?: IdentityGaussianGenerator;
  /** The pre-trained body inpainter. */
  inpainter?: BodyInpainter;
  /** The FLAME-format model the priors were trained with. */
  model?: FlameModel;
}

type Part = 'a2e' | 'wav2vec2' | 'generator' | 'inpainter' | 'flame';

const PARTS: readonly Part[] = ['a2e', 'wav2vec2', 'generator', 'inpainter', 'flame'];

/**
 * Loads the parts present in `dir`. Each part has a fixed file name inside `dir` (the manifest
 * lists parts, never paths), so nothing outside the folder is read.
 *
 * @throws {@link FormatError} naming the file and the field for a malformed manifest or part;
 *   {@link FileSystemError} when the manifest or a listed part is missing or unreadable.
 */
export async function loadPriors(dir: string): Promise<Priors> {
  requirePath('loadPriors', dir, 'dir');
  const manifestPath = join(dir, 'priors.json');
  const m = await readJsonFile(manifestPath, { what: 'priors.json' }).catch((error: unknown) => {
    if (error instanceof FileSystemError && error.systemCode === 'ENOENT') {
      throw new FileSystemError('no priors.json: expected a priors folder made by savePriors()', { path: manifestPath, systemCode: 'ENOENT', cause: error });
    }
    throw error;
  });
  const fail = (message: string): never => {
    throw new FormatError(message, { path: manifestPath });
  };
  if (typeof m !== 'object' || m === null || Array.isArray(m)) return fail(`expected {"format": "${FORMAT}", "version": 1, "parts": [...]}`);
  const manifest = m as { format?: unknown; version?: unknown; parts?: unknown; flame?: unknown };
  if (manifest.format !== FORMAT) fail(`format: expected "${FORMAT}", received ${JSON.stringify(manifest.format) ?? 'nothing'}`);
  if (manifest.version !== 1) fail(`version: expected 1, received ${JSON.stringify(manifest.version) ?? 'nothing'} (made by a newer ggtalker?)`);
  if (!Array.isArray(manifest.parts)) fail(`parts: expected an array of part names (${PARTS.join(', ')})`);
  (manifest.parts as unknown[]).forEach((part, i) => {
    if (!PARTS.includes(part as Part)) fail(`parts[${i}]: expected one of ${PARTS.join(', ')}, received ${JSON.stringify(part)}`);
  });
  if (manifest.flame !== undefined && typeof manifest.flame !== 'string') fail(`flame: expected a FLAME model identity (a string), received ${JSON.stringify(manifest.flame)}`);
  const parts = manifest.parts as Part[];
  const recordedFlame = manifest.flame;
  const out: Priors = {};
  if (parts.includes('a2e')) out.a2e = await AudioExpressionModel.load(join(dir, 'a2e'));
  if (parts.includes('wav2vec2')) {
    const file = join(dir, 'wav2vec2.safetensors');
    out.encoder = (await pathExists(file)) ? await Wav2Vec2Encoder.load(file) : await loadWav2Vec2(join(dir, 'wav2vec2'));
  }
  if (parts.includes('generator')) out.generator = await IdentityGaussianGenerator.load(join(dir, 'generator.safetensors'));
  if (parts.includes('inpainter')) out.inpainter = await BodyInpainter.load(join(dir, 'inpainter.safetensors'));
  if (parts.includes('flame')) {
    const path = join(dir, 'flame.safetensors');
    out.model = await loadFlame(path);
    if (recordedFlame !== undefined && recordedFlame !== flameIdentity(out.model)) {
      throw new FormatError(`holds FLAME model ${flameIdentity(out.model)} but priors.json records ${JSON.stringify(recordedFlame)} (the model the priors were trained with): put that model back, or retrain the priors with this one`, { path });
    }
  }
  return out;
}

/** Writes the parts given to `dir` (created if needed); every file atomically, the manifest last. */
export async function savePriors(dir: string, priors: Priors): Promise<void> {
  requirePath('savePriors', dir, 'dir');
  requireOptions('savePriors', priors, 'priors');
  // Each part is the class it is saved by (checked before the folder is made).
  const kinds = [['a2e', AudioExpressionModel], ['generator', IdentityGaussianGenerator], ['inpainter', BodyInpainter]] as const;
  for (const [key, kind] of kinds) {
    if (priors[key] !== undefined && !(priors[key] instanceof kind)) throw new ValidationError(`savePriors: expected priors.${key} to be a ${kind.name} or undefined, received ${describeValue(priors[key])}`);
  }
  if (priors.model !== undefined && (priors.model === null || typeof priors.model !== 'object')) throw new ValidationError(`savePriors: expected priors.model to be a FLAME model or undefined, received ${describeValue(priors.model)}`);
  await withFileErrors(dir, 'create', () => mkdir(dir, { recursive: true }));
  const parts: Part[] = [];
  if (priors.a2e) {
    await priors.a2e.save(join(dir, 'a2e'));
    parts.push('a2e');
  }
  if (priors.encoder) throw new ValidationError('savePriors cannot write a wav2vec2 encoder: copy its HuggingFace safetensors file to wav2vec2.safetensors (or its model folder to wav2vec2/) and list "wav2vec2" in priors.json');
  if (priors.generator) {
    await priors.generator.save(join(dir, 'generator.safetensors'));
    parts.push('generator');
  }
  if (priors.inpainter) {
    await priors.inpainter.save(join(dir, 'inpainter.safetensors'));
    parts.push('inpainter');
  }
  if (priors.model) {
    await saveFlameSafetensors(join(dir, 'flame.safetensors'), priors.model);
    parts.push('flame');
  }
  if ((await pathExists(join(dir, 'wav2vec2.safetensors'))) || (await pathExists(join(dir, 'wav2vec2', 'config.json')))) parts.push('wav2vec2');
  await writeFileAtomic(join(dir, 'priors.json'), new TextEncoder().encode(`${JSON.stringify({ format: FORMAT, version: 1, parts, ...(priors.model ? { flame: flameIdentity(priors.model) } : {}) }, null, 2)}\n`));
}
