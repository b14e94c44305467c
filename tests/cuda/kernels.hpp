// tests/cuda/kernels.hpp — test kernels with plain host entry points: the Boost.Test macros do
// not preprocess under nvcc, so the tests are .cpp files and the kernels live in kernels.cu.
#pragma once

#include <cstddef>

namespace vt::cuda::test {

/// Launches a kernel with 4096 threads per block (above every GPU's 1024): an invalid launch.
void launch_with_4096_threads_per_block(std::byte* device_buffer);
/// Launches a kernel that stores to an address far outside any allocation.
void launch_illegal_address();

}  // namespace vt::cuda::test
