// reference/core/reference.hpp — helpers shared by reference ops.
// What it is: the glue from an OpCall (float128 tensors) to the templated reference functions,
// which read like the mathematics and know nothing about registries. What it is not: arithmetic.
#pragma once

#include "core/registry.hpp"
#include "core/shape.hpp"
#include "core/tensor.hpp"

#include <boost/multiprecision/float128.hpp>

#include <cmath>
#include <vector>

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

namespace vt::ref {

/// The gradient of an input that was broadcast (NumPy rules) to g's shape: g summed over every
/// broadcast dimension, written into `out` (the input's shape, float128). Sums in float128 in
/// row-major order of g; exact unless more than 2^113 worth of cancellation is involved.
inline void sum_to_shape(const Tensor& g, const Tensor& out) {
  const Shape& gs = g.shape();
  const Shape& os = out.shape();
  const std::size_t lead = gs.size() - os.size();  // dimensions the input did not have
  for_each_index(os, [&](const auto& i) { out.view<hp_t>()[i] = hp_t(0); });
  std::vector<std::int64_t> oi(os.size());
  const View<hp_t> gv = g.view<hp_t>(), ov = out.view<hp_t>();
  for_each_index(gs, [&](const auto& i) {
    for (std::size_t d = 0; d < os.size(); ++d) oi[d] = os[d] == 1 ? 0 : i[lead + d];
    ov[oi] += gv[i];
  });
}

}  // namespace vt::ref
