/**
 * The studio's room, drawn per seed, rendered as meshes by the same camera as the subject (so
 * every view sees it in perspective): walls on every side (tiles, wallpaper stripes or plaster
 * with panels), a wooden floor, a ceiling, a shelf of books and a framed picture on the back
 * wall. Coverage label 3 (background). Everything is in world space; the subject stands at the
 * origin, the front camera at +z.
 *
 * @module
 */

import { clamp, Random, type Vec3 } from '../../flame/procedural/math.js';
import type { Texture } from './albedo.js';

/** A background mesh: world positions [V, 3], faces [F, 3] (CCW from the room's inside), UVs [F, 3, 2], texture index within {@link Room.textures}. */
export interface RoomMesh {
  positions: Float32Array;
  faces: Uint32Array;
  uvs: Float32Array;
  texture: number;
  specular: number;
}

export interface Room {
  meshes: RoomMesh[];
  textures: Texture[];
}

/** The room's extent: x ±HALF_X, floor and ceiling heights, back and front wall z. */
const HALF_X = 2;
const FLOOR = -1.5;
const CEILING = 2;
const BACK = -1.3;
const FRONT = 2.6;

/** A mesh builder: quads subdivided (so the renderer's clipping and texture interpolation see small triangles) and boxes. */
class Builder {
  positions: number[] = [];
  faces: number[] = [];
  uvs: number[] = [];
  /** A parallelogram from corner o along edges e1, e2 (CCW seen from where e1 × e2 points), n × n cells, UV rect [u0, v0, u1, v1]. */
  quad(o: Vec3, e1: Vec3, e2: Vec3, uv: [number, number, number, number], n = 6): void {
    const base = this.positions.length / 3;
    for (let j = 0; j <= n; j++) {
      for (let i = 0; i <= n; i++) {
        const s = i / n;
        const t = j / n;
        this.positions.push(o[0] + s * e1[0] + t * e2[0], o[1] + s * e1[1] + t * e2[1], o[2] + s * e1[2] + t * e2[2]);
      }
    }
    const uvAt = (i: number, j: number): [number, number] => [uv[0] + ((uv[2] - uv[0]) * i) / n, uv[1] + ((uv[3] - uv[1]) * j) / n];
    for (let j = 0; j < n; j++) {
      for (let i = 0; i < n; i++) {
        const a = base + j * (n + 1) + i;
        const corners: [number, number, number][] = [
          [a, i, j],
          [a + 1, i + 1, j],
          [a + n + 2, i + 1, j + 1],
          [a, i, j],
          [a + n + 2, i + 1, j + 1],
          [a + n + 1, i, j + 1],
        ];
        for (const [v, ci, cj] of corners) {
          this.faces.push(v);
          this.uvs.push(...uvAt(ci, cj));
        }
      }
    }
  }
  /** An axis-aligned box from min to max, faces outward, every face with one UV rect. */
  box(min: Vec3, max: Vec3, uv: [number, number, number, number]): void {
    const [x0, y0, z0] = min;
    const [x1, y1, z1] = max;
    const dx = x1 - x0;
    const dy = y1 - y0;
    const dz = z1 - z0;
    this.quad([x0, y0, z1], [dx, 0, 0], [0, dy, 0], uv, 1); // front (+z)
    this.quad([x1, y0, z0], [-dx, 0, 0], [0, dy, 0], uv, 1); // back (−z)
    this.quad([x1, y0, z1], [0, 0, -dz], [0, dy, 0], uv, 1); // +x
    this.quad([x0, y0, z0], [0, 0, dz], [0, dy, 0], uv, 1); // −x
    this.quad([x0, y1, z1], [dx, 0, 0], [0, 0, -dz], uv, 1); // top
    this.quad([x0, y0, z0], [dx, 0, 0], [0, 0, dz], uv, 1); // bottom
  }
  build(texture: number, specular = 0.02): RoomMesh {
    return { positions: Float32Array.from(this.positions), faces: Uint32Array.from(this.faces), uvs: Float32Array.from(this.uvs), texture, specular };
  }
}

