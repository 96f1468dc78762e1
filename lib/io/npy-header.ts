/**
 * The header of a `.npy` file: a Python dict literal such as
 * `{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }`, read with a small parser of
 * Python literals (never evaluated) and written as numpy writes it.
 *
 * @module
 */

import { formatShape } from '../validate.js';
import { quotedPreview } from './bytes.js';

/** The three fields of a `.npy` header. */
export interface NpyHeader {
  /** The numpy type string, e.g. `'<f8'`. */
  descr: string;
  /** Whether the data is in Fortran (column-major) order. */
  fortranOrder: boolean;
  /** The array's shape. */
  shape: number[];
}

/**
 * Parses the dict literal of a `.npy` header.
 *
 * @param text - The header text (after the magic, version and length fields).
 * @returns The header, or a string saying what is wrong with it.
 */
export function parseNpyHeader(text: string): NpyHeader | string {
  let literal: unknown;
  try {
    literal = new LiteralParser(text).parseAll();
  } catch (error) {
    return `expected a Python dict literal as the header, received ${quotedPreview(text.trim(), 200)} (${(error as Error).message})`;
  }
  if (!(literal instanceof Map)) return `expected a dict as the header, received ${quotedPreview(text.trim(), 200)}`;
  const keys = [...literal.keys()].sort();
  if (keys.join() !== 'descr,fortran_order,shape') {
    return `expected the header keys 'descr', 'fortran_order' and 'shape', received ${keys.map((k) => JSON.stringify(k)).join(', ')}`;
  }
  const descr = literal.get('descr');
  const fortranOrder = literal.get('fortran_order');
  const shape = literal.get('shape');
  if (typeof descr !== 'string') {
    return `expected 'descr' to be a plain type string such as '<f8' (structured arrays are not supported), received ${JSON.stringify(descr)}`;
  }
  if (typeof fortranOrder !== 'boolean') return `expected 'fortran_order' to be True or False, received ${JSON.stringify(fortranOrder)}`;
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    return `expected 'shape' to be a tuple of non-negative integers, received ${JSON.stringify(shape)}`;
  }
  return { descr, fortranOrder, shape: shape as number[] };
}

/**
 * Formats a header dict exactly as numpy does: `{'descr': '<f4', 'fortran_order': False,
 * 'shape': (3,), }` (1-tuples keep their comma).
 *
 * @param header - The fields.
 * @returns The dict literal, without padding or newline.
 */
export function formatNpyHeader(header: NpyHeader): string {
  const shape = header.shape.length === 1 ? `(${header.shape[0]},)` : `(${formatShape(header.shape).slice(1, -1)})`;
  return `{'descr': '${header.descr}', 'fortran_order': ${header.fortranOrder ? 'True' : 'False'}, 'shape': ${shape}, }`;
}

/** How deep header literals may nest. */
const MAX_DEPTH = 32;

/** A bare word of a header: a constant or an integer. */
const WORD = /True|False|None|[+-]?\d+L?/y;

/**
 * A recursive-descent parser of the Python literals numpy headers use: dicts (as `Map`s),
 * tuples and lists (as arrays), quoted strings, integers (Python 2 `L` suffix allowed),
 * `True`, `False` and `None`.
 */
class LiteralParser {
  private pos = 0;
  private depth = 0;

  constructor(private readonly text: string) {}

  parseAll(): unknown {
    const value = this.value();
    this.skipSpace();
    if (this.pos !== this.text.length) throw new Error(`unexpected ${JSON.stringify(this.text[this.pos])} at ${this.pos}`);
    return value;
  }

  private value(): unknown {
    this.skipSpace();
    const c = this.text[this.pos];
    if (c === '{' || c === '(' || c === '[') {
      // A header nests two levels (a dict of a shape tuple): refuse deep nesting before the
      // recursion could exhaust the stack.
      if (++this.depth > MAX_DEPTH) throw new Error(`nested more than ${MAX_DEPTH} levels deep at ${this.pos}`);
      const value = c === '{' ? this.dict() : this.sequence(c === '(' ? ')' : ']');
      this.depth--;
      return value;
    }
    if (c === "'" || c === '"') return this.string(c);
    // Sticky, at the position: slicing the rest of the text per token made long headers quadratic.
    WORD.lastIndex = this.pos;
    const word = WORD.exec(this.text);
    if (word === null) throw new Error(`unexpected ${c === undefined ? 'end' : JSON.stringify(c)} at ${this.pos}`);
    this.pos += word[0].length;
    if (word[0] === 'True') return true;
    if (word[0] === 'False') return false;
    if (word[0] === 'None') return null;
    return Number(word[0].replace('L', ''));
  }

  private dict(): Map<unknown, unknown> {
    const map = new Map<unknown, unknown>();
    this.pos++;
    while (!this.closes('}')) {
      const key = this.value();
      this.expect(':');
      map.set(key, this.value());
      if (this.closes('}')) break;
      this.expect(',');
    }
    return map;
  }

  private sequence(close: string): unknown[] {
    const items: unknown[] = [];
    this.pos++;
    while (!this.closes(close)) {
      items.push(this.value());
      if (this.closes(close)) break;
      this.expect(',');
    }
    return items;
  }

  private string(quote: string): string {
    let out = '';
    for (this.pos++; this.pos < this.text.length; this.pos++) {
      const c = this.text[this.pos]!;
      if (c === quote) {
        this.pos++;
        return out;
      }
      out += c === '\\' ? this.text[++this.pos] ?? '' : c;
    }
    throw new Error('unterminated string');
  }

  /** Consumes `close` when it is next (after spaces). */
  private closes(close: string): boolean {
    this.skipSpace();
    if (this.text[this.pos] !== close) return false;
    this.pos++;
    return true;
  }

  private expect(c: string): void {
    this.skipSpace();
    if (this.text[this.pos] !== c) throw new Error(`expected ${JSON.stringify(c)} at ${this.pos}`);
    this.pos++;
  }

  private skipSpace(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos]!)) this.pos++;
  }
}
