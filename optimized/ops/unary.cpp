// optimized/ops/unary.cpp — float32/float64 unary elementwise ops (neg, abs, sqrt, relu, exp,
// log, tanh, sigmoid, gelu), their VJPs (section "VJPs") and second-order VJPs ("Second order").
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

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <utility>

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

// ---- VJPs ---------------------------------------------------------------------------------------
// Shaped like the forwards: one scalar functor per op over (g, x), (g, y) or (g, y, x) in the same
// loop engine, so the single-operation ones (neg, abs, relu, sqrt, log, tanh, sigmoid) vectorize
// on the unit-stride path; exp's overflow fallback and gelu's erfc/exp are scalar calls. Where the
// formula uses the forward output (exp: g·y, sqrt: g/(2y), tanh: g·(1 − y²), sigmoid: g·y(1 − y),
// relu: y ≤ 0) the functor reads the output this backend computed, as PyTorch does; float32
// evaluates its few operations in double (exact products of floats) and rounds once.
// Error analyses: verify/ops/unary.cpp.

template <class T>
struct NegGrad {
  T operator()(T g) const { return -g; }
};
// g·sign(x): ±g, g·0 = ±0 at x = ±0 (sign of g), NaN for NaN x — the reference's values exactly.
template <class T>
struct AbsGrad {
  T operator()(T g, T x) const {
    return x > T(0) ? g : (x < T(0) ? -g : (x == T(0) ? g * T(0) : x));
  }
};
// g/(2ŷ): 2ŷ = ŷ + ŷ is exact (ŷ ≤ √max cannot overflow); ŷ = 0 gives ±inf (NaN for g = 0).
template <class T>
struct SqrtGrad {
  T operator()(T g, T y) const { return g / (y + y); }
};
// g/x: one correctly rounded division.
template <class T>
struct LogGrad {
  T operator()(T g, T x) const { return g / x; }
};
// y ≤ 0 ? +0 : g, on the output like PyTorch's threshold_backward (a NaN output passes g).
template <class T>
struct ReluGrad {
  T operator()(T g, T y) const { return y <= T(0) ? T(0) : g; }
};

// g·ŷ. Where ŷ overflowed to inf for a finite x, g·e^x may still be finite (|g| < 1), so that
// element is recomputed in a wider type: double for float32, long double (15-bit exponent) for
// float64, and rounded once.
template <class T>
struct ExpGrad;
template <>
struct ExpGrad<float> {
  float operator()(float g, float y, float x) const {
    if (std::isinf(y) && std::isfinite(x)) [[unlikely]]
      return static_cast<float>(static_cast<double>(g) * std::exp(static_cast<double>(x)));
    return g * y;
  }
};
template <>
struct ExpGrad<double> {
  double operator()(double g, double y, double x) const {
    if (std::isinf(y) && std::isfinite(x)) [[unlikely]]
      return static_cast<double>(static_cast<long double>(g) *
                                 std::exp(static_cast<long double>(x)));
    return g * y;
  }
};

// g·(1 − ŷ²). float32: ŷ² is exact in double and so is 1 − ŷ² (a multiple of 2^-48 below 1, or
// 1 − tiny rounded at 2^-53); g·(…) rounded in double, then once to float. float64: one fma
// gives 1 − ŷ² rounded once.
template <class T>
struct TanhGrad;
template <>
struct TanhGrad<float> {
  float operator()(float g, float y) const {
    const double yd = y;
    return static_cast<float>(static_cast<double>(g) * (1.0 - yd * yd));
  }
};
template <>
struct TanhGrad<double> {
  double operator()(double g, double y) const { return g * std::fma(-y, y, 1.0); }
};

// g·ŷ(1 − ŷ): float32 in double (1 − ŷ exact but for ŷ < 2^-29, ŷ(1 − ŷ) and the product with g
// rounded at 2^-53), then once to float; float64 in double (1 − ŷ exact for ŷ ≥ ½, Sterbenz).
template <class T>
struct SigmoidGrad;
template <>
struct SigmoidGrad<float> {
  float operator()(float g, float y) const {
    const double yd = y;
    return static_cast<float>(static_cast<double>(g) * (yd * (1.0 - yd)));
  }
};
template <>
struct SigmoidGrad<double> {
  double operator()(double g, double y) const { return g * (y * (1.0 - y)); }
};

