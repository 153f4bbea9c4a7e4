// `cellab report` for the hep2-patterns smoke sweep (shrunk: fewer, smaller cells): one
// self-contained HTML file that draws every chart in headless chromium with no network
// request, is not blank, and holds the best run's galleries.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import sharp from 'sharp';
import { CHROMIUM, openInChromium } from '../plots/chromium';

const root = path.resolve(__dirname, '..', '..');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cellab-report-'));
const store = path.join(work, 'store');
const shrink = ['--profile', 'smoke', '--set', `dataset.root=${path.join(work, 'data')}`, '--set', 'dataset.synthetic.n=240', '--set', 'dataset.image.size=16',
  '--set', `dataset.cache.dir=${path.join(work, 'cache')}`];
let sweep: { run_id: string; best: { run_id: string } | null; trials: { total: number } };

function node(bin: string, args: string[]) {
  return spawnSync(process.execPath, [path.join(root, 'bin', bin), ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, CELLAB_PROGRESS: '0' } });
}
const lastJson = (out: string) => JSON.parse(out.trim().split('\n').pop()!);

before(() => {
  const r = node('run-experiment.js', ['experiments/hep2-patterns.yaml', ...shrink, '--tracking-uri', store, '--json']);
  assert.ok(r.status === 0 || r.status === 2, `the sweep ran (exit ${r.status}): ${r.stderr.slice(-2000)}`);
  sweep = lastJson(r.stdout);
});

test('the report of the hep2-patterns smoke sweep renders every chart in chromium, with no network request', { timeout: 300_000 }, async () => {
  assert.ok(fs.existsSync(CHROMIUM), 'needs Debian chromium (apt-get install chromium)');
  const out = path.join(work, 'report.html');
  const r = node('cellab.js', ['report', 'experiments/hep2-patterns.yaml', ...shrink, '--tracking-uri', store, '--out', out, '--json']);
  assert.equal(r.status, 0, r.stderr);
  const summary = lastJson(r.stdout);
  assert.equal(summary.runs, sweep.trials.total);
  assert.equal(summary.parent_run_id, sweep.run_id, 'the latest sweep by default');
  const html = fs.readFileSync(out, 'utf8');
  // Markup outside the inlined libraries (whose code holds templates like <img src="${...}">).
  const markup = html.replace(/(<script\b[^>]*>)[\s\S]*?<\/script>/gi, '$1</script>');
  assert.ok(!/<script[^>]+src=/i.test(markup), 'scripts are inlined (no CDN is reachable)');
  assert.ok(!/<(img|link|iframe|source|video|audio)[^>]+(src|href)="(?!data:)/i.test(markup), 'nothing is loaded from outside the file');
  for (const text of ['Parameters that differ', 'Training curves', 'Confusion matrices', 'Sweep']) assert.ok(html.includes(`<h2>${text}</h2>`), text);
  if (sweep.best) {
    assert.equal(summary.best_run_ids[0], sweep.best.run_id);
    assert.ok(summary.images >= 3, `the best run's galleries are embedded (${summary.images})`);
    assert.match(html, /plots\/top_losses\.png<\/div><img alt="[^"]*" src="data:image\/png;base64,/);
  }

  const page = await openInChromium(out, { waitFor: "document.body.dataset.charts !== 'pending' && document.body.dataset.charts" });
  assert.deepEqual(page.requests, [], 'no request left the page');
  const dom = page.dom;
  assert.equal(page.ready, `rendered ${summary.charts}`, 'every chart drew');
  const divs = dom.match(/<div class="chart( [^"]*)?"[^>]*>/g) ?? [];
  assert.equal(divs.length, summary.charts);
  assert.ok(divs.every((d) => d.includes('data-rendered="yes"')), 'each chart div reports it rendered');
  assert.ok((dom.match(/<svg[^>]*class="marks"/g) ?? []).length >= summary.charts, 'an SVG per chart');
  // A best-run row is highlighted and the table sorts (its script ran).
  if (sweep.best) assert.match(dom, /<tr class="best">/);
  const { data, info } = await sharp(page.screenshot).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  let ink = 0;
  for (let i = 0; i < data.length; i += 3) if (data[i] < 235 || data[i + 1] < 235 || data[i + 2] < 235) ink++;
  assert.ok(ink / (info.width * info.height) > 0.03, `the page is not blank (${((100 * ink) / (info.width * info.height)).toFixed(1)}% drawn)`);
});

test('a store with several experiments needs --experiment; an unknown one lists the others', () => {
  const r = node('cellab.js', ['report', store, '--experiment', 'nope', '--out', path.join(work, 'x.html')]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /experiment 'nope' is not in .* Experiments: .*hep2-patterns/);
  const ok = node('cellab.js', ['report', store, '--out', path.join(work, 'y.html'), '--json']);
  assert.equal(ok.status, 0, ok.stderr);
  assert.equal(lastJson(ok.stdout).runs, sweep.trials.total, 'the only experiment of the store');
});
