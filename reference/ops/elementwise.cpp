// reference/ops/elementwise.cpp — registers the float128 reference of the binary elementwise ops
// and their VJPs. What it is not: the definitions (elementwise.hpp).
#include "reference/ops/elementwise.hpp"

namespace vt::ref {
namespace {

template <hp_t (*F)(hp_t, hp_t)>
void binary_reference(OpCall& c) {
  binary_forward<hp_t>(broadcast_input(c, 0).view<hp_t>(), broadcast_input(c, 1).view<hp_t>(),
                       c.outputs[0].view<hp_t>(), F);
}

/// grad_inputs[i] = the partial of input i times g, summed over the dimensions input i was
/// broadcast along. An input of the output's shape gets it written directly; a broadcast one
/// through an output-shaped temporary folded by sum_to_shape. An undefined g means zero.
template <hp_t (*DA)(hp_t, hp_t, hp_t), hp_t (*DB)(hp_t, hp_t, hp_t)>
void binary_vjp_reference(BackwardCall& bc) {
  const OpCall& c = *bc.forward;
  const Shape& out_shape = c.outputs.at(0).shape();
  const Tensor& g = bc.grad_outputs.at(0);
  for (std::size_t k = 0; k < 2; ++k) {
    Tensor& grad = bc.grad_inputs.at(k);
    if (!grad.defined()) continue;
    if (!g.defined()) {
      grad.copy_from(Tensor::empty({}, DType::hp));  // zero
      continue;
    }
    const Tensor t = grad.shape() == out_shape ? grad : Tensor::empty(out_shape, DType::hp);
    binary_backward<hp_t>(g.view<hp_t>(), broadcast_input(c, 0).view<hp_t>(),
                          broadcast_input(c, 1).view<hp_t>(), t.view<hp_t>(), k == 0 ? DA : DB);
    if (t.raw() != grad.raw()) sum_to_shape(t, grad);
  }
}

#define VT_REFERENCE_BINARY(name)                                       \
  VT_REGISTER_REFERENCE_VJP(                                            \
      name, binary_reference<name##_scalar<hp_t>>,                      \
      (binary_vjp_reference<name##_grad_a<hp_t>, name##_grad_b<hp_t>>), \
      "elementwise loop over broadcast views in binary128; VJP folded by sum_to_shape")

VT_REFERENCE_BINARY(add);
VT_REFERENCE_BINARY(sub);
VT_REFERENCE_BINARY(mul);
VT_REFERENCE_BINARY(div);
VT_REFERENCE_BINARY(maximum);
VT_REFERENCE_BINARY(minimum);
VT_REFERENCE_BINARY(pow);

}  // namespace
}  // namespace vt::ref
