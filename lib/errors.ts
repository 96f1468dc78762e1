/**
 * Typed errors thrown or rejected by ggtalker.
 *
 * Every error extends {@link GgtalkerError} and carries a stable `code`, so callers can
 * branch on `err.code` (or `instanceof`) instead of parsing messages.
 *
 * @module
 */

/**
 * The brand every ggtalker error carries, registered globally (`Symbol.for`) so that a second
 * copy of this module (the package loaded twice through different paths, `lib/` and `dist/`,
 * or two installed versions) recognises the first copy's errors: its value on an error is the
 * list of ggtalker classes the error belongs to, e.g. `['GgtalkerError', 'ValidationError']`.
 */
const ERROR_BRAND = Symbol.for('ggtalker.error');

/** A ggtalker class's name in the brand (own static property of each class in this file). */
const CLASS_BRAND = Symbol.for('ggtalker.errorClass');

type BrandedClass = { [CLASS_BRAND]?: string };

/** The brand names of `ctor` and its ancestors: user subclasses (no own brand) add nothing. */
function brandChain(ctor: unknown): string[] {
  const chain: string[] = [];
  for (let c = ctor as BrandedClass | null; c && c !== Function.prototype; c = Object.getPrototypeOf(c) as BrandedClass | null) {
    if (Object.hasOwn(c, CLASS_BRAND)) chain.unshift(c[CLASS_BRAND]!);
  }
  return chain;
}

/** Base class of every error ggtalker throws or rejects with. */
export class GgtalkerError extends Error {
  /** @internal */
  static readonly [CLASS_BRAND]: string = 'GgtalkerError';

  /**
   * `err instanceof GgtalkerError` (or any subclass below) holds for errors created by any
   * copy of this module, not only this one: the check reads the global brand the constructor
   * set. A user's own subclass (without a brand of its own) keeps the ordinary prototype check.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (Function.prototype[Symbol.hasInstance].call(this, value)) return true;
    if (!Object.hasOwn(this, CLASS_BRAND) || typeof value !== 'object' || value === null) return false;
    const chain = (value as { [ERROR_BRAND]?: unknown })[ERROR_BRAND];
    return Array.isArray(chain) && chain.includes((this as BrandedClass)[CLASS_BRAND]);
  }

  /** A stable, machine-readable identifier of the kind of failure, e.g. `'ERR_GGT_INVALID_ARGUMENT'`. */
  readonly code: string;

  /**
   * An error with a stable `code`.
   *
   * @param message - What went wrong, in the user's terms.
   * @param code - The stable error code.
   * @param options - Standard error options; `cause` is the underlying error, if any.
   */
  constructor(message: string, code: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'GgtalkerError';
    this.code = code;
    Object.defineProperty(this, ERROR_BRAND, { value: brandChain(new.target), enumerable: false });
  }
}

/**
 * An argument supplied by the caller is invalid: wrong type, dtype, shape, range or value.
 * Thrown synchronously, before any native work starts.
 */
export class ValidationError extends GgtalkerError {
  /** @internal */
  static override readonly [CLASS_BRAND]: string = 'ValidationError';

  /**
   * A ValidationError (code `ERR_GGT_INVALID_ARGUMENT`).
   *
   * @param message - Names the argument, what was expected and what was received,
   *   e.g. `expected width to be a positive integer, received 0`.
   * @param options - Standard error options.
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, 'ERR_GGT_INVALID_ARGUMENT', options);
    this.name = 'ValidationError';
  }
}

/** A failure reported by the native (LibTorch) core, e.g. a failed check or out-of-memory. */
export class NativeError extends GgtalkerError {
  /** @internal */
  static override readonly [CLASS_BRAND]: string = 'NativeError';

  /**
   * A NativeError (code `ERR_GGT_NATIVE`).
   *
   * @param message - The native core's explanation.
   * @param options - Standard error options.
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, 'ERR_GGT_NATIVE', options);
    this.name = 'NativeError';
  }
}

/**
 * A data-parallel training run lost its process group: the rendezvous could not be reached or
 * not every rank came, or a rank died or stalled past the timeout during training. The last
 * checkpoint is intact; restarting every rank resumes from it.
 */
export class DistributedError extends NativeError {
  /** @internal */
  static override readonly [CLASS_BRAND]: string = 'DistributedError';

