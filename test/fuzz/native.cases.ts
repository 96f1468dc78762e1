// Hostile input for every native entry point of the rendering, rigging, FLAME, avatar-network
// and metric layers, imported from the ESM entry (lib/index.ts). Each case's name ends in
// `=> <expected>`: the error class it must end in, `ok`, or `typed` (a correct result or any
// ggtalker error, for inputs whose validity depends on the platform). The expectations come from
// the documented contracts (float32 ranges, stated limits), not from running the code.
// Deterministic: mutations are drawn from seeded generators.
import ndarray from 'ndarray';

import {
  BodyInpainter,
  setThreads,
  Flame,
  gaussiansOnMesh,
  IdentityGaussianGenerator,
  meshUvMap,
  imageMetrics,
  Lpips,
  rasterize,
  rasterizeTensors,
  rasterizeWithGradients,
  referenceRasterize,
  renderHead,
  rigGaussians,
  rigGaussiansWithGradients,
  sampleUvGaussians,
  Tensor,
  triangleFrames,
  uvLayout,
  type Camera,
  type FlameModel,
} from '../../lib/index.js';
import { mulberry32 } from '../../lib/random.js';
import { randomFlameModel } from '../helpers/flame-reference.js';
import type { FuzzCase } from '../helpers/fuzz.js';
import { randomScene } from '../helpers/scene.js';

export type Expected = 'ok' | 'typed' | 'ValidationError' | 'NativeError' | 'AbortError' | 'FormatError';

const VE = 'ValidationError';

function c(name: string, expected: Expected, run: () => unknown): FuzzCase {
  return { name: `${name} => ${expected}`, run };
}

/** Scalar values a careless or hostile caller passes where a number goes. */
const HOSTILE: readonly [string, unknown][] = [
  ['NaN', Number.NaN],
  ['Infinity', Infinity],
  ['-Infinity', -Infinity],
  ['1e300', 1e300],
  ['-1e300', -1e300],
  ['1e-300', 1e-300],
  ['-0', -0],
  ['-1', -1],
  ['0', 0],
  ['1e39', 1e39],
  ['2^53', 2 ** 53],
  ['1.5', 1.5],
  ['string', '1'],
  ['object', {}],
  ['null', null],
  ['undefined', undefined],
  ['bigint', 1n],
  ['array', [1]],
];

const f32ok = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(Math.fround(v));
const positiveF32 = (v: unknown): boolean => f32ok(v) && Math.fround(v) > 0;

/** The camera contract (camera.ts), as an oracle per field. */
function cameraFieldOk(field: string, v: unknown): boolean {
  switch (field) {
    case 'fx':
    case 'fy':
      return positiveF32(v);
    case 'near':
      return v === undefined || positiveF32(v);
    case 'cx':
    case 'cy':
      return f32ok(v);
    case 'far':
      // Positive (beyond float32: no far plane), greater than the default near 0.01.
      return v === undefined || v === Infinity || (typeof v === 'number' && v > 0 && Math.fround(v) > Math.fround(0.01));
    case 'width':
    case 'height':
      return Number.isSafeInteger(v) && (v as number) >= 1 && (v as number) <= 16384 && (v as number) * 16 <= 4096 * 4096;
    default:
      throw new Error(field);
  }
}

type Raw = { data: Float32Array; shape: number[] };
const scene = randomScene(7, { n: 6, width: 16, height: 16 });
const camera = scene.camera;
const good = scene.gaussians as Required<Pick<typeof scene.gaussians, 'means' | 'quats' | 'scales' | 'opacities' | 'colors'>>;
const copy = (r: Raw): Raw => ({ data: Float32Array.from(r.data), shape: [...r.shape] });

function sabCopy(r: Raw): Raw {
  const data = new Float32Array(new SharedArrayBuffer(r.data.byteLength));
  data.set(r.data);
  return { data, shape: [...r.shape] };
}

function detached(r: Raw): Raw {
  const data = Float32Array.from(r.data);
  structuredClone(data.buffer, { transfer: [data.buffer] });
  return { data, shape: [...r.shape] };
}

