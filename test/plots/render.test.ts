import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { confusionMatrixSpec } from '../../src/plots/confusion-matrix';
import { renderHtml, renderPng, renderSvg, writePlot } from '../../src/plots/render';

const spec = confusionMatrixSpec({ matrix: [[12, 3], [2, 15]], classNames: ['negative', 'positive'] });

/** Share of pixels that are not (near) white, and whether some are the dark blue of a full cell. */
async function inkStats(png: Buffer | string): Promise<{ ink: number; darkBlue: boolean; width: number; height: number }> {
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  let ink = 0, darkBlue = false;
  for (let i = 0; i < data.length; i += 3) {
    const [r, g, b] = [data[i], data[i + 1], data[i + 2]];
    if (r < 235 || g < 235 || b < 235) ink++;
    if (b > 100 && r < 60 && b - r > 80) darkBlue = true;
  }
  return { ink: ink / (info.width * info.height), darkBlue, width: info.width, height: info.height };
}

test('PNG is the SVG rasterised at the asked scale, with the heatmap drawn', async () => {
  const svg = await renderSvg(spec);
  const width = Number(/width="(\d+)"/.exec(svg)![1]);
  const png = await renderPng(spec, { scale: 2 });
  assert.deepEqual([...png.subarray(1, 4)].map((c) => String.fromCharCode(c)).join(''), 'PNG');
  const s = await inkStats(png);
  assert.equal(s.width, width * 2);
  assert.ok(s.ink > 0.1, `only ${(s.ink * 100).toFixed(1)}% of the PNG is drawn`);
  assert.ok(s.darkBlue, 'the 15-count cell should be dark blue');
});

test('the PNG is a palette image that looks like the full-colour rasterisation', async () => {
  const svg = await renderSvg(spec);
  const png = await renderPng(spec, { scale: 2 });
  assert.equal(png[25], 3, 'IHDR colour type: 3 (palette) keeps artifacts small');
  const full = await sharp(Buffer.from(svg), { density: 144 }).png().toBuffer();
  const [a, b] = await Promise.all([png, full].map((p) => sharp(p).removeAlpha().raw().toBuffer({ resolveWithObject: true })));
  assert.deepEqual([a.info.width, a.info.height], [b.info.width, b.info.height]);
  let diff = 0, worst = 0;
  for (let i = 0; i < a.data.length; i++) { const d = Math.abs(a.data[i] - b.data[i]); diff += d; worst = Math.max(worst, d); }
  // Flat colours and anti-aliased edges: quantised without dithering, every pixel stays within a few levels.
  assert.ok(diff / a.data.length < 0.5, `mean difference ${(diff / a.data.length).toFixed(2)} levels per channel`);
  assert.ok(worst <= 24, `largest difference ${worst} levels`);
});

test('writePlot picks the format from the file name', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cellab-plots-'));
  try {
    await writePlot(spec, path.join(dir, 'sub', 'cm.svg'));
    await writePlot(spec, path.join(dir, 'cm.png'));
    await writePlot(spec, path.join(dir, 'cm.vl.json'));
    assert.match(readFileSync(path.join(dir, 'sub', 'cm.svg'), 'utf8'), /^<svg[^>]*>.*>positive<\/text>/s);
    assert.equal(readFileSync(path.join(dir, 'cm.png')).subarray(1, 4).toString(), 'PNG');
    assert.deepEqual(JSON.parse(readFileSync(path.join(dir, 'cm.vl.json'), 'utf8')), spec);
    await assert.rejects(writePlot(spec, path.join(dir, 'cm.jpg')), /cannot write a plot to .*cm\.jpg: use a name ending in \.svg, \.png, \.html or \.vl\.json/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('standalone HTML renders in headless chromium without any network', async () => {
  assert.ok(existsSync('/usr/bin/chromium'), 'needs Debian chromium (apt-get install chromium)');
  const html = await renderHtml(spec);
  assert.ok(!/<script[^>]+src=/i.test(html), 'scripts must be inlined (no CDN is reachable)');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cellab-html-'));
  try {
    const file = path.join(dir, 'cm.html'), shot = path.join(dir, 'shot.png');
    await writePlot(spec, file);
    const r = spawnSync('/usr/bin/chromium', [
      '--headless=new', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', `--user-data-dir=${path.join(dir, 'profile')}`,
      '--window-size=700,600', '--virtual-time-budget=10000', `--screenshot=${shot}`, `file://${file}`,
    ], { encoding: 'utf8', timeout: 60000 });
    assert.ok(existsSync(shot), `chromium wrote no screenshot (exit ${r.status}): ${r.stderr.slice(-500)}`);
    const s = await inkStats(shot);
    assert.ok(s.ink > 0.05, `the screenshot is blank (${(s.ink * 100).toFixed(2)}% drawn)`);
    assert.ok(s.darkBlue, 'the heatmap cells are missing from the screenshot');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
