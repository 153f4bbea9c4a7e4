// Which TF.js backends can load on this machine, found without src/engine (a child
// Node requires each package): tests assert the documented order
// (tensorflow-gpu > tensorflow > wasm > cpu) against what is really installed, so
// they pass with or without the optional native packages.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const root = path.resolve(__dirname, '..', '..');
const NATIVE = { 'tensorflow-gpu': '@tensorflow/tfjs-node-gpu', tensorflow: '@tensorflow/tfjs-node' } as const;
export type NativeBackend = keyof typeof NATIVE;

const cache = new Map<string, boolean>();
/** Whether `require(pkg)` succeeds from the project root (native bindings included). */
export function packageLoads(pkg: string): boolean {
  if (!cache.has(pkg)) {
    const r = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(pkg)})`], { cwd: root, stdio: 'ignore', timeout: 60_000 });
    cache.set(pkg, r.status === 0);
  }
  return cache.get(pkg)!;
}

export function nativeLoads(name: NativeBackend): boolean {
  return packageLoads(NATIVE[name]);
}

export const nativePackage = (name: NativeBackend) => NATIVE[name];

/** The backend `auto` must pick here: the first of the documented order that loads. */
export function expectedAutoBackend(): 'tensorflow-gpu' | 'tensorflow' | 'wasm' {
  if (nativeLoads('tensorflow-gpu')) return 'tensorflow-gpu';
  if (nativeLoads('tensorflow')) return 'tensorflow';
  return 'wasm';
}

/** A native backend that does not load here (for "names its package" tests), or undefined when both do. */
export function missingNative(): NativeBackend | undefined {
  return (['tensorflow', 'tensorflow-gpu'] as const).find((n) => !nativeLoads(n));
}
