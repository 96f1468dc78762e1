/**
 * The head-and-face shell: one connected surface from the crown to the neck's cut, laid out
 * as a grid of meridian columns (azimuth around a vertical axis) and rows (from the crown
 * down), with a pole vertex at the crown. Columns and rows are placed so that features fall
 * on grid lines: the eye corners and mouth corners are column lines, the eye fissures and the
 * lips' contact line are row lines. Those three row segments are slits (their vertices are
 * duplicated), which is what opens the eyes and lets the mouth open.
 *
 * Positions: a vertex's row gives a target height (on the face) or an arc position (on the
 * back), its column a meridian of the blank; the blank point is pushed out by the features'
 * height field, and around the eyes the skin is laid over the eyeball. Lid states (blinks)
 * only change the rows' target heights, so they re-use all of it.
 *
 * @module
 */

import { AXIS_Z, blankNormal, meridianArcAtY, meridianAt, meridianPoint, sectionAt, traceMeridian, type Meridian } from './blank.js';
import { applyEyeSocket, lidRowOffset, lidThickness, LIDS_AT_REST, type LidState } from './eyelids.js';
import { featureHeight } from './features.js';
import { interpLinear, monotoneSpline, normalize, smoothstep, type Vec3 } from './math.js';
import { eyeCentre, SPEC } from './spec.js';

/** Columns around the head (even; column 0 is the face's midline, NU / 2 the back's). */
const NU = 88;
const HALF = NU / 2;

/**
 * The face band's key rows and their target heights on the face (the rows between are
 * splined; the counts between knots set the mesh's vertical resolution: finest around the
 * eyes and the lips). Above the band, rows are spread evenly up to the crown; below it, down
 * the neck to its cut.
 */
const KNOTS = {
  top: { row: 7, y: 0.07 },
  brow: { row: 13, y: 0.042 },
  eye: { row: 21, y: SPEC.eye.centre[1] }, // the eye fissures' slit
  nose: { row: 28, y: -0.01 },
  subnasale: { row: 33, y: SPEC.nose.subnasaleY },
  mouth: { row: 40, y: SPEC.mouth.y }, // the lips' contact line: a slit
  fold: { row: 45, y: SPEC.mouth.foldY },
  chin: { row: 49, y: SPEC.chin.y },
  jaw: { row: 52, y: SPEC.jawLineY },
} as const;
const BAND_KNOTS = Object.values(KNOTS);
/** First and last rows of the face band (upper forehead to the jaw line). */
export const BAND_TOP = KNOTS.top.row;
export const JAW_ROW = KNOTS.jaw.row;
export const EYE_ROW = KNOTS.eye.row;
export const MOUTH_ROW = KNOTS.mouth.row;
/** Last row: the neck's cut. */
const NV = 61;

/** Signed key columns on the left side (+x); the right side mirrors them. */
const KEY_COLUMNS = { eyeMedial: 6, mouthCorner: 7, eyeLateral: 14, side: 28 } as const;

export type SlitKind = 'eye_left' | 'eye_right' | 'mouth';

/** One shell vertex: its grid place and, on a slit, which copy it is. */
export interface ShellVertex {
  /** Signed column, -HALF < c <= HALF; 0 is the face's midline, > 0 the head's left. */
  c: number;
  /** Row, 0 = the crown's pole, NV = the neck's cut. */
  j: number;
  /** On a slit: +1 the upper copy, -1 the lower copy; otherwise 0. */
  side: 0 | 1 | -1;
}

export interface ShellLayout {
  columns: number;
  rows: number;
  /** Azimuth per signed column, indexed c + HALF - 1 (see {@link ShellLayout.theta}). */
  theta: (c: number) => number;
  meridian: (c: number) => Meridian;
  /** Signed column ranges [first, last] of the slits (ends are the corners, not duplicated). */
  slits: Record<SlitKind, { row: number; first: number; last: number }>;
}

export interface Shell {
  layout: ShellLayout;
  vertices: ShellVertex[];
  /** Triangles, local vertex ids, counter-clockwise seen from outside. */
  faces: [number, number, number][];
  /** Grid cell (column c to c + 1, row j to j + 1) each face belongs to. */
  faceCells: { c: number; j: number }[];
}

// ------------------------------------------------------------------------------ layout

/** Azimuth of the blank's front point at (x, y): where a key column has to run. */
function frontAzimuth(x: number, y: number): number {
  const s = sectionAt(y);
  const z = s.zc + s.f * Math.max(1 - Math.abs(x / s.a) ** s.nf, 0) ** (1 / s.nf);
  return Math.atan2(x, z - AXIS_Z);
}

