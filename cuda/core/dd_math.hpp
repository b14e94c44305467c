// cuda/core/dd_math.hpp — float64 exp, log and pow for the GPU whose error is provably within the
// specs' ulp classes: evaluated in double-double and rounded once, so each is within
// 0.5 ulp + 2^-40 ulp of the exact value (normal results; ≤ 1 ulp where the result is subnormal,
// rounded twice).
// Why by hand: CUDA's exp and log are documented at 1 ulp and pow at 2 ulp *from the correctly
// rounded result* (CUDA C Programming Guide, "Mathematical Functions"), i.e. up to 1.5 and 2.5 ulp
// from the exact value — above the specs' k = 1 (verify/ops/unary.cpp, elementwise.cpp) and
// above the 1-ulp exp and log that the softmax, logsumexp and cross-entropy bounds assume
// (verify/harness/bounds.hpp exp_sum, log_sum_error). glibc's exp/log/pow, which the CPU calls,
// are documented at 0.511/0.519/0.52 ulp.
// What it is: plain IEEE double operations (+, −, ×, ÷, fma, ldexp, frexp, rint) in a fixed
// order. nvcc runs with --fmad=false and the project's C++ with -ffp-contract=off, and every one of
// these operations is correctly rounded on both, so the GPU computes the same bits as the host —
// which is how they are tested without a GPU (tests/dd_math.cpp: against binary128 on the host).
// Error analysis (u = 2^-53; a double-double value is hi + lo with |lo| ≤ ulp(hi)/2):
//  - exp: x = k·ln2 + r, with ln2 as a double-double whose error is ≤ 2^-107·ln2: |r| ≤ 0.347 and
//    the reduction's absolute error ≤ |k|·2^-107 + 2^-105·|r| ≤ 2^-96 (|k| ≤ 1075). exp(r) =
//    (exp(r/256))^256: exp(r/256) − 1 = q by its Taylor series to degree 9 (|r/256| ≤ 2^-9.5:
//    truncation ≤ (2^-9.5)^10/10! < 2^-116), then eight steps q ← 2q + q² (exact in real
//    arithmetic; each double-double step errs ≤ 2^-102 relative to 1 + q). Total relative error
//    of 1 + q before the final rounding ≤ 2^-94, so the rounded result is within
//    0.5 ulp + 2^-41 ulp; the scaling by 2^k is exact unless the result is subnormal.
//  - log: x = m·2^e, m ∈ [√½, √2); log m = 2·atanh(s), s = (m − 1)/(m + 1) in double-double,
//    |s| ≤ 0.1716, series Σ s^(2j+1)/(2j+1) to j = 22 (truncation < s^47 < 2^-119·|s|); plus
//    e·ln2 as a double-double. Relative error ≤ 2^-95 unless e·ln2 and log m cancel, which they
//    cannot (|log m| ≤ 0.347 < ln2/2·… for e ≠ 0 the sum is ≥ 0.346 while each term's error is
//    ≤ 2^-96·744): ≤ 2^-94 relative, so within 0.5 ulp + 2^-41 ulp after rounding.
//  - pow(a, b), a > 0 finite, b finite: t = b·log a in double-double (relative error ≤ 2^-93),
//    then exp of t with its low part carried into the reduction: an absolute error ≤ 746·2^-93 ≤
//    2^-83 in t is a relative error ≤ 2^-83 of the result: within 0.5 ulp + 2^-30 ulp. The
//    special values (zeros, infinities, NaN, negative bases, |a| = 1, b = 0) follow IEEE 754 /
//    C99 Annex F, as glibc's pow and the binary128 reference do.
#pragma once

#include "cuda/core/tensor_arg.hpp"  // VT_HOST_DEVICE

#include <cmath>
#include <cstdint>

