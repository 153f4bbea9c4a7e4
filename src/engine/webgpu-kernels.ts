// Kernels cellab registers on the webgpu backend (webgpu.ts calls this once
// the backend has started).
//
// AddN: tfjs-backend-webgpu binds every input as a storage buffer, and a
// device allows 8 per shader stage by default (one is the output): the sum of
// 8 or more tensors (clipping by the global norm of a net's gradients) fails
// validation, and Dawn drops the whole command buffer. Larger sums are done
// in chunks that fit, as tfjs' webgpu Concat does.
//
// MaxPoolGrad: tfjs-backend-webgpu sends a window's gradient to the LAST of
// tied maxima, tfjs' cpu backend and PyTorch to the FIRST. Ties of positive
// values do happen in cellab's nets: GoogLeNet's stride-1 pool over a map of
// 2x2 or less gives every position the same value, the 1x1 conv after it
// keeps them equal, and the next module's pool sees them tied — so gradients
// would differ from PyTorch's (and cpu's) by O(1) there. This program keeps
// the first maximum, in one pass: each input position sums dy over the
// windows whose first maximum it is.
//
// Conv2DBackpropFilter: one matrix product instead of tfjs' one thread per
// filter element (webgpu-filter-grad.ts).
import * as tf from '@tensorflow/tfjs';
import { filterGradByMatMul } from './webgpu-filter-grad';
import { PerElementProgram } from './webgpu-program';

class MaxPoolGradFirstProgram extends PerElementProgram {
  readonly variableNames = ['x', 'dy'];
  readonly uniforms = 'strides : vec2<i32>, pads : vec2<i32>, filterDims : vec2<i32>, inDims : vec2<i32>, outDims : vec2<i32>,';
  shaderKey = 'cellab_maxPoolGradFirst';

  getUserCode(): string {
    // Windows (yR, yC) that cover input row xR: yR * stride - pad <= xR <= yR * stride - pad + filter - 1.
    // (WGSL's integer division truncates; clamping at 0 makes that equal to the floor.)
    return `
      fn main(index : i32) {
        if (index < uniforms.size) {
          let coords = getCoordsFromIndex(index);
          let b = coords[0];
          let xR = coords[1];
          let xC = coords[2];
          let d = coords[3];
          let rLo = max(0, (xR + uniforms.pads.x - uniforms.filterDims.x + uniforms.strides.x) / uniforms.strides.x);
          let rHi = min(uniforms.outDims.x - 1, (xR + uniforms.pads.x) / uniforms.strides.x);
          let cLo = max(0, (xC + uniforms.pads.y - uniforms.filterDims.y + uniforms.strides.y) / uniforms.strides.y);
          let cHi = min(uniforms.outDims.y - 1, (xC + uniforms.pads.y) / uniforms.strides.y);
          var acc = 0.0;
          for (var yR = rLo; yR <= rHi; yR = yR + 1) {
            for (var yC = cLo; yC <= cHi; yC = yC + 1) {
              let r0 = yR * uniforms.strides.x - uniforms.pads.x;
              let c0 = yC * uniforms.strides.y - uniforms.pads.y;
              var best = 0.0;
              var found = false;
              var bR = -1;
              var bC = -1;
              for (var wR = 0; wR < uniforms.filterDims.x; wR = wR + 1) {
                let r = r0 + wR;
                if (r < 0 || r >= uniforms.inDims.x) { continue; }
                for (var wC = 0; wC < uniforms.filterDims.y; wC = wC + 1) {
                  let c = c0 + wC;
                  if (c < 0 || c >= uniforms.inDims.y) { continue; }
                  let v = getX(b, r, c, d);
                  if (!found || v > best) {
                    best = v;
                    found = true;
                    bR = r;
                    bC = c;
                  }
                }
              }
              if (bR == xR && bC == xC) {
                acc = acc + getDy(b, yR, yC, d);
              }
            }
          }
          setOutputAtIndex(index, acc);
        }
      }
    `;
  }
}

