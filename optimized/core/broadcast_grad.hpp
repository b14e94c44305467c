// optimized/core/broadcast_grad.hpp — the backward of NumPy broadcasting for float32/float64.
// What it is: sum_to_shape, which every VJP of an op that broadcasts its inputs calls to fold
// the output-shaped gradient back onto an input's shape. What it is not: a reduction op (the
// `sum` op has its own lane-parallel kernel).
#pragma once

#include "core/tensor.hpp"

namespace vt::opt {

/// out (the input's shape, float32/float64, may be strided) = g (broadcast shape, same dtype)
/// summed over every dimension the input was broadcast along. Each out element's terms are added
/// in g's row-major order in float64 and rounded once to out's dtype, so the result is the same
/// with any thread count. Error: |ô − o| ≤ ½ulp(o) [float32 only] + γ⁽⁵³⁾_{m−1}·Σ|g_i| over the
/// m terms of that element (m = 1: exact copy).
void sum_to_shape(const Tensor& g, const Tensor& out);

}  // namespace vt::opt