// gelu'(x) = Φ(x) + x·φ(x), Φ(x) = ½·erfc(−x/√2), φ(x) = e^{−x²/2}/√(2π); at ±inf the limits
// 1 and 0, as the reference. float32: in double (x² exact), rounded once. float64: the rounding of
// −x/√2 moves Φ by at most γ2·|x|φ(x) (erfc' = −2/√π·e^{−z²}), the size of the second term's own
// rounding, so erfc is called plainly; but e^{−x²/2} would inherit x²/2 times the rounding of x²,
// so x² = h + l exactly (fma) and e^{−x²/2} = e^{−h/2}·(1 − l/2) to first order (|l/2| ≤ 2^-54·x²,
// the neglected term l²/8 ≤ 2^-98 relative for |x| < 40). Beyond |x| = 40, φ underflows to 0 in
// double: x is clamped there so that x² never overflows into inf·0.
constexpr double kInvSqrt2Pi = 0.3989422804014327;  // RN(1/√(2π))

template <class T>
struct GeluGrad;
template <>
struct GeluGrad<float> {
  float operator()(float g, float xf) const {
    if (std::isinf(xf)) return xf > 0 ? g : g * 0.0f;
    const double x = xf;
    const double cdf = 0.5 * std::erfc(-x * 0.70710678118654752440);
    const double pdf = std::exp(-0.5 * (x * x)) * kInvSqrt2Pi;
    return static_cast<float>(static_cast<double>(g) * (cdf + x * pdf));
  }
};
template <>
struct GeluGrad<double> {
  double operator()(double g, double x) const {
    if (std::isinf(x)) return x > 0 ? g : g * 0.0;
    const double cdf = 0.5 * std::erfc(-x * kInvSqrt2Hi);
    const double xc = std::fabs(x) < 40.0 ? x : std::copysign(40.0, x);
    const double h = xc * xc;
    const double l = std::fma(xc, xc, -h);
    const double pdf_x = (xc * kInvSqrt2Pi) * (std::exp(-0.5 * h) * (1.0 - 0.5 * l));
    return g * (cdf + pdf_x);
  }
};

// Which tensors a VJP functor reads after g: the forward input x, the forward output y, or both.
// `none`: the second-order functor of an op whose f'' is 0 (nothing is read; zeros are written).
enum class Reads { none, g_only, x, y, y_and_x };

template <class T, template <class> class F, Reads R>
void unary_vjp_t(const Tensor& grad, const Tensor& g, const Tensor& x, const Tensor& y) {
  if constexpr (R == Reads::g_only)
    elementwise<T, 1>(grad, {g}, F<T>{});
  else if constexpr (R == Reads::x)
    elementwise<T, 2>(grad, {g, x}, F<T>{});
  else if constexpr (R == Reads::y)
    elementwise<T, 2>(grad, {g, y}, F<T>{});
  else
    elementwise<T, 3>(grad, {g, y, x}, F<T>{});
}

/// grad_inputs[0] = f'(x)·g for float32/float64; an undefined g means zero.
template <template <class> class F, Reads R>
void unary_vjp(BackwardCall& bc) {
  Tensor& grad = bc.grad_inputs.at(0);
  if (!grad.defined()) return;
  const Tensor& g = bc.grad_outputs.at(0);
  if (!g.defined()) {
    grad.copy_from(Tensor::empty({}, grad.dtype()));  // zero
    return;
  }
  const Tensor& x = bc.forward->inputs.at(0);
  const Tensor& y = bc.forward->outputs.at(0);
  switch (grad.dtype()) {
    case DType::f32:
      unary_vjp_t<float, F, R>(grad, g, x, y);
      break;
    case DType::f64:
      unary_vjp_t<double, F, R>(grad, g, x, y);
      break;
    default:
      throw Error("", {grad.shape()},
                  "optimized backend supports float32 and float64, not " +
                      std::string(dtype_name(grad.dtype())));
  }
}

