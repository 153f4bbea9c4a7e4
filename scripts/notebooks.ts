// `npm run notebooks [-- NAME ...] [--screenshot]`: execute each notebook in smoke mode
// (CELLAB_PROFILE=smoke, as test/notebooks does) with Debian's Jupyter and this project's
// tslab kernel, and write it back with its outputs, so notebooks on GitHub show results
// (plots as PNG beside their Vega-Lite JSON, galleries as PNG). Volatile metadata
// (timings, the temporary kernel's name) is dropped; each notebook must stay <= 2 MB.
// --screenshot: renders the executed quickstart (its pictures) to docs/notebook-quickstart.png
// in headless chromium, for the README.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import sharp from 'sharp';
import { installKernel } from '../src/cli/kernel';

const root = path.resolve(__dirname, '..');
const notebooksDir = path.join(root, 'notebooks');
const MAX_BYTES = 2 * 1024 * 1024;
const KERNEL = 'tslab-cellab-notebooks';

type Output = { output_type: string; data?: Record<string, unknown>; text?: string | string[]; metadata?: Record<string, unknown>; execution_count?: number | null };
type Cell = { cell_type: string; id?: string; source: string | string[]; metadata: Record<string, unknown>; outputs?: Output[]; execution_count?: number | null };
type Notebook = { cells: Cell[]; metadata: Record<string, unknown>; nbformat: number; nbformat_minor: number };

function fail(msg: string): never {
  process.stderr.write(`notebooks: ${msg}\n`);
  process.exit(1);
}

function execute(file: string, work: string): Notebook {
  const outDir = path.join(work, 'out');
  const r = spawnSync('/usr/bin/python3', ['-m', 'nbconvert', '--to', 'notebook', '--execute', `--ExecutePreprocessor.kernel_name=${KERNEL}`,
    '--ExecutePreprocessor.timeout=1800', '--output-dir', outDir, file], {
    cwd: notebooksDir, encoding: 'utf8', stdio: ['ignore', 'inherit', 'pipe'],
    env: { ...process.env, JUPYTER_PATH: path.join(work, 'share', 'jupyter'), CELLAB_PROFILE: 'smoke' },
  });
  if (r.status !== 0) fail(`${path.basename(file)} failed to execute (run \`node test/run.cjs test/notebooks\` for the failing cell):\n${(r.stderr ?? '').slice(-3000)}`);
  return JSON.parse(fs.readFileSync(path.join(outDir, path.basename(file)), 'utf8')) as Notebook;
}

/** Outputs a reader can use, without what changes on every run or names this machine. */
function clean(executed: Notebook, source: Notebook): Notebook {
  const home = os.homedir();
  const scrub = (s: string) => s.split(root + path.sep).join('').split(root).join('.').split(home).join('~');
  const scrubAll = (v: unknown): unknown => (typeof v === 'string' ? scrub(v) : Array.isArray(v) ? v.map(scrubAll) : v);
  for (const cell of executed.cells) {
    delete cell.metadata.execution;
    for (const o of cell.outputs ?? []) {
      if (o.text !== undefined) o.text = scrubAll(o.text) as string | string[];
      for (const mime of ['text/plain', 'text/html']) if (o.data?.[mime] !== undefined) o.data[mime] = scrubAll(o.data[mime]);
    }
  }
  // The kernel this project registers (`npx cellab kernel install`), not the temporary one used here.
  executed.metadata = { ...executed.metadata, kernelspec: source.metadata.kernelspec, language_info: source.metadata.language_info ?? executed.metadata.language_info };
  return executed;
}

function sizes(nb: Notebook): string {
  const per = nb.cells.map((c, i) => ({ i, bytes: JSON.stringify(c.outputs ?? []).length })).sort((a, b) => b.bytes - a.bytes).slice(0, 5);
  return per.map((p) => `cell ${p.i}: ${(p.bytes / 1024).toFixed(0)} KB`).join(', ');
}

