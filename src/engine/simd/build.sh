#!/usr/bin/env bash
# Builds lib/cellab-kernels.wasm from kernels.c (committed; only needed after
# changing kernels.c). Needs Debian's clang and lld: apt-get install -y clang-14 lld-14
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/../../../lib/cellab-kernels.wasm"
CLANG="${CLANG:-$(command -v clang-14 || command -v clang)}"
WASM_LD="${WASM_LD:-$(command -v wasm-ld-14 || command -v wasm-ld)}"
"$CLANG" --target=wasm32 -O3 -msimd128 -mbulk-memory -fno-math-errno -nostdlib \
  -fuse-ld="$WASM_LD" -Wl,--no-entry -Wl,--export-dynamic -Wl,--export=__heap_base \
  -Wl,--stack-first -Wl,-z,stack-size=65536 -Wl,--initial-memory=1048576 -Wl,--max-memory=4294967296 \
  -o "$out" "$here/kernels.c"
echo "wrote $out ($(wc -c < "$out") bytes)"
