// `cellab kernel install [--prefix DIR] [--name NAME]`: register the project's
// own tslab as a Jupyter kernelspec. Written directly (no python): tslab's own
// installer runs `python3`, which on many machines is a Python without Jupyter.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { CommandModule } from 'yargs';

export interface KernelInstallOptions {
  prefix?: string;
  name: string;
  displayName: string;
}

/** Where Jupyter looks for per-user kernelspecs on this platform. */
export function userKernelsDir(): string {
  if (process.platform === 'darwin') return path.join(os.homedir(), 'Library', 'Jupyter', 'kernels');
  if (process.platform === 'win32') return path.join(process.env.APPDATA ?? os.homedir(), 'jupyter', 'kernels');
  return path.join(process.env.XDG_DATA_HOME ?? path.join(os.homedir(), '.local', 'share'), 'jupyter', 'kernels');
}

export function tslabBin(): string {
  try {
    return path.join(path.dirname(require.resolve('tslab/package.json')), 'bin', 'tslab');
  } catch (err) {
    throw new Error(`tslab is not installed in this project (${(err as Error).message}); run \`npm install\``);
  }
}

export function installKernel(o: KernelInstallOptions): string {
  const base = o.prefix ? path.join(path.resolve(o.prefix), 'share', 'jupyter', 'kernels') : userKernelsDir();
  const dir = path.join(base, o.name);
  fs.mkdirSync(dir, { recursive: true });
  const spec = {
    // The node running cellab, and this project's tslab: no global install needed.
    argv: [process.execPath, tslabBin(), 'kernel', '--config-path', '{connection_file}'],
    display_name: o.displayName,
    language: 'typescript',
  };
  fs.writeFileSync(path.join(dir, 'kernel.json'), JSON.stringify(spec, null, 1) + '\n');
  return dir;
}

export const kernelCommand: CommandModule<object, { action: string; prefix?: string; name: string; 'display-name': string }> = {
  command: 'kernel <action>',
  describe: 'register this project\'s tslab as a Jupyter kernel (action: install)',
  builder: (y) => y
    .positional('action', { choices: ['install'], demandOption: true })
    .option('prefix', { type: 'string', describe: 'install into PREFIX/share/jupyter/kernels (then JUPYTER_PATH=PREFIX/share/jupyter)' })
    .option('name', { type: 'string', default: 'tslab', describe: 'kernelspec name (nbconvert --ExecutePreprocessor.kernel_name)' })
    .option('display-name', { type: 'string', default: 'TypeScript (cellab)' }) as never,
  handler: (args) => {
    const dir = installKernel({ prefix: args.prefix, name: args.name, displayName: args['display-name'] });
    process.stdout.write(`installed kernelspec '${args.name}' in ${dir}\n`);
    if (args.prefix) process.stdout.write(`use it with: JUPYTER_PATH=${path.join(path.resolve(args.prefix), 'share', 'jupyter')} jupyter ...\n`);
  },
};
