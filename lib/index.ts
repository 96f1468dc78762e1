/**
 * ggtalker: speech to photorealistic 3D Gaussian talking heads (GGTalker), on a LibTorch /
 * CUDA native core. Every stage is its own composable function; this module exports them all.
 *
 * @packageDocumentation
 */

export { PAPER_A2E_CONFIG, resolveA2eConfig, type AudioExpressionConfig } from './a2e/config.js';
export { checkpointPaths, readA2eCheckpoint, type A2eCheckpointJson, type ReadA2eCheckpoint, type ReadA2eCheckpointOptions } from './a2e/checkpoint.js';
export { loadExpressionClips, readSpeechDataset, type ExpressionClip, type LoadExpressionClipsOptions, type ReadSpeechDatasetOptions, type SpeechDataset, type SpeechDatasetClip } from './a2e/dataset.js';
export { audioSamples16k, encodeAudio, resampleFeatures, videoFrameCount, type AudioEncoder, type AudioFeatureSpec, type AudioInput, type EncodeAudioOptions, type ResampleFeaturesOptions } from './a2e/features.js';
export { AudioExpressionModel, SAMPLE_METHODS, type CreateA2eModelOptions, type LoadA2eModelOptions, type SampleExpressionsOptions, type SampleMethod } from './a2e/model.js';
export { predictExpressions, type ExpressionTracks, type PredictExpressionsOptions, type PredictProgress } from './a2e/predict.js';
export type { SampleProgress, StepReport } from './a2e/step-progress.js';
export { ExpressionStream, STREAM_SAMPLE_METHOD, STREAM_SAMPLE_STEPS, type ExpressionChunk, type ExpressionStreamOptions } from './a2e/stream.js';
export { distributedFromEnv, joinProcessGroup, ProcessGroup, resolveDistributedOptions, type DistributedOptions } from './distributed/process-group.js';
export { type DistributedSetting } from './distributed/training-group.js';
export { fineTuneAudioExpression, splitClips, trainAudioExpressionPrior, type A2eDataSource, type A2eFineTuneResult, type A2eTrainResult, type FineTuneAudioExpressionOptions, type TrainAudioExpressionPriorOptions } from './a2e/train.js';
export type { A2eTrainHistory, A2eTrainProgress, A2eTrainSettings } from './a2e/train-loop.js';
export { articulate, type ArticulationTracks, type TimedPhoneme } from './synthetic/articulation.js';
export { EspeakError, speak, type SpeakOptions, type Speech, type SpokenWord } from './synthetic/espeak.js';
export { DEFAULT_VARIANTS, makeSyntheticSpeechDataset, type ManifestClip, type SpeechDatasetOptions, type SpeechManifest } from './synthetic/speech-dataset.js';
export { adapt, DEFAULT_ADAPT_STEPS, type AdaptOptions, type AdaptProgress, type AdaptReport, type AdaptSteps, type Quality } from './avatar/adapt.js';
export { Avatar, AVATAR_FORMAT, AVATAR_VERSION, type AvatarDescription, type AvatarTrack, type RenderAvatarOptions } from './avatar/avatar.js';
export { DEFAULT_COLOR_MLP, DEFAULT_GENERATOR, DEFAULT_INPAINTER, type ColorMlpConfig, type GeneratorConfig, type InpainterConfig } from './avatar/config.js';
export { packFrames, type AvatarFrame, type FrameFlame, type PackedFrames } from './avatar/frames.js';
export { IdentityGaussianGenerator } from './avatar/generator.js';
export { BodyInpainter } from './avatar/inpainter.js';
export { proceduralAvatar, type ProceduralAvatarOptions } from './avatar/procedural-avatar.js';
export { loadAvatarDataset, type AvatarDataset, type LoadAvatarDatasetOptions } from './avatar/dataset.js';
export { loadPriors, savePriors, type Priors } from './avatar/priors.js';
export { trainExpressionVisualPrior, type PriorIdentity, type TrainExpressionVisualPriorOptions } from './avatar/ev-prior.js';
export { meshUvMap, type MeshUvMapOptions } from './avatar/uv-map.js';
export { imageMetrics, loadVggWeights, type VggWeights } from './avatar/losses.js';
export type { AvatarStageProgress } from './avatar/stage.js';
export { EXPRESSIONS_SHARE, synthesize, type SynthesizeOptions, type SynthesizeProgress, type SynthesizeResult } from './synthesize/synthesize.js';
export { demoAssets, type DemoAssets } from './demo-assets.js';
export { SynthesisStream, type SynthesisStreamOptions, type SynthesizedChunk } from './synthesize/stream.js';
export { headPoses, type HeadPose, type HeadPoseSequence } from './synthesize/head-pose.js';
export { idleMotion, type IdleMotion, type IdleMotionOptions } from './synthesize/idle-motion.js';
export { addIdleMotion, type IdleOption } from './synthesize/idle-frames.js';
export { diffusionSchedule, diffusionStep, type DiffusionScheduleTables, type DiffusionStepInput, type NoiseSchedule } from './a2e/diffusion.js';
export { loadAudio, type LoadAudioOptions, type LoadedAudio } from './audio/load.js';
export { logMelFeatures, type LogMelOptions } from './audio/log-mel.js';
export { Wav2Vec2Encoder, wav2vec2Frames, WAV2VEC2_BASE, WAV2VEC2_LARGE, XLSR_1B, type Wav2Vec2Config, type Wav2Vec2FeaturesOptions, type Wav2Vec2Weights } from './audio/wav2vec2.js';
export { resample, STOPBAND_DB, toMono } from './audio/resample.js';
export { decodeWav, readWav, type DecodedAudio, type DecodeWavOptions, type ReadWavOptions } from './audio/wav.js';
export { backends, requireDevice, setThreads, type Backends, type Device, type ResolvedDevice } from './backends.js';
export type { NativeTensor, RawArray } from './native.js';
export { nativeInfo, type CpuSimd, type NativeInfo } from './native-info.js';
export type { BinaryRef, PrebuildManifest, RuntimeTorch, TorchBuild } from '../scripts/prebuild-torch.mjs';
export { AbortError, AddonLoadError, DistributedError, FileSystemError, FormatError, GgtalkerError, NativeError, ValidationError, type FileSystemErrorOptions, type FormatErrorOptions, type AddonLoadErrorOptions } from './errors.js';
export { parsePly, readPly, encodePly, writePly, type GaussianCloud, type ShDegree } from './io/ply.js';
export { Flame, FLAME_FRAMES_PER_CALL, type FlameForwardOptions, type FlameOutput, type FlameOutputGrads, type FlameParams } from './flame/flame.js';
export { flameFromArrays, loadFlame, type LoadFlameOptions } from './flame/load.js';
export { flameToArrays, saveFlameNpz, saveFlameSafetensors } from './flame/save.js';
export { encodeNpy, encodeNpz, parseNpy, parseNpz, readNpz, writeNpz } from './io/npy.js';
export { encodeSafetensors, parseSafetensors, readSafetensors, writeSafetensors, type ReadSafetensorsOptions, type SafetensorsFile } from './io/safetensors.js';
export { unpickle } from './io/pickle.js';
export type { NdArrayData, NdDtype, NdTypedArrays } from './io/ndarray-data.js';
export type { SparseMatrixData } from './io/sparse-matrix.js';
export { decodePng, DEFAULT_MAX_PNG_PIXELS, encodePng, readPng, writePng, type DecodedPng, type DecodePngOptions } from './io/png.js';
export { loadVhapFlame, loadVhapImage, readVhapDataset, VhapDatasetWriter, writeVhapDataset, type LoadVhapImageOptions, type ReadVhapOptions, type VhapDataset, type VhapFrame, type VhapSplit } from './io/vhap.js';
export type { VhapCamera } from './io/vhap-camera.js';
export type { LoadedVhapImage, VhapImageFrame } from './io/vhap-image.js';
export type { VhapWriteFrame, VhapWriteOptions, VhapWriterOptions } from './io/vhap-write.js';
export { makeSyntheticIdentity, renderSyntheticIdentityDataset, studioHead } from './synthetic/studio/index.js';
export type { IdentityLook, SyntheticIdentity, SyntheticIdentityOptions } from './synthetic/studio/identity.js';
export { SIDE_EVERY, type RenderIdentityDatasetOptions, type RenderIdentityDatasetResult, type StudioProgress } from './synthetic/studio/render.js';
export type { StudioSpeechClip, TimelineClip } from './synthetic/studio/speech.js';
export { TRACKING_NOISE, type TrackingNoiseOption, type TrackingNoiseScales } from './synthetic/studio/tracking-noise.js';
export type { DrawnPalette, Rgb } from './flame/procedural/palettes.js';
export type { ClothingStyle, Neckline, Pattern } from './synthetic/studio/body.js';
export type { GlassesStyle } from './synthetic/studio/glasses.js';
export type { HairKind, HairStyle } from './synthetic/studio/hair.js';
export type { SkinLook } from './synthetic/studio/albedo.js';
export { makeProceduralHead, REGION_NAMES, type ProceduralHead, type ProceduralHeadOptions } from './flame/procedural/index.js';
export { FLAME_JOINTS, type FlameLandmarks, type FlameModel, type FlameUv } from './flame/model.js';
export { lookAt, type Camera, type Matrix4Input, type PinholeCamera, type Vec3 } from './render/camera.js';
export { renderHead, type RenderHeadInput } from './render/render-head.js';
export type { AvatarGaussians, LocalGaussians } from './rig/local-gaussians.js';
export { gaussiansOnMesh, SH_C0, type MeshGaussiansOptions } from './rig/mesh-gaussians.js';
export { rigGaussians, rigGaussiansTensors, rigGaussiansWithGradients, triangleFrames, type RigOptions, type RiggedGaussians, type RiggedGaussianTensors, type TriangleFrames } from './rig/rig.js';
export { sampleUvGaussians, UV_MAP_CHANNELS, uvLayout, type UvGaussians, type UvLayout } from './rig/uv.js';
export {
  rasterize,
  rasterizeTensors,
  rasterizeWithGradients,
  referenceRasterize,
  type GaussianGrads,
  type Gaussians,
  type OutputGrads,
  type RasterizeOptions,
  type RasterizeResult,
  type RasterizeTensorsResult,
} from './render/rasterize.js';
export { benchScene, type BenchScene } from './render/bench-scene.js';
export { Tensor, type TensorOptions } from './tensor.js';
export type { ArrayLike, Dims, TypedArray } from './validate.js';
export { importGaussianAvatars, type GaussianAvatarsImport, type GaussianAvatarsImportReport, type ImportGaussianAvatarsOptions } from './avatar/gaussian-avatars.js';
export { parseBoundPly, readBoundPly, type BoundGaussianCloud } from './io/ply.js';
export { parseTorchCheckpoint, readTorchCheckpoint } from './io/torch-checkpoint.js';
export { loadWav2Vec2, wav2vec2ConfigFromHf } from './audio/wav2vec2-hf.js';
export { addFlameTeeth, hasFlameTeeth } from './flame/teeth.js';
export { flameIdentity } from './flame/identity.js';
export { loadFlameLandmarkEmbedding, parseFlameLandmarkEmbedding } from './flame/landmark-embedding.js';
export { attachFlameLandmarks, attachFlameUv, type FlameSources, type LoadFlameFileOptions } from './flame/load.js';
export { parseObj, readObj, type ObjMesh } from './io/obj.js';
export { parseObjectNpy } from './io/npy.js';
export { PickledObjectArray, PickleUnread, type UnpickleOptions } from './io/pickle.js';
export { vhapFlameToParams, type VhapFlameInput, type VhapFlameParams, type VhapFlameToParamsOptions } from './io/vhap-flame.js';
export { psnr, ssim } from './eval/image-metrics.js';
export { Lpips, type LpipsLoadOptions, type LpipsNetwork } from './eval/lpips.js';
export { landmarkDistance, lipVertexError, mouthOpening, mouthOpeningCorrelation, type VertexMetricOptions, type VertexSequence } from './eval/lip-metrics.js';
export { lipPairs, proceduralLipVertices, type LipVertices } from './eval/lips.js';
export { evaluate, type EvaluateOptions, type EvaluateProgress, type EvaluationReport, type FrameScore, type ImageScores, type MotionScores, type SyncSummary, type ViewScore } from './eval/evaluate.js';
export { formatEvaluationJson, formatEvaluationMarkdown, writeEvaluationReport } from './eval/report.js';
export { mouthTrack, syncScore, trainSyncScorer, trainSyncScorerOnSpeech, type SyncClip, type SyncScore, type SyncScorer } from './eval/sync-confidence.js';

