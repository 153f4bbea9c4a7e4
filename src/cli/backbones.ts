// `cellab backbones [--json]`: every registered backbone with its parameter
// count (at its default width for the given input) and a one-line description.
import type { CommandModule } from 'yargs';
import { backboneInfo, countParams, createBackbone, listBackbones } from '../models/index';
import { initEngine } from '../engine/backend';
import { reportError } from './exit';

interface Args { json: boolean; size: number; channels: number; classes: number; width?: number }

export interface BackboneRow {
  name: string;
  params: number;
  width: number;
  aliases: string[];
  description: string;
}

/** Builds each backbone once to count its weights. */
export function backboneRows(o: { size: number; channels: number; classes: number; width?: number }): BackboneRow[] {
  return listBackbones().map((b) => {
    const model = createBackbone(b.name, { inputShape: [o.size, o.size, o.channels], classes: o.classes, width: o.width });
    try {
      return { name: b.name, params: countParams(model), width: o.width ?? backboneInfo(b.name).defaultWidth, aliases: b.aliases, description: b.description };
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
    .option('size', { type: 'number', default: 64, describe: 'input height = width for the parameter count' })
    .option('channels', { type: 'number', default: 1, describe: 'input channels (1 = gray)' })
    .option('classes', { type: 'number', default: 6 })
    .option('width', { type: 'number', describe: "width multiplier (default: each backbone's own)" }) as never,
  handler: async (args) => {
    try {
      // Building a model runs weight initialisers: pick the backend quietly first.
      await initEngine({ log: null });
      const rows = backboneRows(args);
      if (args.json) {
        process.stdout.write(JSON.stringify({ input: [args.size, args.size, args.channels], classes: args.classes, backbones: rows }) + '\n');
        return;
      }
      const nameW = Math.max(...rows.map((r) => r.name.length));
      process.stdout.write(`${'name'.padEnd(nameW)}  ${'params'.padStart(9)}  width  description   (input ${args.size}x${args.size}x${args.channels}, ${args.classes} classes)\n`);
      for (const r of rows) {
        const aka = r.aliases.length ? ` [also: ${r.aliases.join(', ')}]` : '';
        process.stdout.write(`${r.name.padEnd(nameW)}  ${r.params.toLocaleString('en-US').padStart(9)}  ${String(r.width).padEnd(5)}  ${r.description}${aka}\n`);
      }
    } catch (err) {
      process.exitCode = reportError(err, { json: args.json });
    }
  },
};
