#!/usr/bin/env node
// The consumer-app check (issue 14): packs ggtalker as npm would publish it, installs the
// tarball into a fresh app in a temp folder and uses it the way a user would:
//   (a) TypeScript strict + exactOptionalPropertyTypes + skipLibCheck false, with
//       moduleResolution NodeNext and bundler, on scripts/consumer-app/fixture/consumer.ts;
//   (b) import('ggtalker') renders one Gaussian;
//   (c) require('ggtalker') works (require(esm)); where Node cannot require ES modules
//       (simulated with --no-experimental-require-module) it throws the ESM-only message;
//   (d) npx ggtalker --version / info;
//   (e) every source map's sources and every relative link of the shipped Markdown resolve
//       to shipped files;
//   (f) import('ggtalker/package.json', { with: { type: 'json' } }).
// Runs after `npm run prebuild` (the app installs the prebuild, as users do); builds dist/
// itself (tsc, what `prepack` does). Exits 1 with the list of failures.
//
//   node scripts/check-consumer-app.mjs [--local-build] [--keep] [--root DIR]
//     --local-build  no prebuilds/: install without scripts and use build/Release/ggtalker.node
//     --keep         keep the temp folder (printed) to look into
//     --root DIR     pack this package folder instead of the repository (with its own package.json)
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { mapSources, markdownLinks } from './consumer-app/shipped-files.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..');
const { values: args } = parseArgs({
  options: { 'local-build': { type: 'boolean', default: false }, keep: { type: 'boolean', default: false }, root: { type: 'string' } },
});
const root = resolve(args.root ?? repo);
const require = createRequire(join(repo, 'package.json'));
const tsc = require.resolve('typescript/lib/tsc.js');
const started = performance.now();

const failures = [];
const results = [];
/** Runs one check; a throw is recorded as its failure and the next check still runs. */
async function check(name, fn) {
  const t0 = performance.now();
  let note = '';
  try {
    note = (await fn()) ?? '';
    results.push(`ok    ${name}${note ? `: ${note}` : ''}`);
  } catch (error) {
    failures.push(`${name}: ${error.message}`);
    results.push(`FAIL  ${name}`);
  }
  results[results.length - 1] += ` (${((performance.now() - t0) / 1000).toFixed(1)} s)`;
}

/** Runs a command; throws with its output when it fails (or succeeds when `expectFailure`). */
function run(file, argv, { cwd, expectFailure = false, env } = {}) {
  const r = spawnSync(file, argv, { cwd, encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 64 << 20 });
  const output = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim();
  if (r.error) throw new Error(`${file} ${argv.join(' ')}: ${r.error.message}`);
  if ((r.status !== 0) !== expectFailure) {
    const lines = output.split('\n');
    const shown = lines.slice(0, 40).join('\n') + (lines.length > 40 ? `\n... (${lines.length - 40} more lines)` : '');
    throw new Error(`\`${[file === process.execPath ? 'node' : file, ...argv].join(' ')}\` exited ${r.status}${expectFailure ? ' (expected a failure)' : ''}\n${shown}`);
  }
  return output;
}

function filesUnder(dir, base = dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    return e.isDirectory() ? filesUnder(path, base) : [relative(base, path).split(sep).join('/')];
  });
}

