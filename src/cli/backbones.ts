// `cellab backbones [--json]`: every registered backbone with its default
// width, its parameter count there (learned parameters as PyTorch counts
// them; by default for ImageNet's 224x224x3 input and 1000 classes, so the
// published nets read as their papers do), the published weights cellab can
// load into it, and a one-line description.
import type { CommandModule } from 'yargs';
import { backboneInfo, parameterCount, createBackbone, listBackbones, listPublished } from '../models/index';
import { initEngine } from '../engine/backend';
import { reportError } from './exit';
import { createProgress, type ProgressMode } from '../experiment/progress';

interface Args { json: boolean; size: number; channels: number; classes: number; width?: number }

export interface BackboneRow {
  name: string;
  params: number;
  width: number;
  /** Published weights for it (`torchvision:resnet18`), loadable with model.pretrained. */
  weights: string[];
  aliases: string[];
  description: string;
}

/** Builds each backbone once to count its weights. */
export function backboneRows(o: { size: number; channels: number; classes: number; width?: number; progress?: ProgressMode }): BackboneRow[] {
  const all = listBackbones();
  const bar = createProgress('counting parameters', all.length, { mode: o.progress ?? 'off', unit: 'backbones' });
  return all.map((b, i) => {
    bar.update(i, { backbone: b.name });
    if (i === all.length - 1) bar.finish();
    // Zero weights: only the shapes are counted (random init of 66M weights takes seconds).
    const size = Math.max(o.size, b.minInputSize);   // Inception v3 takes >= 75 px; its count does not depend on the size
    const model = createBackbone(b.name, { inputShape: [size, size, o.channels], classes: o.classes, width: o.width, zeroInit: true });
    try {
      const weights = listPublished().filter((p) => p.arch === b.name).map((p) => p.id);
      return { name: b.name, params: parameterCount(model), width: o.width ?? backboneInfo(b.name).defaultWidth, weights, aliases: b.aliases, description: b.description };
    } finally {
      model.dispose();
    }
  });
}

export const backbonesCommand: CommandModule<object, Args> = {
  command: 'backbones',
  describe: 'list the registered backbones (model.backbone): name, parameters, description',
  builder: (y) => y
    .option('json', { type: 'boolean', default: false, describe: 'one JSON object: {"backbones": [...]}' })
    .option('size', { type: 'number', default: 224, describe: 'input height = width for the parameter count' })
    .option('channels', { type: 'number', default: 3, describe: 'input channels (1 = gray)' })
    .option('classes', { type: 'number', default: 1000 })
    .option('width', { type: 'number', describe: "width multiplier (default: each backbone's own)" }) as never,
  handler: async (args) => {
    try {
      // Building a model runs weight initialisers: pick the backend quietly first.
      await initEngine({ log: null });
      const rows = backboneRows({ ...args, progress: 'auto' });
      if (args.json) {
        process.stdout.write(JSON.stringify({ input: [args.size, args.size, args.channels], classes: args.classes, backbones: rows }) + '\n');
        return;
      }
      const nameW = Math.max(...rows.map((r) => r.name.length));
      process.stdout.write(`${'name'.padEnd(nameW)}  ${'params'.padStart(11)}  width  description   (default width; params for input ${args.size}x${args.size}x${args.channels}, ${args.classes} classes)\n`);
      for (const r of rows) {
        const aka = r.aliases.length ? ` [also: ${r.aliases.join(', ')}]` : '';
        const w = r.weights.length ? ` [weights: ${r.weights.join(', ')}]` : '';
        process.stdout.write(`${r.name.padEnd(nameW)}  ${r.params.toLocaleString('en-US').padStart(11)}  ${String(r.width).padEnd(5)}  ${r.description}${aka}${w}\n`);
      }
    } catch (err) {
      process.exitCode = reportError(err, { json: args.json });
    }
  },
};
