// Hostile and careless dataset, checkpoint and avatar files (issue 13): seeded mutations of a
// small VHAP dataset, an Audio-Expression checkpoint and a priors folder, a speech dataset and
// an avatar file (test/fuzz/datasets.cases.ts), each case in a child process with a time and an
// RSS limit. Every case must end in a correct result or a GgtalkerError; the named cases in a
// FormatError naming the field; files outside the folder are read only with the opt-in, and no
// message echoes the outside file's bytes.
import { describe, expect, it } from 'vitest';

import { fuzzFailures, runFuzzCases, type FuzzReport } from './helpers/fuzz.js';

const CASES = new URL('./fuzz/datasets.cases.ts', import.meta.url).pathname;
// Must match SECRET in the cases file (not imported: importing it would load the addon here).
const SECRET = 'Zq7#SECRET#wx94kp2vmm81';

const LIMITS = { perCaseMs: 8_000, maxRssMiB: 1536 };

function byName(reports: FuzzReport[], name: string): FuzzReport {
  const report = reports.find((r) => r.name === name);
  if (!report) throw new Error(`no case named ${JSON.stringify(name)} ran (ran: ${reports.length})`);
  return report;
}

/** A FormatError whose message matches `field`. */
function expectFormatError(reports: FuzzReport[], name: string, field: RegExp): void {
  const r = byName(reports, name);
  expect({ name, outcome: r.outcome, errorName: r.errorName }).toEqual({ name, outcome: 'threw', errorName: 'FormatError' });
  expect(r.message, name).toMatch(field);
}

/**
 * No message holds any 8-character piece of the secret, nor its first 8 bytes read as a
 * little-endian integer (how a safetensors reader would print them as a "header length").
 */
function expectNoLeak(reports: FuzzReport[]): void {
  const first8 = new DataView(new TextEncoder().encode(SECRET).buffer, 0, 8).getBigUint64(0, true).toString();
  for (const r of reports) {
    for (let i = 0; i + 8 <= SECRET.length; i++) expect(r.message ?? '', r.name).not.toContain(SECRET.slice(i, i + 8));
    expect(r.message ?? '', r.name).not.toContain(first8);
  }
}

function expectOk(reports: FuzzReport[], name: string): void {
  const r = byName(reports, name);
  expect({ name, outcome: r.outcome, message: r.message }).toEqual({ name, outcome: 'ok', message: undefined });
}