const temp = mkdtempSync(join(tmpdir(), 'ggt-consumer-'));
const app = join(temp, 'app');
const pkgDir = join(app, 'node_modules', 'ggtalker');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';
let fatal = false;
try {
  await check('build dist/ (tsc -p tsconfig.json)', () => {
    run(process.execPath, [tsc, '-p', join(root, 'tsconfig.json')], { cwd: root });
  });
  await check('pack and install into a fresh app', () => {
    if (!args['local-build'] && !existsSync(join(root, 'prebuilds'))) {
      throw new Error('prebuilds/ is missing: run `npm run prebuild` first, or pass --local-build to use build/Release/ggtalker.node');
    }
    const packed = JSON.parse(run(npm, ['pack', '--ignore-scripts', '--json', '--pack-destination', temp], { cwd: root }).replace(/^[^[]*/, ''));
    const tarball = join(temp, packed[0].filename);
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), `${JSON.stringify({ name: 'ggt-consumer-app', version: '1.0.0', private: true, type: 'module' }, null, 2)}\n`);
    cpSync(join(here, 'consumer-app', 'fixture'), app, { recursive: true });
    // Only @types/node besides ggtalker: every Node.js TypeScript app has it; ggtalker must bring the rest.
    const typesNode = JSON.parse(readFileSync(require.resolve('@types/node/package.json'), 'utf8')).version;
    const install = ['install', tarball, `@types/node@${typesNode}`, '--prefer-offline', '--no-audit', '--no-fund'];
    run(npm, args['local-build'] ? [...install, '--ignore-scripts'] : install, { cwd: app });
    if (args['local-build']) {
      mkdirSync(join(pkgDir, 'build', 'Release'), { recursive: true });
      cpSync(join(root, 'build', 'Release', 'ggtalker.node'), join(pkgDir, 'build', 'Release', 'ggtalker.node'));
    }
    return `${packed[0].entryCount} files, ${(packed[0].size / 1e6).toFixed(1)} MB packed`;
  });
  fatal = !existsSync(pkgDir);
  if (!fatal) {
    for (const [label, config] of [
      ['NodeNext', 'tsconfig.nodenext.json'],
      ['bundler', 'tsconfig.bundler.json'],
    ]) {
      await check(`(a) tsc strict, exactOptionalPropertyTypes, skipLibCheck false, moduleResolution ${label}`, () => {
        run(process.execPath, [tsc, '-p', config], { cwd: app });
      });
    }
    await check("(b) import('ggtalker') renders one Gaussian", () => run(process.execPath, ['render.mjs'], { cwd: app }));
    await check("(c) require('ggtalker') (require(esm) via module-sync)", () => run(process.execPath, ['require.cjs'], { cwd: app }));
    await check("(c) require('ggtalker') without require(esm) explains ESM-only", () => {
      const flag = '--no-experimental-require-module';
      if (!process.allowedNodeEnvironmentFlags.has(flag) && !process.allowedNodeEnvironmentFlags.has('--experimental-require-module')) {
        return `skipped: this Node.js (${process.version}) has no ${flag}`;
      }
      const output = run(process.execPath, [flag, 'require.cjs'], { cwd: app, expectFailure: true });
      if (!output.includes('ERR_GGT_REQUIRE_ESM') || !output.includes("import { synthesize } from 'ggtalker'")) {
        throw new Error(`expected the ESM-only message (code ERR_GGT_REQUIRE_ESM, saying to use import), received:\n${output.slice(0, 600)}`);
      }
    });
    await check('(d) npx ggtalker --version', () => {
      const version = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')).version;
      const out = run(npx, ['--no-install', 'ggtalker', '--version'], { cwd: app });
      if (!out.includes(version)) throw new Error(`expected the version ${version}, received ${JSON.stringify(out)}`);
      return out;
    });
    await check('(d) npx ggtalker info', () => run(npx, ['--no-install', 'ggtalker', 'info'], { cwd: app }).split('\n')[0]);
    await check("(e) source maps' sources are shipped", () => {
      const shipped = new Set(filesUnder(pkgDir));
      const maps = [...shipped].filter((f) => f.startsWith('dist/') && f.endsWith('.map'));
      if (maps.length === 0) throw new Error('expected source maps under dist/, found none');
      const missing = maps.flatMap((m) => mapSources(JSON.parse(readFileSync(join(pkgDir, m), 'utf8')), m).filter((s) => !shipped.has(s)).map((s) => `${m} -> ${s}`));
      if (missing.length) throw new Error(`${missing.length} sources not shipped:\n${missing.slice(0, 20).join('\n')}`);
      return `${maps.length} maps`;
    });
    await check('(e) relative links in the shipped README and docs resolve to shipped files', () => {
      const shipped = filesUnder(pkgDir);
      const docs = shipped.filter((f) => /^(README\.md|docs\/[^/]+\.md)$/i.test(f));
      if (!docs.includes('README.md')) throw new Error('expected README.md in the package');
      const broken = docs.flatMap((d) =>
        markdownLinks(readFileSync(join(pkgDir, d), 'utf8'))
          .filter((target) => !existsSync(join(pkgDir, dirname(d), target)))
          .map((target) => `${d} -> ${target}`),
      );
      if (broken.length) throw new Error(`${broken.length} broken links:\n${broken.join('\n')}`);
      return `${docs.length} Markdown files`;
    });
    await check("(f) import('ggtalker/package.json', { with: { type: 'json' } })", () => run(process.execPath, ['package-json.mjs'], { cwd: app }));
  }
} finally {
  if (args.keep) console.log(`kept ${temp}`);
  else rmSync(temp, { recursive: true, force: true });
}

console.log(results.join('\n'));
const seconds = ((performance.now() - started) / 1000).toFixed(0);
if (failures.length || fatal) {
  console.error(`\nconsumer-app check: ${failures.length} failed (${seconds} s)\n`);
  for (const f of failures) console.error(`- ${f.replace(/\n/g, '\n    ')}\n`);
  process.exit(1);
}
console.log(`consumer-app check: all passed (${seconds} s)`);
