/**
 * The array names of FLAME model files, shared by the loader and the savers: the official
 * pickles' keys, which the `.npz` and safetensors files ggtalker reads and writes use too.
 *
 * @module
 */

/** Official FLAME keys, with the layout each holds. */
export const FLAME_KEYS = {
  /** Template vertices, (V, 3). */
  vTemplate: 'v_template',
  /** Triangles, (F, 3), uint32 in the official files. */
  faces: 'f',
  /** Shape then expression blendshapes, (V, 3, S + E): 300 + 100 in FLAME 2020/2023. */
  shapedirs: 'shapedirs',
  /** Expression blendshapes, (V, 3, E), when a file keeps them apart from `shapedirs`. */
  exprdirs: 'exprdirs',
  /** Pose correctives, (V, 3, 36). */
  posedirs: 'posedirs',
  /** Joint regressor, (5, V): a scipy CSC matrix in the pickles, dense elsewhere. */
  jRegressor: 'J_regressor',
  /** Skinning weights, (V, 5). */
  weights: 'weights',
  /** (2, 5): row 0 each joint's parent id (the root's is -1 or 2^32 - 1), row 1 its id. */
  kintreeTable: 'kintree_table',
  /** UV coordinates, (VT, 2). */
  vt: 'vt',
  /** Per-face UV indices, (F, 3). */
  ft: 'ft',
  /** Landmark faces, (L). FLAME's landmark embedding files spell it `lmk_face_idx`. */
  lmkFacesIdx: 'lmk_faces_idx',
  /** Landmark barycentric coordinates, (L, 3). */
  lmkBCoords: 'lmk_b_coords',
  /**
   * The number of shape components at the start of `shapedirs`, a 0-d integer array. Not in
   * the official files (which always split 300 + 100); ggtalker writes it so that models with
   * other counts load back with the right split. Named after the `n_shape` option of the
   * FLAME implementations (VHAP, DECA).
   */
  shapeCount: 'n_shape',
  /** The number of expression components after them, a 0-d integer array. */
  exprCount: 'n_expr',
} as const;

/** The spelling of the landmark-face key in FLAME's landmark embedding files. */
export const LMK_FACE_IDX_ALIAS = 'lmk_face_idx';

/** Shape components in the official FLAME files (the rest of `shapedirs` are expression). */
export const OFFICIAL_SHAPE_COUNT = 300;
/** Total components in the official files' `shapedirs`. */
export const OFFICIAL_COMPONENT_COUNT = 400;
