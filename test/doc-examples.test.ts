/**
 * The API site's examples compile: every `@example` code block of an export of lib/index.ts (and
 * of exported classes' members) is type-checked, strict, as a module of its own that imports
 * from 'ggtalker' (mapped to lib/index.ts). An example that does not import from 'ggtalker'
 * gets every export imported for it, and may use the inputs declared in GIVENS below (a
 * fragment such as `await encoder.features(samples16k)`). The main entry points must have one.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';

import { codeBlocks, publicExamples, type DocExample } from './helpers/doc-examples.js';

const root = resolve(import.meta.dirname, '..');
const index = join(root, 'lib', 'index.ts');

/** Entry points whose documentation must show an example. */
const MAIN = ['adapt', 'synthesize', 'SynthesisStream', 'predictExpressions', 'trainAudioExpressionPrior', 'trainExpressionVisualPrior', 'rasterize', 'loadFlame'];

/** Inputs that fragment examples may use without making them. */
const GIVENS = `
import type { Avatar, AvatarFrame, Camera, FlameModel, GaussianCloud, NdArrayData, VhapWriteFrame } from 'ggtalker';
declare global {
  /** node:fs/promises's readFile. */
  const readFile: typeof import('node:fs/promises').readFile;
  /** Bytes of a file. */
  const downloadedBytes: Uint8Array;
  /** An avatar. */
  const avatar: Avatar;
  /** Expression coefficients. */
  const expr: Float32Array;
  /** Frames to write as a VHAP dataset. */
  const vhapFrames: VhapWriteFrame[];
  /** 16 kHz mono speech. */
  const samples16k: Float32Array;
  /** A camera. */
  const camera: Camera;
  /** A FLAME-format model. */
  const model: FlameModel;
  /** Tracked frames. */
  const frames: AvatarFrame[];
  /** Gaussians read from a .ply. */
  const cloud: GaussianCloud;
  /** Named arrays. */
  const arrays: Map<string, NdArrayData>;
}
export {};
`;

// Inside the repository, so that examples resolve packages (ndarray) from its node_modules.
mkdirSync(join(root, 'node_modules', '.cache'), { recursive: true });
const dir = mkdtempSync(join(root, 'node_modules', '.cache', 'ggt-doc-examples-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function compilerOptions(): ts.CompilerOptions {
  const parsed = ts.getParsedCommandLineOfConfigFile(join(root, 'tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => { throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n')); } });
  if (!parsed) throw new Error('cannot read tsconfig.json');
  return parsed.options;
}

/** Type-checks the examples; returns each one's error messages (empty when it compiles). */
function check(examples: DocExample[], exportNames: string[]): string[][] {
  const options = compilerOptions();
  const files = examples.map((e, i) => {
    const file = join(dir, `example-${i}-${e.name.replace(/\W/g, '_')}.mts`);
    const preamble = /from\s+['"]ggtalker['"]/.test(e.code) ? '' : `import { ${exportNames.join(', ')} } from 'ggtalker';\n`;
    writeFileSync(file, `${preamble}${e.code}\nexport {};\n`);
    return file;
  });
  const givens = join(dir, 'givens.d.mts');
  writeFileSync(givens, GIVENS);
  const program = ts.createProgram([...files, givens], {
    ...options,
    noEmit: true,
    declaration: false,
    declarationMap: false,
    sourceMap: false,
    rootDir: undefined,
    outDir: undefined,
    paths: { ggtalker: [index] },
    typeRoots: [join(root, 'node_modules', '@types')],
    noUnusedLocals: false,
  });
  const host = { getCanonicalFileName: (f: string) => f, getCurrentDirectory: () => dir, getNewLine: () => '\n' };
  return files.map((file) => {
    const source = program.getSourceFile(file)!;
    const diagnostics = [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)];
    return diagnostics.map((d) => ts.formatDiagnostic(d, host).trim());
  });
}

describe('codeBlocks', () => {
  it('takes ts, typescript and bare fences, not other languages', () => {
    const text = 'Intro\n```ts\nconst a = 1;\n```\n```typescript\nconst b = 2;\n```\n```\nconst c = 3;\n```\n```sh\nls\n```';
    expect(codeBlocks(text)).toEqual(['const a = 1;\n', 'const b = 2;\n', 'const c = 3;\n']);
  });
});

describe('examples of the public API', () => {
  const program = ts.createProgram([index], compilerOptions());
  const examples = publicExamples(program, index, root);
  const checker = program.getTypeChecker();
  const exportNames = checker.getExportsOfModule(checker.getSymbolAtLocation(program.getSourceFile(index)!)!).map((s) => s.name);

  it('every main entry point has an example', () => {
    const documented = new Set(examples.map((e) => e.name));
    expect(MAIN.filter((name) => !documented.has(name))).toEqual([]);
  });

  it('every example type-checks against the package', () => {
    expect(examples.length).toBeGreaterThan(MAIN.length);
    const errors = check(examples, exportNames);
    const failing = examples.flatMap((e, i) => (errors[i]!.length ? [`${e.name} (${e.where}):\n  ${errors[i]!.join('\n  ')}`] : []));
    expect(failing, failing.join('\n\n')).toEqual([]);
  });
});
