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
import { mouthTrack, syncScore, trainSyncScorer, type SyncClip } from '../lib/eval/sync-confidence.js';
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
