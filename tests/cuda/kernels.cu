// tests/cuda/kernels.cu — the kernels behind tests/cuda/kernels.hpp.
#include "cuda/core/runtime.hpp"
#include "tests/cuda/kernels.hpp"

namespace vt::cuda::test {
namespace {

__global__ void write_index(float* out, int n) {
  const int i = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
  if (i < n) out[i] = static_cast<float>(i);
}

__global__ void write_out_of_bounds(int* p) { p[1 << 28] = 1; }

}  // namespace

void launch_with_4096_threads_per_block(std::byte* device_buffer) {
  write_index<<<1, 4096, 0, stream()>>>(reinterpret_cast<float*>(device_buffer), 16);
}

void launch_illegal_address() { write_out_of_bounds<<<1, 1, 0, stream()>>>(nullptr); }

}  // namespace vt::cuda::test