  /**
   * A DistributedError (code `ERR_GGT_DISTRIBUTED`).
   *
   * @param message - Which rank, what it was doing, and what the native layer reported.
   * @param options - Standard error options; `cause` is the NativeError.
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    Object.defineProperty(this, 'code', { value: 'ERR_GGT_DISTRIBUTED' });
    this.name = 'DistributedError';
  }
}

/** Options of {@link AddonLoadError}. */
export interface AddonLoadErrorOptions {
  /** The error raised while loading the addon. */
  cause: unknown;
  /** Remedies that fit the symptom, most likely first (e.g. "run `npm rebuild ggtalker`"). */
  fixes?: readonly string[];
}

/**
 * The native addon could not be loaded (missing binary, ABI mismatch, missing LibTorch or CUDA
 * libraries...). The message lists the {@link AddonLoadError.fixes | fixes} that fit the symptom.
 */
export class AddonLoadError extends GgtalkerError {
  /** @internal */
  static override readonly [CLASS_BRAND]: string = 'AddonLoadError';

  /** Remedies that fit the symptom, most likely first. Also listed in the message. */
  readonly fixes: string[];

  /**
   * An AddonLoadError; its message ends with the fixes.
   *
   * @param message - What failed to load and why.
   * @param options - The underlying `cause` and the suggested `fixes`.
   */
  constructor(message: string, options: AddonLoadErrorOptions) {
    const fixes = [...(options.fixes ?? [])];
    const listed = fixes.length > 0 ? `\nPossible fixes:\n${fixes.map((fix) => `  - ${fix}`).join('\n')}` : '';
    super(message + listed, 'ERR_GGT_ADDON_LOAD', { cause: options.cause });
    this.name = 'AddonLoadError';
    this.fixes = fixes;
  }
}

/**
 * The operation was cancelled through its `AbortSignal`. Like the DOM and Node.js abort errors,
 * its `name` is `'AbortError'` and its `code` is `'ABORT_ERR'`; `cause` holds `signal.reason`.
 */
export class AbortError extends GgtalkerError {
  /** @internal */
  static override readonly [CLASS_BRAND]: string = 'AbortError';

  /**
   * An AbortError (code `ABORT_ERR`, as Node's own).
   *
   * @param message - Defaults to `'The operation was aborted'`.
   * @param options - Standard error options; pass `{ cause: signal.reason }`.
   */
  constructor(message = 'The operation was aborted', options?: ErrorOptions) {
    super(message, 'ABORT_ERR', options);
    this.name = 'AbortError';
  }
}

/** Options of {@link FormatError}. */
export interface FormatErrorOptions extends ErrorOptions {
  /** The file that is malformed, when it came from a file. */
  path?: string;
}

/** A file (PLY, safetensors, dataset, ...) is malformed or of an unsupported variant. */
export class FormatError extends GgtalkerError {
  /** @internal */
  static override readonly [CLASS_BRAND]: string = 'FormatError';

  /** The malformed file, or `undefined` when the data did not come from a file. */
  readonly path: string | undefined;

  /**
   * A FormatError, its message prefixed with the file's path.
   *
   * @param message - What is wrong or missing, and what was expected.
   * @param options - The file's `path` (prefixed to the message) and an optional `cause`.
   */
  constructor(message: string, options?: FormatErrorOptions) {
    const path = options?.path;
    super(path === undefined ? message : `${path}: ${message}`, 'ERR_GGT_FORMAT', options);
    this.name = 'FormatError';
    this.path = path;
  }
}

/** Options of {@link FileSystemError}. */
export interface FileSystemErrorOptions extends ErrorOptions {
  /** The file or folder the operation was on. */
  path: string;
  /** The operating system's error code (`'ENOENT'`, `'EACCES'`, `'EISDIR'`, ...), when there is one. */
  systemCode?: string | undefined;
}

/**
 * A file could not be read or written: missing, not permitted, a folder where a file was
 * expected, disk full... `cause` holds Node's own error; `systemCode` its code (`'ENOENT'`).
 */
export class FileSystemError extends GgtalkerError {
  /** @internal */
  static override readonly [CLASS_BRAND]: string = 'FileSystemError';

  /** The file or folder the operation was on. */
  readonly path: string;
  /** The operating system's error code (`'ENOENT'`, `'EACCES'`, ...), or `undefined`. */
  readonly systemCode: string | undefined;

  /**
   * A FileSystemError (code `ERR_GGT_FILE`), its message prefixed with the path.
   *
   * @param message - What could not be done (the path is prefixed to it).
   * @param options - The `path`, the `systemCode` and Node's error as `cause`.
   */
  constructor(message: string, options: FileSystemErrorOptions) {
    super(`${options.path}: ${message}`, 'ERR_GGT_FILE', options);
    this.name = 'FileSystemError';
    this.path = options.path;
    this.systemCode = options.systemCode;
  }
}
