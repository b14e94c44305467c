// reference/ops/unary.cpp — registers the float128 reference of the unary elementwise ops and
// their VJPs. What it is not: the definitions (unary.hpp). libquadmath supplies sqrt, exp, log,
// tanh, cosh and erfc in binary128 (a few ulps of 2^-113 — some 60 bits beyond float64).
#include "reference/ops/unary.hpp"

namespace vt::ref {
namespace {

template <hp_t (*F)(hp_t)>
void unary_reference(OpCall& c) {
  unary_forward<hp_t>(broadcast_input(c, 0).view<hp_t>(), c.outputs[0].view<hp_t>(), F);
}

/// grad_inputs[0] = f'(x)·g (an undefined g means zero).
template <hp_t (*DF)(hp_t, hp_t)>
void unary_vjp_reference(BackwardCall& bc) {
  Tensor& grad = bc.grad_inputs.at(0);
  if (!grad.defined()) return;
  const Tensor& g = bc.grad_outputs.at(0);
  if (!g.defined()) {
    grad.copy_from(Tensor::empty({}, DType::hp));  // zero
    return;
  }
  unary_backward<hp_t>(g.view<hp_t>(), bc.forward->inputs.at(0).view<hp_t>(), grad.view<hp_t>(),
                       DF);
}

#define VT_REFERENCE_UNARY(name)                                                          \
  VT_REGISTER_REFERENCE_VJP(name, unary_reference<name##_scalar<hp_t>>,                   \
                            unary_vjp_reference<name##_grad<hp_t>>,                       \
                            "elementwise loop in binary128 (libquadmath functions); VJP " \
                            "g·f'(x) from x")

VT_REFERENCE_UNARY(neg);
VT_REFERENCE_UNARY(abs);
VT_REFERENCE_UNARY(sqrt);
VT_REFERENCE_UNARY(exp);
VT_REFERENCE_UNARY(log);
VT_REFERENCE_UNARY(tanh);
VT_REFERENCE_UNARY(sigmoid);
VT_REFERENCE_UNARY(relu);
VT_REFERENCE_UNARY(gelu);

}  // namespace
}  // namespace vt::ref
