// reference/ops/unary.hpp — unary elementwise ops: the spec.
// What it is: the scalar definition of neg, abs, sqrt, exp, log, tanh, sigmoid, relu and gelu,
// with their special values written out, and one loop that applies a definition elementwise; and
// their VJPs, g·f'(x), and second-order VJPs, w·v·f''(x), written from x (not from the forward
// output) so that they stay accurate where the output has lost the information (1 − tanh²(x) for
// large |x|).
// What it is not: fast, or aware of dtype — Real is float128 when registered, and the harness
// rounds the result to the dtype under test.
#pragma once

#include "core/shape.hpp"
#include "core/tensor.hpp"
#include "reference/core/reference.hpp"

#include <boost/math/constants/constants.hpp>

#include <cmath>
#include <limits>

namespace vt::ref {

/// −x (flips the sign of zeros and NaNs too).
template <class Real>
Real neg_scalar(Real x) {
  return -x;
}

/// |x|; abs(−0) = +0, abs(±inf) = +inf, abs(NaN) = NaN.
template <class Real>
Real abs_scalar(Real x) {
  if (is_nan(x)) return quiet_nan<Real>();
  return sign_bit(x) ? Real(-x) : x;
}

/// IEEE square root: sqrt(−0) = −0, sqrt(x < 0) = NaN, sqrt(+inf) = +inf.
template <class Real>
Real sqrt_scalar(Real x) {
  using boost::multiprecision::sqrt;
  using std::sqrt;
  return sqrt(x);
}

/// e^x; exp(−inf) = +0, exp(+inf) = +inf.
template <class Real>
Real exp_scalar(Real x) {
  using boost::multiprecision::exp;
  using std::exp;
  return exp(x);
}

/// Natural logarithm: log(±0) = −inf, log(x < 0) = NaN, log(+inf) = +inf.
template <class Real>
Real log_scalar(Real x) {
  using boost::multiprecision::log;
  using std::log;
  return log(x);
}

/// Hyperbolic tangent: tanh(±0) = ±0, tanh(±inf) = ±1.
template <class Real>
Real tanh_scalar(Real x) {
  using boost::multiprecision::tanh;
  using std::tanh;
  return tanh(x);
}

/// Logistic function σ(x) = 1 / (1 + e^{−x}). Evaluated as 1/(1 + e^{−x}) for x ≥ 0 and as
/// e^{x}/(1 + e^{x}) for x < 0, so e^{…} never overflows: σ(−inf) = +0, σ(+inf) = 1.
template <class Real>
Real sigmoid_scalar(Real x) {
  using boost::multiprecision::exp;
  using std::exp;
  if (is_nan(x)) return quiet_nan<Real>();
  if (x >= 0) return Real(1) / (Real(1) + exp(-x));
  const Real e = exp(x);
  return e / (Real(1) + e);
}

/// Rectified linear unit, as PyTorch and NumPy's maximum(x, 0) define it for floats:
/// relu(x) = x for x > 0, NaN for NaN x (NaN propagates), and +0 otherwise — so relu(−0) = +0.
template <class Real>
Real relu_scalar(Real x) {
  if (is_nan(x)) return quiet_nan<Real>();
  return x > 0 ? x : Real(0);
}

/// GELU, the exact (erf) form: gelu(x) = x·Φ(x) = ½·x·erfc(−x/√2).
/// The erfc form avoids the cancellation of 1 + erf(x/√2) for negative x. At the infinities it
/// takes the limits: gelu(+inf) = +inf and gelu(−inf) = −0 (x·Φ(x) → 0 from below), where the
/// formula itself would give −inf·0 = NaN. gelu(±0) = ±0.
template <class Real>
Real gelu_scalar(Real x) {
  using boost::multiprecision::erfc;
  using boost::multiprecision::sqrt;
  using std::erfc;
  using std::sqrt;
  if (is_nan(x)) return quiet_nan<Real>();
  if (x == -std::numeric_limits<Real>::infinity()) return -Real(0);
  if (x == std::numeric_limits<Real>::infinity()) return x;
  return Real(0.5) * x * erfc(-x / sqrt(Real(2)));
}

// out = f(x) elementwise; x, out: same shape (out may alias x).
template <class Real, class F>
void unary_forward(View<Real> x, View<Real> out, F f) {
  for_each_index(out.shape, [&](const auto& i) { out[i] = f(x[i]); });
}

// ---- VJPs: g·f'(x). At non-differentiable points PyTorch's convention (derivatives.yaml). ----

template <class Real>
Real neg_grad(Real g, Real) {
  return -g;
}
/// g·sign(x), sign(±0) = 0 (PyTorch: grad·sgn(x)), sign(NaN) = NaN (PyTorch 1.13: 0).
template <class Real>
Real abs_grad(Real g, Real x) {
  if (is_nan(x)) return x;
  if (x > 0) return g;
  if (x < 0) return -g;
  return g * Real(0);
}
/// g/(2·√x); at x = 0 that is g/0 = ±inf (NaN for g = 0), as in PyTorch.
template <class Real>
Real sqrt_grad(Real g, Real x) {
  return g / (2 * sqrt_scalar(x));
}
template <class Real>
Real exp_grad(Real g, Real x) {
  return g * exp_scalar(x);
}
/// g/x; at x = 0 that is g/0 = ±inf (PyTorch).
template <class Real>
Real log_grad(Real g, Real x) {
  return g / x;
}
/// tanh' = 1 − tanh² = 1/cosh²(x), which is 0 at ±inf (cosh overflows to inf).
template <class Real>
Real tanh_grad(Real g, Real x) {
  using boost::multiprecision::cosh;
  using std::cosh;
  const Real c = cosh(x);
  return g / (c * c);
}
/// σ' = σ(x)·(1 − σ(x)) = σ(x)·σ(−x) (no cancellation), 0 at ±inf.
template <class Real>
Real sigmoid_grad(Real g, Real x) {
  return g * (sigmoid_scalar(x) * sigmoid_scalar(Real(-x)));
}
/// g for x > 0 and +0 for x ≤ 0, so relu'(0) = 0 (PyTorch: threshold_backward, where(x ≤ 0, 0,
/// g)); a NaN x is not ≤ 0, so it passes g through, as PyTorch does.
template <class Real>
Real relu_grad(Real g, Real x) {
  return x <= 0 ? Real(0) : g;
}
/// gelu' = Φ(x) + x·φ(x), Φ(x) = ½·erfc(−x/√2), φ(x) = e^{−x²/2}/√(2π); at ±inf its limits,
/// 1 and 0 (the formula would give inf·0 = NaN there), matching the forward's limits.
template <class Real>
Real gelu_grad(Real g, Real x) {
  using boost::multiprecision::erfc;
  using boost::multiprecision::exp;
  using boost::multiprecision::sqrt;
  using std::erfc;
  using std::exp;
  using std::sqrt;
  if (is_nan(x)) return x;
  if (x == std::numeric_limits<Real>::infinity()) return g;
  if (x == -std::numeric_limits<Real>::infinity()) return g * Real(0);
  const Real two_pi = 2 * boost::math::constants::pi<Real>();
  const Real cdf = Real(0.5) * erfc(-x / sqrt(Real(2)));
  const Real pdf = exp(-x * x / 2) / sqrt(two_pi);
  return g * (cdf + x * pdf);
}

// grad = f'(x)·g elementwise; g, x, grad: the input's shape.
template <class Real, class F>
void unary_backward(View<Real> g, View<Real> x, View<Real> grad, F df) {
  for_each_index(grad.shape, [&](const auto& i) { grad[i] = df(g[i], x[i]); });
}

// ---- Second order: the VJP of F(x, v) = v·f'(x) with cotangent w. ----
// grad_grad_outputs = ∂⟨w, F⟩/∂v = w·f'(x): the first-order functions above applied to w.
// grad_inputs       = ∂⟨w, F⟩/∂x = w·v·f''(x): the functions below, written from x like the first
// order. Where the first order is a convention (relu, abs: piecewise constant in x) f'' is that
// convention differentiated piecewise, 0 everywhere (PyTorch: zeros_like). The rest follow IEEE
// through the formula (sqrt and log at 0: ±inf, NaN for w·v = 0).

/// neg'' = abs'' = relu'' = 0 (PyTorch: the VJP does not depend on x, or only through a sign).
template <class Real>
Real zero_grad2(Real, Real, Real) {
  return Real(0);
}
/// sqrt'' = −1/(4·x^{3/2}) = −1/(4y³), y = √x: at x = ±0 that is ∓inf·sign(w·v) (as
/// −(w·v)/(4·0³) gives, signed zeros included), NaN for w·v = 0.
template <class Real>
Real sqrt_grad2(Real w, Real v, Real x) {
  const Real y = sqrt_scalar(x);
  return -(w * v) / (4 * y * y * y);
}
/// exp'' = e^x.
template <class Real>
Real exp_grad2(Real w, Real v, Real x) {
  return w * v * exp_scalar(x);
}
/// log'' = −1/x² (also for x < 0, where the first order g/x is finite too); −(w·v)/0 at x = ±0.
template <class Real>
Real log_grad2(Real w, Real v, Real x) {
  return -(w * v) / (x * x);
}
/// tanh'' = −2·tanh(x)·(1 − tanh²(x)) = −2·tanh(x)/cosh²(x), 0 at ±inf (cosh overflows to inf).
template <class Real>
Real tanh_grad2(Real w, Real v, Real x) {
  using boost::multiprecision::cosh;
  using std::cosh;
  const Real c = cosh(x);
  return -2 * (w * v) * (tanh_scalar(x) / (c * c));
}
/// σ'' = σ(1 − σ)(1 − 2σ) = σ(x)·σ(−x)·(−tanh(x/2)): 1 − 2σ(x) = −tanh(x/2) without the
/// cancellation of 1 − 2σ near x = 0; 0 at ±inf.
template <class Real>
Real sigmoid_grad2(Real w, Real v, Real x) {
  const Real half = x / 2;
  return w * v * (sigmoid_scalar(x) * sigmoid_scalar(Real(-x))) * -tanh_scalar(half);
}
/// gelu'' = d/dx (Φ + x·φ) = 2φ + x·φ' = φ(x)·(2 − x²), φ(x) = e^{−x²/2}/√(2π); at ±inf its limit
/// −0 (the formula would give 0·(−inf) = NaN there).
template <class Real>
Real gelu_grad2(Real w, Real v, Real x) {
  using boost::multiprecision::exp;
  using boost::multiprecision::sqrt;
  using std::exp;
  using std::sqrt;
  if (is_nan(x)) return x;
  if (x == std::numeric_limits<Real>::infinity() || x == -std::numeric_limits<Real>::infinity())
    return -(w * v) * Real(0);  // φ(2 − x²) → −0
  const Real pdf = exp(-x * x / 2) / sqrt(2 * boost::math::constants::pi<Real>());
  return w * v * (pdf * (2 - x * x));
}

// out = f2(w, v, x) elementwise; w, v, x, out: the input's shape.
template <class Real, class F>
void unary_double_backward(View<Real> w, View<Real> v, View<Real> x, View<Real> out, F d2) {
  for_each_index(out.shape, [&](const auto& i) { out[i] = d2(w[i], v[i], x[i]); });
}

}  // namespace vt::ref
