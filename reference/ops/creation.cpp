// reference/ops/creation.cpp — registers the float128 reference of zeros, ones, full, arange,
// eye and cast, and cast's VJP. What it is not: the definitions (creation.hpp) or the shape rules
// (the specs).
#include "reference/ops/creation.hpp"

namespace vt::ref {
namespace {

void zeros_reference(OpCall& c) { fill_forward<hp_t>(c.outputs[0].view<hp_t>(), hp_t(0)); }
void ones_reference(OpCall& c) { fill_forward<hp_t>(c.outputs[0].view<hp_t>(), hp_t(1)); }
void full_reference(OpCall& c) {
  fill_forward<hp_t>(c.outputs[0].view<hp_t>(), hp_t(c.attrs.get_real("value")));
}
void arange_reference(OpCall& c) {
  arange_forward<hp_t>(hp_t(c.attrs.get_real("start")), hp_t(c.attrs.get_real("step")),
                       c.outputs[0].view<hp_t>());
}
void eye_reference(OpCall& c) {
  eye_forward<hp_t>(c.attrs.get_int("k"), c.outputs[0].view<hp_t>());
}
void cast_reference(OpCall& c) {
  cast_forward<hp_t>(c.inputs[0].view<hp_t>(), c.outputs[0].view<hp_t>());
}

// g: out's shape, gx: x's shape (the same); an undefined g means zero.
void cast_vjp_reference(BackwardCall& b) {
  const Tensor& gx = b.grad_inputs.at(0);
  if (!gx.defined()) return;
  const Tensor& g = b.grad_outputs.at(0);
  if (!g.defined()) {
    fill_forward<hp_t>(gx.view<hp_t>(), hp_t(0));
    return;
  }
  cast_backward<hp_t>(g.view<hp_t>(), gx.view<hp_t>());
}

#define VT_REFERENCE_CREATION(name, how) VT_REGISTER_REFERENCE(name, name##_reference, how)

VT_REFERENCE_CREATION(zeros, "fill loop in binary128");
VT_REFERENCE_CREATION(ones, "fill loop in binary128");
VT_REFERENCE_CREATION(full, "fill loop in binary128 (the double value, exact)");
VT_REFERENCE_CREATION(arange, "start + i·step, exact product, sum rounded to odd in binary128");
VT_REFERENCE_CREATION(eye, "indicator of j − i = k in binary128");
VT_REGISTER_REFERENCE_VJP(cast, cast_reference, cast_vjp_reference,
                          "identity in binary128 (the harness rounds to the target dtype); "
                          "VJP: g, the identity (rounded to x's dtype by the harness)");

}  // namespace
}  // namespace vt::ref