function* cameraCases(): Generator<FuzzCase> {
  for (const field of ['fx', 'fy', 'cx', 'cy', 'near', 'far', 'width', 'height']) {
    for (const [label, value] of HOSTILE) {
      const cam = { ...camera, [field]: value } as Camera;
      yield c(`rasterize camera.${field} = ${label}`, cameraFieldOk(field, value) ? 'ok' : VE, () => rasterize(good, { camera: cam }));
    }
  }
  for (const [label, value] of HOSTILE) {
    const view = [...(camera.view as number[])];
    view[3] = value as number;
    yield c(`rasterize camera.view[0][3] = ${label}`, f32ok(value) ? 'ok' : VE, () => rasterize(good, { camera: { ...camera, view } }));
    yield c(`rasterize background[1] = ${label}`, f32ok(value) ? 'ok' : VE, () => rasterize(good, { camera, background: [0, value as number, 0] }));
    yield c(`rasterize maxPixels = ${label}`, Number.isSafeInteger(value) && (value as number) >= 256 ? 'ok' : value === undefined ? 'ok' : VE, () =>
      rasterize(good, { camera, maxPixels: value as number }),
    );
  }
  for (const [label, value] of [['null', null], ['string', 'x'], ['number', 3], ['view missing', { ...camera, view: undefined }], ['projective', { ...camera, view: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0] }]] as const) {
    yield c(`rasterize camera = ${label}`, VE, () => rasterize(good, { camera: value as unknown as Camera }));
  }
  yield c('rasterize 16384x16384 (10.7 GB before the limit)', VE, () => rasterize(good, { camera: { ...camera, width: 16384, height: 16384, cx: 8192, cy: 8192 } }));
  // 12000 x 16384 CPU tiles of 32 x 32 pixels: 197M pairs, past the default 2^27 (0.8 GB of
  // tile lists); with 16 x 16 tiles 3000 Gaussians took 1.4 GB and 25 s before the limit.
  yield c('rasterize 12000 Gaussians covering 4096² (0.8 GB of tile lists before maxTilePairs)', 'NativeError', () => {
    const N = 12000;
    const means = new Float32Array(N * 3);
    for (let i = 0; i < N; i++) means.set([0.1 * Math.sin(i), 0, 5 + (i % 7) * 0.01], 3 * i);
    const quats = Float32Array.from({ length: N * 4 }, (_, i) => (i % 4 === 0 ? 1 : 0));
    const huge = { means: { data: means, shape: [N, 3] }, quats: { data: quats, shape: [N, 4] }, scales: { data: new Float32Array(N * 3).fill(100), shape: [N, 3] }, opacities: { data: new Float32Array(N).fill(0.9), shape: [N] }, colors: { data: new Float32Array(N * 3).fill(0.5), shape: [N, 3] } };
    return rasterize(huge, { camera: { view: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1], fx: 4096, fy: 4096, cx: 2048, cy: 2048, width: 4096, height: 4096 } });
  });
  for (const [label, value] of HOSTILE) {
    yield c(`rasterize maxTilePairs = ${label}`, value === undefined || (Number.isSafeInteger(value) && (value as number) >= 1) ? 'typed' : VE, () => rasterize(good, { camera, maxTilePairs: value as number }));
  }
  yield c('rasterize 16385 wide', VE, () => rasterize(good, { camera: { ...camera, width: 16385 } }));
  yield c('rasterize mode = "fast"', VE, () => rasterize(good, { camera, mode: 'fast' as 'classic' }));
  yield c('rasterize device = "cuda:99"', VE, () => rasterize(good, { camera, device: 'cuda:99' }));
  yield c('rasterize device = 7', VE, () => rasterize(good, { camera, device: 7 as unknown as string }));
  yield c('rasterize options = null', VE, () => rasterize(good, null as never));
  yield c('rasterize gaussians = "x"', VE, () => rasterize('x' as never, { camera }));
}

