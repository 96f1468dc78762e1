/**
 * What `require('ggtalker')` loads on a Node.js that cannot load ES modules from `require`
 * (before 20.19 / 22.12, where the `module-sync` export condition is unknown): ggtalker is an
 * ES module only, so this says so and how to load it instead of failing with
 * ERR_REQUIRE_ESM or ERR_PACKAGE_PATH_NOT_EXPORTED. Newer Node resolves `module-sync` first
 * and never reaches this file.
 *
 * @module
 * @internal
 */

const error = new Error(
  `ggtalker is an ES module, and this Node.js (${process.versions.node}) does not load ES modules with require(): ` +
    "use `import { synthesize } from 'ggtalker'` (or `await import('ggtalker')` from CommonJS), " +
    "or run Node.js 20.19+ / 22.12+, where require('ggtalker') works (unless require(esm) is turned off with --no-experimental-require-module).",
);
(error as Error & { code: string }).code = 'ERR_GGT_REQUIRE_ESM';
throw error;
