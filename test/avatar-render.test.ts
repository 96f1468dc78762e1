// Avatar.render: without a body inpainter a frame is the rendered head (premultiplied) over the
// background, frame = head + (1 − α) · background, made natively; checked here in float64 on
// a random background, with the head covering part of the image.
import ndarray from 'ndarray';
import { describe, expect, it } from 'vitest';

import { proceduralAvatar } from '../lib/index.js';
import { rng } from './helpers/scene.js';

describe('Avatar.render', () => {
  it('composites the head over the background: frame = head + (1 − α) · background', async () => {
    const avatar = await proceduralAvatar({ size: 48, uvSize: 32 });
    const r = rng(4);
    const background = ndarray(Float32Array.from({ length: 48 * 48 * 3 }, () => r()), [48, 48, 3]);
    const E = avatar.model.exprCount;
    const frames = [0, 0.25].map((jaw) => ({ expr: new Float32Array(E), jaw: Float32Array.of(jaw, 0, 0) }));
    const out = await avatar.render({ frames, background });
    expect(out.frames.shape).toEqual([2, 48, 48, 3]);
    let covered = 0;
    let err = 0;
    for (let t = 0; t < 2; t++) {
      for (let p = 0; p < 48 * 48; p++) {
        const a = out.alphas.data[t * 48 * 48 + p]!;
        if (a > 0.5) covered++;
        for (let c = 0; c < 3; c++) {
          const i = (t * 48 * 48 + p) * 3 + c;
          err = Math.max(err, Math.abs(out.frames.data[i]! - (out.heads.data[i]! + (1 - a) * background.data[p * 3 + c]!)));
        }
      }
    }
    expect(err).toBeLessThan(1e-6);
    expect(covered).toBeGreaterThan(0.1 * 2 * 48 * 48);
    expect(covered).toBeLessThan(0.9 * 2 * 48 * 48);
  });
});