/** Seeded element mutations of each Gaussian attribute: non-finite and out-of-range values. */
function* gaussianCases(): Generator<FuzzCase> {
  const r = mulberry32(1301);
  const values: readonly [string, number, (key: string) => Expected][] = [
    ['NaN', Number.NaN, () => VE],
    ['Infinity', Infinity, () => VE],
    ['-Infinity', -Infinity, () => VE],
    ['1e39 (Infinity in float32)', 1e39, () => VE],
    ['-1', -1, (k) => (k === 'scales' || k === 'opacities' ? VE : 'ok')],
    ['1.5', 1.5, (k) => (k === 'opacities' ? VE : 'ok')],
    ['-0', -0, () => 'ok'],
    ['1e-300 (0 in float32)', 1e-300, () => 'ok'],
    ['3e38', 3e38, (k) => (k === 'opacities' ? VE : 'typed')],
  ];
  for (const key of ['means', 'quats', 'scales', 'opacities', 'colors'] as const) {
    for (const [label, value, expect] of values) {
      const m = copy(good[key]);
      const index = Math.floor(r() * m.data.length);
      m.data[index] = value;
      yield c(`rasterize ${key}[${index}] = ${label}`, expect(key), () => rasterize({ ...good, [key]: m }, { camera }));
    }
    const shape = good[key].shape;
    const n = good[key].data.length;
    const layouts: readonly [string, unknown, Expected][] = [
      ['Float64Array', { data: new Float64Array(n), shape }, VE],
      ['Int32Array', { data: new Int32Array(n), shape }, VE],
      ['plain array', { data: Array.from(good[key].data), shape }, VE],
      ['string', 'abc', VE],
      ['null', null, VE],
      ['number', 3, VE],
      ['typed array without shape', good[key].data, VE],
      ['negative dim', { data: good[key].data, shape: [-1, ...shape.slice(1)] }, VE],
      ['NaN dim', { data: good[key].data, shape: [Number.NaN, ...shape.slice(1)] }, VE],
      ['huge dim', { data: good[key].data, shape: [1e10, ...shape.slice(1)] }, VE],
      ['string dims', { data: good[key].data, shape: ['6', ...shape.slice(1)] }, VE],
      ['too few values', { data: good[key].data.subarray(1), shape }, VE],
      ['offset past the end', { data: good[key].data, shape, offset: n }, VE],
      ['stride out of bounds', { data: good[key].data, shape, stride: shape.map(() => 1000) }, VE],
      ['stride-0 broadcast to 2^27 rows', { data: good[key].data, shape: [2 ** 27, ...shape.slice(1)], stride: [0, ...shape.slice(1).map(() => 1)] }, VE],
      ['SharedArrayBuffer-backed', sabCopy(good[key]), 'ok'],
      ['detached buffer', detached(good[key]), VE],
    ];
    for (const [label, value, expected] of layouts) {
      yield c(`rasterize ${key} = ${label}`, expected, () => rasterize({ ...good, [key]: value }, { camera }));
    }
  }
  const zeroQuat = copy(good.quats);
  zeroQuat.data.fill(0, 4, 8);
  yield c('rasterize zero quaternion', VE, () => rasterize({ ...good, quats: zeroQuat }, { camera }));
  yield c('rasterize sh with K = 5', VE, () =>
    rasterize({ means: good.means, quats: good.quats, scales: good.scales, opacities: good.opacities, sh: { data: new Float32Array(6 * 5 * 3), shape: [6, 5, 3] } }, { camera }),
  );
  yield c('rasterize colors and sh both', VE, () => rasterize({ ...good, sh: { data: new Float32Array(6 * 3), shape: [6, 1, 3] } }, { camera }));
  yield c('rasterize empty scene', 'ok', () =>
    rasterize(
      { means: { data: new Float32Array(0), shape: [0, 3] }, quats: { data: new Float32Array(0), shape: [0, 4] }, scales: { data: new Float32Array(0), shape: [0, 3] }, opacities: { data: new Float32Array(0), shape: [0] }, colors: { data: new Float32Array(0), shape: [0, 3] } },
      { camera },
    ),
  );
}

function* gradientAndTensorCases(): Generator<FuzzCase> {
  const img = (v: number, shape = [16, 16, 3]) => ({ data: new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(v), shape });
  yield c('rasterizeWithGradients outputGrads = null', VE, () => rasterizeWithGradients(good, { camera, outputGrads: null as never }));
  yield c('rasterizeWithGradients outputGrads.image NaN', VE, () => rasterizeWithGradients(good, { camera, outputGrads: { image: img(Number.NaN) } }));
  yield c('rasterizeWithGradients outputGrads.image wrong shape', VE, () => rasterizeWithGradients(good, { camera, outputGrads: { image: img(1, [16, 16]) } }));
  yield c('rasterizeWithGradients outputGrads.alpha = "x"', VE, () => rasterizeWithGradients(good, { camera, outputGrads: { alpha: 'x' as never } }));
  yield c('rasterizeWithGradients fine', 'ok', () => rasterizeWithGradients(good, { camera, outputGrads: { image: img(1) } }));
  yield c('referenceRasterize camera.near = 1e-300', VE, () => referenceRasterize(good, { camera: { ...camera, near: 1e-300 } }));
  yield c('referenceRasterize 1000 Gaussians at 1024² (O(H W N) memory: ~200 GB)', VE, () => {
    const big = randomScene(8, { n: 1000, width: 1024, height: 1024 });
    return referenceRasterize(big.gaussians, { camera: big.camera });
  });
  yield c('referenceRasterize maxPixelGaussianPairs = 0', VE, () => referenceRasterize(good, { camera, maxPixelGaussianPairs: 0 }));
  yield c('referenceRasterize fine', 'ok', () => referenceRasterize(good, { camera: { ...camera, width: 8, height: 8 } }));
  yield c('rasterizeTensors with arrays', VE, () => rasterizeTensors(good as never, { camera }));
  yield c('rasterizeTensors camera.fx = 1e300', VE, () => {
    const t = (r: Raw) => Tensor.from(r);
    return rasterizeTensors({ means: t(good.means), quats: t(good.quats), scales: t(good.scales), opacities: t(good.opacities), colors: t(good.colors) }, { camera: { ...camera, fx: 1e300 } });
  });
  for (const [label, value] of HOSTILE) {
    yield c(`Tensor.from(${label})`, VE, () => Tensor.from(value as never));
  }
  yield c('Tensor.from SharedArrayBuffer-backed', 'ok', () => Tensor.from(sabCopy(good.means)));
  yield c('Tensor.from detached', VE, () => Tensor.from(detached(good.means)));
  yield c('Tensor.from NaN', VE, () => Tensor.from({ data: Float32Array.of(Number.NaN), shape: [1] }));
  yield c('Tensor.from device "tpu"', 'typed', () => Tensor.from(good.means, { device: 'tpu' }));
  yield c('Tensor.from device 7', 'typed', () => Tensor.from(good.means, { device: 7 as never }));
  yield c('Tensor.from requiresGrad "yes"', 'typed', () => Tensor.from(good.means, { requiresGrad: 'yes' as never }));
  yield c('Tensor backward with wrong grad shape', VE, () => Tensor.from(good.means, { requiresGrad: true }).backward({ data: new Float32Array(2), shape: [2] }));
}

