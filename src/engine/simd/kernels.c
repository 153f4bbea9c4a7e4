// cellab's own wasm SIMD kernels: passes over activations that tfjs has no
// fast kernel for (batch-norm statistics, gradient and apply, max-pool
// gradients, bias + ReLU) and conv gradients without tfjs' transposes and
// stride phases. Built by `npm run build:kernels` (clang --target=wasm32
// -msimd128, see build.sh) into lib/cellab-kernels{,-shared}{,-relaxed}.wasm,
// which are committed: installing cellab needs no C compiler. The module
// imports tfjs-backend-wasm's own memory and works on tensors where they lie
// (src/engine/simd-kernels.ts passes heap offsets; scratch comes from tfjs'
// malloc), so the functions must not use a stack or static data: that memory
// is tfjs'. build.sh checks.
//
// Threads: every kernel does one range [lo, hi) of its work (images, rows,
// blocks of rows or groups of filter taps) and writes only that range's
// outputs, so src/engine/kernel-pool.ts can hand ranges to several threads
// on the shared memory. Reductions write one float32 partial per block of
// BLOCK rows; combine_blocks adds the partials in block order in double
// precision. Nothing depends on which thread did a range or how the work was
// cut: 1 and 2 threads give the same bits.
//
// Conventions: row-major [rows, cols] float32 arrays with channels last.

#include <stdint.h>
#include <wasm_simd128.h>

#define EXPORT __attribute__((visibility("default")))
#define INLINE static inline __attribute__((always_inline))
#define BLOCK 64
// Blocks of positions a filter gradient sums in float32 before adding into double.
#define SEGMENT_BLOCKS 16

// a * b + c. The relaxed build (-DCELLAB_RELAXED) uses f32x4.relaxed_madd, one
// fused multiply-add where the CPU has FMA. clang 14 knows that instruction
// only by the relaxed-SIMD prototype's name and opcode (f32x4.fma, operands in
// the same order): build.sh rewrites the opcode to the standard one.
#ifdef CELLAB_RELAXED
#define MADD(a, b, c) __builtin_wasm_fma_f32x4((a), (b), (c))
#define RELAXED 1
#else
#define MADD(a, b, c) wasm_f32x4_add(wasm_f32x4_mul((a), (b)), (c))
#define RELAXED 0
#endif

/** 1 in the relaxed-SIMD build (simd-kernels.ts reports which one runs). */
EXPORT int relaxed_build(void) { return RELAXED; }

INLINE int min_i(int a, int b) { return a < b ? a : b; }
INLINE int max_i(int a, int b) { return a > b ? a : b; }

// ---------------------------------------------------------------- column reductions

// part[b * cols + c] = float sum of column c over the rows of block b, for blocks [lo, hi).
EXPORT void col_sums_blocks(const float *restrict x, int rows, int cols, float *restrict part, int lo, int hi) {
  for (int b = lo; b < hi; b++) {
    int r0 = b * BLOCK, r1 = min_i(r0 + BLOCK, rows);
    float *restrict p = part + (int64_t)b * cols;
    for (int c = 0; c < cols; c++) p[c] = 0;
    for (int r = r0; r < r1; r++) {
      const float *restrict row = x + (int64_t)r * cols;
      for (int c = 0; c < cols; c++) p[c] += row[c];
    }
  }
}

// part[b * cols + c] = sum over block b's rows of (x - mean[c])^2 (the centred pass of the variance).
EXPORT void sq_dev_blocks(const float *restrict x, const float *restrict mean, int rows, int cols, float *restrict part, int lo, int hi) {
  for (int b = lo; b < hi; b++) {
    int r0 = b * BLOCK, r1 = min_i(r0 + BLOCK, rows);
    float *restrict p = part + (int64_t)b * cols;
    for (int c = 0; c < cols; c++) p[c] = 0;
    for (int r = r0; r < r1; r++) {
      const float *restrict row = x + (int64_t)r * cols;
      for (int c = 0; c < cols; c++) { float d = row[c] - mean[c]; p[c] += d * d; }
    }
  }
}

// The sums of the batch-norm gradient per block: part[2b * cols + c] = sum dy,
// part[(2b + 1) * cols + c] = sum dy (x - mean).
EXPORT void bn_grad_blocks(const float *restrict dy, const float *restrict x, const float *restrict mean, int rows, int cols,
                           float *restrict part, int lo, int hi) {
  for (int b = lo; b < hi; b++) {
    int r0 = b * BLOCK, r1 = min_i(r0 + BLOCK, rows);
    float *restrict p_dy = part + (int64_t)2 * b * cols, *restrict p_dyxc = p_dy + cols;
    for (int c = 0; c < cols; c++) { p_dy[c] = 0; p_dyxc[c] = 0; }
    for (int r = r0; r < r1; r++) {
      const float *restrict g = dy + (int64_t)r * cols, *restrict xs = x + (int64_t)r * cols;
      for (int c = 0; c < cols; c++) { float d = g[c]; p_dy[c] += d; p_dyxc[c] += d * (xs[c] - mean[c]); }
    }
  }
}

// out[c] = sum over blocks b < nb of part[b * stride + c], in double, in block order.
EXPORT void combine_blocks(const float *restrict part, int nb, int stride, int cols, double *restrict out) {
  for (int c = 0; c < cols; c++) out[c] = 0;
  for (int b = 0; b < nb; b++) {
    const float *restrict p = part + (int64_t)b * stride;
    for (int c = 0; c < cols; c++) out[c] += p[c];
  }
}

// ---------------------------------------------------------------- element-wise passes (rows [lo, hi))

// dx = k dy - a x - c0 per column: the batch-norm gradient once its sums are known (batch-norm-train.ts).
EXPORT void bn_grad_apply(const float *restrict dy, const float *restrict x, const float *restrict k, const float *restrict a,
                          const float *restrict c0, int cols, float *restrict dx, int lo, int hi) {
  for (int r = lo; r < hi; r++) {
    const float *restrict g = dy + (int64_t)r * cols, *restrict xs = x + (int64_t)r * cols;
    float *restrict o = dx + (int64_t)r * cols;
    for (int c = 0; c < cols; c++) o[c] = k[c] * g[c] - a[c] * xs[c] - c0[c];
  }
}

