// cuda/core/tensor_arg.hpp — how a kernel sees a tensor: a device pointer to element (0, …, 0),
// the shape and the strides (in elements), by value in the kernel's parameters.
// What it is: a plain struct both g++ and nvcc compile, and the row-major index → offset map.
// What it is not: an owner of device memory (cuda/core/device_call.hpp owns the buffers).
#pragma once

#include <cstdint>

#if defined(__CUDACC__)
#define VT_HOST_DEVICE __host__ __device__ __forceinline__
#else
#define VT_HOST_DEVICE inline
#endif

namespace vt::cuda {

/// Dimensions a kernel argument carries (kernel parameters are copied per launch, so this is
/// kept small); the host side rejects tensors with more dimensions after merging.
inline constexpr int kMaxDims = 8;

struct TensorArg {
  void* data = nullptr;  // element (0, …, 0) on the device; nullptr for an undefined tensor
  int ndim = 0;
  std::int64_t numel = 0;
  std::int64_t shape[kMaxDims] = {};
  std::int64_t strides[kMaxDims] = {};  // in elements; 0 along broadcast dimensions
  bool contiguous = false;              // row-major dense: offset(i) == i

  template <class T>
  VT_HOST_DEVICE T* ptr() const {
    return static_cast<T*>(data);
  }
  /// Offset (in elements) of the i-th element in row-major order of `shape`.
  VT_HOST_DEVICE std::int64_t offset(std::int64_t i) const {
    if (contiguous) return i;
    std::int64_t off = 0;
    for (int d = ndim - 1; d > 0; --d) {
      const std::int64_t n = shape[d];
      off += (i % n) * strides[d];
      i /= n;
    }
    return ndim > 0 ? off + i * strides[0] : 0;
  }
};

}  // namespace vt::cuda
