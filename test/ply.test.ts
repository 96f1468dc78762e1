import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FormatError, ValidationError } from '../lib/errors.js';
import { encodePly, type GaussianCloud, parseBoundPly, parsePly, readBoundPly, readPly, type ShDegree, writePly } from '../lib/io/ply.js';
import { rng } from './helpers/scene.js';

// ---------------------------------------------------------------------------------------------
// Independent helpers (no code shared with the implementation)

function randomCloud(count: number, shDegree: ShDegree, seed: number): GaussianCloud {
  const random = rng(seed);
  const uniform = (lo: number, hi: number): number => lo + (hi - lo) * random();
  const fill = (length: number, draw: () => number): Float32Array => Float32Array.from({ length }, draw);
  const k = (shDegree + 1) ** 2;
  return {
    count,
    means: fill(count * 3, () => uniform(-2, 2)),
    quats: fill(count * 4, () => uniform(-1, 1)),
    scales: fill(count * 3, () => Math.exp(uniform(Math.log(1e-3), Math.log(0.5)))),
    opacities: fill(count, () => uniform(0.01, 0.99)),
    sh: fill(count * k * 3, () => uniform(-1.5, 1.5)),
    shDegree,
  };
}

/** The standard 3DGS property names, spelled out by hand. */
function standardProperties(restCount: number): string[] {
  return [
    'x', 'y', 'z', 'nx', 'ny', 'nz', 'f_dc_0', 'f_dc_1', 'f_dc_2',
    ...Array.from({ length: restCount }, (_, i) => `f_rest_${i}`),
    'opacity', 'scale_0', 'scale_1', 'scale_2', 'rot_0', 'rot_1', 'rot_2', 'rot_3',
  ];
}

function expectedHeader(count: number, restCount: number): string {
  let header = 'ply\nformat binary_little_endian 1.0\n';
  header += `element vertex ${count}\n`;
  for (const name of standardProperties(restCount)) header += `property float ${name}\n`;
  return `${header}end_header\n`;
}

function expectRelativelyClose(actual: Float32Array, expected: Float32Array, tolerance: number, label: string): void {
  expect(actual.length, label).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const error = Math.abs(actual[i]! - expected[i]!);
    if (error > tolerance * Math.abs(expected[i]!)) {
      throw new Error(`${label}[${i}]: ${actual[i]} differs from ${expected[i]} by more than ${tolerance} relative`);
    }
  }
}

type PlyScalar = 'char' | 'uchar' | 'short' | 'ushort' | 'int' | 'uint' | 'float' | 'double';
const SIZES: Record<PlyScalar, number> = { char: 1, uchar: 1, short: 2, ushort: 2, int: 4, uint: 4, float: 4, double: 8 };

/** A fixed-size PLY element with one row of values per entry of `rows`. */
interface HandElement {
  name: string;
  properties: [PlyScalar, string][];
  rows: number[][];
  /** Written verbatim as the element's data instead of `rows` (for list properties). */
  raw?: { headerLines: string[]; count: number; bytes: Uint8Array };
}

/** Writes a binary little-endian PLY by hand, one value at a time. */
function handPly(elements: HandElement[], comments: string[] = []): Buffer {
  const lines = ['ply', 'format binary_little_endian 1.0', ...comments.map((c) => `comment ${c}`)];
  const chunks: Uint8Array[] = [];
  for (const element of elements) {
    if (element.raw) {
      lines.push(`element ${element.name} ${element.raw.count}`, ...element.raw.headerLines);
      chunks.push(element.raw.bytes);
      continue;
    }
    lines.push(`element ${element.name} ${element.rows.length}`);
    for (const [type, name] of element.properties) lines.push(`property ${type} ${name}`);
    const rowSize = element.properties.reduce((sum, [type]) => sum + SIZES[type], 0);
    const bytes = new Uint8Array(rowSize * element.rows.length);
    const view = new DataView(bytes.buffer);
    let at = 0;
    for (const row of element.rows) {
      element.properties.forEach(([type], j) => {
        const v = row[j]!;
        if (type === 'char') view.setInt8(at, v);
        if (type === 'uchar') view.setUint8(at, v);
        if (type === 'short') view.setInt16(at, v, true);
        if (type === 'ushort') view.setUint16(at, v, true);
        if (type === 'int') view.setInt32(at, v, true);
        if (type === 'uint') view.setUint32(at, v, true);
        if (type === 'float') view.setFloat32(at, v, true);
        if (type === 'double') view.setFloat64(at, v, true);
        at += SIZES[type];
      });
    }
    chunks.push(bytes);
  }
  lines.push('end_header', '');
  return Buffer.concat([Buffer.from(lines.join('\n'), 'latin1'), ...chunks]);
}

