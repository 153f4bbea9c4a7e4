// cellab's own wasm SIMD kernels: passes over activations that tfjs has no
// fast kernel for (batch-norm and max-pool gradients, column sums, bias + ReLU) and conv
// gradients without tfjs' transposes and stride phases. Built by
// `npm run build:kernels` (clang --target=wasm32 -msimd128, see build.sh) into
// lib/cellab-kernels{,-shared}.wasm, which are committed: installing cellab
// needs no C compiler. The module imports tfjs-backend-wasm's own memory and
// works on tensors where they lie (src/engine/simd-kernels.ts passes heap
// offsets; scratch comes from tfjs' malloc), so the functions must not use a
// stack or static data: that memory is tfjs'. build.sh checks.
//
// Conventions: row-major [rows, cols] float32 arrays with channels last; sums
// of a column over a block of rows accumulate in float32 vectors, blocks are
// added in double precision (blocks of <= 64 rows keep the float32 error at
// the level of torch's own reductions).

#include <stdint.h>
#include <wasm_simd128.h>


#define BLOCK 64

// Scratch: the caller passes `acc` (2 * cols doubles) and `tmp` (3 * cols floats).

// Sum of each column of x [rows, cols] -> out [cols] (acc[0..cols) holds the double sums).
__attribute__((visibility("default"))) void column_sums(const float *x, int rows, int cols, double *acc, float *tmp, float *out) {
  // Row-outer order so that the inner loop runs over contiguous columns (vectorised).
  for (int c = 0; c < cols; c++) acc[c] = 0;
  float *part = tmp;
  for (int r0 = 0; r0 < rows; r0 += BLOCK) {
    int r1 = r0 + BLOCK < rows ? r0 + BLOCK : rows;
    for (int c = 0; c < cols; c++) part[c] = 0;
    for (int r = r0; r < r1; r++) {
      const float *row = x + (int64_t)r * cols;
      for (int c = 0; c < cols; c++) part[c] += row[c];
    }
    for (int c = 0; c < cols; c++) acc[c] += part[c];
  }
  for (int c = 0; c < cols; c++) out[c] = (float)acc[c];
}

// Mean and biased variance of each column (two passes: no cancellation).
__attribute__((visibility("default"))) void channel_moments(const float *x, int rows, int cols, double *acc, float *tmp, float *mean, float *var) {
  column_sums(x, rows, cols, acc, tmp, mean);
  for (int c = 0; c < cols; c++) mean[c] = (float)(acc[c] / rows);
  float *part = tmp;
  for (int c = 0; c < cols; c++) acc[c] = 0;
  for (int r0 = 0; r0 < rows; r0 += BLOCK) {
    int r1 = r0 + BLOCK < rows ? r0 + BLOCK : rows;
    for (int c = 0; c < cols; c++) part[c] = 0;
    for (int r = r0; r < r1; r++) {
      const float *row = x + (int64_t)r * cols;
      for (int c = 0; c < cols; c++) { float d = row[c] - mean[c]; part[c] += d * d; }
    }
    for (int c = 0; c < cols; c++) acc[c] += part[c];
  }
  for (int c = 0; c < cols; c++) var[c] = (float)(acc[c] / rows);
}

