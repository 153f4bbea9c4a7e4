// The report page: tables (escaped, sortable, numbers carried for sorting), charts from
// specs, pictures as data: URLs; in chromium every chart draws. The no-network check can
// fail: a page that loads an outside image is caught.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { reportHtml } from '../../src/plots/report-page';
import { confusionMatrixSpec } from '../../src/plots/confusion-matrix';
import { CHROMIUM, openInChromium } from './chromium';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cellab-page-'));

test('a report page: escaped sortable table, charts and pictures inline; chromium draws the charts without network', async () => {
  const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: { r: 200, g: 0, b: 0 } } }).png().toBuffer();
  const html = await reportHtml({
    title: 'Runs <of> a sweep', subtitle: 'sub & title',
    sections: [
      { heading: 'Runs', text: ['Click to sort.'], table: { sortable: true, columns: ['run', 'acc'], rows: [['a<b', 0.5], ['c', null], ['d', 0.75]], highlight: [2] } },
      { heading: 'Matrices', charts: [confusionMatrixSpec({ matrix: [[3, 1], [0, 4]], classNames: ['neg', 'pos'], title: 'one' }), confusionMatrixSpec({ matrix: [[2, 2], [1, 3]], classNames: ['neg', 'pos'], title: 'two' })] },
      { heading: 'Pictures', images: [{ title: 'red square', png }] },
    ],
  });
  assert.ok(html.includes('<h1>Runs &lt;of&gt; a sweep</h1>') && html.includes('sub &amp; title'));
  assert.ok(html.includes('<td>a&lt;b</td><td class="num" data-v="0.5">0.5000</td>'));
  assert.ok(html.includes('<td>c</td><td>–</td>'), 'a missing value shows as a dash');
  assert.ok(html.includes('<tr class="best"><td>d</td>'));
  assert.ok(html.includes(`src="data:image/png;base64,${png.toString('base64')}"`));
  assert.equal((html.match(/<div class="chart" data-spec="spec\d"><\/div>/g) ?? []).length, 2);
  assert.ok(fs.existsSync(CHROMIUM), 'needs Debian chromium');
  const file = path.join(dir, 'page.html');
  fs.writeFileSync(file, html);
  // Two clicks on the acc header: ascending, then descending (the missing value last both times).
  const order = "Array.from(document.querySelectorAll('table.sortable tbody tr')).map((r) => r.cells[0].textContent).join(',')";
  const page = await openInChromium(file, {
    waitFor: "document.body.dataset.charts !== 'pending' && document.body.dataset.charts",
    then: `(() => { const th = document.querySelector('th[data-col="1"]'); th.click(); const up = ${order}; th.click(); return [up, ${order}]; })()`,
  });
  assert.deepEqual(page.after, ['a<b,d,c', 'd,a<b,c'], 'the table sorts by a click on its header');
  assert.deepEqual(page.requests, []);
  assert.equal(page.ready, 'rendered 2');
  assert.ok(page.dom.includes('>one</text>') && page.dom.includes('>two</text>'), 'both charts drew their titles');
});

test('the network check catches a page that loads something from outside', async () => {
  const file = path.join(dir, 'leaky.html');
  fs.writeFileSync(file, '<!DOCTYPE html><html><body><img src="http://cdn.example.org/x.png"><script src="https://cdn.example.org/vega.js"></script></body></html>');
  const page = await openInChromium(file);
  assert.ok(page.requests.some((r) => r.includes('cdn.example.org')), `requests seen: ${page.requests.join(', ') || 'none'}`);
});
