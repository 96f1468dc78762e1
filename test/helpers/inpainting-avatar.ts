// A procedural avatar with a small body inpainter whose output layer is not zero (so the
// network's residual is in the frames), for the render and workspace tests.
import { Avatar, BodyInpainter, proceduralAvatar } from '../../lib/index.js';
import { native } from '../../lib/native.js';

/** The procedural avatar (size², uvSize² map) with a body inpainter of `config`. */
export async function inpaintingAvatar(size = 48, uvSize = 32, config = { channels: 4, levels: 2 }): Promise<Avatar> {
  const base = await proceduralAvatar({ size, uvSize });
  const inpainter = await BodyInpainter.create({ config, seed: 2 });
  const params = new Map(base.params);
  for (const [name, t] of inpainter.params) {
    const n = t.shape.reduce((a, b) => a * b, 1);
    params.set(name, name.startsWith('inpaint.out.') ? native().Tensor.fromArray(Float32Array.from({ length: n }, (_, i) => 0.05 * Math.sin(i + 1)), t.shape) : t);
  }
  return new Avatar({ model: base.model, layout: base.layout, description: { ...base.description, inpainter: config }, params, track: base.track! });
}