const model = randomFlameModel(3);
const uvModel: FlameModel = {
  ...model,
  uv: {
    vt: Float32Array.from({ length: model.vertexCount * 2 }, (_, i) => ((i * 0.618) % 1)),
    ft: Int32Array.from(model.faces),
  },
};

function* flameCases(): Generator<FuzzCase> {
  const flame = Flame.from(model);
  const vec = (n: number, v = 0.1) => ({ data: new Float32Array(n).fill(v), shape: [n] });
  yield c('Flame.from with short shapedirs', VE, () => Flame.from({ ...model, shapedirs: new Float32Array(5) }));
  yield c('Flame.from with face index 1e9', VE, () => Flame.from({ ...model, faces: Int32Array.from([0, 1, 1e9]) }));
  yield c('Flame.from with vertexCount 1e9', VE, () => Flame.from({ ...model, vertexCount: 1e9 }));
  yield c('Flame.from null', 'typed', () => Flame.from(null as never));
  for (const [label, value] of HOSTILE) {
    yield c(`Flame.forward params = ${label}`, typeof value === 'object' && value !== null && !Array.isArray(value) ? 'ok' : VE, () =>
      flame.forward(value as never),
    );
  }
  for (const name of ['shape', 'expr', 'rotation', 'neck', 'jaw', 'eyes', 'translation'] as const) {
    const width = name === 'shape' ? model.shapeCount : name === 'expr' ? model.exprCount : name === 'eyes' ? 6 : 3;
    const bad = vec(width);
    bad.data[width - 1] = Number.NaN;
    yield c(`Flame.forward ${name} with NaN`, VE, () => flame.forward({ [name]: bad }));
    yield c(`Flame.forward ${name} with 1e39`, VE, () => flame.forward({ [name]: { data: vec(width, 1e39).data, shape: [width] } }));
    yield c(`Flame.forward ${name} of the wrong width`, VE, () => flame.forward({ [name]: vec(width + 1) }));
    yield c(`Flame.forward ${name} as Float64Array`, VE, () => flame.forward({ [name]: { data: new Float64Array(width), shape: [width] } }));
  }
  yield c('Flame.forward frames disagree', VE, () =>
    flame.forward({ jaw: { data: new Float32Array(6), shape: [2, 3] }, neck: { data: new Float32Array(9), shape: [3, 3] } }),
  );
  yield c('Flame.forward staticOffset wrong', VE, () => flame.forward({ staticOffset: { data: new Float32Array(3), shape: [1, 3] } }));
  yield c('Flame.forward over maxOutputElements', VE, () => flame.forward({ jaw: { data: new Float32Array(3000), shape: [1000, 3] } }, { maxOutputElements: 1000 }));
  yield c('Flame.forward maxOutputElements = -1', VE, () => flame.forward({}, { maxOutputElements: -1 }));
  yield c('Flame.forward already-aborted signal', 'AbortError', () => flame.forward({}, { signal: AbortSignal.abort() }));
  yield c('Flame.forward options = null', VE, () => flame.forward({}, null as never));
  yield c('Flame.forwardWithGradients outputGrads = null', VE, () => flame.forwardWithGradients({}, { outputGrads: null as never }));
  yield c('Flame.forwardWithGradients vertices wrong shape', VE, () =>
    flame.forwardWithGradients({}, { outputGrads: { vertices: { data: new Float32Array(3), shape: [1, 1, 3] } } }),
  );
  yield c('Flame.forwardWithGradients unknown output', VE, () => flame.forwardWithGradients({}, { outputGrads: { normals: vec(3) } as never }));
}

