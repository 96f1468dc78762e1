/**
 * Loads the native addon (node-gyp-build: a prebuild for this platform, else `build/Release`)
 * and types its surface. This is the only module that touches the addon directly; a load
 * failure becomes an {@link AddonLoadError} naming the cause and the fixes that fit it.
 *
 * @module
 */

import { createRequire } from 'node:module';
import { relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

import {
  describeTorch,
  installedTorch,
  readManifest,
  torchDifferences,
  type BinaryRef,
  type PrebuildManifest,
  type TorchBuild,
} from '../scripts/prebuild-torch.mjs';
import { AddonLoadError, GgtalkerError, NativeError, ValidationError } from './errors.js';
import type { Camera } from './render/camera.js';
import type { RawMeshRenderOptions } from './synthetic/studio/mesh-render.js';

const require = createRequire(import.meta.url);

/** A plain array crossing the native boundary: contiguous, row-major. */
export interface RawArray {
  /** The elements, row-major. */
  data: Float32Array | Float64Array | Int32Array;
  /** Size of each dimension, outermost first. */
  shape: number[];
}

/** The native `Tensor` handle class (an at::Tensor owned by a JS object). */
export interface NativeTensor {
  /** Size of each dimension, outermost first. */
  readonly shape: number[];
  /** Element type, as LibTorch names it. */
  readonly dtype: 'float32' | 'float64' | 'int32' | 'int64' | 'bool' | string;
  /** Where the tensor lives: `'cpu'` or `'cuda:N'`. */
  readonly device: string;
  /** Whether autograd records operations on it. */
  requiresGrad: boolean;
  /** The gradient accumulated by {@link NativeTensor.backward}, or null. */
  readonly grad: NativeTensor | null;
  /** Copies the elements to JS (from any device). */
  toArray(): RawArray;
  /** A copy on another device. */
  to(device: string): NativeTensor;
  /** The slice at `index` along `dim` (a view sharing memory). */
  select(dim: number, index: number): NativeTensor;
  /** Back-propagates from this tensor (with `grad` as its gradient; none for a scalar). */
  backward(grad?: RawArray | NativeTensor): Promise<void>;
  /** Drops the handle's reference to the tensor now (later uses throw a TypeError). */
  dispose(): void;
  /** Whether dispose() was called. */
  readonly disposed: boolean;
}

/** The native `Tensor` constructor's static side. */
export interface NativeTensorClass {
  fromArray(data: RawArray['data'], shape: number[], options?: { requiresGrad?: boolean; device?: string }): NativeTensor;
  prototype: NativeTensor;
}

/** Camera as the addon receives it (validated beforehand, defaults filled in). */
export type RawCamera = Required<Omit<Camera, 'view'>> & { view: Float32Array };

type RawInput = RawArray | NativeTensor;

/** Options of the addon's `rasterize`. */
export interface RawRasterizeOptions {
  means: RawInput;
  quats: RawInput;
  scales: RawInput;
  opacities: RawInput;
  colors: RawInput;
  camera: RawCamera;
  background: [number, number, number];
  mode: 'classic' | 'antialiased';
  /** Refuse renders binning more (Gaussian, tile) pairs than this (default 2^27). */
  maxTilePairs?: number;
  device?: string;
  outputGrads?: { image?: RawInput; alpha?: RawInput; depth?: RawInput };
  reference?: boolean;
  returnTensors?: boolean;
}

/** What the addon's `rasterize` resolves with (arrays, or handles with `returnTensors`). */
export interface RawRasterizeResult<T> {
  image: T;
  alpha: T;
  depth: T;
  radii: T;
  grads?: { means: T; quats: T; scales: T; opacities: T; colors: T };
}

/**
 * A native operation (op_binding.h): named inputs (nested objects of arrays or Tensor handles)
 * plus `device`, `returnTensors` and `outputGrads` options; resolves with named outputs and,
 * with `outputGrads`, `grads` mirroring the inputs.
 */
export type NativeOp = (options: Record<string, unknown>) => Promise<Record<string, any>>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** What the loaded binary can do. */
export interface Backends {
  /** Always true: every build has the CPU kernels. */
  cpu: boolean;
  /** Whether this binary was built with the CUDA kernels. */
  cuda: boolean;
  /** CUDA devices visible now (0 without CUDA kernels or without a GPU). */
  cudaDevices: number;
  /** Names of the visible CUDA devices, by index (empty without CUDA kernels or without a GPU). */
  cudaDeviceNames: string[];
  /** The LibTorch version the binary was built against. */
  torchVersion: string;
  /** Threads of LibTorch's CPU pool (the CPU kernels run on it). */
  threads: number;
  /** The rasterizer's CPU blending kernels in use: the widest the CPU runs, capped by `GGT_CPU_SIMD`. */
  cpuKernels: 'avx512' | 'avx2' | 'scalar';
  /**
   * The addon's cache of large CPU tensor blocks (>= 256 KiB), reused instead of being handed
   * back to the system and faulted in again (GGT_CPU_CACHE_MB sets the limit; 0 turns it off).
   */
  cpuCache: {
    /** Bytes held for reuse now. */
    cachedBytes: number;
    /** The most bytes the cache holds (default: 1/8 of physical memory, at most 4 GiB). */
    limitBytes: number;
    /** Large allocations served from the cache so far. */
    hits: number;
    /** Large allocations that needed fresh memory so far. */
    misses: number;
  };
}

/** The addon's exports. */
export interface NativeAddon {
  backends(): Backends;
  setNumThreads(threads: number): void;
  rasterize(options: RawRasterizeOptions & { returnTensors: true }): Promise<RawRasterizeResult<NativeTensor>>;
  rasterize(options: RawRasterizeOptions): Promise<RawRasterizeResult<RawArray>>;
  benchScene(name: 'head' | 'scene' | 'small', seed?: number): BenchSceneData;
  /**
   * Milliseconds of each stage of the most recent CPU render and its backward (benchmarks),
   * and that render's (tile, Gaussian) pairs: in the tile rectangles, and in the tile lists.
   */
  rasterizerStageTimes(): {
    checks: number;
    project: number;
    sort: number;
    blend: number;
    backwardBlend: number;
    backwardProject: number;
    forwardTotal: number;
    rectTilePairs: number;
    tilePairs: number;
  };
  /**
   * The CPU kernels' lane maths on x, for tests: the projection's log (`'log'`) or the blending
   * exp (`'exp'`) of one lane set; null when this CPU or build lacks the variant.
   */
  laneMath(op: 'log' | 'exp', variant: 'scalar' | 'avx2' | 'avx512', x: Float32Array): Float32Array | null;
  flameForward: NativeOp;
  triangleFrames: NativeOp;
  rigGaussians: NativeOp;
  uvLayout: NativeOp;
  sampleUvGaussians: NativeOp;
  renderHead: NativeOp;
  logMel: NativeOp;
  diffusionSchedule: NativeOp;
  diffusionStep: NativeOp;
  wav2vec2Features: NativeOp;
  a2eInit: NativeOp;
  a2eForward: NativeOp;
  a2eLoss: NativeOp;
  a2eTrain: NativeOp;
  a2eEval: NativeOp;
  a2eSample: NativeOp;
  avatarNetInit: NativeOp;
  avatarGenerate: NativeOp;
  avatarNetForward: NativeOp;
  imageLosses: NativeOp;
  avatarRender: NativeOp;
  avatarTrain: NativeOp;
  meshRender(options: RawMeshRenderOptions): Promise<Record<'image' | 'coverage' | 'depth', RawArray>>;
  /** {a?, b? [B, 3, H, W], weights, network: 'alex' | 'vgg', device?} -> {distance [B]} (no images: checks the weights). */
  lpipsDistance: NativeOp;
  A2EScriptModel: new (path: string) => NativeScriptModel;
  /** A data-parallel process group (c10d TCPStore + Gloo); see lib/distributed/. */
  DistGroup: new () => NativeDistGroup;
  /** Whether this build has data-parallel training (c10d's Gloo backend). */
  distributedAvailable(): boolean;
  AbortFlag: new () => NativeAbortFlag;
  Tensor: NativeTensorClass;
}

/** A flag native loops poll to stop early (see native-abort.ts). */
export interface NativeAbortFlag {
  abort(): void;
  readonly aborted: boolean;
}

/** The addon's process group handle (native/addon/dist_binding.h). */
export interface NativeDistGroup {
  join(options: { masterAddr: string; masterPort: number; rank: number; worldSize: number; timeoutMs: number; abort?: NativeAbortFlag }): Promise<void>;
  exchange(key: string, value: string): Promise<{ values: Record<string, RawArray> }>;
  broadcast(params: Record<string, NativeTensor>, root?: number): Promise<void>;
  close(): void;
}

/** A TorchScript Audio-Expression network loaded by the addon. */
export interface NativeScriptModel {
  parameterNames(): string[];
}

/** A seeded benchmark scene (DESIGN.md §8) as the addon returns it. */
export interface BenchSceneData {
  means: RawArray;
  quats: RawArray;
  scales: RawArray;
  opacities: RawArray;
  colors: RawArray;
  camera: Omit<RawCamera, 'view'> & { view: number[] };
}

/** The package root: `lib/..` from sources, `dist/..` once compiled. */
const packageRoot = fileURLToPath(new URL('..', import.meta.url));

let addon: NativeAddon | undefined;
let loadedFrom: BinaryRef | undefined;

/**
 * The loaded addon (loaded once per process, ~1 s and ~160 MB with LibTorch).
 *
 * @throws {@link AddonLoadError} when no binary fits or it cannot be loaded.
 */
export function native(): NativeAddon {
  if (addon) return addon;
  let path: string;
  try {
    path = (require('node-gyp-build') as { resolve(dir: string): string }).resolve(packageRoot);
  } catch (cause) {
    throw explainLoadFailure(cause);
  }
  const binary = binaryKind(path, packageRoot);
  let loaded: NativeAddon;
  try {
    loaded = require(path) as NativeAddon;
  } catch (cause) {
    throw explainLoadFailure(cause, loadFailureContext(binary));
  }
  addon = guardAddon(checkAddonSurface(loaded));
  loadedFrom = binary;
  return addon;
}

/**
 * Which binary {@link native} loaded: its path and whether it is a prebuild shipped in
 * `prebuilds/` or a local build (`build/Release`, compiled on this machine). Loads the addon.
 */
export function loadedBinary(): BinaryRef {
  native();
  return loadedFrom!;
}

/** A binary node-gyp-build resolved under `root`: a prebuild when it lies in `root/prebuilds/`. */
export function binaryKind(path: string, root: string): BinaryRef {
  return { path, kind: relative(root, path).startsWith(`prebuilds${sep}`) ? 'prebuild' : 'local build' };
}

/** What {@link explainLoadFailure} can say about a prebuild beyond the error text. */
export interface LoadFailureContext {
  binary?: BinaryRef;
  /** The prebuild's manifest: which LibTorch it was built for. */
  manifest?: PrebuildManifest | null;
  /** The LibTorch installed here (scripts/torch-config.cjs's finding), or null. */
  installed?: TorchBuild | null;
}

/**
 * For a prebuild that failed to load: its manifest and the installed LibTorch (a few child
 * processes, so only on this failure path).
 */
function loadFailureContext(binary: BinaryRef): LoadFailureContext {
  if (binary.kind !== 'prebuild') return { binary };
  const manifest = readManifest(packageRoot);
  return { binary, manifest, installed: manifest ? installedTorch({ root: packageRoot }) : null };
}

/**
 * What the addon threw or rejected with, as a GgtalkerError: a TypeError or RangeError (an
 * argument the bindings could not convert) becomes a ValidationError, anything else (a failed
 * TORCH_CHECK, code ERR_GGT_NATIVE; out of memory) a NativeError; `cause` keeps the original.
 */
export function toGgtalkerError(error: unknown): GgtalkerError {
  if (error instanceof GgtalkerError) return error;
  if (error instanceof TypeError || error instanceof RangeError) return new ValidationError(error.message, { cause: error });
  if (error instanceof Error) return new NativeError(error.message, { cause: error });
  return new NativeError(String(error), { cause: error });
}

/** The addon's classes (constructed with `new`, static methods); every other export is a function. */
const NATIVE_CLASSES = new Set<string>(['Tensor', 'AbortFlag', 'A2EScriptModel', 'DistGroup']);

/**
 * The addon with every export guarded so that nothing untyped escapes it, whichever way a
 * caller calls it: a binding can throw synchronously while a call's argument is still being
 * built (`awaitNative(native().op({...}), signal)` never sees that throw), so the conversion
 * happens here, once, rather than at each call site. Functions: synchronous throws and
 * Promise rejections converted by {@link toGgtalkerError}. Classes: `new` and static methods
 * likewise (the native prototype is shared, so `instanceof` holds).
 */
export function guardAddon(loaded: NativeAddon): NativeAddon {
  const guarded: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(loaded as unknown as Record<string, unknown>)) {
    if (typeof value !== 'function') guarded[name] = value;
    else if (NATIVE_CLASSES.has(name)) guarded[name] = guardClass(value as new (...args: unknown[]) => object);
    else guarded[name] = guardFunction(value as (...args: unknown[]) => unknown, loaded);
  }
  return guarded as unknown as NativeAddon;
}

