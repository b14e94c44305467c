// verify/mutants/softmax.cpp — planted bug in softmax (test builds only).
// What it is: softmax computed as exp(x) / Σ exp(x) without subtracting the row maximum, which
// overflows (inf / inf = NaN) once x exceeds log(max): 88.7 in float32, 709.8 in float64.
// What it is not: anything a user should call.
#include "core/registry.hpp"

#include <cmath>
#include <cstdint>
#include <vector>

namespace vt::mutants {
namespace {

template <class T>
void softmax_no_max_subtraction(OpCall& c) {
  const Tensor& in = c.inputs.at(0);
  Tensor out = c.outputs.at(0);
  const std::int64_t nd = in.ndim();
  const std::int64_t raw_axis = c.attrs.get_int("axis");
  const std::int64_t axis = nd == 0 ? 0 : normalize_axis(raw_axis, nd, "softmax");
  // Move the axis last so every row is contiguous, compute, move it back.
  std::vector<std::int64_t> order, back(static_cast<std::size_t>(nd));
  for (std::int64_t k = 0; k < nd; ++k)
    if (k != axis) order.push_back(k);
  if (nd > 0) order.push_back(axis);
  for (std::int64_t k = 0; k < nd; ++k)
    back[static_cast<std::size_t>(order[static_cast<std::size_t>(k)])] = k;
  const Tensor x = in.permute(order).contiguous();
  Tensor y = Tensor::empty(x.shape(), x.dtype());
  const std::int64_t len = nd > 0 ? in.dim(axis) : 1;
  if (x.numel() == 0) return;
  const T* px = x.data<T>();
  T* py = y.data<T>();
  for (std::int64_t r = 0; r < x.numel() / len; ++r) {
    T s = 0;
    for (std::int64_t i = 0; i < len; ++i) {
      py[r * len + i] = std::exp(px[r * len + i]);  // BUG: no x − max
      s += py[r * len + i];
    }
    for (std::int64_t i = 0; i < len; ++i) py[r * len + i] /= s;
  }
  out.copy_from(y.permute(back));
}

void softmax_no_max_subtraction_dispatch(OpCall& c) {
  if (c.inputs.at(0).dtype() == DType::f32)
    softmax_no_max_subtraction<float>(c);
  else
    softmax_no_max_subtraction<double>(c);
}

VT_REGISTER_IMPL({.op = "softmax",
                  .backend = backend::optimized,
                  .variant = "mutant_no_max_subtraction",
                  .dtypes = {DType::f32, DType::f64},
                  .forward = softmax_no_max_subtraction_dispatch,
                  .planted_bug = true,
                  .technique = "exp(x) / Σ exp(x) without the max shift (overflows)"});

}  // namespace
}  // namespace vt::mutants