/** Two standard-layout float vertices with SH degree 0, as plain rows of stored values. */
function minimalVertexElement(): HandElement {
  return {
    name: 'vertex',
    properties: standardProperties(0).map((name): [PlyScalar, string] => ['float', name]),
    rows: [
      [1, 2, 3, 0, 0, 0, 0.1, 0.2, 0.3, 0, Math.log(0.5), Math.log(0.25), 0, 1, 0, 0, 0],
      [4, 5, 6, 0, 0, 0, 0.4, 0.5, 0.6, 2, 0, 0, 0, 0.5, 0.5, 0.5, 0.5],
    ],
  };
}

/**
 * A variable-size element: 2 rows of `property list uchar int ids` then `property float weight`,
 * holding ([7, 8], 0.5) and ([], 0.25): 13 + 5 = 18 bytes.
 */
function tagsElement(): HandElement {
  const bytes = new Uint8Array(18);
  const view = new DataView(bytes.buffer);
  view.setUint8(0, 2);
  view.setInt32(1, 7, true);
  view.setInt32(5, 8, true);
  view.setFloat32(9, 0.5, true);
  view.setUint8(13, 0);
  view.setFloat32(14, 0.25, true);
  return { name: 'tags', properties: [], rows: [], raw: { headerLines: ['property list uchar int ids', 'property float weight'], count: 2, bytes } };
}

/** Runs `fn`, expects a FormatError, returns it. */
function formatError(fn: () => unknown): FormatError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(FormatError);
    expect((error as FormatError).code).toBe('ERR_GGT_FORMAT');
    return error as FormatError;
  }
  throw new Error('expected a FormatError, but nothing was thrown');
}

// ---------------------------------------------------------------------------------------------

let folder: string;
beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'ggtalker-ply-'));
});
afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

describe('writePly -> readPly round trip', () => {
  for (const degree of [0, 3] as const) {
    it(`preserves a random cloud of SH degree ${degree}`, async () => {
      const cloud = randomCloud(257, degree, 1234 + degree);
      const path = join(folder, `round-trip-${degree}.ply`);
      await writePly(path, cloud);
      const read = await readPly(path);
      expect(read.count).toBe(cloud.count);
      expect(read.shDegree).toBe(degree);
      expectRelativelyClose(read.means, cloud.means, 1e-6, 'means');
      expectRelativelyClose(read.quats, cloud.quats, 1e-6, 'quats');
      expectRelativelyClose(read.sh, cloud.sh, 1e-6, 'sh');
      expectRelativelyClose(read.scales, cloud.scales, 1e-5, 'scales');
      expectRelativelyClose(read.opacities, cloud.opacities, 1e-5, 'opacities');
      // the atomic write leaves no temporary file behind
      expect((await readdir(folder)).filter((name) => name.includes(`round-trip-${degree}`))).toEqual([`round-trip-${degree}.ply`]);
    });
  }

  it('round-trips an empty cloud', () => {
    const empty: GaussianCloud = {
      count: 0, means: new Float32Array(0), quats: new Float32Array(0), scales: new Float32Array(0),
      opacities: new Float32Array(0), sh: new Float32Array(0), shDegree: 1,
    };
    const read = parsePly(encodePly(empty));
    expect(read.count).toBe(0);
    expect(read.shDegree).toBe(1);
  });

  it('replaces an existing file', async () => {
    const path = join(folder, 'replace.ply');
    await writeFile(path, 'old contents');
    await writePly(path, randomCloud(3, 0, 7));
    expect((await readPly(path)).count).toBe(3);
  });

  it('rejects when the folder does not exist and leaves nothing behind', async () => {
    await expect(writePly(join(folder, 'missing', 'x.ply'), randomCloud(2, 0, 1))).rejects.toMatchObject({ name: 'FileSystemError', systemCode: 'ENOENT' });
  });
});