function guardFunction(fn: (...args: unknown[]) => unknown, self: unknown): (...args: unknown[]) => unknown {
  return function guardedNative(...args: unknown[]): unknown {
    let result: unknown;
    try {
      result = fn.apply(self, args);
    } catch (error) {
      throw toGgtalkerError(error);
    }
    if (result instanceof Promise) {
      return result.catch((error: unknown) => {
        throw toGgtalkerError(error);
      });
    }
    return result;
  };
}

function guardClass(cls: new (...args: unknown[]) => object): unknown {
  // A plain constructor function that builds the native object (returning an object from a
  // constructor makes `new` yield it) and shares the native prototype, so `instanceof` holds.
  // Not a Proxy: the native static methods are non-configurable, so a Proxy may not replace them.
  const guarded = function (...args: unknown[]): object {
    try {
      return Reflect.construct(cls, args);
    } catch (error) {
      throw toGgtalkerError(error);
    }
  } as unknown as Record<string, unknown> & { prototype: object };
  guarded.prototype = cls.prototype;
  Object.defineProperty(guarded, 'name', { value: cls.name });
  for (const key of Object.getOwnPropertyNames(cls)) {
    if (['prototype', 'length', 'name', 'caller', 'arguments'].includes(key)) continue;
    const value = (cls as unknown as Record<string, unknown>)[key];
    guarded[key] = typeof value === 'function' ? guardFunction(value as (...args: unknown[]) => unknown, cls) : value;
  }
  return guarded;
}

