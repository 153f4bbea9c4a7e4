#!/usr/bin/env node
// Runs test/**/*.test.ts with Node's own test runner, TypeScript through tsx.
// `npm test -- test/eval` (or any file/folder list) runs a subset.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
function collect(p, out) {
  const st = fs.statSync(p);
  if (st.isDirectory()) {
    for (const e of fs.readdirSync(p).sort()) {
      if (e === 'fixtures' || e === 'golden' || e.startsWith('.')) continue;
      collect(path.join(p, e), out);
    }
  } else if (/\.test\.ts$/.test(p)) out.push(p);
  return out;
}
const args = process.argv.slice(2);
const targets = args.length ? args.map((a) => path.resolve(a)) : [path.join(root, 'test')];
const files = targets.flatMap((t) => collect(t, []));
if (files.length === 0) {
  console.error(`no *.test.ts files under ${targets.join(', ')}`);
  process.exit(1);
}
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-concurrency=2', ...files], {
  stdio: 'inherit',
  cwd: root,
  env: { ...process.env, CELLAB_TEST: '1' },
});
process.exit(r.status ?? 1);