// y = x scale + shift per column (batch norm with its statistics folded in), then max(y, 0) if relu.
EXPORT void scale_shift(const float *restrict x, const float *restrict scale, const float *restrict shift, int cols, int relu,
                        float *restrict y, int lo, int hi) {
  const v128_t zero = wasm_f32x4_splat(0);
  for (int r = lo; r < hi; r++) {
    const float *restrict xs = x + (int64_t)r * cols;
    float *restrict o = y + (int64_t)r * cols;
    int c = 0;
    if (relu) {
      for (; c + 4 <= cols; c += 4) {
        v128_t v = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(xs + c), wasm_v128_load(scale + c)), wasm_v128_load(shift + c));
        wasm_v128_store(o + c, wasm_f32x4_max(v, zero));
      }
      for (; c < cols; c++) { float v = xs[c] * scale[c] + shift[c]; o[c] = v < 0 ? 0.0f : v; }
    } else {
      for (; c + 4 <= cols; c += 4) {
        wasm_v128_store(o + c, wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(xs + c), wasm_v128_load(scale + c)), wasm_v128_load(shift + c)));
      }
      for (; c < cols; c++) o[c] = xs[c] * scale[c] + shift[c];
    }
  }
}

// y = max(x + bias, 0), bias per column: the bias add and ReLU after a convolution in one pass. NaN stays NaN.
EXPORT void bias_relu(const float *restrict x, const float *restrict bias, int cols, float *restrict y, int lo, int hi) {
  const v128_t zero = wasm_f32x4_splat(0);
  for (int r = lo; r < hi; r++) {
    const float *restrict xs = x + (int64_t)r * cols;
    float *restrict o = y + (int64_t)r * cols;
    int c = 0;
    for (; c + 4 <= cols; c += 4) wasm_v128_store(o + c, wasm_f32x4_max(wasm_f32x4_add(wasm_v128_load(xs + c), wasm_v128_load(bias + c)), zero));
    for (; c < cols; c++) { float v = xs[c] + bias[c]; o[c] = v < 0 ? 0.0f : v; }
  }
}

// The ReLU gradient from the output y (dx = y > 0 ? dy : 0) over whole blocks, with
// part[b * cols + c] = block b's sum of dx (the bias gradient, combined by combine_blocks).
EXPORT void relu_grad_blocks(const float *restrict dy, const float *restrict y, int rows, int cols, float *restrict dx,
                             float *restrict part, int lo, int hi) {
  const v128_t zero = wasm_f32x4_splat(0);
  for (int b = lo; b < hi; b++) {
    int r0 = b * BLOCK, r1 = min_i(r0 + BLOCK, rows);
    float *restrict p = part + (int64_t)b * cols;
    for (int c = 0; c < cols; c++) p[c] = 0;
    for (int r = r0; r < r1; r++) {
      const float *restrict g = dy + (int64_t)r * cols, *restrict ys = y + (int64_t)r * cols;
      float *restrict o = dx + (int64_t)r * cols;
      int c = 0;
      for (; c + 4 <= cols; c += 4) {
        v128_t d = wasm_v128_and(wasm_v128_load(g + c), wasm_f32x4_gt(wasm_v128_load(ys + c), zero));
        wasm_v128_store(o + c, d);
        wasm_v128_store(p + c, wasm_f32x4_add(wasm_v128_load(p + c), d));
      }
      for (; c < cols; c++) { float d = ys[c] > 0 ? g[c] : 0.0f; o[c] = d; p[c] += d; }
    }
  }
}

// ---------------------------------------------------------------- max-pool gradients (images [lo, hi))

// Gradient of a 2x2 / stride-2 max pool whose windows lie inside the input
// (NHWC): each window's gradient goes to its first maximum in row-major
// window order (strict >, as tfjs' cpu backend); a window of NaNs gets none.
// Rows and columns no window covers (odd sizes) get 0.
EXPORT void max_pool_2x2_grad(const float *x, const float *dy, float *dx, int n, int h, int w, int c, int ho, int wo, int lo, int hi) {
  int64_t row = (int64_t)w * c;
  const v128_t ninf = wasm_f32x4_splat(-__builtin_inff());
  for (int b = lo; b < hi; b++) {
    if (2 * ho < h || 2 * wo < w) {
      float *d = dx + (int64_t)b * h * row;
      for (int64_t k = 0; k < (int64_t)h * row; k++) d[k] = 0;
    }
    int64_t gi = (int64_t)b * ho * wo * c;
    for (int yr = 0; yr < ho; yr++) {
      int64_t p0 = ((int64_t)b * h + 2 * yr) * row;
      for (int yc = 0; yc < wo; yc++) {
        int64_t pb = p0 + (int64_t)2 * yc * c;
        int ch = 0;
        // Four channels at a time: the running maximum with strict >, as the scalar loop.
        for (; ch + 4 <= c; ch += 4, gi += 4) {
          int64_t p00 = pb + ch, p01 = p00 + c, p10 = p00 + row, p11 = p10 + c;
          v128_t v00 = wasm_v128_load(x + p00), v01 = wasm_v128_load(x + p01);
          v128_t v10 = wasm_v128_load(x + p10), v11 = wasm_v128_load(x + p11), g = wasm_v128_load(dy + gi);
          v128_t t00 = wasm_f32x4_gt(v00, ninf);
          v128_t m = wasm_v128_bitselect(v00, ninf, t00);
          v128_t t01 = wasm_f32x4_gt(v01, m);
          m = wasm_v128_bitselect(v01, m, t01);
          v128_t t10 = wasm_f32x4_gt(v10, m);
          m = wasm_v128_bitselect(v10, m, t10);
          v128_t t11 = wasm_f32x4_gt(v11, m);
          v128_t later = t11;
          wasm_v128_store(dx + p11, wasm_v128_and(g, t11));
          wasm_v128_store(dx + p10, wasm_v128_and(g, wasm_v128_andnot(t10, later)));
          later = wasm_v128_or(later, t10);
          wasm_v128_store(dx + p01, wasm_v128_and(g, wasm_v128_andnot(t01, later)));
          later = wasm_v128_or(later, t01);
          wasm_v128_store(dx + p00, wasm_v128_and(g, wasm_v128_andnot(t00, later)));
        }
        for (; ch < c; ch++, gi++) {
          int64_t p00 = pb + ch, p01 = p00 + c, p10 = p00 + row, p11 = p10 + c;
          float v00 = x[p00], v01 = x[p01], v10 = x[p10], v11 = x[p11], g = dy[gi];
          float m = -__builtin_inff();
          int at = -1;
          if (v00 > m) { m = v00; at = 0; }
          if (v01 > m) { m = v01; at = 1; }
          if (v10 > m) { m = v10; at = 2; }
          if (v11 > m) { at = 3; }
          dx[p00] = at == 0 ? g : 0.0f;
          dx[p01] = at == 1 ? g : 0.0f;
          dx[p10] = at == 2 ? g : 0.0f;
          dx[p11] = at == 3 ? g : 0.0f;
        }
      }
    }
  }
}