namespace vt::cuda::dd {

struct DD {
  double hi, lo;
};

VT_HOST_DEVICE DD two_sum(double a, double b) {
  const double s = a + b;
  const double bb = s - a;
  return {s, (a - (s - bb)) + (b - bb)};
}
VT_HOST_DEVICE DD fast_two_sum(double a, double b) {  // |a| ≥ |b| (or a = 0)
  const double s = a + b;
  return {s, b - (s - a)};
}
VT_HOST_DEVICE DD two_prod(double a, double b) {
  const double p = a * b;
  return {p, ::fma(a, b, -p)};
}
VT_HOST_DEVICE DD add(DD x, DD y) {
  DD s = two_sum(x.hi, y.hi);
  const DD t = two_sum(x.lo, y.lo);
  s.lo += t.hi;
  s = fast_two_sum(s.hi, s.lo);
  s.lo += t.lo;
  return fast_two_sum(s.hi, s.lo);
}
VT_HOST_DEVICE DD add(DD x, double y) {
  DD s = two_sum(x.hi, y);
  s.lo += x.lo;
  return fast_two_sum(s.hi, s.lo);
}
VT_HOST_DEVICE DD mul(DD x, DD y) {
  DD p = two_prod(x.hi, y.hi);
  p.lo += x.hi * y.lo + x.lo * y.hi;
  return fast_two_sum(p.hi, p.lo);
}
VT_HOST_DEVICE DD mul(DD x, double y) {
  DD p = two_prod(x.hi, y);
  p.lo += x.lo * y;
  return fast_two_sum(p.hi, p.lo);
}
/// The sign (−1, 0, 1) of the exact sum x[0] + … + x[N−1] (no overflow): Shewchuk's
/// Grow-Expansion adds each term to a nonoverlapping expansion h (increasing magnitude, zeros
/// allowed), whose sign is that of its largest nonzero component. (float32 arange's rounding
/// and clip_grad_norm's correctly rounded square root decide with it.)
template <int N>
VT_HOST_DEVICE int exact_sum_sign(const double (&x)[N]) {
  double h[N];
  h[0] = x[0];
  for (int m = 1; m < N; ++m) {
    double q = x[m];
    for (int j = 0; j < m; ++j) {
      const DD t = two_sum(q, h[j]);
      q = t.hi;
      h[j] = t.lo;
    }
    h[m] = q;
  }
  for (int j = N - 1; j >= 0; --j)
    if (h[j] != 0) return h[j] > 0 ? 1 : -1;
  return 0;
}

/// x / y: a first quotient, its remainder computed exactly enough, a correction.
VT_HOST_DEVICE DD div(DD x, DD y) {
  const double q1 = x.hi / y.hi;
  const DD r = add(x, mul(y, -q1));
  const double q2 = r.hi / y.hi;
  const DD r2 = add(r, mul(y, -q2));
  const double q3 = r2.hi / y.hi;
  return add(fast_two_sum(q1, q2), q3);
}

// ln 2 = LN2_HI + LN2_LO with |error| ≤ 2^-107·ln2 (LN2_HI = RN(ln 2), LN2_LO = RN(ln 2 − LN2_HI)).
inline constexpr double kLn2Hi = 0x1.62e42fefa39efp-1;
inline constexpr double kLn2Lo = 0x1.abc9e3b39803fp-56;
inline constexpr double kInvLn2 = 0x1.71547652b82fep0;

/// e^(x.hi + x.lo) as a double-double mantissa and a power of two: returns 1 + q with the result
/// = (1 + q)·2^k. |x| ≤ 746.
VT_HOST_DEVICE DD exp_reduced(DD x, int& k) {
  const double kd = ::rint(x.hi * kInvLn2);
  k = static_cast<int>(kd);
  // r = x − k·ln2, exactly enough: k·LN2_HI is an exact double-double product.
  DD r = add(x, two_prod(-kd, kLn2Hi));
  r = add(r, two_prod(-kd, kLn2Lo));
  // Taylor series of e^(r/256) − 1 to degree 9, by Horner: q = t(1 + t/2(1 + t/3(…))).
  const DD t{::ldexp(r.hi, -8), ::ldexp(r.lo, -8)};
  DD p{1.0, 0.0};
  for (int n = 9; n >= 2; --n) p = add(mul(div(t, DD{static_cast<double>(n), 0.0}), p), 1.0);
  DD q = mul(t, p);
  for (int i = 0; i < 8; ++i) q = add(mul(q, 2.0), mul(q, q));  // (1 + q)² = 1 + (2q + q²)
  return add(q, 1.0);
}

/// Rounds (m.hi + m.lo)·2^k to double: exact scaling unless the result is subnormal (then two
/// roundings, ≤ 1 ulp) or overflows (inf).
VT_HOST_DEVICE double scale_round(DD m, int k) {
  const double s = m.hi + m.lo;
  if (k > 1000) return ::ldexp(::ldexp(s, k - 1000), 1000);
  if (k < -1000) return ::ldexp(::ldexp(s, k + 1000), -1000);
  return ::ldexp(s, k);
}

VT_HOST_DEVICE double exp_f64(double x) {
  if (x != x) return x;
  if (x > 710.0) return INFINITY;  // e^710 > DBL_MAX
  if (x < -746.0) return 0.0;      // e^-746 < 2^-1075: rounds to +0
  int k = 0;
  const DD m = exp_reduced(DD{x, 0.0}, k);
  return scale_round(m, k);
}

/// log x for finite x > 0 as a double-double.
VT_HOST_DEVICE DD log_dd(double x) {
  int e = 0;
  if (x < 0x1p-1022) {  // subnormal: scale into the normal range first
    x *= 0x1p54;
    e = -54;
  }
  int ex = 0;
  double m = ::frexp(x, &ex);  // m ∈ [½, 1)
  e += ex;
  if (m < 0x1.6a09e667f3bcdp-1) {  // < √½: move to [√½, √2)
    m *= 2.0;
    e -= 1;
  }
  // s = (m − 1)/(m + 1): m − 1 is exact (Sterbenz), m + 1 exact as a double-double.
  const DD s = div(DD{m - 1.0, 0.0}, two_sum(m, 1.0));
  const DD s2 = mul(s, s);
  // atanh(s)/s = Σ_{j=0}^{22} s^(2j)/(2j+1), by Horner from the top.
  DD p = div(DD{1.0, 0.0}, DD{45.0, 0.0});
  for (int j = 21; j >= 0; --j)
    p = add(mul(p, s2), div(DD{1.0, 0.0}, DD{static_cast<double>(2 * j + 1), 0.0}));
  const DD log_m = mul(mul(s, p), 2.0);
  const double ed = static_cast<double>(e);
  return add(add(two_prod(ed, kLn2Hi), two_prod(ed, kLn2Lo)), log_m);
}

VT_HOST_DEVICE double log_f64(double x) {
  if (x != x) return x;
  if (x < 0) return NAN;
  if (x == 0) return -INFINITY;
  if (x == INFINITY) return x;
  const DD l = log_dd(x);
  return l.hi + l.lo;
}

VT_HOST_DEVICE bool is_odd_integer(double b) {
  // |b| ≥ 2^53 is an even integer; below, b is odd iff b − 2·rint(b/2) = ±1 (exact).
  return ::fabs(b) < 0x1p53 && ::rint(b) == b && ::fabs(b - 2.0 * ::rint(0.5 * b)) == 1.0;
}

/// pow(a, b) with the special values of C99 Annex F.9.4.4 (as glibc's pow and the reference).
VT_HOST_DEVICE double pow_f64(double a, double b) {
  if (b == 0) return 1.0;              // even for a NaN
  if (a == 1.0) return 1.0;            // even for a NaN b
  if (a != a || b != b) return a + b;  // NaN
  const bool odd = is_odd_integer(b);
  if (a == 0) {
    if (b < 0) return odd ? 1.0 / a : INFINITY;  // ±inf for ±0 and odd b
    return odd ? a : 0.0;
  }
  if (b == INFINITY || b == -INFINITY) {
    const double m = ::fabs(a);
    if (m == 1.0) return 1.0;  // (−1)^±inf = 1
    return (m < 1.0) == (b < 0) ? INFINITY : 0.0;
  }
  if (a == INFINITY || a == -INFINITY) {
    if (a > 0) return b < 0 ? 0.0 : INFINITY;
    // a = −inf: (−0 or −inf for odd b)
    if (b < 0) return odd ? -0.0 : 0.0;
    return odd ? -INFINITY : INFINITY;
  }
  double sign = 1.0;
  if (a < 0) {
    if (::rint(b) != b) return NAN;  // a negative base to a non-integer power
    if (odd) sign = -1.0;
    a = -a;
  }
  // |t| = |b·log a|: beyond 746 the result over/underflows whatever the low part says.
  const DD la = log_dd(a);
  const DD t = mul(la, b);
  if (t.hi > 710.0) return sign * INFINITY;
  if (t.hi < -746.0) return sign * 0.0;
  int k = 0;
  const DD m = exp_reduced(t, k);
  return sign * scale_round(m, k);
}

}  // namespace vt::cuda::dd