const hashUnit = (a: number, b: number, salt: number): number => {
  let h = Math.imul(a, 0x27d4eb2d) ^ Math.imul(b, 0x165667b1) ^ Math.imul(salt, 0x9e3779b1);
  h = Math.imul(h ^ (h >>> 15), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return ((h ^ (h >>> 16)) >>> 0) / 4294967296;
};

function colour(rng: Random, light: [number, number], sat: [number, number]): Vec3 {
  const hue = 2 * Math.PI * rng.uniform();
  const l = rng.range(...light);
  const s = rng.range(...sat);
  return [0, 1, 2].map((k) => clamp(l * (1 + s * Math.cos(hue - (2 * Math.PI * k) / 3)), 0, 1)) as Vec3;
}

/**
 * A texture of `size`² texels covering `metres` of surface: `shade(mx, my, x, y)` gives texel
 * (x, y)'s colour from its centre's position in metres; clamped to [0, 1].
 */
function paintTexture(size: number, metres: [number, number], shade: (mx: number, my: number, x: number, y: number) => Vec3): Texture {
  const data = new Float32Array(size * size * 3);
  for (let y = 0; y < size; y++) {
    const my = ((y + 0.5) / size) * metres[1];
    for (let x = 0; x < size; x++) {
      const c = shade(((x + 0.5) / size) * metres[0], my, x, y);
      for (let k = 0; k < 3; k++) data[3 * (y * size + x) + k] = clamp(c[k]!, 0, 1);
    }
  }
  return { data, width: size, height: size };
}

/** A wall texture: tiles with grout, wallpaper stripes with a motif, or plaster with panel mouldings. Covers `metres` of wall per texture. */
function wallTexture(rng: Random, size: number, metres: [number, number]): Texture {
  const kind = Math.floor(rng.uniform() * 3);
  const a = colour(rng, [0.35, 0.85], [0.05, 0.4]);
  const b = colour(rng, [0.2, 0.8], [0.05, 0.5]);
  const tile = rng.range(0.1, 0.3);
  const salt = Math.floor(rng.uniform() * 1e9);
  return paintTexture(size, metres, (mx, my, x, y) => {
    let c: Vec3 = a;
    let s = 1 + 0.04 * (2 * hashUnit(x, y, salt) - 1);
    if (kind === 0) {
      // Tiles: grout lines, each tile its own shade.
      const fx = mx / tile - Math.floor(mx / tile);
      const fy = my / tile - Math.floor(my / tile);
      const grout = Math.min(fx, 1 - fx, fy, 1 - fy) * tile < 0.004;
      s *= grout ? 0.55 : 1 + 0.08 * (2 * hashUnit(Math.floor(mx / tile), Math.floor(my / tile), salt + 1) - 1);
    } else if (kind === 1) {
      // Wallpaper: stripes with a dotted motif.
      const stripe = Math.sin((2 * Math.PI * mx) / tile) > 0.2;
      c = stripe ? b : a;
      const dx = (mx % (tile / 2)) - tile / 4;
      const dy = (my % (tile / 2)) - tile / 4;
      if (dx * dx + dy * dy < (tile / 14) ** 2) s *= 0.7;
    } else {
      // Plaster with rectangular panel mouldings.
      const px = (mx % 0.9) / 0.9;
      const py = (my % 1.1) / 1.1;
      const edge = Math.min(Math.abs(px - 0.1), Math.abs(px - 0.9), Math.abs(py - 0.1), Math.abs(py - 0.9));
      const inside = px > 0.1 && px < 0.9 && py > 0.1 && py < 0.9;
      if (edge < 0.008 && (inside || Math.min(Math.abs(px - 0.1), Math.abs(px - 0.9)) < 0.008 ? py > 0.09 && py < 0.91 : px > 0.09 && px < 0.91)) s *= 0.75;
      s *= 1 + 0.05 * Math.sin(mx * 17 + Math.sin(my * 13));
    }
    return [c[0] * s, c[1] * s, c[2] * s];
  });
}

/** Wooden floor planks. */
function floorTexture(rng: Random, size: number, metres: [number, number]): Texture {
  const wood = colour(rng, [0.25, 0.55], [0.3, 0.6]);
  const plank = rng.range(0.1, 0.2);
  const salt = Math.floor(rng.uniform() * 1e9);
  return paintTexture(size, metres, (mx, my) => {
    const row = Math.floor(mx / plank);
    const seam = mx / plank - row < 0.03;
    const grain = 1 + 0.12 * Math.sin(my * 60 + 8 * hashUnit(row, 0, salt) + 2 * Math.sin(my * 7));
    const shade = 1 + 0.15 * (2 * hashUnit(row, Math.floor(my / 1.2 + hashUnit(row, 1, salt)), salt) - 1);
    const s = (seam ? 0.5 : 1) * grain * shade;
    return [wood[0] * s, wood[1] * s, wood[2] * s];
  });
}

/** An atlas of 8 × 8 swatches (books, shelf, frame, picture), each a colour with a little grain; the picture cell holds soft blobs. */
function propsTexture(rng: Random, size: number): { texture: Texture; cell: (i: number) => [number, number, number, number] } {
  const cells = 8;
  const swatches = Array.from({ length: cells * cells }, () => colour(rng, [0.1, 0.8], [0.2, 0.9]));
  swatches[0] = colour(rng, [0.15, 0.35], [0.3, 0.5]); // shelf wood
  swatches[1] = colour(rng, [0.05, 0.6], [0.0, 0.3]); // frame
  const blobs = Array.from({ length: 6 }, () => ({ x: rng.uniform(), y: rng.uniform(), r: rng.range(0.1, 0.35), c: colour(rng, [0.2, 0.9], [0.3, 1]) }));
  const data = new Float32Array(size * size * 3);
  const cs = size / cells;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const cell = Math.floor(y / cs) * cells + Math.floor(x / cs);
      let c = swatches[cell]!;
      if (cell === 2) {
        // The picture: blobs over a pale ground.
        const u = (x % cs) / cs;
        const v = (y % cs) / cs;
        c = [0.85, 0.82, 0.75];
        for (const b of blobs) if ((u - b.x) ** 2 + (v - b.y) ** 2 < b.r * b.r) c = b.c;
      }
      const s = 1 + 0.05 * (2 * hashUnit(x, y, 7) - 1);
      for (let k = 0; k < 3; k++) data[3 * (y * size + x) + k] = clamp(c[k]! * s, 0, 1);
    }
  }
  const inset = 1.5 / size;
  return { texture: { data, width: size, height: size }, cell: (i) => [(i % cells) / cells + inset, Math.floor(i / cells) / cells + inset, (i % cells + 1) / cells - inset, (Math.floor(i / cells) + 1) / cells - inset] };
}

