// Where the preprocessed-image cache lives: `dataset.cache.dir`, else
// `.cache/` at the project root (the nearest folder above the working
// directory that holds package.json; gitignored).
import * as fs from 'node:fs';
import * as path from 'node:path';

function projectRoot(cwd: string): string {
  // Same rule as tracking's findProjectRoot; data may not import tracking (DESIGN.md "Shape").
  let dir = path.resolve(cwd);
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    const up = path.dirname(dir);
    if (up === dir) return path.resolve(cwd);
    dir = up;
  }
}

export function defaultCacheDir(cwd: string = process.cwd()): string {
  return path.join(projectRoot(cwd), '.cache', 'cellab-data');
}
