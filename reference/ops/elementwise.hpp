// reference/ops/elementwise.hpp — binary elementwise ops with NumPy broadcasting: the spec.
// What it is: the scalar definition of add, sub, mul, div, maximum, minimum and pow and one loop
// that applies it; inputs arrive already broadcast to the output shape (stride-0 views).
// What it is not: fast, or aware of dtype — Real is float128 when registered.
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

}  // namespace vt::ref
