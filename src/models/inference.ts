// A trained model's inference forward pass (training = false) with every
// batch norm folded into the convolution before it: conv -> batch norm ->
// ReLU becomes one tf.fused.conv2d (XNNPACK's convolution with bias and
// clamp on wasm) with weights W * s and bias beta + (b - mean) * s,
// s = gamma / sqrt(var + eps). In inference a batch norm is an affine map
// per channel, so this is the same function up to float rounding, one op
// instead of three. Also one op each: a residual add and its ReLU; zero
// padding and the max pool after a ReLU; and a convolution over a map smaller
// than its kernel runs as a matrix product (denseConv). A resnet18 pass runs
// 39 kernels instead of 79 (reshapes not counted) and takes ~35% less CPU.
//
// The folded weights are recomputed whenever a weight they come from
// changed: a tf.Variable takes a new dataId on every assign (optimizer
// steps, moving statistics, setWeights, checkpoints), and each fused op
// checks its sources' dataIds before running. So a function made before
// training never runs stale weights; evaluation makes one per pass anyway.
//
// What folds: Conv2D (tf.layers.conv2d, PlainConv2D) and DepthwiseConv2D
// with a linear (or ReLU/ReLU6) activation, channels last; a CellabBatchNorm
// that is the convolution's only consumer; a relu/relu6 Activation layer that
// is the only consumer of what it follows. A Conv2D/DepthwiseConv2D with no
// batch norm still runs as one fused op (with its bias and ReLU). Every other
// layer runs as model.predict runs it (layer.apply, training = false), so a
// network with nothing to fold computes exactly what model.predict does.
import * as tf from '@tensorflow/tfjs';
import { simdKernels } from '../engine/simd-kernels';

type Layer = tf.layers.Layer;
type Sym = tf.SymbolicTensor;
type Act = 'linear' | 'relu' | 'relu6';

interface GraphNode {
  inputTensors: Sym[];
  outputTensors: Sym[];
  callArgs?: Record<string, unknown>;
  outboundLayer: Layer;
}

interface ConvInternals {
  kernel?: tf.LayerVariable;
  depthwiseKernel?: tf.LayerVariable;
  bias: tf.LayerVariable | null;
  strides: [number, number];
  padding: 'same' | 'valid';
  dilationRate: number | [number, number];
  dataFormat: string;
  activation: { getClassName(): string };
  symmetricPad?: number;
  rank?: number;
}

interface BnInternals {
  gamma?: tf.LayerVariable;
  beta?: tf.LayerVariable;
  movingMean: tf.LayerVariable;
  movingVariance: tf.LayerVariable;
  epsilon: number;
}

interface FusedStep {
  kind: 'fused';
  /** The layers this step replaces, in order (conv, then batch norm and activation when folded). */
  layers: Layer[];
  conv: ConvInternals;
  depthwise: boolean;
  bn?: BnInternals;
  act: Act;
  input: Sym;
  output: Sym;
  /** A convolution over a map no larger than its kernel, run as one matrix product (denseConv). */
  dense?: DenseConv;
  /** Folded weights (a filter, or denseConv's matrix) and the (variable, dataId) pairs they were computed from. */
  cache?: { filter: tf.Tensor; bias: tf.Tensor1D; sources: [tf.Tensor, object][] };
}

/**
 * A convolution as a matrix product over the whole map: [B, H*W*Cin] x
 * [H*W*Cin, Ho*Wo*Cout]. Where the map is smaller than the kernel (a 3x3 conv
 * on ResNet's last 2x2 stage at 64 px) most of the convolution's taps fall on
 * padding, which XNNPACK still multiplies; the product does only the taps
 * inside, and a GEMM runs faster than the convolution's indirection per pixel
 * (0.5 vs 1.0 ms for [32, 2, 2, 128] with a 3x3x128x128 kernel on wasm).
 */
interface DenseConv {
  out: [number, number, number];
  /** For each (input pixel, output pixel): the kernel tap index ki * kw + kj, or kh * kw (a zero) where none applies. */
  taps: Int32Array;
}

