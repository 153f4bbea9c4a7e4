// Optimisers with the update rules of torch.optim (Adam, AdamW, SGD with
// momentum/Nesterov, RMSprop), stepped with an explicit learning rate so a
// schedule can set it every step (TF.js optimisers fix it at construction),
// and with AdamW's decoupled weight decay, which TF.js lacks. As timm does,
// weight decay skips 1-D weights (biases, norm scales and offsets).
// On wasm the update is one pass per weight over the heap instead of ~14 tf
// kernels per weight (on a ResNet-18 ~870 kernels, 15-20 ms of engine overhead
// per step): cellab's SIMD kernel (optimizer_step in engine/simd/kernels.c,
// state on the heap, on every thread) where it loads, else a JS loop with the
// state in plain arrays (~5 ms per ResNet-18 step, on one thread).
import * as tf from '@tensorflow/tfjs';
import { heapView, onWasmHeap } from '../engine/wasm-heap';
import { simdKernels, type HeapArray, type SimdKernels } from '../engine/simd-kernels';
import type { WasmHeapBackend } from '../engine/kernel-util';
import type { OptimizerName } from './schema';

export interface OptimizerOptions {
  name: OptimizerName;
  weightDecay?: number | null;
  momentum?: number | null;
  nesterov?: boolean;
  betas?: [number, number];
  eps?: number;
  /** RMSprop smoothing constant (PyTorch's alpha). */
  alpha?: number;
  /** Update in one pass per weight over the wasm heap (default: whenever the backend is wasm). */
  heapLoops?: boolean;
  /** Those passes in cellab's SIMD kernel (default: when it loads; false: JS loops). */
  simdKernel?: boolean;
}

export interface Optimizer {
  readonly name: OptimizerName;
  readonly weightDecay: number;
  /** One update of `vars` with `grads` (keyed by variable name) at learning rate `lr`. */
  step(vars: tf.Variable[], grads: tf.NamedTensorMap, lr: number): void;
  dispose(): void;
}

interface Slot { t: number; m?: tf.Tensor; v?: tf.Tensor; buf?: tf.Tensor }
interface HeapSlot { t: number; m: Float32Array; v: Float32Array; buf: Float32Array; out: Float32Array }
/** A weight's state for the SIMD kernel: Adam's m, v; RMSprop's buffer, v; SGD's buffer (s1). */
interface KernelSlot { t: number; s1: HeapArray | null; s2: HeapArray | null }

/** Default weight decay and momentum per optimiser (PyTorch's, except AdamW's 0.01 which is also PyTorch's). */
export type ResolvedOptimizerOptions = { [K in Exclude<keyof OptimizerOptions, 'heapLoops' | 'simdKernel'>]-?: NonNullable<OptimizerOptions[K]> };

export function resolveOptimizerOptions(o: OptimizerOptions): ResolvedOptimizerOptions {
  return {
    name: o.name,
    weightDecay: o.weightDecay ?? (o.name === 'adamw' ? 0.01 : 0),
    momentum: o.momentum ?? (o.name === 'sgd' ? 0.9 : 0),
    nesterov: o.nesterov ?? false,
    betas: o.betas ?? [0.9, 0.999],
    eps: o.eps ?? 1e-8,
    alpha: o.alpha ?? 0.99,
  };
}

