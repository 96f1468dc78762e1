// Renders the procedural head (lib/flame/procedural) with the project's rasterizer, to look
// at it: the template from the front, three-quarter, profile and back; face close-ups with
// expressions applied linearly (vTemplate + exprdirs . e); the UV layout painted with the
// vertex colours; and the procedural avatar as the demo renders it (UV-map Gaussians, baked
// lighting) in close-ups of the mouth (closed, open, wide), the face and the profile.
// Writes PNGs and contact sheets.
//
//   npx tsx scripts/render-procedural-head.ts [--seed N] [--out DIR]
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';

import { lookAt, proceduralAvatar, rasterize } from '../lib/index.js';
import { writePng } from '../lib/io/png.js';
import { makeProceduralHead } from '../lib/flame/procedural/index.js';
import { splatMesh } from '../lib/flame/procedural/splat.js';

type V3 = [number, number, number];

const args = process.argv.slice(2);
const option = (name: string, fallback: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : fallback;
};
const seed = Number(option('seed', '0'));
const out = option('out', '/tmp/procedural-head');
await mkdir(out, { recursive: true });

const head = makeProceduralHead({ seed });
const m = head.model;
const V = m.vertexCount;
console.log(
  `procedural head (seed ${seed}): V ${V}, F ${m.faces.length / 3}, S ${m.shapeCount}, E ${m.exprCount}, VT ${m.uv!.vt.length / 2}`,
);

/** vTemplate plus the named expressions' blendshapes times their coefficients. */
function expressed(coeffs: Record<string, number>): Float32Array {
  const pos = Float32Array.from(m.vTemplate);
  for (const [name, c] of Object.entries(coeffs)) {
    const k = head.expressionNames.indexOf(name);
    if (k < 0) throw new Error(`unknown expression ${name}`);
    for (let i = 0; i < V * 3; i++) pos[i] += m.exprdirs[i * m.exprCount + k]! * c;
  }
  return pos;
}

const SIZE = 512;

/** Renders positions from `eye` towards `target` (OpenCV camera, +y up in the image). */
async function render(positions: Float32Array, eye: V3, target: V3, focal: number): Promise<Float32Array> {
  // A portrait light: from the camera, raised and moved to the image's left, so shapes read.
  const d: V3 = [eye[0] - target[0], eye[1] - target[1], eye[2] - target[2]];
  const dn = Math.hypot(...d);
  const rn = Math.hypot(d[2], d[0]) || 1;
  const right: V3 = [d[2] / rn, 0, -d[0] / rn]; // up x d, image right
  const l: V3 = [d[0] / dn - 0.3 * right[0], d[1] / dn + 0.5, d[2] / dn - 0.3 * right[2]];
  const n = Math.hypot(...l);
  const s = splatMesh(positions, m.faces, head.vertexColors, { light: [l[0] / n, l[1] / n, l[2] / n], ambient: 0.38, viewpoint: eye });
  const { image } = await rasterize(
    {
      means: { data: s.means, shape: [s.count, 3] },
      quats: { data: s.quats, shape: [s.count, 4] },
      scales: { data: s.scales, shape: [s.count, 3] },
      opacities: { data: s.opacities, shape: [s.count] },
      colors: { data: s.colors, shape: [s.count, 3] },
    },
    {
      camera: { view: lookAt(eye, target, [0, 1, 0]), fx: focal, fy: focal, cx: SIZE / 2, cy: SIZE / 2, width: SIZE, height: SIZE },
      background: [0.16, 0.18, 0.21],
    },
  );
  return image.data as Float32Array;
}

/** Paints the UV layout: every face's UV triangle filled with its interpolated vertex colours. */
function paintUv(size: number): Float32Array {
  const img = new Float32Array(size * size * 3).fill(0.1);
  const { vt, ft } = m.uv!;
  for (let f = 0; f < m.faces.length / 3; f++) {
    const p = [0, 1, 2].map((k) => [vt[2 * ft[3 * f + k]!]! * size, (1 - vt[2 * ft[3 * f + k]! + 1]!) * size]) as [number, number][];
    const area = (p[1]![0] - p[0]![0]) * (p[2]![1] - p[0]![1]) - (p[2]![0] - p[0]![0]) * (p[1]![1] - p[0]![1]);
    if (area === 0) continue;
    const xs = p.map((q) => q[0]);
    const ys = p.map((q) => q[1]);
    for (let y = Math.max(0, Math.floor(Math.min(...ys))); y <= Math.min(size - 1, Math.ceil(Math.max(...ys))); y++) {
      for (let x = Math.max(0, Math.floor(Math.min(...xs))); x <= Math.min(size - 1, Math.ceil(Math.max(...xs))); x++) {
        const [px, py] = [x + 0.5, y + 0.5];
        const w0 = ((p[1]![0] - px) * (p[2]![1] - py) - (p[2]![0] - px) * (p[1]![1] - py)) / area;
        const w1 = ((p[2]![0] - px) * (p[0]![1] - py) - (p[0]![0] - px) * (p[2]![1] - py)) / area;
        const w2 = 1 - w0 - w1;
        if (w0 < 0 || w1 < 0 || w2 < 0) continue;
        for (let c = 0; c < 3; c++) {
          const col = [0, 1, 2].reduce((s, k) => s + [w0, w1, w2][k]! * head.vertexColors[3 * m.faces[3 * f + k]! + c]!, 0);
          img[(y * size + x) * 3 + c] = col;
        }
      }
    }
  }
  return img;
}

