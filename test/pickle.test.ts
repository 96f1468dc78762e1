import { existsSync, readFileSync, rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { NdArrayData } from '../lib/io/ndarray-data.js';
import { unpickle } from '../lib/io/pickle.js';
import type { SparseMatrixData } from '../lib/io/sparse-matrix.js';
import { expectValues, expected, fixture, runPython } from './helpers/array-fixtures.js';
import { formatMessage, thrownMessage } from './helpers/errors.js';
import { ValidationError } from '../lib/errors.js';

/** Builds pickle bytes from Latin-1 strings (opcodes and text) and byte lists. */
function pk(...parts: (string | number[])[]): Uint8Array {
  return Uint8Array.from(parts.flatMap((part) => (typeof part === 'string' ? [...part].map((c) => c.charCodeAt(0)) : part)));
}


function load(name: string): Map<unknown, unknown> {
  const value = unpickle(readFileSync(fixture(name)), fixture(name));
  expect(value).toBeInstanceOf(Map);
  return value as Map<unknown, unknown>;
}

/** Dense row-major values of a sparse matrix, computed here independently of the library. */
function densify(m: SparseMatrixData): number[] {
  const [rows, cols] = m.shape;
  const out = new Array<number>(rows * cols).fill(0);
  const major = m.format === 'csc' ? cols : rows;
  for (let j = 0; j < major; j++) {
    for (let k = m.indptr[j]!; k < m.indptr[j + 1]!; k++) {
      const i = m.indices[k]!;
      out[m.format === 'csc' ? i * cols + j : j * cols + i] += m.data[k]!;
    }
  }
  return out;
}

describe('unpickle: FLAME-format model pickles', () => {
  for (const name of ['model.pkl', 'model_protocol4.pkl']) {
    it(`reads ${name} (chumpy Ch, scipy csc_matrix, numpy arrays) with the values numpy wrote`, () => {
      const model = load(name);
      const m = expected.model;
      const array = (key: string): NdArrayData => model.get(key) as NdArrayData;
      for (const key of ['v_template', 'shapedirs', 'posedirs', 'weights', 'vt', 'lmk_b_coords']) {
        expect(array(key).dtype, key).toBe('float64');
        expectValues(array(key).data, m[key]!, key);
      }
      expect(array('v_template').shape).toEqual([m.vertexCount, 3]);
      expect(array('shapedirs').shape).toEqual([m.vertexCount, 3, m.shapeCount + m.exprCount]);
      expect(array('f').dtype).toBe('uint32');
      expectValues(array('f').data, m.f!, 'f');
      expect(array('kintree_table')).toEqual({
        dtype: 'int64',
        shape: [2, 5],
        data: BigInt64Array.from([4294967295n, 0n, 1n, 1n, 1n, 0n, 1n, 2n, 3n, 4n]),
      });
      const j = model.get('J_regressor') as SparseMatrixData;
      expect(j.format).toBe('csc');
      expect(j.shape).toEqual([5, m.vertexCount]);
      expect(densify(j)).toEqual(m.J_regressor);
      // Python 2 str values (and keys) come back as strings.
      expect(model.get('bs_style')).toBe('lbs');
      expect(model.get('bs_type')).toBe('lrotmin');
    });
  }
});

describe('unpickle: every supported value, in every protocol', () => {
  const files = ['arrays_py2.pkl', 'arrays_protocol0.pkl', 'arrays_protocol2.pkl', 'arrays_protocol5.pkl'];
  for (const name of files) {
    describe(name, () => {
      const value = load(name);
      const array = (key: string): NdArrayData => value.get(key) as NdArrayData;

      it('reads numpy arrays of every dtype, converting Fortran order and big-endian data', () => {
        const dtypes: Record<string, string> = {
          f8_fortran: 'float64', f4_big: 'float32', i8_big: 'int64', u4_fortran: 'uint32', i2: 'int16',
          u1: 'uint8', b1: 'bool', f2: 'float32', zero_d: 'float64', empty: 'float32', shared_a: 'int32', ch: 'float64',
        };
        for (const [key, dtype] of Object.entries(dtypes)) {
          const a = array(key);
          expect(a.dtype, key).toBe(dtype);
          expect(a.shape, key).toEqual(expected.arrays[key]!.shape);
          expectValues(a.data, expected.arrays[key]!.data, key);
        }
      });

      it('keeps one object for an array the pickle shares through its memo', () => {
        expect(array('shared_b')).toBe(array('shared_a'));
      });

      it('reads scipy CSR matrices', () => {
        const csr = value.get('csr') as SparseMatrixData;
        const e = expected.arrays.csr!;
        expect(csr.format).toBe('csr');
        expect(csr.shape).toEqual(e.shape);
        expect(Array.from(csr.data)).toEqual(e.data);
        expect(Array.from(csr.indices)).toEqual(e.indices);
        expect(Array.from(csr.indptr)).toEqual(e.indptr);
      });

      it('reads Python values: ints, big ints, floats, None, bools, text, tuples, lists, sets, dicts', () => {
        expect(value.get('int')).toBe(7);
        expect(value.get('negative')).toBe(-123456);
        expect(value.get('big')).toBe(2n ** 70n);
        expect(value.get('float')).toBe(1.5);
        expect(value.get('none')).toBeNull();
        expect(value.get('flags')).toEqual([true, false]);
        expect(value.get('text')).toBe('h\u00e9llo \u2603');
        expect(value.get('tuple')).toEqual([1, 2, 3]);
        expect(value.get('list')).toEqual([1, [2, 3.5], 'x']);
        expect(value.get('set')).toEqual(new Set([4, 5]));
        expect(value.get('frozenset')).toEqual(new Set([6]));
        expect([...(value.get('odict') as Map<unknown, unknown>)]).toEqual([['b', 1], ['a', 2]]);
        expect(value.get('int_keys')).toEqual(new Map([[1, 'one'], [2, 'two']]));
        expect(value.get('np_f8')).toBe(2.5);
        expect(value.get('np_i4')).toBe(-7);
      });

      it('reads bytes (Python 2 str as Latin-1 text, as pickle.load(encoding="latin1") does)', () => {
        if (name === 'arrays_py2.pkl') expect(value.get('bytes')).toBe('\x00\xffab');
        else expect(value.get('bytes')).toEqual(Uint8Array.from([0, 255, 97, 98]));
      });
    });
  }
});

describe('unpickle: hostile pickles', () => {
  const markers = ['/tmp/ggtalker_pwned_system', '/tmp/ggtalker_pwned_eval'];

  it.each([
    ['evil_system.pkl', 'posix.system', markers[0]!],
    ['evil_eval.pkl', 'builtins.eval', markers[1]!],
  ])('refuses %s, naming %s, and runs nothing', (name, qualified, marker) => {
    rmSync(marker, { force: true });
    const message = formatMessage(() => unpickle(readFileSync(fixture(name)), fixture(name)));
    expect(message).toBe(
      `${fixture(name)}: refusing to load ${qualified}: pickles can run code; only numpy, scipy.sparse and chumpy data are accepted`,
    );
    expect(existsSync(marker)).toBe(false);
  });

  it('refuses a forbidden GLOBAL as soon as it is read, before any later opcode', () => {
    // GLOBAL os.system, then an invalid opcode that would otherwise be reported.
    expect(formatMessage(() => unpickle(pk('\x80\x02cos\nsystem\n\xff.')))).toMatch(/^refusing to load os\.system: pickles can run code/);
    // Naming it is enough to be refused: no REDUCE needed.
    expect(formatMessage(() => unpickle(pk('cos\nsystem\n.')))).toMatch(/refusing to load os\.system/);
  });

  it('refuses forbidden classes named by STACK_GLOBAL and INST', () => {
    const stackGlobal = pk('\x80\x04\x8c\x0asubprocess\x8c\x05Popen\x93.');
    expect(formatMessage(() => unpickle(stackGlobal))).toMatch(/refusing to load subprocess\.Popen/);
    const inst = pk('(S\'touch /tmp/ggtalker_pwned_inst\'\nios\nsystem\n.');
    expect(formatMessage(() => unpickle(inst))).toMatch(/refusing to load os\.system/);
    expect(existsSync('/tmp/ggtalker_pwned_inst')).toBe(false);
  });

  it('refuses look-alike names outside the allow-list', () => {
    for (const [module, name] of [['numpy', 'load'], ['numpy.core.multiarray', 'system'], ['chumpy.ch', 'ChLambda'], ['builtins', 'getattr']]) {
      expect(formatMessage(() => unpickle(pk(`c${module}\n${name}\n.`)))).toContain(`refusing to load ${module}.${name}`);
    }
  });

  it('lets allowed callables build data only', () => {
    // _codecs.encode with another codec than latin1.
    const rot13 = pk('\x80\x02c_codecs\nencode\nX\x03\x00\x00\x00abcX\x05\x00\x00\x00rot13\x86R.');
    expect(formatMessage(() => unpickle(rot13))).toMatch(/expected _codecs\.encode to encode as latin1.*rot13.*\(REDUCE at byte 37\)/);
    // copyreg._reconstructor with a base other than object.
    const reconstructor = pk('\x80\x02ccopy_reg\n_reconstructor\ncchumpy.ch\nCh\nc__builtin__\nset\nN\x87R.');
    expect(formatMessage(() => unpickle(reconstructor))).toMatch(/copy_reg\._reconstructor to create chumpy\.ch\.Ch from object/);
    // BUILD on something that is not an object awaiting its state.
    expect(formatMessage(() => unpickle(pk('\x80\x02]}b.')))).toMatch(/BUILD cannot set the state of a tuple\/list of 0 \(BUILD at byte 4\)/);
    // REDUCE on a value that is not a class or function.
    expect(formatMessage(() => unpickle(pk('\x80\x02N)R.')))).toMatch(/expected REDUCE to call a class or function, received None/);
  });

  it('refuses persistent ids, the extension registry and out-of-band buffers', () => {
    expect(formatMessage(() => unpickle(pk('\x80\x02N\x51.')))).toMatch(/persistent ids are not supported.*PyTorch/);
    expect(formatMessage(() => unpickle(pk('\x80\x02\x82\x01.')))).toMatch(/extension registry/);
    expect(formatMessage(() => unpickle(pk('\x80\x05\x97.')))).toMatch(/out-of-band buffers/);
  });
});

describe('unpickle: malformed pickles', () => {
  it('reports a truncated file with the offset of the opcode that runs out', () => {
    const message = formatMessage(() => unpickle(readFileSync(fixture('truncated.pkl')), fixture('truncated.pkl')));
    expect(message).toMatch(/^.*truncated\.pkl: truncated pickle: the BINSTRING opcode at byte \d+ needs \d+ bytes, only \d+ remain$/);
  });

  it('reports a pickle without STOP', () => {
    expect(formatMessage(() => unpickle(pk('\x80\x02K\x01')))).toBe('truncated pickle: it ends at byte 4 without a STOP opcode');
  });

  it('reports an unknown opcode with its byte offset', () => {
    expect(formatMessage(() => unpickle(pk('\x80\x02K\x01\xff.'), 'x.pkl'))).toBe('x.pkl: malformed pickle: unknown opcode 0xff at byte 4');
  });

  it('reports stack underflow, a missing MARK and an unknown memo entry with their offsets', () => {
    expect(formatMessage(() => unpickle(pk('\x80\x02R.')))).toMatch(/stack underflow.*\(REDUCE at byte 2\)/);
    expect(formatMessage(() => unpickle(pk('\x80\x02K\x01t.')))).toMatch(/no MARK on the stack \(TUPLE at byte 4\)/);
    expect(formatMessage(() => unpickle(pk('\x80\x02h\x07.')))).toMatch(/memo entry 7 was never stored \(BINGET at byte 2\)/);
  });

  it('reports an unsupported protocol and lengths beyond the file', () => {
    expect(formatMessage(() => unpickle(pk('\x80\x06N.')))).toMatch(/unsupported pickle protocol 6/);
    expect(formatMessage(() => unpickle(pk('\x80\x04\x8e\xff\xff\xff\xff\xff\xff\xff\xff.')))).toMatch(
      /truncated pickle: the BINBYTES8 opcode at byte 2 needs more bytes than any file holds/,
    );
    expect(formatMessage(() => unpickle(pk('\x80\x02T\xff\xff\xff\xff.')))).toMatch(/negative length -1 \(BINSTRING at byte 2\)/);
  });

  it('reports an object created without its state', () => {
    expect(formatMessage(() => unpickle(pk('\x80\x02cchumpy.ch\nCh\n)\x81.')))).toBe(
      'malformed pickle: the chumpy.ch.Ch created at byte 17 never received its state (BUILD)',
    );
  });

  it('reports array data of the wrong length', () => {
    // numpy._core.numeric._frombuffer(b'\0\0\0', dtype('f8'), (1,), 'C'): 3 bytes for one float64.
    const bytes = pk('\x80\x04\x8c\x13numpy._core.numeric\x8c\x0b_frombuffer\x93(C\x03\x00\x00\x00\x8c\x05numpy\x8c\x05dtype\x93\x8c\x02f8\x89\x88\x87RK\x01\x85\x8c\x01CtR.');
    expect(formatMessage(() => unpickle(bytes))).toMatch(/expected 8 bytes of data for a numpy array of shape \[1\] and dtype 'f8', received 3 \(REDUCE at byte \d+\)/);
  });
});

describe('unpickle: protocol-0 text opcodes', () => {
  it('decodes STRING escapes, UNICODE escapes, INT bools, LONG, FLOAT and text memo indices', () => {
    const bytes = pk(
      String.raw`(S'a\x00b\n\'\\'` + '\np0\n',
      String.raw`Vx\u2603\\y` + '\np1\n',
      'I01\nI-5\nL123456789012345678901L\nF-0.25\nFnan\ng0\nt.',
    );
    // What Python's pickle.loads(bytes, encoding='latin1') returns for the same bytes.
    const value = unpickle(bytes) as unknown[];
    expect(value.slice(0, 6)).toEqual(["a\x00b\n'\\", 'x\u2603\\\\y', true, -5, 123456789012345678901n, -0.25]);
    expect(value[6]).toBeNaN();
    expect(value[7]).toBe(value[0]);
  });
});

describe('unpickle: LONG1 / LONG4 integers, against Python', () => {
  it('decodes every length and sign as Python pickles them (one hex string, or a double up to 6 bytes)', () => {
    // Python's pickle writes ints beyond int32 as LONG1 (< 256 bytes) or LONG4: byte lengths 1 to
    // 6 take the small path, longer ones the hex path; the 40,000-byte one is the size that took
    // the byte-by-byte shifting seconds. Python prints each value in hex, the reference.
    const code = [
      'import pickle, sys, json',
      'vals = [2**31, -2**31 - 1, 2**39 - 1, -2**39, 2**40, 2**47 - 1, -2**47, 2**47, -2**47 - 1, 2**53 + 1, -2**63, 2**64 - 1, 7 * 2**200 - 3, -(2**2047), 3**25000, -(5**30000)]',
      'sys.stdout.write(json.dumps({"pickle": pickle.dumps(vals, protocol=2).hex(), "hex": [hex(v) for v in vals]}))',
    ].join('\n');
    const python = runPython(code) as { pickle: string; hex: string[] };
    const values = unpickle(Buffer.from(python.pickle, 'hex')) as (number | bigint)[];
    expect(values.map((v) => (v < 0 ? `-0x${(-BigInt(v)).toString(16)}` : `0x${BigInt(v).toString(16)}`))).toEqual(python.hex);
    // Safe integers come back as numbers, others as bigints.
    expect(values.map((v) => typeof v)).toEqual(python.hex.map((h) => (Number.isSafeInteger(Number(BigInt(h.replace('-', '')))) ? 'number' : 'bigint')));
  });

  it('refuses INT and LONG lines of more than 4300 digits, as Python does', () => {
    expect(formatMessage(() => unpickle(pk(`I${'9'.repeat(4301)}\n.`)))).toMatch(/expected an integer of at most 4300 digits \(as Python reads\), received "9{40}"\.\.\. \(4301 characters\) \(INT at byte 0\)/);
    expect(unpickle(pk(`L${'9'.repeat(4300)}L\n.`))).toBe(10n ** 4300n - 1n);
  });

  it('refuses a pickle that makes far more data than it holds (options.maxDataBytes)', () => {
    // bytearray(b) of one 64-byte bytes object 10 times: 640 bytes made, allowed by default,
    // refused under a 600-byte limit, naming the option.
    const ops = pk('\x80\x02C\x40', Array(64).fill(7), 'q\x000cbuiltins\nbytearray\nq\x010(', Array(10).fill([0x68, 1, 0x68, 0, 0x85, 0x52]).flat(), 'l.');
    expect((unpickle(ops) as Uint8Array[]).map((b) => b.length)).toEqual(Array(10).fill(64));
    expect(formatMessage(() => unpickle(ops, 'x.pkl', { maxDataBytes: 600 }))).toMatch(
      /x\.pkl: malformed pickle: builtins\.bytearray\(\.\.\.\) would bring the data made from this pickle past its limit of 600 bytes .*options\.maxDataBytes raises it/,
    );
  });
});

describe('unpickle: careless calls', () => {
  it('refuses bytes, paths and options of the wrong kind with a ValidationError naming unpickle', () => {
    const message = (run: () => unknown): string => thrownMessage(run, ValidationError);
    expect(message(() => unpickle('model.pkl' as never))).toMatch(/^unpickle: expected bytes to be a Uint8Array or Buffer, received /);
    expect(message(() => unpickle(undefined as never))).toMatch(/^unpickle: expected bytes/);
    expect(message(() => unpickle(new Float32Array(2) as never))).toMatch(/^unpickle: expected bytes/);
    expect(message(() => unpickle(pk('N.'), 42 as never))).toMatch(/^unpickle: expected path/);
    expect(message(() => unpickle(pk('N.'), undefined, null as never))).toMatch(/^unpickle: expected options to be an object, received null/);
    expect(message(() => unpickle(pk('N.'), undefined, { unread: 'torch' } as never))).toMatch(/^unpickle: expected options.unread to be a function/);
    expect(message(() => unpickle(pk('N.'), undefined, { maxDataBytes: Number.NaN }))).toMatch(/^unpickle: expected options.maxDataBytes to be a non-negative number/);
    // Valid calls are untouched.
    expect(unpickle(pk('N.'), 'x.pkl', { maxDataBytes: Infinity, unread: () => false })).toBe(null);
  });
});
