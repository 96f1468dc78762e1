/**
 * Inside the mouth: the oral cavity (a closed pocket of skin joined to the lips' inner
 * edges, so an open mouth shows a dark cavity), the upper and lower teeth (closed bands swept
 * along the dental arch, a shallow notch at each tooth boundary) and the tongue (a flattened
 * closed ellipsoid on the cavity's floor).
 *
 * @module
 */

import { PartBuilder, fan, polarSurface, ringStrips, type Part } from './mesh.js';
import { clamp, lerp, type Vec2, type Vec3 } from './math.js';
import { SPEC } from './spec.js';

const M = SPEC.mouth;
const T = SPEC.teeth;

// ------------------------------------------------------------------------------ cavity

/**
 * The cavity's rings behind the lips: each spans half-width W across and has an elliptic
 * vertical profile of half-heights Hu (up) and Hd (down). The first hugs the lips' inner
 * faces a little behind their edge; the others are arches (front at Z, curving back by D at
 * the sides): the vestibule in front of the teeth, then the palate and floor going back to
 * the throat.
 */
type CavityRing = { W: number; Hu: number; Hd: number } & ({ behindLips: number } | { Z: number; D: number });
const CAVITY_RINGS: readonly CavityRing[] = [
  { behindLips: 0.004, W: M.cornerX, Hu: 0.0025, Hd: 0.0025 },
  { Z: T.upperFrontZ + 0.0019, W: 0.0295, D: 0.031, Hu: 0.0128, Hd: 0.0135 },
  { Z: T.upperFrontZ - 0.012, W: 0.0335, D: 0.045, Hu: 0.0175, Hd: 0.021 },
  { Z: T.upperFrontZ - 0.035, W: 0.0325, D: 0.035, Hu: 0.019, Hd: 0.023 },
  { Z: T.upperFrontZ - 0.055, W: 0.024, D: 0.02, Hu: 0.015, Hd: 0.017 },
  { Z: T.upperFrontZ - 0.066, W: 0.013, D: 0.01, Hu: 0.008, Hd: 0.009 },
];
const CAVITY_BACK: Vec3 = [0, M.y - 0.002, T.upperFrontZ - 0.071];

/** The lips' inner edge as one loop: ids and rest positions, counter-clockwise seen from the front. */
export interface LipLoop {
  ids: number[];
  positions: Vec3[];
  /** +1 upper lip, -1 lower lip, 0 a corner. */
  sides: (1 | -1 | 0)[];
}

/** Angle across the mouth of a point on the lips' edge: -pi/2 at the right corner, 0 at the midline, pi/2 at the left. */
export const lipAngle = (p: Vec3): number => Math.asin(clamp(p[0] / M.cornerX, -1, 1));

/** A vertex of the cavity: its id, its angle across the mouth and which lip's side it continues. */
export interface CavityVertex {
  id: number;
  psi: number;
  side: 1 | -1 | 0;
}

/**
 * Adds the cavity to the builder that holds the lips (so the two form one surface): rings
 * from the lips' inner edge back to the throat, closed by a fan. The loop's parameter (the
 * edge vertex's x and side) is carried back through every ring, so the cavity's floor lines
 * up with the lower lip and its roof with the upper lip.
 */
export function addMouthCavity(b: PartBuilder, loop: LipLoop): CavityVertex[] {
  const n = loop.ids.length;
  const psi = loop.positions.map(lipAngle);
  const added: CavityVertex[] = [];
  const rings: number[][] = [loop.ids];
  for (const r of CAVITY_RINGS) {
    rings.push(
      loop.positions.map((p, q) => {
        const ps = psi[q]!;
        const z = 'behindLips' in r ? p[2] - r.behindLips : r.Z - r.D * (1 - Math.cos(ps)) ** 1.3;
        const prof = Math.cos(ps) ** 0.6;
        const y = M.y + (loop.sides[q]! > 0 ? r.Hu * prof : loop.sides[q]! < 0 ? -r.Hd * prof : 0);
        const id = b.vertex([r.W * Math.sin(ps), y, z]);
        added.push({ id, psi: ps, side: loop.sides[q]! });
        return id;
      }),
    );
  }
  // Raw unwrap: concentric rings, the lips' edge outermost, at the angle the loop's vertex
  // has seen from the front (upper lip from the left corner at 0 over the top to the right
  // corner at pi, lower lip back under the bottom).
  const angle = (q: number): number => (loop.sides[q % n]! < 0 ? 1.5 * Math.PI + psi[q % n]! : 0.5 * Math.PI - psi[q % n]!);
  const radius = (r: number): number => 0.03 * (1 - r / (rings.length + 0.5));
  const uv = (r: number, q: number): Vec2 => [radius(r) * Math.cos(angle(q)), radius(r) * Math.sin(angle(q))];
  // Seen from the front through the open mouth, the loop runs counter-clockwise and the
  // rings shrink inwards: unflipped strips face the viewer (into the cavity).
  ringStrips(b, rings, () => 'mouth_interior', 'mouth', uv);
  const back = b.vertex(CAVITY_BACK);
  added.push({ id: back, psi: Math.PI / 2, side: 0 });
  const last = rings.length - 1;
  fan(b, back, rings[last]!, 'mouth_interior', 'mouth', () => [0, 0], (q) => uv(last, q));
  return added;
}

