// `cellab weights list|fetch|verify`: the published weights cellab loads.
//   list [--json]                         each file's URL, expected hash, cache state
//   fetch ID [--to DIR] [--url URL]       download into the cache, verify, resume
//   verify FILE --arch NAME --input X.npy [--json]
//                                         our forward pass on an np.save'd NCHW float32
//                                         array, for comparing with PyTorch's output
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import * as tf from '@tensorflow/tfjs';
import { listPublished, findPublished, weightsDir, createBackbone, resolveBackboneName, readNpy, loadWeightsFile, summariseLoad, publishedWeights } from '../models/index';
import { downloadWeights, OfflineError } from './weights-download';
import { initEngine } from '../engine/backend';
import { createProgress } from '../experiment/progress';
import { reportError, EXIT } from './exit';

function hashText(sha256?: string, prefix?: string): string {
  if (sha256) return `sha256 ${sha256}`;
  if (prefix) return `sha256 ${prefix}... (only the prefix the source publishes in the file name is checked)`;
  return 'no hash recorded (not checked; the URL pins a repository revision)';
}

export interface WeightsRow { id: string; arch: string; url: string; sha256: string | null; sha256_prefix: string | null; file: string; cached: boolean }

export function weightsRows(dir = weightsDir()): WeightsRow[] {
  return listPublished().map((w) => ({ id: w.id, arch: w.arch, url: w.url, sha256: w.sha256 ?? null, sha256_prefix: w.sha256Prefix ?? null,
    file: path.join(dir, w.file), cached: fs.existsSync(path.join(dir, w.file)) }));
}

const list: CommandModule<object, { json: boolean }> = {
  command: 'list',
  describe: 'published weights: id, backbone, download URL, expected SHA-256, whether the cache has it',
  builder: (y) => y.option('json', { type: 'boolean', default: false }) as never,
  handler: (args) => {
    const rows = weightsRows();
    if (args.json) { process.stdout.write(JSON.stringify({ dir: weightsDir(), weights: rows }) + '\n'); return; }
    process.stdout.write(`weights cache: ${weightsDir()} (CELLAB_WEIGHTS_DIR to change)\n`);
    for (const r of rows) {
      process.stdout.write(`${r.id.padEnd(28)} ${r.cached ? 'cached ' : '       '} -> ${r.arch}\n    ${r.url}\n    ${hashText(r.sha256 ?? undefined, r.sha256_prefix ?? undefined)}\n`);
    }
    process.stdout.write('Fetch one with `cellab weights fetch ID`; use it with `model.pretrained: ID` (or ID=PATH for a file elsewhere).\n');
  },
};

const fetchCmd: CommandModule<object, { id: string; to?: string; url?: string; json: boolean }> = {
  command: 'fetch <id>',
  describe: 'download published weights into the cache (resumes; the hash is checked)',
  builder: (y) => y
    .positional('id', { type: 'string', describe: 'e.g. torchvision:resnet18 (cellab weights list)' })
    .option('to', { type: 'string', describe: 'folder to download into (default: the weights cache)' })
    .option('url', { type: 'string', describe: 'download from this URL instead (a mirror); the hash is still checked' })
    .option('json', { type: 'boolean', default: false }) as never,
  handler: async (args) => {
    try {
      const w = findPublished(args.id);
      const dir = args.to ? path.resolve(args.to) : weightsDir();
      let bar: ReturnType<typeof createProgress> | undefined;
      const r = await downloadWeights(w, {
        dir, url: args.url,
        log: (l) => process.stderr.write(l + '\n'),
        onProgress: (done, total) => {
          if (total === undefined) return;
          bar ??= createProgress(`fetch ${w.id}`, Math.ceil(total / 1e6), { unit: 'MB' });
          bar.update(Math.floor(done / 1e6));
        },
      });
      bar?.finish();
      const how = r.verified === 'sha256' ? 'SHA-256 verified' : r.verified === 'prefix' ? `SHA-256 prefix ${w.sha256Prefix} verified` : 'no published hash to verify';
      process.stderr.write(`${r.cached ? 'already in the cache' : `downloaded ${r.bytes} bytes${r.resumedFrom ? ` (resumed at ${r.resumedFrom})` : ''}`}: ${r.file} (${how})\n`);
      if (args.json) process.stdout.write(JSON.stringify({ id: w.id, file: r.file, bytes: r.bytes, sha256: r.sha256, verified: r.verified, resumed_from: r.resumedFrom, cached: r.cached }) + '\n');
    } catch (err) {
      if (err instanceof OfflineError) {
        process.stderr.write(`error: ${err.message}\n`);
        if (args.json) process.stdout.write(JSON.stringify({ status: 'FAILED', error: err.message }) + '\n');
        process.exitCode = EXIT.failed;
        return;
      }
      process.exitCode = reportError(err, { json: args.json });
    }
  },
};

