// evaluate's door checks: careless options are ValidationErrors before any file is read (the
// paths below do not exist, so reaching the file system would be a FileSystemError instead).
import { describe, expect, it } from 'vitest';

import { ValidationError } from '../lib/errors.js';
import { evaluate } from '../lib/eval/evaluate.js';

const paths = { avatar: '/nonexistent/a.ggtavatar', dataset: '/nonexistent/ds' };

describe('evaluate options', () => {
  it('refuses a missing options object, a signal that is not an AbortSignal and an onProgress that is not a function', async () => {
    await expect(evaluate(undefined as never)).rejects.toThrow(/^expected options to be an object, received undefined/);
    await expect(evaluate({ ...paths, signal: 42 as never })).rejects.toThrow(/^expected options\.signal to be an AbortSignal .*received 42/);
    await expect(evaluate({ ...paths, signal: { aborted: false } as never })).rejects.toThrow(ValidationError);
    await expect(evaluate({ ...paths, onProgress: 'log' as never })).rejects.toThrow(/^expected options\.onProgress to be a function, received "log"/);
    // Valid options reach the file system: the missing avatar is reported, not the options.
    await expect(evaluate({ ...paths, signal: new AbortController().signal, onProgress: () => undefined })).rejects.toThrow(/a\.ggtavatar/);
  });
});
