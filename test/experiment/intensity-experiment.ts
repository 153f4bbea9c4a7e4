// A small binary experiment file (synthetic positive/negative cells, 16 px, a tiny CNN):
// learns in two epochs, so tests of what runs log stay fast.
import * as fs from 'node:fs';
import * as path from 'node:path';

export function lrFindExperiment(dir: string): string {
  const file = path.join(dir, 'lrfind.yaml');
  fs.writeFileSync(file, `
name: lrfind
dataset:
  format: csv
  manifest: ${path.join(dir, 'data', 'labels.csv')}
  root: ${path.join(dir, 'data', 'images')}
  synthetic: { kind: intensity, n: 80, seed: 2, out: ${path.join(dir, 'data')} }
  columns: { path: ImageFileName, label: intensity, group: specimen }
  image: { size: 16, channels: gray, mask: true }
  split: { kind: stratified, valFraction: 0.25, testFraction: 0.3, seed: 0 }
  cache: { dir: ${path.join(dir, 'cache')} }
model: { backbone: small-cnn, width: 0.5 }
train: { epochs: 2, batchSize: 8, lr: 0.003, optimizer: sgd }
sweep: { train.lr: [0.001, 0.01] }
tracking: { uri: ${path.join(dir, 'store')}, experiment: lrfind }
`);
  return file;
}
