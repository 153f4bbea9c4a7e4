#!/usr/bin/env bash
# Training throughput of cellab's GPU paths on a machine with a GPU (NVIDIA, or
# any GPU with a Vulkan driver): resnet18 and convnext-tiny at 224 px on
# webgpu, on tensorflow-gpu when @tensorflow/tfjs-node-gpu loads, and PyTorch
# on CUDA when torch.cuda.is_available(); JSON rows on the last line. Runs
# unattended in under 8 minutes and installs nothing (run `npm install` once
# first). Without a GPU adapter it exits 1 with one line saying why.
# Details and environment variables: bench/gpu.ts; how to set up a GPU
# machine: environment.md, "Running on a GPU machine".
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d node_modules/tsx ] || [ ! -d node_modules/@tensorflow/tfjs ]; then
  echo "gpu.sh: node_modules is missing: run \`npm install\` first" >&2
  exit 1
fi
exec node --import tsx bench/gpu.ts "$@"
