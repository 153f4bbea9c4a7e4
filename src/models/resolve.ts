// The `model` section made explicit before a run: the backbone's width is
// written into the config (its default when absent), so MLflow params and
// `cellab.config_hash` say which net was trained: `--resume` never reuses a
// trial trained at another width.
import './backbones';
import { backboneInfo, resolveBackboneName } from './registry';
import type { ModelConfig } from './schema';

export function resolveModelConfig(m: ModelConfig): ModelConfig {
  const name = resolveBackboneName(m.backbone);
  return { ...m, width: m.width ?? backboneInfo(name).defaultWidth };
}