function* rigCases(): Generator<FuzzCase> {
  const V = model.vertexCount;
  const verts = (T: number, v = 0.1) => ({ data: Float32Array.from({ length: T * V * 3 }, (_, i) => v * Math.sin(i)), shape: [T, V, 3] });
  const faces = { data: model.faces, shape: [model.faces.length / 3, 3] };
  const local = (N: number, face = 0) => ({
    face: { data: new Int32Array(N).fill(face), shape: [N] },
    offset: { data: new Float32Array(N * 3), shape: [N, 3] },
    logScale: { data: new Float32Array(N * 3), shape: [N, 3] },
    quat: { data: Float32Array.from({ length: N * 4 }, (_, i) => (i % 4 === 0 ? 1 : 0)), shape: [N, 4] },
  });
  const nan = verts(1);
  nan.data[5] = Number.NaN;
  yield c('triangleFrames fine', 'ok', () => triangleFrames(verts(2), faces));
  yield c('triangleFrames NaN vertex', VE, () => triangleFrames(nan, faces));
  yield c('triangleFrames face index out of range', VE, () => triangleFrames(verts(1), { data: Int32Array.from([0, 1, V]), shape: [1, 3] }));
  yield c('triangleFrames negative face index', VE, () => triangleFrames(verts(1), { data: Int32Array.from([0, -1, 2]), shape: [1, 3] }));
  yield c('triangleFrames float faces', VE, () => triangleFrames(verts(1), { data: Float32Array.from([0, 1, 2]), shape: [1, 3] }));
  yield c('triangleFrames over maxOutputElements', VE, () => triangleFrames(verts(4), faces, { maxOutputElements: 10 }));
  yield c('triangleFrames vertices = null', VE, () => triangleFrames(null as never, faces));
  yield c('rigGaussians fine', 'ok', () => rigGaussians(verts(2), faces, local(5)));
  yield c('rigGaussians face out of range', VE, () => rigGaussians(verts(1), faces, local(5, 1e6)));
  yield c('rigGaussians over maxOutputElements', VE, () => rigGaussians(verts(3), faces, local(5), { maxOutputElements: 20 }));
  yield c('rigGaussians gaussians = null', 'typed', () => rigGaussians(verts(1), faces, null as never));
  yield c('rigGaussiansWithGradients outputGrads = null', VE, () => rigGaussiansWithGradients(verts(1), faces, local(5), null as never));
  yield c('rigGaussiansWithGradients means NaN', VE, () =>
    rigGaussiansWithGradients(verts(1), faces, local(2), { means: { data: Float32Array.of(Number.NaN, 0, 0, 0, 0, 0), shape: [1, 2, 3] } }),
  );
}

function* uvCases(): Generator<FuzzCase> {
  const uv = uvModel.uv!;
  for (const [label, value] of HOSTILE) {
    const ok = Number.isSafeInteger(value) && (value as number) >= 1 && (value as number) * 8 <= 4096 * 4096;
    yield c(`uvLayout height = ${label}`, ok ? 'ok' : VE, () => uvLayout(uv, { height: value as number, width: 8 }));
  }
  yield c('uvLayout 16384 x 16384', VE, () => uvLayout(uv, { height: 16384, width: 16384 }));
  yield c('uvLayout maxTexels = 10', VE, () => uvLayout(uv, { height: 8, width: 8, maxTexels: 10 }));
  yield c('uvLayout size = null', VE, () => uvLayout(uv, null as never));
  yield c('uvLayout uv = null', VE, () => uvLayout(null as never, { height: 8, width: 8 }));
  yield c('uvLayout vt NaN', VE, () => uvLayout({ ...uv, vt: Float32Array.from(uv.vt, (v, i) => (i === 3 ? Number.NaN : v)) }, { height: 8, width: 8 }));
  yield c('uvLayout ft out of range', VE, () => uvLayout({ ...uv, ft: Int32Array.from([0, 1, 1e6]) }, { height: 8, width: 8 }));
  yield c('uvLayout ft as plain array', VE, () => uvLayout({ ...uv, ft: [0, 1, 2] as never }, { height: 8, width: 8 }));
  yield c('uvLayout vt of odd length', VE, () => uvLayout({ ...uv, vt: new Float32Array(3) }, { height: 8, width: 8 }));
  yield c('sampleUvGaussians fine', 'ok', async () => {
    const layout = await uvLayout(uv, { height: 8, width: 8 });
    await sampleUvGaussians({ data: new Float32Array(8 * 8 * 14), shape: [8, 8, 14] }, layout);
  });
  yield c('sampleUvGaussians map of the wrong size', VE, async () => {
    const layout = await uvLayout(uv, { height: 8, width: 8 });
    await sampleUvGaussians({ data: new Float32Array(4 * 4 * 14), shape: [4, 4, 14] }, layout);
  });
  yield c('sampleUvGaussians map NaN', VE, async () => {
    const layout = await uvLayout(uv, { height: 8, width: 8 });
    await sampleUvGaussians({ data: new Float32Array(8 * 8 * 14).fill(Number.NaN), shape: [8, 8, 14] }, layout);
  });
  yield c('sampleUvGaussians layout with a truncated face array', VE, async () => {
    const layout = await uvLayout(uv, { height: 8, width: 8 });
    const face = ndarray(layout.face.data.subarray(0, 10), [8, 8]);
    await sampleUvGaussians({ data: new Float32Array(8 * 8 * 14), shape: [8, 8, 14] }, { ...layout, face });
  });
  yield c('sampleUvGaussians layout = null', VE, () => sampleUvGaussians({ data: new Float32Array(14), shape: [1, 1, 14] }, null as never));
}

