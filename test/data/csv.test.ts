// cellab's one CSV reader and writer (RFC 4180 through csv-parse / csv-stringify).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { detectSeparator, formatCsv, formatCsvRecords, parseCsv, readCsv } from '../../src/data/csv';
import { BadInputCollector, DataError } from '../../src/data/bad-input';
import { tmpDir } from './helpers';

const cells = (text: string) => parseCsv(text, 'f.csv').rows.map((r) => r.cells);

test('quoted separators, doubled quotes and newlines inside quotes are one value', () => {
  const t = parseCsv('a,b,c,d\n"x,1","say ""hi""","two\nlines",4\n', 'f.csv');
  assert.deepEqual(t.header, ['a', 'b', 'c', 'd']);
  assert.deepEqual(t.rows[0].cells, ['x,1', 'say "hi"', 'two\nlines', '4']);
  assert.deepEqual(t.rows[0].values, { a: 'x,1', b: 'say "hi"', c: 'two\nlines', d: '4' });
});

test('`;`, `,` or tab is detected from the header (quoted separators do not count); a one-column file reads', () => {
  assert.equal(detectSeparator('ID;pattern\n1;homogeneous\n'), ';');
  assert.equal(detectSeparator('"a;b",c\n'), ',', 'the `;` is inside quotes');
  assert.equal(detectSeparator('\n\nx\ty\n'), '\t', 'blank lines before the header are skipped');
  assert.equal(detectSeparator('id\n1\n'), ',');
  const t = parseCsv('ID;pattern;x\n1;"fine;speckled";2,5\n', 'gt.csv');
  assert.equal(t.separator, ';');
  assert.deepEqual(t.rows[0].cells, ['1', 'fine;speckled', '2,5'], 'a `,` in a `;` file is part of the value');
  assert.deepEqual(cells('id\n1\n2\n'), [['1'], ['2']]);
});

test('a BOM, CRLF line ends, blank lines and spaces around values are handled; rows keep the line they start on', () => {
  const t = parseCsv('\uFEFFid , label\r\n\r\n a1 , x \r\n"b\r\n2",y\r\n   \r\nc3,z', 'f.csv');
  assert.deepEqual(t.header, ['id', 'label'], 'no BOM in the first column name');
  assert.deepEqual(t.rows.map((r) => [r.line, ...r.cells]), [[3, 'a1', 'x'], [4, 'b\r\n2', 'y'], [7, 'c3', 'z']]);
});

test('a row with the wrong number of cells is an error naming the file and line, and what to do', () => {
  assert.throws(() => parseCsv('id,label\na,x\n\nb,y,extra\n', 'labels.csv'), (err: Error) => {
    assert.ok(err instanceof DataError);
    assert.match(err.message, /^labels\.csv:4: 3 cell\(s\) but the header \(line 1\) has 2, separated by `,`\. Quote values that hold the separator/);
    return true;
  });
  assert.throws(() => parseCsv('ID;pattern\r\n1\r\n', 'gt.csv'), /gt\.csv:2: 1 cell\(s\) but the header \(line 1\) has 2, separated by `;`/);
  // A trailing separator (empty extra cells) loses nothing: allowed.
  assert.deepEqual(cells('a,b\n1,2,\n3,4,,\n'), [['1', '2'], ['3', '4']]);
});

test('with a collector (dataset.onBadInput), wrong rows are counted and left out instead', () => {
  const bad = new BadInputCollector();
  const t = parseCsv('id,label\na,x\nb\nc,z\nd,w,v\n', 'm.csv', { bad });
  assert.deepEqual(t.rows.map((r) => r.cells[0]), ['a', 'c']);
  assert.deepEqual(bad.problems.map((p) => p.where), ['m.csv:3', 'm.csv:5']);
  assert.throws(() => bad.check('fail', 'the dataset'), /2 bad input\(s\) in the dataset:\n  - m\.csv:3: 1 cell\(s\)/);
});

test('an unclosed quote names the line it opens on', () => {
  assert.throws(() => parseCsv('a,b\r\n1,2\r\n3,"4\r\n5,6\r\n', 'f.csv'), /: f\.csv:3: a quoted value is never closed \(a closing " is missing\)/);
  assert.throws(() => parseCsv('', 'e.csv'), /e\.csv is empty: expected a header row/);
  assert.throws(() => readCsv('/nonexistent/x.csv'), /cannot read \/nonexistent\/x\.csv: no such file/);
});

test('the writer quotes what needs quoting, and the reader gives back exactly what was written', () => {
  const dir = tmpDir('cellab-csv-');
  const rows = [['a,b', 'say "hi"', 'two\nlines', 1.5, true, undefined], ['plain', '', 'x;y', -0, false, null]];
  const text = formatCsv(['id', 'quote', 'text', 'n', 'flag', 'none'], rows);
  assert.equal(text, 'id,quote,text,n,flag,none\n"a,b","say ""hi""","two\nlines",1.5,true,\nplain,,x;y,0,false,\n');
  fs.writeFileSync(path.join(dir, 'w.csv'), text);
  assert.deepEqual(readCsv(path.join(dir, 'w.csv')).rows.map((r) => r.cells), [['a,b', 'say "hi"', 'two\nlines', '1.5', 'true', ''], ['plain', '', 'x;y', '0', 'false', '']]);
  // `;` files (ICPR 2012) quote `;`, not `,`.
  assert.equal(formatCsv(['ID', 'pattern'], [[1, 'a;b'], [2, 'c,d']], { separator: ';' }), 'ID;pattern\n1;"a;b"\n2;c,d\n');
  assert.equal(formatCsvRecords([{ b: 2, a: 'x' }], ['a', 'b']), 'a,b\nx,2\n');
});

test('float32 scores are written at full precision: each parses back to the same value', () => {
  const scores = new Float32Array([0.1, 1 / 3, 1e-8, 0.99999994, 2 / 7, 1e-45]);
  const text = formatCsv(['s'], [...scores].map((s) => [s]));
  const back = parseCsv(text, 's.csv').rows.map((r) => Number(r.cells[0]));
  assert.deepEqual(back, [...scores]);
  assert.ok(back.every((v, i) => v === scores[i] && Math.fround(v) === v));
});