describe('encodePly byte layout', () => {
  it('writes the documented header, byte for byte', () => {
    for (const [degree, restCount] of [[0, 0], [1, 9], [2, 24], [3, 45]] as const) {
      const cloud = randomCloud(5, degree, 99);
      const bytes = encodePly(cloud);
      const header = expectedHeader(5, restCount);
      expect(bytes.subarray(0, header.length).toString('latin1')).toBe(header);
      expect(bytes.length).toBe(header.length + 5 * standardProperties(restCount).length * 4);
    }
  });

  it('stores every property at its documented offset, before activation', () => {
    const n = 7;
    const k = 16;
    const cloud = randomCloud(n, 3, 42);
    const bytes = encodePly(cloud);
    const headerLength = expectedHeader(n, 45).length;
    const names = standardProperties(45);
    const rowBytes = names.length * 4; // 62 floats
    expect(rowBytes).toBe(248);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const stored = (i: number, name: string): number => view.getFloat32(headerLength + i * rowBytes + names.indexOf(name) * 4, true);
    const f32 = (v: number): number => Math.fround(v);

    for (let i = 0; i < n; i++) {
      ['x', 'y', 'z'].forEach((name, d) => expect(stored(i, name)).toBe(cloud.means[i * 3 + d]));
      ['nx', 'ny', 'nz'].forEach((name) => expect(stored(i, name)).toBe(0));
      ['rot_0', 'rot_1', 'rot_2', 'rot_3'].forEach((name, d) => expect(stored(i, name)).toBe(cloud.quats[i * 4 + d]));
      for (let c = 0; c < 3; c++) {
        expect(stored(i, `f_dc_${c}`)).toBe(cloud.sh[(i * k + 0) * 3 + c]);
        expect(stored(i, `scale_${c}`)).toBe(f32(Math.log(cloud.scales[i * 3 + c]!)));
        for (let coefficient = 1; coefficient < k; coefficient++) {
          // channel-major: f_rest index = c * (K - 1) + (k - 1)
          expect(stored(i, `f_rest_${c * 15 + coefficient - 1}`)).toBe(cloud.sh[(i * k + coefficient) * 3 + c]);
        }
      }
      const o = cloud.opacities[i]!;
      expect(stored(i, 'opacity')).toBeCloseTo(Math.log(o / (1 - o)), 5);
    }
    // a spot check at a literal offset: vertex 3, property f_rest_17 (channel 1, coefficient 3)
    expect(view.getFloat32(headerLength + 3 * 248 + (9 + 17) * 4, true)).toBe(cloud.sh[(3 * 16 + 3) * 3 + 1]);
  });

  it('clamps opacities 0 and 1 to finite logits', () => {
    const cloud = randomCloud(2, 0, 5);
    cloud.opacities.set([0, 1]);
    const bytes = encodePly(cloud);
    const headerLength = expectedHeader(2, 0).length;
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const opacityAt = (i: number): number => view.getFloat32(headerLength + i * 17 * 4 + 9 * 4, true);
    const logitOfEpsilon = Math.log(1e-7 / (1 - 1e-7)); // about -16.118
    expect(opacityAt(0)).toBeCloseTo(logitOfEpsilon, 4);
    expect(opacityAt(1)).toBeCloseTo(-logitOfEpsilon, 4);
    const read = parsePly(bytes);
    expect(read.opacities[0]).toBeCloseTo(1e-7, 10);
    expect(read.opacities[1]).toBeCloseTo(1 - 1e-7, 7);
  });
});

