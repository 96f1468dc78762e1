// The studio camera (`npm run bench -- studio`): one frame of a studio identity's full scene
// (textured head with a 1024² albedo, hair, glasses where drawn, body, room; three lights)
// rendered by the native mesh renderer, front camera, per size and supersampling. One JSON
// line per case: median ms per image after warm-up, with triangle and texel counts.
import { Flame } from '../index.js';
import { renderMeshes } from '../synthetic/studio/mesh-render.js';
import { frameScene, makeSyntheticIdentity, studioCameras, studioLights, studioRoom } from '../synthetic/studio/index.js';
import type { BenchArgs } from './run.js';
import { medianMs, round } from './stats.js';

export async function studioBench(args: BenchArgs): Promise<void> {
  const reps = args.reps ?? 10;
  const identity = makeSyntheticIdentity({ seed: 4 });
  const model = identity.head.model;
  const flame = Flame.from(model);
  const vec = (data: Float32Array) => ({ data, shape: [1, data.length] });
  const posed = await flame.forward({ shape: vec(identity.shape), jaw: vec(Float32Array.of(0.2, 0, 0)) });
  const scene = frameScene(identity, posed.vertices.data, studioRoom(4));
  const { lights, ambient } = studioLights(4);
  const triangles = scene.meshes.reduce((n, m) => n + m.faces.length / 3, 0);
  const texels = scene.textures.reduce((n, t) => n + t.width * t.height, 0);
  const cases = [
    { size: 256, samples: 1 },
    { size: 256, samples: 2 },
    { size: 512, samples: 2 },
  ].filter((c) => !args.cases || args.cases.includes(`${c.size}x${c.samples}`));
  for (const { size, samples } of cases) {
    const camera = studioCameras(size)[0]!.camera;
    const ms = await medianMs(reps, () => renderMeshes({ camera, meshes: scene.meshes, textures: scene.textures, lights, ambient, samples }));
    console.log(JSON.stringify({ case: `${size}x${samples}`, width: size, height: size, samples_per_pixel: samples * samples, triangles, texels, ms_per_image: round(ms) }));
  }
}
