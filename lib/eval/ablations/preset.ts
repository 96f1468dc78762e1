/**
 * Sizes of the ablation suite (`npm run eval -- ablations --preset small|full`): `small` runs in
 * CI time on 2 cores (tiny images, few identities and clips, short training); `full` is the
 * issue's protocol (Expression-Visual prior on >= 24 identities, Audio-Expression prior on
 * >= 1,000 clips in 5 languages).
 *
 * @module
 */

import type { AudioExpressionConfig } from '../../a2e/config.js';
import type { GeneratorConfig } from '../../avatar/config.js';
import type { AdaptSteps } from '../../avatar/adapt.js';
import type { Language } from '../../synthetic/sentences.js';
import type { TrackingNoiseOption } from '../../synthetic/studio/tracking-noise.js';

export interface AblationPreset {
  name: 'small' | 'full';
  a2e: {
    /** Languages of the prior's training clips, and the one held out of it entirely. */
    languages: Language[];
    heldOutLanguage: Language;
    /** The training language whose held-out voice and sentences make the in-language test. */
    inLanguage: Language;
    /** Sentences of `inLanguage` kept out of the prior's training clips (for the in-language test). */
    reservedSentences: number;
    /** Clips generated for the prior (those with reserved sentences are then dropped). */
    trainClips: number;
    /** Voices (espeak-ng variants) kept out of the prior: the cross- and in-language test speakers. */
    heldOutVoices: [string, string];
    /** Renditions (rate, pitch, lead-in) per fine-tune sentence, and fine-tune sentences per test speaker. */
    fineTuneRenditions: number;
    fineTuneSentences: number;
    config: Partial<AudioExpressionConfig>;
    priorSteps: number;
    priorLr: number;
    batch: number;
    /** From scratch on the fine-tune set: steps and learning rate. */
    scratchSteps: number;
    scratchLr: number;
    fineTuneSteps: number;
    fineTuneLr: number;
    /** DDIM steps when sampling. */
    sampleSteps: number;
  };
  e2v: {
    /** Identities the generator trains on, and held-out identities evaluated. */
    trainIdentities: number;
    heldOutIdentities: number;
    /** Image size (pixels, square) and timesteps per identity. */
    size: number;
    frames: number;
    /** Speech clips (of the A2E training set) that drive the identities' videos. */
    speechClips: number;
    /** The generator's sizes (its input is the reference frame resized to imageSize). */
    generator: Partial<GeneratorConfig>;
    priorSteps: number;
    priorLr: number;
    priorBatch: number;
    /** Adaptation steps (inpainter and A2E stages are not part of these ablations). */
    adapt: Pick<AdaptSteps, 'map' | 'joint' | 'color'>;
    /** UV map size of adaptation without a generator (the generator's own otherwise). */
    uvSize: number;
  };
  /** Tracking noise of the joint-optimisation ablation: a factor on the studio's TRACKING_NOISE magnitudes, or scales per group. */
  trackingNoise: TrackingNoiseOption;
}

const TINY_A2E: Partial<AudioExpressionConfig> = { dModel: 64, heads: 4, ffDim: 128, condLayers: 1, decoderLayers: 2, speakerDim: 16, timeTokens: 2, maxFrames: 32, diffusionSteps: 100 };

export const SMALL_PRESET: AblationPreset = {
  name: 'small',
  a2e: {
    languages: ['en', 'de', 'fr', 'es', 'it'],
    heldOutLanguage: 'pt',
    inLanguage: 'en',
    reservedSentences: 3,
    trainClips: 80,
    heldOutVoices: ['f2', 'm3'],
    fineTuneRenditions: 2,
    fineTuneSentences: 3,
    config: TINY_A2E,
    priorSteps: 1500,
    priorLr: 1e-3,
    batch: 16,
    scratchSteps: 300,
    scratchLr: 1e-3,
    fineTuneSteps: 200,
    fineTuneLr: 3e-4,
    sampleSteps: 10,
  },
  e2v: {
    trainIdentities: 8,
    heldOutIdentities: 2,
    size: 48,
    frames: 25,
    speechClips: 2,
    generator: { imageSize: 64, uvSize: 32, latentSize: 4, channels: 8, maxChannels: 32 },
    priorSteps: 200,
    priorLr: 2.5e-3,
    priorBatch: 4,
    adapt: { map: 40, joint: 20, color: 20 },
    uvSize: 32,
  },
  trackingNoise: 3,
};

export const FULL_PRESET: AblationPreset = {
  name: 'full',
  a2e: {
    ...SMALL_PRESET.a2e,
    trainClips: 1100,
    config: { dModel: 128, heads: 4, ffDim: 256, condLayers: 2, decoderLayers: 4, speakerDim: 32, timeTokens: 2, maxFrames: 32, diffusionSteps: 200 },
    priorSteps: 6000,
    priorLr: 5e-4,
    batch: 32,
    scratchSteps: 1500,
    fineTuneSteps: 500,
    fineTuneLr: 1e-4,
    sampleSteps: 25,
  },
  e2v: {
    trainIdentities: 24,
    heldOutIdentities: 4,
    size: 96,
    frames: 60,
    speechClips: 4,
    generator: { imageSize: 128, uvSize: 64, latentSize: 4, channels: 16, maxChannels: 64 },
    priorSteps: 2000,
    priorLr: 1e-3,
    priorBatch: 4,
    adapt: { map: 300, joint: 200, color: 100 },
    uvSize: 64,
  },
  trackingNoise: SMALL_PRESET.trackingNoise,
};

export const PRESETS = { small: SMALL_PRESET, full: FULL_PRESET } as const;