// ------------------------------------------------------------------------------- teeth

/** Tooth boundaries along the arch from the midline, metres of arc (incisors, canine, premolars, molar). */
const TOOTH_EDGES = [0, 0.0085, 0.015, 0.0225, 0.0295, 0.0365, 0.0465];
const SAMPLES_PER_TOOTH = 3;

/**
 * A point on a dental arch: x across, z back from the front; psi in [-pi/2, pi/2]. A U shape:
 * round in front, nearly straight along the molars.
 */
function archPoint(halfWidth: number, depth: number, frontZ: number, psi: number): Vec2 {
  return [halfWidth * Math.sin(psi), frontZ - depth * (1 - Math.cos(psi)) ** 1.3];
}

/** psi values whose arc lengths from the midline hit the tooth boundaries (and points between). */
function toothStations(halfWidth: number, depth: number): { psi: number[]; boundary: boolean[] } {
  // Tabulate arc length against psi, then invert.
  const N = 2000;
  const ps: number[] = [];
  const len: number[] = [0];
  for (let i = 0; i <= N; i++) ps.push((Math.PI / 2) * (i / N));
  for (let i = 1; i <= N; i++) {
    const a = archPoint(halfWidth, depth, 0, ps[i - 1]!);
    const b = archPoint(halfWidth, depth, 0, ps[i]!);
    len.push(len[i - 1]! + Math.hypot(b[0] - a[0], b[1] - a[1]));
  }
  const psiAt = (s: number): number => {
    let i = 1;
    while (i < N && len[i]! < s) i++;
    const t = (s - len[i - 1]!) / (len[i]! - len[i - 1]!);
    return lerp(ps[i - 1]!, ps[i]!, clamp(t, 0, 1));
  };
  const half: { psi: number; boundary: boolean }[] = [];
  for (let t = 0; t + 1 < TOOTH_EDGES.length; t++) {
    for (let k = 0; k < SAMPLES_PER_TOOTH; k++) {
      const s = lerp(TOOTH_EDGES[t]!, TOOTH_EDGES[t + 1]!, k / SAMPLES_PER_TOOTH);
      half.push({ psi: psiAt(s), boundary: k === 0 });
    }
  }
  half.push({ psi: psiAt(TOOTH_EDGES[TOOTH_EDGES.length - 1]!), boundary: true });
  const right = half.slice(1).reverse().map((h) => ({ psi: -h.psi, boundary: h.boundary }));
  const all = [...right, ...half];
  return { psi: all.map((h) => h.psi), boundary: all.map((h) => h.boundary) };
}

export interface TeethInfo {
  part: Part;
  /** Per vertex: 1 on the gum band (pink), 0 on enamel; and 1 in the gap between teeth. */
  gum: number[];
  gap: number[];
}

/**
 * Upper or lower teeth: a band along the arch whose cross-section is a closed loop (labial
 * face, biting edge, lingual face, gum top), closed at both ends. Incisors are tall and thin
 * at the edge, molars short and flat-topped. Each tooth boundary gets a small notch in the
 * biting edge, which is what makes the band read as separate teeth.
 */