// Gradient of any max pool (NHWC, c % 4 == 0): per output window, four
// channels at a time, the first maximum in row-major window order (strict >)
// gets the window's gradient, added (windows overlap when the stride is
// smaller than the window); dx of the images [lo, hi) is zeroed first.
EXPORT void max_pool_grad(const float *x, const float *dy, float *dx, int n, int h, int w, int c,
    int ho, int wo, int fh, int fw, int sh, int sw, int top, int left, int lo, int hi) {
  const v128_t ninf = wasm_f32x4_splat(-__builtin_inff()), none = wasm_i32x4_splat(-1);
  for (int b = lo; b < hi; b++) {
    float *d = dx + (int64_t)b * h * w * c;
    for (int64_t k = 0; k < (int64_t)h * w * c; k++) d[k] = 0;
    for (int yr = 0; yr < ho; yr++) {
      int r0 = yr * sh - top, rs = max_i(r0, 0), re = min_i(r0 + fh, h);
      for (int yc = 0; yc < wo; yc++) {
        int c0 = yc * sw - left, cs = max_i(c0, 0), ce = min_i(c0 + fw, w);
        const float *g = dy + (((int64_t)b * ho + yr) * wo + yc) * c;
        for (int ch = 0; ch < c; ch += 4) {
          v128_t m = ninf, at = none;
          for (int r = rs; r < re; r++) {
            for (int col = cs; col < ce; col++) {
              v128_t v = wasm_v128_load(x + (((int64_t)b * h + r) * w + col) * c + ch);
              v128_t gt = wasm_f32x4_gt(v, m);
              m = wasm_v128_bitselect(v, m, gt);
              at = wasm_v128_bitselect(wasm_i32x4_splat(r * w + col), at, gt);
            }
          }
          // Each lane's gradient goes to its own maximum: four scalar adds instead of a masked
          // add over the whole window (the same sums in the same window order, so the same bits).
          float *base = dx + (int64_t)b * h * w * c + ch;
          int a0 = wasm_i32x4_extract_lane(at, 0), a1 = wasm_i32x4_extract_lane(at, 1);
          int a2 = wasm_i32x4_extract_lane(at, 2), a3 = wasm_i32x4_extract_lane(at, 3);
          if (a0 >= 0) base[(int64_t)a0 * c + 0] += g[ch + 0];
          if (a1 >= 0) base[(int64_t)a1 * c + 1] += g[ch + 1];
          if (a2 >= 0) base[(int64_t)a2 * c + 2] += g[ch + 2];
          if (a3 >= 0) base[(int64_t)a3 * c + 3] += g[ch + 3];
        }
      }
    }
  }
}

// ---------------------------------------------------------------- convolution gradients

// Rows [lo, hi) of xp [n, hp, wp, ci] = x [n, h, w, ci] shifted by (top, left)
// with zeros around it (row r of xp is image r / hp, padded row r % hp).
EXPORT void pad_rows(const float *restrict x, int h, int w, int ci, float *restrict xp, int hp, int wp, int top, int left, int lo, int hi) {
  int c0 = max_i(0, left), c1 = min_i(wp, left + w);   // xp columns that come from x
  for (int r = lo; r < hi; r++) {
    int b = r / hp, y = r % hp - top;
    float *restrict d = xp + (int64_t)r * wp * ci;
    if (y < 0 || y >= h || c1 <= c0) {
      for (int64_t k = 0; k < (int64_t)wp * ci; k++) d[k] = 0;
      continue;
    }
    const float *restrict s = x + (((int64_t)b * h + y) * w + (c0 - left)) * ci;
    for (int64_t k = 0; k < (int64_t)c0 * ci; k++) d[k] = 0;
    for (int64_t k = 0; k < (int64_t)(c1 - c0) * ci; k++) d[(int64_t)c0 * ci + k] = s[k];
    for (int64_t k = (int64_t)c1 * ci; k < (int64_t)wp * ci; k++) d[k] = 0;
  }
}

// tab[p] = offset in xp of output position p's window origin: positions in
// (image, row, column) order. One pass per filter gradient; the tap loops then
// walk positions without dividing.
EXPORT void window_offsets(int *tab, int n, int ho, int wo, int hp, int wp, int ci, int sh, int sw) {
  int p = 0;
  for (int b = 0; b < n; b++)
    for (int y = 0; y < ho; y++)
      for (int x = 0; x < wo; x++) tab[p++] = (((b * hp + y * sh) * wp) + x * sw) * ci;
}

// The filter-gradient tile: dW rows t..t+3 (taps at xp offsets d0..d3 from a
// window origin) x 8 output channels (o0..o0+7) over positions [p0, p1),
// added into totf. 8 accumulators, two dY vectors and one broadcast at a time:
// 12 vector registers, which V8 keeps in registers on x64 (a 4 x 16 tile
// spills). `contig`: the four taps are consecutive floats (d1..d3 = 1..3, so
// the loads take constant offsets).
INLINE void fg_tile8(const float *xp, const int *tab, const float *g, int co, int p0, int p1,
                     int d0, int d1, int d2, int d3, int contig, float *tf, int nt) {
  v128_t a00 = wasm_f32x4_splat(0), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00, a30 = a00, a31 = a00;
  const float *gp = g + (int64_t)p0 * co;
  for (int p = p0; p < p1; p++, gp += co) {
    const float *xs = xp + tab[p] + d0;
    v128_t g0 = wasm_v128_load(gp), g1 = wasm_v128_load(gp + 4);
    v128_t x0 = wasm_v128_load32_splat(xs);
    a00 = MADD(x0, g0, a00); a01 = MADD(x0, g1, a01);
    v128_t x1 = wasm_v128_load32_splat(xs + (contig ? 1 : d1));
    a10 = MADD(x1, g0, a10); a11 = MADD(x1, g1, a11);
    v128_t x2 = wasm_v128_load32_splat(xs + (contig ? 2 : d2));
    a20 = MADD(x2, g0, a20); a21 = MADD(x2, g1, a21);
    v128_t x3 = wasm_v128_load32_splat(xs + (contig ? 3 : d3));
    a30 = MADD(x3, g0, a30); a31 = MADD(x3, g1, a31);
  }
  // (Explicit stores, no array of vectors: the module must not use a stack, see build.sh.)
  float *r = tf;
  wasm_v128_store(r, wasm_f32x4_add(wasm_v128_load(r), a00)); wasm_v128_store(r + 4, wasm_f32x4_add(wasm_v128_load(r + 4), a01));
  if (nt > 1) { r += co; wasm_v128_store(r, wasm_f32x4_add(wasm_v128_load(r), a10)); wasm_v128_store(r + 4, wasm_f32x4_add(wasm_v128_load(r + 4), a11)); }
  if (nt > 2) { r += co; wasm_v128_store(r, wasm_f32x4_add(wasm_v128_load(r), a20)); wasm_v128_store(r + 4, wasm_f32x4_add(wasm_v128_load(r + 4), a21)); }
  if (nt > 3) { r += co; wasm_v128_store(r, wasm_f32x4_add(wasm_v128_load(r), a30)); wasm_v128_store(r + 4, wasm_f32x4_add(wasm_v128_load(r + 4), a31)); }
}

