// optimized/ops/linear.hpp — the operand check of linear (optimized/ops/linear.cpp), shared with
// the CUDA backend (cuda/ops/linear.cu): one copy of the shape rule and its error messages.
#pragma once

#include "core/tensor.hpp"

#include <vector>

namespace vt::opt {

/// Checks linear's operands (the reference's rule: x (…, in), W (out, in), b (out)) against out
/// and their dtype; the dtype message names `backend` (a vt::backend name).
void linear_check(const std::vector<Tensor>& in, const Tensor& out, const char* backend);

}  // namespace vt::opt
