// The SyncNet-style lip-sync confidence, trained on 10 synthetic speech clips (several languages
// and voices) and scored on 4 held-out ones: the synchronised track is found at offset 0, the
// same track delayed by 6 frames is found at offset 6 and scores a larger distance at offset 0,
// and mismatched audio/mouth pairs are less confident on average.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { encodeAudio } from '../lib/a2e/features.js';
import { ValidationError } from '../lib/errors.js';
import { mouthTrack, syncScore, trainSyncScorer, trainSyncScorerOnSpeech, type SyncClip } from '../lib/eval/sync-confidence.js';
import { makeSyntheticSpeechDataset } from '../lib/synthetic/speech-dataset.js';
import { loadSpeechClips } from '../lib/synthetic/studio/index.js';

let dir: string;
let clips: SyncClip[];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ggt-sync-'));
  await makeSyntheticSpeechDataset({ out: dir, clips: 14, seed: 9 });
  clips = [];
  for (const c of await loadSpeechClips(dir)) {
    const features = await encodeAudio(c.samples, { fps: c.fps, frames: c.frames });
    clips.push({ features: features.data, mouth: mouthTrack(c.jawPose, c.expr, c.frames), frames: c.frames });
  }
});

afterAll(() => rm(dir, { recursive: true, force: true }));

/** The mouth track `s` frames late (the first frames repeat frame 0). */
function delayed(c: SyncClip, s: number): SyncClip {
  const K = c.mouth.length / c.frames;
  const mouth = new Float32Array(c.mouth.length);
  for (let t = 0; t < c.frames; t++) mouth.set(c.mouth.subarray(Math.max(0, t - s) * K, (Math.max(0, t - s) + 1) * K), t * K);
  return { ...c, mouth };
}

describe('lip-sync confidence', () => {
  it('separates synchronised from shifted speech on held-out clips', () => {
    const scorer = trainSyncScorer(clips.slice(0, 10));
    const heldOut = clips.slice(10);
    const synced = heldOut.map((c) => syncScore(scorer, c));
    const late = heldOut.map((c) => syncScore(scorer, delayed(c, 6)));
    for (let i = 0; i < heldOut.length; i++) {
      expect(synced[i]!.offset).toBe(0);
      expect(Math.abs(late[i]!.offset - 6)).toBeLessThanOrEqual(1);
      expect(synced[i]!.distance).toBeLessThan(late[i]!.distance);
    }
    // Audio of one clip with another clip's mouth: no sharp minimum.
    const mismatched = heldOut.map((c, i) => {
      const o = heldOut[(i + 1) % heldOut.length]!;
      const n = Math.min(c.frames, o.frames);
      const F = c.features.length / c.frames;
      const K = c.mouth.length / c.frames;
      return syncScore(scorer, { features: c.features.subarray(0, n * F), mouth: o.mouth.subarray(0, n * K), frames: n });
    });
    const mean = (s: { confidence: number }[]) => s.reduce((a, x) => a + x.confidence, 0) / s.length;
    expect(mean(synced)).toBeGreaterThan(1.5 * mean(mismatched));
  });

  it('refuses malformed clips', () => {
    expect(() => trainSyncScorer([])).toThrow(ValidationError);
    expect(() => trainSyncScorer(clips.slice(0, 2), { window: 4 })).toThrow(/odd/);
    const scorer = trainSyncScorer(clips.slice(0, 3));
    expect(() => syncScore(scorer, { features: new Float32Array(10 * 40), mouth: clips[0]!.mouth.subarray(0, 10 * 20), frames: 10 })).toThrow(/width 80, received 40/);
  });
});

describe('lip-sync confidence: careless calls', () => {
  it('syncScore checks the scorer it is given, naming itself', () => {
    const scorer = trainSyncScorer(clips.slice(0, 3));
    expect(() => syncScore(undefined as never, clips[0]!)).toThrow(/^syncScore: expected scorer to be an object, received undefined/);
    expect(() => syncScore({ ...scorer, window: 4 }, clips[0]!)).toThrow(/^syncScore: expected scorer\.window to be an odd positive integer/);
    // Weights one row short would be read past their end.
    expect(() => syncScore({ ...scorer, weights: scorer.weights.subarray(scorer.mouthDim) }, clips[0]!)).toThrow(
      new RegExp(`^syncScore: expected scorer\\.weights to be a Float64Array of length ${scorer.weights.length}`),
    );
    expect(() => syncScore(scorer, clips[0]!, null as never)).toThrow(/^syncScore: expected options to be an object, received null/);
  });

  it('mouthTrack, trainSyncScorer and trainSyncScorerOnSpeech refuse careless arguments', async () => {
    expect(() => mouthTrack(undefined as never, new Float32Array(3), 1)).toThrow(/^mouthTrack: expected jaw to be a Float32Array, received undefined/);
    expect(() => mouthTrack(new Float32Array(3), [1, 2] as never, 1)).toThrow(/^mouthTrack: expected expr to be a Float32Array, received an array of length 2/);
    expect(() => mouthTrack(new Float32Array(3), new Float32Array(2), 0)).toThrow(/^mouthTrack: expected frames to be a positive integer, received 0/);
    expect(mouthTrack(Float32Array.from([1, 2, 3]), Float32Array.from([4, 5]), 1)).toEqual(Float32Array.from([1, 2, 3, 4, 5]));
    expect(() => trainSyncScorer(clips.slice(0, 2), null as never)).toThrow(/^trainSyncScorer: expected options to be an object, received null/);
    await expect(trainSyncScorerOnSpeech(42 as never)).rejects.toThrow(/^trainSyncScorerOnSpeech: expected dir to be a non-empty path string, received 42/);
    await expect(trainSyncScorerOnSpeech(dir, null as never)).rejects.toThrow(ValidationError);
  });
});
