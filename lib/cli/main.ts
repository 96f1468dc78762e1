#!/usr/bin/env node
/**
 * The `ggtalker` command: demo, synthesize, adapt, train-prior, bench, info. ggtalker's typed
 * errors print as one line (with the stack under --verbose); any other error is a bug and
 * prints with its stack. Exit codes: 0 done, 1 failed, 2 usage error,
 * 130 interrupted (Ctrl-C; long work stops at its next step and checkpoints are kept).
 *
 * @module
 */

import { readFileSync } from 'node:fs';

import { AbortError, GgtalkerError } from '../errors.js';
import { UsageError } from './args.js';
import * as adapt from './commands/adapt.js';
import * as bench from './commands/bench.js';
import * as demo from './commands/demo.js';
import * as evaluateCommand from './commands/eval.js';
import * as info from './commands/info.js';
import * as synthesize from './commands/synthesize.js';
import * as trainPrior from './commands/train-prior.js';
import type { CommandContext } from './context.js';
import { ProgressBar } from './progress.js';

interface Command {
  help: string;
  run: (argv: string[], ctx: CommandContext) => Promise<void>;
}

const COMMANDS: Record<string, [Command, string]> = {
  demo: [demo, 'write an MP4 of the procedural head speaking the bundled clip (no downloads)'],
  synthesize: [synthesize, 'an avatar + speech -> talking-head MP4'],
  adapt: [adapt, 'a tracked video (VHAP-format folder) -> an avatar file'],
  'train-prior': [trainPrior, 'train the Audio-Expression (a2e) or Expression-Visual (ev) prior'],
  eval: [evaluateCommand, 'score an avatar on a dataset: PSNR/SSIM/LPIPS (full, head mask, per view), LMD, lip error -> report.json + report.md'],
  bench: [bench, 'run a benchmark suite (JSON lines)'],
  info: [info, 'what the loaded native binary supports'],
};

const USAGE = `usage: ggtalker <command> [options]   (ggtalker <command> --help for its options)

${Object.entries(COMMANDS)
  .map(([name, [, what]]) => `  ${name.padEnd(12)} ${what}`)
  .join('\n')}

  --version    print the package version
  --verbose    show stack traces on errors
  --quiet      no progress bar`;

/** The package's version: package.json sits two folders up from lib/cli/ and dist/cli/ alike. */
function packageVersion(): string {
  const json = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
  return String(json.version);
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-V' || name === 'version') {
    process.stdout.write(`${packageVersion()}\n`);
    return 0;
  }
  const entry = COMMANDS[name];
  if (!entry) {
    process.stderr.write(`ggtalker: unknown command "${name}"\n${USAGE}\n`);
    return 2;
  }
  const [command] = entry;
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${command.help}\n`);
    return 0;
  }
  const verbose = rest.includes('--verbose');
  const controller = new AbortController();
  const onSigint = (): void => {
    process.stderr.write('\ninterrupted: stopping at the next step...\n');
    controller.abort();
  };
  process.once('SIGINT', onSigint);
  const ctx: CommandContext = {
    out: (line) => process.stdout.write(`${line}\n`),
    log: (line) => process.stderr.write(`${line}\n`),
    progress: new ProgressBar(rest.includes('--quiet')),
    signal: controller.signal,
  };
  try {
    await command.run(rest, ctx);
    return 0;
  } catch (error) {
    ctx.progress.done();
    if (error instanceof UsageError) {
      process.stderr.write(`ggtalker ${name}: ${error.message}\n\n${command.help}\n`);
      return 2;
    }
    if (error instanceof AbortError) {
      process.stderr.write(`ggtalker ${name}: interrupted\n`);
      return 130;
    }
    if (error instanceof GgtalkerError) {
      // An expected failure (a bad file, a missing input, a native error): its message says what
      // and where; the stack only under --verbose.
      process.stderr.write(`ggtalker ${name}: error: ${error.message}\n`);
      if (verbose && error.stack) process.stderr.write(`${error.stack}\n`);
      else process.stderr.write('(run with --verbose for details)\n');
      return 1;
    }
    // Anything else escaped ggtalker's typed errors: a bug, printed with its stack to report it.
    const stack = error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : String(error);
    process.stderr.write(`ggtalker ${name}: internal error (a bug in ggtalker; please report it with this output):\n${stack}\n`);
    return 1;
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
}

// Run when executed (not when imported by tests).
const invoked = process.argv[1] ?? '';
if (/(?:^|[/\\])(?:main\.[jt]s|ggtalker)$/.test(invoked)) {
  process.exitCode = await main(process.argv.slice(2));
}