/**
 * Returns `loaded` when it has every function this version calls.
 *
 * @throws {@link AddonLoadError} for a stale binary (an old build or prebuild left behind).
 */
export function checkAddonSurface(loaded: unknown): NativeAddon {
  const record = (loaded ?? {}) as Record<string, unknown>;
  const missing = REQUIRED_EXPORTS.filter((name) => typeof record[name] !== 'function');
  if (missing.length > 0) {
    throw new AddonLoadError(
      `the ggtalker native addon that was loaded is older than this version of ggtalker (it lacks ${missing.join(', ')})`,
      { cause: undefined, fixes: ['rebuild it: `npm rebuild ggtalker` (or `npm run build:native` in a checkout)', 'remove stale files in prebuilds/ and build/'] },
    );
  }
  return loaded as NativeAddon;
}

/** What this version of the TypeScript layer calls; a binary without one of them is stale. */
const REQUIRED_EXPORTS = [
  'backends',
  'setNumThreads',
  'rasterize',
  'benchScene',
  'rasterizerStageTimes',
  'laneMath',
  'flameForward',
  'triangleFrames',
  'rigGaussians',
  'uvLayout',
  'sampleUvGaussians',
  'renderHead',
  'logMel',
  'diffusionSchedule',
  'diffusionStep',
  'wav2vec2Features',
  'a2eInit',
  'a2eForward',
  'a2eLoss',
  'a2eTrain',
  'a2eEval',
  'a2eSample',
  'avatarNetInit',
  'avatarGenerate',
  'avatarNetForward',
  'imageLosses',
  'avatarRender',
  'avatarTrain',
  'lpipsDistance',
  'meshRender',
  'A2EScriptModel',
  'DistGroup',
  'distributedAvailable',
  'AbortFlag',
  'Tensor',
] as const satisfies readonly (keyof NativeAddon)[];

