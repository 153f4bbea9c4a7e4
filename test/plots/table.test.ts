import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tableHtml, tableText, frameRows } from '../../src/plots/table';

const rows = [
  { trial: 0, lr: 0.1, accuracy: 0.5, outcome: 'diverged' },
  { trial: 1, lr: 0.001, accuracy: 0.91234567, outcome: 'completed', note: '<b>x</b>' },
];

test('text tables align columns and keep every key of every row', () => {
  const t = tableText(rows, 'Sweep');
  const lines = t.split('\n');
  assert.equal(lines[0], 'Sweep');
  assert.match(lines[1], /^trial\s+lr\s+accuracy\s+outcome\s+note$/);
  assert.match(lines[4], /^1\s+0\.0010\s+0\.9123\s+completed\s+<b>x<\/b>$/);
  assert.equal(new Set(lines.slice(1).map((l) => l.indexOf('accuracy') >= 0 ? l.indexOf('accuracy') : -1)).size >= 1, true);
});

test('HTML tables escape cell text and have one row per record', () => {
  const h = tableHtml(rows);
  assert.equal((h.match(/<tr/g) ?? []).length, 3);
  assert.ok(h.includes('&lt;b&gt;x&lt;/b&gt;'));
  assert.ok(!h.includes('<b>x</b>'));
});

test('long text cells are left-aligned and wide enough to read; numbers stay right-aligned', () => {
  const reason = 'the final training loss 1.7529 is no better than always predicting the training class prior (1.7266)';
  const h = tableHtml([{ trial: 0, reason }]);
  assert.match(h, new RegExp(`<td style="text-align:left;[^"]*min-width:24em[^"]*">${reason.replace(/[()]/g, '\\$&')}</td>`));
  assert.match(h, /<td style="text-align:right;[^"]*">0<\/td>/);
});

test('a danfojs DataFrame becomes rows', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const dfd = require('danfojs');
  const df = new dfd.DataFrame([{ class: 'a', n: 3 }, { class: 'b', n: 5 }]);
  assert.deepEqual(frameRows(df), [{ class: 'a', n: 3 }, { class: 'b', n: 5 }]);
});
