/**
 * The synthetic studio (DESIGN.md §7): procedural identities and their talking-head videos,
 * rendered as VHAP datasets with the speech's audio, so that every stage that expects a
 * tracked real video can run (and be measured) without one. docs/data-preparation.md shows
 * how to make one.
 *
 * @module
 */

export { makeSyntheticIdentity, studioHead, type IdentityPalette, type SyntheticIdentity, type SyntheticIdentityOptions } from './identity.js';
export { blinkProfile, MOTION_LIMITS, studioMotion, type StudioMotion } from './motion.js';
export { smoothNoise, smoothSignal, type NoiseField } from './noise.js';
export {
  frontSplit,
  HELD_OUT,
  renderSyntheticIdentityDataset,
  SIDE_EVERY,
  SIDE_YAWS,
  STUDIO_DISTANCE,
  STUDIO_FOCAL_PER_PIXEL,
  STUDIO_FORMAT,
  STUDIO_VERSION,
  studioBackground,
  studioCameras,
  type RenderIdentityDatasetOptions,
  type RenderIdentityDatasetResult,
  type StudioProgress,
} from './render.js';
export { encodeWav16, joinSpeech, loadSpeechClips, STUDIO_SAMPLE_RATE, type SpeechTimeline, type StudioSpeechClip, type TimelineClip } from './speech.js';
