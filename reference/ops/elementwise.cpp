// reference/ops/elementwise.cpp — registers the float128 reference of the binary elementwise ops,
// their VJPs and second-order VJPs. What it is not: the definitions (elementwise.hpp).
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

/// Second order (elementwise.hpp): grad_grad_outputs[0] = h = DA(wa) + DB(wb) per output element;
/// grad_inputs[k] = the hvp of input k per output element, folded onto input k's shape like the
/// first order. Undefined v or w: zeros (taken through the formulas like any other value).
template <hp_t (*DA)(hp_t, hp_t, hp_t), hp_t (*DB)(hp_t, hp_t, hp_t),
          hp_t (*HA)(hp_t, hp_t, hp_t, hp_t, hp_t), hp_t (*HB)(hp_t, hp_t, hp_t, hp_t, hp_t)>
void binary_vjp2_reference(DoubleBackwardCall& dc) {
  const OpCall& c = *dc.forward;
  const Shape& out_shape = c.outputs.at(0).shape();
  const auto given = [&](const std::vector<Tensor>& ts, std::size_t i) {
    const Tensor t = i < ts.size() && ts[i].defined() ? ts[i] : Tensor::empty({}, DType::hp);
    return t.expand(out_shape);
  };
  const Tensor v = given(dc.grad_outputs, 0);
  const Tensor wa = given(dc.grad_grad_inputs, 0), wb = given(dc.grad_grad_inputs, 1);
  const Tensor a = broadcast_input(c, 0), b = broadcast_input(c, 1);
  if (!dc.grad_grad_outputs.empty() && dc.grad_grad_outputs[0].defined())
    binary_jvp<hp_t>(a.view<hp_t>(), b.view<hp_t>(), wa.view<hp_t>(), wb.view<hp_t>(),
                     dc.grad_grad_outputs[0].view<hp_t>(), DA, DB);
  for (std::size_t k = 0; k < 2 && k < dc.grad_inputs.size(); ++k) {
    const Tensor& grad = dc.grad_inputs[k];
    if (!grad.defined()) continue;
    const Tensor t = grad.shape() == out_shape ? grad : Tensor::empty(out_shape, DType::hp);
    binary_hvp<hp_t>(v.view<hp_t>(), a.view<hp_t>(), b.view<hp_t>(), wa.view<hp_t>(),
                     wb.view<hp_t>(), t.view<hp_t>(), k == 0 ? HA : HB);
    if (t.raw() != grad.raw()) sum_to_shape(t, grad);
  }
}

// hvp_a and hvp_b are template names: parentheses around them would not compile.
// NOLINTBEGIN(bugprone-macro-parentheses)
#define VT_REFERENCE_BINARY(name, hvp_a, hvp_b)                                                    \
  VT_REGISTER_REFERENCE_VJP2(                                                                      \
      name, binary_reference<name##_scalar<hp_t>>,                                                 \
      (binary_vjp_reference<name##_grad_a<hp_t>, name##_grad_b<hp_t>>),                            \
      (binary_vjp2_reference<name##_grad_a<hp_t>, name##_grad_b<hp_t>, hvp_a<hp_t>, hvp_b<hp_t>>), \
      "elementwise loop over broadcast views in binary128; VJP folded by sum_to_shape; second "    \
      "order from the first-order partials and their piecewise derivatives, folded the same way")
// NOLINTEND(bugprone-macro-parentheses)

VT_REFERENCE_BINARY(add, zero_hvp, zero_hvp);
VT_REFERENCE_BINARY(sub, zero_hvp, zero_hvp);
VT_REFERENCE_BINARY(mul, mul_hvp_a, mul_hvp_b);
VT_REFERENCE_BINARY(div, div_hvp_a, div_hvp_b);
VT_REFERENCE_BINARY(maximum, zero_hvp, zero_hvp);
VT_REFERENCE_BINARY(minimum, zero_hvp, zero_hvp);
VT_REFERENCE_BINARY(pow, pow_hvp_a, pow_hvp_b);

}  // namespace
}  // namespace vt::ref
