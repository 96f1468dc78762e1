/**
 * Wavefront `.obj` triangle meshes: vertex positions (`v`), texture coordinates (`vt`) and
 * triangles (`f`), as FLAME's `head_template_mesh.obj` holds its UV layout and as pytorch3d's
 * `load_obj` reads it (`verts`, `aux.verts_uvs`, `faces.verts_idx`, `faces.textures_idx`).
 *
 * Read: `v x y z` (a 4th `w` or vertex colours after xyz are ignored), `vt u v` (an optional
 * `w` ignored), `vn` (counted, for checking normal indices), and `f` with three corners of the
 * forms `v`, `v/vt`, `v/vt/vn` or `v//vn`; indices are 1-based, negative ones count back from
 * the last element defined so far, and every index must refer to an element defined earlier
 * in the file. Comments (`#`), blank lines and the grouping, material and display statements
 * (`o`, `g`, `s`, `mg`, `mtllib`, `usemtl`, `usemap`, `maplib`, `lod`, `bevel`, `c_interp`,
 * `d_interp`, `shadow_obj`, `trace_obj`) are ignored, as are the point and line elements `p`
 * and `l` and parameter-space vertices `vp`. Refused, with the file and line named: polygons
 * of more than 3 corners (triangulate first), faces that mix corners with and without texture
 * coordinates, a file whose faces do so from one face to the next, free-form geometry and any
 * other statement.
 *
 * Time is linear in the file's size; memory is the file plus the arrays (grown by doubling).
 *
 * @module
 */

import { requirePath } from '../arguments.js';
import { FormatError } from '../errors.js';
import { latin1, requireParseArguments } from './bytes.js';
import { readRegularFile } from './read-file.js';

/** A triangle mesh read from an `.obj` file. Indices are 0-based. */
export interface ObjMesh {
  /** Vertex positions, [V, 3]. */
  positions: Float32Array;
  /** Texture coordinates, [VT, 2] (u right, v up, as the file has them). */
  uvs: Float32Array;
  /** Triangles as vertex indices, [F, 3]. */
  faces: Int32Array;
  /**
   * Triangles as texture-coordinate indices, [F, 3], when the faces have them (`v/vt` or
   * `v/vt/vn` corners); `undefined` when they have none.
   */
  faceUvs: Int32Array | undefined;
}

/**
 * Parses an `.obj` triangle mesh (see the module documentation for what is read).
 *
 * @param bytes - The file's contents (ASCII; other bytes may appear in comments).
 * @param path - The file it came from, for messages.
 * @returns The mesh.
 * @throws {@link FormatError} naming the file and line of a malformed number or index, an
 *   index to an element not defined before it, a polygon of more than 3 corners, mixed
 *   corner forms, or an unsupported statement.
 *
 * @example
 * ```ts
 * const mesh = parseObj(await readFile('head_template_mesh.obj'), 'head_template_mesh.obj');
 * mesh.faces.length / 3; // 9976 for FLAME
 * ```
 */
export function parseObj(bytes: Uint8Array, path?: string): ObjMesh {
  requireParseArguments('parseObj', bytes, path, 'readObj(path)');
  return new ObjReader(path).read(latin1(bytes));
}

/**
 * Reads an `.obj` triangle mesh.
 *
 * @param path - The file.
 * @returns The mesh, as {@link parseObj} returns it.
 * @throws {@link FormatError} as {@link parseObj} does, and for a path that is not a regular file;
 *   `FileSystemError` when it cannot be read.
 */
export async function readObj(path: string): Promise<ObjMesh> {
  requirePath('readObj', path);
  return parseObj(await readRegularFile(path, { what: 'the .obj file' }), path);
}

// ---------------------------------------------------------------------------------------------
// Internals

/** Statements that carry nothing a triangle mesh needs. */
const IGNORED = new Set([
  'o', 'g', 's', 'mg', 'mtllib', 'usemtl', 'usemap', 'maplib', 'lod', 'bevel', 'c_interp', 'd_interp',
  'shadow_obj', 'trace_obj', 'vp', 'p', 'l',
]);

// Unambiguous: fraction digits only after a '.' (`\d+\.?\d*` backtracked through every split of
// a long run of digits that failed at its end: quadratic in the token's length).
const FLOAT = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const INTEGER = /^[+-]?\d+$/;
const SPACE = /[ \t\f\v]+/;

/** A typed array that grows by doubling. */
class Growable<T extends Float32Array | Int32Array> {
  length = 0;
  constructor(
    private data: T,
    private readonly make: (size: number) => T,
  ) {}

  push3(a: number, b: number, c: number): void {
    this.reserve(3);
    this.data[this.length++] = a;
    this.data[this.length++] = b;
    this.data[this.length++] = c;
  }

  push2(a: number, b: number): void {
    this.reserve(2);
    this.data[this.length++] = a;
    this.data[this.length++] = b;
  }

  /** The values, in an array of exactly their length. */
  finish(): T {
    return this.data.slice(0, this.length) as T;
  }

  private reserve(extra: number): void {
    if (this.length + extra <= this.data.length) return;
    const grown = this.make(Math.max(2 * this.data.length, this.length + extra, 64));
    grown.set(this.data.subarray(0, this.length));
    this.data = grown;
  }
}

