// reference/ops/softmax.cpp — registers the float128 reference of softmax and log_softmax and
// their VJPs.
// What it is not: the definitions (softmax.hpp).
#include "reference/ops/softmax.hpp"

namespace vt::ref {
namespace {

std::int64_t axis_of(const OpCall& c, const char* op) {
  return softmax_axis(c.attrs.get_int("axis"), c.inputs.at(0).ndim(), op);
}

void softmax_reference(OpCall& c) {
  softmax_forward<hp_t>(c.inputs.at(0).view<hp_t>(), axis_of(c, "softmax"),
                        c.outputs.at(0).view<hp_t>());
}
void log_softmax_reference(OpCall& c) {
  log_softmax_forward<hp_t>(c.inputs.at(0).view<hp_t>(), axis_of(c, "log_softmax"),
                            c.outputs.at(0).view<hp_t>());
}

/// The VJP of either op: y the forward output, g the output gradient (zeros when undefined).
template <bool kLog>
void vjp(BackwardCall& bc, const char* op) {
  if (bc.grad_inputs.empty() || !bc.grad_inputs[0].defined()) return;
  const OpCall& f = *bc.forward;
  const Tensor& y = f.outputs.at(0);
  Tensor g = bc.grad_outputs.empty() ? Tensor() : bc.grad_outputs[0];
  if (!g.defined()) g = Tensor::empty(y.shape(), DType::hp);
  const std::int64_t axis = axis_of(f, op);
  if (kLog)
    log_softmax_backward<hp_t>(y.view<hp_t>(), g.view<hp_t>(), axis,
                               bc.grad_inputs[0].view<hp_t>());
  else
    softmax_backward<hp_t>(y.view<hp_t>(), g.view<hp_t>(), axis, bc.grad_inputs[0].view<hp_t>());
}
void softmax_vjp_reference(BackwardCall& bc) { vjp<false>(bc, "softmax"); }
void log_softmax_vjp_reference(BackwardCall& bc) { vjp<true>(bc, "log_softmax"); }

VT_REGISTER_REFERENCE_VJP(softmax, softmax_reference, softmax_vjp_reference,
                          "max-shifted exp over each row, divided by the row sum, in binary128; "
                          "VJP y ⊙ (g − Σ g ⊙ y)");
VT_REGISTER_REFERENCE_VJP(log_softmax, log_softmax_reference, log_softmax_vjp_reference,
                          "(x − max) − log Σ exp(x − max) over each row in binary128; VJP "
                          "g − exp(y)·Σ g");

}  // namespace
}  // namespace vt::ref
