// The studio camera (lib/synthetic/studio/mesh-render.ts, native/studio/mesh_render.cpp) against
// references computed here in float64 from the scene's definition: ray-plane and ray-sphere
// intersections at pixel centres, the documented shading formula, and exact coverage fractions
// of edges placed between samples. Nothing here reuses the renderer's code.
//
// Tolerances: float32 outputs of float32 inputs agree with the float64 references to ~1e-6; we
// allow 2e-4 (shading, UVs) — an affine (not perspective-correct) interpolation is off by ~0.1
// on the tilted quad, a missing normal flip or occlusion by far more. The faceted sphere (96 x 48
// segments) differs from the analytic sphere by its tessellation: 5e-3.
import { describe, expect, it } from 'vitest';

import { AbortError, NativeError, ValidationError } from '../lib/errors.js';
import { native } from '../lib/native.js';
import { lookAt } from '../lib/render/camera.js';
import { renderMeshes, type MeshRenderOptions, type StudioCamera, type StudioMesh, type StudioTexture } from '../lib/synthetic/studio/mesh-render.js';

type V3 = [number, number, number];
const IDENTITY = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
const sub = (a: V3, b: V3): V3 => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
const add = (a: V3, b: V3): V3 => [a[0] + b[0], a[1] + b[1], a[2] + b[2]];
const scale = (s: number, a: V3): V3 => [s * a[0], s * a[1], s * a[2]];
const dot = (a: V3, b: V3): number => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
const cross = (a: V3, b: V3): V3 => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
const normalise = (a: V3): V3 => scale(1 / Math.hypot(...a), a);
const det3 = (a: V3, b: V3, c: V3): number => dot(a, cross(b, c));

function camera(width: number, height: number, f: number, view: number[] = IDENTITY): StudioCamera {
  return { view, fx: f, fy: f, cx: width / 2, cy: height / 2, width, height };
}

/** A texture of one colour. */
function flat(rgb: V3, size = 2): StudioTexture {
  const data = new Float32Array(size * size * 3);
  for (let i = 0; i < size * size; i++) data.set(rgb, 3 * i);
  return { data, width: size, height: size };
}

/** A quad p0 p1 p2 p3 (counter-clockwise about its normal) as two triangles with uv (0,0) (1,0) (1,1) (0,1). */
function quad(corners: [V3, V3, V3, V3], extra: Partial<StudioMesh> = {}): StudioMesh {
  const uv = [0, 0, 1, 0, 1, 1, 0, 1];
  const faces = [0, 1, 2, 0, 2, 3];
  return {
    positions: Float32Array.from(corners.flat()),
    faces: Uint32Array.from(faces),
    uvs: Float32Array.from(faces.flatMap((v) => [uv[2 * v]!, uv[2 * v + 1]!])),
    texture: 0,
    ...extra,
  };
}

/** World ray through the centre of pixel (x, y): origin (the eye) and direction. */
function pixelRay(cam: StudioCamera, x: number, y: number): { eye: V3; dir: V3 } {
  const m = Array.from(cam.view as ArrayLike<number>); // the tests build flat row-major views
  const R = (i: number, j: number): number => m[4 * i + j]!;
  const t: V3 = [m[3]!, m[7]!, m[11]!];
  const d: V3 = [(x + 0.5 - cam.cx) / cam.fx, (y + 0.5 - cam.cy) / cam.fy, 1];
  // For a rigid view, camera -> world is R^T (p - t).
  const rt = (v: V3): V3 => [R(0, 0) * v[0] + R(1, 0) * v[1] + R(2, 0) * v[2], R(0, 1) * v[0] + R(1, 1) * v[1] + R(2, 1) * v[2], R(0, 2) * v[0] + R(1, 2) * v[1] + R(2, 2) * v[2]];
  return { eye: scale(-1, rt(t)), dir: rt(d) };
}

