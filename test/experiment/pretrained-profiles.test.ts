// The studies' `pretrained` profiles: with the published weights in the cache
// they expand to the study's pretrained nets at width 1; without them the
// file is refused before anything runs, saying what to fetch. Smoke profiles
// stay offline (no published weights).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadExperimentFile } from '../../src/experiment/config';
import { expandTrials } from '../../src/experiment/trials';
import { findPublished } from '../../src/models/import/published';

const root = path.resolve(__dirname, '..', '..');
const file = (n: string) => path.join(root, 'experiments', `${n}.yaml`);
let cache: string;
before(() => { cache = fs.mkdtempSync(path.join(os.tmpdir(), 'cellab-cache-')); });
after(() => fs.rmSync(cache, { recursive: true, force: true }));

const STUDIES: Record<string, string[]> = {
  'hep2-patterns': ['timm:convnext_atto', 'timm:coatnet_0_rw_224', 'torchvision:resnet18'],
  'hep2-intensity': ['torchvision:googlenet'],
  'protein-localisation': ['torchvision:efficientnet_b0', 'torchvision:resnet18', 'torchvision:inception_v3'],
};

for (const [study, ids] of Object.entries(STUDIES)) {
  test(`${study} --profile pretrained: refused with the fetch commands when the cache is empty, the study's nets when it is not`, () => {
    const dir = path.join(cache, study);
    fs.mkdirSync(dir);
    const env = { CELLAB_WEIGHTS_DIR: dir };
    assert.throws(() => loadExperimentFile(file(study), { env, profile: 'pretrained' }), (e: Error) => ids.every((id) => e.message.includes(`cellab weights fetch ${id}`)));
    for (const id of ids) fs.writeFileSync(path.join(dir, findPublished(id).file), '');
    const trials = expandTrials(loadExperimentFile(file(study), { env, profile: 'pretrained' }).config, root);
    assert.deepEqual([...new Set(trials.map((t) => t.config.model.pretrained))], ids);
    assert.deepEqual([...new Set(trials.map((t) => t.config.model.width))], [1]);
    assert.deepEqual([...new Set(trials.map((t) => t.config.model.backbone))], ids.map((id) => findPublished(id).arch));
    assert.equal(trials[0].config.dataset.image.size, 224);
    // The smoke profile needs nothing downloaded.
    const smoke = expandTrials(loadExperimentFile(file(study), { env: { CELLAB_WEIGHTS_DIR: path.join(cache, 'none') }, profile: 'smoke' }).config, root);
    assert.ok(smoke.every((t) => !t.config.model.pretrained || !/^(torchvision|timm):/.test(t.config.model.pretrained)));
  });
}

test('hep2-intensity --profile pretrained: GoogLeNet at the study\'s three freeze depths and the linear head', () => {
  const dir = path.join(cache, 'g');
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, findPublished('torchvision:googlenet').file), '');
  const t = expandTrials(loadExperimentFile(file('hep2-intensity'), { env: { CELLAB_WEIGHTS_DIR: dir }, profile: 'pretrained' }).config, root);
  assert.deepEqual([...new Set(t.map((x) => `${x.config.model.backbone}/${x.config.model.head}/${x.config.model.freeze}`))],
    ['googlenet/dense/soft', 'googlenet/dense/medium', 'googlenet/dense/hard', 'googlenet/linear/none']);
});
