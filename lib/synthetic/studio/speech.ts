/**
 * The speech a studio subject says: clips of a synthetic speech dataset (or given directly)
 * concatenated into one timeline, the expression and jaw tracks at the video's frame rate and
 * the audio at 16 kHz, cut so that frame i is exactly audio [i, i + 1) / fps.
 *
 * @module
 */

import { readNpz } from '../../io/npy.js';
import { readSpeechDataset } from '../../a2e/dataset.js';
import { loadAudio } from '../../audio/load.js';
import { FormatError, ValidationError } from '../../errors.js';
import { EXPRESSION_NAMES } from '../../flame/procedural/expressions.js';

/** Rate of the studio's audio.wav. */
export const STUDIO_SAMPLE_RATE = 16000;

/** One clip of speech with its ground-truth tracks (the procedural head's expression basis). */
export interface StudioSpeechClip {
  /** The clip's id. */
  id: string;
  /** What is said. */
  text: string;
  /** Language code, when known. */
  language?: string;
  /** Speaker (voice) name, when known. */
  speaker?: string;
  /** Frame rate of the tracks. */
  fps: number;
  /** Number of frames of the tracks. */
  frames: number;
  /** Expression weights, [frames, E] (E = the procedural head's 17). */
  expr: Float32Array;
  /** Jaw pose, axis-angle, [frames, 3]. */
  jawPose: Float32Array;
  /** Mono audio. */
  samples: Float32Array;
  /** Samples per second of `samples`. */
  sampleRate: number;
}

/** A clip's place on the timeline. */
export interface TimelineClip {
  /** The clip's id. */
  id: string;
  /** What is said. */
  text: string;
  /** Language code, when known. */
  language?: string;
  /** Speaker (voice) name, when known. */
  speaker?: string;
  /** First timestep and one past the last. */
  startFrame: number;
  /** One past the clip's last timestep. */
  endFrame: number;
  /** First sample of audio.wav and one past the last. */
  startSample: number;
  /** One past the clip's last sample of audio.wav. */
  endSample: number;
}

/** Clips joined at the video's frame rate. */
export interface SpeechTimeline {
  fps: number;
  frames: number;
  /** [frames, E]. */
  expr: Float32Array;
  /** [frames, 3]. */
  jawPose: Float32Array;
  /** Mono, 16 kHz, frames / fps seconds long. */
  audio: Float32Array;
  clips: TimelineClip[];
}

/**
 * Loads every clip of a synthetic speech dataset (`manifest.json`, docs/synthetic-speech.md),
 * audio resampled to 16 kHz.
 *
 * @param dir - The dataset folder.
 * @param limit - At most this many clips (the first ones).
 * @throws {@link FormatError} for a malformed dataset or tracks of another expression basis.
 */
export async function loadSpeechClips(dir: string, limit = Infinity): Promise<StudioSpeechClip[]> {
  const dataset = await readSpeechDataset(dir);
  const E = EXPRESSION_NAMES.length;
  if (dataset.expressionNames.length !== 0 && dataset.expressionNames.join() !== EXPRESSION_NAMES.join()) {
    throw new FormatError(`expected the procedural head's expressions (${EXPRESSION_NAMES.join(', ')}), received ${dataset.expressionNames.join(', ')}`, {
      path: `${dataset.dir}/manifest.json`,
    });
  }
  const clips: StudioSpeechClip[] = [];
  for (const c of dataset.clips.slice(0, limit)) {
    const tracks = await readNpz(c.tracks);
    const expr = tracks.get('expr');
    const jaw = tracks.get('jaw_pose');
    if (expr?.dtype !== 'float32' || expr.shape.join() !== `${c.frames},${E}`) {
      throw new FormatError(`expr: expected float32 [${c.frames}, ${E}], received ${expr ? `${expr.dtype} [${expr.shape.join(', ')}]` : 'nothing'}`, { path: c.tracks });
    }
    if (jaw?.dtype !== 'float32' || jaw.shape.join() !== `${c.frames},3`) {
      throw new FormatError(`jaw_pose: expected float32 [${c.frames}, 3], received ${jaw ? `${jaw.dtype} [${jaw.shape.join(', ')}]` : 'nothing'}`, { path: c.tracks });
    }
    const audio = await loadAudio(c.audio, { sampleRate: STUDIO_SAMPLE_RATE });
    clips.push({
      id: c.id,
      text: c.text ?? '',
      ...(c.language ? { language: c.language } : {}),
      speaker: c.speaker,
      fps: dataset.fps,
      frames: c.frames,
      expr: expr.data,
      jawPose: jaw.data,
      samples: audio.samples,
      sampleRate: audio.sampleRate,
    });
  }
  return clips;
}

