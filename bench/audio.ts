// Audio front end (`npm run bench -- audio`): resampling 10 minutes of audio to 16 kHz and
// log-mel features of 10 s, as JSON lines with real-time factors (audio seconds per second).
import { logMelFeatures, resample } from '../lib/index.js';
import type { BenchArgs } from './main.js';

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function tone(rate: number, seconds: number): Float32Array {
  return Float32Array.from({ length: rate * seconds }, (_, i) => 0.5 * Math.sin((2 * Math.PI * 440 * i) / rate));
}

export async function audioBench(args: BenchArgs): Promise<void> {
  const reps = args.reps ?? 3;
  for (const from of [48000, 44100]) {
    const x = tone(from, 600);
    const times: number[] = [];
    for (let r = 0; r < reps; r++) {
      const t0 = performance.now();
      resample(x, from, 16000);
      times.push((performance.now() - t0) / 1000);
    }
    const s = median(times);
    console.log(JSON.stringify({ case: 'resample', from_hz: from, to_hz: 16000, audio_s: 600, seconds: Math.round(s * 1000) / 1000, realtime_factor: Math.round(600 / s) }));
  }
  const speech = tone(16000, 10);
  const times: number[] = [];
  for (let r = 0; r < reps + 1; r++) {
    const t0 = performance.now();
    await logMelFeatures(speech);
    if (r > 0) times.push((performance.now() - t0) / 1000);
  }
  const s = median(times);
  console.log(JSON.stringify({ case: 'log-mel', audio_s: 10, seconds: Math.round(s * 10000) / 10000, realtime_factor: Math.round(10 / s) }));
}
