// The local store is MLflow's file store: same layout and file formats as the
// tree MLflow 2.22.4's own client wrote (the fixture), readable after a move,
// safe with two writer processes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FileStore, datasetId, parseMetricLines } from '../../src/tracking/file-store';
import { openTracking } from '../../src/tracking/tracking';
import { parsePyYaml } from '../../src/tracking/pyyaml';

const FIXTURE = path.join(__dirname, 'fixtures', 'mlflow', 'filestore-2.22.4', 'mlruns');
const tmp = (p: string) => fs.mkdtempSync(path.join(os.tmpdir(), p));
const quiet = () => undefined;

function files(root: string, rel = ''): string[] {
  return fs.readdirSync(path.join(root, rel), { withFileTypes: true }).flatMap((e) => {
    const r = rel ? `${rel}/${e.name}` : e.name;
    return e.isDirectory() ? files(root, r) : [r];
  }).sort();
}

/** The fixture's scenario, logged through our API into a fresh store (the quickstart's shape: a sweep parent, two trials). */
async function writeFixtureScenario(store: string): Promise<Record<string, string>> {
  const t = await openTracking({ uri: store, log: quiet, sourceName: 'fs.py' });
  const exp = await t.getOrCreateExperiment('hep2-patterns', { project: 'cellab' });
  const sweep = await t.startRun({ experimentId: exp, runName: 'sweep' });
  sweep.logParam('sweep.size', 2);
  const trial = await t.startRun({ experimentId: exp, runName: 'trial-0', parentRunId: sweep.runId });
  trial.logParams({ model: { backbone: 'resnet18' }, train: { lr: 0.001 } });
  trial.setTag('cellab.backend', 'wasm');
  trial.logMetric('train_loss', 1.2, 0);
  trial.logMetric('val/accuracy', 0.41, 0);
  trial.logMetric('train_loss', 0.8, 1);
  trial.logMetric('val/accuracy', 0.63, 1);
  trial.logInput({
    name: 'hep2-synthetic', digest: '3bdbf555', source: '{"uri": "data/hep2"}', sourceType: 'local', context: 'train',
    schema: '{"mlflow_colspec": [{"type": "string", "name": "path", "required": true}, {"type": "string", "name": "label", "required": true}]}',
    profile: '{"num_rows": 1, "num_elements": 2}',
  });
  await trial.logArtifact('plots/confusion_matrix.svg', "<svg xmlns='http://www.w3.org/2000/svg'/>");
  await trial.end('FINISHED');
  sweep.logMetric('mean_val_accuracy', 0.63, 0);
  const diverged = await t.startRun({ experimentId: exp, runName: 'diverged-trial', parentRunId: sweep.runId });
  diverged.logMetric('train_loss', NaN, 0);
  await diverged.end('FAILED');
  await sweep.end();
  return { [exp]: 'EXP', [sweep.runId]: 'SWEEP', [trial.runId]: 'TRIAL', [diverged.runId]: 'DIVERGED' };
}