// The same for the last 4 output channels when co % 8 == 4.
INLINE void fg_tile4(const float *xp, const int *tab, const float *g, int co, int p0, int p1,
                     int d0, int d1, int d2, int d3, float *tf, int nt) {
  v128_t a0 = wasm_f32x4_splat(0), a1 = a0, a2 = a0, a3 = a0;
  const float *gp = g + (int64_t)p0 * co;
  for (int p = p0; p < p1; p++, gp += co) {
    const float *xs = xp + tab[p] + d0;
    v128_t g0 = wasm_v128_load(gp);
    a0 = MADD(wasm_v128_load32_splat(xs), g0, a0);
    a1 = MADD(wasm_v128_load32_splat(xs + d1), g0, a1);
    a2 = MADD(wasm_v128_load32_splat(xs + d2), g0, a2);
    a3 = MADD(wasm_v128_load32_splat(xs + d3), g0, a3);
  }
  float *r = tf;
  wasm_v128_store(r, wasm_f32x4_add(wasm_v128_load(r), a0));
  if (nt > 1) { r += co; wasm_v128_store(r, wasm_f32x4_add(wasm_v128_load(r), a1)); }
  if (nt > 2) { r += co; wasm_v128_store(r, wasm_f32x4_add(wasm_v128_load(r), a2)); }
  if (nt > 3) { r += co; wasm_v128_store(r, wasm_f32x4_add(wasm_v128_load(r), a3)); }
}

// Filter gradient of a convolution: dW[i, j, c, o] = sum over positions (b, y, x) of
// X[b, y*sh + i*dh - top, x*sw + j*dw - left, c] * dY[b, y, x, o], for the tap groups
// [lo, hi) (tap t = (i*kw + j)*ci + c; group k = taps 4k..4k+3). `xp` is X
// zero-padded so that every tap is in bounds (pad_rows), `tab` its window
// origins (window_offsets); co % 4 == 0. Blocks of 64 positions at a time and,
// within a block, every tile of the group range (dY's block stays in the L1
// cache); a tile's sums over a block go into float32 totals (`totf`,
// taps x co), which go into double totals (`tot`) every 16 blocks, so that long
// sums do not drift.
// One block of positions [p0, p1) for the taps [t_lo, t_hi) (groups of 4), added into totf (taps x co).
INLINE void fg_block(const float *xp, const int *tab, const float *dy, int ci, int co, int kw, int wp, int dh, int dwl,
                     int p0, int p1, int t_lo, int t_hi, float *totf) {
  for (int t0 = t_lo; t0 < t_hi; t0 += 4) {
    int nt = min_i(4, t_hi - t0);
    // Offsets of the group's taps in a window (a missing tap repeats the first; its sums are not stored).
#define TAP_OFFSET(t) ({ int tt = (t), c = tt % ci, ij = tt / ci; ((ij / kw) * dh * wp + (ij % kw) * dwl) * ci + c; })
    int d0 = TAP_OFFSET(t0);
    int d1 = nt > 1 ? TAP_OFFSET(t0 + 1) - d0 : 0, d2 = nt > 2 ? TAP_OFFSET(t0 + 2) - d0 : 0, d3 = nt > 3 ? TAP_OFFSET(t0 + 3) - d0 : 0;
    int contig = d1 == 1 && d2 == 2 && d3 == 3;
    float *tf = totf + (int64_t)t0 * co;
    int o0 = 0;
    if (contig) {
      for (; o0 + 8 <= co; o0 += 8) fg_tile8(xp, tab, dy + o0, co, p0, p1, d0, 1, 2, 3, 1, tf + o0, nt);
    } else {
      for (; o0 + 8 <= co; o0 += 8) fg_tile8(xp, tab, dy + o0, co, p0, p1, d0, d1, d2, d3, 0, tf + o0, nt);
    }
    if (o0 < co) fg_tile4(xp, tab, dy + o0, co, p0, p1, d0, d1, d2, d3, tf + o0, nt);
  }
}

EXPORT void conv_filter_grad(const float *xp, const int *tab, const float *dy, float *dw, int positions, int ci, int co,
    int kh, int kw, int wp, int dh, int dwl, float *totf, double *tot, int lo, int hi) {
  int taps = kh * kw * ci;
  int t_lo = 4 * lo, t_hi = min_i(4 * hi, taps);
  for (int64_t k = (int64_t)t_lo * co; k < (int64_t)t_hi * co; k++) { totf[k] = 0; tot[k] = 0; }
  int blocks = 0;
  for (int p0 = 0; p0 < positions; p0 += BLOCK) {
    fg_block(xp, tab, dy, ci, co, kw, wp, dh, dwl, p0, min_i(p0 + BLOCK, positions), t_lo, t_hi, totf);
    if (++blocks % SEGMENT_BLOCKS == 0) {
      for (int64_t k = (int64_t)t_lo * co; k < (int64_t)t_hi * co; k++) { tot[k] += totf[k]; totf[k] = 0; }
    }
  }
  for (int64_t k = (int64_t)t_lo * co; k < (int64_t)t_hi * co; k++) dw[k] = (float)(tot[k] + totf[k]);
}

// The same sums cut the other way, for many positions: segment s (SEGMENT_BLOCKS
// blocks of positions, the stretch conv_filter_grad sums in float32 before
// adding into double) over every tap into part[s * taps * co], for the segments
// [lo, hi). Each thread then reads only its segments of X and dY, where the tap
// cut has every thread sweep all of them. filter_grad_combine adds the segments
// in order in double: the same operations as conv_filter_grad, so the same bits.
EXPORT void conv_filter_grad_seg(const float *xp, const int *tab, const float *dy, float *part, int positions, int ci, int co,
    int kh, int kw, int wp, int dh, int dwl, int lo, int hi) {
  int taps = kh * kw * ci;
  int64_t nw = (int64_t)taps * co;
  for (int s = lo; s < hi; s++) {
    float *totf = part + s * nw;
    for (int64_t k = 0; k < nw; k++) totf[k] = 0;
    int p_end = min_i((s + 1) * SEGMENT_BLOCKS * BLOCK, positions);
    for (int p0 = s * SEGMENT_BLOCKS * BLOCK; p0 < p_end; p0 += BLOCK)
      fg_block(xp, tab, dy, ci, co, kw, wp, dh, dwl, p0, min_i(p0 + BLOCK, p_end), 0, taps, totf);
  }
}

