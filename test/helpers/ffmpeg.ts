// Whether an ffmpeg executable (and any companion tools named, e.g. 'ffprobe') is on PATH: tests
// of ffmpeg-decoded inputs skip without one.
import { execFileSync } from 'node:child_process';

export function hasFfmpeg(...companions: string[]): boolean {
  try {
    for (const tool of ['ffmpeg', ...companions]) execFileSync(tool, ['-version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