/** denseConv's plan for a 2D convolution (not depthwise, dilation 1) whose input map has fewer pixels than its kernel. */
function denseConv(c: ConvInternals, input: Sym, output: Sym): DenseConv | undefined {
  const [, h, w, cin] = input.shape as (number | null)[];
  const [, ho, wo, cout] = output.shape as (number | null)[];
  const kernel = c.kernel!.shape as number[];
  const [kh, kw] = kernel;
  const dilation = typeof c.dilationRate === 'number' ? [c.dilationRate, c.dilationRate] : c.dilationRate;
  if (h == null || w == null || cin == null || ho == null || wo == null || cout == null || dilation.some((d) => d !== 1)) return undefined;
  if (h * w >= kh * kw || h * w * cin * ho * wo * cout > 1 << 24) return undefined;
  // Top/left padding as the convolution pads: explicit p, TF's 'same' (the smaller half before), or none.
  const before = (n: number, out: number, k: number, stride: number) => c.symmetricPad ? c.symmetricPad
    : c.padding === 'same' ? Math.floor(Math.max((out - 1) * stride + k - n, 0) / 2) : 0;
  const [sh, sw] = c.strides;
  const pt = before(h, ho, kh, sh), pl = before(w, wo, kw, sw);
  const taps = new Int32Array(h * w * ho * wo).fill(kh * kw);
  for (let qi = 0; qi < h; qi++) for (let qj = 0; qj < w; qj++) {
    for (let oi = 0; oi < ho; oi++) for (let oj = 0; oj < wo; oj++) {
      const ki = qi - (oi * sh - pt), kj = qj - (oj * sw - pl);
      if (ki >= 0 && ki < kh && kj >= 0 && kj < kw) taps[(qi * w + qj) * ho * wo + oi * wo + oj] = ki * kw + kj;
    }
  }
  return { out: [ho, wo, cout], taps };
}

interface LayerStep {
  kind: 'layer';
  layer: Layer;
  node: GraphNode;
}

/** A residual sum (tf.layers.add) and the ReLU after it: tf.relu(a + b), without the Add layer's clone. */
interface AddStep {
  kind: 'add';
  layers: Layer[];
  inputs: Sym[];
  act: Act;
  output: Sym;
}

/**
 * Zero padding then max pooling ('valid') on a non-negative input (after a ReLU):
 * one max pool with the padding inside (XNNPACK skips padded cells, which on
 * non-negative values is the same as pooling over zeros: every window overlaps the input).
 */
interface PoolStep {
  kind: 'pool';
  layers: Layer[];
  input: Sym;
  output: Sym;
  poolSize: [number, number];
  strides: [number, number];
  pad: [[number, number], [number, number]];
}

type Step = FusedStep | LayerStep | AddStep | PoolStep;

export interface InferenceFunction {
  /** The model's output(s) for `x`, as model.predict(x) on one batch (training = false). */
  predict(x: tf.Tensor | tf.Tensor[]): tf.Tensor;
  /** Names of the layers run as one op (conv, batch norm, activation; add, ReLU; padding, max pool), per op. */
  readonly fused: string[][];
  /** Names of the convolutions run as one matrix product (their map is smaller than their kernel). */
  readonly dense: string[];
  /** Frees the folded weights (the model's own are untouched). */
  dispose(): void;
}

function className(l: Layer): string {
  return l.getClassName();
}

function isConv(l: Layer): boolean {
  const n = className(l);
  // PlainConv2D subclasses Conv2D; both run the same convolution.
  return n === 'Conv2D' || n === 'CellabPlainConv2D' || n === 'DepthwiseConv2D';
}

function fusedActivation(name: string): Act | null {
  return name === 'linear' ? 'linear' : name === 'relu' ? 'relu' : name === 'relu6' ? 'relu6' : null;
}

/** The graph node that produced `t`. */
function nodeOf(t: Sym): GraphNode {
  return (t.sourceLayer as unknown as { inboundNodes: GraphNode[] }).inboundNodes[t.nodeIndex];
}

/** Nodes from the model's inputs to its outputs in execution order. */
function topoNodes(model: tf.LayersModel): GraphNode[] {
  const inputs = new Set(model.inputs.map((t) => t.id));
  const seen = new Set<GraphNode>();
  const order: GraphNode[] = [];
  const visit = (t: Sym) => {
    if (inputs.has(t.id)) return;
    const node = nodeOf(t);
    if (seen.has(node)) return;
    seen.add(node);
    for (const i of node.inputTensors) visit(i);
    order.push(node);
  };
  for (const o of model.outputs) visit(o);
  return order;
}