function makeLayout(): ShellLayout {
  const E = SPEC.eye;
  const K = KEY_COLUMNS;
  const keys = [
    [0, 0],
    [K.eyeMedial, frontAzimuth(E.centre[0] + E.cornerMedial, E.centre[1])],
    [K.mouthCorner, frontAzimuth(SPEC.mouth.cornerX, SPEC.mouth.y)],
    [K.eyeLateral, frontAzimuth(E.centre[0] + E.cornerLateral, E.centre[1])],
    [K.side, Math.PI / 2],
    [HALF, Math.PI],
  ];
  for (let i = 1; i < keys.length; i++) {
    if (!(keys[i]![1]! > keys[i - 1]![1]!)) throw new Error(`procedural head: key columns out of order at column ${keys[i]![0]}`);
  }
  const spline = monotoneSpline(keys.map((k) => k[0]!), keys.map((k) => k[1]!));
  const thetas = new Float64Array(NU);
  const meridians: Meridian[] = [];
  for (let i = 0; i < NU; i++) {
    const c = i - HALF + 1; // -HALF + 1 .. HALF
    thetas[i] = Math.sign(c) * spline(Math.abs(c));
    meridians.push(traceMeridian(thetas[i]!, SPEC.neckCutY));
  }
  const index = (c: number): number => c + HALF - 1;
  return {
    columns: NU,
    rows: NV,
    theta: (c) => thetas[index(c)]!,
    meridian: (c) => meridians[index(c)]!,
    slits: {
      eye_left: { row: EYE_ROW, first: K.eyeMedial, last: K.eyeLateral },
      eye_right: { row: EYE_ROW, first: -K.eyeLateral, last: -K.eyeMedial },
      mouth: { row: MOUTH_ROW, first: -K.mouthCorner, last: K.mouthCorner },
    },
  };
}

// ---------------------------------------------------------------------------- topology

/** Which slit (if any) duplicates the vertex at (c, j). */
function slitAt(layout: ShellLayout, c: number, j: number): SlitKind | undefined {
  for (const [kind, s] of Object.entries(layout.slits) as [SlitKind, ShellLayout['slits'][SlitKind]][]) {
    if (j === s.row && c > s.first && c < s.last) return kind;
  }
  return undefined;
}

/** Next signed column around the head (wrapping HALF -> -HALF + 1). */
const nextColumn = (c: number): number => (c === HALF ? -HALF + 1 : c + 1);

function makeTopology(layout: ShellLayout): Omit<Shell, 'layout'> {
  const vertices: ShellVertex[] = [{ c: 0, j: 0, side: 0 }];
  const ids = new Map<string, number>();
  const key = (c: number, j: number, side: number): string => `${c},${j},${side}`;
  for (let j = 1; j <= NV; j++) {
    for (let c = -HALF + 1; c <= HALF; c++) {
      const sides: (0 | 1 | -1)[] = slitAt(layout, c, j) ? [1, -1] : [0];
      for (const side of sides) {
        ids.set(key(c, j, side), vertices.length);
        vertices.push({ c, j, side });
      }
    }
  }
  // A vertex as used by a cell above its row (cellAbove: the upper copy on a slit) or below it.
  const id = (c: number, j: number, cellAbove: boolean): number => {
    if (j === 0) return 0;
    const side = slitAt(layout, c, j) ? (cellAbove ? 1 : -1) : 0;
    return ids.get(key(c, j, side))!;
  };
  const faces: [number, number, number][] = [];
  const faceCells: { c: number; j: number }[] = [];
  for (let c = -HALF + 1; c <= HALF; c++) {
    const c1 = nextColumn(c);
    // Crown fan (its edge on row 1 runs opposite to the quad below it).
    faces.push([0, id(c, 1, true), id(c1, 1, true)]);
    faceCells.push({ c, j: 0 });
    for (let j = 1; j < NV; j++) {
      const a = id(c, j, false); // top-left (seen from outside: columns grow to the right)
      const b = id(c1, j, false); // top-right
      const d = id(c, j + 1, true); // bottom-left
      const e = id(c1, j + 1, true); // bottom-right
      // Mirror the diagonal across the midline so the topology is left-right symmetric.
      if (c >= 0) faces.push([a, d, e], [a, e, b]);
      else faces.push([a, d, b], [b, d, e]);
      faceCells.push({ c, j }, { c, j });
    }
  }
  return { vertices, faces, faceCells };
}

let cached: Shell | undefined;

/** The shell's layout and topology (computed once; they do not depend on the identity). */
export function shellTopology(): Shell {
  if (!cached) {
    const layout = makeLayout();
    cached = { layout, ...makeTopology(layout) };
  }
  return cached;
}

// --------------------------------------------------------------------------- positions

/** Rest target height of a face-band row at azimuth theta (the band's bottom follows the jaw line). */
const bandSpline = monotoneSpline(BAND_KNOTS.map((k) => k.row), BAND_KNOTS.map((k) => k.y));

/** Jaw line heights: the menton in front, the jaw's angle at the sides, the nape behind. */
const JAW_LINE = { front: SPEC.jawLineY, side: -0.075, back: -0.09 };

/** The jaw line's height around the head: a cosine series through the front, side and back heights. */
function jawLineY(theta: number): number {
  const { front, side, back } = JAW_LINE;
  return (front + 2 * side + back) / 4 + ((front - back) / 2) * Math.cos(theta) + ((front - 2 * side + back) / 4) * Math.cos(2 * theta);
}

