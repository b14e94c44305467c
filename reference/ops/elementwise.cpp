// reference/ops/elementwise.cpp — registers the float128 reference of the binary elementwise ops.
// What it is not: the definitions (elementwise.hpp).
#include "reference/ops/elementwise.hpp"

namespace vt::ref {
namespace {

template <hp_t (*F)(hp_t, hp_t)>
void binary_reference(OpCall& c) {
  binary_forward<hp_t>(broadcast_input(c, 0).view<hp_t>(), broadcast_input(c, 1).view<hp_t>(),
                       c.outputs[0].view<hp_t>(), F);
}

#define VT_REFERENCE_BINARY(name)                                    \
  VT_REGISTER_REFERENCE(name, binary_reference<name##_scalar<hp_t>>, \
                        "elementwise loop over broadcast views in binary128")

VT_REFERENCE_BINARY(add);
VT_REFERENCE_BINARY(sub);
VT_REFERENCE_BINARY(mul);
VT_REFERENCE_BINARY(div);
VT_REFERENCE_BINARY(maximum);
VT_REFERENCE_BINARY(minimum);
VT_REFERENCE_BINARY(pow);

}  // namespace
}  // namespace vt::ref