// dw[k] = sum over the nseg segments of part[s * nw + k], in double in segment order, for k in [lo, hi).
EXPORT void filter_grad_combine(const float *restrict part, int nseg, int nw, float *restrict dw, int lo, int hi) {
  for (int k = lo; k < hi; k++) {
    double acc = 0;
    for (int s = 0; s < nseg; s++) acc += part[(int64_t)s * nw + k];
    dw[k] = (float)acc;
  }
}

// W [taps, ci, co] -> wt [taps, co, ci] for the taps [lo, hi) (input channels contiguous for conv_input_grad).
// With ci and co multiples of 4 (every layer but a stem), 4x4 blocks transposed in registers: the
// scalar loop's strided stores made this ~3% of a resnet18 training step.
EXPORT void transpose_taps(const float *restrict w, float *restrict wt, int ci, int co, int lo, int hi) {
  for (int t = lo; t < hi; t++) {
    const float *restrict s = w + (int64_t)t * ci * co;
    float *restrict d = wt + (int64_t)t * ci * co;
    if ((ci & 3) == 0 && (co & 3) == 0) {
      for (int i = 0; i < ci; i += 4) {
        for (int o = 0; o < co; o += 4) {
          const float *r = s + (int64_t)i * co + o;
          v128_t r0 = wasm_v128_load(r), r1 = wasm_v128_load(r + co), r2 = wasm_v128_load(r + 2 * co), r3 = wasm_v128_load(r + 3 * co);
          v128_t t0 = wasm_i32x4_shuffle(r0, r1, 0, 4, 1, 5), t1 = wasm_i32x4_shuffle(r0, r1, 2, 6, 3, 7);
          v128_t t2 = wasm_i32x4_shuffle(r2, r3, 0, 4, 1, 5), t3 = wasm_i32x4_shuffle(r2, r3, 2, 6, 3, 7);
          float *q = d + (int64_t)o * ci + i;
          wasm_v128_store(q, wasm_i32x4_shuffle(t0, t2, 0, 1, 4, 5));
          wasm_v128_store(q + ci, wasm_i32x4_shuffle(t0, t2, 2, 3, 6, 7));
          wasm_v128_store(q + 2 * ci, wasm_i32x4_shuffle(t1, t3, 0, 1, 4, 5));
          wasm_v128_store(q + 3 * ci, wasm_i32x4_shuffle(t1, t3, 2, 3, 6, 7));
        }
      }
      continue;
    }
    for (int i = 0; i < ci; i++)
      for (int o = 0; o < co; o++) d[(int64_t)o * ci + i] = s[(int64_t)i * co + o];
  }
}

// Input gradient of a convolution, gathered per input pixel:
//   dx[b, y, x, c] = sum over taps (i, j) and outputs o of dY[b, oy, ox, o] * W[i, j, c, o]
// where y = oy*sh + i*dh - pt and x = ox*sw + j*dw - pl, for the images [lo, hi).
// `wt` is W transposed to [kh, kw, co, ci] (transpose_taps); ci % 4 == 0;
// `zeros` holds co zeros. The pixels of an image with the same stride phase
// (y mod sh, x mod sw) take the same taps; they go in groups of 4 (across
// rows), and a group's 4 pixels x 8 channels are summed in 8 vector registers
// over every tap and output channel: per output channel, two vectors of W and
// four broadcasts of dY. A pixel whose tap falls outside dY (the border) reads
// `zeros` there, so the loop has no branches. Padding costs nothing (no padded
// copy, unlike a convolution over dY), and strides cost nothing (tfjs runs a
// convolution per stride phase: 2-8x the forward convolution at stride 2).
INLINE const float *ig_row(const float *dy, const float *zeros, int b, int y, int x, int i, int j, int ho, int wo, int co,
                           int sh, int sw, int dh, int dwl, int pt, int pl) {
  if (y < 0) return zeros;                        // a dummy pixel (a group's unused slot)
  int ny = y + pt - i * dh, nx = x + pl - j * dwl;
  if (ny < 0 || nx < 0) return zeros;
  int oy = sh == 1 ? ny : sh == 2 ? ny >> 1 : ny / sh, ox = sw == 1 ? nx : sw == 2 ? nx >> 1 : nx / sw;
  if (oy >= ho || ox >= wo) return zeros;
  return dy + (((int64_t)b * ho + oy) * wo + ox) * co;
}

INLINE void ig_store(float *dx, int b, int y, int x, int h, int w, int ci, int c0, v128_t a0, v128_t a1, v128_t a2, v128_t a3, int nv) {
  if (y < 0) return;
  float *o = dx + (((int64_t)b * h + y) * w + x) * ci + c0;
  wasm_v128_store(o, a0);
  if (nv > 1) wasm_v128_store(o + 4, a1);
  if (nv > 2) wasm_v128_store(o + 8, a2);
  if (nv > 3) wasm_v128_store(o + 12, a3);
}

