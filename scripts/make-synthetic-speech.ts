// Generates the synthetic speech dataset (espeak-ng clips with ground-truth jaw and lip
// tracks for the procedural head; docs/synthetic-speech.md).
//
//   npx tsx scripts/make-synthetic-speech.ts --out DIR [--clips N] [--seed S]
//       [--languages en,de,fr,es,it] [--voices m1,m3,f2]
//
// --voices lists espeak-ng variants (espeak-ng --voices=variant), paired with each
// language's voice. Needs espeak-ng and libespeak-ng-dev (scripts/setup.sh installs them).
import { parseArgs } from 'node:util';

import { DEFAULT_LANGUAGES, makeSyntheticSpeechDataset } from '../lib/synthetic/speech-dataset.js';
import type { Language } from '../lib/synthetic/sentences.js';

const { values } = parseArgs({
  options: {
    out: { type: 'string' },
    clips: { type: 'string', default: '24' },
    seed: { type: 'string', default: '0' },
    languages: { type: 'string', default: DEFAULT_LANGUAGES.join(',') },
    voices: { type: 'string' },
  },
});
if (!values.out) {
  console.error('usage: make-synthetic-speech --out DIR [--clips N] [--seed S] [--languages en,de,...] [--voices m1,f2,...]');
  process.exit(2);
}
const list = (s: string): string[] => s.split(',').map((x) => x.trim()).filter(Boolean);

const started = performance.now();
const manifest = await makeSyntheticSpeechDataset({
  out: values.out,
  clips: Number(values.clips),
  seed: Number(values.seed),
  languages: list(values.languages!) as Language[],
  variants: values.voices ? list(values.voices) : undefined,
  onProgress: (done, total, clip) =>
    console.log(`[${done}/${total}] ${clip.id} ${clip.speaker} ${clip.durationSeconds.toFixed(2)} s: ${clip.text}`),
});
const seconds = (performance.now() - started) / 1000;
const audio = manifest.clips.reduce((s, c) => s + c.durationSeconds, 0);
console.log(`wrote ${manifest.clips.length} clips (${audio.toFixed(1)} s of speech) to ${values.out} in ${seconds.toFixed(1)} s`);
