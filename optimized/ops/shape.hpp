// optimized/ops/shape.hpp — the host-side checks and attribute parsing of the shape family
// (optimized/ops/shape.cpp), shared with the CUDA backend (cuda/ops/shape.cu): one copy of the
// axis and permutation rules and their error messages for both backends.
#pragma once

#include "core/registry.hpp"
#include "core/tensor.hpp"

#include <cstdint>
#include <vector>

namespace vt::opt {

/// Throws unless c's output is float32 or float64; the message names `backend` (vt::backend).
void check_float(const OpCall& c, const char* op, const char* backend);

/// axis normalised to [0, ndim) (negative counts from the end); throws when out of range.
std::int64_t axis_of(std::int64_t axis, std::int64_t ndim, const char* op, const Shape& s);

/// The permutation of transpose (`axes`, empty: reversed when empty_reverses) or permute (`dims`).
std::vector<std::int64_t> order_of(const Tensor& x, const std::vector<std::int64_t>& axes,
                                   const char* op, bool empty_reverses);

/// The inverse permutation: inv[order[k]] = k (order validated by Tensor::permute).
std::vector<std::int64_t> inverse_of(const std::vector<std::int64_t>& order);

/// t viewed with `shape` (same elements in row-major order) when its strides allow it.
bool try_view(const Tensor& t, const Shape& shape, Tensor& view);

/// slice's stop attribute: INT64_MAX is Python's None, to the end in the direction of the step.
std::int64_t slice_stop(const Attrs& a);

}  // namespace vt::opt