// Batch-norm gradient in closed form (see batch-norm-train.ts):
//   dx = k dy - a (x - mean) - k mean(dy), k = gamma rstd, a = k rstd^2 mean(dy (x - mean));
//   dgamma = sum(dy (x - mean)) rstd, dbeta = sum(dy).
__attribute__((visibility("default"))) void batch_norm_grad(const float *dy, const float *x, const float *mean, const float *var, const float *gamma,
                     float eps, int rows, int cols, double *acc, float *tmp, float *dx, float *dgamma, float *dbeta) {
  double *sum_dy = acc, *sum_dyxc = acc + cols;
  float *p_dy = tmp, *p_dyxc = tmp + cols;
  for (int c = 0; c < cols; c++) { sum_dy[c] = 0; sum_dyxc[c] = 0; }
  for (int r0 = 0; r0 < rows; r0 += BLOCK) {
    int r1 = r0 + BLOCK < rows ? r0 + BLOCK : rows;
    for (int c = 0; c < cols; c++) { p_dy[c] = 0; p_dyxc[c] = 0; }
    for (int r = r0; r < r1; r++) {
      const float *g = dy + (int64_t)r * cols, *xs = x + (int64_t)r * cols;
      for (int c = 0; c < cols; c++) { float d = g[c]; p_dy[c] += d; p_dyxc[c] += d * (xs[c] - mean[c]); }
    }
    for (int c = 0; c < cols; c++) { sum_dy[c] += p_dy[c]; sum_dyxc[c] += p_dyxc[c]; }
  }
  // tmp is free again: k, a, c0 per column.
  float *k = tmp, *a = tmp + cols, *c0 = tmp + 2 * cols;
  for (int c = 0; c < cols; c++) {
    double rstd = 1.0 / __builtin_sqrt((double)var[c] + eps);
    double kk = gamma[c] * rstd;
    double aa = kk * rstd * rstd * (sum_dyxc[c] / rows);
    k[c] = (float)kk;
    a[c] = (float)aa;
    c0[c] = (float)(kk * (sum_dy[c] / rows) - aa * mean[c]);
    dgamma[c] = (float)(sum_dyxc[c] * rstd);
    dbeta[c] = (float)sum_dy[c];
  }
  for (int r = 0; r < rows; r++) {
    const float *g = dy + (int64_t)r * cols, *xs = x + (int64_t)r * cols;
    float *o = dx + (int64_t)r * cols;
    for (int c = 0; c < cols; c++) o[c] = k[c] * g[c] - a[c] * xs[c] - c0[c];
  }
}

