// optimized/ops/unary.cpp — float32/float64 unary elementwise ops (neg, abs, sqrt, relu, exp,
// log, tanh, sigmoid, gelu).
// Shaped this way because: a scalar functor per op plugged into the one loop engine
// (optimized/core/loops.hpp), whose unit-stride loop GCC vectorizes for the single-instruction
// ops. Checked with -fopt-info-vec-optimized on this file (GCC 12, -O3 -march=native): the
// neg, abs, sqrt and relu loops vectorize with 64-byte vectors (vsqrtps/vsqrtpd for sqrt);
// the transcendentals call glibc's scalar functions per element (libmvec is only reachable with
// -ffast-math or OpenMP, which the project does not use).
// Accuracy (error analysis and measurements in verify/ops/unary.cpp): neg, abs, sqrt and relu
// are one correctly rounded operation (exact class); exp and log are glibc's expf/logf and
// exp/log, tanh glibc's tanh; sigmoid and gelu in float32 are evaluated in double and
// rounded once (as is tanh in float32); gelu in float64 corrects the rounding of its erfc
// argument.
// What it is not: a vector math library — no polynomial approximations of our own.
#include "optimized/core/loops.hpp"

#include <cmath>
#include <limits>

// sqrt vectorizes (vsqrtps/vsqrtpd) because the project builds with -fno-math-errno.

