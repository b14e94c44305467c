// reference/ops/softmax.cpp — registers the float128 reference of softmax and log_softmax.
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

VT_REGISTER_IMPL(
    {.op = "softmax",
     .backend = backend::reference,
     .variant = "float128",
     .dtypes = {DType::hp},
     .forward = softmax_reference,
     .technique = "max-shifted exp over each row, divided by the row sum, in binary128"});
VT_REGISTER_IMPL({.op = "log_softmax",
                  .backend = backend::reference,
                  .variant = "float128",
                  .dtypes = {DType::hp},
                  .forward = log_softmax_reference,
                  .technique = "(x − max) − log Σ exp(x − max) over each row in binary128"});

}  // namespace
}  // namespace vt::ref
