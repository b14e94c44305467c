// cuda/core/map.cuh — the elementwise kernels: out[i] = f(in_0[i], …, in_{N−1}[i]) over out's
// shape, the inputs already broadcast (DeviceCall::map_args).
// What it is: two kernels and the launcher that picks one. When every operand is one contiguous,
// 16-byte aligned run (most calls, after dimension merging), each thread moves 16 bytes per
// operand per step (float4/double2-sized loads: full 128-byte lines per warp, a quarter of the
// instructions of scalar loads), and the n mod (16/sizeof(T)) elements past the last whole vector
// are done by the scalar tail loop — the one place a lost-tail bug hides (cuda/mutants/). Anything
// else (strides, broadcasts, unaligned views) takes the general kernel, which maps each linear
// index to per-operand offsets (TensorArg::offset).
// What it is not: reductions (a broadcast input's gradient is reduced by cuda/core/reduce.cuh).
#pragma once

#include "cuda/core/device_call.hpp"
#include "cuda/core/tensor_arg.hpp"

#include <cstdint>
#include <utility>
#include <vector>

namespace vt::cuda {

template <int N>
struct TensorArgs {
  TensorArg a[N];
};

inline bool is_aligned16(const void* p) { return reinterpret_cast<std::uintptr_t>(p) % 16 == 0; }

/// f(args[0], …, args[N−1]).
template <class F, class T, int... I>
__device__ __forceinline__ T apply(const F& f, const T (&args)[sizeof...(I)],
                                   std::integer_sequence<int, I...>) {
  return f(args[I]...);
}

template <class T, int N>
struct Pointers {
  const T* p[N];
};

/// 16 bytes of T: the unit of the contiguous kernel's loads and stores.
template <class T>
struct alignas(16) Vec16 {
  static constexpr int kLanes = 16 / static_cast<int>(sizeof(T));
  T v[kLanes];
};

// out is not __restrict__: an in-place call passes in.p[0] == out (DeviceCall aliases them).
template <class T, int N, class F>
__global__ void map_contiguous_kernel(F f, T* out, Pointers<T, N> in, std::int64_t n) {
  constexpr int L = Vec16<T>::kLanes;
  const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
  const std::int64_t first = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  const std::int64_t vectors = n / L;
  for (std::int64_t v = first; v < vectors; v += stride) {
    Vec16<T> a[N];
#pragma unroll
    for (int k = 0; k < N; ++k) a[k] = reinterpret_cast<const Vec16<T>*>(in.p[k])[v];
    Vec16<T> r;
#pragma unroll
    for (int l = 0; l < L; ++l) {
      T args[N];
#pragma unroll
      for (int k = 0; k < N; ++k) args[k] = a[k].v[l];
      r.v[l] = apply(f, args, std::make_integer_sequence<int, N>{});
    }
    reinterpret_cast<Vec16<T>*>(out)[v] = r;
  }
  // The tail: elements vectors·L … n−1, at most L−1 of them.
  for (std::int64_t i = vectors * L + first; i < n; i += stride) {
    T args[N];
#pragma unroll
    for (int k = 0; k < N; ++k) args[k] = in.p[k][i];
    out[i] = apply(f, args, std::make_integer_sequence<int, N>{});
  }
}

template <class T, int N, class F>
__global__ void map_strided_kernel(F f, TensorArg out, TensorArgs<N> in) {
  const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
  for (std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
       i < out.numel; i += stride) {
    T args[N];
#pragma unroll
    for (int k = 0; k < N; ++k) args[k] = in.a[k].template ptr<const T>()[in.a[k].offset(i)];
    out.ptr<T>()[out.offset(i)] = apply(f, args, std::make_integer_sequence<int, N>{});
  }
}

/// Launches out = f(in…) on the call's stream; f is a device functor taking N values of T.
/// args = DeviceCall::map_args(out, inputs): out first.
template <class T, int N, class F>
void launch_map(const std::string& op, F f, const std::vector<TensorArg>& args) {
  const TensorArg& out = args.at(0);
  if (out.numel == 0) return;
  constexpr int kThreads = 256;
  bool vectorizable = out.contiguous && is_aligned16(out.data);
  TensorArgs<N> in;
  Pointers<T, N> ptrs;
  for (int k = 0; k < N; ++k) {
    in.a[k] = args.at(1 + k);
    ptrs.p[k] = in.a[k].template ptr<const T>();
    vectorizable = vectorizable && in.a[k].contiguous && is_aligned16(in.a[k].data);
  }
  if (vectorizable) {
    const std::int64_t vectors = out.numel / Vec16<T>::kLanes;
    map_contiguous_kernel<T, N>
        <<<grid_for(vectors > 0 ? vectors : out.numel, kThreads), kThreads, 0, stream()>>>(
            f, out.ptr<T>(), ptrs, out.numel);
    check_launch(op, "map_contiguous_kernel");
  } else {
    map_strided_kernel<T, N><<<grid_for(out.numel, kThreads), kThreads, 0, stream()>>>(f, out, in);
    check_launch(op, "map_strided_kernel");
  }
}

}  // namespace vt::cuda
