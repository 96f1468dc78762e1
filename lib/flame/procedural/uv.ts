/**
 * The texture layout: each part's raw unwrap (built with the part) becomes an island, and
 * the islands are packed into [0, 1]^2 without overlap, with a margin between them. The head's
 * surface (its face in the middle) takes the top of the map; the small islands (eyeballs,
 * ears, mouth, teeth, tongue) share the strip below at one common texel density, the eyes
 * and the mouth's cavity given extra room since they show the most detail.
 *
 * @module
 */

import type { Assembled } from './assemble.js';
import type { FlameUv } from '../model.js';

/** Gap between islands and from the map's border, in UV units (about 4 texels at 1024). */
const MARGIN = 0.004;
/** The head's island spans this band of v; the small islands go below it. */
const HEAD_BAND = [0.285, 1 - MARGIN] as const;
/** Texel density boost per small island (relative to the others). */
const BOOST: Record<string, number> = { eye_left: 1.6, eye_right: 1.6, mouth: 1.3 };

interface Island {
  name: string;
  minU: number;
  minV: number;
  w: number;
  h: number;
  /** Placement: offset and scale. */
  x: number;
  y: number;
  s: number;
}

/** Shelf packing of boxes (w, h) into a width, returning positions, or undefined if the height is exceeded. */
function shelfPack(boxes: { w: number; h: number }[], width: number, height: number): { x: number; y: number }[] | undefined {
  const order = boxes.map((b, i) => ({ ...b, i })).sort((a, b) => b.h - a.h || a.i - b.i);
  const out: { x: number; y: number }[] = new Array(boxes.length);
  let x = 0;
  let y = 0;
  let shelf = 0;
  for (const b of order) {
    if (x > 0 && x + b.w > width) {
      y += shelf + MARGIN;
      x = 0;
      shelf = 0;
    }
    if (b.w > width || y + b.h > height) return undefined;
    out[b.i] = { x, y };
    x += b.w + MARGIN;
    shelf = Math.max(shelf, b.h);
  }
  return out;
}

/** Packs the assembled head's islands: vt [VT, 2] and ft [F, 3]. */
export function layoutUv(asm: Assembled): FlameUv {
  const names = [...new Set(asm.faceIsland)];
  const islands = new Map<string, Island>();
  for (const name of names) islands.set(name, { name, minU: Infinity, minV: Infinity, w: 0, h: 0, x: 0, y: 0, s: 1 });
  const maxU = new Map<string, number>();
  const maxV = new Map<string, number>();
  asm.faceUv.forEach((corners, f) => {
    const isl = islands.get(asm.faceIsland[f]!)!;
    for (const [u, v] of corners) {
      isl.minU = Math.min(isl.minU, u);
      isl.minV = Math.min(isl.minV, v);
      maxU.set(isl.name, Math.max(maxU.get(isl.name) ?? -Infinity, u));
      maxV.set(isl.name, Math.max(maxV.get(isl.name) ?? -Infinity, v));
    }
  });
  for (const isl of islands.values()) {
    isl.w = maxU.get(isl.name)! - isl.minU;
    isl.h = maxV.get(isl.name)! - isl.minV;
  }
  // The head: as large as fits its band, centred horizontally.
  const head = islands.get('head')!;
  const [b0, b1] = HEAD_BAND;
  head.s = Math.min((1 - 2 * MARGIN) / head.w, (b1 - b0) / head.h);
  head.x = (1 - head.w * head.s) / 2;
  head.y = b0;
  // The rest: the largest common scale whose shelf packing fits under the head.
  const small = [...islands.values()].filter((i) => i.name !== 'head');
  const width = 1 - 2 * MARGIN;
  const height = b0 - 2 * MARGIN;
  const boxes = (s: number) => small.map((i) => ({ w: i.w * s * (BOOST[i.name] ?? 1), h: i.h * s * (BOOST[i.name] ?? 1) }));
  let [lo, hi] = [0, 100];
  for (let it = 0; it < 50; it++) {
    const mid = (lo + hi) / 2;
    if (shelfPack(boxes(mid), width, height)) lo = mid;
    else hi = mid;
  }
  const placed = shelfPack(boxes(lo), width, height)!;
  small.forEach((isl, k) => {
    isl.s = lo * (BOOST[isl.name] ?? 1);
    isl.x = MARGIN + placed[k]!.x;
    isl.y = MARGIN + placed[k]!.y;
  });
  // One vt per distinct (vertex, island, raw coordinate).
  const vt: number[] = [];
  const ft = new Int32Array(asm.faceCount * 3);
  const index = new Map<string, number>();
  asm.faceUv.forEach((corners, f) => {
    const isl = islands.get(asm.faceIsland[f]!)!;
    corners.forEach(([u, v], k) => {
      const vertex = asm.faces[3 * f + k]!;
      const key = `${vertex}|${isl.name}|${u}|${v}`;
      let id = index.get(key);
      if (id === undefined) {
        id = vt.length / 2;
        index.set(key, id);
        vt.push(isl.x + (u - isl.minU) * isl.s, isl.y + (v - isl.minV) * isl.s);
      }
      ft[3 * f + k] = id;
    });
  });
  return { vt: Float32Array.from(vt), ft };
}
