// `cellab backend [--json]`: which TF.js backend cellab would use here, and why not the others.
import type { CommandModule } from 'yargs';
import { initEngine } from '../engine/backend';
import { reportError } from './exit';

export const backendCommand: CommandModule<object, { json: boolean }> = {
  command: 'backend',
  describe: 'show the TF.js backend cellab picks here (CELLAB_BACKEND forces one)',
  builder: (y) => y.option('json', { type: 'boolean', default: false }) as never,
  handler: async (args) => {
    try {
      const info = await initEngine({ log: null });
      if (args.json) {
        process.stdout.write(JSON.stringify(info) + '\n');
        return;
      }
      process.stdout.write(`backend: ${info.backend}\ndevice:  ${info.device}\n${info.adapter ? `adapter: ${info.adapter}\n` : ''}detail:  ${info.detail}\n`);
      for (const s of info.skipped) process.stdout.write(`skipped ${s.backend}: ${s.reason}\n`);
    } catch (err) {
      process.exitCode = reportError(err, { json: args.json });
    }
  },
};
