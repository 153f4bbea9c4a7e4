// Float64 wasm SIMD kernels for the linear heads (src/train/linear-classifier.ts):
// both halves of the objective are products of row-major matrices with rows
// of a shared length L: the decision values S = X W^T and the gradient
// G = P^T X = (P^T)(X^T)^T. gemm_nt computes out = A B^T for both, in double
// precision (the JavaScript loops it replaces ran at a third of BLAS' speed).
// Its own module and memory (src/engine/linear-kernels.ts), not tfjs': the
// heads run on any backend. Built by build.sh into lib/cellab-linear.wasm.
// Summation order is fixed by the blocking alone, so results do not depend
// on anything but the inputs.

#include <wasm_simd128.h>

#define EXPORT __attribute__((visibility("default")))
#define INLINE static inline __attribute__((always_inline))

INLINE double hsum(v128_t v) { return wasm_f64x2_extract_lane(v, 0) + wasm_f64x2_extract_lane(v, 1); }
INLINE v128_t madd(v128_t a, v128_t b, v128_t c) { return wasm_f64x2_add(wasm_f64x2_mul(a, b), c); }

/** out[a * nb + b] = sum_t A[a * L + t] * B[b * L + t] for a < na, b < nb. */
EXPORT void gemm_nt(const double *A, int na, const double *B, int nb, int L, double *out) {
  const int L2 = L & ~1;
  int a = 0;
  for (; a + 1 < na; a += 2) {
    const double *a0 = A + (long)a * L, *a1 = a0 + L;
    int b = 0;
    for (; b + 3 < nb; b += 4) {
      const double *b0 = B + (long)b * L, *b1 = b0 + L, *b2 = b1 + L, *b3 = b2 + L;
      v128_t s00 = wasm_f64x2_splat(0), s01 = s00, s02 = s00, s03 = s00, s10 = s00, s11 = s00, s12 = s00, s13 = s00;
      for (int t = 0; t < L2; t += 2) {
        const v128_t x0 = wasm_v128_load(a0 + t), x1 = wasm_v128_load(a1 + t);
        const v128_t y0 = wasm_v128_load(b0 + t), y1 = wasm_v128_load(b1 + t), y2 = wasm_v128_load(b2 + t), y3 = wasm_v128_load(b3 + t);
        s00 = madd(x0, y0, s00); s01 = madd(x0, y1, s01); s02 = madd(x0, y2, s02); s03 = madd(x0, y3, s03);
        s10 = madd(x1, y0, s10); s11 = madd(x1, y1, s11); s12 = madd(x1, y2, s12); s13 = madd(x1, y3, s13);
      }
      double r00 = hsum(s00), r01 = hsum(s01), r02 = hsum(s02), r03 = hsum(s03);
      double r10 = hsum(s10), r11 = hsum(s11), r12 = hsum(s12), r13 = hsum(s13);
      if (L2 < L) {
        const double x0 = a0[L2], x1 = a1[L2];
        r00 += x0 * b0[L2]; r01 += x0 * b1[L2]; r02 += x0 * b2[L2]; r03 += x0 * b3[L2];
        r10 += x1 * b0[L2]; r11 += x1 * b1[L2]; r12 += x1 * b2[L2]; r13 += x1 * b3[L2];
      }
      double *o0 = out + (long)a * nb + b, *o1 = o0 + nb;
      o0[0] = r00; o0[1] = r01; o0[2] = r02; o0[3] = r03;
      o1[0] = r10; o1[1] = r11; o1[2] = r12; o1[3] = r13;
    }
    for (; b < nb; b++) {
      const double *b0 = B + (long)b * L;
      v128_t s0 = wasm_f64x2_splat(0), s1 = s0;
      for (int t = 0; t < L2; t += 2) {
        const v128_t y = wasm_v128_load(b0 + t);
        s0 = madd(wasm_v128_load(a0 + t), y, s0);
        s1 = madd(wasm_v128_load(a1 + t), y, s1);
      }
      double r0 = hsum(s0), r1 = hsum(s1);
      if (L2 < L) { r0 += a0[L2] * b0[L2]; r1 += a1[L2] * b0[L2]; }
      out[(long)a * nb + b] = r0;
      out[(long)(a + 1) * nb + b] = r1;
    }
  }
  for (; a < na; a++) {
    const double *a0 = A + (long)a * L;
    for (int b = 0; b < nb; b++) {
      const double *b0 = B + (long)b * L;
      v128_t s = wasm_f64x2_splat(0);
      for (int t = 0; t < L2; t += 2) s = madd(wasm_v128_load(a0 + t), wasm_v128_load(b0 + t), s);
      double r = hsum(s);
      if (L2 < L) r += a0[L2] * b0[L2];
      out[(long)a * nb + b] = r;
    }
  }
}

