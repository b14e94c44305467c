// cuda/ops/elementwise.cu — float32/float64 binary elementwise ops on the GPU (add, sub, mul,
// div, maximum, minimum, pow) with NumPy broadcasting, and their VJPs.
// Shaped this way because: one device functor per op on the one elementwise launcher
// (cuda/core/map.cuh: 16-byte vectors on contiguous aligned operands, a strided kernel for the
// rest), the same functors as optimized/ops/elementwise.cpp, operation for operation, so that
// zeros, infinities and NaN land where the CPU's do.
// Accuracy (verify/ops/elementwise.cpp): add/sub/mul/div/maximum/minimum are one IEEE operation
// (exact class; nvcc's default -prec-div=true makes a / b correctly rounded, --fmad=false keeps
// a*b and a+b apart). pow: float32 in double (CUDA pow ≤ 2 ulp of double = 2^-52 relative),
// rounded once to float; float64 is CUDA's pow (documented ≤ 2 ulp — the spec's k is 1: see
// the report of issue 7).
// VJPs: input k's output-shaped partial goes straight into grad_inputs[k] (through launch_map,
// strided or not) when input k has the output's shape; otherwise fold_kernel computes each
// gradient element's partials over its preimage, in g's row-major order (the CPU's order), one
// thread per gradient element — deterministic, no atomics:
//  - add, sub, mul, maximum, minimum: partial rounded to T, summed in double, rounded once
//    (optimized/core/broadcast_grad.hpp's sum_to_shape);
//  - div, pow, float32: partial and sum in double, rounded once (the CPU's fold_wide);
//  - div, pow, float64: the CPU uses long double for its exponent range (a single partial may
//    overflow double where the sum does not); the GPU has none, so these use Xd below: a double
//    significand with a separate int exponent (53 bits, no over/underflow), rounded once.
// What it is not: second order (the CPU backends carry it; the cuda column shows "·").
#include "cuda/core/dd_math.hpp"
#include "cuda/core/device_call.hpp"
#include "cuda/core/map.cuh"
#include "cuda/ops/launchers.hpp"
#include "optimized/core/loops.hpp"

#include <cfloat>
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