function plan(model: tf.LayersModel, denseSmallMaps: boolean): Step[] {
  const nodes = topoNodes(model);
  const consumers = new Map<number, GraphNode[]>();
  for (const n of nodes) for (const t of n.inputTensors) consumers.set(t.id, [...(consumers.get(t.id) ?? []), n]);
  const outputs = new Set(model.outputs.map((t) => t.id));
  /** The one node consuming `t`, if `t` has exactly one consumer and is not a model output. */
  const soleConsumer = (t: Sym): GraphNode | null => {
    const c = consumers.get(t.id) ?? [];
    return c.length === 1 && !outputs.has(t.id) ? c[0] : null;
  };
  const absorbed = new Set<GraphNode>();
  const steps: Step[] = [];
  // Tensors known to be >= 0 (a ReLU's output, a max pool of one).
  const nonNegative = new Set<number>();
  /** The relu/relu6 Activation layer that alone consumes `t`, if any. */
  const reluAfter = (t: Sym): { node: GraphNode; act: Act } | null => {
    const next = soleConsumer(t);
    const act = next && className(next.outboundLayer) === 'Activation' ? fusedActivation((next.outboundLayer as unknown as ConvInternals).activation.getClassName()) : null;
    return next && act && act !== 'linear' ? { node: next, act } : null;
  };
  for (const node of nodes) {
    if (absorbed.has(node)) continue;
    const layer = node.outboundLayer;
    const kind = className(layer);
    if (kind === 'Add' && node.inputTensors.length >= 2 && node.outputTensors.length === 1) {
      const step: AddStep = { kind: 'add', layers: [layer], inputs: node.inputTensors, act: 'linear', output: node.outputTensors[0] };
      const relu = reluAfter(step.output);
      if (relu) {
        step.act = relu.act;
        step.layers.push(relu.node.outboundLayer);
        absorbed.add(relu.node);
        step.output = relu.node.outputTensors[0];
        nonNegative.add(step.output.id);
      }
      steps.push(step);
      continue;
    }
    if (kind === 'ZeroPadding2D' && nonNegative.has(node.inputTensors[0].id)) {
      const pool = soleConsumer(node.outputTensors[0]);
      const pl = pool?.outboundLayer as unknown as { poolSize: [number, number]; strides: [number, number]; padding: string; dataFormat: string } | undefined;
      const pad = (layer as unknown as { padding: [[number, number], [number, number]]; dataFormat: string });
      if (pool && pl && className(pool.outboundLayer) === 'MaxPooling2D' && pl.padding === 'valid' && pl.dataFormat === 'channelsLast' && pad.dataFormat === 'channelsLast'
        && pad.padding.every((p, i) => p.every((v) => v < pl.poolSize[i]))) {
        absorbed.add(pool);
        nonNegative.add(pool.outputTensors[0].id);
        steps.push({ kind: 'pool', layers: [layer, pool.outboundLayer], input: node.inputTensors[0], output: pool.outputTensors[0], poolSize: pl.poolSize, strides: pl.strides, pad: pad.padding });
        continue;
      }
    }
    const conv = layer as unknown as ConvInternals;
    const convAct = isConv(layer) && node.inputTensors.length === 1 && node.outputTensors.length === 1
      && conv.dataFormat === 'channelsLast' && (conv.rank === undefined || conv.rank === 2) ? fusedActivation(conv.activation.getClassName()) : null;
    if (convAct === null) {
      steps.push({ kind: 'layer', layer, node });
      continue;
    }
    const depthwise = className(layer) === 'DepthwiseConv2D';
    const step: FusedStep = { kind: 'fused', layers: [layer], conv, depthwise, act: convAct, input: node.inputTensors[0], output: node.outputTensors[0],
      dense: depthwise || !denseSmallMaps ? undefined : denseConv(conv, node.inputTensors[0], node.outputTensors[0]) };
    let next = soleConsumer(step.output);
    if (step.act === 'linear' && next && className(next.outboundLayer) === 'CellabBatchNorm' && next.inputTensors.length === 1) {
      step.bn = next.outboundLayer as unknown as BnInternals;
      step.layers.push(next.outboundLayer);
      absorbed.add(next);
      step.output = next.outputTensors[0];
      next = soleConsumer(step.output);
    }
    const relu = step.act === 'linear' ? reluAfter(step.output) : null;
    if (relu) {
      step.act = relu.act;
      step.layers.push(relu.node.outboundLayer);
      absorbed.add(relu.node);
      step.output = relu.node.outputTensors[0];
    }
    if (step.act !== 'linear') nonNegative.add(step.output.id);
    steps.push(step);
  }
  return steps;
}

function sourcesOf(s: FusedStep): tf.Tensor[] {
  const c = s.conv, bn = s.bn;
  const out: tf.Tensor[] = [(s.depthwise ? c.depthwiseKernel! : c.kernel!).read()];
  if (c.bias) out.push(c.bias.read());
  if (bn) {
    if (bn.gamma) out.push(bn.gamma.read());
    if (bn.beta) out.push(bn.beta.read());
    out.push(bn.movingMean.read(), bn.movingVariance.read());
  }
  return out;
}