const FIXTURE_IDS: Record<string, string> = {
  '416212379863395456': 'EXP', '75ace3858c004232b80ea4f79b3b5033': 'SWEEP', '30cd8cb851af41d8a783691b32fc02ef': 'TRIAL', '3cd8cb7b569d4d189b29dc4114bae96c': 'DIVERGED',
};
// MLflow's client adds these to runs it starts itself; the fixture's diverged run was made without them.
const SOURCE_TAG = /\/tags\/mlflow\.(source\.[a-z.]+|user)$/;
function normalisedTree(root: string, ids: Record<string, string>): string[] {
  return files(root)
    .filter((f) => !SOURCE_TAG.test(f))
    .map((f) => f.split('/').map((seg) => ids[seg] ?? seg).join('/'))
    .map((f) => f.replace(/inputs\/[0-9a-f]{32}\//, 'inputs/INPUT/'))
    .sort();
}

test('a store written by cellab has the layout and file formats of the one MLflow wrote', async () => {
  const store = tmp('cellab-layout-');
  const ids = await writeFixtureScenario(store);
  // Structure: the same files, ids aside.
  assert.deepEqual(normalisedTree(store, ids), normalisedTree(FIXTURE, FIXTURE_IDS));

  const byName = Object.fromEntries(Object.entries(ids).map(([k, v]) => [v, k]));
  const ours = (rel: string) => path.join(store, rel.replace('EXP', byName.EXP).replace(/SWEEP|TRIAL|DIVERGED/, (m) => byName[m]));
  const theirs = (rel: string) => path.join(FIXTURE, rel.replace('EXP', '416212379863395456').replace(/SWEEP|TRIAL|DIVERGED/, (m) => Object.keys(FIXTURE_IDS).find((k) => FIXTURE_IDS[k] === m)!));

  // meta.yaml: same fields, same kinds of values, numeric status, file: artifact URIs inside the store.
  for (const rel of ['0/meta.yaml', 'EXP/meta.yaml', 'EXP/SWEEP/meta.yaml', 'EXP/TRIAL/meta.yaml', 'EXP/DIVERGED/meta.yaml']) {
    const a = parsePyYaml(fs.readFileSync(ours(rel), 'utf8'), rel);
    const b = parsePyYaml(fs.readFileSync(theirs(rel), 'utf8'), rel);
    assert.deepEqual(Object.keys(a), Object.keys(b), rel);
    for (const k of Object.keys(b)) {
      assert.equal(typeof a[k], typeof b[k], `${rel}: ${k}`);
      if (['status', 'source_type', 'lifecycle_stage', 'entry_point_name', 'source_name', 'source_version', 'run_name', 'name'].includes(k)) assert.deepEqual(a[k], b[k], `${rel}: ${k}`);
    }
    const uri = String(a.artifact_uri ?? a.artifact_location);
    assert.equal(uri, `file://${path.dirname(ours(rel))}${rel.split('/').length === 3 ? '/artifacts' : ''}`);
  }
  // The dataset's meta.yaml is byte-identical (same dataset id: md5 of name + digest).
  const ds = `EXP/datasets/${datasetId('hep2-synthetic', '3bdbf555')}/meta.yaml`;
  assert.equal(fs.readFileSync(ours(ds), 'utf8'), fs.readFileSync(theirs(ds), 'utf8'));
  const inputRel = (root: string, run: string) => fs.readdirSync(path.join(root, run, 'inputs'))[0];
  const inOurs = fs.readFileSync(path.join(ours('EXP/TRIAL'), 'inputs', inputRel(ours('EXP'), byName.TRIAL), 'meta.yaml'), 'utf8');
  const inTheirs = fs.readFileSync(path.join(theirs('EXP/TRIAL'), 'inputs', inputRel(theirs('EXP'), '30cd8cb851af41d8a783691b32fc02ef'), 'meta.yaml'), 'utf8');
  assert.equal(inOurs.replace(byName.TRIAL, 'RUN'), inTheirs.replace('30cd8cb851af41d8a783691b32fc02ef', 'RUN'));

  // Metric files: `<ts> <value> <step>` lines, Python float text; NaN as `nan`.
  for (const rel of ['EXP/TRIAL/metrics/train_loss', 'EXP/TRIAL/metrics/val/accuracy', 'EXP/SWEEP/metrics/mean_val_accuracy', 'EXP/DIVERGED/metrics/train_loss']) {
    const strip = (s: string) => s.split('\n').map((l) => l.replace(/^\d{13} /, 'TS '));
    assert.deepEqual(strip(fs.readFileSync(ours(rel), 'utf8')), strip(fs.readFileSync(theirs(rel), 'utf8')), rel);
  }
  // Params, tags, experiment tags and the artifact: raw values, no trailing newline.
  for (const rel of ['EXP/TRIAL/params/model.backbone', 'EXP/TRIAL/params/train.lr', 'EXP/SWEEP/params/sweep.size', 'EXP/TRIAL/tags/cellab.backend',
    'EXP/TRIAL/tags/mlflow.runName', 'EXP/TRIAL/tags/mlflow.source.name', 'EXP/TRIAL/tags/mlflow.source.type', 'EXP/tags/project', 'EXP/TRIAL/artifacts/plots/confusion_matrix.svg']) {
    assert.equal(fs.readFileSync(ours(rel), 'utf8'), fs.readFileSync(theirs(rel), 'utf8'), rel);
  }
  assert.equal(fs.readFileSync(ours('EXP/TRIAL/tags/mlflow.parentRunId'), 'utf8'), byName.SWEEP);
});

test('the store MLflow wrote, copied elsewhere, reads back whole (artifact URIs pointing at the old place)', async () => {
  const moved = path.join(tmp('cellab-moved-'), 'mlruns');
  fs.cpSync(FIXTURE, moved, { recursive: true });
  const s = new FileStore(moved);
  const trial = await s.getRun('30cd8cb851af41d8a783691b32fc02ef');
  assert.equal(trial.info.artifactUri, 'file:///STORE_ROOT/mlruns/416212379863395456/30cd8cb851af41d8a783691b32fc02ef/artifacts');
  assert.equal(trial.info.status, 'FINISHED');
  assert.equal(trial.info.runName, 'trial-0');
  assert.deepEqual(trial.params, { 'model.backbone': 'resnet18', 'train.lr': '0.001' });
  assert.deepEqual(trial.metrics, { train_loss: 0.8, 'val/accuracy': 0.63 });
  assert.equal(trial.tags['mlflow.parentRunId'], '75ace3858c004232b80ea4f79b3b5033');
  assert.deepEqual(trial.inputs.map((d) => [d.name, d.digest, d.context]), [['hep2-synthetic', '3bdbf555', 'train']]);
  assert.equal((await s.downloadArtifact(trial.info, 'plots/confusion_matrix.svg')).length, 41);
  assert.deepEqual(await s.listArtifacts(trial.info), [{ path: 'plots', isDir: true }]);
  const failed = await s.searchRuns({ experimentIds: ['416212379863395456'], filter: "attributes.status = 'FAILED'" });
  assert.deepEqual(failed.map((r) => r.info.runName), ['diverged-trial']);
  assert.ok(Number.isNaN(failed[0].metrics.train_loss));
  assert.deepEqual((await s.getExperimentByName('hep2-patterns'))?.tags, { project: 'cellab' });
});

test('a copied store writes into the copy, never into the original', async () => {
  const original = tmp('cellab-orig-');
  const t = await openTracking({ uri: original, log: quiet });
  const run = await t.startRun({ experimentId: await t.getOrCreateExperiment('e') });
  await run.logArtifact('a.txt', 'original');
  await run.end();
  const copy = path.join(tmp('cellab-copy-'), 'store');
  fs.cpSync(original, copy, { recursive: true });
  const c = await openTracking({ uri: copy, log: quiet });
  const info = (await c.getRun(run.runId)).info;
  await new FileStore(copy).uploadArtifact(info, 'a.txt', Buffer.from('changed in the copy'));
  assert.equal((await c.downloadArtifact(run.runId, 'a.txt')).toString(), 'changed in the copy');
  assert.equal((await t.downloadArtifact(run.runId, 'a.txt')).toString(), 'original');
});

function runWriter(store: string, name: string, points: number, startAt: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'fixtures', 'store-writer.ts'), store, name, String(points), String(startAt)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('exit', (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`writer ${name} exited ${code}: ${err}`))));
  });
}