function rowTargetY(j: number, theta: number): number {
  const y = bandSpline(j);
  const my = SPEC.mouth.y;
  if (y >= my) return y;
  return my + ((y - my) * (jawLineY(theta) - my)) / (SPEC.jawLineY - my);
}

/** 1 where rows follow target heights (the face), 0 where they follow arc length (the back). */
const faceWeight = (theta: number): number => smoothstep(1.35, 0.75, Math.abs(theta));

/** Lid offsets of a vertex: its height change and the skin thickness over the eyeball. */
function lidEffect(layout: ShellLayout, v: ShellVertex, lids: { left: LidState; right: LidState }): { dy: number; eye?: { side: 1 | -1; k: number; u: number } } {
  for (const eyeSide of [1, -1] as const) {
    const slit = layout.slits[eyeSide > 0 ? 'eye_left' : 'eye_right'];
    if (v.c < slit.first || v.c > slit.last) continue;
    const t0 = layout.theta(slit.first);
    const t1 = layout.theta(slit.last);
    // u runs medial (0) to lateral (1) on both sides.
    const uRaw = (layout.theta(v.c) - t0) / (t1 - t0);
    const u = eyeSide > 0 ? uRaw : 1 - uRaw;
    const rowSide: 1 | -1 = v.j < slit.row || (v.j === slit.row && v.side > 0) ? 1 : -1;
    const k = Math.abs(v.j - slit.row);
    const state = eyeSide > 0 ? lids.left : lids.right;
    return { dy: lidRowOffset(u, k, rowSide, state), eye: { side: eyeSide, k, u } };
  }
  return { dy: 0 };
}

/** Arc position (along the column's meridian) of a vertex, with a target-height offset dy. */
function arcPosition(layout: ShellLayout, c: number, j: number, dy: number): number {
  const theta = layout.theta(c);
  const m = layout.meridian(c);
  const sTop = meridianArcAtY(m, bandSpline(BAND_TOP));
  const sJaw = meridianArcAtY(m, jawLineY(theta));
  const sEnd = m.s[m.s.length - 1]!;
  if (j <= BAND_TOP) return (sTop * j) / BAND_TOP;
  if (j >= JAW_ROW) return sJaw + (sEnd - sJaw) * ((j - JAW_ROW) / (NV - JAW_ROW)) ** 1.15;
  const w = faceWeight(theta);
  const sProp = sTop + ((sJaw - sTop) * (j - BAND_TOP)) / (JAW_ROW - BAND_TOP);
  const sFace = w > 0 ? meridianArcAtY(m, rowTargetY(j, theta) + dy) : sProp;
  return sProp + (sFace - sProp) * w;
}

/** Shell positions [V, 3] and chart coordinates (azimuth, fractional row) for a lid state. */
export function shellPositions(
  shell: Shell,
  lids: { left: LidState; right: LidState } = { left: LIDS_AT_REST, right: LIDS_AT_REST },
): { positions: Float64Array; chart: Float64Array } {
  const { layout, vertices } = shell;
  const positions = new Float64Array(vertices.length * 3);
  const chart = new Float64Array(vertices.length * 2);
  vertices.forEach((v, i) => {
    const theta = layout.theta(v.c);
    const m = layout.meridian(v.c);
    const lid = lidEffect(layout, v, lids);
    const s = v.j === 0 ? 0 : arcPosition(layout, v.c, v.j, lid.dy);
    const [d, y] = meridianAt(m, s);
    const p0 = meridianPoint(theta, d, y);
    const n = blankNormal(p0);
    // Face features push horizontally (so rows keep their heights: the slits stay on their
    // lines), the rest along the normal.
    const h = featureHeight(p0, n);
    const nh = normalize([n[0], 0, n[2]]);
    let p: Vec3 = [p0[0] + nh[0] * h.face + n[0] * h.normal, p0[1] + n[1] * h.normal, p0[2] + nh[2] * h.face + n[2] * h.normal];
    for (const eyeSide of [1, -1] as const) {
      const centre = eyeCentre(eyeSide);
      if (Math.abs(p[0] - centre[0]) > 0.04 || Math.abs(p[1] - centre[1]) > 0.04 || p[2] < 0.02) continue;
      const thickness = lid.eye?.side === eyeSide ? lidThickness(lid.eye.k, lid.eye.u) : SPEC.eye.lidThickness;
      p = applyEyeSocket(p, centre, eyeSide, thickness);
    }
    positions.set(p, 3 * i);
    chart[2 * i] = theta;
    chart[2 * i + 1] = lid.dy === 0 ? v.j : fractionalRow(theta, v.j, lid.dy);
  });
  return { positions, chart };
}

/** The fractional row whose rest target height equals row j's target plus dy (face band only). */
function fractionalRow(theta: number, j: number, dy: number): number {
  const rows: number[] = [];
  const ys: number[] = [];
  for (let r = BAND_TOP; r <= JAW_ROW; r++) {
    rows.unshift(r);
    ys.unshift(rowTargetY(r, theta)); // ascending heights for interpolation
  }
  return interpLinear(ys, rows, rowTargetY(j, theta) + dy);
}
