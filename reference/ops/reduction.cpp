// reference/ops/reduction.cpp — registers the float128 reference of sum, mean, max, min, argmax,
// var and logsumexp, and the VJPs of all but argmax. What it is: attribute decoding (axis,
// keepdims, ddof) and the keepdims views of the output and the output gradient. What it is not:
// the definitions (reduction.hpp).
#include "reference/ops/reduction.hpp"

#include <string>

namespace vt::ref {
namespace {

struct Reduction {
  Tensor x;
  std::vector<std::int64_t> axes;  // normalised; every axis when the attribute is empty
  Tensor out;                      // output 0 with the reduced axes present (size 1)
  std::int64_t n = 1;              // elements per reduced row
};

Reduction decode(const OpCall& c, const char* op, bool single_axis = false) {
  Reduction r;
  r.x = c.inputs.at(0);
  const std::vector<std::int64_t>& axis = c.attrs.get_ints("axis");
  if (single_axis && axis.size() > 1)
    throw Error(op, {r.x.shape()}, "argmax takes at most one axis");
  r.axes = normalize_axes(axis, r.x.ndim(), op);
  r.out = c.outputs.at(0);
  if (!c.attrs.get_bool("keepdims"))
    for (std::int64_t a : r.axes) r.out = r.out.unsqueeze(a);
  for (std::int64_t a : r.axes) r.n *= r.x.dim(a);
  return r;
}

/// NumPy raises for max/min/argmax over zero elements (there is no identity).
void require_elements(const Reduction& r, const char* op) {
  if (r.n == 0)
    throw Error(op, {r.x.shape()}, std::string(op) + " of an empty sequence (no identity)");
}

void sum_reference(OpCall& c) {
  Reduction r = decode(c, "sum");
  sum_forward<hp_t>(r.x.view<hp_t>(), r.axes, r.out.view<hp_t>());
}
void mean_reference(OpCall& c) {
  Reduction r = decode(c, "mean");
  mean_forward<hp_t>(r.x.view<hp_t>(), r.axes, r.out.view<hp_t>());
}
void max_reference(OpCall& c) {
  Reduction r = decode(c, "max");
  require_elements(r, "max");
  max_forward<hp_t>(r.x.view<hp_t>(), r.axes, r.out.view<hp_t>());
}
void min_reference(OpCall& c) {
  Reduction r = decode(c, "min");
  require_elements(r, "min");
  min_forward<hp_t>(r.x.view<hp_t>(), r.axes, r.out.view<hp_t>());
}
void argmax_reference(OpCall& c) {
  Reduction r = decode(c, "argmax", true);
  require_elements(r, "argmax");
  argmax_forward<hp_t>(r.x.view<hp_t>(), r.axes, r.out.view<std::int64_t>());
}
void var_reference(OpCall& c) {
  Reduction r = decode(c, "var");
  var_forward<hp_t>(r.x.view<hp_t>(), r.axes, c.attrs.get_int("ddof"), r.out.view<hp_t>());
}
void logsumexp_reference(OpCall& c) {
  Reduction r = decode(c, "logsumexp");
  logsumexp_forward<hp_t>(r.x.view<hp_t>(), r.axes, r.out.view<hp_t>());
}

// ---- VJPs ---------------------------------------------------------------------------------------

/// The VJP's operands: the forward's decoding, the output gradient in keepdims shape (zeros when
/// undefined) and the input gradient; `skip` when no input gradient is wanted.
struct ReductionGrad {
  Reduction r;
  Tensor g;   // keepdims shape
  Tensor gx;  // x's shape
  bool skip = false;
};

ReductionGrad decode_grad(const BackwardCall& bc, const char* op) {
  ReductionGrad d;
  d.r = decode(*bc.forward, op);
  d.skip = bc.grad_inputs.empty() || !bc.grad_inputs[0].defined();
  if (d.skip) return d;
  d.gx = bc.grad_inputs[0];
  Tensor g = bc.grad_outputs.empty() ? Tensor() : bc.grad_outputs[0];
  if (!g.defined()) g = Tensor::empty(bc.forward->outputs.at(0).shape(), DType::hp);
  if (!bc.forward->attrs.get_bool("keepdims"))
    for (std::int64_t a : d.r.axes) g = g.unsqueeze(a);
  d.g = g;
  return d;
}

void sum_vjp_reference(BackwardCall& bc) {
  ReductionGrad d = decode_grad(bc, "sum");
  if (!d.skip)
    sum_backward<hp_t>(d.r.x.view<hp_t>(), d.r.axes, d.g.view<hp_t>(), d.gx.view<hp_t>());
}
void mean_vjp_reference(BackwardCall& bc) {
  ReductionGrad d = decode_grad(bc, "mean");
  if (!d.skip)
    mean_backward<hp_t>(d.r.x.view<hp_t>(), d.r.axes, d.g.view<hp_t>(), d.gx.view<hp_t>());
}
void max_vjp_reference(BackwardCall& bc) {
  ReductionGrad d = decode_grad(bc, "max");
  if (!d.skip)
    max_backward<hp_t>(d.r.x.view<hp_t>(), d.r.axes, d.g.view<hp_t>(), d.gx.view<hp_t>());
}
void min_vjp_reference(BackwardCall& bc) {
  ReductionGrad d = decode_grad(bc, "min");
  if (!d.skip)
    min_backward<hp_t>(d.r.x.view<hp_t>(), d.r.axes, d.g.view<hp_t>(), d.gx.view<hp_t>());
}
void var_vjp_reference(BackwardCall& bc) {
  ReductionGrad d = decode_grad(bc, "var");
  if (!d.skip)
    var_backward<hp_t>(d.r.x.view<hp_t>(), d.r.axes, bc.forward->attrs.get_int("ddof"),
                       d.g.view<hp_t>(), d.gx.view<hp_t>());
}
void logsumexp_vjp_reference(BackwardCall& bc) {
  ReductionGrad d = decode_grad(bc, "logsumexp");
  if (!d.skip)
    logsumexp_backward<hp_t>(d.r.x.view<hp_t>(), d.r.axes, d.g.view<hp_t>(), d.gx.view<hp_t>());
}

#define VT_REFERENCE_REDUCTION(name, how) \
  VT_REGISTER_REFERENCE_VJP(name, name##_reference, name##_vjp_reference, how)

// sum and mean are linear: their double backward is the forward applied to w (registry.hpp).
VT_REGISTER_REFERENCE_VJP2(sum, sum_reference, sum_vjp_reference,
                           linear_double_backward<sum_reference>,
                           "plain loop over each gathered row in binary128; VJP g broadcast; "
                           "second order: sum of w");
VT_REGISTER_REFERENCE_VJP2(mean, mean_reference, mean_vjp_reference,
                           linear_double_backward<mean_reference>,
                           "binary128 sum of each row divided by its length; VJP g/n; second "
                           "order: mean of w");
VT_REFERENCE_REDUCTION(max, "IEEE 754-2019 maximum folded over each row; VJP g split among ties");
VT_REFERENCE_REDUCTION(min, "IEEE 754-2019 minimum folded over each row; VJP g split among ties");
VT_REGISTER_REFERENCE(argmax, argmax_reference, "first NaN, else first maximum, of each row");
VT_REFERENCE_REDUCTION(var,
                       "two-pass (mean, then squared deviations) in binary128; VJP 2g(x − x̄)/d");
VT_REFERENCE_REDUCTION(logsumexp, "max-shifted exp-sum-log in binary128; VJP g·exp(x − y)");

}  // namespace
}  // namespace vt::ref