// ---- Second order ------------------------------------------------------------------------------
// grad_grad_outputs[0] = w·f'(x) is the first-order functor applied to w (same loop, same values
// as the VJP of w). grad_inputs[0] = w·v·f''(x) is one functor per op over (w, v, ŷ), (w, v, x) or
// (w, v, ŷ, x), reading the forward output where PyTorch's double backward does (sqrt, exp, tanh,
// sigmoid: f'' written in y), x otherwise (log, gelu); neg, abs, relu have f'' = 0 and write +0.
// float32 evaluates in double, where w·v and ŷ² are exact and nothing overflows or underflows,
// and rounds once; float64 orders its operations so that no intermediate overflows or underflows
// unless the result does. Error analyses: verify/ops/unary.cpp ("second-order bounds").

// −w·v/(4ŷ³). float32: 4ŷ² exact in double, one rounding for ·ŷ, one for the quotient. float64:
// ((w·v)/(4ŷ)/ŷ)/ŷ — the magnitudes move monotonically towards the result's, so an intermediate
// only overflows (underflows) where the result does (or its underflow is divided by ŷ ≥ 1 later).
// ŷ = ±0 gives ∓inf·sign(w·v) as the reference's −(w·v)/(4·(±0)³) does.
template <class T>
struct SqrtGrad2;
template <>
struct SqrtGrad2<float> {
  float operator()(float w, float v, float y) const {
    const double yd = y;
    return static_cast<float>(-(static_cast<double>(w) * v) / (4.0 * yd * yd * yd));
  }
};
template <>
struct SqrtGrad2<double> {
  double operator()(double w, double v, double y) const {
    return -((((w * v) / (4.0 * y)) / y) / y);
  }
};

// w·v·ŷ, with the first-order VJP's fallback where ŷ overflowed for a finite x: w·v·e^x in a wider
// type (double for float32, long double for float64), rounded once.
template <class T>
struct ExpGrad2;
template <>
struct ExpGrad2<float> {
  float operator()(float w, float v, float y, float x) const {
    const double wv = static_cast<double>(w) * v;  // exact
    if (std::isinf(y) && std::isfinite(x)) [[unlikely]]
      return static_cast<float>(wv * std::exp(static_cast<double>(x)));
    return static_cast<float>(wv * y);
  }
};
template <>
struct ExpGrad2<double> {
  double operator()(double w, double v, double y, double x) const {
    if (std::isinf(y) && std::isfinite(x)) [[unlikely]]
      return static_cast<double>(static_cast<long double>(w) * static_cast<long double>(v) *
                                 std::exp(static_cast<long double>(x)));
    return (w * v) * y;
  }
};

// −w·v/x². float32: w·v and x² exact in double, one division, rounded once. float64: ((w·v)/x)/x,
// whose intermediates move monotonically towards the result (no spurious overflow of x²).
template <class T>
struct LogGrad2;
template <>
struct LogGrad2<float> {
  float operator()(float w, float v, float x) const {
    const double xd = x;
    return static_cast<float>(-(static_cast<double>(w) * v) / (xd * xd));
  }
};
template <>
struct LogGrad2<double> {
  double operator()(double w, double v, double x) const { return -(((w * v) / x) / x); }
};

// w·v·(−2ŷ)·(1 − ŷ²). float32: in double (w·v, −2ŷ and ŷ² exact, 1 − ŷ² exact for |ŷ| ≥ ⅛),
// rounded once; float64: 1 − ŷ² by one fma, three more roundings.
template <class T>
struct TanhGrad2;
template <>
struct TanhGrad2<float> {
  float operator()(float w, float v, float y) const {
    const double yd = y;
    return static_cast<float>((static_cast<double>(w) * v) * (-2.0 * yd) * (1.0 - yd * yd));
  }
};
template <>
struct TanhGrad2<double> {
  double operator()(double w, double v, double y) const {
    return ((w * v) * (-2.0 * y)) * std::fma(-y, y, 1.0);
  }
};