INLINE void conv_input_grad_(
    const float *dy, const float *wt, const float *zeros, float *dx, int h, int w, int ci, int ho, int wo, int co,
    int kh, int kw, int sh, int sw, int dh, int dwl, int pt, int pl, int lo, int hi) {
  for (int b = lo; b < hi; b++) {
    for (int py = 0; py < sh && py < h; py++) {
      for (int px = 0; px < sw && px < w; px++) {
        int ny_ = (h - py + sh - 1) / sh, nx_ = (w - px + sw - 1) / sw, npix = ny_ * nx_;
        for (int k0 = 0; k0 < npix; k0 += 2) {
          // The group's pixels (y < 0: no pixel).
          int y0 = py + (k0 / nx_) * sh, x0 = px + (k0 % nx_) * sw, y1 = -1, x1 = 0;
          if (k0 + 1 < npix) { y1 = py + ((k0 + 1) / nx_) * sh; x1 = px + ((k0 + 1) % nx_) * sw; }
          for (int c0 = 0; c0 < ci; c0 += 16) {
            int nv = ci - c0 >= 16 ? 4 : (ci - c0) / 4;
            v128_t a00 = wasm_f32x4_splat(0), a01 = a00, a02 = a00, a03 = a00, a10 = a00, a11 = a00, a12 = a00, a13 = a00;
            for (int i = 0; i < kh; i++) {
              int ry = py + pt - i * dh;                 // this phase's rows take tap row i only if divisible
              if (((ry % sh) + sh) % sh) continue;
              for (int j = 0; j < kw; j++) {
                int rx = px + pl - j * dwl;
                if (((rx % sw) + sw) % sw) continue;
                const float *g0 = ig_row(dy, zeros, b, y0, x0, i, j, ho, wo, co, sh, sw, dh, dwl, pt, pl);
                const float *g1 = ig_row(dy, zeros, b, y1, x1, i, j, ho, wo, co, sh, sw, dh, dwl, pt, pl);
                const float *wr = wt + ((int64_t)(i * kw + j) * co) * ci + c0;
                if (g1 == zeros) {
                  if (g0 == zeros) continue;
                  if (nv == 4) {
                    for (int o = 0; o < co; o++, wr += ci) {
                      v128_t s = wasm_v128_load32_splat(g0 + o);
                      a00 = MADD(s, wasm_v128_load(wr), a00); a01 = MADD(s, wasm_v128_load(wr + 4), a01);
                      a02 = MADD(s, wasm_v128_load(wr + 8), a02); a03 = MADD(s, wasm_v128_load(wr + 12), a03);
                    }
                    continue;
                  }
                }
                if (nv == 4) {
                  for (int o = 0; o < co; o++, wr += ci) {
                    v128_t w0 = wasm_v128_load(wr), w1 = wasm_v128_load(wr + 4), w2 = wasm_v128_load(wr + 8), w3 = wasm_v128_load(wr + 12);
                    v128_t s = wasm_v128_load32_splat(g0 + o);
                    a00 = MADD(s, w0, a00); a01 = MADD(s, w1, a01); a02 = MADD(s, w2, a02); a03 = MADD(s, w3, a03);
                    s = wasm_v128_load32_splat(g1 + o);
                    a10 = MADD(s, w0, a10); a11 = MADD(s, w1, a11); a12 = MADD(s, w2, a12); a13 = MADD(s, w3, a13);
                  }
                } else {
                  for (int o = 0; o < co; o++, wr += ci) {
                    v128_t s0 = wasm_v128_load32_splat(g0 + o), s1 = wasm_v128_load32_splat(g1 + o), w0 = wasm_v128_load(wr);
                    a00 = MADD(s0, w0, a00); a10 = MADD(s1, w0, a10);
                    if (nv > 1) { v128_t w1 = wasm_v128_load(wr + 4); a01 = MADD(s0, w1, a01); a11 = MADD(s1, w1, a11); }
                    if (nv > 2) { v128_t w2 = wasm_v128_load(wr + 8); a02 = MADD(s0, w2, a02); a12 = MADD(s1, w2, a12); }
                  }
                }
              }
            }
            ig_store(dx, b, y0, x0, h, w, ci, c0, a00, a01, a02, a03, nv);
            ig_store(dx, b, y1, x1, h, w, ci, c0, a10, a11, a12, a13, nv);
          }
        }
      }
    }
  }
}

EXPORT void conv_input_grad(
    const float *dy, const float *wt, const float *zeros, float *dx, int h, int w, int ci, int ho, int wo, int co,
    int kh, int kw, int sh, int sw, int dh, int dwl, int pt, int pl, int lo, int hi) {
  // Strides 1 and 2 as constants: no division per pixel and tap.
  if (sh == 1 && sw == 1) conv_input_grad_(dy, wt, zeros, dx, h, w, ci, ho, wo, co, kh, kw, 1, 1, dh, dwl, pt, pl, lo, hi);
  else if (sh == 2 && sw == 2) conv_input_grad_(dy, wt, zeros, dx, h, w, ci, ho, wo, co, kh, kw, 2, 2, dh, dwl, pt, pl, lo, hi);
  else conv_input_grad_(dy, wt, zeros, dx, h, w, ci, ho, wo, co, kh, kw, sh, sw, dh, dwl, pt, pl, lo, hi);
}

// ---------------------------------------------------------------- optimiser steps
// One optimiser step of one weight over the elements [lo, hi), torch.optim's
// update rules in float32 (src/train/optimizers.ts holds the same rules in JS
// and tf ops): p the weight, g its gradient, out the new weight (a fresh
// tensor: XNNPACK keeps packed copies per storage), s1/s2 the state (Adam's
// m and v, RMSprop's v and momentum buffer, SGD's momentum buffer in s1).
// rule 0: Adam/AdamW  out = p shrink - step m' / (sqrt(v') rsqrt_bc2 + eps)
//         (m' = b1 m + (1 - b1) g', v' = b2 v + (1 - b2) g'^2, g' = g + l2 p, step = lr / bc1)
// rule 1: SGD         b' = mom b + g' (if mom > 0); out = p - lr (nesterov ? g' + mom b' : b')
// rule 2: RMSprop     v' = a v + (1 - a) g'^2; u = g' / (sqrt(v') + eps); u' = mom u_buf + u (if mom > 0); out = p - lr u'
// Element-wise: any cut of [lo, hi) gives the same bits.
INLINE v128_t splat(float v) { return wasm_f32x4_splat(v); }

