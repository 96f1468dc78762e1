// Fuzz cases of the dataset, checkpoint and avatar loaders (issue 13), run by
// test/fuzz-datasets.test.ts through the fuzz harness (each case in a child process with a time
// and memory limit). Four groups, each a small valid fixture written once and then mutated with a
// seeded generator (lib/random.ts): a VHAP dataset (loadAvatarDataset: the JSON, the images, the
// masks, the FLAME .npz files), an Audio-Expression checkpoint (AudioExpressionModel.load) and a
// priors folder, a speech dataset (loadExpressionClips), and an avatar file (Avatar.load).
// Case names that the test checks by name start with "named:".
import { execFileSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { AudioExpressionModel } from '../../lib/a2e/model.js';
import { loadExpressionClips } from '../../lib/a2e/dataset.js';
import { Avatar } from '../../lib/avatar/avatar.js';
import { loadAvatarDataset } from '../../lib/avatar/dataset.js';
import { loadPriors } from '../../lib/avatar/priors.js';
import { proceduralAvatar } from '../../lib/avatar/procedural-avatar.js';
import { encodeNpz } from '../../lib/io/npy.js';
import { encodeSafetensors, parseSafetensors } from '../../lib/io/safetensors.js';
import { writeVhapDataset } from '../../lib/io/vhap.js';
import { mulberry32 } from '../../lib/random.js';
import { encodeWav16 } from '../../lib/synthetic/studio/speech.js';
import type { FuzzCase } from '../helpers/fuzz.js';

/** What the test compares messages against: the outside file whose bytes must never be echoed. */
export const SECRET = 'Zq7#SECRET#wx94kp2vmm81';

type Json = Record<string, unknown>;

/** Hostile values for a JSON field (JSON can't hold NaN: 1e999 parses as Infinity, 1e300 overflows float32). */
const VALUES: unknown[] = [undefined, null, 'x', '', true, [], {}, [1, 2], -1, 0, 0.5, 1e300, -1e300, 2 ** 53 + 2, 1e-300];
/** Hostile values for a field naming a file (the test's `outside` folder holds SECRET). */
const pathValues = (fifo: string, outside: string): unknown[] => ['/etc/passwd', '../../../../etc/passwd', '/dev/zero', fifo, '.', 'images', join(outside, 'secret.bin'), '../outside/secret.bin', 'missing.png'];

let base: string | undefined;
/** A temporary folder with an `outside` folder beside the fixtures, holding the secret file and a FIFO. */
async function workspace(): Promise<{ root: string; outside: string; fifo: string }> {
  base ??= await mkdtemp(join(tmpdir(), 'ggt-fuzz-datasets-'));
  const outside = join(base, 'outside');
  await mkdir(outside, { recursive: true });
  await writeFile(join(outside, 'secret.bin'), SECRET.repeat(4));
  const fifo = join(base, 'fifo');
  try {
    execFileSync('mkfifo', [fifo]);
  } catch {
    // exists already
  }
  process.on('exit', () => {
    try {
      execFileSync('rm', ['-rf', base!]);
    } catch {
      // best effort
    }
  });
  return { root: base, outside, fifo };
}

/** Applies `value` at `path` (undefined deletes the key). */
function setField(json: Json, path: (string | number)[], value: unknown): void {
  let at: Record<string | number, unknown> = json;
  for (const key of path.slice(0, -1)) at = at[key] as Record<string | number, unknown>;
  const last = path.at(-1)!;
  if (value === undefined) delete at[last];
  else at[last] = value;
}

/** JSON text where the literal `NaN` / `Infinity` may stand for a number (what Python's json writes). */
const jsonText = (json: unknown, raw?: [string, string]): string => {
  const text = JSON.stringify(json, null, 1);
  return raw ? text.replace(JSON.stringify(raw[0]), raw[1]) : text;
};

/** `count` seeded binary mutations of `bytes`: truncations and bit flips. */
function binaryMutations(bytes: Uint8Array, count: number, seed: number): { what: string; bytes: Uint8Array }[] {
  const r = mulberry32(seed);
  const out: { what: string; bytes: Uint8Array }[] = [];
  for (let i = 0; i < count; i++) {
    if (i % 2 === 0) {
      const n = Math.floor(r() * bytes.length);
      out.push({ what: `truncated to ${n}`, bytes: bytes.slice(0, n) });
    } else {
      const copy = bytes.slice();
      // Flips near the start hit headers; the rest anywhere.
      const span = r() < 0.6 ? Math.min(copy.length, 256) : copy.length;
      const flips = 1 + Math.floor(r() * 4);
      const at: number[] = [];
      for (let k = 0; k < flips; k++) {
        const p = Math.floor(r() * span);
        copy[p] = copy[p]! ^ (1 << Math.floor(r() * 8));
        at.push(p);
      }
      out.push({ what: `bits flipped at ${at.join(',')}`, bytes: copy });
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// VHAP dataset

const W = 8;
const H = 6;

async function writeSmallVhap(dir: string): Promise<void> {
  const r = mulberry32(3);
  const view = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 2, 0, 0, 0, 1];
  const frames = [0, 1].map((t) => ({
    timestep: t,
    cameraIndex: 0,
    split: t === 0 ? ('train' as const) : ('val' as const),
    camera: { view, fx: 9, fy: 9, cx: W / 2, cy: H / 2, width: W, height: H },
    image: { data: Float32Array.from({ length: H * W * 3 }, () => r()), shape: [H, W, 3] },
    mask: { data: Float32Array.from({ length: H * W }, () => r()), shape: [H, W] },
    flame: { expr: Float32Array.from({ length: 4 }, () => r() - 0.5), jaw: [0.1 * t, 0, 0] },
  }));
  await writeVhapDataset(dir, { frames, canonicalFlame: { shape: [0.1, 0.2, 0.3], jaw: [0.3, 0, 0] }, vertexCount: 4 });
}

/** The VHAP dataset cases: loadAvatarDataset on a mutated copy each. */
export async function* vhap(): AsyncGenerator<FuzzCase> {
  const { root, outside, fifo } = await workspace();
  const clean = join(root, 'vhap-clean');
  await writeSmallVhap(clean);
  let n = 0;
  const copy = async (): Promise<string> => {
    const dir = join(root, `vhap-${n++}`);
    await rm(dir, { recursive: true, force: true });
    await cp(clean, dir, { recursive: true });
    return dir;
  };
  const splitFile = 'transforms_train.json';
  const original = JSON.parse(await readFile(join(clean, splitFile), 'utf8')) as Json;
  const load = (dir: string, options: Json = {}) => async () => {
    try {
      await loadAvatarDataset(dir, options);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };
  const withJson = (name: string, mutate: (j: Json) => void, raw?: [string, string], options?: Json): FuzzCase => ({
    name,
    run: async () => {
      const dir = await copy();
      const json = structuredClone(original);
      mutate(json);
      await writeFile(join(dir, splitFile), jsonText(json, raw));
      await load(dir, options)();
    },
  });

  yield { name: 'vhap: the clean dataset loads', run: async () => load(await copy())() };

  // The named cases: each must be a FormatError naming the field.
  const named: [string, (j: Json) => void, [string, string]?][] = [
    ['named: vhap frames[0].fg_mask_path FIFO', (j) => setField(j, ['frames', 0, 'fg_mask_path'], fifo)],
    ['named: vhap frames[0].flame_param_path /dev/zero', (j) => setField(j, ['frames', 0, 'flame_param_path'], '/dev/zero')],
    ['named: vhap frames[0].file_path absolute', (j) => setField(j, ['frames', 0, 'file_path'], join(outside, 'secret.bin'))],
    ['named: vhap frames[0].file_path ../', (j) => setField(j, ['frames', 0, 'file_path'], '../outside/secret.bin')],
    ['named: vhap camera_angle_x 0', (j) => { setField(j, ['frames', 0, 'fl_x'], undefined); setField(j, ['frames', 0, 'fl_y'], undefined); setField(j, ['fl_x'], undefined); setField(j, ['fl_y'], undefined); setField(j, ['frames', 0, 'camera_angle_x'], 0); }],
    ['named: vhap camera_angle_x negative', (j) => { setField(j, ['frames', 0, 'fl_x'], undefined); setField(j, ['fl_x'], undefined); setField(j, ['frames', 0, 'camera_angle_x'], -0.5); }],
    ['named: vhap camera_angle_x pi', (j) => { setField(j, ['frames', 0, 'fl_x'], undefined); setField(j, ['fl_x'], undefined); setField(j, ['frames', 0, 'camera_angle_x'], Math.PI); }],
    ['named: vhap frames[0].fl_x 1e300', (j) => setField(j, ['frames', 0, 'fl_x'], 1e300)],
    ['named: vhap frames[0].transform_matrix NaN', (j) => setField(j, ['frames', 0, 'transform_matrix', 0, 3], 'NAN_HERE'), ['NAN_HERE', 'NaN']],
    ['named: vhap frames[0].transform_matrix 1e300', (j) => setField(j, ['frames', 0, 'transform_matrix', 0, 3], 1e300)],
  ];
  for (const [name, mutate, raw] of named) yield withJson(name, mutate, raw);

  // Inside the folder, or let in by the opt-in: a FIFO and a device are refused before any read.
  yield {
    name: 'named: vhap mask is a FIFO inside the folder',
    run: async () => {
      const dir = await copy();
      await rm(join(dir, 'fg_masks', '00000_00.png'));
      execFileSync('mkfifo', [join(dir, 'fg_masks', '00000_00.png')]);
      await load(dir)();
    },
  };
  yield withJson('named: vhap flame /dev/zero with allowExternalFiles', (j) => setField(j, ['frames', 0, 'flame_param_path'], '/dev/zero'), undefined, { allowExternalFiles: true });
  yield {
    name: 'named: vhap image FIFO with checkFiles false',
    run: async () => {
      const dir = await copy();
      await rm(join(dir, 'images', '00000_00.png'));
      execFileSync('mkfifo', [join(dir, 'images', '00000_00.png')]);
      const { readVhapDataset, loadVhapImage } = await import('../../lib/io/vhap.js');
      try {
        const ds = await readVhapDataset(dir, { checkFiles: false });
        await loadVhapImage(ds.frames.find((f) => f.image.endsWith('00000_00.png'))!);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  };

  // NaN in the expressions of a FLAME file, and in the canonical file's shape.
  yield {
    name: 'named: vhap flame expr NaN',
    run: async () => {
      const dir = await copy();
      const f32 = (values: number[]): { dtype: 'float32'; shape: number[]; data: Float32Array } => ({ dtype: 'float32', shape: [1, values.length], data: Float32Array.from(values) });
      await writeFile(join(dir, 'flame_param', '00000.npz'), encodeNpz({ expr: f32([0.1, NaN, 0, 0]), jaw_pose: f32([0, 0, 0]) }));
      await load(dir)();
    },
  };
  yield {
    name: 'named: vhap canonical shape Infinity',
    run: async () => {
      const dir = await copy();
      await writeFile(join(dir, 'canonical_flame_param.npz'), encodeNpz({ shape: { dtype: 'float64', shape: [2], data: Float64Array.of(1, 1e300) } }));
      await load(dir)();
    },
  };
  // The opt-in reads an outside file (here: an image outside the folder, a copy of the clean one).
  yield {
    name: 'optin: vhap allowExternalFiles reads an outside image',
    run: async () => {
      const dir = await copy();
      const image = join(outside, 'outside-image.png');
      await cp(join(clean, 'images', '00000_00.png'), image);
      const json = structuredClone(original);
      setField(json, ['frames', 0, 'file_path'], image);
      await writeFile(join(dir, splitFile), jsonText(json));
      await load(dir, { allowExternalFiles: true })();
    },
  };

  // Seeded field mutations of the JSON: every frame key and top-level key, hostile values.
  const r = mulberry32(11);
  const frameKeys = Object.keys((original.frames as Json[])[0]!);
  const topKeys = Object.keys(original).filter((k) => k !== 'frames');
  const paths = pathValues(fifo, outside);
  for (let i = 0; i < 90; i++) {
    const top = r() < 0.25;
    const key = top ? topKeys[Math.floor(r() * topKeys.length)]! : frameKeys[Math.floor(r() * frameKeys.length)]!;
    const isPath = key.endsWith('_path');
    const pool = isPath && r() < 0.7 ? paths : VALUES;
    const value = pool[Math.floor(r() * pool.length)];
    const where = top ? [key] : ['frames', Math.floor(r() * 1), key];
    yield withJson(`vhap json ${where.join('.')} = ${JSON.stringify(value) ?? 'deleted'}`, (j) => setField(j, where, value));
  }
  for (const value of ['x', null, 0, {}, [1], [[1, 2, 3, 4]]]) yield withJson(`vhap json frames = ${JSON.stringify(value)}`, (j) => setField(j, ['frames'], value));
  yield withJson('vhap json not an object', (j) => { for (const k of Object.keys(j)) delete j[k]; }, ['{}', '[1, 2]']);
  yield { name: 'vhap json is not JSON', run: async () => { const dir = await copy(); await writeFile(join(dir, splitFile), '{"frames": [1, '); await load(dir)(); } };
  yield { name: 'vhap json is a FIFO', run: async () => { const dir = await copy(); await rm(join(dir, splitFile)); execFileSync('mkfifo', [join(dir, splitFile)]); await load(dir)(); } };
  yield { name: 'vhap json is a folder', run: async () => { const dir = await copy(); await rm(join(dir, splitFile)); await mkdir(join(dir, splitFile)); await load(dir)(); } };

  // Binary mutations of the image, the mask and the FLAME files.
  const files = ['images/00000_00.png', 'fg_masks/00000_00.png', 'flame_param/00000.npz', 'canonical_flame_param.npz'];
  for (const [k, file] of files.entries()) {
    const bytes = new Uint8Array(await readFile(join(clean, file)));
    for (const m of binaryMutations(bytes, 16, 100 + k)) {
      yield {
        name: `vhap ${file} ${m.what}`,
        run: async () => {
          const dir = await copy();
          await writeFile(join(dir, file), m.bytes);
          await load(dir)();
        },
      };
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Audio-Expression checkpoint and priors

/** Tiny sizes: a model that loads in milliseconds. */
export const TINY_A2E = { dModel: 16, heads: 2, ffDim: 16, condLayers: 1, decoderLayers: 1, speakerDim: 4, timeTokens: 1, maxFrames: 8, diffusionSteps: 10 };

/** The checkpoint cases: AudioExpressionModel.load on a mutated copy each; then priors.json. */
export async function* a2e(): AsyncGenerator<FuzzCase> {
  const { root, outside, fifo } = await workspace();
  const clean = join(root, 'a2e-clean');
  await mkdir(clean, { recursive: true });
  const model = await AudioExpressionModel.create({ config: { ...TINY_A2E, outputDim: 7, expressionCount: 4 } });
  await model.save(join(clean, 'a2e'));
  const original = JSON.parse(await readFile(join(clean, 'a2e.json'), 'utf8')) as Json;
  const weights = new Uint8Array(await readFile(join(clean, 'a2e.safetensors')));
  let n = 0;
  const copy = async (json: unknown, bytes: Uint8Array = weights, raw?: [string, string]): Promise<string> => {
    const dir = join(root, `a2e-${n++}`);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'a2e.json'), jsonText(json, raw));
    await writeFile(join(dir, 'a2e.safetensors'), bytes);
    return dir;
  };
  const load = (dir: string, options?: Json) => async () => {
    try {
      await AudioExpressionModel.load(join(dir, 'a2e'), options);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };
  const withJson = (name: string, mutate: (j: Json) => void, raw?: [string, string]): FuzzCase => ({
    name,
    run: async () => {
      const json = structuredClone(original);
      mutate(json);
      await load(await copy(json, weights, raw))();
    },
  });
  yield { name: 'a2e: the clean checkpoint loads', run: async () => load(await copy(original))() };
  yield withJson('named: a2e file ../../etc/passwd', (j) => setField(j, ['file'], '../../../../../../etc/passwd'));
  yield withJson('named: a2e file outside secret', (j) => setField(j, ['file'], '../outside/secret.bin'));
  yield withJson('named: a2e file /dev/zero', (j) => setField(j, ['file'], '/dev/zero'));
  yield withJson('named: a2e file FIFO', (j) => setField(j, ['file'], fifo));
  yield withJson('named: a2e features.fps 1e6', (j) => setField(j, ['features', 'fps'], 1e6));
  // The leak case with the opt-in: the outside file is read, and is not safetensors; the message must not echo it.
  yield {
    name: 'optin: a2e allowExternalFiles reads the outside secret',
    run: async () => {
      const json = structuredClone(original);
      setField(json, ['file'], join(outside, 'secret.bin'));
      delete json.weightsCrc32;
      await load(await copy(json), { allowExternalFiles: true })();
    },
  };
  yield {
    name: 'optin: a2e allowExternalFiles loads weights outside the folder',
    run: async () => {
      const outsideWeights = join(outside, 'a2e-weights.safetensors');
      await writeFile(outsideWeights, weights);
      const json = structuredClone(original);
      setField(json, ['file'], outsideWeights);
      await load(await copy(json), { allowExternalFiles: true })();
    },
  };
  // NaN in a weight (the CRC updated, so only the values are wrong).
  yield {
    name: 'named: a2e weight NaN',
    run: async () => {
      const file = parseSafetensors(weights);
      const tensors = new Map(file.tensors);
      const [name, t] = [...tensors].find(([k]) => !k.startsWith('data.'))!;
      const data = Float32Array.from(t.data as Float32Array);
      data[0] = NaN;
      tensors.set(name, { dtype: 'float32', shape: t.shape, data });
      const bytes = encodeSafetensors(tensors, { format: 'pt' });
      const json = structuredClone(original);
      delete json.weightsCrc32;
      await load(await copy(json, bytes))();
    },
  };
  const r = mulberry32(21);
  const leaves: (string | number)[][] = [];
  const walk = (v: unknown, path: (string | number)[]): void => {
    if (path.length > 0) leaves.push(path);
    if (v !== null && typeof v === 'object' && path[0] !== 'train') for (const [k, c] of Object.entries(v)) walk(c, [...path, Array.isArray(v) ? Number(k) : k]);
  };
  walk(original, []);
  const paths = pathValues(fifo, outside);
  for (let i = 0; i < 80; i++) {
    const path = leaves[Math.floor(r() * leaves.length)]!;
    const pool = path[0] === 'file' ? paths : VALUES;
    const value = pool[Math.floor(r() * pool.length)];
    yield withJson(`a2e json ${path.join('.')} = ${JSON.stringify(value) ?? 'deleted'}`, (j) => setField(j, path, value));
  }
  yield withJson('a2e json NaN fps', (j) => setField(j, ['features', 'fps'], 'NAN_HERE'), ['NAN_HERE', 'NaN']);
  yield { name: 'a2e json is not JSON', run: async () => { const dir = await copy({}); await writeFile(join(dir, 'a2e.json'), '{"format": '); await load(dir)(); } };
  for (const m of binaryMutations(weights, 24, 31)) {
    yield {
      name: `a2e weights ${m.what}`,
      run: async () => {
        const json = structuredClone(original);
        delete json.weightsCrc32; // past the CRC, into the parser and the checks
        await load(await copy(json, m.bytes))();
      },
    };
  }

  // priors.json
  const priorsJson = { format: 'ggtalker-priors', version: 1, parts: [] as string[] };
  const priors = (name: string, text: string): FuzzCase => ({
    name,
    run: async () => {
      const dir = join(root, `priors-${n++}`);
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, 'priors.json'), text);
      try {
        await loadPriors(dir);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  });
  yield priors('priors: empty parts load', JSON.stringify(priorsJson));
  for (const [k, v] of [['format', 'x'], ['version', 2], ['parts', 'a2e'], ['parts', [1]], ['parts', ['../x']], ['parts', null], ['flame', 3]] as const) {
    yield priors(`priors ${k} = ${JSON.stringify(v)}`, JSON.stringify({ ...priorsJson, [k]: v }));
  }
  yield priors('priors not JSON', '{"parts": [');
  yield priors('priors array', '[]');
  yield priors('named: priors parts a2e missing files', JSON.stringify({ ...priorsJson, parts: ['a2e'] }));
  // A listed part whose file is a FIFO: refused before it is opened for reading.
  for (const part of ['generator', 'inpainter', 'a2e'] as const) {
    yield {
      name: `named: priors ${part} is a FIFO`,
      run: async () => {
        const dir = join(root, `priors-${n++}`);
        await mkdir(dir, { recursive: true });
        await writeFile(join(dir, 'priors.json'), JSON.stringify({ ...priorsJson, parts: [part] }));
        if (part === 'a2e') {
          await writeFile(join(dir, 'a2e.json'), JSON.stringify(original));
          execFileSync('mkfifo', [join(dir, 'a2e.safetensors')]);
        } else execFileSync('mkfifo', [join(dir, `${part}.safetensors`)]);
        try {
          await loadPriors(dir);
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
      },
    };
  }
}

// ---------------------------------------------------------------------------------------------
// Speech dataset

/** The speech dataset cases: loadExpressionClips on a mutated copy each. */
export async function* speech(): AsyncGenerator<FuzzCase> {
  const { root, outside, fifo } = await workspace();
  const clean = join(root, 'speech-clean');
  await mkdir(join(clean, 'clips'), { recursive: true });
  const fps = 25;
  const frames = 5;
  const samples = Float32Array.from({ length: (16000 * frames) / fps }, (_, i) => 0.3 * Math.sin(i / 7));
  await writeFile(join(clean, 'clips', 'a.wav'), encodeWav16(samples, 16000));
  const f32 = (data: number[], shape: number[]): { dtype: 'float32'; shape: number[]; data: Float32Array } => ({ dtype: 'float32', shape, data: Float32Array.from(data) });
  const tracks = { expr: f32(Array.from({ length: frames * 4 }, (_, i) => Math.sin(i)), [frames, 4]), jaw_pose: f32(Array.from({ length: frames * 3 }, () => 0.1), [frames, 3]) };
  await writeFile(join(clean, 'clips', 'a.npz'), encodeNpz(tracks));
  const manifest = { format: 'ggtalker-speech-dataset', fps, expressionNames: ['a', 'b', 'c', 'd'], clips: [{ id: 'a', audio: 'clips/a.wav', tracks: 'clips/a.npz', speaker: 's', frames }] };
  await writeFile(join(clean, 'manifest.json'), JSON.stringify(manifest));
  let n = 0;
  const run = (name: string, mutate: (dir: string, m: Json) => Promise<void> | void, options: Json = {}, raw?: [string, string]): FuzzCase => ({
    name,
    run: async () => {
      const dir = join(root, `speech-${n++}`);
      await cp(clean, dir, { recursive: true });
      const m = structuredClone(manifest) as Json;
      await mutate(dir, m);
      await writeFile(join(dir, 'manifest.json'), jsonText(m, raw));
      try {
        await loadExpressionClips(dir, options);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  });
  yield run('speech: the clean dataset loads', () => undefined);
  yield run('named: speech clips[0].audio ../', (_, m) => setField(m, ['clips', 0, 'audio'], '../outside/secret.bin'));
  yield run('named: speech clips[0].tracks absolute', (_, m) => setField(m, ['clips', 0, 'tracks'], join(outside, 'secret.bin')));
  yield run('named: speech clips[0].tracks /dev/zero', (_, m) => setField(m, ['clips', 0, 'tracks'], '/dev/zero'));
  yield run('named: speech clips[0].audio FIFO', (_, m) => setField(m, ['clips', 0, 'audio'], fifo));
  yield run('named: speech audio is a FIFO inside the folder', async (dir) => {
    await rm(join(dir, 'clips', 'a.wav'));
    execFileSync('mkfifo', [join(dir, 'clips', 'a.wav')]);
  });
  yield run('named: speech tracks /dev/zero with allowExternalFiles', (_, m) => setField(m, ['clips', 0, 'tracks'], '/dev/zero'), { allowExternalFiles: true });
  yield run('named: speech tracks longer than the manifest says', async (dir) => {
    await writeFile(join(dir, 'clips', 'a.npz'), encodeNpz({ expr: f32(new Array(50 * 4).fill(0), [50, 4]), jaw_pose: f32(new Array(50 * 3).fill(0), [50, 3]) }));
  });
  yield run('named: speech audio shorter than the tracks', async (dir, m) => {
    await writeFile(join(dir, 'clips', 'a.npz'), encodeNpz({ expr: f32(new Array(50 * 4).fill(0), [50, 4]), jaw_pose: f32(new Array(50 * 3).fill(0), [50, 3]) }));
    setField(m, ['clips', 0, 'frames'], 50);
  });
  yield run('named: speech tracks expr NaN', async (dir) => {
    await writeFile(join(dir, 'clips', 'a.npz'), encodeNpz({ ...tracks, expr: f32([NaN, ...Array.from({ length: frames * 4 - 1 }, () => 0)], [frames, 4]) }));
  });
  yield run(
    'optin: speech allowExternalFiles reads outside tracks',
    async (_, m) => {
      await cp(join(clean, 'clips', 'a.npz'), join(outside, 'a.npz'));
      setField(m, ['clips', 0, 'tracks'], join(outside, 'a.npz'));
    },
    { allowExternalFiles: true },
  );
  const r = mulberry32(41);
  const keys = ['format', 'fps', 'expressionNames', 'clips', 'clips.0', 'clips.0.id', 'clips.0.audio', 'clips.0.tracks', 'clips.0.speaker', 'clips.0.frames'];
  const paths = pathValues(fifo, outside);
  for (let i = 0; i < 40; i++) {
    const key = keys[Math.floor(r() * keys.length)]!;
    const path = key.split('.').map((p) => (/^\d+$/.test(p) ? Number(p) : p));
    const pool = key.endsWith('audio') || key.endsWith('tracks') ? paths : VALUES;
    const value = pool[Math.floor(r() * pool.length)];
    yield run(`speech manifest ${key} = ${JSON.stringify(value) ?? 'deleted'}`, (_, m) => setField(m, path, value));
  }
  yield run('speech fps 1e6', (_, m) => setField(m, ['fps'], 1e6));
  const npz = new Uint8Array(await readFile(join(clean, 'clips', 'a.npz')));
  for (const m of binaryMutations(npz, 12, 51)) yield run(`speech tracks ${m.what}`, async (dir) => writeFile(join(dir, 'clips', 'a.npz'), m.bytes));
}

// ---------------------------------------------------------------------------------------------
// Avatar file

/** The avatar cases: Avatar.load of a mutated copy each. */
export async function* avatar(): AsyncGenerator<FuzzCase> {
  const { root } = await workspace();
  const a2eModel = await AudioExpressionModel.create({ config: { ...TINY_A2E, outputDim: 20, expressionCount: 17 } });
  const made = await proceduralAvatar({ size: 16, uvSize: 8, a2e: a2eModel });
  const cleanPath = join(root, 'clean.ggtavatar');
  await made.save(cleanPath);
  const bytes = new Uint8Array(await readFile(cleanPath));
  const file = parseSafetensors(bytes);
  let n = 0;
  const load = (name: string, make: () => Uint8Array): FuzzCase => ({
    name,
    run: async () => {
      const path = join(root, `avatar-${n++}.ggtavatar`);
      await writeFile(path, make());
      try {
        await Avatar.load(path);
      } finally {
        await rm(path, { force: true });
      }
    },
  });
  const rewrite = (edit: (tensors: Map<string, (typeof file.tensors extends Map<string, infer T> ? T : never)>, meta: Record<string, string>) => void) => (): Uint8Array => {
    const tensors = new Map(file.tensors);
    const meta = { ...file.metadata };
    edit(tensors, meta);
    return encodeSafetensors(tensors, meta);
  };
  yield load('avatar: the clean file loads', () => bytes);
  yield load('named: avatar without track.intrinsics', rewrite((t) => t.delete('track.intrinsics')));
  yield load('named: avatar corrupt avatar JSON', rewrite((_, m) => (m.avatar = '{"uvSize": 8,')));
  yield load('named: avatar corrupt a2e JSON', rewrite((_, m) => (m.a2e = '{"config": ')));
  yield load('named: avatar background NaN', rewrite((t) => {
    const bg = t.get('track.background')!;
    const data = Float32Array.from(bg.data as Float32Array);
    data[5] = NaN;
    t.set('track.background', { dtype: 'float32', shape: bg.shape, data });
  }));
  yield load('named: avatar a2e features.fps 1e6', rewrite((_, m) => {
    const a2eJson = JSON.parse(m.a2e!) as Json;
    setField(a2eJson, ['features', 'fps'], 1e6);
    m.a2e = JSON.stringify(a2eJson);
  }));
  yield load('named: avatar map NaN', rewrite((t) => {
    const map = t.get('avatar.map')!;
    const data = Float32Array.from(map.data as Float32Array);
    data[3] = Infinity;
    t.set('avatar.map', { dtype: 'float32', shape: map.shape, data });
  }));
  const description = JSON.parse(file.metadata.avatar!) as Json;
  const r = mulberry32(61);
  for (const key of ['uvSize', 'dilate', 'fps', 'color', 'inpainter', 'expressionNames']) {
    for (let k = 0; k < 3; k++) {
      const value = VALUES[Math.floor(r() * VALUES.length)];
      yield load(`avatar description ${key} = ${JSON.stringify(value) ?? 'deleted'}`, rewrite((_, m) => {
        const d = structuredClone(description);
        setField(d, [key], value);
        m.avatar = JSON.stringify(d);
      }));
    }
  }
  for (const meta of ['avatar', 'a2e', 'flame', 'format', 'version']) {
    yield load(`avatar metadata ${meta} deleted`, rewrite((_, m) => delete m[meta]));
    yield load(`avatar metadata ${meta} = "[]"`, rewrite((_, m) => (m[meta] = '[]')));
  }
  const names = [...file.tensors.keys()].filter((k) => !k.startsWith('model.') || r() < 0.2);
  for (let i = 0; i < 30; i++) {
    const name = names[Math.floor(r() * names.length)]!;
    const kind = Math.floor(r() * 3);
    yield load(`avatar tensor ${name} ${['deleted', 'reshaped', 'int32'][kind]}`, rewrite((t) => {
      const v = t.get(name)!;
      if (kind === 0) t.delete(name);
      else if (kind === 1) t.set(name, { ...v, shape: [v.data.length] } as typeof v);
      else t.set(name, { dtype: 'int32', shape: v.shape, data: Int32Array.from(v.data as Float32Array, (x) => Math.round(Number(x))) } as typeof v);
    }));
  }
  for (const m of binaryMutations(bytes, 24, 71)) yield load(`avatar file ${m.what}`, () => m.bytes);
}
