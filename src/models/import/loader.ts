// Loading published weights (torchvision / timm state dicts, from .pth or
// .safetensors) into cellab's backbones. The framework, for whoever adds an
// architecture:
//
// 1. Names. Our layers keep cellab's names (`stem_conv`, `stage2_block1_1_bn`:
//    freezing and checkpoints go by them). Beside them, the builder records
//    the SOURCE module path of every layer that holds weights: pass `src` to
//    the LayerBuilder helpers (`b.conv(x, 'stage1_block1_1_conv', {..., src:
//    'layer1.0.conv1'})`, `b.bn(x, name, {src})`, `b.convBnAct(x, name, {...,
//    src: ['conv1', 'bn1']})`), or `b.source(layerName, path)` for a layer made
//    by hand, and finish with `b.model(outputs, name)`, which keeps the map
//    (sourcePaths(model)). So the map is written once, where the layer is
//    built, in the source's own words: no regex tables to keep in step.
// 2. Parameters and layouts come from the layer's class (PARAM_RULES below):
//    Conv2D kernel <- `${src}.weight` OIHW -> HWIO; DepthwiseConv2D
//    [C*m,1,kh,kw] -> [kh,kw,C,m]; Dense kernel <- weight transposed; batch
//    norm gamma/beta/moving_mean/moving_variance <- weight/bias/running_mean/
//    running_var (num_batches_tracked set so fine-tuning continues PyTorch's
//    EMA); LayerNorm gamma/beta <- weight/bias; LayerScale, position
//    embeddings and class tokens: `src` is the parameter's full key;
//    attention: packed qkv split into our query/key/value (torchvision's
//    in_proj_weight or timm's qkv; `src#head-first` for timm's per-head
//    interleaved MaxxViT/CoAtNet layout). A rule may list alternative keys
//    (the first the file has is used). A new layer class with other
//    parameters adds a rule with registerParamRule(className, rule).
// 3. The published files are registered in ./published.ts (URL, hash,
//    normalisation, keys to ignore such as auxiliary heads, and `rename` for
//    a source whose keys differ from the annotated ones).
// 4. A parity test in test/models/parity/: Debian's PyTorch builds the
//    reference, saves random weights (.pth and .safetensors) and the logits of
//    a fixed input; cellab loads both and must match on wasm.
//
// The load is strict like torch's load_state_dict: a missing key, an unused
// key or a shape mismatch anywhere but the classifier is an error that lists
// them (the architecture is not the one the file was saved from). The
// classifier is replaced when the class count differs, and said so.
import * as tf from '@tensorflow/tfjs';
import type { RawTensor, StateDict } from './raw-tensor';
import { numel } from './raw-tensor';
import { readSourceFile } from './read';

// ---- source paths recorded at build time -----------------------------------

const SOURCE_PATHS = new WeakMap<tf.LayersModel, Map<string, string>>();

export function setSourcePaths(model: tf.LayersModel, paths: Map<string, string>): void {
  SOURCE_PATHS.set(model, paths);
}

/** Our layer name -> the source module path, for a model built with `b.model(...)`. */
export function sourcePaths(model: tf.LayersModel): Map<string, string> | undefined {
  return SOURCE_PATHS.get(model);
}

// ---- layouts ----------------------------------------------------------------

/** Transpose a row-major array of `shape` by `perm` (numpy's transpose). */
export function transpose(t: RawTensor, perm: number[]): RawTensor {
  const shape = perm.map((p) => t.shape[p]);
  const n = t.data.length;
  const out = new Float32Array(n);
  const rank = t.shape.length;
  const srcStrides = new Array(rank).fill(1);
  for (let d = rank - 2; d >= 0; d--) srcStrides[d] = srcStrides[d + 1] * t.shape[d + 1];
  const strides = perm.map((p) => srcStrides[p]);
  const idx = new Array(rank).fill(0);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let d = 0; d < rank; d++) s += idx[d] * strides[d];
    out[i] = t.data[s];
    for (let d = rank - 1; d >= 0; d--) { if (++idx[d] < shape[d]) break; idx[d] = 0; }
  }
  return { shape, data: out, dtype: t.dtype };
}

export type Transform = (t: RawTensor, target: number[]) => RawTensor;