// exp(x) for the softmax, to about 1 ulp: x = k ln2 + r with |r| <= ln2 / 2,
// exp(r) by its Taylor series to r^13 (truncation below 1e-17 relative), then
// times 2^k built in the exponent bits. Below -708 (under float64's normal
// range) it returns 0, which is what the probabilities round to anyway.
INLINE double exp_(double x) {
  if (x < -708.0) return 0.0;
  if (x > 709.0) return __builtin_inf();
  const double kf = __builtin_rint(x * 1.4426950408889634);
  const double r = (x - kf * 6.93147180369123816490e-01) - kf * 1.90821492927058770002e-10;
  double p = 1.0 / 6227020800.0;
  p = p * r + 1.0 / 479001600.0;
  p = p * r + 1.0 / 39916800.0;
  p = p * r + 1.0 / 3628800.0;
  p = p * r + 1.0 / 362880.0;
  p = p * r + 1.0 / 40320.0;
  p = p * r + 1.0 / 5040.0;
  p = p * r + 1.0 / 720.0;
  p = p * r + 1.0 / 120.0;
  p = p * r + 1.0 / 24.0;
  p = p * r + 1.0 / 6.0;
  p = p * r + 0.5;
  p = p * r + 1.0;
  p = p * r + 1.0;
  union { double d; long long i; } scale = { .i = (long long)((int)kf + 1023) << 52 };
  return p * scale.d;
}

/**
 * Multinomial logistic loss, per sample i: s = S[i] + b, p = softmax(s).
 * Writes P[c * n + i] = w[i] (p_c - [c == y_i]) (for the gradient P^T X),
 * adds P's rows into gb, and z[i] = sum_c exp(s_c - max s); returns
 * sum_i w[i] (max s - s_y). The loss is that plus sum_i w[i] log z[i]
 * (the caller takes the n logarithms).
 */
EXPORT double softmax_grad(double *S, const double *b, const double *y, const double *w, int n, int k, double *P, double *gb, double *z) {
  double part = 0;
  for (int c = 0; c < k; c++) gb[c] = 0;
  for (int i = 0; i < n; i++) {
    double *s = S + (long)i * k;
    const int yi = (int)y[i];
    double mx = -__builtin_inf();
    for (int c = 0; c < k; c++) { const double v = s[c] + b[c]; s[c] = v; if (v > mx) mx = v; }
    const double sy = s[yi];
    double zi = 0;
    for (int c = 0; c < k; c++) { const double e = exp_(s[c] - mx); s[c] = e; zi += e; }
    const double wi = w[i];
    part += wi * (mx - sy);
    z[i] = zi;
    const double q = wi / zi;
    for (int c = 0; c < k; c++) {
      const double g = q * s[c] - (c == yi ? wi : 0);
      P[(long)c * n + i] = g;
      gb[c] += g;
    }
  }
  return part;
}

/**
 * One-vs-rest squared hinge, per sample i and class c: t = +1 for c == y_i
 * (weight posw[c]) else -1 (weight negw), margin m = 1 - t (S[i, c] + b[c]).
 * Writes P[c * n + i] = -2 weight t m where m > 0 (else 0), adds P's rows
 * into gb; returns sum weight m^2 over the positive margins.
 */
EXPORT double sq_hinge_grad(const double *S, const double *b, const double *y, const double *posw, double negw, int n, int k, double *P, double *gb) {
  double loss = 0;
  for (int c = 0; c < k; c++) gb[c] = 0;
  for (int i = 0; i < n; i++) {
    const double *s = S + (long)i * k;
    const int yi = (int)y[i];
    for (int c = 0; c < k; c++) {
      const double t = c == yi ? 1.0 : -1.0, wc = c == yi ? posw[c] : negw;
      const double m = 1.0 - t * (s[c] + b[c]);
      double g = 0;
      if (m > 0) { loss += wc * m * m; g = -2.0 * wc * t * m; }
      P[(long)c * n + i] = g;
      gb[c] += g;
    }
  }
  return loss;
}