/** The step's filter and bias with its batch norm folded in, recomputed when a source weight changed. */
function folded(s: FusedStep): { filter: tf.Tensor; bias: tf.Tensor1D } {
  const sources = sourcesOf(s);
  const fresh = s.cache && s.cache.sources.length === sources.length
    && sources.every((t, i) => s.cache!.sources[i][0] === t && s.cache!.sources[i][1] === t.dataId);
  if (fresh) return s.cache!;
  if (s.cache) tf.dispose([s.cache.filter, s.cache.bias]);
  const [filter, bias] = tf.tidy((): [tf.Tensor, tf.Tensor1D] => {
    const [w, b] = foldNorm(s);
    if (!s.dense) return [w, b];
    // [kh, kw, cin, cout] -> taps [kh * kw + 1 (a zero), cin, cout] -> [in pixel, out pixel, cin, cout] -> [in pixel * cin, out pixel * cout].
    const [kh, kw, cin, cout] = w.shape;
    const taps = tf.concat([tf.reshape(w, [kh * kw, cin, cout]), tf.zeros([1, cin, cout])]);
    const pixelsOut = s.dense.out[0] * s.dense.out[1], pixelsIn = s.dense.taps.length / pixelsOut;
    const m = tf.reshape(tf.gather(taps, tf.tensor1d(s.dense.taps, 'int32')), [pixelsIn, pixelsOut, cin, cout]);
    return [tf.reshape(tf.transpose(m, [0, 2, 1, 3]), [pixelsIn * cin, pixelsOut * cout]), tf.tile(b, [pixelsOut]) as tf.Tensor1D];
  });
  s.cache = { filter: tf.keep(filter), bias: tf.keep(bias), sources: sources.map((t) => [t, t.dataId]) };
  return s.cache;
}

/** The step's convolution filter and bias with its batch norm folded in (tensors of the current scope). */
function foldNorm(s: FusedStep): [tf.Tensor4D, tf.Tensor1D] {
  const c = s.conv;
  const w = (s.depthwise ? c.depthwiseKernel! : c.kernel!).read() as tf.Tensor4D;
  const channels = s.depthwise ? w.shape[2] * w.shape[3] : w.shape[3];
  const b = c.bias ? c.bias.read() as tf.Tensor1D : tf.zeros([channels]) as tf.Tensor1D;
  const bn = s.bn;
  if (!bn) return [tf.clone(w), tf.clone(b)];
  const gamma = bn.gamma ? bn.gamma.read() : tf.ones([channels]);
  const beta = bn.beta ? bn.beta.read() : tf.zeros([channels]);
  const scale = tf.mul(gamma, tf.rsqrt(tf.add(bn.movingVariance.read(), bn.epsilon))) as tf.Tensor1D;
  // Output channel c of a depthwise kernel [kh, kw, in, multiplier] is in * multiplier + m.
  const filter = tf.mul(w, s.depthwise ? tf.reshape(scale, [w.shape[2], w.shape[3]]) : scale) as tf.Tensor4D;
  return [filter, tf.add(tf.mul(tf.sub(b, bn.movingMean.read()), scale) as tf.Tensor1D, beta) as tf.Tensor1D];
}

function runFused(s: FusedStep, x: tf.Tensor4D): tf.Tensor4D {
  const { filter, bias } = folded(s);
  if (s.dense) {
    const y = tf.fused.matMul({ a: tf.reshape(x, [x.shape[0], -1]), b: filter as tf.Tensor2D, bias, activation: s.act });
    return tf.reshape(y, [x.shape[0], ...s.dense.out]);
  }
  const c = s.conv;
  const pad = c.symmetricPad ? c.symmetricPad : c.padding;
  const dilations = typeof c.dilationRate === 'number' ? [c.dilationRate, c.dilationRate] as [number, number] : c.dilationRate;
  if (s.depthwise) return tf.fused.depthwiseConv2d({ x, filter: filter as tf.Tensor4D, strides: c.strides, pad, dataFormat: 'NHWC', dilations, bias, activation: s.act });
  return tf.fused.conv2d({ x, filter: filter as tf.Tensor4D, strides: c.strides, pad, dataFormat: 'NHWC', dilations, bias, activation: s.act });
}

/**
 * The inference forward pass of `model` with batch norms folded into their
 * convolutions. Make one per evaluation (it keeps folded copies of the
 * weights; dispose() frees them); it re-folds by itself if the weights change.
 */
