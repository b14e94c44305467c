// cuda/ops/unary.cu — float32/float64 unary elementwise ops on the GPU and their VJPs: neg, abs,
// sqrt, relu (exact class) and exp, log, tanh, sigmoid, gelu (ulp class).
// Shaped this way because: one device functor per op, run by the one elementwise launcher
// (cuda/core/map.cuh: 16-byte vector loads on contiguous aligned data, a general strided kernel
// otherwise), so an op is its functor and a registration line. Each functor mirrors the optimized
// backend's (optimized/ops/unary.cpp) formula, special values and branches.
// Accuracy (verify/ops/unary.cpp): neg, abs, sqrt and relu are one correctly rounded operation
// (exact class): CUDA's sqrtf/sqrt are IEEE round-to-nearest (nvcc's default -prec-sqrt=true).
// The transcendentals call CUDA's libdevice functions, whose documented maximum errors (CUDA C++
// Programming Guide, "Mathematical Functions"; stated there as the distance in ulps from the
// correctly rounded result, from extensive but not exhaustive tests) are, in double: exp 1,
// log 1, tanh 1, erfc 4, erfcx 3, and in float: expf 2, logf 1, tanhf 2, erfcf 4. float32 never
// uses the float functions: every float32 transcendental is evaluated in double and rounded once
// (the double value is within ≤ 10·2^-53 relative, gelu's erfc being the worst, so the float
// result is within 0.5 + 2^-25 ulp — the float functions' 1 to 4 ulps would break k = 1). float64
// calls the double functions with the CPU's formulas — but exp and log (1 ulp from the correctly
// rounded value, so up to 1.5 ulp from the exact one, above the spec's k = 1 and the 1-ulp exp the
// sigmoid and gelu bounds assume) are cuda/core/dd_math.hpp's, within 0.5 ulp + 2^-41 ulp and
// tested against binary128 on the host (tests/dd_math.cpp); where the CPU falls back to long double
// (ExpGrad when ŷ overflowed, gelu below x = −37) a double-only equivalent scales by a power of two
// (exp_split below; error analyses beside each).
// What it is not: second order (the CPU backends carry it; the cuda column shows "·"), nor a
// vector math library of its own (no polynomial approximations here).
#include "cuda/core/dd_math.hpp"
#include "cuda/core/device_call.hpp"
#include "cuda/core/map.cuh"
#include "optimized/core/loops.hpp"

#include <vector>

