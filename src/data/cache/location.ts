// Where the preprocessed-image cache lives: `dataset.cache.dir`, else
// `.cache/` at the project root (gitignored).
import * as path from 'node:path';
import { findProjectRoot } from '../../engine/project';

export function defaultCacheDir(cwd: string = process.cwd()): string {
  return path.join(findProjectRoot(cwd), '.cache', 'cellab-data');
}
