// How many of the wasm threads XNNPACK's own operators get for a backbone
// (initEngine's xnnpackThreads). With cellab's SIMD kernels, a resnet's
// convolutions, batch norms, ReLU gradients and optimiser steps all run on
// cellab's kernel pool; what is left in XNNPACK (residual adds, pooling, the
// classifier) is small, and XNNPACK's pool spinning between those operators
// takes the second core from cellab's. Measured on 2 cores (64 px, batch 32,
// one window): resnet18 trains at 793-805 img/s with XNNPACK on 1 thread vs
// 686-709 on 2, and infers at 2872 vs 2400 img/s; small-cnn is the same either
// way (1039 vs 1028); convnext-atto (depthwise convolutions in XNNPACK) loses
// 22% and mobilenetv2 8% on 1 thread, vit-tiny is the same: they keep all.
// CELLAB_XNNPACK_THREADS overrides this.

/** XNNPACK's thread count for `backbone`, or undefined for all threads. */
export function xnnpackThreadsFor(backbone: string): number | undefined {
  return /^resnet\d+$/.test(backbone) ? 1 : undefined;
}
