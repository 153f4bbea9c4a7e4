// Paths in a dataset section: manifest and mask.dir resolve against dataset.root
// first, then the experiment file's folder; found in neither is an error naming both.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { resolveDatasetInputPaths } from '../../src/data/paths';
import { resolveDatasetConfig } from '../../src/data/load';
import { loadExperimentFile, configHash } from '../../src/experiment/config';
import { ConfigError } from '../../src/engine/schema';
import { tmpDir } from './helpers';

/** <tmp>/experiments (the experiment file's folder) and <tmp>/data/cells (the images). */
function layout() {
  const top = tmpDir('cellab-paths-');
  const exp = path.join(top, 'experiments');
  const root = path.join(top, 'data', 'cells');
  fs.mkdirSync(exp, { recursive: true });
  fs.mkdirSync(root, { recursive: true });
  return { top, exp, root };
}

const resolve = (section: Record<string, unknown>, baseDir: string) => {
  const problems: string[] = [];
  const out = resolveDatasetInputPaths(section, baseDir, problems) as Record<string, unknown>;
  return { out, problems };
};

test('a manifest named split.csv next to the images is found under dataset.root, from an experiment file elsewhere', () => {
  const { exp, root } = layout();
  fs.writeFileSync(path.join(root, 'split.csv'), 'path,label\n');
  const file = path.join(exp, 'x.yaml');
  fs.writeFileSync(file, 'dataset: { format: csv, root: ../data/cells, manifest: split.csv }\nmodel: { backbone: small-cnn }\n');
  const r = loadExperimentFile(file, { env: {} });
  assert.equal(r.config.dataset.root, root);
  assert.equal(r.config.dataset.manifest, path.join(root, 'split.csv'));
  // The notebook entry point resolves the same way.
  assert.equal(resolveDatasetConfig({ format: 'csv', root: '../data/cells', manifest: 'split.csv' }, exp).manifest, path.join(root, 'split.csv'));
});

test('then the experiment file\'s folder; root first when both hold one; mask.dir too', () => {
  const { exp, root } = layout();
  fs.writeFileSync(path.join(exp, 'labels.csv'), 'path,label\n');
  fs.mkdirSync(path.join(exp, 'masks'));
  let r = resolve({ root: '../data/cells', manifest: 'labels.csv', mask: { dir: 'masks', pattern: '{stem}.png' } }, exp);
  assert.deepEqual(r.problems, []);
  assert.equal(r.out.manifest, path.join(exp, 'labels.csv'));
  assert.deepEqual(r.out.mask, { dir: path.join(exp, 'masks'), pattern: '{stem}.png' });
  fs.writeFileSync(path.join(root, 'labels.csv'), 'path,label\n');
  fs.mkdirSync(path.join(root, 'masks'));
  r = resolve({ root: '../data/cells', manifest: 'labels.csv', mask: { dir: 'masks' } }, exp);
  assert.equal(r.out.manifest, path.join(root, 'labels.csv'));
  assert.deepEqual(r.out.mask, { dir: path.join(root, 'masks') });
  // Absolute paths and sections without a root are left to the usual rule.
  r = resolve({ manifest: 'labels.csv' }, exp);
  assert.equal(r.out.manifest, 'labels.csv');
  r = resolve({ root: root, manifest: '/elsewhere/labels.csv' }, exp);
  assert.equal(r.out.manifest, '/elsewhere/labels.csv');
});

test('found in neither place: a config error naming both places tried', () => {
  const { exp, root } = layout();
  const file = path.join(exp, 'x.yaml');
  fs.writeFileSync(file, 'dataset: { format: csv, root: ../data/cells, manifest: split.csv }\nmodel: { backbone: small-cnn }\n');
  assert.throws(() => loadExperimentFile(file, { env: {} }), (err: Error) => {
    assert.ok(err instanceof ConfigError);
    assert.ok(err.message.includes(`\`dataset.manifest\` split.csv is not found under dataset.root (${path.join(root, 'split.csv')}) nor beside the experiment file (${path.join(exp, 'split.csv')})`), err.message);
    return true;
  });
  assert.throws(() => resolveDatasetConfig({ format: 'folder', root, image: { mask: true }, mask: { dir: 'masks' } }, root),
    new RegExp(`\`dataset.mask.dir\` masks is not found at ${path.join(root, 'masks')}\\.`));
});

test('a synthetic set not generated yet: the path is the one the generator will write, the same before and after generation', () => {
  const { top, exp } = layout();
  const file = path.join(exp, 'x.yaml');
  // As experiments/hep2-intensity.yaml: the manifest beside images/, both under synthetic.out.
  fs.writeFileSync(file, [
    'dataset:',
    '  format: csv',
    '  root: ../data/aida/images',
    '  manifest: ../data/aida/labels.csv',
    '  synthetic: { kind: intensity, n: 24, out: ../data/aida }',
    'model: { backbone: small-cnn }', ''].join('\n'));
  const before = loadExperimentFile(file, { env: {} });
  assert.equal(before.config.dataset.manifest, path.join(top, 'data', 'aida', 'labels.csv'));
  fs.mkdirSync(path.join(top, 'data', 'aida', 'images'), { recursive: true });
  fs.writeFileSync(path.join(top, 'data', 'aida', 'labels.csv'), 'ImageFileName,intensity\n');
  const after = loadExperimentFile(file, { env: {} });
  assert.equal(after.config.dataset.manifest, before.config.dataset.manifest);
  assert.equal(configHash(after.config), configHash(before.config));
  // A set generated into root itself: `labels.csv` is found under root.
  const r = resolve({ root: '../data/fresh', manifest: 'labels.csv', synthetic: { kind: 'intensity' } }, exp);
  assert.deepEqual(r.problems, []);
  assert.equal(r.out.manifest, path.join(top, 'data', 'fresh', 'labels.csv'));
});
