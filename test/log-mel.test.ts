// The log-mel encoder against torchaudio's MelSpectrogram (fixture made by
// test/fixtures/log-mel/make_fixture.py with Debian's python3-torchaudio), and its errors.
import { describe, expect, it } from 'vitest';

import { logMelFeatures, readNpz, ValidationError } from '../lib/index.js';

const fixture = await readNpz(new URL('./fixtures/log-mel/log_mel.npz', import.meta.url).pathname);
const samples = fixture.get('samples')!.data as Float32Array;
const expected = fixture.get('expected')!;

describe('logMelFeatures', () => {
  it('matches torchaudio MelSpectrogram + log (max abs error 1e-3 in log units)', async () => {
    const features = await logMelFeatures(samples);
    expect(features.shape).toEqual(expected.shape);
    expect(features.shape).toEqual([1 + Math.floor(samples.length / 320), 80]);
    let worst = 0;
    const ref = expected.data as Float64Array;
    for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(features.data[i]! - ref[i]!));
    expect(worst).toBeLessThan(1e-3);
    // The signal has energy: not all bins sit at the floor.
    expect(Math.max(...Array.from(features.data))).toBeGreaterThan(0);
  });

  it('puts a pure tone in the band that holds its frequency', async () => {
    const tone = Float32Array.from({ length: 16000 }, (_, i) => Math.sin((2 * Math.PI * 1000 * i) / 16000));
    const f = await logMelFeatures(tone);
    const row = Array.from({ length: 80 }, (_, m) => f.get(25, m));
    const peak = row.indexOf(Math.max(...row));
    // HTK mel of 1000 Hz over [0, 8000] Hz in 80 bands: 1000 mel of 2840 -> band ~27.
    const mel = (hz: number) => 2595 * Math.log10(1 + hz / 700);
    expect(Math.abs(peak - (mel(1000) / mel(8000)) * 81 + 1)).toBeLessThanOrEqual(1.5);
  });

  it('rejects bad input', async () => {
    await expect(logMelFeatures(new Float32Array(100))).rejects.toThrow(/more than 200 samples/);
    await expect(logMelFeatures(samples, { fMax: 9000 })).rejects.toThrow(/f_max <= sample_rate \/ 2/);
    await expect(logMelFeatures(samples, { nMels: 0 })).rejects.toThrow(ValidationError);
    await expect(logMelFeatures({ data: new Float64Array(10), shape: [10] })).rejects.toThrow(/float64/);
  });
});
