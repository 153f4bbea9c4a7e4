// The experiment the sweep, search and trial-worker tests share: small-cnn on 72
// synthetic pattern images of 16 px, 3 epochs, in a fresh temporary folder, with
// its data generated up front so concurrent processes do not race to make it.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ensureSynthetic } from '../../src/data/ensure-synthetic';

export interface TinySweep { work: string; experiment: string }

/** Writes `<work>/<name>.yaml` with the given `sweep:` block (YAML lines, indented by two) and tracking section. */
export async function tinySweep(name: string, sweep: string, tracking = `{ experiment: ${name}-test }`): Promise<TinySweep> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), `cellab-${name}-`));
  const experiment = path.join(work, `${name}.yaml`);
  const synthetic = { kind: 'patterns', n: 72, seed: 3 } as const;
  fs.writeFileSync(experiment, `
name: ${name}-test
dataset:
  format: icpr2012
  root: ${path.join(work, 'data')}
  synthetic: { kind: ${synthetic.kind}, n: ${synthetic.n}, seed: ${synthetic.seed} }
  image: { size: 16, mask: true }
  split: { kind: predefined, valFraction: 0.2 }
  cache: { dir: ${path.join(work, 'cache')} }
model: { backbone: small-cnn, width: 0.5 }
train: { epochs: 3, batchSize: 16, lr: 0.003, checkpoint: false }
sweep:
${sweep.trim().split('\n').map((l) => `  ${l.trim()}`).join('\n')}
tracking: ${tracking}
`);
  await ensureSynthetic({ root: path.join(work, 'data'), synthetic } as never, () => undefined);
  return { work, experiment };
}
