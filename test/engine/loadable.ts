// Which TF.js backends can load on this machine, found without src/engine (a child
// Node requires each package, or asks Dawn for its adapter): tests assert the
// documented order (tensorflow-gpu > webgpu on a hardware adapter > tensorflow >
// wasm > cpu) against what is really installed, so they pass with or without the
// optional native packages and with or without a GPU.
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

let adapter: { description: string; software: boolean } | null | undefined;
/** The adapter Dawn offers here (null: none, or webgpu not installed). */
export function webgpuAdapter(): { description: string; software: boolean } | null {
  if (adapter === undefined) {
    const code = `const { create } = require('webgpu'); create([]).requestAdapter().then((a) => {
      const i = a && a.info; console.log(JSON.stringify(i ? { description: i.description || i.device || i.vendor, architecture: i.architecture, device: i.device, fallback: !!i.isFallbackAdapter } : null)); process.exit(0);
    }, () => { console.log('null'); process.exit(0); });`;
    const r = spawnSync(process.execPath, ['-e', code], { cwd: root, encoding: 'utf8', timeout: 60_000, env: { XDG_RUNTIME_DIR: '/tmp', ...process.env } });
    let i: { description: string; architecture?: string; device?: string; fallback: boolean } | null = null;
    try { i = JSON.parse(r.stdout.trim().split('\n').pop() ?? 'null'); } catch { i = null; }
    adapter = i && { description: i.description, software: i.fallback || /llvmpipe|lavapipe|swiftshader|softpipe/i.test(`${i.device} ${i.description}`) || i.architecture === 'software' };
  }
  return adapter;
}

/** The backend `auto` must pick here: the first of the documented order that loads. */
export function expectedAutoBackend(): 'tensorflow-gpu' | 'webgpu' | 'tensorflow' | 'wasm' {
  if (nativeLoads('tensorflow-gpu')) return 'tensorflow-gpu';
  const a = webgpuAdapter();
  if (a && !a.software) return 'webgpu';
  if (nativeLoads('tensorflow')) return 'tensorflow';
  return 'wasm';
}

/** A native backend that does not load here (for "names its package" tests), or undefined when both do. */
export function missingNative(): NativeBackend | undefined {
  return (['tensorflow', 'tensorflow-gpu'] as const).find((n) => !nativeLoads(n));
}