export const layouts = {
  /** PyTorch conv [out, in, kh, kw] -> TF [kh, kw, in, out]. */
  conv: ((t) => transpose(t, [2, 3, 1, 0])) as Transform,
  /** PyTorch grouped conv with groups = C: [C*m, 1, kh, kw] -> TF depthwise [kh, kw, C, m]. */
  depthwise: ((t, target) => {
    const [, , c, m] = target;
    return transpose({ ...t, shape: [c, m, t.shape[2], t.shape[3]] }, [2, 3, 0, 1]);
  }) as Transform,
  /** nn.Linear [out, in] -> Dense [in, out]; a 1x1 conv weight [out, in, 1, 1] too. */
  linear: ((t) => transpose({ ...t, shape: [t.shape[0], numel(t.shape.slice(1))] }, [1, 0])) as Transform,
  /** Same values, our shape (e.g. layer scale [C, 1, 1] -> [C]); checked for equal size. */
  reshape: ((t, target) => ({ ...t, shape: numel(t.shape) === numel(target) ? target : t.shape })) as Transform,
};

// ---- parameters per layer class ---------------------------------------------

export interface ParamSource {
  /** Full key in the state dict; several: the first one the file has (layouts of different sources). */
  key: string | string[];
  transform?: Transform;
  /** Computes the value when the key is absent (num_batches_tracked). */
  fallback?: () => RawTensor;
}

/** Our weight's short name (`kernel`, `gamma`, `query/kernel`) -> where it comes from. */
export type ParamRule = (layer: tf.layers.Layer, src: string) => Record<string, ParamSource>;

const PARAM_RULES = new Map<string, ParamRule>();

export function registerParamRule(className: string, rule: ParamRule): void {
  PARAM_RULES.set(className, rule);
}

const convRule: ParamRule = (_l, src) => ({ kernel: { key: `${src}.weight`, transform: layouts.conv }, bias: { key: `${src}.bias` } });
registerParamRule('Conv2D', convRule);
registerParamRule('CellabPlainConv2D', convRule);
registerParamRule('DepthwiseConv2D', (_l, src) => ({
  depthwise_kernel: { key: `${src}.weight`, transform: layouts.depthwise }, bias: { key: `${src}.bias` },
}));
registerParamRule('Dense', (_l, src) => ({ kernel: { key: `${src}.weight`, transform: layouts.linear }, bias: { key: `${src}.bias` } }));
const bnRule: ParamRule = (l, src) => {
  // Our BatchNorm averages cumulatively until it has seen 1/(1-momentum) batches: a
  // loaded net must continue with PyTorch's exponential average, not restart it.
  const warm = Math.ceil(1 / (1 - ((l as unknown as { momentum?: number }).momentum ?? 0.9)));
  return {
    gamma: { key: `${src}.weight` },
    beta: { key: `${src}.bias` },
    moving_mean: { key: `${src}.running_mean` },
    moving_variance: { key: `${src}.running_var` },
    num_batches_tracked: {
      key: `${src}.num_batches_tracked`,
      transform: (t) => ({ shape: [], data: Float32Array.of(Math.max(warm, t.data[0] ?? 0)), dtype: t.dtype }),
      fallback: () => ({ shape: [], data: Float32Array.of(warm), dtype: 'float32' }),
    },
  };
};
registerParamRule('CellabBatchNorm', bnRule);
registerParamRule('BatchNormalization', bnRule);
registerParamRule('CellabLayerNorm', (_l, src) => ({ gamma: { key: `${src}.weight` }, beta: { key: `${src}.bias` } }));
registerParamRule('CellabLayerScale', (_l, src) => ({ gamma: { key: src, transform: layouts.reshape } }));
registerParamRule('CellabPositionEmbedding', (_l, src) => ({ embedding: { key: src, transform: layouts.reshape } }));
registerParamRule('CellabClassToken', (_l, src) => ({ token: { key: src, transform: layouts.reshape } }));

/**
 * One of q, k, v from a packed qkv weight or bias [3A, ...]: torchvision's
 * nn.MultiheadAttention and timm's ViT stack [q; k; v]; timm's MaxxViT/CoAtNet
 * Attention2d (head_first) interleaves per head [q_h0; k_h0; v_h0; q_h1; ...].
 */
function qkvPart(part: number, linear: boolean, headFirst: number | undefined): Transform {
  return (t) => {
    const a = t.shape[0] / 3;
    const row = numel(t.shape.slice(1));
    const data = new Float32Array(a * row);
    if (headFirst === undefined) {
      data.set(t.data.subarray(part * a * row, (part + 1) * a * row));
    } else {
      const dh = a / headFirst;
      for (let h = 0; h < headFirst; h++) {
        const from = (h * 3 * dh + part * dh) * row;
        data.set(t.data.subarray(from, from + dh * row), h * dh * row);
      }
    }
    const slice: RawTensor = { shape: [a, ...t.shape.slice(1)], data, dtype: t.dtype };
    return linear ? layouts.linear(slice, []) : slice;
  };
}

