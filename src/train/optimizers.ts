// Optimisers with the update rules of torch.optim (Adam, AdamW, SGD with
// momentum/Nesterov, RMSprop), stepped with an explicit learning rate so a
// schedule can set it every step (TF.js optimisers fix it at construction),
// and with AdamW's decoupled weight decay, which TF.js lacks. As timm does,
// weight decay skips 1-D weights (biases, norm scales and offsets).
import * as tf from '@tensorflow/tfjs';
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
}

export interface Optimizer {
  readonly name: OptimizerName;
  readonly weightDecay: number;
  /** One update of `vars` with `grads` (keyed by variable name) at learning rate `lr`. */
  step(vars: tf.Variable[], grads: tf.NamedTensorMap, lr: number): void;
  dispose(): void;
}

interface Slot { t: number; m?: tf.Tensor; v?: tf.Tensor; buf?: tf.Tensor }

/** Default weight decay and momentum per optimiser (PyTorch's, except AdamW's 0.01 which is also PyTorch's). */
export type ResolvedOptimizerOptions = { [K in keyof OptimizerOptions]-?: NonNullable<OptimizerOptions[K]> };

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
  const [b1, b2] = o.betas;

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
    },
  };
}
