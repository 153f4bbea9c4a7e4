// Replacing one of tfjs-backend-wasm's kernels with cellab's where cellab's
// applies, keeping the original as the fallback: `ours` returns the output, or
// null for inputs it does not take (which then run in tfjs' kernel). The
// original's setupFunc stays registered with ours, so a wasm backend started
// after the replacement still binds the fallback's wasm function.
import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';

export type OwnKernel = (args: Parameters<KernelFunc>[0]) => TensorInfo | null;

export interface KernelOverride {
  readonly name: string;
  /** Put ours in front of tfjs' kernel (idempotent); true when it replaced it now. */
  register(): boolean;
  /** tfjs' own kernel, once replaced (tests compare the two). */
  original(): KernelFunc | undefined;
  /** Calls run by ours and handed to tfjs' so far. */
  calls(): { own: number; tfjs: number };
}

export function wasmKernelOverride(name: string, ours: OwnKernel): KernelOverride {
  let original: KernelConfig | undefined;
  const counts = { own: 0, tfjs: 0 };
  const kernelFunc: KernelFunc = (args) => {
    const out = ours(args);
    if (out) { counts.own++; return out; }
    counts.tfjs++;
    return original!.kernelFunc(args) as TensorInfo;
  };
  return {
    name,
    register() {
      const current = tf.getKernel(name, 'wasm');
      if (!current || current.kernelFunc === kernelFunc) return false;   // absent: nothing to fall back to
      original = current;
      tf.unregisterKernel(name, 'wasm');
      tf.registerKernel({ kernelName: name, backendName: 'wasm', kernelFunc, setupFunc: current.setupFunc });
      return true;
    },
    original: () => original?.kernelFunc,
    calls: () => ({ ...counts }),
  };
}