EXPORT void optimizer_step(const float *restrict p, const float *restrict g, float *restrict out, float *restrict s1, float *restrict s2,
    int rule, float lr, float l2, float shrink, float c1, float c2, float step, float rsqrt_bc2, float eps, float mom, int nesterov,
    int lo, int hi) {
  int i = lo;
  v128_t vl2 = splat(l2), vshrink = splat(shrink), vc1 = splat(c1), vc2 = splat(c2), vstep = splat(step), vr = splat(rsqrt_bc2);
  v128_t veps = splat(eps), vlr = splat(lr), vmom = splat(mom), v1c1 = splat(1 - c1), v1c2 = splat(1 - c2);
  if (rule == 0) {
    // c1 = b1, c2 = b2
    for (; i + 4 <= hi; i += 4) {
      v128_t w = wasm_v128_load(p + i), gi = wasm_f32x4_add(wasm_v128_load(g + i), wasm_f32x4_mul(vl2, w));
      v128_t m = wasm_f32x4_add(wasm_f32x4_mul(vc1, wasm_v128_load(s1 + i)), wasm_f32x4_mul(v1c1, gi));
      v128_t v = wasm_f32x4_add(wasm_f32x4_mul(vc2, wasm_v128_load(s2 + i)), wasm_f32x4_mul(v1c2, wasm_f32x4_mul(gi, gi)));
      wasm_v128_store(s1 + i, m); wasm_v128_store(s2 + i, v);
      v128_t denom = wasm_f32x4_add(wasm_f32x4_mul(wasm_f32x4_sqrt(v), vr), veps);
      wasm_v128_store(out + i, wasm_f32x4_sub(wasm_f32x4_mul(w, vshrink), wasm_f32x4_div(wasm_f32x4_mul(vstep, m), denom)));
    }
    for (; i < hi; i++) {
      float w = p[i], gi = g[i] + l2 * w;
      float m = c1 * s1[i] + (1 - c1) * gi, v = c2 * s2[i] + (1 - c2) * (gi * gi);
      s1[i] = m; s2[i] = v;
      out[i] = w * shrink - (step * m) / (__builtin_sqrtf(v) * rsqrt_bc2 + eps);
    }
  } else if (rule == 1) {
    for (; i + 4 <= hi; i += 4) {
      v128_t w = wasm_v128_load(p + i), gi = wasm_f32x4_add(wasm_v128_load(g + i), wasm_f32x4_mul(vl2, w));
      if (mom > 0) {
        v128_t b = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(s1 + i), vmom), gi);
        wasm_v128_store(s1 + i, b);
        gi = nesterov ? wasm_f32x4_add(gi, wasm_f32x4_mul(vmom, b)) : b;
      }
      wasm_v128_store(out + i, wasm_f32x4_sub(w, wasm_f32x4_mul(vlr, gi)));
    }
    for (; i < hi; i++) {
      float w = p[i], gi = g[i] + l2 * w;
      if (mom > 0) { float b = s1[i] * mom + gi; s1[i] = b; gi = nesterov ? gi + mom * b : b; }
      out[i] = w - lr * gi;
    }
  } else {
    // c2 = alpha; s2 = v, s1 = momentum buffer
    for (; i + 4 <= hi; i += 4) {
      v128_t w = wasm_v128_load(p + i), gi = wasm_f32x4_add(wasm_v128_load(g + i), wasm_f32x4_mul(vl2, w));
      v128_t v = wasm_f32x4_add(wasm_f32x4_mul(vc2, wasm_v128_load(s2 + i)), wasm_f32x4_mul(v1c2, wasm_f32x4_mul(gi, gi)));
      wasm_v128_store(s2 + i, v);
      v128_t u = wasm_f32x4_div(gi, wasm_f32x4_add(wasm_f32x4_sqrt(v), veps));
      if (mom > 0) { u = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(s1 + i), vmom), u); wasm_v128_store(s1 + i, u); }
      wasm_v128_store(out + i, wasm_f32x4_sub(w, wasm_f32x4_mul(vlr, u)));
    }
    for (; i < hi; i++) {
      float w = p[i], gi = g[i] + l2 * w;
      float v = c2 * s2[i] + (1 - c2) * (gi * gi);
      s2[i] = v;
      float u = gi / (__builtin_sqrtf(v) + eps);
      if (mom > 0) { u = s1[i] * mom + u; s1[i] = u; }
      out[i] = w - lr * u;
    }
  }
}

// ---------------------------------------------------------------- forward convolution
// y[b, oy, ox, o] = act(bias[o] + sum over taps (i, j) and input channels c of
//   x[b, oy*sh + i*dh - pt, ox*sw + j*dw - pl, c] * W[i, j, c, o])
// for the output rows [lo, hi) (row r = image r / ho, output row r % ho); W as
// tfjs stores it, [kh, kw, ci, co], so no packing per call (XNNPACK repacks a
// filter whenever its storage changes: every training step); co % 4 == 0.
// Pixels go in pairs along a row, output channels 16 at a time (8 vector
// accumulators): per input channel, four vectors of W and two broadcasts of x,
// the register tile of conv_input_grad. A tap outside x reads `zeros` (kw * ci
// floats). act: 0 none, 1 ReLU, 2 ReLU6. `bias` may be `zeros` (co floats).
INLINE v128_t cf_act(v128_t a, int act) {
  if (act == 0) return a;
  a = wasm_f32x4_max(a, wasm_f32x4_splat(0));
  return act == 2 ? wasm_f32x4_min(a, wasm_f32x4_splat(6)) : a;
}

INLINE const float *cf_row(const float *x, const float *zeros, int b, int oy, int ox, int i, int j, int h, int w, int ci,
                           int sh, int sw, int dh, int dwl, int pt, int pl) {
  if (ox < 0) return zeros;                       // the pair's missing second pixel
  int y = oy * sh + i * dh - pt, xx = ox * sw + j * dwl - pl;
  if (y < 0 || y >= h || xx < 0 || xx >= w) return zeros;
  return x + (((int64_t)b * h + y) * w + xx) * ci;
}

INLINE void cf_store(float *y, int64_t at, v128_t a0, v128_t a1, v128_t a2, v128_t a3, int nv, int act) {
  float *o = y + at;
  wasm_v128_store(o, cf_act(a0, act));
  if (nv > 1) wasm_v128_store(o + 4, cf_act(a1, act));
  if (nv > 2) wasm_v128_store(o + 8, cf_act(a2, act));
  if (nv > 3) wasm_v128_store(o + 12, cf_act(a3, act));
}

// One run of n input floats per pixel against n rows of W (wr, co apart) into the accumulators.
#define CF_RUN(x0, x1, wr, n) do { \
    const float *wr_ = (wr); \
    if (nv == 4) { \
      for (int c = 0; c < (n); c++, wr_ += co) { \
        v128_t w0 = wasm_v128_load(wr_), w1 = wasm_v128_load(wr_ + 4), w2 = wasm_v128_load(wr_ + 8), w3 = wasm_v128_load(wr_ + 12); \
        v128_t s = wasm_v128_load32_splat((x0) + c); \
        a00 = MADD(s, w0, a00); a01 = MADD(s, w1, a01); a02 = MADD(s, w2, a02); a03 = MADD(s, w3, a03); \
        s = wasm_v128_load32_splat((x1) + c); \
        a10 = MADD(s, w0, a10); a11 = MADD(s, w1, a11); a12 = MADD(s, w2, a12); a13 = MADD(s, w3, a13); \
      } \
    } else { \
      for (int c = 0; c < (n); c++, wr_ += co) { \
        v128_t s0 = wasm_v128_load32_splat((x0) + c), s1 = wasm_v128_load32_splat((x1) + c), w0 = wasm_v128_load(wr_); \
        a00 = MADD(s0, w0, a00); a10 = MADD(s1, w0, a10); \
        if (nv > 1) { v128_t w1 = wasm_v128_load(wr_ + 4); a01 = MADD(s0, w1, a01); a11 = MADD(s1, w1, a11); } \
        if (nv > 2) { v128_t w2 = wasm_v128_load(wr_ + 8); a02 = MADD(s0, w2, a02); a12 = MADD(s1, w2, a12); } \
      } \
    } \
  } while (0)