describe('encodePly validation', () => {
  const message = (mutate: (cloud: GaussianCloud) => void): string => {
    const cloud = randomCloud(4, 1, 3);
    mutate(cloud);
    try {
      encodePly(cloud);
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      return (error as Error).message;
    }
    throw new Error('expected a ValidationError');
  };

  it('rejects inconsistent lengths, naming the field and its shape', () => {
    expect(message((c) => (c.sh = new Float32Array(12)))).toBe('expected cloud.sh to hold 48 values for shape [4, 4, 3], received 12');
    expect(message((c) => (c.count = 5))).toBe('expected cloud.means to hold 15 values for shape [5, 3], received 12');
    expect(message((c) => (c.quats = new Float32Array(12)))).toBe('expected cloud.quats to hold 16 values for shape [4, 4], received 12');
  });

  it('rejects bad degrees, counts, dtypes and values', () => {
    expect(message((c) => ((c as { shDegree: number }).shDegree = 4))).toBe('expected cloud.shDegree to be one of 0, 1, 2, 3, received 4');
    expect(message((c) => (c.count = -1))).toBe('expected cloud.count to be a non-negative integer, received -1');
    expect(message((c) => ((c as unknown as { means: Float64Array }).means = new Float64Array(12)))).toMatch(
      /^expected cloud\.means to be a float32 array of shape \[4, 3\], received float64 data/,
    );
    expect(message((c) => (c.scales[7] = 0))).toBe('expected cloud.scales to be positive, received 0 at index [2, 1]');
    expect(message((c) => (c.opacities[2] = 1.5))).toBe('expected cloud.opacities to be in [0, 1], received 1.5 at index 2');
    expect(message((c) => (c.means[4] = Number.NaN))).toBe('expected cloud.means to be finite, received NaN at index [1, 1]');
  });

  it('writes nothing when the cloud is invalid', async () => {
    const path = join(folder, 'invalid.ply');
    const cloud = randomCloud(2, 0, 1);
    cloud.opacities[0] = -1;
    await expect(writePly(path, cloud)).rejects.toBeInstanceOf(ValidationError);
    expect((await readdir(folder)).some((name) => name.includes('invalid'))).toBe(false);
  });
});