// Gradient of a 2x2 / stride-2 max pool whose windows lie inside the input
// (NHWC): each window's gradient goes to its first maximum in row-major
// window order (strict >, as tfjs' cpu backend); a window of NaNs gets none.
// dx must be zeroed by the caller where no window covers it (odd edges).
__attribute__((visibility("default"))) void max_pool_2x2_grad(const float *x, const float *dy, float *dx, int n, int h, int w, int c, int ho, int wo) {
  int64_t row = (int64_t)w * c;
  int64_t gi = 0;
  const v128_t ninf = wasm_f32x4_splat(-__builtin_inff());
  for (int b = 0; b < n; b++) {
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

// Filter gradient of a convolution: dW[i, j, c, o] = sum over (b, y, x) of
// X[b, y*sh + i*dh - top, x*sw + j*dw - left, c] * dY[b, y, x, o].
// `xp` is X zero-padded to [n, hp, wp, ci] so that every tap is in bounds
// (`top`/`left` already applied); co % 4 == 0. Loop order for the caches:
// a block of output rows (>= 64 positions, across images) at a time, and within it every
// group of 4 taps x 16 output channels (16 vector accumulators), added into
// float32 totals (`totf`, taps * co) that go into double totals (`tot`)
// every 16 blocks, so that long sums do not drift.
#define TAPS 4
static inline void add_row(float *dst, int nv, v128_t a0, v128_t a1, v128_t a2, v128_t a3) {
  wasm_v128_store(dst, wasm_f32x4_add(wasm_v128_load(dst), a0));
  if (nv > 1) wasm_v128_store(dst + 4, wasm_f32x4_add(wasm_v128_load(dst + 4), a1));
  if (nv > 2) wasm_v128_store(dst + 8, wasm_f32x4_add(wasm_v128_load(dst + 8), a2));
  if (nv > 3) wasm_v128_store(dst + 12, wasm_f32x4_add(wasm_v128_load(dst + 12), a3));
}

__attribute__((visibility("default"))) void conv_filter_grad(
    const float *xp, const float *dy, float *dw, int n, int hp, int wp, int ci, int ho, int wo, int co,
    int kh, int kw, int sh, int sw, int dh, int dwl, float *totf, double *tot) {
  int taps = kh * kw * ci;
  int64_t size = (int64_t)taps * co;
  for (int64_t k = 0; k < size; k++) { totf[k] = 0; tot[k] = 0; }
  // Blocks of output rows across images (small feature maps: many images per block).
  int rows = (64 + wo - 1) / wo, all_rows = n * ho;
  int blocks = 0;
  {
    for (int r0 = 0; r0 < all_rows; r0 += rows) {
      int r1 = r0 + rows < all_rows ? r0 + rows : all_rows;
      for (int t0 = 0; t0 < taps; t0 += TAPS) {
        int nt = taps - t0 < TAPS ? taps - t0 : TAPS;
        int64_t off[TAPS];
        for (int t = 0; t < TAPS; t++) {
          int tap = t0 + (t < nt ? t : 0), c = tap % ci, ij = tap / ci, i = ij / kw, j = ij % kw;
          off[t] = ((int64_t)i * dh * wp + (int64_t)j * dwl) * ci + c;
        }
        for (int o0 = 0; o0 < co; o0 += 16) {
          int nv = (co - o0) >= 16 ? 4 : (co - o0) / 4;
          v128_t a00 = wasm_f32x4_splat(0), a01 = a00, a02 = a00, a03 = a00;
          v128_t a10 = a00, a11 = a00, a12 = a00, a13 = a00;
          v128_t a20 = a00, a21 = a00, a22 = a00, a23 = a00;
          v128_t a30 = a00, a31 = a00, a32 = a00, a33 = a00;
          for (int r = r0; r < r1; r++) {
            int b = r / ho, y = r % ho;
            const float *xrow = xp + (((int64_t)b * hp + (int64_t)y * sh) * wp) * ci;
            const float *grow = dy + (int64_t)r * wo * co + o0;
            for (int x = 0; x < wo; x++) {
              const float *xs = xrow + (int64_t)x * sw * ci;
              const float *g = grow + (int64_t)x * co;
              v128_t g0 = wasm_v128_load(g), g1 = nv > 1 ? wasm_v128_load(g + 4) : g0;
              v128_t g2 = nv > 2 ? wasm_v128_load(g + 8) : g0, g3 = nv > 3 ? wasm_v128_load(g + 12) : g0;
              v128_t x0 = wasm_f32x4_splat(xs[off[0]]), x1 = wasm_f32x4_splat(xs[off[1]]);
              v128_t x2 = wasm_f32x4_splat(xs[off[2]]), x3 = wasm_f32x4_splat(xs[off[3]]);
              a00 = wasm_f32x4_add(a00, wasm_f32x4_mul(x0, g0)); a01 = wasm_f32x4_add(a01, wasm_f32x4_mul(x0, g1));
              a02 = wasm_f32x4_add(a02, wasm_f32x4_mul(x0, g2)); a03 = wasm_f32x4_add(a03, wasm_f32x4_mul(x0, g3));
              a10 = wasm_f32x4_add(a10, wasm_f32x4_mul(x1, g0)); a11 = wasm_f32x4_add(a11, wasm_f32x4_mul(x1, g1));
              a12 = wasm_f32x4_add(a12, wasm_f32x4_mul(x1, g2)); a13 = wasm_f32x4_add(a13, wasm_f32x4_mul(x1, g3));
              a20 = wasm_f32x4_add(a20, wasm_f32x4_mul(x2, g0)); a21 = wasm_f32x4_add(a21, wasm_f32x4_mul(x2, g1));
              a22 = wasm_f32x4_add(a22, wasm_f32x4_mul(x2, g2)); a23 = wasm_f32x4_add(a23, wasm_f32x4_mul(x2, g3));
              a30 = wasm_f32x4_add(a30, wasm_f32x4_mul(x3, g0)); a31 = wasm_f32x4_add(a31, wasm_f32x4_mul(x3, g1));
              a32 = wasm_f32x4_add(a32, wasm_f32x4_mul(x3, g2)); a33 = wasm_f32x4_add(a33, wasm_f32x4_mul(x3, g3));
            }
          }
          // (Explicit stores, no array of vectors: the module must not use a stack, see build.sh.)
          add_row(totf + (int64_t)t0 * co + o0, nv, a00, a01, a02, a03);
          if (nt > 1) add_row(totf + (int64_t)(t0 + 1) * co + o0, nv, a10, a11, a12, a13);
          if (nt > 2) add_row(totf + (int64_t)(t0 + 2) * co + o0, nv, a20, a21, a22, a23);
          if (nt > 3) add_row(totf + (int64_t)(t0 + 3) * co + o0, nv, a30, a31, a32, a33);
        }
      }
      if (++blocks % 16 == 0) {
        for (int64_t k = 0; k < size; k++) { tot[k] += totf[k]; totf[k] = 0; }
      }
    }
  }
  for (int64_t k = 0; k < size; k++) dw[k] = (float)(tot[k] + totf[k]);
}

// Input gradient of a strided convolution, gathered per input pixel:
//   dx[b, y, x, c] = sum over taps (i, j) and outputs o of dY[b, oy, ox, o] * W[i, j, c, o]
// where y = oy*sh + i*dh - pt and x = ox*sw + j*dw - pl. `wt` is W transposed
// to [kh, kw, co, ci] so that ci is contiguous; ci % 4 == 0. Channels in
// groups of 16 (4 vector accumulators). tfjs' way (a convolution per stride
// phase, interleaved) costs 2-8x the forward convolution at stride 2.
__attribute__((visibility("default"))) void conv_input_grad(
    const float *dy, const float *wt, float *dx, int n, int h, int w, int ci, int ho, int wo, int co,
    int kh, int kw, int sh, int sw, int dh, int dwl, int pt, int pl) {
  for (int b = 0; b < n; b++) {
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        float *out = dx + (((int64_t)b * h + y) * w + x) * ci;
        for (int c0 = 0; c0 < ci; c0 += 16) {
          int nv = (ci - c0) >= 16 ? 4 : (ci - c0) / 4;
          v128_t a0 = wasm_f32x4_splat(0), a1 = a0, a2 = a0, a3 = a0;
          for (int i = 0; i < kh; i++) {
            int ny = y + pt - i * dh;
            if (ny < 0 || ny % sh) continue;
            int oy = ny / sh;
            if (oy >= ho) continue;
            for (int j = 0; j < kw; j++) {
              int nx = x + pl - j * dwl;
              if (nx < 0 || nx % sw) continue;
              int ox = nx / sw;
              if (ox >= wo) continue;
              const float *g = dy + (((int64_t)b * ho + oy) * wo + ox) * co;
              const float *wr = wt + ((int64_t)(i * kw + j) * co) * ci + c0;
              if (nv == 4) {
                for (int o = 0; o < co; o++, wr += ci) {
                  v128_t gv = wasm_f32x4_splat(g[o]);
                  a0 = wasm_f32x4_add(a0, wasm_f32x4_mul(gv, wasm_v128_load(wr)));
                  a1 = wasm_f32x4_add(a1, wasm_f32x4_mul(gv, wasm_v128_load(wr + 4)));
                  a2 = wasm_f32x4_add(a2, wasm_f32x4_mul(gv, wasm_v128_load(wr + 8)));
                  a3 = wasm_f32x4_add(a3, wasm_f32x4_mul(gv, wasm_v128_load(wr + 12)));
                }
              } else {
                for (int o = 0; o < co; o++, wr += ci) {
                  v128_t gv = wasm_f32x4_splat(g[o]);
                  a0 = wasm_f32x4_add(a0, wasm_f32x4_mul(gv, wasm_v128_load(wr)));
                  if (nv > 1) a1 = wasm_f32x4_add(a1, wasm_f32x4_mul(gv, wasm_v128_load(wr + 4)));
                  if (nv > 2) a2 = wasm_f32x4_add(a2, wasm_f32x4_mul(gv, wasm_v128_load(wr + 8)));
                }
              }
            }
          }
          wasm_v128_store(out + c0, a0);
          if (nv > 1) wasm_v128_store(out + c0 + 4, a1);
          if (nv > 2) wasm_v128_store(out + c0 + 8, a2);
          if (nv > 3) wasm_v128_store(out + c0 + 12, a3);
        }
      }
    }
  }
}