export function inferenceFunction(model: tf.LayersModel, o: {
  /**
   * Run convolutions on maps smaller than their kernel as one matrix product (denseConv).
   * Default: only without cellab's SIMD convolution, which skips the taps outside the map
   * itself and runs on every thread, where the product runs in XNNPACK (on one thread for
   * a resnet: engine-threads.ts): resnet18's three 2x2-stage convolutions at 64 px,
   * 0.55 vs 0.6 ms each on one thread, half that on two.
   */
  denseSmallMaps?: boolean;
} = {}): InferenceFunction {
  const steps = plan(model, o.denseSmallMaps ?? !(tf.getBackend() === 'wasm' && simdKernels()));
  const fusedSteps = steps.filter((s): s is FusedStep => s.kind === 'fused');
  // How many steps still need each intermediate: freed after its last use (as tfjs-layers' executor does).
  const uses = new Map<number, number>();
  const use = (t: Sym) => uses.set(t.id, (uses.get(t.id) ?? 0) + 1);
  const inputsOf = (s: Step): Sym[] => s.kind === 'layer' ? s.node.inputTensors : s.kind === 'add' ? s.inputs : [s.input];
  for (const s of steps) inputsOf(s).forEach(use);
  const keep = new Set([...model.inputs, ...model.outputs].map((t) => t.id));
  return {
    fused: steps.filter((s): s is FusedStep | AddStep | PoolStep => s.kind !== 'layer' && s.layers.length > 1).map((s) => s.layers.map((l) => l.name)),
    dense: fusedSteps.filter((s) => s.dense).map((s) => s.layers[0].name),
    predict(x: tf.Tensor | tf.Tensor[]): tf.Tensor {
      const xs = Array.isArray(x) ? x : [x];
      if (xs.length !== model.inputs.length) throw new Error(`${model.name}: expected ${model.inputs.length} input(s), got ${xs.length}`);
      model.inputs.forEach((t, i) => {
        const want = t.shape, got = xs[i].shape;
        if (got.length !== want.length || want.some((d, k) => d != null && d !== got[k])) {
          throw new Error(`${model.name}: input ${i} has shape [${got.join(', ')}], the model expects [${want.map((d) => d ?? 'batch').join(', ')}]; resize the images to the size it was built for`);
        }
      });
      return tf.tidy(() => {
        const values = new Map<number, tf.Tensor>();
        model.inputs.forEach((t, i) => values.set(t.id, xs[i]));
        const left = new Map(uses);
        const get = (t: Sym): tf.Tensor => {
          const v = values.get(t.id);
          if (!v) throw new Error(`${model.name}: no value for ${t.name} (layer ${t.sourceLayer.name}) in the inference graph`);
          return v;
        };
        const release = (t: Sym) => {
          const n = (left.get(t.id) ?? 0) - 1;
          left.set(t.id, n);
          if (n > 0 || keep.has(t.id)) return;
          const v = values.get(t.id);
          values.delete(t.id);
          // A layer may pass its input through (dropout at inference): free only what nothing else holds.
          if (v && !xs.includes(v) && ![...values.values()].includes(v)) v.dispose();
        };
        for (const s of steps) {
          if (s.kind === 'fused') {
            values.set(s.output.id, runFused(s, get(s.input) as tf.Tensor4D));
            release(s.input);
            continue;
          }
          if (s.kind === 'add') {
            const sum = s.inputs.map(get).reduce((a, b) => tf.add(a, b));
            values.set(s.output.id, s.act === 'relu' ? tf.relu(sum) : s.act === 'relu6' ? tf.relu6(sum) : sum);
            s.inputs.forEach(release);
            continue;
          }
          if (s.kind === 'pool') {
            const pad = [[0, 0], ...s.pad, [0, 0]] as [[number, number], [number, number], [number, number], [number, number]];
            values.set(s.output.id, tf.maxPool(get(s.input) as tf.Tensor4D, s.poolSize, s.strides, pad));
            release(s.input);
            continue;
          }
          const ins = s.node.inputTensors.map(get);
          const out = s.layer.apply(ins.length === 1 ? ins[0] : ins, { ...(s.node.callArgs ?? {}), training: false }) as tf.Tensor | tf.Tensor[];
          const outs = Array.isArray(out) ? out : [out];
          s.node.outputTensors.forEach((t, i) => values.set(t.id, outs[i]));
          s.node.inputTensors.forEach(release);
        }
        const result = model.outputs.map(get);
        if (result.length !== 1) throw new Error(`${model.name}: inferenceFunction supports one output, the model has ${result.length}`);
        return result[0];
      });
    },
    dispose(): void {
      for (const s of fusedSteps) {
        if (s.cache) tf.dispose([s.cache.filter, s.cache.bias]);
        s.cache = undefined;
      }
    },
  };
}