export function createOptimizer(options: OptimizerOptions): Optimizer {
  const o = resolveOptimizerOptions(options);
  if (o.nesterov && (o.name !== 'sgd' || o.momentum <= 0)) throw new Error('train.nesterov needs train.optimizer sgd with momentum > 0');
  const slots = new Map<string, Slot>();
  const heapSlots = new Map<string, HeapSlot>();
  const kernelSlots = new Map<string, KernelSlot>();
  const useHeap = options.heapLoops ?? onWasmHeap();
  const useKernel = options.simdKernel ?? true;
  const [b1, b2] = o.betas;

  /**
   * The same rules as `update`, element by element, writing the new weights
   * into `out`. State starts at zero, which gives
   * torch's first steps too (its SGD buffer starts as a copy of the gradient,
   * i.e. 0 * momentum + g).
   */
  function heapUpdate(p: Float32Array, g: Float32Array, out: Float32Array, lr: number, decay: number, s: HeapSlot): void {
    const n = p.length;
    const { m, v, buf } = s;
    const t = ++s.t;
    const adamw = o.name === 'adamw', l2 = adamw ? 0 : decay, shrink = adamw ? 1 - lr * decay : 1;
    switch (o.name) {
      case 'adam':
      case 'adamw': {
        const bc1 = 1 - b1 ** t, bc2 = 1 - b2 ** t, eps = o.eps;
        for (let i = 0; i < n; i++) {
          const w = p[i], gi = g[i] + l2 * w;
          const mi = b1 * m[i] + (1 - b1) * gi, vi = b2 * v[i] + (1 - b2) * gi * gi;
          m[i] = mi; v[i] = vi;
          out[i] = w * shrink - lr * (mi / bc1) / (Math.sqrt(vi / bc2) + eps);
        }
        return;
      }
      case 'sgd': {
        const mom = o.momentum, nesterov = o.nesterov;
        for (let i = 0; i < n; i++) {
          const w = p[i];
          let gi = g[i] + l2 * w;
          if (mom > 0) {
            const bi = buf[i] * mom + gi;
            buf[i] = bi;
            gi = nesterov ? gi + mom * bi : bi;
          }
          out[i] = w - lr * gi;
        }
        return;
      }
      case 'rmsprop': {
        const alpha = o.alpha, eps = o.eps, mom = o.momentum;
        for (let i = 0; i < n; i++) {
          const w = p[i], gi = g[i] + l2 * w;
          const vi = alpha * v[i] + (1 - alpha) * gi * gi;
          v[i] = vi;
          let u = gi / (Math.sqrt(vi) + eps);
          if (mom > 0) { u = buf[i] * mom + u; buf[i] = u; }
          out[i] = w - lr * u;
        }
        return;
      }
    }
  }

  /**
   * One weight through heapUpdate; false when its storage is not on the wasm
   * heap. The new values go into a new tensor, never into the weight's own
   * storage: tfjs-backend-wasm caches XNNPACK operators with their packed
   * weights per tensor storage, so a convolution would go on using the
   * weights it saw first.
   */
  function heapStep(p: tf.Variable, g: tf.Tensor, lr: number): boolean {
    if (!heapView(g)) return false;
    const k = useKernel ? simdKernels() : null;
    if (k) {
      kernelStep(k, p, g, lr);
      return true;
    }
    let s = heapSlots.get(p.name);
    if (!s) {
      const n = p.size, adam = o.name === 'adam' || o.name === 'adamw';
      s = { t: 0, m: new Float32Array(adam ? n : 0), v: new Float32Array(o.name === 'sgd' ? 0 : n),
        buf: new Float32Array(!adam && o.momentum > 0 ? n : 0), out: new Float32Array(n) };
      heapSlots.set(p.name, s);
    }
    const decay = p.rank > 1 ? o.weightDecay : 0;
    heapUpdate(heapView(p)!, heapView(g)!, s.out, lr, decay, s);
    const next = tf.tensor(s.out, p.shape, 'float32');   // copied into the heap
    p.assign(next);
    next.dispose();
    return true;
  }

  /** heapStep on cellab's SIMD kernel: the new weight is written straight into a new heap tensor. */
  function kernelStep(k: SimdKernels, p: tf.Variable, g: tf.Tensor, lr: number): void {
    let s = kernelSlots.get(p.name);
    if (!s) {
      const n = p.size, adam = o.name === 'adam' || o.name === 'adamw';
      const buf = !adam && o.momentum > 0 ? k.heapArray(n) : null;
      s = adam ? { t: 0, s1: k.heapArray(n), s2: k.heapArray(n) } : { t: 0, s1: buf, s2: o.name === 'rmsprop' ? k.heapArray(n) : null };
      kernelSlots.set(p.name, s);
    }
    const t = ++s.t;
    const decay = p.rank > 1 ? o.weightDecay : 0, adamw = o.name === 'adamw';
    const b = tf.backend() as unknown as WasmHeapBackend;
    const info = b.makeOutput(p.shape, 'float32');
    // As the engine wraps a kernel's output: the tensor owns the new storage.
    const next = tf.engine().makeTensorFromTensorInfo(info);
    k.optimizerStep({
      rule: o.name === 'adamw' ? 'adam' : o.name, lr, l2: adamw ? 0 : decay, shrink: adamw ? 1 - lr * decay : 1,
      c1: b1, c2: o.name === 'rmsprop' ? o.alpha : b2, step: lr / (1 - b1 ** t), rsqrtBc2: 1 / Math.sqrt(1 - b2 ** t), eps: o.eps,
      momentum: o.momentum, nesterov: o.nesterov,
    }, heapView(p)!, heapView(g)!, b.typedArrayFromHeap(info), s.s1, s.s2);
    p.assign(next);
    next.dispose();
  }

  function update(p: tf.Variable, g0: tf.Tensor, lr: number, s: Slot): tf.Tensor {
    const decay = p.rank > 1 ? o.weightDecay : 0;
    let g = g0;
    let param: tf.Tensor = p;
    if (decay && o.name === 'adamw') param = tf.mul(p, 1 - lr * decay);      // decoupled: p <- p (1 - lr wd)
    else if (decay) g = tf.add(g, tf.mul(p, decay));                          // L2 in the gradient
    s.t++;
    switch (o.name) {
      case 'adam':
      case 'adamw': {
        s.m = tf.add(tf.mul(s.m ?? tf.zerosLike(g), b1), tf.mul(g, 1 - b1));
        s.v = tf.add(tf.mul(s.v ?? tf.zerosLike(g), b2), tf.mul(tf.square(g), 1 - b2));
        const mHat = tf.div(s.m, 1 - b1 ** s.t);
        const vHat = tf.div(s.v, 1 - b2 ** s.t);
        return tf.sub(param, tf.mul(tf.div(mHat, tf.add(tf.sqrt(vHat), o.eps)), lr));
      }
      case 'sgd': {
        if (o.momentum > 0) {
          s.buf = s.buf ? tf.add(tf.mul(s.buf, o.momentum), g) : g.clone();
          g = o.nesterov ? tf.add(g, tf.mul(s.buf, o.momentum)) : s.buf;
        }
        return tf.sub(param, tf.mul(g, lr));
      }
      case 'rmsprop': {
        s.v = tf.add(tf.mul(s.v ?? tf.zerosLike(g), o.alpha), tf.mul(tf.square(g), 1 - o.alpha));
        let upd = tf.div(g, tf.add(tf.sqrt(s.v), o.eps));
        if (o.momentum > 0) {
          s.buf = s.buf ? tf.add(tf.mul(s.buf, o.momentum), upd) : upd;
          upd = s.buf;
        }
        return tf.sub(param, tf.mul(upd, lr));
      }
    }
  }

  return {
    name: o.name,
    weightDecay: o.weightDecay,
    step(vars, grads, lr) {
      for (const p of vars) {
        const g = grads[p.name];
        if (!g) continue;
        if (useHeap && heapStep(p, g, lr)) continue;
        const s = slots.get(p.name) ?? { t: 0 };
        const old = [s.m, s.v, s.buf];
        const next = tf.tidy(() => {
          const r = update(p, g, lr, s);
          // Keep the new state out of the tidy scope.
          for (const k of ['m', 'v', 'buf'] as const) if (s[k]) tf.keep(s[k]!);
          return r;
        });
        for (const t of old) if (t && t !== s.m && t !== s.v && t !== s.buf) t.dispose();
        p.assign(next);
        next.dispose();
        slots.set(p.name, s);
      }
    },
    dispose() {
      for (const s of slots.values()) tf.dispose([s.m, s.v, s.buf].filter((t): t is tf.Tensor => !!t));
      slots.clear();
      heapSlots.clear();
      for (const s of kernelSlots.values()) { s.s1?.free(); s.s2?.free(); }
      kernelSlots.clear();
    },
  };
}
