/**
 * The FLAME model in memory: what every loader (official pickle, .npz, safetensors) and the
 * procedural head produce, and what the native FLAME forward consumes. Arrays are flat,
 * row-major; shapes are given as [dims]. Joint order is FLAME's: global (root), neck, jaw,
 * left eye, right eye.
 *
 * @module
 */

/** Texture coordinates of the template: one UV per face corner, through `ft`. */
export interface FlameUv {
  /** UV coordinates in [0, 1]², [VT, 2] (u right, v up, as in .obj files). */
  vt: Float32Array;
  /** Per face, indices into vt, [F, 3]. */
  ft: Int32Array;
}

/** Landmarks embedded in the mesh: each is a barycentric point of one face. */
export interface FlameLandmarks {
  /** Face index of each landmark, [L]. */
  faceIdx: Int32Array;
  /** Barycentric coordinates in that face, [L, 3]. */
  bary: Float32Array;
}

/** A FLAME-format morphable head model. */
export interface FlameModel {
  /** Number of vertices V. */
  vertexCount: number;
  /** Number of shape components S (300 in FLAME 2020/2023). */
  shapeCount: number;
  /** Number of expression components E (100 in FLAME 2020/2023). */
  exprCount: number;
  /** Template vertices, [V, 3]. */
  vTemplate: Float32Array;
  /** Triangles, [F, 3]. */
  faces: Int32Array;
  /** Shape blendshapes, [V, 3, S]. */
  shapedirs: Float32Array;
  /** Expression blendshapes, [V, 3, E]. */
  exprdirs: Float32Array;
  /** Pose correctives, [V, 3, 36]: the 4 non-root joints' (R - I) flattened row-major, 9 each. */
  posedirs: Float32Array;
  /** Joint regressor, dense, [5, V]. */
  jRegressor: Float32Array;
  /** Linear blend skinning weights, [V, 5]. */
  lbsWeights: Float32Array;
  /** Parent of each joint, [5]; -1 for the root. */
  parents: Int32Array;
  /** Texture layout, when the model has one (FLAME ships it in head_template.obj). */
  uv?: FlameUv;
  /** Landmark embedding, when the model has one. */
  landmarks?: FlameLandmarks;
}

/** FLAME's kinematic tree: global, neck, jaw, left eye, right eye. */
export const FLAME_JOINTS = ['global', 'neck', 'jaw', 'left_eye', 'right_eye'] as const;
