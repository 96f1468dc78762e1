// How the demo's head looks, judged on rendered images of the procedural avatar (what
// `ggtalker demo` renders: lib/avatar/procedural-avatar.ts through Avatar.render), with the
// places to look at found by projecting the posed FLAME mesh's vertices, not hard-coded:
// - an open mouth shows a dark cavity between separate upper and lower teeth; closed, the lips meet;
// - below the lower lip there is one dark-to-light transition down to the chin (no ghost contour);
// - the jaw line reads: the chin stands in front of the neck in profile with a clear angle under
//   the jaw, and from the front the neck under the chin is in the jaw's shadow.
// Luminance is Rec. 601 (0.299 R + 0.587 G + 0.114 B) of colours in [0, 1].
import { beforeAll, describe, expect, it } from 'vitest';

import { Flame, lookAt, proceduralAvatar, type Avatar } from '../lib/index.js';
import { makeProceduralHead, REGION_NAMES } from '../lib/flame/procedural/index.js';
import { SPEC } from '../lib/flame/procedural/spec.js';
import { writePng } from '../lib/io/png.js';

const S = 256;
const head = makeProceduralHead({ seed: 0 });
const flame = Flame.from(head.model);
const E = head.model.exprCount;
const V = head.model.vertexCount;
let avatar: Avatar;

beforeAll(async () => {
  avatar = await proceduralAvatar({ size: S, uvSize: 256 }); // as the demo makes it
});

type Vec3 = [number, number, number];
interface Shot {
  view: number[];
  f: number;
  /** Mean-free image: [H, W, 3] colours and [H, W] alphas. */
  lum: (x: number, y: number) => number;
  alpha: (x: number, y: number) => number;
  project: (p: Vec3) => [number, number];
  vertices: Float32Array;
}

/** Set GGT_LOOK_DIR to keep the test's renders as PNGs (to look at what is measured). */
const LOOK_DIR = process.env.GGT_LOOK_DIR;
let shots = 0;

async function shot(eye: Vec3, target: Vec3, f: number, jaw = 0): Promise<Shot> {
  const view = lookAt(eye, target, [0, 1, 0]);
  const camera = { view, fx: f, fy: f, cx: S / 2, cy: S / 2, width: S, height: S };
  const jawPose = Float32Array.from([jaw, 0, 0]);
  const [r, posed] = await Promise.all([avatar.render({ frames: [{ expr: new Float32Array(E), jaw: jawPose }], camera }), flame.forward({ jaw: { data: jawPose, shape: [3] } })]);
  const img = r.frames;
  if (LOOK_DIR) await writePng(`${LOOK_DIR}/look-${shots++}.png`, img.pick(0, null, null, null));
  return {
    view,
    f,
    lum: (x, y) => 0.299 * img.get(0, y, x, 0) + 0.587 * img.get(0, y, x, 1) + 0.114 * img.get(0, y, x, 2),
    alpha: (x, y) => r.alphas.get(0, y, x),
    project: (p) => {
      const c = [0, 1, 2].map((i) => view[4 * i]! * p[0] + view[4 * i + 1]! * p[1] + view[4 * i + 2]! * p[2] + view[4 * i + 3]!);
      return [(f * c[0]!) / c[2]! + S / 2, (f * c[1]!) / c[2]! + S / 2];
    },
    vertices: posed.vertices.data.subarray(0, V * 3),
  };
}

/** Vertices of the faces of a region. */
function regionVertices(name: (typeof REGION_NAMES)[number]): number[] {
  const id = REGION_NAMES.indexOf(name);
  const out = new Set<number>();
  head.regions.face.forEach((r, f) => {
    if (r === id) for (let k = 0; k < 3; k++) out.add(head.model.faces[3 * f + k]!);
  });
  return [...out];
}

const at = (v: Float32Array, i: number): Vec3 => [v[3 * i]!, v[3 * i + 1]!, v[3 * i + 2]!];
const mean = (a: number[]): number => a.reduce((x, y) => x + y, 0) / a.length;