/** Gaussians and UV maps initialised on a mesh: JS-side, but their values feed every native call after. */
function* meshInitCases(): Generator<FuzzCase> {
  const colors = new Float32Array(model.vertexCount * 3).fill(0.5);
  for (const [label, value] of HOSTILE) {
    // null, like undefined, means the default (`??`).
    const ok = value === undefined || value === null || positiveF32(value);
    yield c(`gaussiansOnMesh size = ${label}`, ok ? 'ok' : VE, () => gaussiansOnMesh(model, colors, { size: value as number }));
    yield c(`meshUvMap thickness = ${label}`, ok ? 'ok' : VE, async () => meshUvMap(uvModel, colors, await uvLayout(uvModel.uv!, { height: 8, width: 8 }), { thickness: value as number }));
    const opacityOk = value === undefined || value === null || (typeof value === 'number' && value > 0 && value < 1);
    yield c(`gaussiansOnMesh opacity = ${label}`, opacityOk ? 'ok' : VE, () => gaussiansOnMesh(model, colors, { opacity: value as number }));
  }
  yield c('gaussiansOnMesh colors NaN', VE, () => gaussiansOnMesh(model, new Float32Array(model.vertexCount * 3).fill(Number.NaN)));
  yield c('gaussiansOnMesh colors = null', VE, () => gaussiansOnMesh(model, null as never));
  yield c('meshUvMap colors short', VE, async () => meshUvMap(uvModel, new Float32Array(3), await uvLayout(uvModel.uv!, { height: 8, width: 8 })));
}

function* renderHeadCases(): Generator<FuzzCase> {
  const flame = Flame.from(model);
  const N = 4;
  const gaussians = {
    face: { data: Int32Array.from([0, 1, 2, 3]), shape: [N] },
    offset: { data: new Float32Array(N * 3), shape: [N, 3] },
    logScale: { data: new Float32Array(N * 3).fill(-3), shape: [N, 3] },
    quat: { data: Float32Array.from({ length: N * 4 }, (_, i) => (i % 4 === 0 ? 1 : 0)), shape: [N, 4] },
    sh0: { data: new Float32Array(N * 3), shape: [N, 3] },
    opacityLogit: { data: new Float32Array(N), shape: [N] },
  };
  const cam = { ...camera, view: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 1, 0, 0, 0, 1] };
  yield c('renderHead fine', 'ok', () => renderHead({ flame, params: {}, gaussians }, { camera: cam }));
  yield c('renderHead camera.near = 1e-300', VE, () => renderHead({ flame, params: {}, gaussians }, { camera: { ...cam, near: 1e-300 } }));
  yield c('renderHead camera.cx = 1e300', VE, () => renderHead({ flame, params: {}, gaussians }, { camera: { ...cam, cx: 1e300 } }));
  yield c('renderHead 16384x16384', VE, () => renderHead({ flame, params: {}, gaussians }, { camera: { ...cam, width: 16384, height: 16384 } }));
  yield c('renderHead face out of range', VE, () => renderHead({ flame, params: {}, gaussians: { ...gaussians, face: { data: Int32Array.from([0, 1, 2, 1e6]), shape: [N] } } }, { camera: cam }));
  yield c('renderHead sh0 NaN', VE, () => renderHead({ flame, params: {}, gaussians: { ...gaussians, sh0: { data: new Float32Array(N * 3).fill(Number.NaN), shape: [N, 3] } } }, { camera: cam }));
  yield c('renderHead jaw 1e39', VE, () => renderHead({ flame, params: { jaw: { data: new Float32Array(3).fill(1e39), shape: [3] } }, gaussians }, { camera: cam }));
  yield c('renderHead two frames of params', 'typed', () => renderHead({ flame, params: { jaw: { data: new Float32Array(6), shape: [2, 3] } }, gaussians }, { camera: cam }));
  yield c('renderHead options = undefined', VE, () => renderHead({ flame, params: {}, gaussians }, undefined as never));
  yield c('renderHead flame = {}', VE, () => renderHead({ flame: {} as never, params: {}, gaussians }, { camera: cam }));
  yield c('renderHead input = null', VE, () => renderHead(null as never, { camera: cam }));
  yield c('renderHead already-aborted signal', 'AbortError', () => renderHead({ flame, params: {}, gaussians }, { camera: cam, signal: AbortSignal.abort() }));
}

