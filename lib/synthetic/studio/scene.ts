/**
 * One studio frame as meshes for the studio camera (mesh-render.ts): the posed head textured
 * with the identity's albedo map (the mouth's cavity, tongue and teeth darkened by ambient
 * occlusion), its hair and glasses moved rigidly with the skull, the neck/shoulders/garment
 * moved rigidly with the neck's base, and the seed's room; plus the seed's lights. Rigid
 * motions are fitted (Horn) from rest to posed positions of the vertices the model binds to one
 * joint, so nothing here knows FLAME's joint conventions or vertex numbers.
 *
 * Coverage labels: 0 head (with glasses), 1 hair, 2 body (neck, shoulders, clothing), 3 room.
 *
 * @module
 */

import { clamp, Random, type Vec3 } from '../../flame/procedural/math.js';
import { makeAlbedo, type Texture } from './albedo.js';
import { makeBodyMeshes, makeClothingTexture, makeSkinTexture, type BodyMeshes } from './body.js';
import { applyRigid, rigidFit, vertexNormals, type Rigid } from './geometry.js';
import { makeGlassesMesh, type GlassesMesh } from './glasses.js';
import { makeHairMesh, makeHairTexture, type HairMesh } from './hair.js';
import type { SyntheticIdentity } from './identity.js';
import type { Room } from './background.js';
import type { StudioLight, StudioMesh, StudioTexture } from './mesh-render.js';

/** Coverage labels of the scene's meshes. */
export const LABELS = { head: 0, hair: 1, body: 2, room: 3 } as const;

/** Albedo map size (texels per side) of the head. */
export const ALBEDO_SIZE = 1024;

/** Everything per identity that does not change per frame. */
export interface StudioAssets {
  /** The template with the identity's shape, [V, 3]. */
  rest: Float32Array;
  albedo: Texture;
  hair: HairMesh | null;
  hairTexture: Texture | null;
  glasses: GlassesMesh | null;
  body: BodyMeshes;
  clothingTexture: Texture;
  bodySkinTexture: Texture;
  glassesTexture: Texture;
  /** The head's faces as Uint32, [F, 3], and per-corner UVs (v down), [F, 3, 2]. */
  faces: Uint32Array;
  uvs: Float32Array;
  /** Ambient occlusion per head vertex, [V]. */
  occlusion: Float32Array;
  /** Vertices moving with the skull (mostly bound to the neck joint, on the scalp) and with the root. */
  skullAnchors: Uint32Array;
  rootAnchors: Uint32Array;
}

const assetCache = new WeakMap<SyntheticIdentity, StudioAssets>();

/** The identity's template with its shape applied, [V, 3]. */
export function restPositions(identity: SyntheticIdentity): Float32Array {
  const m = identity.head.model;
  const S = m.shapeCount;
  const out = Float32Array.from(m.vTemplate);
  for (let i = 0; i < out.length; i++) {
    let d = 0;
    for (let k = 0; k < Math.min(S, identity.shape.length); k++) d += m.shapedirs[i * S + k]! * identity.shape[k]!;
    out[i] += d;
  }
  return out;
}

/** Occlusion per region: the mouth's inside is dark, teeth half-lit, sclera a little shaded. */
const REGION_OCCLUSION: Record<string, number> = {
  mouth_interior: 0.12,
  tongue: 0.3,
  teeth_upper: 0.55,
  teeth_lower: 0.45,
  eye_left: 0.85,
  eye_right: 0.85,
};

/** How much occlusion a concavity of one mean edge length brings. */
const CONCAVITY_GAIN = 1.2;

/**
 * Per vertex, (mean of the 1-ring neighbours − the vertex) · normal over the mean neighbour
 * distance, smoothed once over the ring: > 0 in hollows, < 0 on bumps. [V]
 */