test('two processes writing different runs into one store at once leave it whole', async () => {
  const store = tmp('cellab-two-');
  const startAt = Date.now() + 2500;
  const [a, b] = await Promise.all([runWriter(store, 'writer-a', 600, startAt), runWriter(store, 'writer-b', 600, startAt)]);
  const s = new FileStore(store);
  const shared = (await s.listExperiments()).filter((e) => e.name === 'shared');
  assert.equal(shared.length, 1, 'one experiment, though both processes asked for it at once');
  const runs = await s.searchRuns({ experimentIds: [shared[0].experimentId] });
  assert.deepEqual(runs.map((r) => r.info.runId).sort(), [a, b].sort());
  for (const r of runs) {
    assert.equal(r.info.status, 'FINISHED');
    assert.equal(r.params.writer, r.info.runName);
    const loss = await s.getMetricHistory(r.info.runId, 'train/loss');
    assert.deepEqual(loss.map((p) => p.step), Array.from({ length: 600 }, (_, i) => i));
    assert.deepEqual(loss.map((p) => p.value), Array.from({ length: 600 }, (_, i) => i));
    assert.equal((await s.getMetricHistory(r.info.runId, 'val/accuracy')).length, 600);
    assert.equal((await s.downloadArtifact(r.info, 'writer.txt')).toString(), r.info.runName);
  }
  assert.ok(!fs.existsSync(path.join(store, '.cellab.lock')));
});

test('a metric line the store cannot read is an error naming file and line, not a dropped point; a line still being written is not', () => {
  assert.deepEqual(parseMetricLines('val/loss', '1700000000000 0.5 0\n1700000000001 nan 1\n1700000000002 0.2'),
    [{ key: 'val/loss', value: 0.5, timestamp: 1700000000000, step: 0 }, { key: 'val/loss', value: NaN, timestamp: 1700000000001, step: 1 }]);
  assert.throws(() => parseMetricLines('val/loss', '1700000000000 0.5 0\n1700000000001 oops 1\n', '/s/metrics/val/loss'),
    /\/s\/metrics\/val\/loss:2: '1700000000001 oops 1' is not a metric point/);
  assert.throws(() => parseMetricLines('val/loss', '17000000 0.5 0 9\n', 'f'), /f:1: .* is not a metric point/);
});

test('a damaged run makes a search fail naming it, instead of vanishing from the results', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cellab-damaged-'));
  const store = new FileStore(root);
  const exp = await store.createExperiment('e');
  const ok = await store.createRun({ experimentId: exp, startTime: Date.now(), tags: {} });
  const bad = await store.createRun({ experimentId: exp, startTime: Date.now(), tags: {} });
  assert.equal((await store.searchRuns({ experimentIds: [exp] })).length, 2);
  fs.writeFileSync(path.join(root, exp, bad.runId, 'metrics', 'loss'), '1700000000000 0.5 0\ngarbage\n');
  await assert.rejects(store.searchRuns({ experimentIds: [exp] }), new RegExp(`run ${bad.runId} in .* cannot be read \\(.*loss:2: 'garbage' is not a metric point.*fix or remove`));
  assert.equal((await store.getRun(ok.runId)).info.runId, ok.runId);
});
