// Copy pretrained weights into a backbone by name and shape, reporting what
// matched. Names are the layers' weight names (`stage1_block1_1_conv/kernel`);
// a source saved under a model scope (`resnet18/stage1_.../kernel`) or with
// tfjs' uniquifying suffix (`.../kernel_1`) still matches. A first conv
// trained on RGB is adapted to a gray (1-channel) input by summing over its
// input channels, as timm's adapt_input_conv does.
import * as tf from '@tensorflow/tfjs';

export interface TransferReport {
  /** Target weight names that received source values. */
  loaded: string[];
  /** Loaded after adapting the input channels (RGB -> gray). */
  adapted: string[];
  /** Same name, different shape (e.g. a classifier with another number of classes): left as initialised. */
  shapeMismatch: { name: string; target: number[]; source: number[] }[];
  /** Target weights with no source weight of that name: left as initialised. */
  missing: string[];
  /** Source weights that no target weight used. */
  unused: string[];
  /** Excluded by the caller (e.g. the classifier). */
  excluded: string[];
}

export interface TransferOptions {
  /** Target weight names to leave alone: exact names, layer names, or a RegExp. */
  exclude?: (string | RegExp)[];
}

/** Drop tfjs' uniquifying suffix: `conv/kernel_3` -> `conv/kernel`. */
function normalise(name: string): string {
  return name.replace(/_\d+$/, '');
}

function isExcluded(name: string, exclude: (string | RegExp)[]): boolean {
  const layer = name.split('/')[0];
  return exclude.some((e) => (typeof e === 'string' ? e === name || e === layer : e.test(name)));
}

/** Source lookup by full name, then by name without leading scopes (only when unique). */
function indexSource(source: tf.NamedTensorMap): (target: string) => string | undefined {
  const exact = new Map<string, string>();
  const bySuffix = new Map<string, string[]>();
  for (const key of Object.keys(source)) {
    const n = normalise(key);
    if (!exact.has(n)) exact.set(n, key);
    const parts = n.split('/');
    for (let i = 1; i < parts.length - 1; i++) {
      const suffix = parts.slice(i).join('/');
      bySuffix.set(suffix, [...(bySuffix.get(suffix) ?? []), key]);
    }
  }
  return (target) => {
    const n = normalise(target);
    if (exact.has(n)) return exact.get(n);
    const hits = bySuffix.get(n);
    return hits && hits.length === 1 ? hits[0] : undefined;
  };
}

function sameShape(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** Copies matching weights into `model` (in place) and says what happened to every weight. */
export function transferWeights(model: tf.LayersModel, source: tf.NamedTensorMap, o: TransferOptions = {}): TransferReport {
  const report: TransferReport = { loaded: [], adapted: [], shapeMismatch: [], missing: [], unused: [], excluded: [] };
  const find = indexSource(source);
  const used = new Set<string>();
  for (const w of model.weights) {
    const name = w.originalName;
    if (isExcluded(name, o.exclude ?? [])) { report.excluded.push(name); continue; }
    const key = find(name);
    if (key === undefined) { report.missing.push(name); continue; }
    used.add(key);
    const src = source[key];
    const target = w.shape.map((d) => d ?? -1);
    if (sameShape(src.shape, target)) {
      w.write(src);   // assign shares the buffer by reference count: the caller may dispose `source`
      report.loaded.push(name);
    } else if (target.length === 4 && src.rank === 4 && target[2] === 1 && src.shape[2] === 3 && sameShape([target[0], target[1], target[3]], [src.shape[0], src.shape[1], src.shape[3]] as number[])) {
      const gray = tf.sum(src, 2, true);
      w.write(gray);
      gray.dispose();
      report.adapted.push(name);
    } else {
      report.shapeMismatch.push({ name, target, source: src.shape });
    }
  }
  report.unused = Object.keys(source).filter((k) => !used.has(k));
  return report;
}

/** One line for logs: "loaded 120/122 weights (2 shape mismatch: logits/kernel ...)". */
export function summariseTransfer(r: TransferReport): string {
  const total = r.loaded.length + r.adapted.length + r.shapeMismatch.length + r.missing.length + r.excluded.length;
  const parts = [`loaded ${r.loaded.length + r.adapted.length}/${total} weights`];
  if (r.adapted.length) parts.push(`${r.adapted.length} adapted RGB->gray (${r.adapted.join(', ')})`);
  if (r.shapeMismatch.length) parts.push(`${r.shapeMismatch.length} shape mismatch (${r.shapeMismatch.slice(0, 3).map((m) => `${m.name} [${m.target}] vs [${m.source}]`).join(', ')}${r.shapeMismatch.length > 3 ? ', ...' : ''})`);
  if (r.missing.length) parts.push(`${r.missing.length} not in the source (${r.missing.slice(0, 3).join(', ')}${r.missing.length > 3 ? ', ...' : ''})`);
  if (r.excluded.length) parts.push(`${r.excluded.length} excluded`);
  if (r.unused.length) parts.push(`${r.unused.length} source weights unused`);
  return parts.join('; ');
}