/** Mean luminance over rows [y0, y1] and columns [x0, x1] (inclusive, whole pixels). */
function boxLum(s: Shot, x0: number, x1: number, y0: number, y1: number): number {
  const v: number[] = [];
  for (let y = Math.round(y0); y <= Math.round(y1); y++) for (let x = Math.round(x0); x <= Math.round(x1); x++) v.push(s.lum(x, y));
  return mean(v);
}

// A close-up of the mouth, level with it: 0.25 mm per pixel at the lips.
const MOUTH_EYE: Vec3 = [0, SPEC.mouth.y, 0.6];
const MOUTH_TARGET: Vec3 = [0, SPEC.mouth.y, 0];
const MOUTH_F = 2000;

describe('the demo head', () => {
  it('shows a dark cavity between separate upper and lower teeth when the jaw opens', async () => {
    // 0.16 rad: the open-vowel jaw of the ground-truth articulation (lib/synthetic/visemes.ts).
    const s = await shot(MOUTH_EYE, MOUTH_TARGET, MOUTH_F, 0.16);
    const near = (ids: number[]): number[] => ids.filter((i) => Math.abs(s.vertices[3 * i]!) < 0.003);
    // The biting edges at the midline: the upper teeth's lowest point, the lower teeth's highest.
    const upperEdge = Math.min(...near(regionVertices('teeth_upper')).map((i) => s.vertices[3 * i + 1]!));
    const lowerEdge = Math.max(...near(regionVertices('teeth_lower')).map((i) => s.vertices[3 * i + 1]!));
    const front = Math.max(...near(regionVertices('teeth_upper')).map((i) => s.vertices[3 * i + 2]!));
    const rU = s.project([0, upperEdge, front])[1];
    const rL = s.project([0, lowerEdge, front])[1];
    // Mouth corners (the lips' loop at its widest) bound the columns looked at.
    const lips = [...regionVertices('lip_upper'), ...regionVertices('lip_lower')].map((i) => s.project(at(s.vertices, i))[0]);
    const width = Math.max(...lips) - Math.min(...lips);
    const [c0, c1] = [S / 2 - 0.15 * width, S / 2 + 0.15 * width];
    expect(rL - rU).toBeGreaterThan(20); // a 5 mm+ gap between the teeth rows at 0.25 mm/px
    // Row means across the centre of the mouth, from the upper teeth's edge to the lower's.
    const rows: number[] = [];
    // (3 px = 0.9 mm in from each edge: the Gaussians' blur of the enamel.)
    for (let y = Math.round(rU + 3); y <= Math.round(rL - 3); y++) rows.push(boxLum(s, c0, c1, y, y));
    const band = Math.min(...rows);
    const interior = mean(rows);
    const upperTeeth = boxLum(s, c0, c1, rU - 5, rU - 2);
    let lowerTeeth = 0;
    for (let y = Math.round(rU + 0.5 * (rL - rU)); y < rL + 6; y++) lowerTeeth = Math.max(lowerTeeth, boxLum(s, c0, c1, y, y + 2));
    console.log(`open mouth: teeth edges at rows ${rU.toFixed(1)} / ${rL.toFixed(1)}; between them mean ${interior.toFixed(3)}, darkest row ${band.toFixed(3)}; upper teeth ${upperTeeth.toFixed(3)}, lower ${lowerTeeth.toFixed(3)}`);
    // A dark interior (before: a light band of teeth and tongue) ...
    expect(interior).toBeLessThan(0.25);
    // ... with a near-black band between the rows of teeth, which stand out of it.
    expect(band).toBeLessThan(0.08);
    expect(upperTeeth).toBeGreaterThan(0.4);
    expect(lowerTeeth).toBeGreaterThan(0.3);
  });

  it('closes the lips over the teeth when the jaw is closed', async () => {
    const s = await shot(MOUTH_EYE, MOUTH_TARGET, MOUTH_F, 0);
    // The lips' two edges (the slit's copies) coincide at rest: the lips meet.
    const edge = (name: 'lip_upper' | 'lip_lower'): Map<string, number> => {
      const m = new Map<string, number>();
      for (const i of regionVertices(name)) {
        const key = `${Math.round(s.vertices[3 * i]! * 1e5)}`;
        if (Math.abs(s.vertices[3 * i + 1]! - SPEC.mouth.y) < 0.0005) m.set(key, i);
      }
      return m;
    };
    const lower = edge('lip_lower');
    let pairs = 0;
    for (const [key, i] of edge('lip_upper')) {
      const j = lower.get(key);
      if (j === undefined) continue;
      pairs++;
      expect(Math.hypot(...[0, 1, 2].map((a) => s.vertices[3 * i + a]! - s.vertices[3 * j + a]!))).toBeLessThan(1e-4);
    }
    expect(pairs).toBeGreaterThan(5);
    // In the image, only the mouth line is dark between them: at most 1 mm of rows (3 px at
    // 0.3 mm/px) darker than 0.25 across the mouth's centre, where the open mouth has 7 mm.
    const contact = s.project([0, SPEC.mouth.y, 0.09])[1];
    let dark = 0;
    for (let y = Math.round(contact - 10); y <= contact + 10; y++) if (boxLum(s, S / 2 - 20, S / 2 + 20, y, y) < 0.25) dark++;
    expect(dark).toBeLessThanOrEqual(3);
  });

  it('has one dark-to-light transition below the lower lip (no second contour)', async () => {
    // From the demo camera's place (a little above the face), zoomed to 0.25 mm per pixel on
    // the lower lip and the chin.
    const s = await shot([0, 0.02, 0.75], [0, SPEC.mouth.y - 0.012, 0], 3000, 0);
    const mid = (ids: number[]): number[] => ids.filter((i) => Math.abs(s.vertices[3 * i]!) < 0.002);
    // From the lower lip's most prominent point down over the labiomental fold, to the chin's
    // upper slope (8 mm below the fold; lower down the chin turns away from the light).
    const lipTop = mid(regionVertices('lip_lower')).reduce((a, b) => (s.vertices[3 * b + 2]! > s.vertices[3 * a + 2]! ? b : a));
    const chin = mid(regionVertices('skin'))
      .filter((i) => Math.abs(s.vertices[3 * i + 1]! - (SPEC.mouth.foldY - 0.008)) < 0.003)
      .reduce((a, b) => (s.vertices[3 * b + 2]! > s.vertices[3 * a + 2]! ? b : a));
    const r0 = Math.round(s.project(at(s.vertices, lipTop))[1]);
    const r1 = Math.round(s.project(at(s.vertices, chin))[1]);
    expect(r1 - r0).toBeGreaterThan(50);
    const profile: number[] = [];
    for (let y = r0; y <= r1; y++) profile.push(boxLum(s, S / 2 - 3, S / 2 + 3, y, y));
    // After the darkest row (the shadow under the lip), the skin only gets lighter towards the
    // chin: the largest dip below the running maximum stays under 0.01 (the head before the
    // fix had a 0.029 dip, a dark ghost line 7 mm under the lip).
    const k = profile.indexOf(Math.min(...profile));
    let peak = -Infinity;
    let dip = 0;
    for (let i = k; i < profile.length; i++) {
      peak = Math.max(peak, profile[i]!);
      dip = Math.max(dip, peak - profile[i]!);
    }
    if (LOOK_DIR) console.log(profile.map((x) => x.toFixed(3)).join(" "));
    if (LOOK_DIR) console.log("alpha", Array.from({ length: r1 - r0 + 1 }, (_, k) => s.alpha(S / 2, r0 + k).toFixed(3)).join(" "));
    console.log(`lower lip to chin: ${profile.length} rows, darkest at +${k}, largest dip after it ${dip.toFixed(4)}`);
    expect(dip).toBeLessThan(0.01);
    // And the transition is real: the chin is clearly lighter than the shadow.
    expect(profile[profile.length - 1]! - profile[k]!).toBeGreaterThan(0.1);
  });

  it('draws a jaw line: the chin stands in front of the neck with an angle under the jaw', async () => {
    // Profile (yaw 90°): the camera on +x; image columns run along -z (the face to the left).
    const [yc, zc] = [-0.08, 0.03];
    const s = await shot([0.6, yc, zc], [0, yc, zc], 800, 0);
    const mmPerPx = 600 / 800; // at the midline plane, where the profile's silhouette is
    const frontZ = (row: number): number => {
      for (let x = 0; x < S; x++) if (s.alpha(x, row) > 0.5) return (-(x + 0.5 - S / 2) * mmPerPx) / 1000 + zc;
      return NaN;
    };
    const rowOf = (y: number): number => Math.round(S / 2 - ((y - yc) * 1000) / mmPerPx - 0.5);
    const yOf = (row: number): number => yc - ((row + 0.5 - S / 2) * mmPerPx) / 1000;
    let chinRow = rowOf(-0.07);
    for (let r = rowOf(-0.07); r <= rowOf(-0.1); r++) if (frontZ(r) > frontZ(chinRow)) chinRow = r;
    const neckRow = rowOf(SPEC.jawLineY - 0.025); // the neck's cut is 33 mm below the menton
    const protrusion = (frontZ(chinRow) - frontZ(neckRow)) * 1000;
    // The throat: the first row below the chin within 3 mm of the neck's front.
    let throatRow = chinRow;
    while (frontZ(throatRow) - frontZ(neckRow) > 0.003) throatRow++;
    const a: [number, number] = [frontZ(chinRow) - frontZ(throatRow), yOf(chinRow) - yOf(throatRow)];
    const b: [number, number] = [frontZ(neckRow) - frontZ(throatRow), yOf(neckRow) - yOf(throatRow)];
    const angle = (Math.acos((a[0] * b[0] + a[1] * b[1]) / (Math.hypot(...a) * Math.hypot(...b))) * 180) / Math.PI;
    console.log(`profile: chin ${protrusion.toFixed(1)} mm in front of the neck, angle at the throat ${angle.toFixed(0)}°`);
    expect(protrusion).toBeGreaterThan(30);
    // A straight slope from chin to neck would be ~180°; a person's is around 90-120°.
    expect(angle).toBeLessThan(135);
  });

  it('shades the neck under the jaw: the jaw line reads from the front', async () => {
    // The demo's own camera (procedural-avatar.ts).
    const s = await shot([0, 0.02, 0.75], [0, 0.01, 0], S * (1100 / 512), 0);
    const mid = regionVertices('skin').filter((i) => Math.abs(s.vertices[3 * i]!) < 0.003);
    const chin = mid.filter((i) => Math.abs(s.vertices[3 * i + 1]! - SPEC.chin.y) < 0.004).reduce((a, b) => (s.vertices[3 * b + 2]! > s.vertices[3 * a + 2]! ? b : a));
    const neck = regionVertices('neck').filter((i) => Math.abs(s.vertices[3 * i]!) < 0.004 && s.vertices[3 * i + 2]! > 0);
    const under = neck.filter((i) => Math.abs(s.vertices[3 * i + 1]! - (SPEC.jawLineY - 0.02)) < 0.005);
    const [cx, cy] = s.project(at(s.vertices, chin));
    const [nx, ny] = s.project(mean(under.map((i) => s.vertices[3 * i + 1]!)) ? [0, mean(under.map((i) => s.vertices[3 * i + 1]!)), mean(under.map((i) => s.vertices[3 * i + 2]!))] : [0, 0, 0]);
    const chinLum = boxLum(s, cx - 3, cx + 3, cy - 2, cy + 2);
    const neckLum = boxLum(s, nx - 3, nx + 3, ny - 2, ny + 2);
    console.log(`front: chin luminance ${chinLum.toFixed(3)}, neck under the jaw ${neckLum.toFixed(3)} (ratio ${(neckLum / chinLum).toFixed(2)})`);
    expect(neckLum / chinLum).toBeLessThan(0.8);
  });
});
