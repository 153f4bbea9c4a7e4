// The loss and optimiser a TrainConfig asks for: shared by fit and the LR range test,
// so both train the same objective with the same update rule.
import type { TrainConfig } from './schema';
import { makeLoss } from './losses';
import { createOptimizer } from './optimizers';

/** `multiLabel`: the source carries 0/1 label sets (per-label losses; relu/tanh heads as `cfg.headActivation` says). */
export function trainingObjective(cfg: TrainConfig, numClasses: number, classWeights?: number[], multiLabel = false) {
  const posWeight = typeof cfg.posWeight === 'number' ? [cfg.posWeight] : cfg.posWeight ?? undefined;
  const lossFn = makeLoss({ kind: cfg.loss ?? 'cross-entropy', labelSmoothing: cfg.labelSmoothing, classWeights,
    focalGamma: cfg.focalGamma, posWeight, multiLabel, headActivation: cfg.headActivation }, numClasses);
  const optimizer = createOptimizer({ name: cfg.optimizer ?? 'adam', weightDecay: cfg.weightDecay, momentum: cfg.momentum,
    nesterov: cfg.nesterov, betas: cfg.betas, eps: cfg.eps });
  return { lossFn, optimizer };
}
