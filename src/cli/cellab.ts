// `cellab <command>`: the workbench's tools beside run-experiment.
import yargs from 'yargs';
import { evaluateCommand } from './evaluate';
import { synthCommand } from './synth';
import { pushCommand } from './push';
import { kernelCommand } from './kernel';
import { backendCommand } from './backend';
import { backbonesCommand } from './backbones';
import { lrFindCommand } from './lr-find';
import { reportCommand } from './report';
import { weightsCommand } from './weights';

export async function main(argv: string[]): Promise<number> {
  process.exitCode = 0;
  const parser = yargs(argv)
    .scriptName('cellab')
    .usage('$0 <command> [options]')
    .command(synthCommand)
    .command(evaluateCommand)
    .command(pushCommand)
    .command(kernelCommand)
    .command(backendCommand)
    .command(backbonesCommand)
    .command(lrFindCommand)
    .command(reportCommand)
    .command(weightsCommand)
    .demandCommand(1, 'Name a command (see --help).')
    .recommendCommands()
    .strict()
    .help()
    .version(false)
    .epilogue('Experiments run with run-experiment FILE; see README.md.');
  try {
    await parser.parseAsync();
  } catch (err) {
    process.stderr.write(`error: ${(err as Error).message}\n`);
    return 1;
  }
  return Number(process.exitCode ?? 0);
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
}
