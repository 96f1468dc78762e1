/**
 * The synthetic studio (DESIGN.md §7): procedural identities and their talking-head videos,
 * photographed by the studio camera (textured, shaded meshes with hair, glasses, body and a
 * room) and written as VHAP datasets with the speech's audio, tracking error on the FLAME
 * parameters and the truth beside them, so that every stage that expects a tracked real video
 * can run (and be measured) without one. docs/synthetic-studio.md describes the world;
 * docs/data-preparation.md shows how to make one.
 *
 * @module
 */

export { drawSkinLook, makeAlbedo, type SkinLook, type Texture } from './albedo.js';
export { studioRoom, type Room, type RoomMesh } from './background.js';
export { drawClothing, makeBodyMeshes, type BodyMeshes, type ClothingStyle } from './body.js';
export { drawGlasses, makeGlassesMesh, type GlassesMesh, type GlassesStyle } from './glasses.js';
export { drawHairStyle, makeHairMesh, type HairKind, type HairMesh, type HairStyle } from './hair.js';
export { makeSyntheticIdentity, studioHead, type IdentityLook, type IdentityPalette, type SyntheticIdentity, type SyntheticIdentityOptions } from './identity.js';
export { renderMeshes, type StudioLight, type StudioMesh, type StudioTexture } from './mesh-render.js';
export { blinkProfile, MOTION_LIMITS, studioMotion, type StudioMotion } from './motion.js';
export { smoothNoise, smoothSignal, type NoiseField } from './noise.js';
export {
  frontSplit,
  HELD_OUT,
  renderSyntheticIdentityDataset,
  SIDE_EVERY,
  STUDIO_DISTANCE,
  STUDIO_FOCAL_PER_PIXEL,
  STUDIO_FORMAT,
  STUDIO_VERSION,
  STUDIO_VIEWS,
  studioCameras,
  type RenderIdentityDatasetOptions,
  type RenderIdentityDatasetResult,
  type StudioProgress,
  type StudioView,
} from './render.js';
export { ALBEDO_SIZE, frameScene, LABELS, restPositions, studioAssets, studioLights, type FrameScene, type StudioAssets } from './scene.js';
export { encodeWav16, joinSpeech, loadSpeechClips, STUDIO_SAMPLE_RATE, type SpeechTimeline, type StudioSpeechClip, type TimelineClip } from './speech.js';
export { TRACKING_NOISE, trackingError, trackingNoiseScales, type TrackingError, type TrackingNoiseOption, type TrackingNoiseScales } from './tracking-noise.js';
