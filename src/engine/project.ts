// The project root: the nearest folder at or above `cwd` that holds
// package.json (where tracking/mlruns and .cache/ live). src/tracking keeps
// its own copy because it imports nothing of ours (DESIGN.md "Shape").
import * as fs from 'node:fs';
import * as path from 'node:path';

export function findProjectRoot(cwd: string = process.cwd()): string {
  let dir = path.resolve(cwd);
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    const up = path.dirname(dir);
    if (up === dir) return path.resolve(cwd);
    dir = up;
  }
}