/** The room of a seed (deterministic). Textures: 0 back wall, 1 side walls, 2 floor, 3 ceiling, 4 props. */
export function studioRoom(seed: number, textureSize = 256): Room {
  const rng = new Random(seed * 13 + 0x700d);
  const width = 2 * HALF_X;
  const height = CEILING - FLOOR;
  const depth = FRONT - BACK;
  const textures = [
    wallTexture(rng, textureSize, [width, height]),
    wallTexture(rng, textureSize, [depth, height]),
    floorTexture(rng, textureSize, [width, depth]),
    wallTexture(rng, 64, [width, depth]),
  ];
  const props = propsTexture(rng, 256);
  textures.push(props.texture);
  const meshes: RoomMesh[] = [];
  const wall = (build: (b: Builder) => void, texture: number, specular = 0.02): void => {
    const b = new Builder();
    build(b);
    meshes.push(b.build(texture, specular));
  };
  // Back wall (faces +z); UV v runs down the wall.
  wall((b) => b.quad([-HALF_X, FLOOR, BACK], [width, 0, 0], [0, height, 0], [0, 1, 1, 0], 8), 0, 0.05);
  // Side walls: the left (x = −HALF_X, faces +x) and right (faces −x), both v down.
  wall((b) => {
    b.quad([-HALF_X, FLOOR, FRONT], [0, 0, -depth], [0, height, 0], [0, 1, 1, 0], 8);
    b.quad([HALF_X, FLOOR, BACK], [0, 0, depth], [0, height, 0], [0, 1, 1, 0], 8);
  }, 1);
  // Floor (faces +y) and ceiling (faces −y).
  wall((b) => b.quad([-HALF_X, FLOOR, BACK], [0, 0, depth], [width, 0, 0], [0, 0, 1, 1], 8), 2, 0.08);
  wall((b) => b.quad([-HALF_X, CEILING, BACK], [width, 0, 0], [0, 0, depth], [0, 0, 1, 1], 4), 3);
  // Props on the back wall: a shelf with books on one side, a framed picture on the other.
  const side = rng.uniform() < 0.5 ? -1 : 1;
  wall((b) => {
    const sx = side * rng.range(0.15, 0.45);
    const sy = rng.range(-0.35, 0.1);
    const sw = rng.range(0.5, 0.8);
    b.box([sx - sw / 2, sy - 0.02, BACK], [sx + sw / 2, sy, BACK + 0.25], props.cell(0));
    let x = sx - sw / 2 + 0.02;
    while (x < sx + sw / 2 - 0.05) {
      const w = rng.range(0.02, 0.05);
      const h = rng.range(0.15, 0.26);
      const d = rng.range(0.14, 0.2);
      const lean = 0; // upright books
      b.box([x, sy, BACK + 0.02], [x + w, sy + h + lean, BACK + 0.02 + d], props.cell(3 + Math.floor(rng.uniform() * 60)));
      x += w + rng.range(0, 0.008);
    }
    const px = -side * rng.range(0.2, 0.5);
    const py = rng.range(0.0, 0.35);
    const pw = rng.range(0.25, 0.45);
    const ph = rng.range(0.2, 0.4);
    b.box([px - pw / 2 - 0.02, py - ph / 2 - 0.02, BACK], [px + pw / 2 + 0.02, py + ph / 2 + 0.02, BACK + 0.02], props.cell(1));
    const pc = props.cell(2);
    b.quad([px - pw / 2, py - ph / 2, BACK + 0.021], [pw, 0, 0], [0, ph, 0], [pc[0], pc[3], pc[2], pc[1]], 2);
  }, 4, 0.1);
  return { meshes, textures };
}
