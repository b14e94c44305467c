// core/shape.hpp — shape and stride arithmetic, every product and sum overflow-checked.
// What it is: NumPy broadcasting, contiguous strides, axis normalisation, checked int64 maths.
// What it is not: storage or element access (core/tensor.hpp).
#pragma once

#include "core/error.hpp"

#include <cstdint>
#include <string_view>
#include <vector>

namespace vt {

using Strides = Shape;  // in elements, may be 0 (broadcast) or negative; inline like Shape

/// a*b and a+b for sizes; throw vt::Error naming `what` on int64 overflow.
std::int64_t checked_mul(std::int64_t a, std::int64_t b, std::string_view what);
std::int64_t checked_add(std::int64_t a, std::int64_t b, std::string_view what);

/// Number of elements; every dimension must be ≥ 0; throws on overflow.
std::int64_t shape_numel(const Shape& shape);
/// Row-major (C order) strides in elements.
Strides contiguous_strides(const Shape& shape);
/// NumPy broadcasting of two or more shapes; throws naming `op` when they are incompatible.
Shape broadcast_shapes(const std::vector<Shape>& shapes, std::string_view op = "broadcast");
/// Maps axis in [-ndim, ndim) to [0, ndim); a 0-d tensor accepts 0 and −1; throws otherwise.
std::int64_t normalize_axis(std::int64_t axis, std::int64_t ndim, std::string_view op);
/// Normalises, sorts and de-duplicates a set of axes (an empty set means "all axes").
std::vector<std::int64_t> normalize_axes(const std::vector<std::int64_t>& axes, std::int64_t ndim,
                                         std::string_view op);
/// Shape after reducing `axes` (normalised), keeping them as size 1 when keepdims.
Shape reduced_shape(const Shape& in, const std::vector<std::int64_t>& axes, bool keepdims);

/// Calls f(index) for every multi-index of `shape` in row-major order (index is a const
/// std::vector<int64_t>&). Nothing is called when the shape has a zero dimension.
template <class F>
void for_each_index(const Shape& shape, F&& f) {
  const std::size_t nd = shape.size();
  for (std::int64_t d : shape)
    if (d == 0) return;
  std::vector<std::int64_t> idx(nd, 0);
  while (true) {
    f(static_cast<const std::vector<std::int64_t>&>(idx));
    std::size_t k = nd;
    while (k > 0) {
      --k;
      if (++idx[k] < shape[k]) break;
      idx[k] = 0;
      if (k == 0) return;
    }
    if (nd == 0) return;
  }
}

}  // namespace vt
