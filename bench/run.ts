// `npm run bench [-- --json] [-- name ...]`: runs every bench/*.bench.ts (or the
// named ones). Each default-exports async (o) => rows. With --json the last line
// is {"results": [...rows]} (DESIGN.md conventions). Not run by `npm test`.
import * as fs from 'node:fs';
import * as path from 'node:path';

type Row = Record<string, unknown>;
type Bench = (o: { json: boolean }) => Promise<Row[]>;

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const json = args.includes('--json');
  const only = args.filter((a) => !a.startsWith('--'));
  const files = fs.readdirSync(__dirname).filter((f) => f.endsWith('.bench.ts')).sort()
    .filter((f) => only.length === 0 || only.some((o) => f.startsWith(o)));
  if (files.length === 0) throw new Error(`no bench matches ${only.join(', ')}; available: ${fs.readdirSync(__dirname).filter((f) => f.endsWith('.bench.ts')).join(', ')}`);
  const results: Row[] = [];
  for (const f of files) {
    process.stderr.write(`\n== ${f}\n`);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(path.join(__dirname, f)) as { default: Bench };
    const rows = await mod.default({ json });
    for (const r of rows) process.stderr.write(`  ${JSON.stringify(r)}\n`);
    results.push(...rows);
  }
  if (json) process.stdout.write(JSON.stringify({ results }) + '\n');
}

main().catch((err) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
