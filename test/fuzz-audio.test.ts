// Hostile and careless audio input (issue 13): seeded WAV mutations, a file ffmpeg decodes to
// hours of silence, Audio-Expression configs with every field at hostile values, and
// predictExpressions / synthesize / SynthesisStream with hostile rates, arrays, backgrounds and
// output paths (test/fuzz/audio.cases.ts), each case in a child process with a time and an RSS
// limit. Every case must end in a correct result or a GgtalkerError; the named cases in the
// right class, naming the field or option.

import { describe, expect, it } from 'vitest';

import { fuzzFailures, runFuzzCases, type FuzzReport } from './helpers/fuzz.js';
import { hasFfmpeg } from './helpers/ffmpeg.js';

const CASES = new URL('./fuzz/audio.cases.ts', import.meta.url).pathname;

function byName(reports: FuzzReport[], name: string): FuzzReport {
  const report = reports.find((r) => r.name === name);
  if (!report) throw new Error(`no case named ${JSON.stringify(name)} ran (ran: ${reports.length})`);
  return report;
}

/** The case threw `errorName` with a message matching `message`. */
function expectThrew(reports: FuzzReport[], name: string, errorName: string, message: RegExp): void {
  const r = byName(reports, name);
  expect({ name, outcome: r.outcome, errorName: r.errorName }).toEqual({ name, outcome: 'threw', errorName });
  expect(r.message, name).toMatch(message);
}