// w·v·ŷ(1 − ŷ)(1 − 2ŷ). float32 in double, rounded once; float64 in double (1 − ŷ exact for
// ŷ ≥ ½, 1 − 2ŷ for ŷ ≥ ¼, Sterbenz).
template <class T>
struct SigmoidGrad2;
template <>
struct SigmoidGrad2<float> {
  float operator()(float w, float v, float y) const {
    const double yd = y;
    return static_cast<float>((static_cast<double>(w) * v) *
                              ((yd * (1.0 - yd)) * (1.0 - 2.0 * yd)));
  }
};
template <>
struct SigmoidGrad2<double> {
  double operator()(double w, double v, double y) const {
    return (w * v) * ((y * (1.0 - y)) * (1.0 - 2.0 * y));
  }
};

// w·v·φ(x)·(2 − x²); at ±inf the limit 0, as the reference. float32: in double (x² exact, x² of a
// float cannot overflow), rounded once. float64: x² = h + l exactly (fma), so 2 − x² = (2 − h) − l
// loses nothing to cancellation near x = √2 (2 − h is exact there, Sterbenz) and e^{−x²/2} =
// e^{−h/2}·(1 − l/2) to first order, as in the first-order VJP. For |x| ≥ 40 the result is below
// 2^-1100·|w·v| — ±0 — and x² might overflow: that range returns −(w·v)·0 (the sign of
// w·v·φ·(2 − x²)) directly.
template <class T>
struct GeluGrad2;
template <>
struct GeluGrad2<float> {
  float operator()(float w, float v, float xf) const {
    if (std::isinf(xf)) return -(w * v) * 0.0f;
    const double x = xf, x2 = x * x;
    const double pdf = std::exp(-0.5 * x2) * kInvSqrt2Pi;
    return static_cast<float>((static_cast<double>(w) * v) * (pdf * (2.0 - x2)));
  }
};
template <>
struct GeluGrad2<double> {
  double operator()(double w, double v, double x) const {
    if (std::fabs(x) >= 40.0) return -(w * v) * 0.0;  // also ±inf; NaN takes the formula
    const double h = x * x;
    const double l = std::fma(x, x, -h);
    const double pdf = (std::exp(-0.5 * h) * (1.0 - 0.5 * l)) * kInvSqrt2Pi;
    return (w * v) * (pdf * ((2.0 - h) - l));
  }
};

template <class T, template <class> class F, Reads R>
void unary_vjp2_t(const Tensor& out, const Tensor& w, const Tensor& v, const Tensor& x,
                  const Tensor& y) {
  if constexpr (R == Reads::x)
    elementwise<T, 3>(out, {w, v, x}, F<T>{});
  else if constexpr (R == Reads::y)
    elementwise<T, 3>(out, {w, v, y}, F<T>{});
  else
    elementwise<T, 4>(out, {w, v, y, x}, F<T>{});
}

/// Second order for float32/float64: grad_inputs[0] = w·v·f''(x) (functor F2 reading R2),
/// grad_grad_outputs[0] = w·f'(x) (the first-order functor F1 reading R1); an undefined v or w
/// means zero, as does R2 == Reads::none (f'' = 0).
template <template <class> class F1, Reads R1, template <class> class F2, Reads R2>
void unary_vjp2(DoubleBackwardCall& dc) {
  const Tensor none;
  const Tensor& x = dc.forward->inputs.at(0);
  const Tensor& y = dc.forward->outputs.at(0);
  const Tensor& v = dc.grad_outputs.empty() ? none : dc.grad_outputs[0];
  const Tensor& w = dc.grad_grad_inputs.empty() ? none : dc.grad_grad_inputs[0];
  const DType dt = y.dtype();
  if (dt != DType::f32 && dt != DType::f64)
    throw Error(
        "", {y.shape()},
        "optimized backend supports float32 and float64, not " + std::string(dtype_name(dt)));
  const bool f32 = dt == DType::f32;
  if (!dc.grad_inputs.empty() && dc.grad_inputs[0].defined()) {
    Tensor& h = dc.grad_inputs[0];
    if constexpr (R2 == Reads::none) {
      h.copy_from(Tensor::empty({}, h.dtype()));  // +0
    } else {
      if (!w.defined() || !v.defined())
        h.copy_from(Tensor::empty({}, h.dtype()));
      else if (f32)
        unary_vjp2_t<float, F2, R2>(h, w, v, x, y);
      else
        unary_vjp2_t<double, F2, R2>(h, w, v, x, y);
    }
  }
  if (!dc.grad_grad_outputs.empty() && dc.grad_grad_outputs[0].defined()) {
    Tensor& k = dc.grad_grad_outputs[0];
    if (!w.defined())
      k.copy_from(Tensor::empty({}, k.dtype()));
    else if (f32)
      unary_vjp_t<float, F1, R1>(k, w, x, y);
    else
      unary_vjp_t<double, F1, R1>(k, w, x, y);
  }
}