/** Lays images out in a grid (rows of `columns`). */
function sheet(images: Float32Array[], columns: number): { data: Float32Array; shape: number[] } {
  const rows = Math.ceil(images.length / columns);
  const W = SIZE * columns;
  const data = new Float32Array(SIZE * rows * W * 3);
  images.forEach((im, k) => {
    const [r, c] = [Math.floor(k / columns), k % columns];
    for (let y = 0; y < SIZE; y++) data.set(im.subarray(y * SIZE * 3, (y + 1) * SIZE * 3), ((r * SIZE + y) * W + c * SIZE) * 3);
  });
  return { data, shape: [SIZE * rows, W, 3] };
}

const R = 0.6;
const q = Math.SQRT1_2 * R;
const centre: V3 = [0, 0, 0];
const face: V3 = [0, -0.01, 0.05];
const views: { name: string; positions: Float32Array; eye: V3; target: V3; focal: number }[] = [
  { name: 'front', positions: m.vTemplate, eye: [0, 0, R], target: centre, focal: 1100 },
  { name: 'three-quarter', positions: m.vTemplate, eye: [q, 0, q], target: centre, focal: 1100 },
  { name: 'profile', positions: m.vTemplate, eye: [R, 0, 0], target: centre, focal: 1100 },
  { name: 'back', positions: m.vTemplate, eye: [0, 0, -R], target: centre, focal: 1100 },
  { name: 'face-front', positions: m.vTemplate, eye: [0, -0.01, R], target: face, focal: 2000 },
  { name: 'face-three-quarter', positions: m.vTemplate, eye: [0.33, -0.01, 0.5], target: face, focal: 2000 },
  { name: 'below', positions: m.vTemplate, eye: [0.1, -0.4, 0.45], target: face, focal: 1500 },
];
const expressions: [string, Record<string, number>][] = [
  ['smile', { smile: 1 }],
  ['lip_round', { lip_round: 1 }],
  ['blink', { blink_left: 1, blink_right: 1 }],
  ['jaw_open', { jaw_open: 1 }],
  ['lip_press', { lip_press: 1 }],
  ['brow_raise', { brow_raise: 1, eye_wide: 1 }],
];
for (const [name, coeffs] of expressions) {
  const positions = expressed(coeffs);
  views.push({ name: `expr-${name}`, positions, eye: [0, -0.01, R], target: face, focal: 2000 });
  views.push({ name: `expr-${name}-three-quarter`, positions, eye: [0.33, -0.01, 0.5], target: face, focal: 2000 });
}

const images: Float32Array[] = [];
for (const v of views) {
  const img = await render(v.positions, v.eye, v.target, v.focal);
  const file = join(out, `${v.name}.png`);
  await writePng(file, { data: img, shape: [SIZE, SIZE, 3] });
  images.push(img);
  console.log(`  ${file}`);
}
const uv = paintUv(1024);
await writePng(join(out, 'uv-layout.png'), { data: uv, shape: [1024, 1024, 3] });
console.log(`  ${join(out, 'uv-layout.png')}`);
await writePng(join(out, 'sheet-views.png'), sheet(images.slice(0, 4), 4));
await writePng(join(out, 'sheet-face.png'), sheet(images.slice(4, 7), 3));
await writePng(join(out, 'sheet-expressions.png'), sheet(images.slice(7), 4));
console.log(`  ${join(out, 'sheet-views.png')}, sheet-face.png, sheet-expressions.png`);

// The demo's view of the head: the procedural avatar (lib/avatar/procedural-avatar.ts).
const avatar = await proceduralAvatar({ seed, size: SIZE, uvSize: 256 });
const avatarShots: [string, number, V3, V3, number][] = [
  ['mouth-closed', 0, [0, -0.05, 0.6], [0, -0.05, 0], 5000],
  ['mouth-open', 0.16, [0, -0.05, 0.6], [0, -0.05, 0], 5000],
  ['mouth-wide', 0.28, [0, -0.05, 0.6], [0, -0.05, 0], 5000],
  ['lower-face', 0, [0, 0.02, 0.75], [0, -0.06, 0], 3000],
  ['face-open', 0.16, [0, 0, 0.6], [0, -0.02, 0], 1400],
  ['profile', 0, [0.75, -0.04, 0.02], [0, -0.04, 0.02], 1200],
];
const avatarImages: Float32Array[] = [];
for (const [name, jaw, eye, target, focal] of avatarShots) {
  const camera = { view: lookAt(eye, target, [0, 1, 0]), fx: focal, fy: focal, cx: SIZE / 2, cy: SIZE / 2, width: SIZE, height: SIZE };
  const r = await avatar.render({ frames: [{ expr: new Float32Array(m.exprCount), jaw: Float32Array.from([jaw, 0, 0]) }], camera });
  const file = join(out, `avatar-${name}.png`);
  await writePng(file, r.frames.pick(0, null, null, null));
  avatarImages.push(r.frames.data.slice(0, SIZE * SIZE * 3));
  console.log(`  ${file}`);
}
await writePng(join(out, 'sheet-avatar.png'), sheet(avatarImages, 3));
console.log(`  ${join(out, 'sheet-avatar.png')}`);