interface WebGpuBackendLike {
  runWebGPUProgram(program: object, inputs: tf.TensorInfo[], dtype: tf.DataType, uniforms: { type: string; data: number[] }[]): tf.TensorInfo;
  disposeData(dataId: object): void;
  device: { limits: { maxStorageBuffersPerShaderStage: number } };
}

const maxPoolGrad: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { dy, input } = inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
  const a = attrs as unknown as { filterSize: [number, number] | number; strides: [number, number] | number; pad: 'valid' | 'same' | number; dimRoundingMode?: 'floor' | 'round' | 'ceil' };
  const ci = tf.backend_util.computePool2DInfo(input.shape as [number, number, number, number], a.filterSize, a.strides, 1, a.pad, a.dimRoundingMode);
  const uniforms = [
    { type: 'int32', data: [ci.strideHeight, ci.strideWidth] },
    { type: 'int32', data: [ci.padInfo.top, ci.padInfo.left] },
    { type: 'int32', data: [ci.filterHeight, ci.filterWidth] },
    { type: 'int32', data: [ci.inHeight, ci.inWidth] },
    { type: 'int32', data: [ci.outHeight, ci.outWidth] },
  ];
  return (backend as unknown as WebGpuBackendLike).runWebGPUProgram(new MaxPoolGradFirstProgram(input.shape), [input, dy], input.dtype, uniforms);
};

/** tfjs' AddN over at most (storage buffers per stage - 1) inputs at a time. */
function chunkedAddN(stock: tf.KernelFunc): tf.KernelFunc {
  const addN: tf.KernelFunc = (args) => {
    const inputs = args.inputs as unknown as tf.TensorInfo[];
    const backend = args.backend as unknown as WebGpuBackendLike;
    const max = Math.max(2, backend.device.limits.maxStorageBuffersPerShaderStage - 1);
    if (inputs.length <= max) return stock(args);
    const partial: tf.TensorInfo[] = [];
    for (let i = 0; i < inputs.length; i += max) {
      const chunk = inputs.slice(i, i + max);
      partial.push(chunk.length === 1 ? chunk[0] : stock({ ...args, inputs: chunk as unknown as tf.NamedTensorInfoMap }) as tf.TensorInfo);
    }
    const out = addN({ ...args, inputs: partial as unknown as tf.NamedTensorInfoMap });
    for (const p of partial) if (!inputs.includes(p)) backend.disposeData(p.dataId);
    return out;
  };
  return addN;
}

let stockAddN: tf.KernelFunc | undefined;
let stockFilterGrad: tf.KernelFunc | undefined;

/** Replace the webgpu kernels that fail, differ from cpu's and PyTorch's, or are slow (see above). Idempotent. */
export function registerWebGpuKernels(): void {
  if (tf.getKernel('MaxPoolGrad', 'webgpu')) tf.unregisterKernel('MaxPoolGrad', 'webgpu');
  tf.registerKernel({ kernelName: 'MaxPoolGrad', backendName: 'webgpu', kernelFunc: maxPoolGrad });
  stockFilterGrad ??= tf.getKernel('Conv2DBackpropFilter', 'webgpu')?.kernelFunc;
  if (stockFilterGrad) {
    tf.unregisterKernel('Conv2DBackpropFilter', 'webgpu');
    tf.registerKernel({ kernelName: 'Conv2DBackpropFilter', backendName: 'webgpu', kernelFunc: filterGradByMatMul(stockFilterGrad) });
  }
  stockAddN ??= tf.getKernel('AddN', 'webgpu')?.kernelFunc;
  if (!stockAddN) return;
  tf.unregisterKernel('AddN', 'webgpu');
  tf.registerKernel({ kernelName: 'AddN', backendName: 'webgpu', kernelFunc: chunkedAddN(stockAddN) });
}
