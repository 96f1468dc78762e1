// Renders a synthetic studio identity speaking, as a VHAP-format dataset (the format ggtalker
// adapts avatars to; docs/data-preparation.md), with audio.wav and speech.json.
//
//   npx tsx scripts/make-synthetic-identity.ts --out DIR --seed S [--size 256] [--clips 4]
//       [--speech SPEECH_DIR] [--frames N] [--fps 25] [--device cuda] [--tracking-noise 1]
//       [--held-out-every 5] [--samples 2]
//
// The images are photographed by the studio camera (docs/synthetic-studio.md); --tracking-noise
// scales the tracking error on the written FLAME parameters (0: the truth).
//
// Without --speech it first makes --clips clips of synthetic speech (espeak-ng) in a temporary
// folder, seeded by --seed. Needs espeak-ng and libespeak-ng-dev then (scripts/setup.sh).
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { makeSyntheticIdentity, renderSyntheticIdentityDataset } from '../lib/synthetic/studio/index.js';
import { makeSyntheticSpeechDataset } from '../lib/synthetic/speech-dataset.js';

const { values } = parseArgs({
  options: {
    out: { type: 'string' },
    seed: { type: 'string' },
    size: { type: 'string', default: '256' },
    clips: { type: 'string', default: '4' },
    speech: { type: 'string' },
    frames: { type: 'string' },
    fps: { type: 'string', default: '25' },
    device: { type: 'string' },
    'tracking-noise': { type: 'string', default: '1' },
    'held-out-every': { type: 'string' },
    samples: { type: 'string' },
  },
});
if (!values.out || values.seed === undefined) {
  console.error('usage: make-synthetic-identity --out DIR --seed S [--size 256] [--clips 4] [--speech SPEECH_DIR] [--frames N] [--fps 25] [--device cuda] [--tracking-noise 1] [--held-out-every 5] [--samples 2]');
  process.exit(2);
}
const seed = Number(values.seed);
const int = (name: string, v: string | undefined): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) {
    console.error(`--${name} must be an integer, received ${v}`);
    process.exit(2);
  }
  return n;
};

/** Bytes of every file under `dir`. */
async function diskUsage(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += (await stat(join(entry.parentPath ?? entry.path, entry.name))).size;
  }
  return total;
}

const started = performance.now();
let speech = values.speech;
let temporary: string | undefined;
if (speech === undefined) {
  temporary = await mkdtemp(join(tmpdir(), 'ggt-speech-'));
  speech = temporary;
  console.log(`making ${values.clips} speech clips in ${temporary}...`);
  await makeSyntheticSpeechDataset({
    out: temporary,
    clips: int('clips', values.clips),
    seed,
    onProgress: (done, total, clip) => console.log(`  [${done}/${total}] ${clip.speaker} ${clip.durationSeconds.toFixed(2)} s: ${clip.text}`),
  });
}
try {
  const identity = makeSyntheticIdentity({ seed: int('seed', values.seed)! });
  const p = identity.palette;
  const rgb = (c: number[]) => c.map((x) => x.toFixed(2)).join(' ');
  const look = identity.look;
  console.log(
    `identity ${seed}: skin ${rgb(p.skin)}, hair ${rgb(p.hair)} (${look.hair.kind}), iris ${rgb(p.iris)}, lips ${rgb(p.lip)}, ` +
      `${look.glasses ? 'glasses, ' : ''}${look.skin.freckles} freckles, stubble ${look.skin.stubble.toFixed(2)}, ${look.clothing.pattern} ${look.clothing.neckline}-neck garment`,
  );
  const trackingNoise = Number(values['tracking-noise']);
  if (!(Number.isFinite(trackingNoise) && trackingNoise >= 0)) {
    console.error(`--tracking-noise must be a non-negative number, received ${values['tracking-noise']}`);
    process.exit(2);
  }
  let last = -1;
  const result = await renderSyntheticIdentityDataset({
    identity,
    out: values.out,
    speech,
    size: int('size', values.size),
    fps: Number(values.fps),
    frames: int('frames', values.frames),
    seed,
    device: values.device,
    trackingNoise,
    heldOutEvery: int('held-out-every', values['held-out-every']),
    samples: int('samples', values.samples),
    onProgress: ({ done, total, fraction }) => {
      const percent = Math.floor(fraction * 10) * 10;
      if (percent !== last) {
        last = percent;
        console.log(`  ${String(percent).padStart(3)} %  ${done}/${total} images`);
      }
    },
  });
  const bytes = await diskUsage(values.out);
  console.log(
    `wrote ${result.timesteps} timesteps (${result.splits.train} train, ${result.splits.val} val, ${result.splits.test} test images) to ${values.out}: ` +
      `${(bytes / 1e6).toFixed(1)} MB, ${result.msPerRender.toFixed(1)} ms/render, ${result.msPerImage.toFixed(1)} ms/image with writing, ` +
      `${((performance.now() - started) / 1000).toFixed(1)} s in all`,
  );
} finally {
  if (temporary) await rm(temporary, { recursive: true, force: true });
}