describe('parsePly reads general headers', () => {
  it('reads reordered, mixed-type and extra properties, with other elements around the vertices', () => {
    // SH degree 1: K = 4, f_rest_0..8, channel-major: f_rest_{3c + (k-1)}
    const restNames = Array.from({ length: 9 }, (_, i) => `f_rest_${i}`);
    const properties: [PlyScalar, string][] = [
      ['double', 'opacity'],
      ['uchar', 'red'],
      ['float', 'rot_3'], ['float', 'rot_1'], ['float', 'rot_0'], ['float', 'rot_2'],
      ['uchar', 'green'],
      ...restNames.slice().reverse().map((name): [PlyScalar, string] => ['float', name]),
      ['double', 'scale_2'], ['float', 'scale_0'], ['float', 'scale_1'],
      ['float', 'f_dc_2'], ['float', 'f_dc_0'], ['float', 'f_dc_1'],
      ['int', 'z'], ['short', 'x'], ['double', 'y'],
      ['uchar', 'blue'],
    ];
    const vertex = (i: number): Record<string, number> => {
      const values: Record<string, number> = {
        opacity: i - 1, red: 200, green: 10 + i, blue: 255,
        rot_0: 1 + i, rot_1: 0.5, rot_2: -0.25, rot_3: 0.125 * i,
        scale_0: -3 + i, scale_1: -2, scale_2: 0.5 * i,
        f_dc_0: 0.1 * i, f_dc_1: 0.2, f_dc_2: -0.3,
        x: -7 + i, y: 0.1 + i, z: 100 * i,
      };
      restNames.forEach((name, r) => (values[name] = 0.01 * r + i));
      return values;
    };
    const vertexRows = [0, 1, 2].map((i) => properties.map(([, name]) => vertex(i)[name]!));
    const faceList = new Uint8Array([3, 0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0]); // one face: uchar 3, int 0 1 2
    const bytes = handPly(
      [
        { name: 'camera', properties: [['float', 'fx'], ['float', 'fy'], ['uchar', 'id']], rows: [[1000, 1000, 1], [900, 900, 2]] },
        tagsElement(),
        { name: 'vertex', properties, rows: vertexRows },
        { name: 'face', properties: [], rows: [], raw: { headerLines: ['property list uchar int vertex_indices'], count: 1, bytes: faceList } },
      ],
      ['written by hand', 'SH degree 1'],
    );
    const cloud = parsePly(bytes);
    expect(cloud.count).toBe(3);
    expect(cloud.shDegree).toBe(1);
    for (let i = 0; i < 3; i++) {
      const v = vertex(i);
      expect(Array.from(cloud.means.subarray(i * 3, i * 3 + 3))).toEqual([v.x, Math.fround(v.y!), v.z]);
      expect(Array.from(cloud.quats.subarray(i * 4, i * 4 + 4))).toEqual([v.rot_0, v.rot_1, v.rot_2, v.rot_3]);
      expect(cloud.scales[i * 3 + 0]).toBeCloseTo(Math.exp(v.scale_0!), 6);
      expect(cloud.scales[i * 3 + 1]).toBeCloseTo(Math.exp(v.scale_1!), 6);
      expect(cloud.scales[i * 3 + 2]).toBeCloseTo(Math.exp(v.scale_2!), 6);
      expect(cloud.opacities[i]).toBeCloseTo(1 / (1 + Math.exp(-v.opacity!)), 6);
      const sh = (k: number, c: number): number => cloud.sh[(i * 4 + k) * 3 + c]!;
      expect([sh(0, 0), sh(0, 1), sh(0, 2)]).toEqual([v.f_dc_0, v.f_dc_1, v.f_dc_2].map((x) => Math.fround(x!)));
      for (let c = 0; c < 3; c++) {
        for (let k = 1; k < 4; k++) expect(sh(k, c)).toBe(Math.fround(v[`f_rest_${c * 3 + k - 1}`]!));
      }
    }
  });

  it('accepts CRLF header lines and obj_info', () => {
    const base = handPly([minimalVertexElement()]);
    const text = base.toString('latin1');
    const end = text.indexOf('end_header\n') + 'end_header\n'.length;
    const header = text.slice(0, end).replace('ply\n', 'ply\nobj_info made by a test\n').replaceAll('\n', '\r\n');
    const cloud = parsePly(Buffer.concat([Buffer.from(header, 'latin1'), base.subarray(end)]));
    expect(Array.from(cloud.means)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Array.from(cloud.opacities)).toEqual([0.5, Math.fround(1 / (1 + Math.exp(-2)))]);
    expect(Array.from(cloud.scales.subarray(0, 3))).toEqual([0.5, 0.25, 1]); // exp of the stored log(0.5), log(0.25), 0
  });

  it('reads float properties at unaligned offsets (after a leading uchar)', () => {
    const element = minimalVertexElement();
    element.properties.unshift(['uchar', 'red']);
    element.rows = element.rows.map((row) => [17, ...row]);
    const cloud = parsePly(handPly([element]));
    expect(Array.from(cloud.means)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Array.from(cloud.quats)).toEqual([1, 0, 0, 0, 0.5, 0.5, 0.5, 0.5]);
    expect(Array.from(cloud.sh)).toEqual([0.1, 0.2, 0.3, 0.4, 0.5, 0.6].map(Math.fround));
  });

  it('reads a file written by the writer at an unaligned byte offset', () => {
    const bytes = encodePly(randomCloud(3, 2, 11));
    const shifted = new Uint8Array(bytes.length + 1).subarray(1);
    shifted.set(bytes);
    expect(Array.from(parsePly(shifted).means)).toEqual(Array.from(parsePly(bytes).means));
  });
});

