// cuda/ops/launchers.hpp — entry points on data already on the GPU, for the CUDA benchmarks
// (bench/cuda/): the same kernels the registered implementations launch, without the host
// transfers of DeviceCall. Each is defined in its family's .cu file.
// What it is not: a second implementation — verification goes through the registered ones.
#pragma once

#include "core/dtype.hpp"
#include "cuda/core/tensor_arg.hpp"

#include <cstdint>

namespace vt::cuda {

/// out = a + b, all three contiguous with n elements (float32 or float64), on stream().
void add_device(DType dtype, void* out, const void* a, const void* b, std::int64_t n);
/// out = softmax(x) along the last axis of a contiguous (rows, cols) matrix, on stream().
void softmax_device(DType dtype, void* out, const void* x, std::int64_t rows, std::int64_t cols);
/// C = A·B for contiguous row-major A (m, k), B (k, n), C (m, n), cuBLAS with TF32 off.
void matmul_device(DType dtype, void* c, const void* a, const void* b, std::int64_t m,
                   std::int64_t k, std::int64_t n);

}  // namespace vt::cuda
