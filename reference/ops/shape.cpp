// reference/ops/shape.cpp — registers the float128 reference of the shape ops.
// What it is not: the definitions or the shape rules (shape.hpp).
#include "reference/ops/shape.hpp"

#include "core/registry.hpp"

namespace vt::ref {
namespace {

std::vector<Shape> shapes_of(const OpCall& c) {
  std::vector<Shape> s;
  for (const Tensor& t : c.inputs) s.push_back(t.shape());
  return s;
}

std::vector<View<hp_t>> views_of(const OpCall& c) {
  std::vector<View<hp_t>> v;
  for (const Tensor& t : c.inputs) v.push_back(t.view<hp_t>());
  return v;
}

void reshape_reference(OpCall& c) {
  reshape_shape(c.inputs.at(0).shape(), c.attrs.get_ints("shape"));  // validates
  reshape_forward<hp_t>(c.inputs.at(0).view<hp_t>(), c.outputs.at(0).view<hp_t>());
}

void transpose_reference(OpCall& c) {
  const Tensor& x = c.inputs.at(0);
  permute_forward<hp_t>(x.view<hp_t>(),
                        permutation(x.shape(), c.attrs.get_ints("axes"), "transpose", true),
                        c.outputs.at(0).view<hp_t>());
}

void permute_reference(OpCall& c) {
  const Tensor& x = c.inputs.at(0);
  permute_forward<hp_t>(x.view<hp_t>(),
                        permutation(x.shape(), c.attrs.get_ints("dims"), "permute", false),
                        c.outputs.at(0).view<hp_t>());
}

void slice_reference(OpCall& c) {
  const Tensor& x = c.inputs.at(0);
  const std::int64_t axis = shape_axis(c.attrs.get_int("axis"), x.ndim(), "slice", {x.shape()});
  const SliceRange r =
      slice_range(x.shape()[static_cast<std::size_t>(axis)], c.attrs.get_int("start"),
                  c.attrs.get_int("stop"), c.attrs.get_int("step"), x.shape());
  slice_forward<hp_t>(x.view<hp_t>(), axis, r, c.outputs.at(0).view<hp_t>());
}

void concat_reference(OpCall& c) {
  const std::vector<Shape> shapes = shapes_of(c);
  concat_shape(shapes, c.attrs.get_int("axis"));  // validates
  const std::int64_t axis =
      shape_axis(c.attrs.get_int("axis"), c.inputs.at(0).ndim(), "concat", shapes);
  concat_forward<hp_t>(views_of(c), axis, c.outputs.at(0).view<hp_t>());
}

void stack_reference(OpCall& c) {
  const std::vector<Shape> shapes = shapes_of(c);
  stack_shape(shapes, c.attrs.get_int("axis"));  // validates
  const std::int64_t axis =
      shape_axis(c.attrs.get_int("axis"), c.inputs.at(0).ndim() + 1, "stack", shapes);
  stack_forward<hp_t>(views_of(c), axis, c.outputs.at(0).view<hp_t>());
}

// ---- VJPs --------------------------------------------------------------------------------------

/// An undefined output gradient means zero: every defined input gradient is then zero.
bool zero_if_no_grad(BackwardCall& b) {
  if (b.grad_outputs.at(0).defined()) return false;
  for (const Tensor& gx : b.grad_inputs)
    if (gx.defined())
      for_each_index(gx.shape(),
                     [&](const std::vector<std::int64_t>& j) { gx.view<hp_t>()[j] = hp_t(0); });
  return true;
}

void reshape_vjp_reference(BackwardCall& b) {
  const Tensor& gx = b.grad_inputs.at(0);
  if (!gx.defined() || zero_if_no_grad(b)) return;
  reshape_backward<hp_t>(b.grad_outputs[0].view<hp_t>(), gx.view<hp_t>());
}

void transpose_vjp_reference(BackwardCall& b) {
  const Tensor& gx = b.grad_inputs.at(0);
  if (!gx.defined() || zero_if_no_grad(b)) return;
  const Tensor& x = b.forward->inputs.at(0);
  permute_backward<hp_t>(
      b.grad_outputs[0].view<hp_t>(),
      permutation(x.shape(), b.forward->attrs.get_ints("axes"), "transpose", true),
      gx.view<hp_t>());
}

void permute_vjp_reference(BackwardCall& b) {
  const Tensor& gx = b.grad_inputs.at(0);
  if (!gx.defined() || zero_if_no_grad(b)) return;
  const Tensor& x = b.forward->inputs.at(0);
  permute_backward<hp_t>(
      b.grad_outputs[0].view<hp_t>(),
      permutation(x.shape(), b.forward->attrs.get_ints("dims"), "permute", false), gx.view<hp_t>());
}

void slice_vjp_reference(BackwardCall& b) {
  const Tensor& gx = b.grad_inputs.at(0);
  if (!gx.defined() || zero_if_no_grad(b)) return;
  const Tensor& x = b.forward->inputs.at(0);
  const Attrs& a = b.forward->attrs;
  const std::int64_t axis = shape_axis(a.get_int("axis"), x.ndim(), "slice", {x.shape()});
  const SliceRange r = slice_range(x.shape()[static_cast<std::size_t>(axis)], a.get_int("start"),
                                   a.get_int("stop"), a.get_int("step"), x.shape());
  slice_backward<hp_t>(b.grad_outputs[0].view<hp_t>(), axis, r, gx.view<hp_t>());
}

void concat_vjp_reference(BackwardCall& b) {
  if (zero_if_no_grad(b)) return;
  const std::vector<Shape> shapes = shapes_of(*b.forward);
  const std::int64_t axis = shape_axis(b.forward->attrs.get_int("axis"),
                                       b.forward->inputs.at(0).ndim(), "concat", shapes);
  std::int64_t offset = 0;
  for (std::size_t k = 0; k < shapes.size(); ++k) {
    const Tensor& gx = b.grad_inputs.at(k);
    if (gx.defined())
      concat_backward<hp_t>(b.grad_outputs[0].view<hp_t>(), axis, offset, gx.view<hp_t>());
    offset += shapes[k][static_cast<std::size_t>(axis)];
  }
}

void stack_vjp_reference(BackwardCall& b) {
  if (zero_if_no_grad(b)) return;
  const std::vector<Shape> shapes = shapes_of(*b.forward);
  const std::int64_t axis = shape_axis(b.forward->attrs.get_int("axis"),
                                       b.forward->inputs.at(0).ndim() + 1, "stack", shapes);
  for (std::size_t k = 0; k < shapes.size(); ++k) {
    const Tensor& gx = b.grad_inputs.at(k);
    if (gx.defined())
      stack_backward<hp_t>(b.grad_outputs[0].view<hp_t>(), axis, static_cast<std::int64_t>(k),
                           gx.view<hp_t>());
  }
}

#define VT_REFERENCE_SHAPE(name, how, vjp_how) \
  VT_REGISTER_REFERENCE_VJP(name, name##_reference, name##_vjp_reference, how "; VJP: " vjp_how)

VT_REFERENCE_SHAPE(reshape, "row-major element order copied into the new shape", "g reshaped back");
VT_REFERENCE_SHAPE(transpose, "index map out[i] = x[i permuted back], element by element",
                   "g permuted by the inverse permutation");
VT_REFERENCE_SHAPE(permute, "index map out[i] = x[i permuted back], element by element",
                   "g permuted by the inverse permutation");
VT_REFERENCE_SHAPE(slice, "index map out[…, i, …] = x[…, start + i·step, …]",
                   "zeros with g scattered to x[…, start + i·step, …]");
VT_REFERENCE_SHAPE(concat, "index map: each output index finds its input along the axis",
                   "input k's slab of g along the axis");
VT_REFERENCE_SHAPE(stack, "index map out[…, k, …] = x_k[…]", "g[…, k, …] for input k");

}  // namespace
}  // namespace vt::ref