/** Linear interpolation of a [frames, D] track at time `t` seconds (clamped at the ends). */
function sampleTrack(track: Float32Array, frames: number, D: number, fps: number, t: number, out: Float32Array, at: number): void {
  const x = Math.min(Math.max(t * fps, 0), frames - 1);
  const i = Math.min(Math.floor(x), frames - 1);
  const j = Math.min(i + 1, frames - 1);
  const w = x - i;
  for (let d = 0; d < D; d++) out[at + d] = (1 - w) * track[i * D + d]! + w * track[j * D + d]!;
}

/**
 * Joins clips into one timeline at `fps`: each clip's tracks resampled (linearly) when its rate
 * differs, its audio resampled to 16 kHz and padded or cut to its frames' duration.
 *
 * @param clips - The clips, in order.
 * @param fps - The video's frame rate.
 * @param maxFrames - Stop after this many frames (the last clip is cut).
 * @throws {@link ValidationError} for an empty list or a clip of another expression basis.
 */
export function joinSpeech(clips: readonly StudioSpeechClip[], fps: number, maxFrames = Infinity): SpeechTimeline {
  if (clips.length === 0) throw new ValidationError('expected at least one speech clip');
  const E = EXPRESSION_NAMES.length;
  const plan: { clip: StudioSpeechClip; frames: number }[] = [];
  let total = 0;
  for (const clip of clips) {
    if (total >= maxFrames) break;
    if (clip.expr.length !== clip.frames * E || clip.jawPose.length !== clip.frames * 3) {
      throw new ValidationError(`expected clip ${clip.id} to hold expr [${clip.frames}, ${E}] and jawPose [${clip.frames}, 3]`);
    }
    const frames = Math.min(Math.max(1, Math.round((clip.frames * fps) / clip.fps)), maxFrames - total);
    plan.push({ clip, frames });
    total += frames;
  }
  const expr = new Float32Array(total * E);
  const jawPose = new Float32Array(total * 3);
  const sampleAt = (frame: number): number => Math.round((frame * STUDIO_SAMPLE_RATE) / fps);
  const audio = new Float32Array(sampleAt(total));
  const timeline: TimelineClip[] = [];
  let start = 0;
  for (const { clip, frames } of plan) {
    if (clip.fps === fps) {
      expr.set(clip.expr.subarray(0, frames * E), start * E);
      jawPose.set(clip.jawPose.subarray(0, frames * 3), start * 3);
    } else {
      for (let i = 0; i < frames; i++) {
        const t = i / fps;
        sampleTrack(clip.expr, clip.frames, E, clip.fps, t, expr, (start + i) * E);
        sampleTrack(clip.jawPose, clip.frames, 3, clip.fps, t, jawPose, (start + i) * 3);
      }
    }
    const startSample = sampleAt(start);
    const endSample = sampleAt(start + frames);
    if (clip.sampleRate !== STUDIO_SAMPLE_RATE) throw new ValidationError(`expected clip ${clip.id}'s audio at ${STUDIO_SAMPLE_RATE} Hz, received ${clip.sampleRate}`);
    audio.set(clip.samples.subarray(0, endSample - startSample), startSample);
    timeline.push({
      id: clip.id,
      text: clip.text,
      ...(clip.language ? { language: clip.language } : {}),
      ...(clip.speaker ? { speaker: clip.speaker } : {}),
      startFrame: start,
      endFrame: start + frames,
      startSample,
      endSample,
    });
    start += frames;
  }
  return { fps, frames: total, expr, jawPose, audio, clips: timeline };
}

/** Mono samples in [-1, 1] as a 16-bit PCM WAV file. */
export function encodeWav16(samples: Float32Array, sampleRate: number): Uint8Array {
  const out = Buffer.alloc(44 + samples.length * 2);
  out.write('RIFF', 0, 'latin1');
  out.writeUInt32LE(36 + samples.length * 2, 4);
  out.write('WAVE', 8, 'latin1');
  out.write('fmt ', 12, 'latin1');
  out.writeUInt32LE(16, 16);
  out.writeUInt16LE(1, 20); // PCM
  out.writeUInt16LE(1, 22); // mono
  out.writeUInt32LE(sampleRate, 24);
  out.writeUInt32LE(sampleRate * 2, 28);
  out.writeUInt16LE(2, 32);
  out.writeUInt16LE(16, 34);
  out.write('data', 36, 'latin1');
  out.writeUInt32LE(samples.length * 2, 40);
  for (let i = 0; i < samples.length; i++) {
    const s = Math.max(-1, Math.min(1, samples[i]!));
    out.writeInt16LE(Math.round(s < 0 ? s * 32768 : s * 32767), 44 + 2 * i);
  }
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}