describe('fuzz: dataset, checkpoint and avatar files', () => {
  it('VHAP datasets: typed errors naming the field, no hang, references stay inside', { timeout: 120_000 }, async () => {
    const reports = await runFuzzCases(CASES, { ...LIMITS, exportName: 'vhap' });
    expect(fuzzFailures(reports)).toEqual([]);
    expect(reports.length).toBeGreaterThan(150);
    expectOk(reports, 'vhap: the clean dataset loads');
    expectOk(reports, 'optin: vhap allowExternalFiles reads an outside image');
    expectFormatError(reports, 'named: vhap frames[0].fg_mask_path FIFO', /frames\[0\]\.fg_mask_path/);
    expectFormatError(reports, 'named: vhap frames[0].flame_param_path /dev/zero', /frames\[0\]\.flame_param_path/);
    expectFormatError(reports, 'named: vhap frames[0].file_path absolute', /frames\[0\]\.file_path.*allowExternalFiles/);
    expectFormatError(reports, 'named: vhap frames[0].file_path ../', /frames\[0\]\.file_path.*allowExternalFiles/);
    expectFormatError(reports, 'named: vhap mask is a FIFO inside the folder', /foreground mask is a FIFO, expected a regular file.*frames\[0\]\.fg_mask_path/);
    expectFormatError(reports, 'named: vhap flame /dev/zero with allowExternalFiles', /FLAME parameter file is a device.*frames\[0\]\.flame_param_path/);
    expectFormatError(reports, 'named: vhap image FIFO with checkFiles false', /00000_00\.png.*regular file/);
    expectFormatError(reports, 'named: vhap camera_angle_x 0', /camera_angle_x/);
    expectFormatError(reports, 'named: vhap camera_angle_x negative', /camera_angle_x/);
    expectFormatError(reports, 'named: vhap camera_angle_x pi', /camera_angle_x/);
    expectFormatError(reports, 'named: vhap frames[0].fl_x 1e300', /fl_x/);
    expectFormatError(reports, 'named: vhap frames[0].transform_matrix NaN', /not valid JSON|transform_matrix/);
    expectFormatError(reports, 'named: vhap frames[0].transform_matrix 1e300', /transform_matrix/);
    expectFormatError(reports, 'named: vhap flame expr NaN', /00000\.npz.*expr/);
    expectFormatError(reports, 'named: vhap canonical shape Infinity', /canonical_flame_param\.npz.*shape/);
    expectNoLeak(reports);
  });

  it('Audio-Expression checkpoints and priors folders', { timeout: 120_000 }, async () => {
    const reports = await runFuzzCases(CASES, { ...LIMITS, exportName: 'a2e' });
    expect(fuzzFailures(reports)).toEqual([]);
    expect(reports.length).toBeGreaterThan(120);
    expectOk(reports, 'a2e: the clean checkpoint loads');
    expectOk(reports, 'priors: empty parts load');
    expectOk(reports, 'optin: a2e allowExternalFiles loads weights outside the folder');
    for (const name of ['named: a2e file ../../etc/passwd', 'named: a2e file outside secret', 'named: a2e file /dev/zero', 'named: a2e file FIFO']) {
      expectFormatError(reports, name, /"file".*allowExternalFiles/);
    }
    expectFormatError(reports, 'named: a2e features.fps 1e6', /features\.fps/);
    expectFormatError(reports, 'named: a2e weight NaN', /a2e\.safetensors: expected weight .* to hold finite values, received NaN/);
    // With the opt-in the outside file is read: it is no safetensors file, and the message says so without echoing it.
    const optin = byName(reports, 'optin: a2e allowExternalFiles reads the outside secret');
    expect(optin.errorName).toBe('FormatError');
    expect(optin.message).toContain('secret.bin');
    const priors = byName(reports, 'named: priors parts a2e missing files');
    expect([priors.errorName, priors.message]).toEqual(['FileSystemError', expect.stringMatching(/a2e\.json: no such checkpoint file/)]);
    for (const part of ['generator', 'inpainter', 'a2e']) expectFormatError(reports, `named: priors ${part} is a FIFO`, new RegExp(`${part}\\.safetensors: .*regular file`));
    expectNoLeak(reports);
  });

  it('speech datasets', { timeout: 120_000 }, async () => {
    const reports = await runFuzzCases(CASES, { ...LIMITS, exportName: 'speech' });
    expect(fuzzFailures(reports)).toEqual([]);
    expect(reports.length).toBeGreaterThan(50);
    expectOk(reports, 'speech: the clean dataset loads');
    expectOk(reports, 'optin: speech allowExternalFiles reads outside tracks');
    expectFormatError(reports, 'named: speech clips[0].audio ../', /clips\[0\]\.audio.*allowExternalFiles/);
    expectFormatError(reports, 'named: speech clips[0].tracks absolute', /clips\[0\]\.tracks.*allowExternalFiles/);
    expectFormatError(reports, 'named: speech clips[0].tracks /dev/zero', /clips\[0\]\.tracks/);
    expectFormatError(reports, 'named: speech clips[0].audio FIFO', /clips\[0\]\.audio/);
    expectFormatError(reports, 'named: speech tracks expr NaN', /a\.npz.*expr/);
    expectFormatError(reports, 'named: speech tracks longer than the manifest says', /a\.npz: expr has 50 frames but the manifest's clips\[0\]\.frames says 5/);
    expectFormatError(reports, 'named: speech audio shorter than the tracks', /a\.wav: the audio lasts 0\.20 s but clip a's tracks hold 50 frames at 25 fps \(2\.00 s\)/);
    expectFormatError(reports, 'named: speech audio is a FIFO inside the folder', /a\.wav.*not a regular file/);
    expectFormatError(reports, 'named: speech tracks /dev/zero with allowExternalFiles', /\/dev\/zero.*regular file/);
    expectNoLeak(reports);
  });

  it('avatar files', { timeout: 120_000 }, async () => {
    const reports = await runFuzzCases(CASES, { ...LIMITS, exportName: 'avatar' });
    expect(fuzzFailures(reports)).toEqual([]);
    expect(reports.length).toBeGreaterThan(80);
    expectOk(reports, 'avatar: the clean file loads');
    expectFormatError(reports, 'named: avatar without track.intrinsics', /track\.intrinsics/);
    expectFormatError(reports, 'named: avatar corrupt avatar JSON', /"avatar".*not valid JSON/);
    expectFormatError(reports, 'named: avatar corrupt a2e JSON', /"a2e".*not valid JSON/);
    expectFormatError(reports, 'named: avatar background NaN', /track\.background/);
    expectFormatError(reports, 'named: avatar map NaN', /avatar\.map/);
    expectFormatError(reports, 'named: avatar a2e features.fps 1e6', /features\.fps/);
  });
});

describe('typed errors of in-memory inputs and of the CLI', () => {
  it('trainAudioExpressionPrior names the clip and the field of a malformed clip, before any work', async () => {
    const { trainAudioExpressionPrior } = await import('../lib/a2e/train.js');
    const { ValidationError } = await import('../lib/errors.js');
    const ndarray = (await import('ndarray')).default;
    const clip = (id: string, frames: number, k = 7, fill = 0.1) => ({
      id,
      speaker: 's',
      features: ndarray(new Float32Array(frames * 80).fill(fill), [frames, 80]),
      targets: ndarray(new Float32Array(frames * k).fill(fill), [frames, k]),
    });
    const bad: [string, unknown[], RegExp][] = [
      ['targets of another length', [{ ...clip('a', 20), targets: ndarray(new Float32Array(19 * 7), [19, 7]) }], /clips\[0\] \(a\)\.targets to have one row per frame of its features \(20 frames/],
      ['no targets', [{ ...clip('a', 20), targets: undefined }], /clips\[0\] \(a\)\.targets to be a float32 ndarray/],
      ['NaN features', [clip('a', 20), clip('b', 20, 7, NaN)], /clips\[1\] \(b\)\.features to hold finite values, received NaN/],
      ['expression widths differ', [clip('a', 20), clip('b', 20, 9)], /every clip to have the widths of clips\[0\].*clips\[1\] \(b\)/],
      ['no id', [{ ...clip('a', 20), id: undefined }], /clips\[0\]\.id to be a non-empty string/],
      ['not a clip', [null], /clips\[0\] to be a clip/],
      ['data shorter than its shape', [{ ...clip('a', 20), features: { data: new Float32Array(10), shape: [20, 80] } }], /clips\[0\] \(a\)\.features to hold 20·80 values/],
    ];
    for (const [what, clips, message] of bad) {
      const error = await trainAudioExpressionPrior({ clips: clips as never, steps: 1 }).catch((e: unknown) => e);
      expect(error, what).toBeInstanceOf(ValidationError);
      expect((error as Error).message, what).toMatch(message);
    }
  });

  it('the CLI prints a typed error as one line without a stack, and exits 1', async () => {
    const { vi } = await import('vitest');
    const { mkdtemp, writeFile, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { main } = await import('../lib/cli/main.js');
    const dir = await mkdtemp(join(tmpdir(), 'ggt-cli-'));
    const avatar = join(dir, 'broken.ggtavatar');
    await writeFile(avatar, 'not an avatar at all');
    const written: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => (written.push(String(chunk)), true));
    try {
      expect(await main(['synthesize', '--avatar', avatar, '--audio', join(dir, 'a.wav'), '--out', join(dir, 'o.mp4'), '--quiet'])).toBe(1);
    } finally {
      spy.mockRestore();
      await rm(dir, { recursive: true, force: true });
    }
    const text = written.join('');
    expect(text).toMatch(/^ggtalker synthesize: error: .*broken\.ggtavatar: /);
    expect(text).not.toMatch(/\n\s+at /); // no stack trace
    expect(text).not.toContain('internal error');
  });
});
