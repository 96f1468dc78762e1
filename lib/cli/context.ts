/**
 * What every command gets: output, logging, a progress bar and the Ctrl-C signal.
 *
 * @module
 */

import type { ProgressBar } from './progress.js';

export interface CommandContext {
  /** Results (stdout). */
  out: (line: string) => void;
  /** Messages (stderr). */
  log: (line: string) => void;
  progress: ProgressBar;
  /** Aborted on Ctrl-C. */
  signal: AbortSignal;
}
