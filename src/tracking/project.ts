// Where runs go: the project root, the tracking URI and the experiment name,
// with the precedence of DESIGN.md's conventions.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** Nearest folder at or above `cwd` holding a package.json (cwd itself when none does). */
export function findProjectRoot(cwd: string = process.cwd()): string {
  let dir = path.resolve(cwd);
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    const up = path.dirname(dir);
    if (up === dir) return path.resolve(cwd);
    dir = up;
  }
}

export function defaultStorePath(projectRoot: string): string {
  return path.join(projectRoot, 'tracking', 'mlruns');
}

const SCHEME = /^([a-zA-Z][a-zA-Z0-9+.-]+):/; // two letters at least: `C:\...` is a path

/**
 * The tracking URI: cli > env.MLFLOW_TRACKING_URI > config > `<projectRoot>/tracking/mlruns`.
 * A value without a scheme is a local store path (relative to the current directory).
 * Returns `file:///abs/path` for local stores and the URL for servers.
 */
export function resolveTrackingUri(o: { cli?: string; config?: string; projectRoot: string; env?: NodeJS.ProcessEnv }): string {
  const env = o.env ?? process.env;
  const picked = [o.cli, env.MLFLOW_TRACKING_URI, o.config].find((v) => v !== undefined && v.trim() !== '');
  if (picked === undefined) return pathToFileURL(defaultStorePath(o.projectRoot)).href;
  return normaliseTrackingUri(picked.trim());
}

export function normaliseTrackingUri(uri: string): string {
  const m = SCHEME.exec(uri);
  if (!m) return pathToFileURL(path.resolve(uri)).href;
  const scheme = m[1].toLowerCase();
  if (scheme === 'file') {
    // file:relative/path and file:///abs both occur in the wild.
    if (uri.startsWith('file://')) return pathToFileURL(path.resolve(fileURLToPath(uri))).href;
    return pathToFileURL(path.resolve(decodeURIComponent(uri.slice('file:'.length)))).href;
  }
  if (scheme === 'http' || scheme === 'https') {
    const u = new URL(uri);
    return u.href.replace(/\/+$/, '');
  }
  throw new Error(
    `tracking URI '${redactUri(uri)}' uses the scheme '${scheme}:', which cellab cannot write to. ` +
      `Use an MLflow server (http(s)://host:port, e.g. \`mlflow server --backend-store-uri ${scheme === 'sqlite' ? uri : 'sqlite:///mlflow.db'}\`) ` +
      'or a local store path (a folder, or file:///abs/path).',
  );
}

/** Local path of a `file:` URI. */
export function localStorePath(uri: string): string {
  return fileURLToPath(uri);
}

/** The URI with any password in its user-info replaced by `***`. */
export function redactUri(uri: string): string {
  return uri.replace(/^([a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/:@]*):[^/@]*@/, '$1:***@');
}

/** Experiment name: tracking.experiment > MLFLOW_EXPERIMENT_NAME > the experiment file's `name` > 'Default'. */
export function resolveExperimentName(o: { config?: string; fileName?: string; env?: NodeJS.ProcessEnv }): string {
  const env = o.env ?? process.env;
  const picked = [o.config, env.MLFLOW_EXPERIMENT_NAME, o.fileName].find((v) => v !== undefined && v.trim() !== '');
  return picked?.trim() ?? 'Default';
}