describe('parsePly rejects malformed files', () => {
  it('rejects a truncated file', () => {
    const bytes = encodePly(randomCloud(10, 0, 2));
    const error = formatError(() => parsePly(bytes.subarray(0, bytes.length - 3)));
    const headerLength = expectedHeader(10, 0).length;
    expect(error.message).toBe(
      `the file is truncated: 10 vertices of 68 bytes need 680 bytes from byte ${headerLength}, but only 677 remain`,
    );
  });

  it('rejects a file cut inside an element before the vertices', () => {
    const bytes = handPly([tagsElement(), minimalVertexElement()]);
    expect(parsePly(bytes).count).toBe(2); // intact, it reads
    const headerLength = bytes.indexOf('end_header\n') + 'end_header\n'.length;
    expect(formatError(() => parsePly(bytes.subarray(0, headerLength + 10))).message).toBe('the file is truncated inside the "tags" element');
  });

  it('rejects list counts that would not advance (negative, NaN) and element counts the bytes cannot hold', () => {
    // `property list char uchar ids` with count -1: each row would advance 1 + (-1) bytes.
    const negative = (count: number): Buffer =>
      handPly([{ name: 'ids', properties: [], rows: [], raw: { headerLines: ['property list char uchar ids'], count, bytes: new Uint8Array(64).fill(0xff) } }, minimalVertexElement()]);
    expect(formatError(() => parsePly(negative(64))).message).toBe('list property "ids" of "ids" row 0 has count -1; expected a non-negative integer');
    const headerLength = negative(4e9).indexOf('end_header\n') + 'end_header\n'.length;
    expect(formatError(() => parsePly(negative(4e9))).message).toBe(
      `the file is truncated: 4000000000 "ids" rows of at least 1 bytes need 4000000000 bytes from byte ${headerLength}, but only ${64 + 2 * 68} remain`,
    );
    const floatCount = handPly([{ name: 'ids', properties: [], rows: [], raw: { headerLines: ['property list float uchar ids'], count: 1, bytes: new Uint8Array(4) } }, minimalVertexElement()]);
    expect(formatError(() => parsePly(floatCount)).message).toBe('list count type "float" on PLY header line 4: "property list float uchar ids"; expected an integer type');
  });

  it('rejects a file cut inside its header', () => {
    const bytes = encodePly(randomCloud(1, 0, 2));
    expect(formatError(() => parsePly(bytes.subarray(0, 40))).message).toBe('the PLY header has no "end_header" line');
  });

  it('rejects ASCII and big-endian files', () => {
    const ascii = Buffer.from('ply\nformat ascii 1.0\nelement vertex 1\nproperty float x\nend_header\n1\n');
    expect(formatError(() => parsePly(ascii)).message).toBe(
      'ASCII PLY files are not supported; expected "format binary_little_endian 1.0"',
    );
    const bigEndian = Buffer.from(encodePly(randomCloud(1, 0, 2)).toString('latin1').replace('binary_little_endian', 'binary_big_endian'), 'latin1');
    expect(formatError(() => parsePly(bigEndian)).message).toBe(
      'big-endian PLY files are not supported; expected "format binary_little_endian 1.0"',
    );
  });

  it('rejects a file that is not PLY', () => {
    expect(formatError(() => parsePly(Buffer.from('GIF89a....'))).message).toBe('not a PLY file: expected it to start with "ply"');
  });

  it('names missing required properties', () => {
    const element = minimalVertexElement();
    const drop = new Set(['rot_3', 'scale_1']);
    const keep = element.properties.map(([, name]) => !drop.has(name));
    element.properties = element.properties.filter((_, j) => keep[j]);
    element.rows = element.rows.map((row) => row.filter((_, j) => keep[j]));
    const error = formatError(() => parsePly(handPly([element])));
    expect(error.message).toBe(
      'missing vertex properties scale_1, rot_3; a 3DGS PLY needs x y z f_dc_0..2 f_rest_* opacity scale_0..2 rot_0..3',
    );
  });

  it('rejects an f_rest count that fits no SH degree', () => {
    const element = minimalVertexElement();
    element.properties.push(...Array.from({ length: 10 }, (_, i): [PlyScalar, string] => ['float', `f_rest_${i}`]));
    element.rows = element.rows.map((row) => [...row, ...new Array<number>(10).fill(0)]);
    expect(formatError(() => parsePly(handPly([element]))).message).toBe(
      'found 10 f_rest_* vertex properties; expected 0, 9, 24 or 45 (SH degree 0, 1, 2 or 3)',
    );
  });

  it('names a gap in f_rest indices as missing', () => {
    const element = minimalVertexElement();
    const names = [0, 1, 2, 3, 4, 5, 6, 7, 9].map((i) => `f_rest_${i}`);
    element.properties.push(...names.map((name): [PlyScalar, string] => ['float', name]));
    element.rows = element.rows.map((row) => [...row, ...new Array<number>(9).fill(0)]);
    expect(formatError(() => parsePly(handPly([element]))).message).toMatch(/^missing vertex properties f_rest_8;/);
  });

  it('rejects a file without a vertex element, and unknown property types', () => {
    expect(formatError(() => parsePly(Buffer.from('ply\nformat binary_little_endian 1.0\nelement face 0\nend_header\n'))).message).toBe(
      'the PLY header has no "vertex" element; expected one Gaussian per vertex',
    );
    expect(formatError(() => parsePly(Buffer.from('ply\nformat binary_little_endian 1.0\nelement vertex 0\nproperty half x\nend_header\n'))).message).toBe(
      'unknown property type "half" on PLY header line 4: "property half x"',
    );
    expect(formatError(() => parsePly(Buffer.from('ply\nformat binary_little_endian 1.0\nelement vertex 0\nproperty toString x\nend_header\n'))).message).toMatch(
      /^unknown property type "toString"/,
    );
  });

  it('readPly puts the path on the error', async () => {
    const path = join(folder, 'ascii.ply');
    await writeFile(path, 'ply\nformat ascii 1.0\nend_header\n');
    const error = await readPly(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FormatError);
    expect((error as FormatError).path).toBe(path);
    expect((error as FormatError).message).toBe(`${path}: ASCII PLY files are not supported; expected "format binary_little_endian 1.0"`);
  });

  it('readPly reads back what writePly wrote, byte-identical to encodePly', async () => {
    const cloud = randomCloud(5, 2, 8);
    const path = join(folder, 'bytes.ply');
    await writePly(path, cloud);
    expect(Buffer.compare(await readFile(path), encodePly(cloud))).toBe(0);
  });
});

describe('careless calls: ValidationErrors naming the function, not TypeErrors', () => {
  it('refuses bytes, paths and clouds of the wrong kind', async () => {
    expect(() => parsePly('x.ply' as never)).toThrow(ValidationError);
    expect(() => parsePly('x.ply' as never)).toThrow(/^parsePly: expected bytes to be a Uint8Array or Buffer, received .*use readPly\(path\)/);
    expect(() => parsePly(undefined as never)).toThrow(/^parsePly: expected bytes/);
    expect(() => parsePly(new Uint8Array(0), {} as never)).toThrow(/^parsePly: expected path to be a non-empty path string/);
    expect(() => parseBoundPly(new Float32Array(4) as never)).toThrow(/^parseBoundPly: expected bytes/);
    await expect(readPly(42 as never)).rejects.toThrow(/^readPly: expected path/);
    await expect(readBoundPly(null as never)).rejects.toThrow(/^readBoundPly: expected path/);
    await expect(writePly({} as never, randomCloud(1, 0, 1))).rejects.toThrow(/^writePly: expected path/);
    await expect(writePly(join(folder, 'careless.ply'), undefined as never)).rejects.toThrow(ValidationError);
  });
});