namespace vt::cuda {
namespace {

template <class T>
struct Neg {
  __device__ T operator()(T x) const { return -x; }
};
template <class T>
struct Abs {  // clears the sign bit: abs(−0) = +0, NaN stays NaN
  __device__ T operator()(T x) const { return fabs(x); }
};
template <class T>
struct Sqrt {
  __device__ T operator()(T x) const { return sqrt(x); }
};
template <class T>
struct Relu {  // x for x > 0 and for NaN, +0 otherwise (relu(−0) = +0)
  __device__ T operator()(T x) const { return (x > T(0) || x != x) ? x : T(0); }
};

// ---- transcendental forwards ------------------------------------------------------------------
// float32: the double function rounded once. Special values follow from the double functions:
// exp(−inf) = +0, exp(+inf) = +inf, exp(x > 88.72f) rounds to +inf in the conversion; log(±0) =
// −inf, log(x < 0) = NaN, log(+inf) = +inf; tanh(±0) = ±0, tanh(±inf) = ±1; NaN → NaN.
template <class T>
struct Exp;
template <>
struct Exp<float> {
  __device__ float operator()(float x) const {
    return static_cast<float>(exp(static_cast<double>(x)));
  }
};
template <>
struct Exp<double> {
  __device__ double operator()(double x) const { return dd::exp_f64(x); }
};
template <class T>
struct Log;
template <>
struct Log<float> {
  __device__ float operator()(float x) const {
    return static_cast<float>(log(static_cast<double>(x)));
  }
};
template <>
struct Log<double> {
  __device__ double operator()(double x) const { return dd::log_f64(x); }
};
template <class T>
struct Tanh;
template <>
struct Tanh<float> {
  __device__ float operator()(float x) const {
    return static_cast<float>(tanh(static_cast<double>(x)));
  }
};
template <>
struct Tanh<double> {
  __device__ double operator()(double x) const { return tanh(x); }
};

// σ(x) = n/(1 + e), e = e^{−|x|} ≤ 1, n = 1 for x ≥ 0 and e for x < 0: the CPU's sigmoid_double
// operation for operation (Fast2Sum of 1 + e, the quotient corrected by its exact remainder
// fma(−q, s, n)), so only exp's error and the final rounding are left. NaN propagates through e.
__device__ __forceinline__ double sigmoid_double(double x) {
  const double e = dd::exp_f64(-fabs(x));
  const double n = x >= 0 ? 1.0 : e;
  const double s = 1.0 + e;
  const double s_lo = e - (s - 1.0);
  const double q = n / s;
  const double r = fma(-q, s, n);  // n − q·s, exact
  return q + (r - q * s_lo) / s;   // n/(s + s_lo) to first order in s_lo/s ≤ 2^-53
}
template <class T>
struct Sigmoid;
template <>
struct Sigmoid<float> {
  __device__ float operator()(float x) const {
    return static_cast<float>(sigmoid_double(static_cast<double>(x)));
  }
};
template <>
struct Sigmoid<double> {
  __device__ double operator()(double x) const { return sigmoid_double(x); }
};

constexpr double kInvSqrt2Hi = 0.70710678118654757;      // RN(1/√2)
constexpr double kInvSqrt2Lo = -4.8336466567264567e-17;  // RN(1/√2 − kInvSqrt2Hi)
constexpr double kTwoOverSqrtPi = 1.1283791670955126;    // 2/√π (its rounding is irrelevant)
constexpr double kInvSqrt2Pi = 0.3989422804014327;       // RN(1/√(2π))
constexpr double kLn2Hi = 0.6931471805599453;            // RN(ln 2) = 0x1.62e42fefa39efp-1
constexpr double kLn2Lo = 2.3190468138462996e-17;        // RN(ln 2 − kLn2Hi)
constexpr double kInvLn2 = 1.4426950408889634;           // RN(1/ln 2)

/// e^a = E·(1 + c)·2^k for |a| ∈ [512, 16384] (the only arguments it is given): the double
/// stand-in for the CPU's long double exp where e^a itself overflows or is subnormal.
/// - k = rint(a/ln2) (|k| ≤ 23637) and r = a − k·ln2_hi by one fma, exactly: a is a multiple of
///   ulp(a) ≥ 2^-43, k·ln2_hi of 2^-53, and |r| ≤ ln2·(½ + 2^-37) + |k|·|ln2 − ln2_hi| < 0.35, a
///   multiple of 2^-53 below ½ fits 53 bits. The rest of a − k·ln2 is r_lo = −k·ln2_lo, |r_lo| ≤
///   2^-40, computed to 2^-93 (one product, ln2_lo's own rounding).
/// - E = exp(r) ∈ [0.70, 1.42] carries CUDA exp's error; it is measured back through log: with
///   d = r − log(E) (|d| ≤ 2^-50, exp's error and log's; exact by Sterbenz unless |r| < 2^-51,
///   where it rounds at ≤ 2^-103), e^r = E·e^d up to log's own error, ≤ 1.5·ulp(log E) ≤
///   1.5·2^-54 = 0.75u absolute in the exponent (u = 2^-53; CUDA's 1-ulp bound is from the
///   correctly rounded value, hence 1.5).
///   So exp's error (documented 1 ulp, i.e. ≤ 3u relative) is replaced by log's (dd::log_f64:
///   ≤ 0.5u + 2^-94, below the 0.75u assumed here).
/// - c = e^t − 1 for t = r_lo + d (|t| ≤ 2^-39.9) as t + t²/2 (one fma; t³/6 < 2^-118), both
///   roundings ≤ 2^-92 relative to the result.
/// Together: E·(1 + c)·2^k = e^a·(1 + θ), |θ| ≤ 0.75u + 2^-90. NaN or infinite a never reach it.
__device__ __forceinline__ double exp_split(double a, int& k, double& c) {
  const double kd = rint(a * kInvLn2);
  const double r = fma(-kd, kLn2Hi, a);  // exact
  const double r_lo = -kd * kLn2Lo;
  const double e = exp(r);
  const double d = r - dd::log_f64(e);
  const double t = r_lo + d;
  c = fma(0.5 * t, t, t);
  k = static_cast<int>(kd);
  return e;
}

// gelu(x) = ½·x·erfc(−x/√2). float32: in double (the argument's rounding, amplified by 2z² ≤ 225
// over the range where float gelu does not underflow, is ≤ 2^-44 relative; CUDA erfc's 4 ulp is
// ≤ 9·2^-53), rounded once: ≤ 0.5 + 2^-25 ulp. gelu(+inf) = +inf, gelu(−inf) = −0, NaN → NaN.
template <class T>
struct Gelu;
template <>
struct Gelu<float> {
  __device__ float operator()(float xf) const {
    const double x = xf;
    if (isinf(x)) return x > 0 ? xf : -0.0f;
    return static_cast<float>(0.5 * x * erfc(-x * 0.70710678118654752440));
  }
};

// float64, x < −37 (z = −x/√2 > 26.16, where erfc(z) < 2^-990 and turns subnormal near z = 26.5):
// the CPU evaluates the corrected erfc in long double. Here erfc(z) = erfcx(z)·e^{−z²} keeps the
// subnormal out of the intermediates: with z = zhi + e (e the argument's recovered rounding, as in
// the main branch), X = erfcx(zhi) and zhi² = H + L exactly (fma),
//   erfc(zhi + e) = X·e^{−zhi²}·(1 − e·(2/√π)/X)·(1 + O(e²z²)),   e^{−zhi²} = e^{−H}·(1 − L),
// e^{−H} = E·(1 + c)·2^k by exp_split (H ∈ [684, 801]), so gelu = ½x·X·E·(1 + cl)·2^k with
// cl = c − L − e·(2/√π)/X (each term ≤ 2^-40, their roundings ≤ 2^-92, the cross products
// ≤ 2^-81 neglected, as are e²z²·2 ≤ 2^-86 and L²/2 ≤ 2^-89). ½x·X = P + P_lo and P·E = Q + …
// exactly (fma; P_lo·E adds ≤ 2^-104), Q + (Q·cl + Q_lo) rounds once, and ldexp by 2^k is exact
// while the result is normal (x ∈ [−37.7, −37)) or rounds once more to the subnormal grid (η/2).
// Below x = −40 the result is below 10^-347 and rounds to −0.
// Error: X (CUDA erfcx, documented 3 ulp from the correctly rounded value: ≤ 3.5·2^-58 on
// X ∈ [0.0199, 0.0216], i.e. ≤ 5.5u relative) and exp_split (0.75u): ≤ 6.25u + 2^-80 before the
// rounding of the sum. Normal range: ≤ 0.5 ulp + 6.25u relative, i.e. ≤ 3.7 ulp at the bottom of a
// binade, ≤ 6.75 at its top, with every documented bound at its worst at once (spec: k = 6; the
// CPU's long double path measured 0.5012); with erfcx within 1 ulp of the exact value, ≤ 1.7 and
// ≤ 2.9. Subnormal range (x < −37.7): ≤ (7.25u + 2^-80)·2^-1022 + η/2 ≤ 4.2η, η the ulp there.
// Measured on the host (glibc exp/log, a correctly rounded erfcx): ≤ 1.32 ulp over 2e6 points.
__device__ __forceinline__ double gelu_tail(double x, double zhi, double e) {
  if (x < -40.0) return -0.0;
  const double H = zhi * zhi;
  const double L = fma(zhi, zhi, -H);  // zhi² − H, exact
  int k = 0;
  double c = 0;
  const double E = exp_split(-H, k, c);
  const double X = erfcx(zhi);
  const double cl = (c - L) - e * kTwoOverSqrtPi / X;
  const double hx = 0.5 * x;  // exact: |x| ≥ 37
  const double P = hx * X;
  const double P_lo = fma(hx, X, -P);  // hx·X − P, exact
  const double Q = P * E;
  const double Q_lo = fma(P, E, -Q) + P_lo * E;  // (P + P_lo)·E − Q to 2^-104 relative
  return ldexp(Q + fma(Q, cl, Q_lo), k);
}

// float64 main branch (x ≥ −37), the CPU's formula: z = RN(−x·c_hi) differs from −x/√2 by e,
// recovered exactly for the product (fma) plus −x·c_lo; erfc(z + e) ≈ erfc(z) − e·(2/√π)·e^{−z²}
// (residual ≈ 2z⁴u² ≤ 2^-85 relative), entering through one fma with ½x: CUDA erfc's error and
// one rounding remain. erfc's documented 4 ulp (from the correctly rounded value: ≤ 4.5 ulp, ≤ 9u
// relative) passes to the result relatively: ≤ 0.5 + 4.5 ulp at the bottom of the result's binade,
// ≤ 0.5 + 9 at its top, should both worst cases meet (spec: k = 6, from glibc's 5 ulp with the
// same caveat; the CPU measured ≤ 3.54).
template <>
struct Gelu<double> {
  __device__ double operator()(double x) const {
    if (!isfinite(x)) return isinf(x) && x < 0 ? -0.0 : x;
    const double z = -x * kInvSqrt2Hi;
    const double e = fma(-x, kInvSqrt2Hi, -z) + (-x) * kInvSqrt2Lo;
    if (x < -37.0) return gelu_tail(x, z, e);
    const double hx = 0.5 * x;
    const double correction = e * kTwoOverSqrtPi * exp(-z * z);
    return fma(hx, erfc(z), -hx * correction);
  }
};

// VJPs: g·f'(x), reading g and x or the forward's output y (PyTorch's conventions at the kinks).
template <class T>
struct NegGrad {
  __device__ T operator()(T g) const { return -g; }
};
template <class T>
struct AbsGrad {  // g·sign(x), sign(0) = 0 (times g: ±0 or NaN for g = ±inf, as g·0)
  __device__ T operator()(T g, T x) const {
    return x > T(0) ? g : x < T(0) ? -g : x == T(0) ? g * T(0) : x;
  }
};
template <class T>
struct SqrtGrad {  // g/(2y): one correctly rounded division (2y is exact)
  __device__ T operator()(T g, T y) const { return g / (T(2) * y); }
};
template <class T>
struct ReluGrad {
  __device__ T operator()(T g, T y) const { return y <= T(0) ? T(0) : g; }
};

// g/x: one correctly rounded division (IEEE '/', nvcc's default -prec-div=true): exact class.
template <class T>
struct LogGrad {
  __device__ T operator()(T g, T x) const { return g / x; }
};

// g·ŷ, one rounding (float32: one float product). Where ŷ overflowed to inf for a finite x,
// g·e^x may still be finite (|g| < 1), so that element is recomputed: float32 as the CPU does,
// g·exp(x) in double rounded once (so, like the CPU, g = 0 with x ∈ (709.78, 3.4e38] gives
// 0·inf = NaN where the binary128 reference's 0·e^x is 0 below x = 11356.5).
template <class T>
struct ExpGrad;
template <>
struct ExpGrad<float> {
  __device__ float operator()(float g, float y, float x) const {
    if (isinf(y) && isfinite(x))
      return static_cast<float>(static_cast<double>(g) * exp(static_cast<double>(x)));
    return g * y;
  }
};

// float64 (the CPU: long double g·e^x, rounded once). Here, for x ∈ (709.78, 11356.52] and
// finite non-zero g: g = m·2^j exactly (frexp, m ∈ [0.5, 1): a subnormal g loses nothing),
// e^x = E·(1 + c)·2^k (exp_split, ≤ 0.75u + 2^-90 relative), m·E = P + P_lo exactly (fma; P ∈
// [0.35, 1.42], no underflow), g·e^x ≈ (P + (P·c + P_lo))·2^(k+j): one rounding of the sum
// (u), the inner fma's ≤ 2^-93, P_lo·c ≤ 2^-92 neglected; ldexp is exact (|g·e^x| ≥
// 2^-1074·e^709.78 ≈ 2^-50 is never subnormal) or overflows to inf exactly where the rounded
// product does. Total ≤ 1.75u·|t| + 2^-89|t|, inside the spec's |g|·e_y + u|g|(y + e_y) ≥ 2u|t|
// (verify/ops/unary.cpp, exp grad bound) without relying on exp's own accuracy. The special cases
// are the reference's g·e^x in binary128 (whose exp overflows beyond ln(max128) =
// 11356.5234062941439…, above the double kExpOverflowWide): ±0, ±inf and NaN g give g itself below
// it (g·finite > 0), and above it g·inf (NaN for g = 0, ±inf otherwise), as the CPU's long double
// does.
constexpr double kExpOverflowWide = 11356.523406294144;  // RN(ln max of binary128) < ln max
template <>
struct ExpGrad<double> {
  __device__ double operator()(double g, double y, double x) const {
    if (isinf(y) && isfinite(x)) {
      if (x > kExpOverflowWide) return g * y;
      if (!isfinite(g) || g == 0.0) return g;
      int j = 0, k = 0;
      double c = 0;
      const double m = frexp(g, &j);
      const double E = exp_split(x, k, c);
      const double P = m * E;
      const double P_lo = fma(m, E, -P);  // exact
      return ldexp(P + fma(P, c, P_lo), k + j);
    }
    return g * y;
  }
};

// g·(1 − ŷ²). float32: ŷ² and 1 − ŷ² exact in double (or 1 − tiny rounded at 2^-53), the
// product rounded in double, then once to float. float64: one fma gives 1 − ŷ² rounded once.
template <class T>
struct TanhGrad;
template <>
struct TanhGrad<float> {
  __device__ float operator()(float g, float y) const {
    const double yd = y;
    return static_cast<float>(static_cast<double>(g) * (1.0 - yd * yd));
  }
};
template <>
struct TanhGrad<double> {
  __device__ double operator()(double g, double y) const { return g * fma(-y, y, 1.0); }
};

// g·ŷ(1 − ŷ): float32 in double, rounded once; float64 in double (1 − ŷ exact for ŷ ≥ ½).
template <class T>
struct SigmoidGrad;
template <>
struct SigmoidGrad<float> {
  __device__ float operator()(float g, float y) const {
    const double yd = y;
    return static_cast<float>(static_cast<double>(g) * (yd * (1.0 - yd)));
  }
};
template <>
struct SigmoidGrad<double> {
  __device__ double operator()(double g, double y) const { return g * (y * (1.0 - y)); }
};

// gelu'(x) = Φ(x) + x·φ(x), Φ = ½·erfc(−x/√2), φ = e^{−x²/2}/√(2π); at ±inf the limits 1 and 0
// (g and g·0). float32: in double (x² exact), rounded once. float64, the CPU's formula: erfc
// called plainly (the argument's rounding moves Φ by ≤ γ2·|x|φ); x² = h + l exactly (fma) and
// e^{−x²/2} = e^{−h/2}·(1 − l/2); |x| clamped at 40, where φ has underflowed to 0, so that x²
// cannot overflow into inf·0. The spec's bound counts erfc at 5 ulp (CUDA: 4) and exp at 2u
// (CUDA's 1 ulp from the correctly rounded value: ≤ 3u, one u more on the x·φ term, inside the
// bound's γ2·S slack unless every other error is at its worst too).
template <class T>
struct GeluGrad;
template <>
struct GeluGrad<float> {
  __device__ float operator()(float g, float xf) const {
    if (isinf(xf)) return xf > 0 ? g : g * 0.0f;
    const double x = xf;
    const double cdf = 0.5 * erfc(-x * 0.70710678118654752440);
    const double pdf = exp(-0.5 * (x * x)) * kInvSqrt2Pi;
    return static_cast<float>(static_cast<double>(g) * (cdf + x * pdf));
  }
};
template <>
struct GeluGrad<double> {
  __device__ double operator()(double g, double x) const {
    if (isinf(x)) return x > 0 ? g : g * 0.0;
    const double cdf = 0.5 * erfc(-x * kInvSqrt2Hi);
    const double xc = fabs(x) < 40.0 ? x : copysign(40.0, x);
    const double h = xc * xc;
    const double l = fma(xc, xc, -h);
    const double pdf_x = (xc * kInvSqrt2Pi) * (dd::exp_f64(-0.5 * h) * (1.0 - 0.5 * l));
    return g * (cdf + pdf_x);
  }
};

/// out = F(x) over the call's one input and output.
template <template <class> class F>
void unary_forward(OpCall& c, const char* op) {
  const Tensor& out = c.outputs.at(0);
  // The CPU's checks and copies (opt::elementwise_call): a dtype mismatch and a self-overlapping
  // output are errors, an input that partially overlaps the output is read from a host copy.
  const std::vector<Tensor> ins = opt::prepare_elementwise(c.inputs, out, op);
  DeviceCall dc(c, op);
  for (const Tensor& t : ins) dc.read(t);
  dispatch_float(out.dtype(), op,
                 [&]<class T>() { launch_map<T, 1>(op, F<T>{}, dc.map_args(out, {ins.at(0)})); });
  dc.finish();
}

enum class Reads { g_only, x, y, y_and_x };

/// grad_inputs[0] = F(g[, x or y, or y and x]); an undefined g means zero.
template <template <class> class F, Reads R>
void unary_vjp(BackwardCall& bc, const char* op) {
  Tensor& grad = bc.grad_inputs.at(0);
  if (!grad.defined()) return;
  const Tensor& g = bc.grad_outputs.at(0);
  if (!g.defined()) {
    grad.copy_from(Tensor::empty({}, grad.dtype()));  // zero, on the host: nothing to compute
    return;
  }
  DeviceCall dc(bc, op);
  dispatch_float(grad.dtype(), op, [&]<class T>() {
    if constexpr (R == Reads::g_only)
      launch_map<T, 1>(op, F<T>{}, dc.map_args(grad, {g}));
    else if constexpr (R == Reads::x)
      launch_map<T, 2>(op, F<T>{}, dc.map_args(grad, {g, bc.forward->inputs.at(0)}));
    else if constexpr (R == Reads::y)
      launch_map<T, 2>(op, F<T>{}, dc.map_args(grad, {g, bc.forward->outputs.at(0)}));
    else
      launch_map<T, 3>(op, F<T>{},
                       dc.map_args(grad, {g, bc.forward->outputs.at(0), bc.forward->inputs.at(0)}));
  });
  dc.finish();
}

#define VT_CUDA_UNARY(name, Functor, GradFunctor, reads, how)                     \
  void name##_forward(OpCall& c) { unary_forward<Functor>(c, #name); }            \
  void name##_vjp(BackwardCall& bc) { unary_vjp<GradFunctor, reads>(bc, #name); } \
  VT_REGISTER_CUDA_VJP(name, "map", name##_forward, name##_vjp, how)

VT_CUDA_UNARY(neg, Neg, NegGrad, Reads::g_only, "elementwise kernel, 16-byte vectors; VJP −g");
VT_CUDA_UNARY(abs, Abs, AbsGrad, Reads::x, "elementwise kernel, 16-byte vectors; VJP g·sign(x)");
VT_CUDA_UNARY(sqrt, Sqrt, SqrtGrad, Reads::y,
              "elementwise kernel, IEEE sqrt (-prec-sqrt=true); VJP g/(2y)");
VT_CUDA_UNARY(relu, Relu, ReluGrad, Reads::y,
              "elementwise kernel with NaN-propagating select; VJP g·(y > 0)");
VT_CUDA_UNARY(
    exp, Exp, ExpGrad, Reads::y_and_x,
    "elementwise CUDA exp (float32 via double); VJP g·y, recomputed by 2^k scaling where y "
    "overflowed");
VT_CUDA_UNARY(log, Log, LogGrad, Reads::x, "elementwise CUDA log (float32 via double); VJP g/x");
VT_CUDA_UNARY(tanh, Tanh, TanhGrad, Reads::y,
              "elementwise CUDA tanh (float32 via double); VJP g·(1 − y²)");
VT_CUDA_UNARY(sigmoid, Sigmoid, SigmoidGrad, Reads::y,
              "CUDA exp of −|x|, corrected quotient; float32 via double; VJP g·y(1 − y)");
VT_CUDA_UNARY(gelu, Gelu, GeluGrad, Reads::x,
              "erfc form; float64 with argument-error correction and an erfcx tail below −37, "
              "float32 via double; VJP g·(Φ(x) + x·φ(x))");

}  // namespace
}  // namespace vt::cuda