/** Our logits for an NCHW array, from a weights file. */
export async function verifyWeights(file: string, archOrId: string, input: string): Promise<{ arch: string; shape: number[]; logits: number[][]; report: string }> {
  const arch = archOrId.includes(':') ? findPublished(archOrId).arch : resolveBackboneName(archOrId);
  const x = readNpy(input);
  if (x.shape.length !== 4) throw new Error(`${input}: expected an NCHW array (4 dimensions), got shape [${x.shape}]`);
  const [, c, h, w] = x.shape;
  const pub = publishedWeights(arch);
  const build = (classes: number) => createBackbone(arch, { inputShape: [h, w, c], classes, width: 1, zeroInit: true });
  let model = build(pub?.classes ?? 1000);
  try {
    let report = loadWeightsFile(model, file, { ignore: pub?.ignore, rename: pub?.rename });
    if (report.head) {
      // A file with another classifier size: build that size, so the logits are the file's.
      model.dispose();
      model = build(report.head.sourceClasses);
      report = loadWeightsFile(model, file, { ignore: pub?.ignore, rename: pub?.rename });
    }
    // Read asynchronously: the webgpu backend has no synchronous reads (engine/reads.ts).
    const out = tf.tidy(() => model.predict(tf.transpose(tf.tensor4d(x.data, x.shape as [number, number, number, number]), [0, 2, 3, 1])) as tf.Tensor);
    const logits = await out.array() as number[][];
    out.dispose();
    return { arch, shape: x.shape, logits, report: summariseLoad(report) };
  } finally {
    model.dispose();
  }
}

const verify: CommandModule<object, { file: string; arch: string; input: string; json: boolean }> = {
  command: 'verify <file>',
  describe: 'load FILE into our architecture and print the logits on an np.save\'d float32 NCHW array (eval mode, no normalisation)',
  builder: (y) => y
    .positional('file', { type: 'string', describe: '.pth / .safetensors' })
    .option('arch', { type: 'string', demandOption: true, describe: 'backbone (resnet18) or published id (torchvision:resnet18)' })
    .option('input', { type: 'string', demandOption: true, describe: '.npy, float32, NCHW, as PyTorch takes it' })
    .option('json', { type: 'boolean', default: false, describe: 'last line: {"arch", "shape", "logits"}' }) as never,
  handler: async (args) => {
    try {
      await initEngine({ log: null });
      const r = await verifyWeights(args.file, args.arch, args.input);
      process.stderr.write(`${r.arch}: ${r.report}\n`);
      if (!args.json) {
        r.logits.forEach((row, i) => process.stdout.write(`logits[${i}] = [${row.map((v) => v.toPrecision(7)).join(', ')}]\n`));
        return;
      }
      process.stdout.write(JSON.stringify({ arch: r.arch, shape: r.shape, logits: r.logits }) + '\n');
    } catch (err) {
      process.exitCode = reportError(err, { json: args.json });
    }
  },
};

export const weightsCommand: CommandModule = {
  command: 'weights <command>',
  describe: 'published pretrained weights: list, fetch into the cache, verify a file against PyTorch',
  builder: (y: Argv) => y.command(list).command(fetchCmd).command(verify).demandCommand(1, 'Name a weights command: list, fetch or verify.'),
  handler: () => {},
};
