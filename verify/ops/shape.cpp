// verify/ops/shape.cpp — specs of the shape ops: reshape, transpose, permute, slice, concat, stack.
// What it is: attributes, shape rules (reference/ops/shape.hpp: NumPy's reshape, transpose,
// basic slicing, concatenate and stack; PyTorch's permute) and layouts that visit every axis,
// negative axes, size-0 dimensions and 0-d tensors where the op allows them.
// Accuracy: `exact` — every output element is a copy of an input element, so the backend must
// reproduce the reference bit for bit (NaN positions and signed zeros included); there is no
// arithmetic, hence no separate exact-by-construction regime. Invalid shapes and attributes are
// the shape rules' business (vt::Error), so every layout here is a valid one.
// Gradients: `exact` too — each VJP is the transposed copy (see shape_spec).
#include "reference/ops/shape.hpp"
#include "verify/harness/layouts.hpp"
#include "verify/harness/spec.hpp"

#include <limits>
#include <string>

namespace vt::verify {
namespace {

using Ints = std::vector<std::int64_t>;

const Accuracy kExact{.cls = AccuracyClass::exact};

OpSpec shape_spec(const char* name, const char* summary, std::vector<AttrSpec> attrs,
                  ShapeRule rule, std::function<std::vector<Layout>(Rng&)> layouts,
                  std::function<std::vector<Layout>(Rng&)> structural, int max_inputs = 1) {
  OpSpec s;
  s.name = name;
  s.family = "shape";
  s.summary = summary;
  s.min_inputs = 1;
  s.max_inputs = max_inputs;
  s.attrs = std::move(attrs);
  s.shape_rule = std::move(rule);
  s.accuracy = kExact;
  s.differentiable = true;
  // VJP: the transposed index map (reshape back, inverse permutation, zeros with g scattered
  // into the sliced positions, g's slab per concat input, g[…, k, …] per stack input). Each
  // element of gx is one element of g or 0, moved without arithmetic, so the backend's VJP is
  // the reference VJP bit for bit: class exact. The Jacobian is a 0/1 selection everywhere:
  // differentiable at every point (no kinks; inf/NaN in g are moved like any value).
  s.grad.cls = AccuracyClass::exact;
  s.layouts = std::move(layouts);
  s.structural_layouts = std::move(structural);
  return s;
}

Layout one(Shape s, Attrs a, std::string note) {
  return {{std::move(s)}, std::move(a), std::move(note)};
}

/// Sizes around the transpose tiles (16 floats / 8 doubles, bands of 4 tiles). No 1: the
/// structural regime may hand a stride-0 (broadcast) input, and an input with a single
/// dimension above 1 is then constant (vacuous); unit dimensions get layouts of their own.
std::vector<std::int64_t> tile_sizes() {
  return {2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 129};
}

// ---- reshape ----------------------------------------------------------------------------------

std::vector<OutputDesc> reshape_rule(const std::vector<Shape>& in, const Attrs& a) {
  return {{ref::reshape_shape(in.at(0), a.get_ints("shape")), OutKind::same_float}};
}

Attrs shape_attr(Ints s) { return Attrs{{"shape", std::move(s)}}; }

std::vector<Layout> reshape_layouts(Rng&) {
  return {
      one({2, 3, 4}, shape_attr({4, 6}), "3-d → 2-d"),
      one({24}, shape_attr({2, -1, 3}), "inferred middle dimension"),
      one({2, 3, 4}, shape_attr({-1}), "flatten"),
      one({6, 1, 5}, shape_attr({5, 6}), "drop a unit dimension"),
      one({7, 5}, shape_attr({7, 1, 5, 1}), "add unit dimensions"),
      one({1}, shape_attr({}), "(1,) → 0-d"),
      one({}, shape_attr({1, 1}), "0-d → (1, 1)"),
      one({}, shape_attr({-1}), "0-d → (1,) inferred"),
      one({0, 3}, shape_attr({3, 0}), "empty"),
      one({4, 0, 2}, shape_attr({0}), "empty flatten"),
      one({3, 4, 5}, shape_attr({5, -1, 3}), "scrambles the row-major order"),
  };
}

std::vector<Layout> reshape_structural(Rng& rng) {
  std::vector<Layout> out = {
      one({33, 65}, shape_attr({65, 33}), "2-d → 2-d"),
      one({2, 32769}, shape_attr({-1}), "around the parallel grain"),
      one({7, 1, 13}, shape_attr({13, 7}), "unit dimension"),
      one({16, 16, 16}, shape_attr({64, 64}), "merge"),
      one({64, 64}, shape_attr({4, 16, 8, 8}), "split"),
      one({300, 400}, shape_attr({-1, 300}), "large"),
  };
  for (std::int64_t n : structural_sizes_sample(rng, 4))
    if (n >= 2)  // (1, 3) would have one dimension above 1: see tile_sizes()
      out.push_back(one({n, 3}, shape_attr({3, -1}), "(" + std::to_string(n) + ", 3) → (3, -1)"));
  return out;
}

// ---- transpose / permute ----------------------------------------------------------------------

std::vector<OutputDesc> transpose_rule(const std::vector<Shape>& in, const Attrs& a) {
  const Shape& x = in.at(0);
  return {{ref::permuted_shape(x, ref::permutation(x, a.get_ints("axes"), "transpose", true)),
           OutKind::same_float}};
}

std::vector<OutputDesc> permute_rule(const std::vector<Shape>& in, const Attrs& a) {
  const Shape& x = in.at(0);
  return {{ref::permuted_shape(x, ref::permutation(x, a.get_ints("dims"), "permute", false)),
           OutKind::same_float}};
}

Attrs axes_attr(Ints s) { return Attrs{{"axes", std::move(s)}}; }
Attrs dims_attr(Ints s) { return Attrs{{"dims", std::move(s)}}; }

std::vector<Layout> transpose_layouts(Rng&) {
  return {
      one({3, 4}, axes_attr({}), "matrix, axes reversed by default"),
      one({2, 3, 4}, axes_attr({}), "3-d reversed"),
      one({2, 3, 4}, axes_attr({1, 0, 2}), "swap the outer two"),
      one({2, 3, 4}, axes_attr({0, 2, 1}), "swap the inner two"),
      one({2, 3, 4}, axes_attr({-1, 0, -2}), "negative axes"),
      one({2, 3, 4, 5}, axes_attr({3, 1, 0, 2}), "4-d"),
      one({}, axes_attr({}), "0-d"),
      one({7}, axes_attr({0}), "1-d"),
      one({0, 3}, axes_attr({}), "empty"),
      one({2, 0, 3}, axes_attr({2, 0, 1}), "empty 3-d"),
      one({1, 5, 1}, axes_attr({2, 1, 0}), "unit dimensions"),
  };
}

std::vector<Layout> transpose_structural(Rng& rng) {
  std::vector<Layout> out;
  const std::vector<std::int64_t> s = tile_sizes();
  std::uniform_int_distribution<std::size_t> pick(0, s.size() - 1);
  for (std::int64_t n : s)
    out.push_back(one({n, s[pick(rng)]}, axes_attr({}), "2-d, rows " + std::to_string(n)));
  out.push_back(one({1000, 1000}, axes_attr({}), "1000 × 1000 (benchmark size)"));
  out.push_back(one({257, 1031}, axes_attr({}), "primes past the tile"));
  out.push_back(one({2, 65537}, axes_attr({}), "two long rows → columns"));
  out.push_back(one({2, 1, 65}, axes_attr({}), "unit middle dimension"));
  out.push_back(one({65, 1, 3}, axes_attr({1, 2, 0}), "unit dimension moved"));
  out.push_back(one({33, 17, 65}, axes_attr({2, 0, 1}), "3-d rotate"));
  out.push_back(one({9, 31, 33}, axes_attr({0, 2, 1}), "batched 2-d transpose"));
  out.push_back(one({3, 5, 7, 64}, axes_attr({3, 2, 1, 0}), "4-d reverse"));
  return out;
}

std::vector<Layout> permute_layouts(Rng&) {
  return {
      one({3, 4}, dims_attr({1, 0}), "matrix"),
      one({2, 3, 4}, dims_attr({2, 0, 1}), "rotate"),
      one({2, 3, 4}, dims_attr({-1, -3, -2}), "negative dims"),
      one({2, 3, 4}, dims_attr({0, 1, 2}), "identity"),
      one({2, 3, 4, 5}, dims_attr({3, 1, 0, 2}), "4-d"),
      one({}, dims_attr({}), "0-d"),
      one({4}, dims_attr({0}), "1-d"),
      one({0, 2, 3}, dims_attr({1, 2, 0}), "empty"),
      one({5, 1, 3}, dims_attr({1, 2, 0}), "unit dimension"),
  };
}

std::vector<Layout> permute_structural(Rng& rng) {
  std::vector<Layout> out;
  const std::vector<std::int64_t> s = tile_sizes();
  std::uniform_int_distribution<std::size_t> pick(0, s.size() - 1);
  for (int r = 0; r < 8; ++r)
    out.push_back(
        one({s[pick(rng)], s[pick(rng)], s[pick(rng)]}, dims_attr({2, 0, 1}), "3-d rotate"));
  out.push_back(one({16, 3, 224, 7}, dims_attr({0, 2, 3, 1}), "NCHW → NHWC-like"));
  out.push_back(one({16, 224, 7, 3}, dims_attr({0, 3, 1, 2}), "NHWC → NCHW-like"));
  out.push_back(one({65, 2, 33}, dims_attr({-1, -2, -3}), "reverse, negative dims"));
  return out;
}

// ---- slice ------------------------------------------------------------------------------------

std::vector<OutputDesc> slice_rule(const std::vector<Shape>& in, const Attrs& a) {
  const Shape& x = in.at(0);
  if (x.empty()) throw Error("slice", in, "a 0-d input cannot be sliced");
  const std::int64_t axis =
      ref::shape_axis(a.get_int("axis"), static_cast<std::int64_t>(x.size()), "slice", in);
  const ref::SliceRange r = ref::slice_range(x[static_cast<std::size_t>(axis)], a.get_int("start"),
                                             a.get_int("stop"), a.get_int("step"), x);
  Shape out = x;
  out[static_cast<std::size_t>(axis)] = r.length;
  return {{out, OutKind::same_float}};
}

constexpr std::int64_t kToEnd = ref::kSliceToEnd;

Attrs sl(std::int64_t axis, std::int64_t start, std::int64_t stop, std::int64_t step) {
  return Attrs{{"axis", axis}, {"start", start}, {"stop", stop}, {"step", step}};
}

std::vector<Layout> slice_layouts(Rng&) {
  return {
      one({10}, sl(0, 2, 8, 1), "[2:8]"),
      one({10}, sl(0, -3, kToEnd, 1), "[-3:]"),
      one({10}, sl(0, 8, 2, -2), "[8:2:-2]"),
      one({10}, sl(0, -1, kToEnd, -1), "[::-1] (stop = None)"),
      one({10}, sl(0, 1, kToEnd, 3), "[1::3]"),
      one({4, 6}, sl(1, 1, 100, 2), "axis 1, stop past the end"),
      one({4, 6}, sl(-2, -100, 3, 1), "axis -2, start before the beginning"),
      one({3, 5, 7}, sl(2, 6, 0, -3), "last axis, negative step"),
      one({3, 5, 7}, sl(1, 4, -100, -1), "negative step, stop before the beginning"),
      one({5}, sl(0, 3, 3, 1), "empty: start == stop"),
      one({5}, sl(0, 4, 1, 1), "empty: start > stop"),
      one({0, 4}, sl(0, 0, kToEnd, 1), "empty input"),
      one({4, 0}, sl(0, 1, 3, 1), "empty other dimension"),
      one({6, 7}, sl(0, 0, kToEnd, 1), "whole"),
  };
}

std::vector<Layout> slice_structural(Rng& rng) {
  std::vector<Layout> out;
  for (std::int64_t n : structural_sizes_sample(rng, 8)) {
    if (n == 0) continue;
    out.push_back(one({n}, sl(0, 1, n - 1, 1), "[1:n-1] of " + std::to_string(n)));
    if (n >= 2)
      out.push_back(one({3, n}, sl(1, kToEnd, kToEnd, -2),
                        "[::-2] along axis 1 of n = " + std::to_string(n)));
  }
  out.push_back(one({512, 1000}, sl(0, 100, 400, 1), "row band (memcpy)"));
  out.push_back(one({1000, 512}, sl(1, 7, 500, 1), "column band"));
  out.push_back(one({64, 64, 64}, sl(1, 63, kToEnd, -5), "middle axis, step -5"));
  return out;
}

// ---- concat / stack ---------------------------------------------------------------------------

std::vector<OutputDesc> concat_rule(const std::vector<Shape>& in, const Attrs& a) {
  return {{ref::concat_shape(in, a.get_int("axis")), OutKind::same_float}};
}

std::vector<OutputDesc> stack_rule(const std::vector<Shape>& in, const Attrs& a) {
  return {{ref::stack_shape(in, a.get_int("axis")), OutKind::same_float}};
}

Layout many(std::vector<Shape> s, std::int64_t axis, std::string note) {
  return {std::move(s), Attrs{{"axis", axis}}, std::move(note)};
}

std::vector<Layout> concat_layouts(Rng&) {
  return {
      many({{3, 4}}, 0, "one input"),
      many({{2, 4}, {3, 4}}, 0, "axis 0"),
      many({{3, 2}, {3, 5}, {3, 1}}, 1, "axis 1, three inputs"),
      many({{2, 3, 4}, {2, 1, 4}}, -2, "axis -2"),
      many({{2, 3, 4}, {2, 3, 1}, {2, 3, 2}}, -1, "last axis"),
      many({{2, 0, 4}, {2, 3, 4}}, 1, "a size-0 piece"),
      many({{0}, {5}, {0}}, 0, "1-d with empty pieces"),
      many({{0, 3}, {0, 3}}, 0, "all empty"),
      many({{1}, {1}, {1}, {1}, {1}, {1}, {1}, {1}, {1}, {1}, {1}, {1}, {1}, {1}, {1}, {1}}, 0,
           "16 single elements"),
      many({{4, 1}, {4, 2}, {4, 3}, {4, 4}, {4, 5}, {4, 6}, {4, 7}}, 1, "seven widths"),
  };
}

std::vector<Layout> concat_structural(Rng& rng) {
  std::vector<Layout> out;
  for (std::int64_t n : structural_sizes_sample(rng, 6)) {
    out.push_back(many({{n}, {3}, {n}}, 0, "1-d around n = " + std::to_string(n)));
    out.push_back(many({{2, n}, {2, 5}}, 1, "rows of n = " + std::to_string(n)));
  }
  out.push_back(many({{1000, 500}, {1000, 500}}, 1, "two halves of 1000 × 1000 (row runs)"));
  out.push_back(many({{500, 1000}, {500, 1000}}, 0, "two slabs of 1000 × 1000"));
  out.push_back(many({{8, 3, 33}, {8, 5, 33}, {8, 1, 33}}, 1, "middle axis"));
  return out;
}

std::vector<Layout> stack_layouts(Rng&) {
  return {
      many({{3, 4}, {3, 4}}, 0, "axis 0"),
      many({{3, 4}, {3, 4}, {3, 4}}, 1, "axis 1"),
      many({{3, 4}, {3, 4}}, 2, "axis = ndim"),
      many({{3, 4}, {3, 4}}, -1, "axis -1"),
      many({{3, 4}, {3, 4}}, -3, "axis -(ndim+1)"),
      many({{}, {}, {}}, 0, "0-d inputs"),
      many({{}, {}}, -1, "0-d inputs, axis -1"),
      many({{5}}, 0, "one input"),
      many({{0, 3}, {0, 3}}, 1, "empty inputs"),
      many({{2}, {2}, {2}, {2}, {2}, {2}, {2}, {2}, {2}, {2}, {2}, {2}, {2}, {2}, {2}, {2}}, 1,
           "16 inputs"),
  };
}

std::vector<Layout> stack_structural(Rng& rng) {
  std::vector<Layout> out;
  for (std::int64_t n : structural_sizes_sample(rng, 6)) {
    out.push_back(many({{n}, {n}, {n}}, 0, "1-d n = " + std::to_string(n)));
    out.push_back(many({{n}, {n}}, 1, "interleave n = " + std::to_string(n)));
  }
  out.push_back(many({{500, 1000}, {500, 1000}}, 0, "two 500 × 1000 slabs"));
  out.push_back(many({{1000, 500}, {1000, 500}}, 1, "two 1000 × 500, middle axis"));
  out.push_back(many({{33, 65}, {33, 65}, {33, 65}}, 2, "innermost: interleaved"));
  return out;
}

const AttrSpec kAxis0{.name = "axis",
                      .type = AttrType::integer,
                      .default_value = std::int64_t{0},
                      .help = "axis (negative counts from the end)"};

VT_REGISTER_SPEC(shape_spec(
    "reshape", "np.reshape as a copy: row-major element order, one -1 inferred",
    {{.name = "shape", .type = AttrType::ints, .help = "new shape; one entry may be -1"}},
    reshape_rule, reshape_layouts, reshape_structural));
VT_REGISTER_SPEC(shape_spec("transpose", "np.transpose as a copy (empty axes: reverse all)",
                            {{.name = "axes",
                              .type = AttrType::ints,
                              .default_value = Ints{},
                              .help = "permutation of the axes; empty reverses them"}},
                            transpose_rule, transpose_layouts, transpose_structural));
VT_REGISTER_SPEC(shape_spec(
    "permute", "torch.permute as a copy",
    {{.name = "dims", .type = AttrType::ints, .help = "permutation of the dimensions (required)"}},
    permute_rule, permute_layouts, permute_structural));
VT_REGISTER_SPEC(shape_spec(
    "slice", "x[start:stop:step] along one axis (NumPy basic slicing), as a copy",
    {kAxis0,
     {.name = "start",
      .type = AttrType::integer,
      .help = "first index (negative counts from the end)"},
     {.name = "stop",
      .type = AttrType::integer,
      .default_value = std::int64_t{std::numeric_limits<std::int64_t>::max()},
      .help = "end, exclusive; default (INT64_MAX) = to the end in the direction of step"},
     {.name = "step",
      .type = AttrType::integer,
      .default_value = std::int64_t{1},
      .help = "stride, nonzero; negative walks backwards"}},
    slice_rule, slice_layouts, slice_structural));
VT_REGISTER_SPEC(shape_spec("concat", "np.concatenate along axis", {kAxis0}, concat_rule,
                            concat_layouts, concat_structural, 16));
VT_REGISTER_SPEC(shape_spec("stack", "np.stack along a new axis", {kAxis0}, stack_rule,
                            stack_layouts, stack_structural, 16));

}  // namespace
}  // namespace vt::verify