function concavity(positions: Float32Array, faces: ArrayLike<number>, V: number): Float32Array {
  const normals = vertexNormals(positions, faces);
  const sum = new Float64Array(V * 3);
  const dist = new Float64Array(V);
  const count = new Float64Array(V);
  for (let f = 0; f < faces.length; f += 3) {
    for (let k = 0; k < 3; k++) {
      const a = faces[f + k]!;
      const b = faces[f + ((k + 1) % 3)]!;
      for (const [p, q] of [[a, b], [b, a]] as const) {
        for (let c = 0; c < 3; c++) sum[3 * p + c]! += positions[3 * q + c]!;
        dist[p]! += Math.hypot(positions[3 * q]! - positions[3 * p]!, positions[3 * q + 1]! - positions[3 * p + 1]!, positions[3 * q + 2]! - positions[3 * p + 2]!);
        count[p]! += 1;
      }
    }
  }
  const raw = new Float32Array(V);
  for (let v = 0; v < V; v++) {
    if (!count[v]) continue;
    let d = 0;
    for (let c = 0; c < 3; c++) d += (sum[3 * v + c]! / count[v]! - positions[3 * v + c]!) * normals[3 * v + c]!;
    raw[v] = d / (dist[v]! / count[v]! || 1);
  }
  // One smoothing pass over the ring (edges counted twice per face, as above).
  const smooth = Float32Array.from(raw);
  const acc = new Float64Array(V);
  for (let f = 0; f < faces.length; f += 3) {
    for (let k = 0; k < 3; k++) {
      const a = faces[f + k]!;
      const b = faces[f + ((k + 1) % 3)]!;
      acc[a]! += raw[b]!;
      acc[b]! += raw[a]!;
    }
  }
  for (let v = 0; v < V; v++) if (count[v]) smooth[v] = 0.5 * raw[v]! + (0.5 * acc[v]!) / count[v]!;
  return smooth;
}

/** Builds (once per identity, cached) the textures and meshes of {@link StudioAssets}. */
export function studioAssets(identity: SyntheticIdentity): StudioAssets {
  const hit = assetCache.get(identity);
  if (hit) return hit;
  const { head, look, palette } = identity;
  const m = head.model;
  const V = m.vertexCount;
  const F = m.faces.length / 3;
  const rest = restPositions(identity);
  const rng = new Random(identity.seed * 17 + 0x5ce9e);
  const albedo = makeAlbedo({ seed: identity.seed, head, palette, skin: look.skin, hairOnScalp: look.hair.kind !== 'bald' }, ALBEDO_SIZE);
  const hair = makeHairMesh(head, rest, look.hair, rng);
  const hairTexture = hair ? makeHairTexture(palette.hair, look.hair) : null;
  const glasses = look.glasses ? makeGlassesMesh(head, rest, look.glasses) : null;
  const body = makeBodyMeshes(head, rest, look.clothing);
  const { vt, ft } = m.uv!;
  const uvs = new Float32Array(F * 6);
  for (let i = 0; i < F * 3; i++) {
    uvs[2 * i] = vt[2 * ft[i]!]!;
    uvs[2 * i + 1] = 1 - vt[2 * ft[i]! + 1]!;
  }
  // Occlusion: the minimum over a vertex's faces' regions; in the cavity, darker further back.
  const occlusion = new Float32Array(V).fill(1);
  for (let f = 0; f < F; f++) {
    const name = head.regions.names[head.regions.face[f]!]!;
    const base = REGION_OCCLUSION[name] ?? (name.startsWith('eye_') ? 0.85 : 1);
    for (let k = 0; k < 3; k++) {
      const v = m.faces[3 * f + k]!;
      occlusion[v] = Math.min(occlusion[v]!, base);
    }
  }
  // Concavity occlusion on top: a vertex below the mean of its neighbours (along its normal)
  // sits in a hollow (nostrils, eye corners, ear bowls, lip corners) and sees less sky.
  const cavity = concavity(rest, m.faces, V);
  for (let v = 0; v < V; v++) occlusion[v] = occlusion[v]! * clamp(1 - CONCAVITY_GAIN * Math.max(cavity[v]!, 0), 0.55, 1);
  const weight = (v: number, j: number): number => m.lbsWeights[v * (m.lbsWeights.length / V) + j]!;
  const scalp = head.regions.names.indexOf('scalp');
  const onScalp = new Uint8Array(V);
  for (let f = 0; f < F; f++) if (head.regions.face[f] === scalp) for (let k = 0; k < 3; k++) onScalp[m.faces[3 * f + k]!] = 1;
  const skull: number[] = [];
  const root: number[] = [];
  for (let v = 0; v < V; v++) {
    if (onScalp[v] && weight(v, 1) > 0.95) skull.push(v);
    if (weight(v, 0) > 0.9) root.push(v);
  }
  const solid = (c: Vec3): Texture => ({ data: Float32Array.from({ length: 4 * 4 * 3 }, (_, i) => c[i % 3]!), width: 4, height: 4 });
  const assets: StudioAssets = {
    rest,
    albedo,
    hair,
    hairTexture,
    glasses,
    body,
    clothingTexture: makeClothingTexture(look.clothing, identity.seed),
    bodySkinTexture: makeSkinTexture(palette.skin, identity.seed),
    glassesTexture: solid(look.glasses?.colour ?? [0, 0, 0]),
    faces: Uint32Array.from(m.faces),
    uvs,
    occlusion,
    skullAnchors: Uint32Array.from(skull.length >= 3 ? skull : Array.from({ length: V }, (_, i) => i)),
    rootAnchors: Uint32Array.from(root.length >= 3 ? root : skull),
  };
  assetCache.set(identity, assets);
  return assets;
}

