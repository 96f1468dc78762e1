/**
 * An avatar of the project's procedural head, with no adaptation: its UV map coloured from the
 * head's own vertex colours with lighting baked in (a hemisphere and key light, the chin's
 * shadow on the neck, occlusion inside the mouth), a front camera and a soft background. What the demo speaks with
 * (no downloads), and a quick subject for synthesis tests.
 *
 * @module
 */

import ndarray from 'ndarray';

import type { AudioExpressionModel } from '../a2e/model.js';
import { arrayToHandle } from '../a2e/native-params.js';
import { optionalOptions } from '../arguments.js';
import { assemble } from '../flame/procedural/assemble.js';
import { makeProceduralHead } from '../flame/procedural/index.js';
import { bakeLighting } from '../flame/procedural/shading.js';
import { lookAt } from '../render/camera.js';
import { uvLayout } from '../rig/uv.js';
import { Avatar } from './avatar.js';
import { meshUvMap } from './uv-map.js';

/** Options of {@link proceduralAvatar}. */
export interface ProceduralAvatarOptions {
  /** Frame size (square). Default 512. */
  size?: number;
  /** UV map size. Default 256. */
  uvSize?: number;
  /** The Audio-Expression model it speaks with (the procedural head's 17 expressions). */
  a2e?: AudioExpressionModel;
  /** Seed of the procedural head. Default 0. */
  seed?: number;
}

/** The procedural head as an Avatar. */
export async function proceduralAvatar(options: ProceduralAvatarOptions = {}): Promise<Avatar> {
  options = optionalOptions('proceduralAvatar', options);
  const size = options.size ?? 512;
  const uvSize = options.uvSize ?? 256;
  const head = makeProceduralHead({ seed: options.seed ?? 0 });
  const layout = await uvLayout(head.model.uv!, { height: uvSize, width: uvSize });
  // The map holds what the camera sees: albedo with the lighting baked in (shading.ts), as a
  // captured avatar's colours hold the studio's light.
  const colors = bakeLighting(assemble(), head.model.vTemplate, head.model.faces, head.vertexColors);
  const map = meshUvMap(head.model, colors, layout);
  const f = size * (1100 / 512);
  const camera = { view: lookAt([0, 0.02, 0.75], [0, 0.01, 0], [0, 1, 0]), fx: f, fy: f, cx: size / 2, cy: size / 2, width: size, height: size };
  // A soft vertical gradient, dark slate to warm grey.
  const bg = new Float32Array(size * size * 3);
  for (let y = 0; y < size; y++) {
    const v = y / (size - 1);
    for (let x = 0; x < size; x++) bg.set([0.16 + 0.1 * v, 0.18 + 0.08 * v, 0.22 + 0.03 * v], (y * size + x) * 3);
  }
  return new Avatar({
    model: head.model,
    layout,
    description: { uvSize, dilate: 4, fps: 25, expressionNames: head.expressionNames },
    params: new Map([
      ['map', arrayToHandle(map)],
      ['flame.shape', arrayToHandle({ data: new Float32Array(head.model.shapeCount), shape: [head.model.shapeCount] })],
    ]),
    track: {
      rotation: new Float32Array(3),
      neck: new Float32Array(3),
      eyes: new Float32Array(6),
      translation: new Float32Array(3),
      frames: 1,
      camera,
      background: ndarray(bg, [size, size, 3]),
    },
    ...(options.a2e ? { a2e: options.a2e } : {}),
  });
}