// Attention: torchvision's nn.MultiheadAttention (in_proj_weight [3D, D] packed q;k;v,
// out_proj) or timm's (qkv, proj; Linear or 1x1 conv). `src` is the attention module;
// a `#head-first` suffix marks timm's MaxxViT/CoAtNet per-head interleaved qkv.
registerParamRule('CellabSelfAttention', (l, source) => {
  const [src, flag] = source.split('#');
  const heads = flag === 'head-first' ? (l as unknown as { numHeads: number }).numHeads : undefined;
  const out: Record<string, ParamSource> = {};
  (['query', 'key', 'value'] as const).forEach((p, i) => {
    out[`${p}/kernel`] = { key: [`${src}.in_proj_weight`, `${src}.qkv.weight`], transform: qkvPart(i, true, heads) };
    out[`${p}/bias`] = { key: [`${src}.in_proj_bias`, `${src}.qkv.bias`], transform: qkvPart(i, false, heads) };
  });
  out['output/kernel'] = { key: [`${src}.out_proj.weight`, `${src}.proj.weight`], transform: layouts.linear };
  out['output/bias'] = { key: [`${src}.out_proj.bias`, `${src}.proj.bias`] };
  out.relative_bias = { key: `${src}.rel_pos.relative_position_bias_table`, transform: layouts.reshape };
  return out;
});

// ---- the load -----------------------------------------------------------------

export interface LoadReport {
  file: string;
  format: 'pytorch' | 'safetensors';
  /** Our weights that received values. */
  loaded: string[];
  /** Loaded after adapting: an RGB stem summed into a gray one (`model.stem: sum`). */
  adapted: string[];
  /** Our weights whose key is not in the file. */
  missing: { name: string; key: string }[];
  /** Keys of the file nothing used (ignored ones excepted). */
  unexpected: string[];
  /** Keys the architecture drops on purpose (auxiliary heads). */
  ignored: string[];
  shapeMismatch: { name: string; key: string; expected: number[]; got: number[] }[];
  /** The classifier, re-initialised for another class count. */
  head?: { layer: string; sourceClasses: number; classes: number };
}

export interface LoadOptions {
  /** Keys to drop without complaint (e.g. /^aux1\./). */
  ignore?: RegExp[];
  /** Source key -> the annotated key (a file whose names differ from the annotation). */
  rename?: (key: string) => string;
  /** Our classifier layer (replaced when its shape differs): default `logits`. */
  headLayer?: string;
  /** Throw on missing/unexpected/mismatched keys (default true). */
  strict?: boolean;
}