// Gradient of any max pool (NHWC, c % 4 == 0), dx zeroed by the caller: per
// output window, four channels at a time, the first maximum in row-major
// window order (strict >) gets the window's gradient, added (windows overlap
// when the stride is smaller than the window).
__attribute__((visibility("default"))) void max_pool_grad(const float *x, const float *dy, float *dx, int n, int h, int w, int c,
    int ho, int wo, int fh, int fw, int sh, int sw, int top, int left) {
  const v128_t ninf = wasm_f32x4_splat(-__builtin_inff()), none = wasm_i32x4_splat(-1);
  for (int b = 0; b < n; b++) {
    for (int yr = 0; yr < ho; yr++) {
      int r0 = yr * sh - top, rs = r0 < 0 ? 0 : r0, re = r0 + fh < h ? r0 + fh : h;
      for (int yc = 0; yc < wo; yc++) {
        int c0 = yc * sw - left, cs = c0 < 0 ? 0 : c0, ce = c0 + fw < w ? c0 + fw : w;
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
          v128_t gv = wasm_v128_load(g + ch);
          for (int r = rs; r < re; r++) {
            for (int col = cs; col < ce; col++) {
              v128_t hit = wasm_i32x4_eq(at, wasm_i32x4_splat(r * w + col));
              float *o = dx + (((int64_t)b * h + r) * w + col) * c + ch;
              wasm_v128_store(o, wasm_f32x4_add(wasm_v128_load(o), wasm_v128_and(gv, hit)));
            }
          }
        }
      }
    }
  }
}

