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

#define VT_REFERENCE_SHAPE(name, how) VT_REGISTER_REFERENCE(name, name##_reference, how)

VT_REFERENCE_SHAPE(reshape, "row-major element order copied into the new shape");
VT_REFERENCE_SHAPE(transpose, "index map out[i] = x[i permuted back], element by element");
VT_REFERENCE_SHAPE(permute, "index map out[i] = x[i permuted back], element by element");
VT_REFERENCE_SHAPE(slice, "index map out[…, i, …] = x[…, start + i·step, …]");
VT_REFERENCE_SHAPE(concat, "index map: each output index finds its input along the axis");
VT_REFERENCE_SHAPE(stack, "index map out[…, k, …] = x_k[…]");

}  // namespace
}  // namespace vt::ref
