/**
 * Facts of the teeth that VHAP and GaussianAvatars add to FLAME: the lip rings they are
 * placed from and their triangles. Transcribed from VHAP, `vhap/model/flame.py`
 * (github.com/ShenhanQian/VHAP): `FlameMask.create_custom_mask` (the rings
 * `lip_outside_ring_upper` / `lip_outside_ring_lower`) and `FlameHead.add_teeth` (the tables
 * `f_teeth_upper` / `f_teeth_lower`). GaussianAvatars' `flame_model/flame.py` holds the same
 * function and numbers. {@link addFlameTeeth} builds the geometry from them.
 *
 * Teeth vertices are numbered 0-119 after the model's own (add FLAME's 5023 to get mesh ids),
 * in eight rows of 15, each row running along the lip ring (index i of a row belongs to ring
 * vertex i):
 *
 * | row | ids     | what                 | row | ids     | what                 |
 * |-----|---------|----------------------|-----|---------|----------------------|
 * | 0   | 0-14    | upper root (gum)     | 4   | 60-74   | upper root, back     |
 * | 1   | 15-29   | lower root (gum)     | 5   | 75-89   | upper edge, back     |
 * | 2   | 30-44   | upper edge (biting)  | 6   | 90-104  | lower root, back     |
 * | 3   | 45-59   | lower edge (biting)  | 7   | 105-119 | lower edge, back     |
 *
 * @module
 */

/** Vertices of each teeth row: the length of FLAME's lip rings. */
export const TEETH_ROW_LENGTH = 15;
/** Rows of teeth vertices (see the table above). */
export const TEETH_ROWS = 8;
/** Teeth vertices added: 8 rows of 15. */
export const TEETH_VERTEX_COUNT = TEETH_ROWS * TEETH_ROW_LENGTH;
/** FLAME 2020/2023's vertex count, the topology the lip ring ids belong to. */
export const FLAME_VERTEX_COUNT = 5023;

/** FLAME vertex ids of the outer upper lip ring, corner to corner (VHAP `lip_outside_ring_upper`). */
export const LIP_OUTSIDE_RING_UPPER: readonly number[] = [1713, 1715, 1716, 1735, 1696, 1694, 1657, 3543, 2774, 2811, 2813, 2850, 2833, 2832, 2830];
/** FLAME vertex ids of the outer lower lip ring, paired with the upper one (VHAP `lip_outside_ring_lower`). */
export const LIP_OUTSIDE_RING_LOWER: readonly number[] = [1576, 1577, 1773, 1774, 1795, 1802, 1865, 3503, 2948, 2905, 2898, 2881, 2880, 2713, 2712];

/** Which teeth rows move with the neck joint (upper teeth) and which with the jaw (lower teeth). */
export const UPPER_TEETH_ROWS: readonly number[] = [0, 2, 4, 5];
export const LOWER_TEETH_ROWS: readonly number[] = [1, 3, 6, 7];

/**
 * The row of VHAP's 7 texture v values each teeth row takes (`v[[3, 2, 0, 1, 3, 4, 6, 5]]`
 * for v = linspace(1 - 0.0083, 1 - 0.0425, 7)); u runs linspace(0.62, 0.38, 15) along a row.
 */
export const TEETH_UV_ROW_V: readonly number[] = [3, 2, 0, 1, 3, 4, 6, 5];
export const TEETH_UV_U_RANGE = [0.62, 0.38] as const;
export const TEETH_UV_V_RANGE = [1 - 0.0083, 1 - 0.0425] as const;
export const TEETH_UV_V_STEPS = 7;

/**
 * The upper teeth's 84 triangles in teeth vertex ids (VHAP `f_teeth_upper`, in its order):
 * front (root row 0 to edge row 2), back (rows 4 and 5), biting surface (rows 5 and 2).
 */
export const TEETH_FACES_UPPER: readonly number[] = [
  // front: root 0-14, edge 30-44
  0,31,30, 0,1,31, 1,32,31, 1,2,32, 2,33,32, 2,3,33, 3,34,33,
  3,4,34, 4,35,34, 4,5,35, 5,36,35, 5,6,36, 6,37,36, 6,7,37,
  7,8,37, 8,38,37, 8,9,38, 9,39,38, 9,10,39, 10,40,39, 10,11,40,
  11,41,40, 11,12,41, 12,42,41, 12,13,42, 13,43,42, 13,14,43, 14,44,43,
  // back: root 60-74, edge 75-89
  60,75,76, 60,76,61, 61,76,77, 61,77,62, 62,77,78, 62,78,63, 63,78,79,
  63,79,64, 64,79,80, 64,80,65, 65,80,81, 65,81,66, 66,81,82, 66,82,67,
  67,82,68, 68,82,83, 68,83,69, 69,83,84, 69,84,70, 70,84,85, 70,85,71,
  71,85,86, 71,86,72, 72,86,87, 72,87,73, 73,87,88, 73,88,74, 74,88,89,
  // biting surface: back edge 75-89, front edge 30-44
  75,30,76, 76,30,31, 76,31,77, 77,31,32, 77,32,78, 78,32,33, 78,33,79,
  79,33,34, 79,34,80, 80,34,35, 80,35,81, 81,35,36, 81,36,82, 82,36,37,
  82,37,38, 82,38,83, 83,38,39, 83,39,84, 84,39,40, 84,40,85, 85,40,41,
  85,41,86, 86,41,42, 86,42,87, 87,42,43, 87,43,88, 88,43,44, 88,44,89,
];

/**
 * The lower teeth's 84 triangles in teeth vertex ids (VHAP `f_teeth_lower`, in its order):
 * front (edge row 3 to root row 1), back (rows 6 and 7), biting surface (rows 7 and 3).
 */
export const TEETH_FACES_LOWER: readonly number[] = [
  // front: edge 45-59, root 15-29
  45,46,15, 46,16,15, 46,47,16, 47,17,16, 47,48,17, 48,18,17, 48,49,18,
  49,19,18, 49,50,19, 50,20,19, 50,51,20, 51,21,20, 51,52,21, 52,22,21,
  52,23,22, 52,53,23, 53,24,23, 53,54,24, 54,25,24, 54,55,25, 55,26,25,
  55,56,26, 56,27,26, 56,57,27, 57,28,27, 57,58,28, 58,29,28, 58,59,29,
  // back: root 90-104, edge 105-119
  90,106,105, 90,91,106, 91,107,106, 91,92,107, 92,108,107, 92,93,108, 93,109,108,
  93,94,109, 94,110,109, 94,95,110, 95,111,110, 95,96,111, 96,112,111, 96,97,112,
  97,98,112, 98,113,112, 98,99,113, 99,114,113, 99,100,114, 100,115,114, 100,101,115,
  101,116,115, 101,102,116, 102,117,116, 102,103,117, 103,118,117, 103,104,118, 104,119,118,
  // biting surface: back edge 105-119, front edge 45-59
  105,106,45, 106,46,45, 106,107,46, 107,47,46, 107,108,47, 108,48,47, 108,109,48,
  109,49,48, 109,110,49, 110,50,49, 110,111,50, 111,51,50, 111,112,51, 112,52,51,
  112,53,52, 112,113,53, 113,54,53, 113,114,54, 114,55,54, 114,115,55, 115,56,55,
  115,116,56, 116,57,56, 116,117,57, 117,58,57, 117,118,58, 118,59,58, 118,119,59,
];

/** Teeth triangles added: 84 upper + 84 lower. */
export const TEETH_FACE_COUNT = (TEETH_FACES_UPPER.length + TEETH_FACES_LOWER.length) / 3;
