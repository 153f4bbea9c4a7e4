#!/usr/bin/env bash
# Builds from kernels.c, into lib/:
#   cellab-kernels.wasm                 imports a plain memory (tfjs-backend-wasm on one thread)
#   cellab-kernels-shared.wasm          imports a shared memory (the multithreaded build)
#   cellab-kernels{,-shared}-relaxed.wasm  the same with f32x4.relaxed_madd (FMA) in the convolution
#                                       gradients, for runtimes with relaxed SIMD (simd-kernels.ts detects it)
#   cellab-linear.wasm                  from linear.c: the linear heads' float64 products (f64-gemm.ts; own memory)
# Committed; only needed after changing kernels.c. Needs Debian's clang and lld
# (apt-get install -y clang-14 lld-14) and node.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
lib="$here/../../../lib"
CLANG="${CLANG:-$(command -v clang-14 || command -v clang)}"
WASM_LD="${WASM_LD:-$(command -v wasm-ld-14 || command -v wasm-ld)}"
OBJDUMP="${OBJDUMP:-$(command -v llvm-objdump-14 || command -v llvm-objdump || true)}"
common=(--target=wasm32 -O3 -msimd128 -mbulk-memory -fno-math-errno -nostdlib -fuse-ld="$WASM_LD"
  -Wl,--no-entry -Wl,--export-dynamic -Wl,--import-memory -Wl,-z,stack-size=0 -Wl,--initial-memory=65536)
shared=(-matomics -Wl,--shared-memory -Wl,--max-memory=4294967296)
relaxed=(-mrelaxed-simd -DCELLAB_RELAXED)
"$CLANG" "${common[@]}" -o "$lib/cellab-kernels.wasm" "$here/kernels.c"
"$CLANG" "${common[@]}" "${shared[@]}" -o "$lib/cellab-kernels-shared.wasm" "$here/kernels.c"
if [ -z "$OBJDUMP" ]; then echo "the relaxed builds need llvm-objdump (apt-get install -y llvm-14)" >&2; exit 1; fi
"$CLANG" "${common[@]}" "${relaxed[@]}" -o "$lib/cellab-kernels-relaxed.wasm" "$here/kernels.c"
"$CLANG" "${common[@]}" "${shared[@]}" "${relaxed[@]}" -o "$lib/cellab-kernels-shared-relaxed.wasm" "$here/kernels.c"
"$CLANG" "${common[@]}" -o "$lib/cellab-linear.wasm" "$here/linear.c"
node "$here/relax-opcodes.cjs" "$lib/cellab-kernels-relaxed.wasm" "$OBJDUMP"
node "$here/relax-opcodes.cjs" "$lib/cellab-kernels-shared-relaxed.wasm" "$OBJDUMP"
for f in "$lib"/cellab-kernels{,-shared}{,-relaxed}.wasm "$lib/cellab-linear.wasm"; do
  # The memory is tfjs': no function may move the stack pointer (global 0) or hold static data.
  if "$OBJDUMP" -d "$f" | grep -q "global.set"; then
    echo "$f: a function uses the stack (global.set); rewrite it without local arrays" >&2; exit 1
  fi
  if "$OBJDUMP" -h "$f" | grep -q " DATA "; then
    echo "$f: has static data; remove it" >&2; exit 1
  fi
  echo "wrote $f ($(wc -c < "$f") bytes)"
done