// Stands in for F2 where R2 == Reads::none (never instantiated as a functor).
template <class T>
struct ZeroGrad2 {};

void neg_forward(OpCall& c) { elementwise_call<Neg, 1>(c, "neg"); }
void abs_forward(OpCall& c) { elementwise_call<Abs, 1>(c, "abs"); }
void sqrt_forward(OpCall& c) { elementwise_call<Sqrt, 1>(c, "sqrt"); }
void relu_forward(OpCall& c) { elementwise_call<Relu, 1>(c, "relu"); }
void exp_forward(OpCall& c) { elementwise_call<Exp, 1>(c, "exp"); }
void log_forward(OpCall& c) { elementwise_call<Log, 1>(c, "log"); }
void tanh_forward(OpCall& c) { elementwise_call<Tanh, 1>(c, "tanh"); }
void sigmoid_forward(OpCall& c) { elementwise_call<Sigmoid, 1>(c, "sigmoid"); }
void gelu_forward(OpCall& c) { elementwise_call<Gelu, 1>(c, "gelu"); }

#define VT_OPTIMIZED_UNARY(name, grad_functor, reads, grad2_functor, reads2, how)            \
  VT_REGISTER_OPTIMIZED_VJP2(name, "loop", name##_forward, (unary_vjp<grad_functor, reads>), \
                             (unary_vjp2<grad_functor, reads, grad2_functor, reads2>), how)

VT_OPTIMIZED_UNARY(neg, NegGrad, Reads::g_only, ZeroGrad2, Reads::none,
                   "vectorized loop, threaded over chunks; second order −w (and 0)");
VT_OPTIMIZED_UNARY(abs, AbsGrad, Reads::x, ZeroGrad2, Reads::none,
                   "vectorized loop, threaded over chunks; second order w·sign(x) (and 0)");
VT_OPTIMIZED_UNARY(sqrt, SqrtGrad, Reads::y, SqrtGrad2, Reads::y,
                   "vectorized loop (vsqrtps/vsqrtpd), threaded over chunks; VJP g/(2y); second "
                   "order −w·v/(4y³) and w/(2y)");
VT_OPTIMIZED_UNARY(relu, ReluGrad, Reads::y, ZeroGrad2, Reads::none,
                   "vectorized loop with NaN-propagating select; second order w·(y > 0) (and 0)");
VT_OPTIMIZED_UNARY(exp, ExpGrad, Reads::y_and_x, ExpGrad2, Reads::y_and_x,
                   "loop over glibc expf/exp; VJP g·y; second order w·v·y and w·y");
VT_OPTIMIZED_UNARY(log, LogGrad, Reads::x, LogGrad2, Reads::x,
                   "loop over glibc logf/log; VJP g/x; second order −w·v/x² and w/x");
VT_OPTIMIZED_UNARY(tanh, TanhGrad, Reads::y, TanhGrad2, Reads::y,
                   "loop over glibc tanh (float32 via double); VJP g·(1 − y²); second order "
                   "−2w·v·y(1 − y²) and w·(1 − y²)");
VT_OPTIMIZED_UNARY(sigmoid, SigmoidGrad, Reads::y, SigmoidGrad2, Reads::y,
                   "glibc exp of −|x|, corrected quotient; float32 via double; VJP g·y(1 − y); "
                   "second order w·v·y(1 − y)(1 − 2y) and w·y(1 − y)");
VT_OPTIMIZED_UNARY(gelu, GeluGrad, Reads::x, GeluGrad2, Reads::x,
                   "erfc form; float64 with argument-error correction, float32 via double; VJP "
                   "g·(Φ(x) + x·φ(x)); second order w·v·φ(x)(2 − x²) and w·(Φ + xφ)");

}  // namespace
}  // namespace vt::opt