INLINE void conv_forward_(const float *x, const float *wf, const float *bias, const float *zeros, float *y,
    int h, int w, int ci, int ho, int wo, int co, int kh, int kw, int sh, int sw, int dh, int dwl, int pt, int pl, int act, int lo, int hi) {
  for (int r = lo; r < hi; r++) {
    int b = r / ho, oy = r % ho;
    for (int ox0 = 0; ox0 < wo; ox0 += 2) {
      int ox1 = ox0 + 1 < wo ? ox0 + 1 : -1;
      // Where a tap row's kw pixels lie inside x for both pixels (dilation 1), their
      // kw * ci floats are one run in x and in W: one loop instead of kw (a 1-channel
      // 7x7 first layer would otherwise pay a tap's overhead per multiply).
      int xs0 = ox0 * sw - pl, xs1 = ox1 >= 0 ? ox1 * sw - pl : 0;
      int inner = dwl == 1 && xs0 >= 0 && xs0 + kw <= w && xs1 >= 0 && xs1 + kw <= w;
      for (int c0 = 0; c0 < co; c0 += 16) {
        int nv = co - c0 >= 16 ? 4 : (co - c0) / 4;
        v128_t a00 = wasm_v128_load(bias + c0), a01 = nv > 1 ? wasm_v128_load(bias + c0 + 4) : a00;
        v128_t a02 = nv > 2 ? wasm_v128_load(bias + c0 + 8) : a00, a03 = nv > 3 ? wasm_v128_load(bias + c0 + 12) : a00;
        v128_t a10 = a00, a11 = a01, a12 = a02, a13 = a03;
        for (int i = 0; i < kh; i++) {
          int yy = oy * sh + i * dh - pt;
          if (inner) {
            if (yy < 0 || yy >= h) continue;    // the whole tap row reads zeros for both pixels
            const float *row = x + ((int64_t)b * h + yy) * w * ci;
            CF_RUN(row + (int64_t)xs0 * ci, ox1 >= 0 ? row + (int64_t)xs1 * ci : zeros, wf + ((int64_t)i * kw * ci) * co + c0, kw * ci);
            continue;
          }
          for (int j = 0; j < kw; j++) {
            const float *x0 = cf_row(x, zeros, b, oy, ox0, i, j, h, w, ci, sh, sw, dh, dwl, pt, pl);
            const float *x1 = cf_row(x, zeros, b, oy, ox1, i, j, h, w, ci, sh, sw, dh, dwl, pt, pl);
            if (x0 == zeros && x1 == zeros) continue;
            CF_RUN(x0, x1, wf + ((int64_t)(i * kw + j) * ci) * co + c0, ci);
          }
        }
        int64_t orow = ((int64_t)b * ho + oy) * wo;
        cf_store(y, (orow + ox0) * co + c0, a00, a01, a02, a03, nv, act);
        if (ox1 >= 0) cf_store(y, (orow + ox1) * co + c0, a10, a11, a12, a13, nv, act);
      }
    }
  }
}

EXPORT void conv_forward(const float *x, const float *wf, const float *bias, const float *zeros, float *y,
    int h, int w, int ci, int ho, int wo, int co, int kh, int kw, int sh, int sw, int dh, int dwl, int pt, int pl, int act, int lo, int hi) {
  // Strides 1 and 2 as constants: no multiplication by a variable per pixel and tap.
  if (sh == 1 && sw == 1) conv_forward_(x, wf, bias, zeros, y, h, w, ci, ho, wo, co, kh, kw, 1, 1, dh, dwl, pt, pl, act, lo, hi);
  else if (sh == 2 && sw == 2) conv_forward_(x, wf, bias, zeros, y, h, w, ci, ho, wo, co, kh, kw, 2, 2, dh, dwl, pt, pl, act, lo, hi);
  else conv_forward_(x, wf, bias, zeros, y, h, w, ci, ho, wo, co, kh, kw, sh, sw, dh, dwl, pt, pl, act, lo, hi);
}

// ---------------------------------------------------------------- batch-norm apply
// y = offset + (x - mean) * k per column over the rows [lo, hi), with k = scale / sqrt(variance + eps)
// computed once per column by the caller in float32: tfjs-backend-wasm's FusedBatchNorm to float rounding
// (it divides every element by the square root; a division per element made this pass ~2x slower). Its own
// kernel is a scalar loop on one thread.
EXPORT void batch_norm_apply(const float *restrict x, const float *restrict mean, const float *restrict k, const float *restrict offset,
                             int cols, float *restrict y, int lo, int hi) {
  for (int r = lo; r < hi; r++) {
    const float *restrict xs = x + (int64_t)r * cols;
    float *restrict o = y + (int64_t)r * cols;
    int c = 0;
#define BN_APPLY4(j) wasm_v128_store(o + c + (j), wasm_f32x4_add(wasm_v128_load(offset + c + (j)), \
      wasm_f32x4_mul(wasm_f32x4_sub(wasm_v128_load(xs + c + (j)), wasm_v128_load(mean + c + (j))), wasm_v128_load(k + c + (j)))))
    // 16 channels a step: four independent chains (a 16-channel row is one step).
    for (; c + 16 <= cols; c += 16) { BN_APPLY4(0); BN_APPLY4(4); BN_APPLY4(8); BN_APPLY4(12); }
    for (; c + 4 <= cols; c += 4) BN_APPLY4(0);
#undef BN_APPLY4
    for (; c < cols; c++) o[c] = offset[c] + (xs[c] - mean[c]) * k[c];
  }
}

// ---------------------------------------------------------------- ReLU gradient
// dx = x > 0 ? dy : 0 over the elements [lo, hi) (tfjs: Step, Cast and Multiply, three passes). NaN in x gives 0.
EXPORT void relu_grad(const float *restrict dy, const float *restrict x, float *restrict dx, int lo, int hi) {
  const v128_t zero = wasm_f32x4_splat(0);
  int i = lo;
  for (; i + 4 <= hi; i += 4) wasm_v128_store(dx + i, wasm_v128_and(wasm_v128_load(dy + i), wasm_f32x4_gt(wasm_v128_load(x + i), zero)));
  for (; i < hi; i++) dx[i] = x[i] > 0 ? dy[i] : 0.0f;
}

// ---------------------------------------------------------------- element-wise Add

// y = a + b over the elements [lo, hi) (same shapes: the residual sums of a resnet). Four vectors an
// iteration: V8 does not unroll the loop, and one vector a step spends more on the loop than on the sum.
EXPORT void add_elems(const float *restrict a, const float *restrict b, float *restrict y, int lo, int hi) {
  int i = lo;
#define ADD4(j) wasm_v128_store(y + i + (j), wasm_f32x4_add(wasm_v128_load(a + i + (j)), wasm_v128_load(b + i + (j))))
  for (; i + 16 <= hi; i += 16) { ADD4(0); ADD4(4); ADD4(8); ADD4(12); }
  for (; i + 4 <= hi; i += 4) ADD4(0);
#undef ADD4
  for (; i < hi; i++) y[i] = a[i] + b[i];
}
