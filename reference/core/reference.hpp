// reference/core/reference.hpp — helpers shared by reference ops.
// What it is: the glue from an OpCall (float128 tensors) to the templated reference functions,
// which read like the mathematics and know nothing about registries. What it is not: arithmetic.
#pragma once

#include "core/registry.hpp"
#include "core/tensor.hpp"

#include <boost/multiprecision/float128.hpp>

#include <cmath>

namespace vt::ref {

/// Real-valued helpers that work for float, double and hp_t alike (ADL picks Boost's overloads).
template <class Real>
bool is_nan(const Real& x) {
  using boost::multiprecision::isnan;
  using std::isnan;
  return isnan(x);
}
template <class Real>
Real quiet_nan() {
  return std::numeric_limits<Real>::quiet_NaN();
}
template <class Real>
bool sign_bit(const Real& x) {
  using boost::multiprecision::signbit;
  using std::signbit;
  return signbit(x) != 0;
}

/// Input i of the call, broadcast (as a view) to output 0's shape.
inline Tensor broadcast_input(const OpCall& c, std::size_t i) {
  return c.inputs.at(i).expand(c.outputs.at(0).shape());
}

}  // namespace vt::ref
