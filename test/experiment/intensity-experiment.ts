// A small binary experiment file (synthetic positive/negative cells, 16 px, a tiny CNN):
// learns in two epochs, so tests of what runs log stay fast. `sections` adds or replaces
// top-level sections (YAML text: train, sweep, tracking ...).
import * as fs from 'node:fs';
import * as path from 'node:path';

export function intensityExperiment(dir: string, name: string, sections: Record<string, string> = {}): string {
  const file = path.join(dir, `${name}.yaml`);
  const all: Record<string, string> = {
    description: 'Positive vs negative cells.',
    dataset: `
  format: csv
  manifest: ${path.join(dir, 'data', 'labels.csv')}
  root: ${path.join(dir, 'data', 'images')}
  synthetic: { kind: intensity, n: 80, seed: 2, out: ${path.join(dir, 'data')} }
  columns: { path: ImageFileName, label: intensity, group: specimen }
  image: { size: 16, channels: gray, mask: true }
  split: { kind: stratified, valFraction: 0.25, testFraction: 0.3, seed: 0 }
  cache: { dir: ${path.join(dir, 'cache')} }`,
    model: '{ backbone: small-cnn, width: 0.5 }',
    train: '{ epochs: 2, batchSize: 16, lr: 0.003 }',
    tracking: `{ uri: ${path.join(dir, 'store')}, experiment: ${name} }`,
    ...sections,
  };
  fs.writeFileSync(file, `name: ${name}\n${Object.entries(all).map(([k, v]) => `${k}: ${v}`).join('\n')}\n`);
  return file;
}

/** The LR range test's experiment: SGD, and a sweep (lr-find uses its first configuration). */
export function lrFindExperiment(dir: string): string {
  return intensityExperiment(dir, 'lrfind', { train: '{ epochs: 2, batchSize: 8, lr: 0.003, optimizer: sgd }', sweep: '{ train.lr: [0.001, 0.01] }' });
}
