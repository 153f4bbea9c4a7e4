// Artifacts in a local folder: the file store's `<run>/artifacts`, or a
// server's `file:` artifact root that this machine can reach.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ArtifactEntry } from './types';

/** `plots/cm.svg` stays; `../x`, `/etc/x` and empty paths are refused. */
export function checkArtifactPath(p: string): string {
  const norm = p.replace(/\\/g, '/').replace(/^\.\/+/, '').replace(/\/+$/, '');
  if (norm === '' || norm.startsWith('/') || norm.split('/').some((s) => s === '..' || s === '')) {
    throw new Error(`artifact path '${p}' must be relative inside the run's artifacts, like 'plots/confusion_matrix.svg'`);
  }
  return norm;
}

export function writeLocalArtifact(root: string, artifactPath: string, content: Uint8Array): void {
  const dest = path.join(root, ...checkArtifactPath(artifactPath).split('/'));
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  // Write then rename, so a reader never sees half a file.
  const tmp = `${dest}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  fs.writeFileSync(tmp, content);
  fs.renameSync(tmp, dest);
}

export function readLocalArtifact(root: string, artifactPath: string): Buffer {
  const p = path.join(root, ...checkArtifactPath(artifactPath).split('/'));
  try {
    return fs.readFileSync(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`artifact '${artifactPath}' does not exist under ${root}`);
    throw e;
  }
}

/** One level, like MLflow's list: entries under `sub`, paths relative to the artifact root. */
export function listLocalArtifacts(root: string, sub?: string): ArtifactEntry[] {
  const rel = sub ? checkArtifactPath(sub) : '';
  const dir = rel ? path.join(root, ...rel.split('/')) : root;
  let names: fs.Dirent[];
  try {
    names = fs.readdirSync(dir, { withFileTypes: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return [];
    throw e;
  }
  return names
    .filter((d) => !d.name.includes('.tmp-'))
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((d) => {
      const p = rel ? `${rel}/${d.name}` : d.name;
      return d.isDirectory() ? { path: p, isDir: true } : { path: p, isDir: false, fileSize: fs.statSync(path.join(dir, d.name)).size };
    });
}

/** Every file below the root, recursively (for push). */
export function walkLocalArtifacts(root: string, sub?: string): ArtifactEntry[] {
  return listLocalArtifacts(root, sub).flatMap((e) => (e.isDir ? walkLocalArtifacts(root, e.path) : [e]));
}
