// cuda/core/reduce.cuh — deterministic sums and maxima inside a warp and inside a block.
// What it is: sums (max/min, with their NaN and signed-zero conventions, live with the reduction
// ops in cuda/ops/reduction.cu). Butterfly warp shuffles (__shfl_xor_sync), then one partial per
// warp through shared memory, combined by the first warp. The combination order depends only on
// blockDim, never on timing, so a block's result has the same bits on every run; a grid-wide
// reduction stays deterministic by writing one partial per block and combining the partials in a
// second pass in block order (no floating-point atomics). Error: a tree of depth ⌈log2 n⌉, inside
// the sum-bound class's γ_n (any summation order is). What it is not: a whole reduction op
// (cuda/ops/reduction.cu).
#pragma once

#include <cuda_runtime.h>

namespace vt::cuda {

inline constexpr int kWarp = 32;

template <class T>
__device__ __forceinline__ T warp_sum(T v) {
#pragma unroll
  for (int offset = kWarp / 2; offset > 0; offset /= 2)
    v += __shfl_xor_sync(0xffffffffu, v, offset);
  return v;  // every lane holds the warp's sum
}

/// Sum of v over the block; every thread must call it (it synchronises), blockDim.x a multiple
/// of 32 and ≤ 1024. `shared` holds ≥ 32 values of T. The result is returned to every thread.
template <class T>
__device__ T block_sum(T v, T* shared) {
  const int lane = threadIdx.x % kWarp, warp = threadIdx.x / kWarp;
  const int warps = blockDim.x / kWarp;
  v = warp_sum(v);
  __syncthreads();  // shared may still be read by a previous call's last step
  if (lane == 0) shared[warp] = v;
  __syncthreads();
  v = lane < warps ? shared[lane] : -T(0);  // −0: the additive identity (−0 + −0 = −0)
  return warp_sum(v);
}

}  // namespace vt::cuda
