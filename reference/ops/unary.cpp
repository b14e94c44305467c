// reference/ops/unary.cpp — registers the float128 reference of the unary elementwise ops.
// What it is not: the definitions (unary.hpp). libquadmath supplies sqrt, exp, log, tanh and
// erfc in binary128 (a few ulps of 2^-113 — some 60 bits beyond float64).
#include "reference/ops/unary.hpp"

namespace vt::ref {
namespace {

template <hp_t (*F)(hp_t)>
void unary_reference(OpCall& c) {
  unary_forward<hp_t>(broadcast_input(c, 0).view<hp_t>(), c.outputs[0].view<hp_t>(), F);
}

#define VT_REFERENCE_UNARY(name)                                    \
  VT_REGISTER_REFERENCE(name, unary_reference<name##_scalar<hp_t>>, \
                        "elementwise loop in binary128 (libquadmath functions)")

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
