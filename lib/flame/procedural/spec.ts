/**
 * The canonical head's anatomy in numbers (metres, FLAME axes: +x the head's left, +y up, +z
 * out of the face). Every module reads its landmarks from here, so proportions are tuned in
 * one place. Left-side values; the right side mirrors x.
 *
 * @module
 */

import type { Vec3 } from './math.js';

export const SPEC = {
  /** Top of the head and the neck's cut. */
  crownY: 0.125,
  neckCutY: -0.13,
  /** Depth of the neck's (vertical) axis. */
  neckAxisZ: -0.012,

  eye: {
    /** Left eyeball centre; the right one mirrors x. */
    centre: [0.0315, 0.016, 0.0615] as Vec3,
    radius: 0.0125,
    irisRadius: 0.0059,
    pupilRadius: 0.0021,
    /** Eye corners: x offsets from the eyeball centre (medial < 0 < lateral), at the centre's height. */
    cornerMedial: -0.0134,
    cornerLateral: 0.0136,
    /** Lid margins at rest, above / below the corners' line at their extreme. */
    upperLid: 0.0047,
    lowerLid: 0.0052,
    /** Where along the fissure (0 medial, 1 lateral) each lid peaks. */
    upperPeak: 0.44,
    lowerPeak: 0.56,
    /** Lid skin above the eyeball: at the margin, and further up (metres over the eyeball). */
    marginGap: 0.0008,
    lidThickness: 0.0019,
    /** Bony socket around the eyeball: semi-axes of the floor ellipse (medial, lateral, up, down). */
    socket: { medial: 0.0136, lateral: 0.0152, up: 0.0122, down: 0.0079, floor: 0.002, rise: 0.05 },
  },

  brow: { y: 0.039, height: 0.0034, width: 0.0068, lateralEnd: 0.064 },

  nose: {
    nasionY: 0.024,
    tipY: -0.011,
    subnasaleY: -0.029,
    alaY: -0.021,
    alaX: 0.0122,
    tipHeight: 0.023,
    alaHeight: 0.0075,
  },

  mouth: {
    y: -0.05,
    cornerX: 0.0245,
    /** Vermilion heights at the centre, above / below the lips' contact line. */
    upperHeight: 0.0080,
    lowerHeight: 0.0092,
    /** Labiomental fold height (the crease between lower lip and chin). */
    foldY: -0.068,
  },

  chin: { y: -0.084 },

  /** Bottom edge of the face (menton) at the front; the jaw line rises from it to the ears. */
  jawLineY: -0.097,

  ear: {
    /** Centre of the concha (the ear's bowl), left ear. */
    centre: [0.0778, 0.001, -0.009] as Vec3,
    height: 0.062,
    width: 0.034,
    /** Backward tilt of the ear's long axis (radians) and its flare away from the head. */
    tilt: 0.26,
    flare: 0.27,
  },

  /** Intended joint positions (FLAME order: root, neck, jaw, left eye, right eye is mirrored). */
  joints: {
    root: [0, -0.118, -0.011] as Vec3,
    neck: [0, -0.032, -0.016] as Vec3,
    jaw: [0, -0.006, 0.004] as Vec3,
  },

  teeth: {
    /** Front of the upper incisors and the arch's half-width at the molars / its depth. */
    upperFrontZ: 0.0815,
    archHalfWidth: 0.0235,
    archDepth: 0.034,
    incisorHeight: 0.0105,
    /** Overbite: lower incisal edge above the upper's, and overjet: how far behind. */
    overbite: 0.0015,
    overjet: 0.0018,
  },
} as const;

/** Eyeball centre of one side: +1 left (+x), -1 right. */
export const eyeCentre = (side: 1 | -1): Vec3 => [side * SPEC.eye.centre[0], SPEC.eye.centre[1], SPEC.eye.centre[2]];
