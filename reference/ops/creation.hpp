// reference/ops/creation.hpp — tensor creation ops and cast: the spec.
// What it is: zeros, ones, full, arange, eye and cast written as the definitions they are (and
// the VJP of cast, the only one with an input), over
// an output whose shape the op's shape rule already fixed (arange's length, eye's (n, m)).
// What it is not: the shape rules (verify/ops/creation.cpp) or aware of dtype — Real is float128
// when registered, and the harness rounds every element to the dtype under test.
#pragma once

#include "core/shape.hpp"
#include "core/tensor.hpp"
#include "reference/core/reference.hpp"

#include <boost/math/special_functions/next.hpp>

#include <cstdint>
#include <limits>

namespace vt::ref {

// out: any shape; every element = value (zeros: 0, ones: 1, full: the value).
template <class Real>
void fill_forward(View<Real> out, Real value) {
  for_each_index(out.shape, [&](const auto& i) { out[i] = value; });
}

/// Whether the last bit of x's significand is 1 (x finite, nonzero).
template <class Real>
bool last_bit_odd(Real x) {
  using boost::multiprecision::fmod;
  using boost::multiprecision::frexp;
  using boost::multiprecision::ldexp;
  using std::fmod;
  using std::frexp;
  using std::ldexp;
  int e = 0;
  const Real m = frexp(x, &e);  // |m| ∈ [½, 1): m·2^digits is the significand as an integer
  return fmod(ldexp(m, std::numeric_limits<Real>::digits), Real(2)) != 0;
}

/// a + b rounded to odd: the exact sum if Real holds it, otherwise whichever of its two
/// neighbours in Real has an odd last bit. Rounding that value to any format at least two bits
/// narrower (float64, float32, their subnormals) gives the correctly rounded exact sum — an
/// inexact result is never a midpoint of the narrower format, whose midpoints end in a 0 bit
/// here (Boldo & Melquiond, "Emulation of FMA and correctly rounded sums: proved algorithms
/// using rounding to odd", IEEE TC 2008). Plain a + b could round onto such a midpoint and then
/// round again the wrong way.
template <class Real>
Real add_round_to_odd(Real a, Real b) {
  const Real s = a + b;
  // TwoSum (Knuth): err = a + b − s exactly.
  const Real bv = s - a;
  const Real err = (a - (s - bv)) + (b - bv);
  if (err == 0 || last_bit_odd(s)) return s;
  return err > 0 ? boost::math::float_next(s) : boost::math::float_prior(s);
}

/// arange element i: start + i·step of the exact (double) start and step. i·step is exact in
/// binary128 for i < 2^60 (53 + 60 ≤ 113 bits), and the sum is rounded to odd (above), so the
/// harness's rounding to float32 or float64 is the correct rounding of start + i·step.
// out: (n,)
template <class Real>
void arange_forward(Real start, Real step, View<Real> out) {
  for_each_index(out.shape,
                 [&](const auto& i) { out[i] = add_round_to_odd(start, Real(i[0]) * step); });
}

/// Identity matrix with its diagonal shifted by k: out[i, j] = 1 where j − i = k, else 0
/// (k > 0 above the main diagonal, k < 0 below; a k beyond the matrix gives all zeros).
// out: (n, m)
template <class Real>
void eye_forward(std::int64_t k, View<Real> out) {
  for_each_index(out.shape, [&](const auto& i) { out[i] = i[1] - i[0] == k ? Real(1) : Real(0); });
}

/// cast is the identity on values: the harness rounds the float128 result to the requested
/// dtype (nearest-even, overflow to ±inf), which is what a cast must produce.
// x, out: same shape
template <class Real>
void cast_forward(View<Real> x, View<Real> out) {
  for_each_index(out.shape, [&](const auto& i) { out[i] = x[i]; });
}

/// Gradient of cast: d cast(x)/dx = 1 (the rounding is treated as the identity, as PyTorch's
/// grad.to(x.dtype) does), so gx = g; the harness rounds it to x's dtype as it does the forward.
// g, gx: same shape
template <class Real>
void cast_backward(View<Real> g, View<Real> gx) {
  for_each_index(gx.shape, [&](const auto& i) { gx[i] = g[i]; });
}

}  // namespace vt::ref