// Limits: the stated defaults that guard memory and time (docs/errors-and-limits.md).
export { A2E_CONFIG_RANGES, MAX_A2E_PARAMETERS } from './a2e/config.js';
export { DEFAULT_MAX_AUDIO_SECONDS, MAX_SAMPLE_RATE, MIN_SAMPLE_RATE } from './audio/limits.js';
export { MAX_FILTER_COEFFICIENTS, MAX_RESAMPLED_LENGTH } from './audio/resample.js';
export { MAX_WAV_CHANNELS } from './audio/wav.js';
export { MAX_THREADS } from './backends.js';
export { MAX_INPAINTER_WIDTH } from './avatar/config.js';
export { DEFAULT_MAX_ATTENTION_BYTES } from './audio/wav2vec2.js';
export { CONFIG_RANGES as AVATAR_NETWORK_CONFIG_RANGES } from './avatar/config.js';
export { DEFAULT_MAX_FILE_BYTES, DEFAULT_MAX_TEXT_BYTES } from './io/read-file.js';
export { DEFAULT_MAX_IMAGE_PIXELS } from './io/vhap-image.js';
export { MAX_FPS } from './io/vhap-camera.js';
export { DEFAULT_MAX_PIXELS } from './render/pixel-limit.js';
export { DEFAULT_MAX_REFERENCE_PAIRS, DEFAULT_MAX_TILE_PAIRS } from './render/rasterize.js';
export { DEFAULT_MAX_TEXELS } from './rig/uv.js';
export { DEFAULT_MAX_RETURNED_BYTES } from './synthesize/synthesize.js';
export { DEFAULT_MAX_OUTPUT_ELEMENTS } from './validate.js';
