// reference/ops/linear.cpp — registers the float128 reference of linear and its VJP.
// What it is not: the definitions (linear.hpp).
#include "reference/ops/linear.hpp"

#include "core/registry.hpp"
#include "reference/core/reference.hpp"

namespace vt::ref {
namespace {

std::vector<Shape> shapes_of(const std::vector<Tensor>& t) {
  std::vector<Shape> s;
  for (const Tensor& x : t) s.push_back(x.shape());
  return s;
}

// x: (…, in), w: (out, in), b: (out) optional; y: (…, out).
void linear_reference(OpCall& c) {
  linear_shape(shapes_of(c.inputs));
  const bool has_bias = c.inputs.size() == 3;
  const Tensor& w = c.inputs.at(1);
  linear_forward<hp_t>(c.inputs.at(0).view<hp_t>(), w.view<hp_t>(),
                       (has_bias ? c.inputs[2] : w).view<hp_t>(), has_bias,
                       c.outputs.at(0).view<hp_t>());
}

void linear_vjp_reference(BackwardCall& bc) {
  const OpCall& f = *bc.forward;
  linear_shape(shapes_of(f.inputs));
  const Tensor& x = f.inputs.at(0);
  const Tensor& w = f.inputs.at(1);
  Tensor g = bc.grad_outputs.empty() ? Tensor() : bc.grad_outputs[0];
  if (!g.defined()) g = Tensor::empty(f.outputs.at(0).shape(), DType::hp);
  auto wanted = [&](std::size_t i) {
    return bc.grad_inputs.size() > i && bc.grad_inputs[i].defined();
  };
  if (wanted(0))
    linear_backward_x<hp_t>(g.view<hp_t>(), w.view<hp_t>(), bc.grad_inputs[0].view<hp_t>());
  if (wanted(1))
    linear_backward_w<hp_t>(g.view<hp_t>(), x.view<hp_t>(), bc.grad_inputs[1].view<hp_t>());
  if (wanted(2)) linear_backward_b<hp_t>(g.view<hp_t>(), bc.grad_inputs[2].view<hp_t>());
}

VT_REGISTER_REFERENCE_VJP(linear, linear_reference, linear_vjp_reference,
                          "y = (Σ_k x_k W_ok, k ascending) + b_o in binary128; VJP g·W, gᵀ·x, Σ g");

}  // namespace
}  // namespace vt::ref
