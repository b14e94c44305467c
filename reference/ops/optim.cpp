// reference/ops/optim.cpp — registers the float128 reference of the optimizer-step ops
// (sgd_step, adam_step, adamw_step, clip_grad_norm). Attributes are doubles and booleans,
// converted exactly to binary128. No VJPs: optimizer steps are not differentiable.
// What it is not: the definitions (optim.hpp).
#include "reference/ops/optim.hpp"

namespace vt::ref {
namespace {

hp_t attr(const OpCall& c, const char* name) { return hp_t(c.attrs.get_real(name)); }

void sgd_step_reference(OpCall& c) {
  SgdParams<hp_t> a{
      attr(c, "lr"),           attr(c, "momentum"),          attr(c, "dampening"),
      attr(c, "weight_decay"), c.attrs.get_bool("nesterov"), c.attrs.get_bool("first_step")};
  sgd_step_forward<hp_t>(c.inputs.at(0).view<hp_t>(), c.inputs.at(1).view<hp_t>(),
                         c.inputs.at(2).view<hp_t>(), a, c.outputs.at(0).view<hp_t>(),
                         c.outputs.at(1).view<hp_t>());
}

template <bool kDecoupled>
void adam_reference(OpCall& c) {
  AdamParams<hp_t> a{attr(c, "lr"),  attr(c, "beta1"),        attr(c, "beta2"),
                     attr(c, "eps"), attr(c, "weight_decay"), c.attrs.get_int("step"),
                     kDecoupled};
  adam_step_forward<hp_t>(c.inputs.at(0).view<hp_t>(), c.inputs.at(1).view<hp_t>(),
                          c.inputs.at(2).view<hp_t>(), c.inputs.at(3).view<hp_t>(), a,
                          c.outputs.at(0).view<hp_t>(), c.outputs.at(1).view<hp_t>(),
                          c.outputs.at(2).view<hp_t>());
}

void clip_grad_norm_reference(OpCall& c) {
  const hp_t total = clip_grad_norm_forward<hp_t>(c.inputs.at(0).view<hp_t>(), attr(c, "max_norm"),
                                                  c.outputs.at(0).view<hp_t>());
  c.outputs.at(1).view<hp_t>()[{}] = total;
}

VT_REGISTER_REFERENCE(sgd_step, sgd_step_reference,
                      "torch.optim.SGD's update per element in binary128");
VT_REGISTER_REFERENCE(adam_step, adam_reference<false>,
                      "torch.optim.Adam's update per element in binary128, PyTorch's order");
VT_REGISTER_REFERENCE(adamw_step, adam_reference<true>,
                      "torch.optim.AdamW's update per element in binary128, PyTorch's order");
VT_REGISTER_REFERENCE(clip_grad_norm, clip_grad_norm_reference,
                      "√Σg² in binary128, g·min(max_norm/(total + 1e-6), 1)");

}  // namespace
}  // namespace vt::ref
