/**
 * Optional glasses: a frame of tubes (two rims, a bridge over the nose, two temples back to the
 * ears) built in the identity's rest pose from the head itself (eye centres by the joint
 * regressor, the nose's and brows' reach, the head's width, the ears' tops), so it fits every
 * shape; the scene moves it rigidly with the skull. Frames only (no lens glass: the renderer
 * has no transparency).
 *
 * @module
 */

import { clamp, type Random, type Vec3 } from '../../flame/procedural/math.js';
import type { ProceduralHead } from '../../flame/procedural/index.js';
import type { Rgb } from '../../flame/procedural/palettes.js';

/** A drawn pair of glasses. */
export interface GlassesStyle {
  /** Rim half-width and half-height, metres; tube radius. */
  halfWidth: number;
  /** Rim half-height, metres. */
  halfHeight: number;
  /** Radius of the frame's tube, metres. */
  radius: number;
  /** Superellipse exponent of the rims (2: oval, larger: rectangular). */
  squareness: number;
  /** The frame's colour. */
  colour: Rgb;
  /** Specular strength of the frame. */
  specular: number;
}

/** Draws glasses for about 40 % of seeds, or null. */
export function drawGlasses(rng: Random): GlassesStyle | null {
  const has = rng.uniform() < 0.4;
  const colours: Vec3[] = [[0.03, 0.03, 0.03], [0.25, 0.13, 0.06], [0.6, 0.55, 0.45], [0.12, 0.12, 0.3], [0.5, 0.1, 0.1]];
  const style: GlassesStyle = {
    halfWidth: rng.range(0.021, 0.027),
    halfHeight: rng.range(0.013, 0.019),
    radius: rng.range(0.0012, 0.0024),
    squareness: rng.range(2, 5),
    colour: colours[Math.floor(rng.uniform() * colours.length)]!,
    specular: rng.range(0.1, 0.4),
  };
  return has ? style : null;
}

/** Glasses in the rest pose: positions [V, 3], faces [F, 3], UVs [F, 3, 2] (all on one texel). */
export interface GlassesMesh {
  positions: Float32Array;
  faces: Uint32Array;
  uvs: Float32Array;
}

/** Sweeps a circle of `radius` along a polyline (closed or open), appending to the arrays. */
function tube(path: Vec3[], closed: boolean, radius: number, positions: number[], faces: number[], sides = 8): void {
  const n = path.length;
  const start = positions.length / 3;
  for (let i = 0; i < n; i++) {
    const prev = path[closed ? (i - 1 + n) % n : Math.max(i - 1, 0)]!;
    const next = path[closed ? (i + 1) % n : Math.min(i + 1, n - 1)]!;
    const t = [next[0] - prev[0], next[1] - prev[1], next[2] - prev[2]];
    const tl = Math.hypot(t[0]!, t[1]!, t[2]!) || 1;
    const T = t.map((x) => x / tl) as Vec3;
    // A normal: the axis least aligned with T, orthogonalised.
    const ref: Vec3 = Math.abs(T[1]) < 0.9 ? [0, 1, 0] : [1, 0, 0];
    const d = ref[0] * T[0] + ref[1] * T[1] + ref[2] * T[2];
    let N: Vec3 = [ref[0] - d * T[0], ref[1] - d * T[1], ref[2] - d * T[2]];
    const nl = Math.hypot(...N);
    N = [N[0] / nl, N[1] / nl, N[2] / nl];
    const B: Vec3 = [T[1] * N[2] - T[2] * N[1], T[2] * N[0] - T[0] * N[2], T[0] * N[1] - T[1] * N[0]];
    for (let s = 0; s < sides; s++) {
      const a = (2 * Math.PI * s) / sides;
      const [c, si] = [Math.cos(a), Math.sin(a)];
      const p = path[i]!;
      positions.push(p[0] + radius * (c * N[0] + si * B[0]), p[1] + radius * (c * N[1] + si * B[1]), p[2] + radius * (c * N[2] + si * B[2]));
    }
  }
  const segments = closed ? n : n - 1;
  for (let i = 0; i < segments; i++) {
    const j = (i + 1) % n;
    for (let s = 0; s < sides; s++) {
      const s1 = (s + 1) % sides;
      const a = start + i * sides + s;
      const b = start + i * sides + s1;
      const c = start + j * sides + s;
      const e = start + j * sides + s1;
      // Outward: (N, B) turns counter-clockwise about T, so (a, c, b) faces out.
      faces.push(a, c, b, b, c, e);
    }
  }
}

/** Rest positions of the model's joints, [5, 3], by its regressor. */
export function restJoints(head: ProceduralHead, rest: Float32Array): Float32Array {
  const V = head.model.vertexCount;
  const J = head.model.jRegressor.length / V;
  const out = new Float32Array(J * 3);
  for (let j = 0; j < J; j++) {
    for (let v = 0; v < V; v++) {
      const w = head.model.jRegressor[j * V + v]!;
      if (w !== 0) for (let a = 0; a < 3; a++) out[3 * j + a]! += w * rest[3 * v + a]!;
    }
  }
  return out;
}