/** docs/notebook-quickstart.png: the executed quickstart's pictures, as a reader sees them on GitHub. */
async function screenshot(executed: string, work: string): Promise<void> {
  const nb = JSON.parse(fs.readFileSync(executed, 'utf8')) as Notebook;
  // The cells worth a picture: the gallery with masks, the top losses and Grad-CAM.
  const keep = (c: Cell) => {
    const src = Array.isArray(c.source) ? c.source.join('') : c.source;
    return /^# cellab quickstart/.test(src) || /ds\.show\(|topLosses|gradCam|What the model gets wrong|Grad-CAM: where/.test(src);
  };
  const subset = { ...nb, cells: nb.cells.filter(keep).map((c) => (c.cell_type === 'markdown' && /^# cellab/.test(String(c.source)) ? { ...c, source: ['# cellab quickstart (excerpt, smoke run)\n'] } : c)) };
  const file = path.join(work, 'excerpt.ipynb');
  fs.writeFileSync(file, JSON.stringify(subset));
  const html = spawnSync('/usr/bin/python3', ['-m', 'nbconvert', '--to', 'html', '--output-dir', work, file], { encoding: 'utf8' });
  if (html.status !== 0) fail(`nbconvert --to html failed: ${html.stderr.slice(-1500)}`);
  const shot = path.join(work, 'shot.png');
  spawnSync('/usr/bin/chromium', ['--headless=new', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', `--user-data-dir=${path.join(work, 'profile')}`,
    '--host-resolver-rules=MAP * ~NOTFOUND', '--window-size=1100,2000', '--virtual-time-budget=5000', `--screenshot=${shot}`, `file://${path.join(work, 'excerpt.html')}`], { encoding: 'utf8' });
  if (!fs.existsSync(shot)) fail('chromium wrote no screenshot');
  // Trim the white space below the content.
  const out = path.join(root, 'docs', 'notebook-quickstart.png');
  fs.mkdirSync(path.dirname(out), { recursive: true });
  await sharp(shot).trim({ background: '#ffffff', threshold: 10 }).extend({ top: 16, bottom: 16, left: 16, right: 16, background: '#ffffff' })
    .png({ compressionLevel: 9, palette: true }).toFile(out);
  process.stdout.write(`notebooks: wrote ${path.relative(root, out)} (${(fs.statSync(out).size / 1024).toFixed(0)} KB)\n`);
}

async function main(argv: string[]): Promise<void> {
  if (!fs.existsSync(path.join(root, 'dist', 'index.js'))) fail('dist/ is missing: run `npm run build` first (npm run notebooks does)');
  const wanted = argv.filter((a) => !a.startsWith('--')).map((a) => a.replace(/\.ipynb$/, ''));
  const all = fs.readdirSync(notebooksDir).filter((f) => f.endsWith('.ipynb')).sort();
  const names = wanted.length ? wanted.map((w) => `${w}.ipynb`) : all;
  for (const n of names) if (!all.includes(n)) fail(`no notebook ${n} in notebooks/ (${all.join(', ')})`);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cellab-notebooks-'));
  installKernel({ prefix: work, name: KERNEL, displayName: 'TypeScript (cellab notebooks)' });
  try {
    for (const name of names) {
      const file = path.join(notebooksDir, name);
      const t0 = Date.now();
      process.stdout.write(`notebooks: executing ${name} (smoke profile) ...\n`);
      const source = JSON.parse(fs.readFileSync(file, 'utf8')) as Notebook;
      const nb = clean(execute(file, work), source);
      const text = JSON.stringify(nb, null, 1) + '\n';
      if (Buffer.byteLength(text) > MAX_BYTES) fail(`${name} would be ${(Buffer.byteLength(text) / 1e6).toFixed(2)} MB with its outputs (limit 2 MB); largest: ${sizes(nb)}`);
      fs.writeFileSync(file, text);
      process.stdout.write(`notebooks: wrote ${name} with outputs (${(Buffer.byteLength(text) / 1024).toFixed(0)} KB) in ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
      if (argv.includes('--screenshot') && name === 'quickstart.ipynb') await screenshot(path.join(work, 'out', name), work);
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main(process.argv.slice(2)).catch((err) => fail((err as Error).stack ?? String(err)));
