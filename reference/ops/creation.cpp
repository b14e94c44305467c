// reference/ops/creation.cpp — registers the float128 reference of zeros, ones, full, arange,
// eye and cast. What it is not: the definitions (creation.hpp) or the shape rules (the specs).
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

#define VT_REFERENCE_CREATION(name, how) VT_REGISTER_REFERENCE(name, name##_reference, how)

VT_REFERENCE_CREATION(zeros, "fill loop in binary128");
VT_REFERENCE_CREATION(ones, "fill loop in binary128");
VT_REFERENCE_CREATION(full, "fill loop in binary128 (the double value, exact)");
VT_REFERENCE_CREATION(arange, "start + i·step, exact product, sum rounded to odd in binary128");
VT_REFERENCE_CREATION(eye, "indicator of j − i = k in binary128");
VT_REFERENCE_CREATION(cast, "identity in binary128 (the harness rounds to the target dtype)");

}  // namespace
}  // namespace vt::ref