class ObjReader {
  private readonly positions = new Growable(new Float32Array(0), (n) => new Float32Array(n));
  private readonly uvs = new Growable(new Float32Array(0), (n) => new Float32Array(n));
  private readonly faces = new Growable(new Int32Array(0), (n) => new Int32Array(n));
  private readonly faceUvs = new Growable(new Int32Array(0), (n) => new Int32Array(n));
  private normalCount = 0;
  /** Whether the faces have texture coordinates, and the line of the first face, once known. */
  private facesHaveUvs: { has: boolean; line: number } | undefined;
  private line = 0;

  constructor(private readonly path: string | undefined) {}

  read(text: string): ObjMesh {
    let start = 0;
    while (start < text.length) {
      let end = text.indexOf('\n', start);
      if (end < 0) end = text.length;
      this.line++;
      this.statement(text.slice(start, end));
      start = end + 1;
    }
    return {
      positions: this.positions.finish(),
      uvs: this.uvs.finish(),
      faces: this.faces.finish(),
      faceUvs: this.facesHaveUvs?.has === true ? this.faceUvs.finish() : undefined,
    };
  }

  private statement(raw: string): void {
    const hash = raw.indexOf('#');
    const content = (hash >= 0 ? raw.slice(0, hash) : raw).trim();
    if (content === '') return;
    const tokens = content.split(SPACE);
    const keyword = tokens[0]!;
    switch (keyword) {
      case 'v':
        this.requireCount(tokens, 3, 'v x y z');
        this.positions.push3(this.float(tokens[1]!), this.float(tokens[2]!), this.float(tokens[3]!));
        return;
      case 'vt':
        this.requireCount(tokens, 2, 'vt u v');
        this.uvs.push2(this.float(tokens[1]!), this.float(tokens[2]!));
        return;
      case 'vn':
        this.requireCount(tokens, 3, 'vn x y z');
        for (let i = 1; i <= 3; i++) this.float(tokens[i]!);
        this.normalCount++;
        return;
      case 'f':
        this.face(tokens);
        return;
      default:
        if (IGNORED.has(keyword)) return;
        this.fail(`unsupported statement ${JSON.stringify(keyword)}: only v, vt, vn and triangle faces (f) are read`);
    }
  }

  private face(tokens: readonly string[]): void {
    const corners = tokens.length - 1;
    if (corners > 3) {
      this.fail(`a face of ${corners} corners: only triangles are read (FLAME's meshes are all triangles); triangulate the mesh first`);
    }
    if (corners < 3) this.fail(`expected a face of 3 corners, received ${corners}`);
    let withUv = 0;
    const v = [0, 0, 0];
    const t = [0, 0, 0];
    for (let c = 0; c < 3; c++) {
      const token = tokens[c + 1]!;
      const parts = token.split('/');
      if (parts.length > 3 || parts[0] === '' || parts[parts.length - 1] === '') {
        this.fail(`malformed face corner ${JSON.stringify(token)}: expected v, v/vt, v/vt/vn or v//vn`);
      }
      v[c] = this.index(parts[0]!, this.positions.length / 3, 'vertex', token);
      if (parts.length >= 2 && parts[1] !== '') {
        t[c] = this.index(parts[1]!, this.uvs.length / 2, 'texture coordinate', token);
        withUv++;
      }
      if (parts.length === 3) this.index(parts[2]!, this.normalCount, 'normal', token);
    }
    if (withUv !== 0 && withUv !== 3) this.fail('a face whose corners mix with and without texture coordinates');
    const has = withUv === 3;
    if (this.facesHaveUvs === undefined) this.facesHaveUvs = { has, line: this.line };
    else if (this.facesHaveUvs.has !== has) {
      this.fail(
        `a face ${has ? 'with' : 'without'} texture coordinates, while the first face (line ${this.facesHaveUvs.line}) ` +
          `has ${has ? 'none' : 'them'}: expected all faces to have them or none`,
      );
    }
    this.faces.push3(v[0]!, v[1]!, v[2]!);
    if (has) this.faceUvs.push3(t[0]!, t[1]!, t[2]!);
  }

  /** A 1-based or negative (relative) index as a 0-based one, checked against the elements so far. */
  private index(text: string, count: number, what: string, token: string): number {
    if (!INTEGER.test(text)) this.fail(`malformed ${what} index ${JSON.stringify(text)} in face corner ${JSON.stringify(token)}`);
    const value = Number(text);
    const index = value < 0 ? count + value : value - 1;
    if (value === 0 || !(index >= 0 && index < count)) {
      this.fail(`${what} index ${text} in face corner ${JSON.stringify(token)} refers to no ${what} defined before it (${count} so far)`);
    }
    return index;
  }

  private float(text: string): number {
    const value = Number(text);
    if (!FLOAT.test(text) || !Number.isFinite(Math.fround(value))) this.fail(`expected a finite float32 number, received ${JSON.stringify(text)}`);
    return value;
  }

  private requireCount(tokens: readonly string[], count: number, form: string): void {
    if (tokens.length - 1 < count) this.fail(`expected "${form}", received ${tokens.length - 1} value${tokens.length === 2 ? '' : 's'}`);
  }

  private fail(message: string): never {
    throw new FormatError(`line ${this.line}: ${message}`, { path: this.path });
  }
}