function sameShape(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

function shortName(weightName: string, layerName: string): string {
  const n = weightName.replace(/_\d+$/, '');
  return n.startsWith(`${layerName}/`) ? n.slice(layerName.length + 1) : n.split('/').slice(1).join('/');
}

/** Loads a state dict into `model` by its recorded source paths. */
export function loadStateDict(model: tf.LayersModel, dict: StateDict, meta: { file: string; format: LoadReport['format'] }, o: LoadOptions = {}): LoadReport {
  const paths = sourcePaths(model);
  if (!paths) throw new Error(`${model.name} records no source module paths: it cannot load PyTorch/timm weights (only archs built with b.model(...) and src annotations can)`);
  const tensors: StateDict = o.rename ? new Map([...dict].map(([k, v]) => [o.rename!(k), v])) : dict;
  const report: LoadReport = { file: meta.file, format: meta.format, loaded: [], adapted: [], missing: [], unexpected: [], ignored: [], shapeMismatch: [] };
  const used = new Set<string>();
  const headLayer = o.headLayer ?? 'logits';
  const writes: [tf.LayerVariable, RawTensor][] = [];
  const headProblems: LoadReport['shapeMismatch'] = [];
  for (const layer of model.layers) {
    if (!layer.weights.length) continue;
    const src = paths.get(layer.name);
    if (src === undefined) {
      for (const w of layer.weights) report.missing.push({ name: w.originalName, key: '(no source path recorded for this layer)' });
      continue;
    }
    const rule = PARAM_RULES.get(layer.getClassName());
    if (!rule) throw new Error(`layer ${layer.name} (${layer.getClassName()}) has no parameter rule: add registerParamRule('${layer.getClassName()}', ...) in src/models/import/loader.ts`);
    const params = rule(layer, src);
    for (const w of layer.weights) {
      const short = shortName(w.originalName, layer.name);
      const p = params[short];
      if (!p) { report.missing.push({ name: w.originalName, key: `(no rule for ${layer.getClassName()} weight '${short}')` }); continue; }
      const target = w.shape.map((d) => d ?? -1);
      const keys = Array.isArray(p.key) ? p.key : [p.key];
      const key = keys.find((k) => tensors.has(k)) ?? keys[0];
      let raw = tensors.get(key);
      if (raw) used.add(key);
      else if (p.fallback) raw = p.fallback();
      else { report.missing.push({ name: w.originalName, key: keys.join(' | ') }); continue; }
      let t = raw;
      // `model.stem: sum`: an RGB stem into a 1-channel one, summing the input filters (timm's adapt_input_conv).
      let adapted = false;
      if (target.length === 4 && target[2] === 1 && raw.shape.length === 4 && raw.shape[1] === 3 && p.transform === layouts.conv) {
        const [o2, , kh, kw] = raw.shape;
        const sum = new Float32Array(o2 * kh * kw);
        for (let oc = 0; oc < o2; oc++) for (let c = 0; c < 3; c++) for (let k = 0; k < kh * kw; k++) sum[oc * kh * kw + k] += raw.data[(oc * 3 + c) * kh * kw + k];
        t = { shape: [o2, 1, kh, kw], data: sum, dtype: raw.dtype };
        adapted = true;
      }
      try {
        if (p.transform) t = p.transform(t, target);
      } catch (err) {
        throw new Error(`${meta.file}: ${key} [${raw.shape}] -> ${w.originalName} [${target}]: ${(err as Error).message}`);
      }
      if (!sameShape(t.shape, target)) {
        const m = { name: w.originalName, key, expected: target, got: raw.shape };
        (layer.name === headLayer ? headProblems : report.shapeMismatch).push(m);
        continue;
      }
      writes.push([w, t]);
      (adapted ? report.adapted : report.loaded).push(w.originalName);
    }
  }
  if (headProblems.length) {
    const k = headProblems.find((m) => m.expected.length === 1) ?? headProblems[0];
    report.head = { layer: headLayer, sourceClasses: k.got[0], classes: k.expected[k.expected.length - 1] };
  }
  for (const key of tensors.keys()) {
    if (used.has(key)) continue;
    if (o.ignore?.some((r) => r.test(key))) report.ignored.push(key);
    else report.unexpected.push(key);
  }
  if ((o.strict ?? true) && (report.missing.length || report.unexpected.length || report.shapeMismatch.length)) {
    throw new Error(`${meta.file} does not fit ${model.name}: ${summariseLoad(report)}. ` +
      'Is it the architecture it was saved from (backbone, width: 1.0, the same source: torchvision vs timm)?');
  }
  // Write only after every check passed: a failed load leaves the model as it was.
  for (const [w, t] of writes) {
    const v = tf.tensor(t.data, t.shape, 'float32');
    w.write(v);
    v.dispose();
  }
  return report;
}

export function loadWeightsFile(model: tf.LayersModel, file: string, o: LoadOptions = {}): LoadReport {
  const src = readSourceFile(file);
  return loadStateDict(model, src.tensors, { file, format: src.format }, o);
}

function list<T>(xs: T[], f: (x: T) => string, n = 4): string {
  return xs.slice(0, n).map(f).join(', ') + (xs.length > n ? `, ... (${xs.length - n} more)` : '');
}

/** One line for logs: "loaded 122/122 weights; head replaced (1000 -> 6 classes)". */
export function summariseLoad(r: LoadReport): string {
  const total = r.loaded.length + r.adapted.length + r.missing.length + r.shapeMismatch.length + (r.head ? 2 : 0);
  const parts = [`loaded ${r.loaded.length + r.adapted.length}/${total} weights from ${r.format}`];
  if (r.adapted.length) parts.push(`${r.adapted.length} summed RGB -> gray (${r.adapted.join(', ')})`);
  if (r.head) parts.push(`classifier replaced (${r.head.sourceClasses} -> ${r.head.classes} classes)`);
  if (r.missing.length) parts.push(`${r.missing.length} missing (${list(r.missing, (m) => `${m.name} <- ${m.key}`)})`);
  if (r.shapeMismatch.length) parts.push(`${r.shapeMismatch.length} shape mismatch (${list(r.shapeMismatch, (m) => `${m.key} [${m.got}] vs ${m.name} [${m.expected}]`)})`);
  if (r.unexpected.length) parts.push(`${r.unexpected.length} unexpected keys (${list(r.unexpected, (k) => k)})`);
  if (r.ignored.length) parts.push(`${r.ignored.length} keys ignored on purpose (${list(r.ignored, (k) => k, 2)})`);
  return parts.join('; ');
}