function* networkCases(): Generator<FuzzCase> {
  for (const [label, value] of HOSTILE) {
    const ok = Number.isInteger(value) && (value as number) >= 1 && (value as number) * 8 <= 1024;
    yield c(`BodyInpainter.create channels = ${label}`, value === undefined || ok ? 'ok' : VE, () => BodyInpainter.create({ config: { channels: value as number, levels: 3 } }));
    const seedOk = value === undefined || (Number.isSafeInteger(value) && (value as number) >= 0);
    yield c(`BodyInpainter.create seed = ${label}`, seedOk ? 'ok' : VE, () => BodyInpainter.create({ config: { channels: 2, levels: 1 }, seed: value as number }));
  }
  yield c('BodyInpainter.create channels = 1e6 (72 TB of weights natively)', VE, () => BodyInpainter.create({ config: { channels: 1e6, levels: 3 } }));
  yield c('BodyInpainter.create levels = 7', VE, () => BodyInpainter.create({ config: { channels: 2, levels: 7 } }));
  yield c('BodyInpainter.create 256 channels x 2^6', VE, () => BodyInpainter.create({ config: { channels: 256, levels: 6 } }));
  yield c('BodyInpainter.create unknown key', VE, () => BodyInpainter.create({ config: { dilate: -1 } as never }));
  yield c('BodyInpainter.create config = "x"', VE, () => BodyInpainter.create({ config: 'x' as never }));
  yield c('BodyInpainter.create options = null', VE, () => BodyInpainter.create(null as never));
  const small = { imageSize: 16, uvSize: 8, latentSize: 4, channels: 2, maxChannels: 4 };
  for (const [key, value] of [
    ['imageSize', 24],
    ['imageSize', 4],
    ['uvSize', 12],
    ['latentSize', 0],
    ['channels', 8],
    ['maxChannels', 1e9],
    ['imageSize', Number.NaN],
    ['uvSize', 1e300],
    ['channels', '2'],
  ] as const) {
    yield c(`IdentityGaussianGenerator.create ${key} = ${String(value)}`, VE, () => IdentityGaussianGenerator.create({ config: { ...small, [key]: value } }));
  }
  yield c('IdentityGaussianGenerator.create base of the wrong shape', VE, () =>
    IdentityGaussianGenerator.create({ config: small, base: ndarray(new Float32Array(14), [1, 1, 14]) }),
  );
  yield c('IdentityGaussianGenerator.create base NaN', VE, () =>
    IdentityGaussianGenerator.create({ config: small, base: ndarray(new Float32Array(8 * 8 * 14).fill(Number.NaN), [8, 8, 14]) }),
  );
  yield c('IdentityGaussianGenerator.generate hostile images (each a ValidationError)', 'ok', async () => {
    const g = await IdentityGaussianGenerator.create({ config: small });
    for (const image of [null, 'x', ndarray(new Float32Array(12).fill(Number.NaN), [2, 2, 3]), ndarray(new Float32Array(8), [2, 2, 2])]) {
      const result = await g.generate(image as never).then(
        () => 'resolved',
        (e: unknown) => e,
      );
      if (!(result instanceof Error) || result.name !== 'ValidationError') throw result instanceof Error ? result : new Error(`expected a ValidationError for ${String(image)}, received ${String(result)}`);
    }
  });
}