// y = max(x + bias, 0), bias per channel (last axis of a row-major [rows, cols]
// array): the bias add and ReLU after a convolution in one pass. NaN stays NaN.
__attribute__((visibility("default"))) void bias_relu(const float *x, const float *bias, float *y, int rows, int cols) {
  const v128_t zero = wasm_f32x4_splat(0);
  for (int r = 0; r < rows; r++) {
    const float *xs = x + (int64_t)r * cols;
    float *o = y + (int64_t)r * cols;
    int c = 0;
    for (; c + 4 <= cols; c += 4) wasm_v128_store(o + c, wasm_f32x4_max(wasm_f32x4_add(wasm_v128_load(xs + c), wasm_v128_load(bias + c)), zero));
    for (; c < cols; c++) { float v = xs[c] + bias[c]; o[c] = v < 0 ? 0.0f : v; }
  }
}

// Its gradient from the output y: dx = y > 0 ? dy : 0, dbias = column sums of
// dx (float32 blocks of 64 rows added in double; acc: cols doubles, tmp: cols floats).
__attribute__((visibility("default"))) void bias_relu_grad(const float *dy, const float *y, float *dx, float *dbias,
    int rows, int cols, double *acc, float *tmp) {
  const v128_t zero = wasm_f32x4_splat(0);
  for (int c = 0; c < cols; c++) acc[c] = 0;
  for (int r0 = 0; r0 < rows; r0 += BLOCK) {
    int r1 = r0 + BLOCK < rows ? r0 + BLOCK : rows;
    for (int c = 0; c < cols; c++) tmp[c] = 0;
    for (int r = r0; r < r1; r++) {
      const float *g = dy + (int64_t)r * cols, *ys = y + (int64_t)r * cols;
      float *o = dx + (int64_t)r * cols;
      int c = 0;
      for (; c + 4 <= cols; c += 4) {
        v128_t d = wasm_v128_and(wasm_v128_load(g + c), wasm_f32x4_gt(wasm_v128_load(ys + c), zero));
        wasm_v128_store(o + c, d);
        wasm_v128_store(tmp + c, wasm_f32x4_add(wasm_v128_load(tmp + c), d));
      }
      for (; c < cols; c++) { float d = ys[c] > 0 ? g[c] : 0.0f; o[c] = d; tmp[c] += d; }
    }
    for (int c = 0; c < cols; c++) acc[c] += tmp[c];
  }
  for (int c = 0; c < cols; c++) dbias[c] = (float)acc[c];
}
