// Rewrites the relaxed-SIMD prototype's f32x4.fma (0xfd 0xaf 0x01, what clang
// 14 emits for __builtin_wasm_fma_f32x4) into the standard
// f32x4.relaxed_madd (0xfd 0x85 0x02: a * b + c, operands in the same order)
// in a module built by build.sh, in place. Both encodings are three bytes, so
// no offset moves. The instructions are found by llvm-objdump's disassembly
// (addresses relative to the code section's contents), not by a byte search.
// Usage: node relax-opcodes.cjs FILE.wasm LLVM_OBJDUMP
'use strict';
const fs = require('node:fs');
const { execFileSync } = require('node:child_process');

const [file, objdump] = process.argv.slice(2);
const buf = fs.readFileSync(file);
let pos = 8, code = -1;
while (pos < buf.length) {
  const id = buf[pos++];
  let size = 0, shift = 0, b;
  do { b = buf[pos++]; size += (b & 0x7f) * 2 ** shift; shift += 7; } while (b & 0x80);
  if (id === 10) { code = pos; break; }
  pos += size;
}
if (code < 0) throw new Error(`${file}: no code section`);
let n = 0;
for (const line of execFileSync(objdump, ['-d', file], { encoding: 'utf8', maxBuffer: 1 << 28 }).split('\n')) {
  const m = /^\s*([0-9a-f]+):\s+fd af 01\s+f32x4\.fma\b/.exec(line);
  if (!m) continue;
  const at = code + parseInt(m[1], 16);
  if (buf[at] !== 0xfd || buf[at + 1] !== 0xaf || buf[at + 2] !== 0x01) throw new Error(`${file}: no f32x4.fma at byte ${at}`);
  buf[at + 1] = 0x85;
  buf[at + 2] = 0x02;
  n++;
}
if (n === 0) throw new Error(`${file}: no f32x4.fma found (built without -DCELLAB_RELAXED?)`);
try { require('node:v8').setFlagsFromString('--experimental-wasm-relaxed-simd'); } catch { /* Node >= 22: on by default */ }
if (!WebAssembly.validate(buf)) throw new Error(`${file}: invalid after rewriting ${n} instructions`);
fs.writeFileSync(file, buf);
console.log(`${file}: ${n} f32x4.fma -> f32x4.relaxed_madd`);
