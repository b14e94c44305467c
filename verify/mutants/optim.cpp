// verify/mutants/optim.cpp — planted bug in adam_step (test builds only).
// What it is: Adam without bias correction — p −= lr · m / (√v + eps) instead of
// (lr / (1 − β1^t)) · m / (√v / √(1 − β2^t) + eps). At small step counts the two differ by a
// factor of order one (bc1/√bc2 ≈ 3.2 at t = 1 with β = (0.9, 0.999)), which the spec's layouts
// (steps 1, 2, 3, 5, 7, 10, …) expose; the moments themselves are right.
// What it is not: anything a user should call.
#include "core/registry.hpp"

#include <cmath>
#include <cstdint>

namespace vt::mutants {
namespace {

template <class T>
void adam_no_bias_correction(OpCall& c) {
  const Tensor p = c.inputs.at(0).contiguous(), g = c.inputs.at(1).contiguous();
  const Tensor m0 = c.inputs.at(2).contiguous(), v0 = c.inputs.at(3).contiguous();
  Tensor p_new = Tensor::empty(p.shape(), p.dtype()), m_new = Tensor::empty(p.shape(), p.dtype());
  Tensor v_new = Tensor::empty(p.shape(), p.dtype());
  const long double lr = c.attrs.get_real("lr"), b1 = c.attrs.get_real("beta1");
  const long double b2 = c.attrs.get_real("beta2"), eps = c.attrs.get_real("eps");
  const long double wd = c.attrs.get_real("weight_decay");
  for (std::int64_t i = 0; i < p.numel(); ++i) {
    const long double pi = p.data<T>()[i];
    long double gi = g.data<T>()[i];
    if (wd != 0) gi += wd * pi;
    const long double m = b1 * m0.data<T>()[i] + (1 - b1) * gi;
    const long double v = b2 * v0.data<T>()[i] + (1 - b2) * gi * gi;
    m_new.data<T>()[i] = static_cast<T>(m);
    v_new.data<T>()[i] = static_cast<T>(v);
    p_new.data<T>()[i] = static_cast<T>(pi - lr * m / (std::sqrt(v) + eps));  // BUG: no bc1, bc2
  }
  c.outputs.at(0).copy_from(p_new);
  c.outputs.at(1).copy_from(m_new);
  c.outputs.at(2).copy_from(v_new);
}

void adam_no_bias_correction_dispatch(OpCall& c) {
  if (c.inputs.at(0).dtype() == DType::f32)
    adam_no_bias_correction<float>(c);
  else
    adam_no_bias_correction<double>(c);
}

VT_REGISTER_IMPL({.op = "adam_step",
                  .backend = backend::optimized,
                  .variant = "mutant_adam_no_bias_correction",
                  .dtypes = {DType::f32, DType::f64},
                  .forward = adam_no_bias_correction_dispatch,
                  .planted_bug = true,
                  .technique = "Adam without bias correction (lr · m / (√v + eps))"});

}  // namespace
}  // namespace vt::mutants
