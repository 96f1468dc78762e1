// Child of test/stray-temp-files.test.ts: writes without end into a folder until the test
// kills it with SIGKILL mid-write. `atomic <target>`: writeFileAtomic of a 16 MiB buffer whose
// bytes all equal the write's index (so a reader can tell a whole file from a partial one);
// `mp4 <target>`: an MP4 through the video writer, frames trickling in. Prints one JSON line
// per step so the test knows a write is under way.
import ndarray from 'ndarray';

import { writeFileAtomic } from '../../lib/io/atomic.js';
import { Mp4Writer } from '../../lib/synthesize/video-writer.js';

const [mode, target] = process.argv.slice(2) as [string, string];
const say = (line: object): void => {
  process.stdout.write(`${JSON.stringify(line)}\n`);
};

if (mode === 'atomic') {
  for (let i = 1; ; i++) {
    say({ writing: i });
    await writeFileAtomic(target, new Uint8Array(16 << 20).fill(i % 256));
  }
} else {
  const writer = await Mp4Writer.open(target, { width: 64, height: 64, fps: 25, audio: new Float32Array(16000 * 60) });
  // The ffmpeg child outlives this process when it is killed: the test waits for it.
  say({ ffmpeg: (writer as unknown as { child: { pid: number } }).child.pid });
  const frame = ndarray(new Float32Array(64 * 64 * 3).fill(0.5), [1, 64, 64, 3]);
  for (let i = 0; ; i++) {
    await writer.write(frame);
    if (i % 5 === 0) say({ frame: i });
    await new Promise((r) => setTimeout(r, 5));
  }
}