export function makeTeeth(which: 'upper' | 'lower'): TeethInfo {
  const upper = which === 'upper';
  const name = upper ? 'teeth_upper' : 'teeth_lower';
  const b = new PartBuilder(name);
  const halfWidth = upper ? 0.025 : 0.0232;
  const depth = upper ? T.archDepth : T.archDepth - 0.002;
  const frontZ = upper ? T.upperFrontZ : T.upperFrontZ - T.overjet - 0.0012;
  const edgeY = upper ? M.y - 0.0022 : M.y - 0.0022 + T.overbite;
  const dir = upper ? 1 : -1; // from the biting edge towards the gum
  const { psi, boundary } = toothStations(halfWidth, depth);
  // Cross-section loop in (t, h): t outward (labial) from the arch line, h from the edge
  // towards the gum, as fractions of thickness / height; counter-clockwise seen from the
  // arch's +psi end for the upper teeth.
  const loop: readonly Vec2[] = [
    [0.5, 1.0],
    [0.5, 0.62],
    [0.42, 0.25],
    [0.2, 0.0],
    [-0.2, 0.0],
    [-0.42, 0.25],
    [-0.5, 0.62],
    [-0.5, 1.0],
  ];
  const gum: number[] = [];
  const gap: number[] = [];
  const rings: number[][] = [];
  const centres: Vec3[] = [];
  psi.forEach((ps, i) => {
    const m = Math.abs(ps) / (Math.PI / 2); // 0 incisors .. 1 molars
    const height = lerp(upper ? T.incisorHeight : T.incisorHeight - 0.0015, 0.0068, m ** 1.2);
    const thickTop = lerp(0.0066, 0.0088, m);
    const thickEdge = lerp(0.0016, 0.0072, m ** 0.8);
    const notch = boundary[i] ? 0.0009 : 0;
    const [ax, az] = archPoint(halfWidth, depth, frontZ, ps);
    // Arch tangent and outward normal in the horizontal plane.
    const [bx, bz] = archPoint(halfWidth, depth, frontZ, ps + 1e-4);
    const tl = Math.hypot(bx - ax, bz - az);
    const out: Vec2 = [(bz - az) / tl, -(bx - ax) / tl]; // tangent rotated: points labially (+z at the front)
    const ring = loop.map(([t, h]) => {
      const thick = lerp(thickEdge, thickTop, Math.min(h / 0.62, 1));
      const hh = h === 0 ? notch : h * height;
      const y = edgeY + dir * hh;
      gum.push(h >= 0.99 || (h >= 0.6 && t > 0) ? (h >= 0.99 ? 1 : 0.55) : 0);
      gap.push(boundary[i] && h < 0.7 ? 1 : 0);
      return b.vertex([ax + out[0] * t * thick, y, az + out[1] * t * thick]);
    });
    rings.push(ring);
    centres.push([ax, edgeY + dir * 0.5 * height, az]);
  });
  // Raw unwrap: u along the arch (arc length), v around the cross-section.
  const arc: number[] = [0];
  for (let i = 1; i < centres.length; i++) arc.push(arc[i - 1]! + Math.hypot(centres[i]![0] - centres[i - 1]![0], centres[i]![2] - centres[i - 1]![2]));
  const loopLen: number[] = [0];
  for (let k = 1; k <= loop.length; k++) {
    const [p, q] = [loop[k - 1]!, loop[k % loop.length]!];
    loopLen.push(loopLen[k - 1]! + Math.hypot((p[0] - q[0]) * 0.008, (p[1] - q[1]) * 0.01));
  }
  const uv = (r: number, k: number): Vec2 => [arc[r]!, loopLen[k]!];
  // Lower teeth mirror the cross-section vertically, which reverses the winding.
  ringStrips(b, rings, () => name, name, uv, upper);
  // End caps, unwrapped beside the band's ends.
  const capUv = (end: number, [t, h]: Vec2): Vec2 => {
    const u0 = end === 0 ? -0.012 : arc[arc.length - 1]! + 0.012;
    return [u0 + t * 0.008 * (end === 0 ? -1 : 1), h * 0.01];
  };
  for (const end of [0, rings.length - 1]) {
    const c = b.vertex(centres[end]!);
    gum.push(0);
    gap.push(0);
    const flip = (end === 0) !== upper;
    fan(b, c, rings[end]!, name, name, () => capUv(end, [0, 0.5]), (k) => capUv(end, loop[k % loop.length]!), flip);
  }
  return { part: b.part, gum, gap };
}

// ------------------------------------------------------------------------------ tongue

export const TONGUE = { centre: [0, M.y - 0.0115, T.upperFrontZ - 0.036] as Vec3, radii: [0.0205, 0.0085, 0.0275] as Vec3 };

/** The tongue: a flattened ellipsoid resting on the floor, tip forward behind the lower teeth. */
export function makeTongue(): Part {
  const b = new PartBuilder('tongue');
  const { centre: c, radii: r } = TONGUE;
  const point = (alpha: number, phi: number): Vec3 => {
    // Flatter on top than below: the upper half's height is scaled down towards the tip.
    const sy = Math.sin(alpha) * Math.sin(phi);
    const top = sy > 0 ? 0.8 + 0.2 * Math.sin(alpha) : 1;
    return [c[0] + r[0] * Math.sin(alpha) * Math.cos(phi), c[1] + r[1] * sy * top, c[2] + r[2] * Math.cos(alpha)];
  };
  const alphas = [0.25, 0.5, 0.8, 1.1, 1.4, 1.75, 2.1, 2.5, 2.85];
  polarSurface(b, point, alphas, 16, () => 'tongue', 'tongue', 0.012);
  return b.part;
}