namespace vt::opt {
namespace {

template <class T>
struct Neg {
  T operator()(T x) const { return -x; }
};
// fabs clears the sign bit: abs(−0) = +0, NaN stays NaN.
template <class T>
struct Abs {
  T operator()(T x) const { return std::fabs(x); }
};
template <class T>
struct Sqrt {
  T operator()(T x) const {
    if constexpr (sizeof(T) == sizeof(float))
      return ::sqrtf(x);
    else
      return ::sqrt(x);
  }
};
// relu(x) = x for x > 0 and for NaN x (x != x), +0 otherwise (relu(−0) = +0).
template <class T>
struct Relu {
  T operator()(T x) const { return (x > T(0) || x != x) ? x : T(0); }
};
// glibc expf/exp and logf/log (std:: overloads on float call the float functions).
template <class T>
struct Exp {
  T operator()(T x) const { return std::exp(x); }
};
template <class T>
struct Log {
  T operator()(T x) const { return std::log(x); }
};
// tanh: float32 is evaluated with glibc's double tanh and rounded once (≤ 0.5 + 2^-26 ulp)
// because glibc 2.36's tanhf reaches 2.13 ulp (measured; verify/ops/unary.cpp); float64 is
// glibc's tanh.
template <class T>
struct Tanh;
template <>
struct Tanh<float> {
  float operator()(float x) const { return static_cast<float>(std::tanh(static_cast<double>(x))); }
};
template <>
struct Tanh<double> {
  double operator()(double x) const { return std::tanh(x); }
};

// σ(x) = 1/(1 + e^{−x}) for x ≥ 0 and e^{x}/(1 + e^{x}) for x < 0, i.e. n/(1 + e) with
// e = e^{−|x|} ≤ 1, so nothing overflows. The sum s = 1 + e is kept exactly as s + s_lo
// (Fast2Sum, 1 ≥ e) and the quotient is corrected with its exact remainder fma(−q, s, n), so the
// only errors left are glibc exp's (≤ 0.51 ulp of e) and the final rounding.
// NaN: exp(NaN) = NaN propagates through every step.
inline double sigmoid_double(double x) {
  const double e = std::exp(-std::fabs(x));
  const double n = x >= 0 ? 1.0 : e;
  const double s = 1.0 + e;
  const double s_lo = e - (s - 1.0);
  const double q = n / s;
  const double r = std::fma(-q, s, n);  // n − q·s, exact
  return q + (r - q * s_lo) / s;        // n/(s + s_lo) to first order in s_lo/s ≤ 2^-53
}
template <class T>
struct Sigmoid;
// float32: evaluated in double (≤ 1.52 ulp of 2^-53) and rounded once to float.
template <>
struct Sigmoid<float> {
  float operator()(float x) const { return static_cast<float>(sigmoid_double(x)); }
};
template <>
struct Sigmoid<double> {
  double operator()(double x) const { return sigmoid_double(x); }
};

// gelu(x) = ½·x·erfc(−x/√2). float32: evaluated in double and rounded once; the rounding of
// the argument z = −x/√2 costs a relative 2z²·2^-53 ≤ 2^-45 over the range where float gelu
// does not underflow (|x| ≤ 15), far below float's 2^-24.
template <class T>
struct Gelu;
template <>
struct Gelu<float> {
  float operator()(float xf) const {
    const double x = xf;
    if (std::isinf(x)) return x > 0 ? xf : -0.0f;
    return static_cast<float>(0.5 * x * std::erfc(-x * 0.70710678118654752440));
  }
};

// float64: z = RN(−x·c_hi) differs from the exact −x/√2 by e, and erfc amplifies a relative
// argument error by 2z² for large z (≈ 1400 near the underflow at x ≈ −37.5). So e is
// recovered — exactly for the product (fma) plus the tiny −x·c_lo term for c_hi + c_lo = 1/√2 —
// and erfc(z + e) ≈ erfc(z) − e·(2/√π)·e^{−z²} (the neglected second-order term is relatively
// ≈ 2z⁴u² ≤ 2^-85). The correction enters through one fma with ½x, so glibc erfc's error and a
// single rounding are all that remain. For x < −37 erfc(z) would be subnormal in double and lose
// its relative accuracy before the multiplication by ½x, so that tail is evaluated the same way
// in long double (64-bit significand, 15-bit exponent: nothing underflows) and rounded once.
constexpr double kInvSqrt2Hi = 0.70710678118654757;      // RN(1/√2)
constexpr double kInvSqrt2Lo = -4.8336466567264567e-17;  // RN(1/√2 − kInvSqrt2Hi)
constexpr double kTwoOverSqrtPi = 1.1283791670955126;    // 2/√π (its rounding is irrelevant)

// zhi + zlo = −x/√2 to ≈ 2^-106 relative.
double gelu_tail_long_double(double x, double zhi, double zlo) {
  using L = long double;
  const L z = L(zhi) + L(zlo);
  const L r = L(zlo) - (z - L(zhi));  // zhi + zlo − z: z − zhi is exact (Sterbenz)
  const L erfc_z = std::erfc(z) - r * 1.12837916709551257390L * std::exp(-z * z);
  return static_cast<double>(0.5L * L(x) * erfc_z);
}

template <>
struct Gelu<double> {
  double operator()(double x) const {
    if (!std::isfinite(x)) return x == -std::numeric_limits<double>::infinity() ? -0.0 : x;
    const double z = -x * kInvSqrt2Hi;
    const double e = std::fma(-x, kInvSqrt2Hi, -z) + (-x) * kInvSqrt2Lo;
    if (x < -37.0) return gelu_tail_long_double(x, z, e);
    const double hx = 0.5 * x;
    const double correction = e * kTwoOverSqrtPi * std::exp(-z * z);
    return std::fma(hx, std::erfc(z), -hx * correction);
  }
};

void neg_forward(OpCall& c) { elementwise_call<Neg, 1>(c, "neg"); }
void abs_forward(OpCall& c) { elementwise_call<Abs, 1>(c, "abs"); }
void sqrt_forward(OpCall& c) { elementwise_call<Sqrt, 1>(c, "sqrt"); }
void relu_forward(OpCall& c) { elementwise_call<Relu, 1>(c, "relu"); }
void exp_forward(OpCall& c) { elementwise_call<Exp, 1>(c, "exp"); }
void log_forward(OpCall& c) { elementwise_call<Log, 1>(c, "log"); }
void tanh_forward(OpCall& c) { elementwise_call<Tanh, 1>(c, "tanh"); }
void sigmoid_forward(OpCall& c) { elementwise_call<Sigmoid, 1>(c, "sigmoid"); }
void gelu_forward(OpCall& c) { elementwise_call<Gelu, 1>(c, "gelu"); }

#define VT_OPTIMIZED_UNARY(name, how) VT_REGISTER_OPTIMIZED(name, "loop", name##_forward, how)

VT_OPTIMIZED_UNARY(neg, "vectorized loop, threaded over chunks");
VT_OPTIMIZED_UNARY(abs, "vectorized loop, threaded over chunks");
VT_OPTIMIZED_UNARY(sqrt, "vectorized loop (vsqrtps/vsqrtpd), threaded over chunks");
VT_OPTIMIZED_UNARY(relu, "vectorized loop with NaN-propagating select");
VT_OPTIMIZED_UNARY(exp, "loop over glibc expf/exp");
VT_OPTIMIZED_UNARY(log, "loop over glibc logf/log");
VT_OPTIMIZED_UNARY(tanh, "loop over glibc tanh (float32 via double)");
VT_OPTIMIZED_UNARY(sigmoid, "glibc exp of −|x|, corrected quotient; float32 via double");
VT_OPTIMIZED_UNARY(gelu, "erfc form; float64 with argument-error correction, float32 via double");

}  // namespace
}  // namespace vt::opt