namespace vt::cuda {
namespace {

// ---- forward functors (optimized/ops/elementwise.cpp) ------------------------------------------

template <class T>
struct Add {
  __device__ T operator()(T a, T b) const { return a + b; }
};
template <class T>
struct Sub {
  __device__ T operator()(T a, T b) const { return a - b; }
};
template <class T>
struct Mul {
  __device__ T operator()(T a, T b) const { return a * b; }
};
template <class T>
struct Div {
  __device__ T operator()(T a, T b) const { return a / b; }
};
// IEEE 754-2019 maximum/minimum: NaN in either operand gives NaN (a + b is NaN then);
// for a == b the operands differ at most in the sign of zero, and +0 > −0.
template <class T>
struct Maximum {
  __device__ T operator()(T a, T b) const {
    if (a != a || b != b) return a + b;
    if (a == b) return signbit(a) ? b : a;
    return a > b ? a : b;
  }
};
template <class T>
struct Minimum {
  __device__ T operator()(T a, T b) const {
    if (a != a || b != b) return a + b;
    if (a == b) return signbit(a) ? a : b;
    return a < b ? a : b;
  }
};
template <class T>
struct Pow;
template <>
struct Pow<float> {  // in double, rounded once: < 2^-52 + ½ulp_f32 < 1 ulp
  __device__ float operator()(float a, float b) const {
    return static_cast<float>(dd::pow_f64(static_cast<double>(a), static_cast<double>(b)));
  }
};
// float64: cuda/core/dd_math.hpp's pow, ≤ 0.5 ulp + 2^-30 ulp (CUDA's pow is documented at 2 ulp
// from the correctly rounded value, above the spec's k = 1); every pow and log below is that one.
template <>
struct Pow<double> {
  __device__ double operator()(double a, double b) const { return dd::pow_f64(a, b); }
};

// ---- Xd: double significand, int exponent
// -------------------------------------------------------- Value m·2^e. Finite non-zero values keep
// |m| in [½, 1); 0, ±inf and NaN are held as m with e = 0. A product or quotient of two finite
// non-zero significands lies in [¼, 2): no over/underflow, one rounding (as a double product would
// have, without the range limit); with a special operand the double operation on the significands
// gives the IEEE special result.

struct Xd {
  double m;
  int e;
};

__device__ __forceinline__ bool finite_nonzero(double v) { return v == v && v != 0 && isfinite(v); }

__device__ __forceinline__ Xd x_norm(double m, int e) {
  if (!finite_nonzero(m)) return {m, 0};
  int k = 0;
  const double f = frexp(m, &k);  // exact
  return {f, e + k};
}
__device__ __forceinline__ Xd x_of(double v) { return x_norm(v, 0); }
__device__ __forceinline__ Xd x_mul(Xd p, Xd q) { return x_norm(p.m * q.m, p.e + q.e); }
__device__ __forceinline__ Xd x_div(Xd p, Xd q) { return x_norm(p.m / q.m, p.e - q.e); }
__device__ __forceinline__ Xd x_neg(Xd p) { return {-p.m, p.e}; }
/// p + q, one rounding (the smaller operand scaled to the larger's exponent loses only bits below
/// 2^-1074 of it).
__device__ __forceinline__ Xd x_add(Xd p, Xd q) {
  if (!isfinite(p.m) || !isfinite(q.m) || (p.m == 0 && q.m == 0)) return {p.m + q.m, 0};
  if (p.m == 0) return q;
  if (q.m == 0) return p;
  const int e = p.e > q.e ? p.e : q.e;
  return x_norm(ldexp(p.m, p.e - e) + ldexp(q.m, q.e - e), e);
}
/// Rounded once to double (ldexp: exact, or one rounding into the subnormal range / overflow).
__device__ __forceinline__ double x_to_double(Xd p) {
  return finite_nonzero(p.m) ? ldexp(p.m, p.e) : p.m;
}
/// p as binary128's range would hold it (the reference's type): ±inf beyond its largest finite
/// value, ±0 below half its smallest subnormal. The pow VJP's fallback applies it after each
/// operation the reference does, so an intermediate the reference over/underflows meets a 0, inf
/// or NaN operand the same way (0·inf = NaN where the reference has it).
__device__ __forceinline__ Xd x_q(Xd p) {
  if (!finite_nonzero(p.m)) return p;
  if (p.e > 16384)
    return {p.m > 0 ? static_cast<double>(INFINITY) : -static_cast<double>(INFINITY), 0};
  if (p.e < -16494) return {p.m > 0 ? 0.0 : -0.0, 0};
  return p;
}

/// a^b for finite a > 0 and finite b, without double's range limit: a = ma·2^ea with
/// ma ∈ [√½, √2), a^b = ma^b · 2^(ea·b); ea·b = hi + lo exactly (fma), hi = k + (hi − k) with k
/// an integer, so a^b = pow(ma, b) · exp2((hi − k) + lo) · 2^k. Relative error: pow's and exp2's
/// (CUDA: 2 and 1 ulp) plus one rounding. |ea·b| ≥ 2^20 means |log2 a^b| ≥ 2^19, beyond every
/// format's range (binary128's included): inf or 0. ma^b itself leaves double's range only for
/// |b| > 2044: then it is pow(ma, b/2^s)^(2^s) by s squarings in Xd (s ≤ 1100; relative error
/// ×2^s — only such extreme exponents reach it), stopping at inf or 0 once its exponent passes
/// 2^21 (it then outweighs 2^(ea·b)).
__device__ Xd x_pow_pos(double a, double b) {
  constexpr int kHuge = 1 << 21;
  int ea = 0;
  double ma = frexp(a, &ea);
  if (ma < 0.70710678118654752440) {
    ma *= 2.0;
    ea -= 1;
  }
  const double eb = static_cast<double>(ea);
  const double hi = eb * b;
  if (!(fabs(hi) < 1048576.0)) return {hi > 0 ? static_cast<double>(INFINITY) : 0.0, 0};
  const double lo = fma(eb, b, -hi);
  const double k = rint(hi);
  const double f = (hi - k) + lo;  // hi − k is exact; |f| ≤ ½ + 2^-33
  Xd head;                         // ma^b
  const double p1 = dd::pow_f64(ma, b);
  if (p1 >= DBL_MIN && p1 <= DBL_MAX) {
    head = x_of(p1);
  } else {
    int s = 0;
    double bs = b;
    while (fabs(bs) > 512.0) {  // exact halvings; b is finite, so at most ~1100 of them
      bs *= 0.5;
      ++s;
    }
    head = x_of(dd::pow_f64(ma, bs));  // in [2^-256, 2^256]
    for (int i = 0; i < s; ++i) {
      if (head.e > kHuge || head.e < -kHuge) break;
      head = x_mul(head, head);
    }
    if (head.e > kHuge || head.e < -kHuge)
      return {head.e > 0 ? static_cast<double>(INFINITY) : 0.0, 0};
  }
  Xd r = x_mul(head, x_of(exp2(f)));
  if (finite_nonzero(r.m)) r.e += static_cast<int>(k);
  return r;
}

__device__ __forceinline__ bool is_normal_finite(double v) {
  const double m = fabs(v);
  return m >= DBL_MIN && m <= DBL_MAX;
}
/// b an integer (also for ±inf, as floor(inf) == inf; not for NaN).
__device__ __forceinline__ bool is_integer(double b) { return floor(b) == b; }

/// a^(b − k), k = 1 or 2, in double, with a negative base's sign from b's parity (the CPU's
/// pow_minus: b − k would round back to b once |b| ≥ 2^53 and flip the sign).
__device__ double pow_minus(double a, double b, int k) {
  if (!(a < 0) || !is_integer(b)) return dd::pow_f64(a, b - static_cast<double>(k));
  const bool b_odd = fmod(b, 2.0) != 0;
  const double magnitude = dd::pow_f64(-a, b - static_cast<double>(k));
  return b_odd != (k % 2 == 1) ? -magnitude : magnitude;
}

// ---- VJP partials, per output element: f(g, a, b, y) -------------------------------------------

template <class T>
struct CopyG {
  __device__ T operator()(T g, T, T, T) const { return g; }
};
template <class T>
struct NegG {
  __device__ T operator()(T g, T, T, T) const { return -g; }
};
template <class T>
struct MulGradA {  // g·b
  __device__ T operator()(T g, T, T b, T) const { return g * b; }
};
template <class T>
struct MulGradB {  // g·a
  __device__ T operator()(T g, T a, T, T) const { return g * a; }
};
template <class T>
struct DivGradA {  // g/b
  __device__ T operator()(T g, T, T b, T) const { return g / b; }
};
// maximum/minimum: g to the selected input, g/2 to each on a tie (a == b, +0 == −0), g to both
// when an operand is NaN (neither comparison holds) — PyTorch's convention.
template <class T>
struct MaximumGradA {
  __device__ T operator()(T g, T a, T b, T) const {
    return a == b ? g * T(0.5) : (a < b ? T(0) : g);
  }
};
template <class T>
struct MaximumGradB {
  __device__ T operator()(T g, T a, T b, T) const {
    return a == b ? g * T(0.5) : (b < a ? T(0) : g);
  }
};
template <class T>
struct MinimumGradA {
  __device__ T operator()(T g, T a, T b, T) const {
    return a == b ? g * T(0.5) : (a > b ? T(0) : g);
  }
};
template <class T>
struct MinimumGradB {
  __device__ T operator()(T g, T a, T b, T) const {
    return a == b ? g * T(0.5) : (b > a ? T(0) : g);
  }
};

// div ∂b = −g·a/b². float64: (g·a)/(b·b) in double when all three results are normal (three
// roundings), else in Xd (three roundings, no range limit) rounded once: ≤ γ3|t| + η/2.
__device__ Xd div_grad_b_x(double g, double a, double b) {
  const double num = g * a, den = b * b, q = num / den;
  if (is_normal_finite(num) && is_normal_finite(den) && is_normal_finite(q)) return x_of(-q);
  const Xd xb = x_of(b);
  return x_neg(x_div(x_mul(x_of(g), x_of(a)), x_mul(xb, xb)));
}
template <class T>
struct DivGradB;
template <>
struct DivGradB<float> {  // g·a and b·b exact in double, one division, one rounding to float
  __device__ float operator()(float g, float a, float b, float) const {
    const double bd = b;
    return static_cast<float>(-(static_cast<double>(g) * static_cast<double>(a)) / (bd * bd));
  }
};
template <>
struct DivGradB<double> {
  __device__ double operator()(double g, double a, double b, double) const {
    return x_to_double(div_grad_b_x(g, a, b));
  }
};

// pow ∂a = where(b == 0, 0, g·b·a^(b−1)). float64: a^(b−1) = ŷ/a from the forward output when
// ŷ, a, ŷ/a, b·(ŷ/a) and g·(…) are all normal (the CPU's fast path); otherwise in Xd: special
// operands (a = ±0, ±inf, b = ±inf, NaN: the result is 0, inf, 1 or NaN, its sign as the
// reference's binary128 b − 1 has it), finite ones as ŷ/a when ŷ is normal, else as a^b/a
// (x_pow_pos; no rounding of b − 1 either way) with the sign of a negative base from b's parity.
__device__ Xd pow_grad_a_x(double g, double a, double b, double y) {
  if (b == 0.0) return {0.0, 0};
  const double p = y / a, bp = b * p, r = g * bp;
  if (is_normal_finite(y) && is_normal_finite(a) && is_normal_finite(p) && is_normal_finite(bp) &&
      is_normal_finite(r))
    return x_of(r);
  Xd power;  // a^(b − 1)
  if (isfinite(b) && (a == 0 || isinf(a))) {
    // 0, inf or 1, negative where the reference's a^(b − 1) is: a negative base (−0, −inf) and
    // b − 1 an odd integer after binary128's rounding (−0 goes to pow directly there, whose
    // b − 1 rounds to the even b above 2^113; −inf takes pow_minus's parity of b).
    const double magnitude = dd::pow_f64(fabs(a), b - 1.0);
    bool negative = false;
    if (signbit(a))
      negative = is_integer(b) ? fmod(b, 2.0) == 0 && (a != 0 || fabs(b) < 0x1p113)
                               : (b > 0 ? b <= 0x1p-114 : -b <= 0x1p-113);  // b − 1 → −1
    power = x_of(negative ? -magnitude : magnitude);
  } else if (!finite_nonzero(a) || !isfinite(b)) {
    power = x_of(pow_minus(a, b, 1));  // NaN operand, or b = ±inf: pow's special values
  } else if (a < 0 && !is_integer(b)) {
    // The reference's a^(b − 1), b − 1 rounded in binary128: −1 (an integer, so a finite
    // power) when |b| ≤ 2^-113 (b < 0) or b ≤ 2^-114 (b > 0) — subnormal b, say — else NaN.
    const bool rounds_to_minus_one = b > 0 ? b <= 0x1p-114 : -b <= 0x1p-113;
    power = rounds_to_minus_one ? x_div(x_of(1.0), x_of(a)) : Xd{static_cast<double>(NAN), 0};
  } else if (is_normal_finite(y)) {
    power = x_div(x_of(y), x_of(a));  // ŷ carries the sign of a negative base's power
  } else {
    const double abs_a = fabs(a);
    power = x_div(x_pow_pos(abs_a, b), x_of(abs_a));
    if (a < 0 && fmod(b, 2.0) == 0) power = x_neg(power);  // b − 1 odd
  }
  return x_q(x_mul(x_of(g), x_q(x_mul(x_of(b), x_q(power)))));  // the reference's g·(b·a^(b−1))
}
// pow ∂b = where(a == 0 ∧ b ≥ 0, 0, g·a^b·log a). float64: ŷ·log a when ŷ, log a, the product
// and g·(…) are normal; otherwise in Xd, a^b being ŷ when normal, else x_pow_pos (log of a
// negative base is NaN, as on the CPU).
__device__ Xd pow_grad_b_x(double g, double a, double b, double y) {
  if (a == 0.0 && b >= 0.0) return {0.0, 0};
  const double la = dd::log_f64(a), yl = y * la, r = g * yl;
  if (is_normal_finite(y) && is_normal_finite(la) && is_normal_finite(yl) && is_normal_finite(r))
    return x_of(r);
  Xd power;  // a^b
  if (!finite_nonzero(a) || !isfinite(b) || a < 0)
    power = x_of(dd::pow_f64(a, b));  // special, or a < 0 where log a is NaN anyway
  else if (is_normal_finite(y))
    power = x_of(y);
  else
    power = x_pow_pos(a, b);
  return x_q(x_mul(x_q(x_mul(x_of(g), x_q(power))), x_of(la)));  // the reference's (g·a^b)·log a
}

template <class T>
struct PowGradA;
template <>
struct PowGradA<float> {  // in double, rounded once
  __device__ float operator()(float g, float a, float b, float) const {
    if (b == 0.0f) return 0.0f;
    const double bd = b;
    return static_cast<float>(static_cast<double>(g) *
                              (bd * pow_minus(static_cast<double>(a), bd, 1)));
  }
};
template <>
struct PowGradA<double> {
  __device__ double operator()(double g, double a, double b, double y) const {
    return x_to_double(pow_grad_a_x(g, a, b, y));
  }
};
template <class T>
struct PowGradB;
template <>
struct PowGradB<float> {
  __device__ float operator()(float g, float a, float b, float) const {
    if (a == 0.0f && b >= 0.0f) return 0.0f;
    const double ad = a;
    return static_cast<float>(static_cast<double>(g) *
                              (dd::pow_f64(ad, static_cast<double>(b)) * dd::log_f64(ad)));
  }
};
template <>
struct PowGradB<double> {
  __device__ double operator()(double g, double a, double b, double y) const {
    return x_to_double(pow_grad_b_x(g, a, b, y));
  }
};

// ---- folding a broadcast input's partials ------------------------------------------------------
// A fold policy: Acc, zero(), add(acc, g, a, b, y), finish(acc) → T.

/// The partial rounded to T (as the CPU's output-shaped temporary), summed in double, rounded
/// once (sum_to_shape).
template <class T, class F>
struct FoldRounded {
  using Acc = double;
  F f;
  __device__ Acc zero() const { return 0.0; }
  __device__ Acc add(Acc s, T g, T a, T b, T y) const {
    return s + static_cast<double>(f(g, a, b, y));
  }
  __device__ T finish(Acc s) const { return static_cast<T>(s); }
};

// float32 div and pow: the partial and the sum in double (the CPU's fold_wide with W = double:
// every partial of float operands is in double's range), rounded once.
struct DivPartialAWide {
  __device__ double operator()(double g, double, double b) const { return g / b; }
};
struct DivPartialBWide {
  __device__ double operator()(double g, double a, double b) const { return -(g * a) / (b * b); }
};
struct PowPartialAWide {
  __device__ double operator()(double g, double a, double b) const {
    return b == 0 ? 0.0 : g * (b * dd::pow_f64(a, b - 1));
  }
};
struct PowPartialBWide {
  __device__ double operator()(double g, double a, double b) const {
    return a == 0 && b >= 0 ? 0.0 : g * (dd::pow_f64(a, b) * dd::log_f64(a));
  }
};
template <class F>
struct FoldWideF32 {
  using Acc = double;
  F f;
  __device__ Acc zero() const { return 0.0; }
  __device__ Acc add(Acc s, float g, float a, float b, float) const {
    return s + f(static_cast<double>(g), static_cast<double>(a), static_cast<double>(b));
  }
  __device__ float finish(Acc s) const { return static_cast<float>(s); }
};

// float64 div and pow: partials and sum in Xd, rounded once.
struct DivPartialAX {
  __device__ Xd operator()(double g, double, double b, double) const {
    return x_div(x_of(g), x_of(b));
  }
};
struct DivPartialBX {
  __device__ Xd operator()(double g, double a, double b, double) const {
    return div_grad_b_x(g, a, b);
  }
};
struct PowPartialAX {
  __device__ Xd operator()(double g, double a, double b, double y) const {
    return pow_grad_a_x(g, a, b, y);
  }
};
struct PowPartialBX {
  __device__ Xd operator()(double g, double a, double b, double y) const {
    return pow_grad_b_x(g, a, b, y);
  }
};
template <class F>
struct FoldX {
  using Acc = Xd;
  F f;
  __device__ Acc zero() const { return {0.0, 0}; }
  __device__ Acc add(Acc s, double g, double a, double b, double y) const {
    return x_add(s, f(g, a, b, y));
  }
  __device__ double finish(Acc s) const { return x_to_double(s); }
};

/// Which output dimensions a gradient element sums over. Output rank nd; kept dimensions (the
/// input's own, in order) index the gradient element, reduced ones (leading dimensions the input
/// lacks, and its size-1 dimensions broadcast to more) index the m terms of its preimage.
struct FoldPlan {
  int nd = 0;
  std::int64_t os[kMaxDims] = {};
  int nk = 0;
  int kdim[kMaxDims] = {};
  int nr = 0;
  int rdim[kMaxDims] = {};
  std::int64_t m = 1;     // terms per gradient element
  std::int64_t n_in = 1;  // gradient elements
};

/// grad[k] = finish(Σ_r partial(g, a, b, y at the r-th output element of k's preimage)), r in
/// row-major order of the reduced dimensions — which is g's row-major order, the CPU's. One
/// thread per gradient element (grid-stride), 64-bit offsets; in = {g, a, b, y} viewed over the
/// output shape (stride 0 along broadcast dimensions).
template <class T, class P>
__global__ void fold_kernel(P p, FoldPlan plan, TensorArg grad, TensorArgs<4> in) {
  const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
  for (std::int64_t k = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
       k < plan.n_in; k += stride) {
    std::int64_t base[4] = {0, 0, 0, 0};
    std::int64_t rest = k;
    for (int j = plan.nk - 1; j >= 0; --j) {
      const int d = plan.kdim[j];
      const std::int64_t c = rest % plan.os[d];
      rest /= plan.os[d];
#pragma unroll
      for (int q = 0; q < 4; ++q) base[q] += c * in.a[q].strides[d];
    }
    typename P::Acc acc = p.zero();
    for (std::int64_t r = 0; r < plan.m; ++r) {
      std::int64_t off[4] = {base[0], base[1], base[2], base[3]};
      std::int64_t rr = r;
      for (int j = plan.nr - 1; j >= 0; --j) {
        const int d = plan.rdim[j];
        const std::int64_t c = rr % plan.os[d];
        rr /= plan.os[d];
#pragma unroll
        for (int q = 0; q < 4; ++q) off[q] += c * in.a[q].strides[d];
      }
      acc = p.add(acc, in.a[0].ptr<const T>()[off[0]], in.a[1].ptr<const T>()[off[1]],
                  in.a[2].ptr<const T>()[off[2]], in.a[3].ptr<const T>()[off[3]]);
    }
    grad.ptr<T>()[grad.offset(k)] = p.finish(acc);
  }
}

/// t's device view (its own shape) right-aligned onto the output shape os, stride 0 along the
/// dimensions it is broadcast on.
TensorArg expand_arg(const TensorArg& t, const Shape& os) {
  TensorArg e;
  e.data = t.data;
  e.ndim = static_cast<int>(os.size());
  e.numel = shape_numel(os);
  e.contiguous = false;  // offsets are computed from the strides
  const int lead = e.ndim - t.ndim;
  for (int d = 0; d < e.ndim; ++d) {
    e.shape[d] = os[static_cast<std::size_t>(d)];
    e.strides[d] = (d < lead || t.shape[d - lead] == 1) ? 0 : t.strides[d - lead];
  }
  return e;
}

/// grad (input k's shape) = its partials folded over the broadcast dimensions of os.
template <class T, class P>
void launch_fold(DeviceCall& dc, const std::string& op, P p, const Tensor& grad,
                 const std::vector<Tensor>& operands /* g, a, b, y */, const Shape& os) {
  const Shape& is = grad.shape();
  if (os.size() > static_cast<std::size_t>(kMaxDims))
    throw Error(op, {os},
                "the cuda backend takes at most " + std::to_string(kMaxDims) + " dimensions");
  if (is.size() > os.size()) throw Error(op, {is, os}, "gradient rank exceeds the output's");
  FoldPlan plan;
  plan.nd = static_cast<int>(os.size());
  const std::size_t lead = os.size() - is.size();
  for (std::size_t d = 0; d < os.size(); ++d) {
    plan.os[d] = os[d];
    const bool broadcast = d < lead || (is[d - lead] == 1 && os[d] != 1);
    if (!broadcast && is[d - lead] != os[d])
      throw Error(op, {is, os}, "gradient shape does not broadcast to the output's");
    if (broadcast) {
      plan.rdim[plan.nr++] = static_cast<int>(d);
      plan.m *= os[d];
    } else {
      plan.kdim[plan.nk++] = static_cast<int>(d);
      plan.n_in *= os[d];
    }
  }
  if (plan.n_in != grad.numel())
    throw Error(op, {is, os}, "gradient element count does not match its preimage plan");
  if (plan.n_in == 0) return;
  TensorArgs<4> in;
  for (int q = 0; q < 4; ++q)
    in.a[q] = expand_arg(dc.arg(operands.at(static_cast<std::size_t>(q))), os);
  const TensorArg out = dc.arg(grad);
  constexpr int kThreads = 256;
  fold_kernel<T><<<grid_for(plan.n_in, kThreads), kThreads, 0, stream()>>>(p, plan, out, in);
  check_launch(op, "fold_kernel");
}

// ---- host entry points
// ---------------------------------------------------------------------------

template <template <class> class F>
void binary_forward(OpCall& c, const char* op) {
  Tensor& out = c.outputs.at(0);
  // The CPU's checks and copies: a dtype mismatch and a self-overlapping output are errors, an
  // input that partially overlaps the output is read from a host copy (declared below).
  const std::vector<Tensor> ins = opt::prepare_elementwise(c.inputs, out, op);
  DeviceCall dc(c, op);
  for (const Tensor& t : ins) dc.read(t);
  dispatch_float(out.dtype(), op, [&]<class T>() {
    launch_map<T, 2>(op, F<T>{}, dc.map_args(out, {ins.at(0), ins.at(1)}));
  });
  dc.finish();
}

/// One op's VJP: for input k (0: a, 1: b), Direct<T, k> is the output-shaped partial functor and
/// fold<T>(k) the fold policy of a broadcast input.
template <class Op>
void binary_vjp(BackwardCall& bc, const char* op) {
  const OpCall& c = *bc.forward;
  const Tensor& y = c.outputs.at(0);
  const Tensor& g = bc.grad_outputs.at(0);
  bool any = false;
  for (std::size_t k = 0; k < 2; ++k) any = any || bc.grad_inputs.at(k).defined();
  if (!any) return;
  if (!g.defined()) {  // zero, on the host: nothing to compute
    for (std::size_t k = 0; k < 2; ++k)
      if (bc.grad_inputs.at(k).defined())
        bc.grad_inputs.at(k).copy_from(Tensor::empty({}, bc.grad_inputs.at(k).dtype()));
    return;
  }
  DeviceCall dc(bc, op);
  const std::vector<Tensor> operands = {g, c.inputs.at(0), c.inputs.at(1), y};
  for (std::size_t k = 0; k < 2; ++k) {
    const Tensor& grad = bc.grad_inputs.at(k);
    if (!grad.defined()) continue;
    dispatch_float(grad.dtype(), op, [&]<class T>() {
      if (grad.shape() == y.shape()) {
        if (k == 0)
          launch_map<T, 4>(op, typename Op::template DirectA<T>{}, dc.map_args(grad, operands));
        else
          launch_map<T, 4>(op, typename Op::template DirectB<T>{}, dc.map_args(grad, operands));
      } else {
        if (k == 0)
          launch_fold<T>(dc, op, typename Op::template FoldA<T>{}, grad, operands, y.shape());
        else
          launch_fold<T>(dc, op, typename Op::template FoldB<T>{}, grad, operands, y.shape());
      }
    });
  }
  dc.finish();
}

// Per op: the direct partials and the fold policies.
template <template <class> class A, template <class> class B>
struct RoundedOp {  // add, sub, mul, maximum, minimum: sum_to_shape of the T partials
  template <class T>
  using DirectA = A<T>;
  template <class T>
  using DirectB = B<T>;
  template <class T>
  using FoldA = FoldRounded<T, A<T>>;
  template <class T>
  using FoldB = FoldRounded<T, B<T>>;
};
using AddOp = RoundedOp<CopyG, CopyG>;
using SubOp = RoundedOp<CopyG, NegG>;
using MulOp = RoundedOp<MulGradA, MulGradB>;
using MaximumOp = RoundedOp<MaximumGradA, MaximumGradB>;
using MinimumOp = RoundedOp<MinimumGradA, MinimumGradB>;

template <class T, class WideF32, class X64>
using WideFold = std::conditional_t<std::is_same_v<T, float>, FoldWideF32<WideF32>, FoldX<X64>>;
struct DivOp {
  template <class T>
  using DirectA = DivGradA<T>;
  template <class T>
  using DirectB = DivGradB<T>;
  template <class T>
  using FoldA = WideFold<T, DivPartialAWide, DivPartialAX>;
  template <class T>
  using FoldB = WideFold<T, DivPartialBWide, DivPartialBX>;
};
struct PowOp {
  template <class T>
  using DirectA = PowGradA<T>;
  template <class T>
  using DirectB = PowGradB<T>;
  template <class T>
  using FoldA = WideFold<T, PowPartialAWide, PowPartialAX>;
  template <class T>
  using FoldB = WideFold<T, PowPartialBWide, PowPartialBX>;
};

#define VT_CUDA_BINARY(name, Functor, OpT, how)                         \
  void name##_forward(OpCall& c) { binary_forward<Functor>(c, #name); } \
  void name##_vjp(BackwardCall& bc) { binary_vjp<OpT>(bc, #name); }     \
  VT_REGISTER_CUDA_VJP(name, "map", name##_forward, name##_vjp, how)

VT_CUDA_BINARY(add, Add, AddOp,
               "broadcast elementwise kernel, 16-byte vectors; VJP g, broadcast inputs folded "
               "per gradient element in double in g's order");
VT_CUDA_BINARY(sub, Sub, SubOp,
               "broadcast elementwise kernel, 16-byte vectors; VJP ±g, broadcast inputs folded "
               "per gradient element in double in g's order");
VT_CUDA_BINARY(mul, Mul, MulOp,
               "broadcast elementwise kernel, 16-byte vectors; VJP g·b, g·a, broadcast inputs "
               "folded per gradient element in double in g's order");
VT_CUDA_BINARY(div, Div, DivOp,
               "broadcast elementwise kernel, IEEE division; VJP −g·a/b² via double (float32) or "
               "with a wide-exponent fallback (float64); folds in double / wide-exponent double");
VT_CUDA_BINARY(maximum, Maximum, MaximumOp,
               "broadcast elementwise kernel, IEEE 754-2019 maximum; VJP splits ties g/2");
VT_CUDA_BINARY(minimum, Minimum, MinimumOp,
               "broadcast elementwise kernel, IEEE 754-2019 minimum; VJP splits ties g/2");
VT_CUDA_BINARY(pow, Pow, PowOp,
               "broadcast elementwise kernel, CUDA pow (float32 in double, rounded once); VJP "
               "from ŷ/a and ŷ·log a (float64, wide-exponent fallback) or in double (float32)");

}  // namespace

void add_device(DType dtype, void* out, const void* a, const void* b, std::int64_t n) {
  const std::string op = "add";
  if (n <= 0) return;
  auto flat = [n](const void* p) {
    TensorArg t;
    t.data = const_cast<void*>(p);
    t.ndim = 1;
    t.numel = n;
    t.shape[0] = n;
    t.strides[0] = 1;
    t.contiguous = true;
    return t;
  };
  const std::vector<TensorArg> args = {flat(out), flat(a), flat(b)};
  dispatch_float(dtype, op, [&]<class T>() { launch_map<T, 2>(op, Add<T>{}, args); });
}

}  // namespace vt::cuda
