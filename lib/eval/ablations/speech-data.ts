/**
 * The Audio-Expression ablation's data (synthetic espeak-ng speech, docs/synthetic-speech.md):
 * the prior's training clips in several languages and voices, and two test speakers it never
 * heard, each with a small fine-tune set and test clips of other sentences:
 *   - cross-language: a voice of the held-out language (no clip of that language in training);
 *   - in-language: a held-out voice of a training language, tested on sentences of that
 *     language reserved out of the prior's training clips.
 * Fine-tune sentences come in several renditions (rate, pitch, lead-in drawn per dataset seed).
 *
 * @module
 */

import { join } from 'node:path';

import { loadExpressionClips, readSpeechDataset, type ExpressionClip, type SpeechDataset } from '../../a2e/dataset.js';
import { AbortError } from '../../errors.js';
import { DEFAULT_VARIANTS, makeSyntheticSpeechDataset } from '../../synthetic/speech-dataset.js';
import { SENTENCES, type Language } from '../../synthetic/sentences.js';
import type { AblationPreset } from './preset.js';

/** A clip with the path of its audio (the loudness baseline reads it). */
export interface AudioClip extends ExpressionClip {
  audio: string;
  text: string;
}

/** One test speaker: fine-tune clips and test clips (other sentences, same voice). */
export interface SpeakerSplit {
  name: 'cross-language' | 'in-language';
  language: Language;
  speaker: string;
  fineTune: AudioClip[];
  test: AudioClip[];
}

export interface A2eData {
  train: AudioClip[];
  languages: Language[];
  speakers: SpeakerSplit[];
  /** Clips dropped from the generated training set because they speak a reserved sentence. */
  droppedReserved: number;
}

type Progress = (message: string) => void;

/** Generates (into `dir`) and loads the ablation's speech. */
export async function prepareA2eData(dir: string, preset: AblationPreset['a2e'], onProgress: Progress, signal?: AbortSignal): Promise<A2eData> {
  const check = () => {
    if (signal?.aborted) throw new AbortError(undefined, { cause: signal.reason });
  };
  const trainVoices = DEFAULT_VARIANTS.filter((v) => !preset.heldOutVoices.includes(v));
  const reserved = new Set(SENTENCES[preset.inLanguage].slice(-preset.reservedSentences));
  const trainDir = join(dir, 'train');
  await makeSyntheticSpeechDataset({
    out: trainDir,
    clips: preset.trainClips,
    seed: 1,
    languages: preset.languages,
    variants: trainVoices,
    onProgress: (done, total) => done % 20 === 0 && onProgress(`speech: prior clips ${done}/${total}`),
  });
  check();
  const trainSet = await readSpeechDataset(trainDir);
  const kept = trainSet.clips.filter((c) => !reserved.has(c.text ?? ''));
  const train = await load({ ...trainSet, clips: kept }, signal);

  const speakers: SpeakerSplit[] = [];
  const plans = [
    { name: 'cross-language' as const, language: preset.heldOutLanguage, voice: preset.heldOutVoices[0], test: (s: readonly string[]) => s.slice(preset.fineTuneSentences) },
    { name: 'in-language' as const, language: preset.inLanguage, voice: preset.heldOutVoices[1], test: (s: readonly string[]) => s.filter((x) => reserved.has(x)) },
  ];
  for (const [k, plan] of plans.entries()) {
    const sentences = SENTENCES[plan.language];
    const testTexts = new Set(plan.test(sentences));
    const tuneTexts = new Set(sentences.filter((s) => !testTexts.has(s)).slice(0, preset.fineTuneSentences));
    const fineTune: AudioClip[] = [];
    let test: AudioClip[] = [];
    for (let r = 0; r < preset.fineTuneRenditions; r++) {
      check();
      const out = join(dir, `${plan.name}-${r}`);
      // One clip per sentence of the language (the plan speaks every sentence once before any repeats).
      await makeSyntheticSpeechDataset({ out, clips: sentences.length, seed: 100 + 10 * k + r, languages: [plan.language], variants: [plan.voice] });
      const ds = await readSpeechDataset(out);
      fineTune.push(...(await load({ ...ds, clips: ds.clips.filter((c) => tuneTexts.has(c.text ?? '')) }, signal)));
      if (r === 0) test = await load({ ...ds, clips: ds.clips.filter((c) => testTexts.has(c.text ?? '')) }, signal);
    }
    onProgress(`speech: ${plan.name} speaker ${test[0]?.speaker}: ${fineTune.length} fine-tune clips, ${test.length} test clips`);
    speakers.push({ name: plan.name, language: plan.language, speaker: test[0]!.speaker, fineTune, test });
  }
  return { train, languages: preset.languages, speakers, droppedReserved: trainSet.clips.length - kept.length };
}

async function load(ds: SpeechDataset, signal: AbortSignal | undefined): Promise<AudioClip[]> {
  const clips = await loadExpressionClips(ds, signal ? { signal } : {});
  return clips.map((c, i) => ({ ...c, audio: ds.clips[i]!.audio, text: ds.clips[i]!.text ?? '' }));
}
