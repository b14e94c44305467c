// verify/mutants/unary.cpp — planted bugs in unary elementwise ops (test builds only).
// What it is: wrong implementations registered as extra variants to prove the harness flags
// them. What it is not: anything a user should call; never linked into `veritensor`.
#include "core/registry.hpp"

#include <cstdint>

namespace vt::mutants {
namespace {

/// relu written as `x > 0 ? x : 0`: NaN compares false, so relu(NaN) = 0 instead of NaN.
template <class T>
void relu_nan_to_zero(OpCall& c) {
  Tensor x = c.inputs[0].contiguous();
  Tensor out = Tensor::empty(c.outputs[0].shape(), c.outputs[0].dtype());
  const T* px = x.data<T>();
  T* po = out.data<T>();
  for (std::int64_t i = 0; i < out.numel(); ++i) po[i] = px[i] > 0 ? px[i] : T(0);  // BUG
  c.outputs[0].copy_from(out);
}

void relu_nan_to_zero_dispatch(OpCall& c) {
  if (c.outputs[0].dtype() == DType::f32)
    relu_nan_to_zero<float>(c);
  else
    relu_nan_to_zero<double>(c);
}

VT_REGISTER_IMPL({.op = "relu",
                  .backend = backend::optimized,
                  .variant = "mutant_relu_nan_to_zero",
                  .dtypes = {DType::f32, DType::f64},
                  .forward = relu_nan_to_zero_dispatch,
                  .planted_bug = true,
                  .technique = "x > 0 ? x : 0, which maps NaN to 0"});

}  // namespace
}  // namespace vt::mutants