/** The frame of a style fitted to a head in rest positions `rest` [V, 3]. */
export function makeGlassesMesh(head: ProceduralHead, rest: Float32Array, style: GlassesStyle): GlassesMesh {
  const joints = restJoints(head, rest);
  const eye = (j: number): Vec3 => [joints[3 * j]!, joints[3 * j + 1]!, joints[3 * j + 2]!];
  const eyes = [eye(3), eye(4)]; // left (+x), right (−x)
  const eyeY = (eyes[0]![1] + eyes[1]![1]) / 2;
  const V = head.model.vertexCount;
  const names = head.regions.names;
  const faceRegion = new Int32Array(V).fill(-1);
  head.model.faces.forEach((v, i) => (faceRegion[v] = head.regions.face[Math.floor(i / 3)]!));
  const skinLike = new Set(['skin', 'nose', 'scalp', 'eyelid_left', 'eyelid_right'].map((n) => names.indexOf(n)));
  // How far forward the face reaches inside each rim (brows, cheeks, lids) and on the nose's bridge; the head's half-width at the temples.
  let rimZ = -Infinity;
  let bridgeZ = -Infinity;
  let halfWidth = 0;
  for (let v = 0; v < V; v++) {
    if (!skinLike.has(faceRegion[v]!)) continue;
    const [x, y, z] = [rest[3 * v]!, rest[3 * v + 1]!, rest[3 * v + 2]!];
    for (const e of eyes) if (Math.abs(x - e[0]) < style.halfWidth && Math.abs(y - eyeY) < style.halfHeight) rimZ = Math.max(rimZ, z);
    if (Math.abs(x) < 0.006 && Math.abs(y - eyeY) < 0.006) bridgeZ = Math.max(bridgeZ, z);
    if (Math.abs(y - eyeY) < 0.01 && z > -0.02 && z < 0.04) halfWidth = Math.max(halfWidth, Math.abs(x));
  }
  // Ear tops: the highest ear vertex per side.
  const earTop = [names.indexOf('ear_left'), names.indexOf('ear_right')].map((r) => {
    let best: Vec3 = [0, -Infinity, 0];
    for (let v = 0; v < V; v++) if (faceRegion[v] === r && rest[3 * v + 1]! > best[1]) best = [rest[3 * v]!, rest[3 * v + 1]!, rest[3 * v + 2]!];
    return best;
  });
  // Without ear regions, the temples end at the head's side, 8 cm behind the rims.
  earTop.forEach((e, side) => {
    if (Number.isFinite(e[1])) return;
    earTop[side] = [(side === 0 ? 1 : -1) * (halfWidth + 0.002), eyeY, eyes[side]![2] - 0.08];
  });
  const planeZ = rimZ + 0.004 + style.radius;
  const positions: number[] = [];
  const faces: number[] = [];
  const inner: Vec3[] = [];
  const outer: Vec3[] = [];
  eyes.forEach((e, side) => {
    const sign = side === 0 ? 1 : -1;
    const cx = e[0];
    const rim: Vec3[] = [];
    const steps = 28;
    for (let s = 0; s < steps; s++) {
      const a = (2 * Math.PI * s) / steps;
      const c = Math.cos(a);
      const si = Math.sin(a);
      const x = cx + style.halfWidth * Math.sign(c) * Math.abs(c) ** (2 / style.squareness);
      const y = eyeY - 0.002 + style.halfHeight * Math.sign(si) * Math.abs(si) ** (2 / style.squareness);
      // The rim wraps back a little at its outer side, as frames follow the face.
      const wrap = 0.006 * clamp((sign * (x - cx)) / style.halfWidth, 0, 1) ** 2;
      rim.push([x, y, planeZ - wrap]);
    }
    tube(rim, true, style.radius, positions, faces);
    inner.push([cx - sign * style.halfWidth, eyeY + 0.2 * style.halfHeight, planeZ]);
    outer.push([cx + sign * style.halfWidth, eyeY + 0.2 * style.halfHeight, planeZ - 0.006]);
  });
  // Bridge: an arch over the nose between the rims' inner sides.
  const bz = Math.max(planeZ, bridgeZ + 0.003 + style.radius);
  const bridge: Vec3[] = [];
  for (let s = 0; s <= 8; s++) {
    const t = s / 8;
    const x = inner[0]![0] + (inner[1]![0] - inner[0]![0]) * t;
    bridge.push([x, inner[0]![1] + 0.003 * Math.sin(Math.PI * t), planeZ + (bz - planeZ) * Math.sin(Math.PI * t)]);
  }
  tube(bridge, false, style.radius * 0.8, positions, faces);
  // Temples: from the outer rims, just outside the head, back to the ear tops, then down behind them.
  outer.forEach((o, side) => {
    const sign = side === 0 ? 1 : -1;
    const ear = earTop[side]!;
    const sideX = sign * Math.max(halfWidth + 0.004 + style.radius, Math.abs(o[0]));
    const path: Vec3[] = [o, [sideX, o[1], o[2] - 0.02], [sideX, (o[1] + ear[1]) / 2 + 0.002, (o[2] + ear[2]) / 2], [ear[0] + sign * 0.001, ear[1] + 0.003, ear[2]], [ear[0], ear[1] - 0.012, ear[2] - 0.012]];
    tube(path, false, style.radius, positions, faces);
  });
  const F = faces.length / 3;
  return { positions: Float32Array.from(positions), faces: Uint32Array.from(faces), uvs: new Float32Array(F * 6).fill(0.5) };
}