/** Solves o + s a + t b = eye + lambda dir for (s, t, lambda). */
function rayPlane(eye: V3, dir: V3, o: V3, a: V3, b: V3): [number, number, number] {
  const rhs = sub(eye, o);
  const m: V3 = scale(-1, dir);
  const D = det3(a, b, m);
  return [det3(rhs, b, m) / D, det3(a, rhs, m) / D, det3(a, b, rhs) / D];
}

const corner = (p: Float32Array, i: number): V3 => [p[3 * i]!, p[3 * i + 1]!, p[3 * i + 2]!];

const base = (overrides: Partial<MeshRenderOptions>): MeshRenderOptions => ({
  camera: camera(16, 16, 16),
  meshes: [],
  textures: [flat([1, 1, 1])],
  lights: [],
  ambient: [1, 1, 1],
  ...overrides,
});

describe('studio camera: perspective-correct texture coordinates', () => {
  it('a quad tilted steeply in depth shows the analytic (u, v) of the ray-plane hit at each pixel centre', async () => {
    // A linear ramp texture R = u, G = v: bilinear sampling reproduces it exactly away from the
    // clamped half-texel border, so the image is the interpolated uv itself.
    const N = 64;
    const data = new Float32Array(N * N * 3);
    for (let j = 0; j < N; j++) for (let i = 0; i < N; i++) data.set([(i + 0.5) / N, (j + 0.5) / N, 0.25], 3 * (j * N + i));
    const mesh = quad([[-0.8, -0.5, 1.2], [0.8, -0.5, 1.2], [0.8, 0.5, 4.2], [-0.8, 0.5, 4.2]], { doubleSided: true });
    const cam = camera(64, 64, 60);
    const r = await renderMeshes({ camera: cam, meshes: [mesh], textures: [{ data, width: N, height: N }], lights: [], ambient: [1, 1, 1], samples: 1 });
    const p = mesh.positions;
    const o = corner(p, 0);
    const a = sub(corner(p, 1), o);
    const b = sub(corner(p, 3), o);
    let compared = 0;
    let worst = 0;
    for (let y = 0; y < 64; y++) {
      for (let x = 0; x < 64; x++) {
        const { eye, dir } = pixelRay(cam, x, y);
        const [u, v] = rayPlane(eye, dir, o, a, b);
        if (!(u > 1 / N && u < 1 - 1 / N && v > 1 / N && v < 1 - 1 / N)) continue;
        const px = 3 * (y * 64 + x);
        worst = Math.max(worst, Math.abs(r.image[px]! - u), Math.abs(r.image[px + 1]! - v), Math.abs(r.image[px + 2]! - 0.25));
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(1000);
    expect(worst).toBeLessThan(2e-4);
  });
});

describe('studio camera: near-plane clipping', () => {
  it('a quad reaching behind the camera is clipped at z = 0.01, its visible part keeping the analytic (u, v)', async () => {
    // The floor-like quad runs from z = -1 (behind the camera) to z = 4; dropping the faces that
    // cross the near plane would leave the image empty, and wrong barycentrics on the clipped
    // pieces would show as wrong (u, v).
    const N = 64;
    const data = new Float32Array(N * N * 3);
    for (let j = 0; j < N; j++) for (let i = 0; i < N; i++) data.set([(i + 0.5) / N, (j + 0.5) / N, 0.25], 3 * (j * N + i));
    const mesh = quad([[-1, 0.3, -1], [1, 0.3, -1], [1, 0.5, 4], [-1, 0.5, 4]], { doubleSided: true });
    const cam = camera(48, 48, 40);
    const r = await renderMeshes({ camera: cam, meshes: [mesh], textures: [{ data, width: N, height: N }], lights: [], ambient: [1, 1, 1], samples: 1 });
    const p = mesh.positions;
    const o = corner(p, 0);
    const [a, b] = [sub(corner(p, 1), o), sub(corner(p, 3), o)];
    let compared = 0;
    let worst = 0;
    for (let y = 0; y < 48; y++) {
      for (let x = 0; x < 48; x++) {
        const { eye, dir } = pixelRay(cam, x, y);
        const [u, v, lambda] = rayPlane(eye, dir, o, a, b);
        if (!(lambda > 0 && u > 1 / N && u < 1 - 1 / N && v > 1 / N && v < 1 - 1 / N)) continue;
        const px = 3 * (y * 48 + x);
        worst = Math.max(worst, Math.abs(r.image[px]! - u), Math.abs(r.image[px + 1]! - v));
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(300);
    expect(worst).toBeLessThan(2e-4);
  });
});

describe('studio camera: z-buffer', () => {
  // Near: a fronto-parallel triangle at z = 2 (red). Far: a tilted one behind it, z 3..5 (green).
  const near = quad([[-0.3, -0.3, 2], [0.3, -0.2, 2], [0, 0.35, 2], [0, 0.35, 2]], { texture: 0, doubleSided: true });
  const far = quad([[-1.2, -1.2, 3], [1.4, -1.0, 5], [0, 1.4, 4], [0, 1.4, 4]], { texture: 1, doubleSided: true });
  const cam = camera(48, 48, 40);
  const textures = [flat([1, 0, 0]), flat([0, 1, 0])];

  /** Signed distance (pixels) of pixel (x, y)'s centre inside a projected triangle (negative outside). */
  function inside(mesh: StudioMesh, x: number, y: number): number {
    const q = [0, 1, 2].map((i) => {
      const c = corner(mesh.positions, i);
      return [(cam.fx * c[0]) / c[2] + cam.cx, (cam.fy * c[1]) / c[2] + cam.cy] as [number, number];
    });
    const area = (q[1]![0] - q[0]![0]) * (q[2]![1] - q[0]![1]) - (q[2]![0] - q[0]![0]) * (q[1]![1] - q[0]![1]);
    let d = Infinity;
    for (let k = 0; k < 3; k++) {
      const [a, b] = [q[k]!, q[(k + 1) % 3]!];
      const e = ((b[0] - a[0]) * (y + 0.5 - a[1]) - (b[1] - a[1]) * (x + 0.5 - a[0])) / Math.hypot(b[0] - a[0], b[1] - a[1]);
      d = Math.min(d, Math.sign(area) * e);
    }
    return d;
  }

  it('draws the nearer surface whatever the order, with the analytic plane depth at pixel centres', async () => {
    const one = await renderMeshes({ camera: cam, meshes: [near, far], textures, lights: [], ambient: [1, 1, 1] });
    const two = await renderMeshes({ camera: cam, meshes: [far, near], textures, lights: [], ambient: [1, 1, 1] });
    expect(Array.from(two.image)).toEqual(Array.from(one.image));
    expect(Array.from(two.depth)).toEqual(Array.from(one.depth));
    const p = far.positions;
    const [o, a, b] = [corner(p, 0), sub(corner(p, 1), corner(p, 0)), sub(corner(p, 2), corner(p, 0))];
    const seen = { near: 0, far: 0, none: 0 };
    for (let y = 0; y < 48; y++) {
      for (let x = 0; x < 48; x++) {
        const i = y * 48 + x;
        const rgb = Array.from(one.image.subarray(3 * i, 3 * i + 3));
        const dNear = inside(near, x, y);
        const dFar = inside(far, x, y);
        if (dNear > 0.75) {
          // Every sample of the pixel is on the near triangle.
          expect(rgb).toEqual([1, 0, 0]);
          expect(one.depth[i]).toBeCloseTo(2, 5);
          seen.near++;
        } else if (dNear < -0.75 && dFar > 0.75) {
          expect(rgb).toEqual([0, 1, 0]);
          const { eye, dir } = pixelRay(cam, x, y);
          const z = rayPlane(eye, dir, o, a, b)[2] * dir[2];
          expect(Math.abs(one.depth[i]! - z) / z).toBeLessThan(1e-5);
          seen.far++;
        } else if (dNear < -0.75 && dFar < -0.75) {
          expect(one.depth[i]).toBe(Infinity);
          expect(rgb).toEqual([0, 0, 0]);
          seen.none++;
        }
      }
    }
    expect(Math.min(seen.near, seen.far, seen.none), JSON.stringify(seen)).toBeGreaterThan(40);
  });
});

/** colour = albedo (ambient ao + sum_l c_l max(0, n.l) ao) + sum_l ks c_l max(0, n.h)^shininess, clamped. */
function shadeReference(
  albedo: V3,
  n: V3,
  toEye: V3,
  ao: number,
  opts: { ambient: V3; lights: { direction: V3; colour: V3 }[]; specular: number; shininess: number },
): V3 {
  const v = normalise(toEye);
  return [0, 1, 2].map((c) => {
    let diffuse = opts.ambient[c]! * ao;
    let spec = 0;
    for (const light of opts.lights) {
      const l = normalise(light.direction);
      const h = normalise(add(l, v));
      diffuse += light.colour[c]! * Math.max(0, dot(n, l)) * ao;
      spec += opts.specular * light.colour[c]! * Math.max(0, dot(n, h)) ** opts.shininess;
    }
    return Math.min(1, Math.max(0, albedo[c]! * diffuse + spec));
  }) as V3;
}

describe('studio camera: shading', () => {
  it('a tilted plane under two lights matches the Blinn-Phong formula at every pixel centre', async () => {
    const centre: V3 = [0, 0, 2];
    const n0 = normalise([0.3, -0.2, -1]);
    const e1 = normalise(cross([0, 1, 0], n0));
    const e2 = cross(n0, e1);
    const c = (s: number, t: number): V3 => add(centre, add(scale(3 * s, e1), scale(3 * t, e2)));
    const mesh = quad([c(-1, -1), c(1, -1), c(1, 1), c(-1, 1)], {
      normals: Float32Array.from([n0, n0, n0, n0].flat()),
      specular: 0.6,
      shininess: 24,
    });
    const lights = [
      { direction: [0.2, -0.5, -1] as V3, colour: [0.8, 0.7, 0.6] as V3 },
      { direction: [-0.6, 0.1, -0.4] as V3, colour: [0.3, 0.3, 0.5] as V3 },
    ];
    const ambient: V3 = [0.1, 0.12, 0.15];
    const albedo: V3 = [0.6, 0.5, 0.4];
    const cam = camera(40, 32, 36, lookAt([0.3, -0.2, -0.5], [0, 0, 2]));
    const r = await renderMeshes({ camera: cam, meshes: [mesh], textures: [flat(albedo)], lights, ambient, samples: 1 });
    let worst = 0;
    for (let y = 0; y < 32; y++) {
      for (let x = 0; x < 40; x++) {
        const { eye, dir } = pixelRay(cam, x, y);
        const lambda = dot(sub(centre, eye), n0) / dot(dir, n0);
        const hit = add(eye, scale(lambda, dir));
        const want = shadeReference(albedo, n0, sub(eye, hit), 1, { ambient, lights, specular: 0.6, shininess: 24 });
        for (let k = 0; k < 3; k++) worst = Math.max(worst, Math.abs(r.image[3 * (y * 40 + x) + k]! - want[k]!));
      }
    }
    expect(worst).toBeLessThan(2e-4);
  });

  it('a tessellated sphere with computed normals matches the analytic sphere (diffuse + ambient) inside its silhouette', async () => {
    const C: V3 = [0, 0, 2.5];
    const radius = 0.5;
    const [nLat, nLon] = [48, 96];
    const positions: number[] = [];
    for (let i = 0; i <= nLat; i++) {
      for (let j = 0; j < nLon; j++) {
        const th = (Math.PI * i) / nLat;
        const ph = (2 * Math.PI * j) / nLon;
        positions.push(...add(C, scale(radius, [Math.sin(th) * Math.cos(ph), Math.cos(th), Math.sin(th) * Math.sin(ph)])));
      }
    }
    const faces: number[] = [];
    const pos = (k: number): V3 => [positions[3 * k]!, positions[3 * k + 1]!, positions[3 * k + 2]!];
    const tri = (a: number, b: number, c: number): void => {
      const n = cross(sub(pos(b), pos(a)), sub(pos(c), pos(a)));
      if (Math.hypot(...n) < 1e-12) return; // collapsed at the poles
      faces.push(...(dot(n, sub(pos(a), C)) > 0 ? [a, b, c] : [a, c, b])); // outward = counter-clockwise
    };
    for (let i = 0; i < nLat; i++) {
      for (let j = 0; j < nLon; j++) {
        const [a, b, c, d] = [i * nLon + j, i * nLon + ((j + 1) % nLon), (i + 1) * nLon + ((j + 1) % nLon), (i + 1) * nLon + j];
        tri(a, b, c);
        tri(a, c, d);
      }
    }
    const albedo: V3 = [0.8, 0.7, 0.6];
    const light = { direction: [-0.5, -0.6, -1] as V3, colour: [0.9, 0.9, 0.9] as V3 };
    const ambient: V3 = [0.05, 0.05, 0.05];
    const cam = camera(64, 64, 70);
    const r = await renderMeshes({
      camera: cam,
      meshes: [{ positions: Float32Array.from(positions), faces: Uint32Array.from(faces), uvs: new Float32Array(faces.length * 2), texture: 0, specular: 0 }],
      textures: [flat(albedo)],
      lights: [light],
      ambient,
      samples: 1,
    });
    let worst = 0;
    let compared = 0;
    for (let y = 0; y < 64; y++) {
      for (let x = 0; x < 64; x++) {
        const { eye, dir } = pixelRay(cam, x, y);
        const d = normalise(dir);
        const toC = sub(C, eye);
        const along = dot(toC, d);
        const miss2 = dot(toC, toC) - along * along;
        if (miss2 > (0.9 * radius) ** 2) continue; // away from the silhouette
        const hit = add(eye, scale(along - Math.sqrt(radius * radius - miss2), d));
        const want = shadeReference(albedo, normalise(sub(hit, C)), sub(eye, hit), 1, { ambient, lights: [light], specular: 0, shininess: 1 });
        for (let k = 0; k < 3; k++) worst = Math.max(worst, Math.abs(r.image[3 * (y * 64 + x) + k]! - want[k]!));
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(300);
    expect(worst).toBeLessThan(5e-3);
  });
});

describe('studio camera: coverage and antialiasing', () => {
  it('edges through pixel middles cover half a pixel (samples = 2), in the layer of the mesh label', async () => {
    // Camera 16 x 16, f = 16, plane z = 2: pixel x = 8 X + 8. Mesh A (label 2) spans x < 3.5,
    // y < 8; mesh B (label 1) spans x > 10.5, y > 10.5; mesh C (label 0) spans x > 12.125,
    // y < 6, edges off the pixel middles, which place the samples at x + 0.25 and x + 0.75
    // (C covers pixel 12 fully, pixel 11 not at all). Binary fractions: exact in float32.
    const px = (x: number): number => (x - 8) / 8;
    const rect = (x0: number, x1: number, y0: number, y1: number, extra: Partial<StudioMesh>): StudioMesh =>
      quad([[px(x0), px(y0), 2], [px(x1), px(y0), 2], [px(x1), px(y1), 2], [px(x0), px(y1), 2]], { doubleSided: true, ...extra });
    const A = rect(-20, 3.5, -20, 8, { label: 2 });
    const B = rect(10.5, 40, 10.5, 40, { label: 1, texture: 1 });
    const C = rect(12.125, 40, -20, 6, { label: 0, texture: 2 });
    const background = new Float32Array(16 * 16 * 3);
    for (let i = 0; i < 256; i++) background.set([0.2, 0.4, 0.6], 3 * i);
    const colours: V3[] = [[1, 0.5, 0.25], [0, 0.75, 1], [0.3, 0.3, 0.3]];
    const r = await renderMeshes(base({ meshes: [A, B, C], textures: colours.map((c) => flat(c)), background, samples: 2 }));
    expect(r.coverage.length).toBe(3 * 256);
    const frac = (x: number, edge: number, below: boolean): number => (x === Math.floor(edge) ? 0.5 : (x < edge) === below ? 1 : 0);
    for (let y = 0; y < 16; y++) {
      for (let x = 0; x < 16; x++) {
        const i = y * 16 + x;
        const a = y < 8 ? frac(x, 3.5, true) : 0;
        const b = frac(x, 10.5, false) * frac(y, 10.5, false);
        const c = x >= 12 && y < 6 ? 1 : 0;
        expect([r.coverage[i], r.coverage[256 + i], r.coverage[512 + i]]).toEqual([c, b, a]);
        for (let k = 0; k < 3; k++) {
          const want = a * colours[0]![k]! + b * colours[1]![k]! + c * colours[2]![k]! + (1 - a - b - c) * [0.2, 0.4, 0.6][k]!;
          expect(Math.abs(r.image[3 * i + k]! - want)).toBeLessThan(1e-6);
        }
      }
    }
  });
});

describe('studio camera: faces and occlusion', () => {
  // Seen from the camera at the origin, this triangle at z = 2 is clockwise: its right-hand
  // normal (0, 0, 1) points away from the camera, so it is a back face.
  const back = (extra: Partial<StudioMesh>): StudioMesh => ({
    positions: Float32Array.from([-1, -1, 2, -1, 1, 2, 1, -1, 2]),
    faces: Uint32Array.from([0, 2, 1]),
    uvs: new Float32Array(6),
    texture: 0,
    normals: Float32Array.from([0, 0, 1, 0, 0, 1, 0, 0, 1]),
    specular: 0,
    ...extra,
  });
  const lights = [{ direction: [0, 0, -1] as V3, colour: [0.5, 0.5, 0.5] as V3 }];
  const albedo: V3 = [0.4, 0.6, 0.8];
  const ambient: V3 = [0.2, 0.2, 0.2];

  it('culls back faces unless double-sided, and then lights them with the normal flipped toward the viewer', async () => {
    const opts = { camera: camera(16, 16, 16), textures: [flat(albedo)], lights, ambient };
    const culled = await renderMeshes({ ...opts, meshes: [back({})] });
    expect(culled.coverage.every((c) => c === 0)).toBe(true);
    expect(culled.image.every((c) => c === 0)).toBe(true);
    const shown = await renderMeshes({ ...opts, meshes: [back({ doubleSided: true })] });
    // Pixel (2, 2) lies well inside (x + y < 16 - margin): flipped n = (0, 0, -1) faces the light.
    const i = 2 * 16 + 2;
    expect(shown.coverage[i]).toBe(1);
    expect(Array.from(shown.image.subarray(3 * i, 3 * i + 3)).map((v) => +v.toFixed(6))).toEqual(albedo.map((a) => +(a * (0.2 + 0.5)).toFixed(6)));
    // The same triangle wound the other way is a front face and is drawn single-sided.
    const front = await renderMeshes({ ...opts, meshes: [back({ faces: Uint32Array.from([0, 1, 2]), normals: Float32Array.from([0, 0, -1, 0, 0, -1, 0, 0, -1]) })] });
    expect(front.coverage[i]).toBe(1);
    expect(Array.from(front.image)).toEqual(Array.from(shown.image));
  });

  it('an occlusion array darkens ambient and diffuse by its interpolated value', async () => {
    // Fronto-parallel quad X in [-1.5, 1.5] at z = 2, occlusion 0 on the left edge, 1 on the right.
    // Wound counter-clockwise as seen from the camera: a front face, normal (0, 0, -1).
    const mesh = quad([[-1.5, -1.5, 2], [-1.5, 1.5, 2], [1.5, 1.5, 2], [1.5, -1.5, 2]], {
      normals: Float32Array.from([0, 0, -1, 0, 0, -1, 0, 0, -1, 0, 0, -1]),
      occlusion: Float32Array.from([0, 0, 1, 1]),
      specular: 0,
    });
    const cam = camera(32, 32, 32);
    const r = await renderMeshes({ camera: cam, meshes: [mesh], textures: [flat(albedo)], lights, ambient, samples: 1 });
    let worst = 0;
    for (let y = 0; y < 32; y++) {
      for (let x = 0; x < 32; x++) {
        const X = ((x + 0.5 - 16) / 32) * 2;
        const ao = (X + 1.5) / 3;
        for (let k = 0; k < 3; k++) worst = Math.max(worst, Math.abs(r.image[3 * (y * 32 + x) + k]! - albedo[k]! * (0.2 * ao + 0.5 * ao)));
      }
    }
    expect(worst).toBeLessThan(1e-5);
  });
});

describe('studio camera: errors and cancellation', () => {
  const tri = (): StudioMesh => ({ positions: Float32Array.from([0, 0, 2, 1, 0, 2, 0, 1, 2]), faces: Uint32Array.from([0, 1, 2]), uvs: new Float32Array(6), texture: 0 });

  async function rejection(promise: Promise<unknown>): Promise<Error> {
    const err = await promise.then(() => undefined, (e: unknown) => e);
    expect(err, 'expected a rejection').toBeInstanceOf(Error);
    return err as Error;
  }

  it.each([
    ['a face index >= V', { meshes: [{ ...tri(), faces: Uint32Array.from([0, 1, 3]) }] }, /expected meshes\[0\]\.faces to be vertex indices < 3 \(V\), received 3 at index \[0, 2\]/],
    ['uvs of the wrong length', { meshes: [{ ...tri(), uvs: new Float32Array(5) }] }, /expected meshes\[0\]\.uvs to hold 6 values \(shape \[1, 3, 2\]\), received 5/],
    ['a texture index out of range', { meshes: [{ ...tri(), texture: 1 }] }, /expected meshes\[0\]\.texture to be an index into textures \(fewer than 1\), received 1/],
    ['non-finite positions', { meshes: [{ ...tri(), positions: Float32Array.from([0, 0, 2, 1, NaN, 2, 0, 1, 2]) }] }, /expected meshes\[0\]\.positions to be finite, received NaN at index \[1, 1\]/],
    ['int32 faces', { meshes: [{ ...tri(), faces: Int32Array.from([0, 1, 2]) as unknown as Uint32Array }] }, /expected meshes\[0\]\.faces to be a Uint32Array \[F, 3\], received an Int32Array of length 3/],
    ['too many samples', { camera: camera(4096, 4096, 100), samples: 2 }, /expected camera\.width \* camera\.height \* samples\^2 to be at most 33554432, received 4096 \* 4096 \* 2\^2 = 67108864/],
    ['samples out of range', { samples: 5 }, /expected samples to be an integer in \[1, 4\], received 5/],
    ['occlusion above 1', { meshes: [{ ...tri(), occlusion: Float32Array.from([1, 2, 0]) }] }, /expected meshes\[0\]\.occlusion to be in \[0, 1\], received 2 at index 1/],
    ['a zero light direction', { lights: [{ direction: [0, 0, 0], colour: [1, 1, 1] }] }, /expected lights\[0\]\.direction to be non-zero/],
    ['a background of the wrong size', { background: new Float32Array(10) }, /expected background to hold 768 values \(shape \[16, 16, 3\]\), received 10/],
    ['a NaN texel', { textures: [{ ...flat([1, 1, 1]), data: Float32Array.from([1, 1, 1, 1, 1, NaN, 1, 1, 1, 1, 1, 1]) }] }, /expected textures\[0\]\.data to be finite, received NaN at index \[0, 1, 2\]/],
    ['an infinite background value', { background: new Float32Array(768).fill(Infinity) }, /expected background to be finite, received Infinity at index \[0, 0, 0\]/],
    ['a label beyond 7', { meshes: [{ ...tri(), label: 8 }] }, /expected meshes\[0\]\.label to be an integer in \[0, 7\], received 8/],
  ] as [string, Partial<MeshRenderOptions>, RegExp][])('rejects %s with a ValidationError', async (_, overrides, message) => {
    const err = await rejection(renderMeshes(base(overrides)));
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.message).toMatch(message);
  });

  it('the binding checks sizes and indices itself (TypeErrors before any native work)', () => {
    const raw = (mesh: Partial<StudioMesh>) => ({
      camera: { ...camera(16, 16, 16), view: IDENTITY },
      meshes: [{ ...tri(), specular: 0.04, shininess: 32, label: 0, doubleSided: false, ...mesh }],
      textures: [flat([1, 1, 1])],
      lights: [],
      ambient: [1, 1, 1] as V3,
      samples: 2,
    });
    expect(() => native().meshRender(raw({ faces: Uint32Array.from([0, 1, 7]) }))).toThrow(/expected meshes\[0\]\.faces to hold vertex indices < 3 \(V\), received 7 at index \[0, 2\]/);
    expect(() => native().meshRender(raw({ uvs: new Float32Array(4) }))).toThrow(/expected meshes\[0\]\.uvs to hold 6 values, received 4/);
    expect(() => native().meshRender(raw({ texture: 2 }))).toThrow(/expected meshes\[0\]\.texture to be an index into textures \(0\.\.0\), received 2/);
    expect(() => native().meshRender(raw({ positions: Float32Array.from([0, 0, 2, 1, 0, Infinity, 0, 1, 2]) }))).toThrow(
      /expected meshes\[0\]\.positions to be finite, received Infinity at index \[1, 2\]/,
    );
    expect(() => native().meshRender({ ...raw({}), camera: { ...camera(16, 16, 16), view: IDENTITY, width: 16.5 } })).toThrow(
      /expected meshRender\.camera\.width to be an integer in \[1, 16384\], received 16\.5/,
    );
    expect(() => native().meshRender(raw({ label: NaN }))).toThrow(/expected meshes\[0\]\.label to be an integer in \[0, 7\], received NaN/);
  });

  it('an aborted signal rejects with AbortError, and the native render stops at its abort flag', async () => {
    const signal = AbortSignal.abort();
    const err = await rejection(renderMeshes(base({ meshes: [tri()], signal })));
    expect(err).toBeInstanceOf(AbortError);
    // The native loop itself: a render whose flag is already set rejects instead of finishing.
    const flag = new (native().AbortFlag)();
    flag.abort();
    const raw = {
      camera: { ...camera(64, 64, 64), view: IDENTITY },
      meshes: [{ ...tri(), specular: 0.04, shininess: 32, label: 0, doubleSided: false }],
      textures: [flat([1, 1, 1])],
      lights: [],
      ambient: [1, 1, 1] as V3,
      samples: 2,
      abort: flag,
    };
    const stopped = await rejection(native().meshRender(raw));
    expect((stopped as Error & { code?: string }).code).toBe('ERR_GGT_NATIVE');
    expect(stopped.message).toMatch(/aborted/);
  });

  it('a signal aborted mid-render rejects with AbortError and the native work stops early', async () => {
    // A large full-frame quad: shading 2048 x 2048 x 4 samples takes far longer than 20 ms.
    const big = quad([[-5, -5, 2], [5, -5, 2], [5, 5, 2], [-5, 5, 2]], { doubleSided: true });
    const controller = new AbortController();
    const options = base({ camera: camera(2048, 2048, 1024), meshes: [big], lights: [{ direction: [0, 0, -1], colour: [1, 1, 1] }], signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    const err = await rejection(renderMeshes(options));
    expect(err).toBeInstanceOf(AbortError);
    expect(err).not.toBeInstanceOf(NativeError);
  });
});