describe('fuzz: audio', () => {
  it('WAV mutations end in samples or a FormatError naming the field, in time and memory', async () => {
    const reports = await runFuzzCases(CASES, { exportName: 'wavCases', perCaseMs: 5_000, maxRssMiB: 1024 });
    expect(fuzzFailures(reports)).toEqual([]);
    expect(reports.length).toBeGreaterThan(300);
    for (const rate of [0xf1003e80, 2 ** 31 - 1, 1e9]) {
      expectThrew(reports, `named:wav sampleRate ${rate}`, 'FormatError', new RegExp(`fmt field sampleRate.*\\[1000, 768000\\] Hz, received ${rate}`));
    }
    expectThrew(reports, 'named:wav sampleRate 0', 'FormatError', /expected a positive sample rate, received 0/);
    expectThrew(reports, 'named:wav channels 0', 'FormatError', /expected at least 1 channel, received 0/);
    expectThrew(reports, 'named:wav channels 65535', 'FormatError', /at most 256 channels \(fmt field channels\), received 65535/);
    expectThrew(reports, 'named:wav bits 65535', 'FormatError', /received 65535 bits/);
    expectThrew(reports, 'named:wav blockAlign 0', 'FormatError', /block align of at least 2 bytes/);
    expectThrew(reports, 'named:wav dataSize 0xffffffff', 'FormatError', /truncated data chunk: expected 4294967295 bytes/);
    expectThrew(reports, 'named:wav fmtSize 0xffffffff', 'FormatError', /truncated fmt chunk/);
    expectThrew(reports, 'named:wav link to /dev/zero', 'FormatError', /zero\.wav: expected a regular file, received a character device/);
    expectThrew(reports, 'named:wav FIFO', 'FormatError', /fifo\.wav: expected a regular file, received a FIFO/);
    expectThrew(reports, 'named:wav float NaN sample', 'FormatError', /expected finite float samples, received NaN at frame 1/);
    // Every failure is a FormatError (a file's content), never a ValidationError or a plain Error.
    for (const r of reports) if (r.outcome === 'threw') expect(r.errorName, r.name).toBe('FormatError');
    // Most mutations of the header are errors, but the benign ones still load.
    expect(reports.filter((r) => r.outcome === 'ok').length).toBeGreaterThan(30);
  }, 60_000);

  it.skipIf(!hasFfmpeg())('a file ffmpeg decodes to 5 hours of silence stops at maxSeconds, in bounded memory', async () => {
    const reports = await runFuzzCases(CASES, { exportName: 'ffmpegCases', perCaseMs: 15_000, maxRssMiB: 1024 });
    expect(fuzzFailures(reports)).toEqual([]);
    expectThrew(reports, 'named:ffmpeg 5 h of silence', 'FormatError', /more than the 3600-second limit; pass maxSeconds to raise the limit/);
    expectThrew(reports, 'named:ffmpeg 5 h of silence, maxSeconds 60', 'FormatError', /more than the 60-second limit/);
    // 1 h at 16 kHz is 230 MB of float32: the peak stays near that, not the 1.15 GB of 5 h.
    expect(byName(reports, 'named:ffmpeg 5 h of silence').peakRssMiB!).toBeLessThan(900);
    expectThrew(reports, 'named:ffmpeg missing file', 'FileSystemError', /missing\.mp3: could not read it: no such file or folder \(ENOENT\)/);
    expectThrew(reports, 'named:ffmpeg folder', 'FormatError', /expected a regular file, received a directory/);
    expectThrew(reports, 'named:ffmpeg not installed', 'FormatError', /needs ffmpeg, but .* was not found on PATH/);
    expect(reports.length).toBeGreaterThan(25);
  }, 90_000);

  it('Audio-Expression configs: every field out of its stated range is a ValidationError naming it', async () => {
    const reports = await runFuzzCases(CASES, { exportName: 'configCases', perCaseMs: 5_000, maxRssMiB: 1024 });
    expect(fuzzFailures(reports)).toEqual([]);
    const fields = ['featureDim', 'outputDim', 'expressionCount', 'dModel', 'heads', 'ffDim', 'condLayers', 'decoderLayers', 'speakers', 'speakerDim', 'timeTokens', 'maxFrames', 'alignRadius', 'diffusionSteps'];
    for (const field of fields) {
      for (const value of ['0.5', 'NaN', 'Infinity', '1000000', '1e+300', '2147483648', '-1e+300', '8', 'null']) {
        // '8' is the string "8": the message shows it quoted.
        expectThrew(reports, `named:config ${field} = ${value}`, 'ValidationError', new RegExp(`expected config\\.${field} to be an integer in \\[-?\\d+, \\d+\\]`));
      }
    }
    expectThrew(reports, 'named:config too many weights', 'ValidationError', /expected a config of at most 268435456 weights/);
    for (const fps of ['1000000', '1e+300', 'NaN', '0', '-25']) expectThrew(reports, `named:create features.fps = ${fps}`, 'ValidationError', /features\.fps/);
    expectThrew(reports, 'named:create diffusionSteps = 1e9', 'ValidationError', /config\.diffusionSteps to be an integer in \[1, 10000\]/);
    for (const field of ['nFft', 'nMels', 'hopLength', 'logFloor', 'sampleRate', 'fMax']) expectThrew(reports, `named:logMel ${field}`, 'ValidationError', new RegExp(`expected ${field} to be`));
    expectThrew(reports, 'named:logMel hopLength 1 on 2 hours', 'ValidationError', /expected at most 536870912 feature values, received 115200001 frames × 80 bands/);
    for (const fps of ['1000000', 'NaN', '1e+300']) expectThrew(reports, `named:encodeAudio fps = ${fps}`, 'ValidationError', /expected fps to be a frame rate in \(0, 240\]/);
  }, 60_000);

  it('predictExpressions, synthesize and SynthesisStream refuse hostile rates, arrays, backgrounds and outputs before any work', async () => {
    const reports = await runFuzzCases(CASES, { exportName: 'synthCases', perCaseMs: 20_000, maxRssMiB: 1536 });
    expect(fuzzFailures(reports)).toEqual([]);
    for (const rate of ['2147483647', '4043325056', '1e-300', 'NaN', 'Infinity', '0', '-16000', '16000.5', '999', '768001']) {
      for (const fn of ['predict', 'synthesize']) expectThrew(reports, `named:${fn} sampleRate ${rate}`, 'ValidationError', /expected audio\.sampleRate to be an integer in \[1000, 768000\] Hz/);
    }
    for (const v of ['NaN', 'Infinity', '-Infinity']) {
      expectThrew(reports, `named:predict samples with ${v}`, 'ValidationError', /expected audio to be finite, received .* at index 123/);
      expectThrew(reports, `named:synthesize samples with ${v}`, 'ValidationError', /expected audio\.samples to be finite, received .* at index 123/);
      expectThrew(reports, `named:stream push with ${v}`, 'ValidationError', /expected samples to be finite, received .* at index 123/);
    }
    for (const fn of ['synthesize', 'stream']) {
      for (const label of ['NaN', '1e300']) expectThrew(reports, `named:${fn} background ${label}`, 'ValidationError', /expected background to be finite/);
      for (const label of ['-1', '2']) expectThrew(reports, `named:${fn} background ${label}`, 'ValidationError', /expected background values in \[0, 1\]/);
    }
    expectThrew(reports, 'named:synthesize background wrong size', 'ValidationError', /background/);
    expectThrew(reports, 'named:synthesize output existing folder', 'FileSystemError', /existing-folder: could not write it: it is a folder/);
    expectThrew(reports, 'named:synthesize output missing parent', 'FileSystemError', /no-such-folder: could not write into it: no such file or folder \(ENOENT\)/);
    expectThrew(reports, 'named:synthesize output parent is a file', 'FileSystemError', /a-file\/out\.mp4: could not write it: a part of the path is not a folder \(ENOTDIR\)/);
    expectThrew(reports, 'named:synthesize output empty', 'ValidationError', /expected output to be a non-empty file path/);
    expectThrew(reports, 'named:wav2vec2 20 min of audio', 'ValidationError', /expected at most \d+ wav2vec2 frames \(about \d+ s of 16 kHz audio\) for a 2147483648-byte attention matrix \(maxAttentionBytes\), received 59999 frames/);
    expectThrew(reports, 'named:wav2vec2 maxAttentionBytes 1000', 'ValidationError', /maxAttentionBytes/);
    expect(byName(reports, 'wav2vec2 1 s').outcome).toBe('ok');
    expectThrew(reports, 'named:synthesize batch 1e9', 'ValidationError', /expected batch to be an integer in \[1, 256\], received 1000000000/);
    expectThrew(reports, 'named:synthesize maxReturnedBytes 1000', 'ValidationError', /expected the returned frames to take at most 1000 bytes \(maxReturnedBytes\), received 8 frames of 32x32/);
    expectThrew(reports, 'named:synthesize model {}', 'ValidationError', /expected model to be an AudioExpressionModel/);
    for (const fn of ['synthesize', 'stream']) expectThrew(reports, `named:${fn} avatar null`, 'ValidationError', /expected avatar to be an Avatar, received null/);
    // The output checks come before the expressions are sampled: each failed within a fraction of a valid run's time.
    const valid = byName(reports, 'synthesize valid');
    expect(valid.outcome).toBe('ok');
  }, 90_000);
});
