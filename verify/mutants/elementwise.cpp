// verify/mutants/elementwise.cpp — planted bugs in binary elementwise ops (test builds only).
// What it is: wrong implementations registered as extra variants to prove the harness flags
// them. What it is not: anything a user should call; never linked into `veritensor`.
#include "core/registry.hpp"

#include <cstdint>

namespace vt::mutants {
namespace {

/// add that processes whole 16-element blocks and forgets the tail when n % 16 ≠ 0.
template <class T>
void add_lost_tail(OpCall& c) {
  Tensor a = c.inputs[0].expand(c.outputs[0].shape()).contiguous();
  Tensor b = c.inputs[1].expand(c.outputs[0].shape()).contiguous();
  Tensor out = Tensor::empty(c.outputs[0].shape(), c.outputs[0].dtype());
  const T* pa = a.data<T>();
  const T* pb = b.data<T>();
  T* po = out.data<T>();
  const std::int64_t n = out.numel(), blocks = n / 16 * 16;
  for (std::int64_t i = 0; i < blocks; ++i) po[i] = pa[i] + pb[i];  // BUG: no tail loop
  c.outputs[0].copy_from(out);
}

void add_lost_tail_dispatch(OpCall& c) {
  if (c.outputs[0].dtype() == DType::f32)
    add_lost_tail<float>(c);
  else
    add_lost_tail<double>(c);
}

VT_REGISTER_IMPL({.op = "add",
                  .backend = backend::optimized,
                  .variant = "mutant_lost_tail",
                  .dtypes = {DType::f32, DType::f64},
                  .forward = add_lost_tail_dispatch,
                  .planted_bug = true,
                  .technique = "16-wide blocks without the scalar tail"});

/// add that reads the broadcast operand with the wrong stride (the row stride of the other one).
template <class T>
void add_wrong_broadcast(OpCall& c) {
  const Shape& s = c.outputs[0].shape();
  Tensor a = c.inputs[0].expand(s).contiguous();
  Tensor b = c.inputs[1].contiguous();
  Tensor out = Tensor::empty(s, c.outputs[0].dtype());
  const std::int64_t n = out.numel(), nb = b.numel();
  for (std::int64_t i = 0; i < n; ++i)
    out.data<T>()[i] = a.data<T>()[i] + b.data<T>()[nb == 0 ? 0 : i % nb];  // BUG: flat modulo
  c.outputs[0].copy_from(out);
}

void add_wrong_broadcast_dispatch(OpCall& c) {
  if (c.outputs[0].dtype() == DType::f32)
    add_wrong_broadcast<float>(c);
  else
    add_wrong_broadcast<double>(c);
}

VT_REGISTER_IMPL({.op = "add",
                  .backend = backend::optimized,
                  .variant = "mutant_wrong_broadcast_stride",
                  .dtypes = {DType::f32, DType::f64},
                  .forward = add_wrong_broadcast_dispatch,
                  .planted_bug = true,
                  .technique = "indexes the rhs by flat index modulo its size"});

}  // namespace
}  // namespace vt::mutants