/** Lights of a seed: a key light from the front-side above, a dimmer fill from the other side, a rim light from behind; and ambient. */
export function studioLights(seed: number): { lights: StudioLight[]; ambient: [number, number, number] } {
  const rng = new Random(seed * 19 + 0x119e7);
  const side = rng.uniform() < 0.5 ? -1 : 1;
  const dir = (yawDeg: number, pitchDeg: number): [number, number, number] => {
    const a = (yawDeg * Math.PI) / 180;
    const b = (pitchDeg * Math.PI) / 180;
    return [Math.sin(a) * Math.cos(b), Math.sin(b), Math.cos(a) * Math.cos(b)];
  };
  const warm = rng.range(-0.08, 0.08);
  const tint = (k: number): [number, number, number] => [clamp(k * (1 + warm), 0, 2), k, clamp(k * (1 - warm), 0, 2)];
  const key = rng.range(0.75, 1.0);
  const ambient = rng.range(0.18, 0.28);
  return {
    lights: [
      { direction: dir(side * rng.range(25, 50), rng.range(15, 40)), colour: tint(key) },
      { direction: dir(-side * rng.range(30, 70), rng.range(-5, 20)), colour: tint(key * rng.range(0.25, 0.45)) },
      { direction: dir(side * rng.range(120, 170), rng.range(20, 50)), colour: tint(rng.range(0.2, 0.5)) },
    ],
    ambient: [ambient, ambient, ambient],
  };
}

/** A frame's meshes and textures. */
export interface FrameScene {
  meshes: StudioMesh[];
  textures: StudioTexture[];
  /** The skull's and the neck base's rigid motions from rest. */
  skull: Rigid;
  root: Rigid;
}

/**
 * The frame's scene for posed head vertices `posed` [V, 3] (world space, as the FLAME forward
 * returns them) in a room.
 */
export function frameScene(identity: SyntheticIdentity, posed: Float32Array, room: Room): FrameScene {
  const a = studioAssets(identity);
  const skull = rigidFit(a.rest, posed, a.skullAnchors);
  const root = rigidFit(a.rest, posed, a.rootAnchors);
  const textures: StudioTexture[] = [a.albedo, a.bodySkinTexture, a.clothingTexture, a.glassesTexture];
  const meshes: StudioMesh[] = [
    { positions: posed, faces: a.faces, uvs: a.uvs, texture: 0, occlusion: a.occlusion, specular: 0.05, shininess: 24, label: LABELS.head, doubleSided: true },
    { positions: applyRigid(root, a.body.skin.positions), faces: a.body.skin.faces, uvs: a.body.skin.uvs, texture: 1, specular: 0.04, label: LABELS.body },
    { positions: applyRigid(root, a.body.clothing.positions), faces: a.body.clothing.faces, uvs: a.body.clothing.uvs, texture: 2, specular: 0.02, shininess: 8, label: LABELS.body, doubleSided: true },
  ];
  if (a.glasses) {
    meshes.push({ positions: applyRigid(skull, a.glasses.positions), faces: a.glasses.faces, uvs: a.glasses.uvs, texture: 3, specular: identity.look.glasses!.specular, shininess: 64, label: LABELS.head, doubleSided: true });
  }
  if (a.hair && a.hairTexture) {
    textures.push(a.hairTexture);
    meshes.push({ positions: applyRigid(skull, a.hair.positions), faces: a.hair.faces, uvs: a.hair.uvs, texture: textures.length - 1, specular: 0.08, shininess: 16, label: LABELS.hair, doubleSided: true });
  }
  const offset = textures.length;
  textures.push(...room.textures);
  for (const r of room.meshes) meshes.push({ positions: r.positions, faces: r.faces, uvs: r.uvs, texture: offset + r.texture, specular: r.specular, label: LABELS.room });
  return { meshes, textures, skull, root };
}