/**
 * Turns a failure of `require(addon)` into an AddonLoadError with the fixes that fit. With a
 * prebuild whose manifest names another LibTorch than the installed one, that mismatch is the
 * explanation (it is what an `undefined symbol` or a missing `libtorch_cpu.so.X` comes from).
 */
export function explainLoadFailure(cause: unknown, context: LoadFailureContext = {}): AddonLoadError {
  const text = cause instanceof Error ? cause.message : String(cause);
  const rebuild = 'rebuild from source: `npm rebuild ggtalker` (or `npm run build:native` in a checkout)';
  const { binary, manifest, installed } = context;
  // CUDA is left out: a CPU-only prebuild loads fine next to a CUDA LibTorch.
  if (binary?.kind === 'prebuild' && manifest && installed && torchDifferences(manifest.torch, { ...installed, cuda: null }).length > 0) {
    return new AddonLoadError(
      `ggtalker's prebuilt addon (${binary.path}) was built for LibTorch ${describeTorch(manifest.torch)}, ` +
        `but the LibTorch installed here is ${describeTorch(installed)}`,
      {
        cause,
        fixes: [
          'build it for the installed LibTorch: `npm rebuild ggtalker`',
          'or reinstall with a build from source: `GGTALKER_BUILD_FROM_SOURCE=1 npm install ggtalker`',
          `or install LibTorch ${manifest.torch.version}, which the prebuild was made for`,
        ],
      },
    );
  }
  const installTorch =
    "install LibTorch: `sudo apt-get install --no-install-recommends libtorch-dev libopenblas0-openmp` on Debian/Ubuntu, or set LIBTORCH to an unpacked libtorch folder, then rebuild";
  const missingLib = /(lib[\w+.-]+\.so[\w.]*): cannot open shared object file/.exec(text);
  if (/No native build was found/i.test(text)) {
    return new AddonLoadError(`ggtalker's native addon is not built for this platform (${process.platform}-${process.arch}, Node ${process.versions.node})`, {
      cause,
      fixes: [rebuild, installTorch],
    });
  }
  if (missingLib && /torch|c10|gomp|openblas|blas/.test(missingLib[1]!)) {
    return new AddonLoadError(`ggtalker's native addon needs LibTorch, but ${missingLib[1]} could not be found`, {
      cause,
      fixes: [
        installTorch,
        'if LibTorch is installed somewhere else, add its lib folder to LD_LIBRARY_PATH',
      ],
    });
  }
  if (missingLib && /cud|nv/.test(missingLib[1]!)) {
    return new AddonLoadError(`ggtalker's native addon was built with CUDA, but ${missingLib[1]} could not be found`, {
      cause,
      fixes: ['install the CUDA runtime that matches your LibTorch, or add it to LD_LIBRARY_PATH', `or ${rebuild} without CUDA`],
    });
  }
  if (missingLib) {
    return new AddonLoadError(`ggtalker's native addon needs ${missingLib[1]}, which could not be found`, {
      cause,
      fixes: [`install the package that provides ${missingLib[1]}`, rebuild],
    });
  }
  if (/NODE_MODULE_VERSION|different Node\.js version|invalid ELF header|wrong ELF class/i.test(text)) {
    return new AddonLoadError('ggtalker\'s native addon was built for another Node.js version or platform', {
      cause,
      fixes: [rebuild],
    });
  }
  if (/undefined symbol/i.test(text)) {
    return new AddonLoadError(
      "ggtalker's native addon does not match the LibTorch found at run time (built against another version)",
      { cause, fixes: [rebuild, 'make sure only one LibTorch is on LD_LIBRARY_PATH'] },
    );
  }
  return new AddonLoadError(`ggtalker's native addon could not be loaded: ${text}`, { cause, fixes: [rebuild, installTorch] });
}