function* metricCases(): Generator<FuzzCase> {
  const imgs = (v: number, shape = [1, 3, 8, 8]) => ({ data: new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(v), shape });
  yield c('imageMetrics fine', 'ok', () => imageMetrics(imgs(0.5), imgs(0.4)));
  yield c('imageMetrics NaN', VE, () => imageMetrics(imgs(Number.NaN), imgs(0.4)));
  yield c('imageMetrics shapes disagree', VE, () => imageMetrics(imgs(0.5), imgs(0.4, [1, 3, 8, 4])));
  yield c('imageMetrics 2 channels', VE, () => imageMetrics(imgs(0.5, [1, 2, 8, 8]), imgs(0.4, [1, 2, 8, 8])));
  yield c('imageMetrics a = null', VE, () => imageMetrics(null as never, imgs(0.4)));
  yield c('imageMetrics SharedArrayBuffer-backed', 'ok', () => {
    const a = imgs(0.5);
    const data = new Float32Array(new SharedArrayBuffer(a.data.byteLength));
    data.set(a.data);
    return imageMetrics({ data, shape: a.shape }, imgs(0.4));
  });
  // LPIPS with random AlexNet-shaped weights (the shapes lpips_check wants), then hostile images.
  const r = mulberry32(77);
  const weights = new Map<string, { dtype: 'float32'; data: Float32Array; shape: number[] }>();
  const conv = (name: string, shape: number[]) => {
    const n = shape.reduce((a, b) => a * b, 1);
    weights.set(`features.${name}.weight`, { dtype: 'float32', data: Float32Array.from({ length: n }, () => (r() - 0.5) * 0.05), shape });
    weights.set(`features.${name}.bias`, { dtype: 'float32', data: new Float32Array(shape[0]!), shape: [shape[0]!] });
  };
  conv('0', [64, 3, 11, 11]);
  conv('3', [192, 64, 5, 5]);
  conv('6', [384, 192, 3, 3]);
  conv('8', [256, 384, 3, 3]);
  conv('10', [256, 256, 3, 3]);
  [64, 192, 384, 256, 256].forEach((ch, k) => weights.set(`lin${k}.model.1.weight`, { dtype: 'float32', data: new Float32Array(ch).fill(0.1), shape: [1, ch, 1, 1] }));
  const lpips = () => Lpips.fromTensors(weights as never);
  const image = (v: number, size = 32) => new Float32Array(size * size * 3).fill(v);
  yield c('Lpips.fromTensors missing a weight', 'FormatError', () => Lpips.fromTensors(new Map([...weights].filter(([k]) => k !== 'lin4.model.1.weight')) as never));
  yield c('Lpips.fromTensors network "resnet"', VE, () => Lpips.fromTensors(weights as never, { network: 'resnet' as never }));
  yield c('Lpips.fromTensors device 7', VE, () => Lpips.fromTensors(weights as never, { device: 7 as never }));
  yield c('Lpips.distance fine', 'ok', async () => (await lpips()).distance(image(0.5), image(0.4), 32, 32));
  yield c('Lpips.distance width 1e9 (no allocation)', VE, async () => (await lpips()).distance(image(0.5), image(0.4), 1e9, 1e9));
  yield c('Lpips.distance width 2^40', VE, async () => (await lpips()).distance(image(0.5), image(0.4), 2 ** 40, 32));
  yield c('Lpips.distance NaN image', VE, async () => (await lpips()).distance(image(Number.NaN), image(0.4), 32, 32));
  yield c('Lpips.distance width NaN', VE, async () => (await lpips()).distance(image(0.5), image(0.4), Number.NaN, 32));
  yield c('Lpips.distances 4 pairs at 2048² (over maxPixels)', VE, async () => {
    const big = new Float32Array(2048 * 2048 * 3).fill(0.5);
    return (await lpips()).distances([big, big, big, big], [big, big, big, big], 2048, 2048);
  });
  yield c('Lpips.distance maxPixels = 10', VE, async () => (await lpips()).distances([image(0.5)], [image(0.4)], 32, 32, { maxPixels: 10 }));
  yield c('imageMetrics with VGG over maxPixels', VE, () => imageMetrics(imgs(0.5), imgs(0.4), { vgg: { params: new Map() }, maxPixels: 10 }));
  yield c('Lpips.distances a = null', VE, async () => (await lpips()).distances(null as never, [image(0.4)], 32, 32));
}

/**
 * Long sequences, run under a tight RSS limit of their own: 10,000 frames of an 800-vertex
 * model posed in one native call peak at ~1.3 GB (measured: 1288 MiB; FLAME's 5023
 * vertices: 9.3 GB), in chunks of 256 frames at 593 MiB (the output itself is 96 MB).
 */
export function* longSequences(): Generator<FuzzCase> {
  yield c('Flame.forward 10,000 frames in chunks (bounded memory)', 'ok', async () => {
    const T = 10_000;
    const big = randomFlameModel(4, 800, 4, 3);
    const out = await Flame.from(big).forward({ jaw: { data: Float32Array.from({ length: T * 3 }, (_, i) => 0.1 * Math.sin(i)), shape: [T, 3] } });
    if (out.vertices.shape[0] !== T) throw new Error(`expected ${T} frames, received ${out.vertices.shape[0]}`);
  });
}

function* backendCases(): Generator<FuzzCase> {
  for (const [label, value] of HOSTILE) {
    // Only the values that leave the pool as it was (the cases share one process) run for real.
    if (value === 2 ** 53 || value === 1e300 || value === 1e39) yield c(`setThreads(${label})`, VE, () => setThreads(value as number));
    else if (!(Number.isSafeInteger(value) && (value as number) >= 1)) yield c(`setThreads(${label})`, VE, () => setThreads(value as number));
  }
  yield c('setThreads(1e9) (OpenMP would start them all)', VE, () => setThreads(1e9));
  yield c('setThreads(1025)', VE, () => setThreads(1025));
}

/** Every case, in a fixed order. */
export function* cases(): Generator<FuzzCase> {
  yield* cameraCases();
  yield* gaussianCases();
  yield* gradientAndTensorCases();
  yield* flameCases();
  yield* rigCases();
  yield* uvCases();
  yield* meshInitCases();
  yield* renderHeadCases();
  yield* networkCases();
  yield* metricCases();
  yield* backendCases();
}

/** The expected outcome encoded in a case's name. */
export function expectedOf(name: string): Expected {
  return name.slice(name.lastIndexOf(' => ') + 4) as Expected;
}
