// reference/ops/elementwise.hpp — binary elementwise ops with NumPy broadcasting: the spec.
// What it is: the scalar definition of add, sub, mul, div, maximum, minimum and pow and one loop
// that applies it; inputs arrive already broadcast to the output shape (stride-0 views). Also
// their VJPs: the partial derivative of each input times the output gradient, per output
// element (the broadcast shape); the registration folds it onto a broadcast input's shape. And
// their second-order VJPs (section "Second order"). What it is not: fast, or aware of dtype — Real
// is float128 when registered.
#pragma once

#include "core/shape.hpp"
#include "core/tensor.hpp"
#include "reference/core/reference.hpp"

#include <cmath>

namespace vt::ref {

template <class Real>
Real add_scalar(Real a, Real b) {
  return a + b;
}
template <class Real>
Real sub_scalar(Real a, Real b) {
  return a - b;
}
template <class Real>
Real mul_scalar(Real a, Real b) {
  return a * b;
}
template <class Real>
Real div_scalar(Real a, Real b) {
  return a / b;
}

/// IEEE 754-2019 maximum: NaN if either operand is NaN; +0 is greater than −0.
template <class Real>
Real maximum_scalar(Real a, Real b) {
  if (is_nan(a) || is_nan(b)) return quiet_nan<Real>();
  if (a == b) return sign_bit(a) ? b : a;  // equal: prefer +0 over −0
  return a > b ? a : b;
}
/// IEEE 754-2019 minimum: NaN if either operand is NaN; −0 is less than +0.
template <class Real>
Real minimum_scalar(Real a, Real b) {
  if (is_nan(a) || is_nan(b)) return quiet_nan<Real>();
  if (a == b) return sign_bit(a) ? a : b;
  return a < b ? a : b;
}
/// C99 Annex F pow (pow(x, ±0) = 1 even for NaN x, pow(1, y) = 1, pow(−8, 1/3) = NaN, …).
template <class Real>
Real pow_scalar(Real a, Real b) {
  using boost::multiprecision::pow;
  using std::pow;
  return pow(a, b);
}

// out = f(a, b) elementwise; a, b: broadcast to out's shape.
template <class Real, class F>
void binary_forward(View<Real> a, View<Real> b, View<Real> out, F f) {
  for_each_index(out.shape, [&](const auto& i) { out[i] = f(a[i], b[i]); });
}

// ---- VJPs ---------------------------------------------------------------------------------------
// Each *_grad_a / *_grad_b is g·∂f/∂a or g·∂f/∂b at one output element. At the points where f is
// not differentiable they follow PyTorch (tools/autograd/derivatives.yaml).

template <class Real>
Real add_grad_a(Real g, Real, Real) {
  return g;
}
template <class Real>
Real add_grad_b(Real g, Real, Real) {
  return g;
}
template <class Real>
Real sub_grad_a(Real g, Real, Real) {
  return g;
}
template <class Real>
Real sub_grad_b(Real g, Real, Real) {
  return -g;
}
template <class Real>
Real mul_grad_a(Real g, Real, Real b) {
  return g * b;
}
template <class Real>
Real mul_grad_b(Real g, Real a, Real) {
  return g * a;
}
template <class Real>
Real div_grad_a(Real g, Real, Real b) {
  return g / b;
}
/// ∂(a/b)/∂b = −a/b².
template <class Real>
Real div_grad_b(Real g, Real a, Real b) {
  return -g * a / (b * b);
}
/// maximum: the gradient goes to the larger input; a tie (a == b, also +0 vs −0) splits it, g/2
/// to each (PyTorch). With a NaN operand neither a < b nor a == b holds: g goes to both (PyTorch's
/// where(a == b, g/2, g).masked_fill(a < b, 0)).
template <class Real>
Real maximum_grad_a(Real g, Real a, Real b) {
  if (a == b) return g / 2;
  return a < b ? Real(0) : g;
}
template <class Real>
Real maximum_grad_b(Real g, Real a, Real b) {
  if (a == b) return g / 2;
  return b < a ? Real(0) : g;
}
template <class Real>
Real minimum_grad_a(Real g, Real a, Real b) {
  if (a == b) return g / 2;
  return a > b ? Real(0) : g;
}
template <class Real>
Real minimum_grad_b(Real g, Real a, Real b) {
  if (a == b) return g / 2;
  return b > a ? Real(0) : g;
}
/// a^(b − k) for k = 1 or 2. For a < 0 and an integer b the sign is the parity of b − k, which
/// b − k in Real loses once |b| ≥ 2^113 (it rounds back to b; and every binary64 above 2^53 is
/// even): the sign comes from b's own parity (fmod is exact), the magnitude from |a|^(b−k).
/// Found by `veritensor fuzz`: pow's VJP at a = −1, b = 1.8e308 had the wrong sign.
template <class Real>
Real pow_minus(Real a, Real b, int k) {
  using boost::multiprecision::floor;
  using boost::multiprecision::fmod;
  using boost::multiprecision::pow;
  using std::floor;
  using std::fmod;
  using std::pow;
  if (!(a < 0) || floor(b) != b) return pow(a, b - k);
  const bool b_odd = fmod(b, Real(2)) != 0;
  const Real magnitude = pow(-a, b - k);
  return b_odd != (k % 2 == 1) ? -magnitude : magnitude;
}

/// ∂(a^b)/∂a = b·a^(b−1), taken as 0 where b = 0 (PyTorch: where(b == 0, 0, g·b·a^(b−1)), which
/// also covers a = 0, b = 0, where a^(b−1) = inf).
template <class Real>
Real pow_grad_a(Real g, Real a, Real b) {
  using boost::multiprecision::pow;
  using std::pow;
  if (b == 0) return Real(0);
  return g * (b * pow_minus(a, b, 1));
}
/// ∂(a^b)/∂b = a^b·log a, taken as 0 where a = 0 and b ≥ 0 (PyTorch: there a^b·log a is 0·(−inf)
/// or 1·(−inf); the limit along a → 0⁺ is 0 for b > 0).
template <class Real>
Real pow_grad_b(Real g, Real a, Real b) {
  using boost::multiprecision::log;
  using boost::multiprecision::pow;
  using std::log;
  using std::pow;
  if (a == 0 && b >= 0) return Real(0);
  return g * pow(a, b) * log(a);
}

// t = ∂f/∂(one input)·g per output element; g, a, b: broadcast to t's shape (the output's).
template <class Real, class F>
void binary_backward(View<Real> g, View<Real> a, View<Real> b, View<Real> t, F partial) {
  for_each_index(t.shape, [&](const auto& i) { t[i] = partial(g[i], a[i], b[i]); });
}

// ---- Second order
// -------------------------------------------------------------------------------- The first-order
// VJP is F(a, b, v) = (v·f_a, v·f_b) per output element. With cotangents wa, wb (broadcast to the
// output shape) for its two results, per output element:
//   h  = ∂⟨w, F⟩/∂v = wa·f_a + wb·f_b                (binary_jvp: the first-order partials with g
//                                                      replaced by wa and wb, added)
//   ta = ∂⟨w, F⟩/∂a = v·(wa·f_aa + wb·f_ab)          (*_hvp_a, folded onto a's shape)
//   tb = ∂⟨w, F⟩/∂b = v·(wa·f_ab + wb·f_bb)          (*_hvp_b, folded onto b's shape)
// where f_a, f_b are the first-order formulas *with their conventions* (PyTorch's where(...)),
// differentiated piecewise: a masked branch stays exactly 0. add, sub, maximum and minimum have
// derivatives that are piecewise constant, so ta = tb = 0 everywhere (maximum/minimum: at a tie
// h = wa/2 + wb/2, the tie's split).

template <class Real>
Real zero_hvp(Real, Real, Real, Real, Real) {
  return Real(0);
}
/// mul: f_aa = f_bb = 0, f_ab = 1.
template <class Real>
Real mul_hvp_a(Real v, Real, Real, Real, Real wb) {
  return v * wb;
}
template <class Real>
Real mul_hvp_b(Real v, Real, Real, Real wa, Real) {
  return v * wa;
}
/// div: f_a = 1/b, f_b = −a/b², f_aa = 0, f_ab = −1/b², f_bb = 2a/b³.
template <class Real>
Real div_hvp_a(Real v, Real, Real b, Real, Real wb) {
  return -v * wb / (b * b);
}
template <class Real>
Real div_hvp_b(Real v, Real a, Real b, Real wa, Real wb) {
  return v * (2 * wb * a / b - wa) / (b * b);
}
/// pow, from PyTorch's g_a = where(b == 0, 0, v·b·a^(b−1)) and
/// g_b = where(a == 0 ∧ b ≥ 0, 0, v·a^b·log a), differentiated piecewise:
///   ∂g_a/∂a = v·b·(b−1)·a^(b−2),  ∂g_a/∂b = v·a^(b−1)·(1 + b·log a)   (0 where b == 0)
///   ∂g_b/∂a = v·a^(b−1)·(1 + b·log a),  ∂g_b/∂b = v·a^b·(log a)²    (0 where a == 0 ∧ b ≥ 0)
/// (∂g_b/∂a = v·(b·a^(b−1)·log a + a^b/a), written with a^(b−1) so that a = 0 needs no 0/0.)
template <class Real>
Real pow_hvp_a(Real v, Real a, Real b, Real wa, Real wb) {
  using boost::multiprecision::log;
  using boost::multiprecision::pow;
  using std::log;
  using std::pow;
  const Real from_ga = b == 0 ? Real(0) : wa * (b * (b - 1) * pow_minus(a, b, 2));
  const Real from_gb = a == 0 && b >= 0 ? Real(0) : wb * (pow_minus(a, b, 1) * (1 + b * log(a)));
  return v * (from_ga + from_gb);
}
template <class Real>
Real pow_hvp_b(Real v, Real a, Real b, Real wa, Real wb) {
  using boost::multiprecision::log;
  using boost::multiprecision::pow;
  using std::log;
  using std::pow;
  const Real from_ga = b == 0 ? Real(0) : wa * (pow_minus(a, b, 1) * (1 + b * log(a)));
  const Real from_gb = a == 0 && b >= 0 ? Real(0) : wb * (pow(a, b) * (log(a) * log(a)));
  return v * (from_ga + from_gb);
}

// h = DA(wa, a, b) + DB(wb, a, b) per output element; all views broadcast to h's shape.
template <class Real, class DA, class DB>
void binary_jvp(View<Real> a, View<Real> b, View<Real> wa, View<Real> wb, View<Real> h, DA da,
                DB db) {
  for_each_index(h.shape,
                 [&](const auto& i) { h[i] = da(wa[i], a[i], b[i]) + db(wb[i], a[i], b[i]); });
}

// t = hvp(v, a, b, wa, wb) per output element; all views broadcast to t's shape.
template <class Real, class H>
void binary_hvp(View<Real> v, View<Real> a, View<Real> b, View<Real> wa, View<Real> wb,
                View<Real> t, H hvp) {
  for_each_index(t.shape, [&](const auto& i) { t[i] = hvp(v[i], a[i], b[i], wa[i], wb[i]); });
}

}  // namespace vt::ref
