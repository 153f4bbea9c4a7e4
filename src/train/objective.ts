// The loss and optimiser a TrainConfig asks for: shared by fit and the LR range test,
// so both train the same objective with the same update rule.
import type { TrainConfig } from './schema';
import { makeLoss } from './losses';
import { createOptimizer } from './optimizers';

export function trainingObjective(cfg: TrainConfig, numClasses: number, classWeights?: number[]) {
  const posWeight = typeof cfg.posWeight === 'number' ? [cfg.posWeight] : cfg.posWeight ?? undefined;
  const lossFn = makeLoss({ kind: cfg.loss ?? 'cross-entropy', labelSmoothing: cfg.labelSmoothing, classWeights,
    focalGamma: cfg.focalGamma, posWeight }, numClasses);
  const optimizer = createOptimizer({ name: cfg.optimizer ?? 'adam', weightDecay: cfg.weightDecay, momentum: cfg.momentum,
    nesterov: cfg.nesterov, betas: cfg.betas, eps: cfg.eps });
  return { lossFn, optimizer };
}
