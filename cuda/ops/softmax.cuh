// cuda/ops/softmax.cuh — the softmax family's device pieces, shared by cuda/ops/softmax.cu (the
// registered implementations), cuda/mutants/softmax.cu (the same kernels with one planted bug,
// selected by a template parameter so the mutant differs from the real code in that bug only)
// and cuda/ops/loss.cu (cross_entropy's row max / exp sum).
// What it is:
//  - the NaN-propagating maximum (optimized/ops/softmax.cpp's pick_max) and its block reduction;
//  - exp_t/log_t: float32 evaluated in double and rounded once (CUDA's exp/log on double are
//    documented at 1 ulp of double, so the float result is within 0.5 ulp + 2^-29 ulp: the spec's
//    exp_sum analysis assumes exp within 1 ulp, which CUDA's expf — 2 ulp — does not promise);
//    float64 calls CUDA's exp/log (1 ulp, documented: exactly the spec's assumption);
//  - RowArg: a tensor seen as rows along one axis (row index → offset of the row's first element,
//    plus the stride along the axis), built from DeviceCall::arg by taking the axis out and
//    merging the remaining dimensions where every operand allows it;
//  - the forward kernels: one block per row when the axis is the innermost logical dimension
//    (rows of up to kRowThreads·kRowItems elements are held in registers: global memory is read
//    once and written once; longer rows are re-read, L2-resident, in three passes), one thread per
//    row otherwise (adjacent rows are adjacent in memory for a contiguous input: coalesced).
// Arithmetic as the optimized backend: m = max exactly, z = fl(x − m), e = exp_t(z), Ŝ = Σ e in
// a fixed tree (sum-bound: any order is covered by γ_{n−1}), softmax fl(e / Ŝ) (IEEE division),
// log_softmax fl(z − fl(log Ŝ)). The sum is over the global row maximum, not an online rescaled
// sum: rescaling multiplies partial sums by exp(m_old − m_new), roundings the spec's exp_sum
// analysis does not contain. Special rows follow from the formula as on the CPU: a NaN or +inf
// makes the whole row NaN, an all −inf row is NaN, a −inf entry in a finite row gives 0 / −inf.
// What it is not: the VJPs (cuda/ops/softmax.cu) or anything registered.
#pragma once

#include "core/registry.hpp"
#include "core/shape.hpp"
#include "core/tensor.hpp"
#include "cuda/core/dd_math.hpp"
#include "cuda/core/device_call.hpp"
#include "cuda/core/reduce.cuh"
#include "cuda/core/runtime.hpp"
#include "cuda/core/tensor_arg.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <string>

namespace vt::cuda::softmax_detail {

/// Planted bugs (cuda/mutants/softmax.cu); the registered implementations use none.
enum class Bug {
  none,
  lost_tail,     // the exp sum leaves out the last len mod 32 elements of each row
  missing_sync,  // the block sum drops the barrier that guards its shared buffer's reuse
};

inline constexpr int kRowThreads = 256;  // threads per row block (a multiple of 32)
inline constexpr int kRowItems = 8;      // row elements each thread holds in registers
inline constexpr int kColThreads = 128;  // threads per block of the thread-per-row kernel
inline constexpr std::int64_t kMaxRowBlocks = 1 << 20;  // the row loop covers the rest

template <class T>
__device__ __forceinline__ T neg_inf() {
  return -static_cast<T>(INFINITY);
}

/// v replaces a when larger or NaN (a NaN a is never replaced): NaN-propagating maximum.
template <class T>
__device__ __forceinline__ T max_step(T v, T a) {
  return (v > a || v != v) ? v : a;
}

__device__ __forceinline__ float exp_t(float x) {
  return static_cast<float>(::exp(static_cast<double>(x)));
}
// float64: cuda/core/dd_math.hpp's exp and log (≤ 0.5 ulp + 2^-41), the 1-ulp functions the
// softmax, log_softmax and cross-entropy bounds assume (verify/harness/bounds.hpp exp_sum,
// log_sum_error); CUDA's own are documented at 1 ulp from the correctly rounded value.
__device__ __forceinline__ double exp_t(double x) { return dd::exp_f64(x); }
__device__ __forceinline__ float log_t(float x) {
  return static_cast<float>(::log(static_cast<double>(x)));
}
__device__ __forceinline__ double log_t(double x) { return dd::log_f64(x); }

template <class T>
__device__ __forceinline__ T warp_max(T v) {
#pragma unroll
  for (int offset = kWarp / 2; offset > 0; offset /= 2)
    v = max_step(__shfl_xor_sync(0xffffffffu, v, offset), v);
  return v;
}

/// Maximum of v over the block (every thread calls it; blockDim.x a multiple of 32); every
/// thread gets lane 0's result, so ±0 and NaN payloads are the same block-wide.
template <class T>
__device__ T block_max(T v, T* shared) {
  const int lane = threadIdx.x % kWarp, warp = threadIdx.x / kWarp;
  const int warps = blockDim.x / kWarp;
  v = warp_max(v);
  __syncthreads();  // shared may still be read by the previous reduction's last step
  if (lane == 0) shared[warp] = v;
  __syncthreads();
  v = lane < warps ? shared[lane] : neg_inf<T>();
  v = warp_max(v);
  return __shfl_sync(0xffffffffu, v, 0);
}

/// Sum of v over the block: cuda/core/reduce.cuh's block_sum, or the mutant without its first
/// barrier (warp 0 may still read shared[] from the previous reduction while another warp's lane
/// 0 overwrites it: a write-after-read hazard compute-sanitizer racecheck reports).
template <class T, Bug B>
__device__ T row_sum(T v, T* shared) {
  if constexpr (B == Bug::missing_sync) {
    const int lane = threadIdx.x % kWarp, warp = threadIdx.x / kWarp;
    const int warps = blockDim.x / kWarp;
    v = warp_sum(v);
    // BUG: no __syncthreads() here.
    if (lane == 0) shared[warp] = v;
    __syncthreads();
    v = lane < warps ? shared[lane] : T(0);
    return warp_sum(v);
  } else {
    return block_sum(v, shared);
  }
}

/// A tensor as rows along one axis: element j of row r is at ptr[rows.offset(r) + j·step].
/// `rows` is the tensor's TensorArg with the axis taken out (its data: element 0).
struct RowArg {
  TensorArg rows;
  std::int64_t step = 0;
};

/// The rows of a (≥ 1-element) tensor's device view along `axis` (0 for a 0-d tensor).
inline RowArg row_arg(const TensorArg& a, std::int64_t axis) {
  RowArg r;
  r.rows = a;
  r.rows.contiguous = false;  // offset(i) == i does not hold for row starts in general
  if (a.ndim == 0) {
    r.rows.ndim = 0;
    r.rows.numel = 1;
    return r;
  }
  const int ax = static_cast<int>(axis);
  r.step = a.strides[ax];
  const std::int64_t len = a.shape[ax];
  int k = 0;
  for (int d = 0; d < a.ndim; ++d) {
    if (d == ax) continue;
    r.rows.shape[k] = a.shape[d];
    r.rows.strides[k] = a.strides[d];
    ++k;
  }
  for (int d = k; d < kMaxDims; ++d) {
    r.rows.shape[d] = 0;
    r.rows.strides[d] = 0;
  }
  r.rows.ndim = k;
  r.rows.numel = len > 0 ? a.numel / len : 0;
  return r;
}

/// Drops size-1 row dimensions and merges adjacent ones where every operand allows it
/// (stride[d] == stride[d+1]·shape[d+1] in all), so a contiguous tensor's rows are one dimension
/// (offset(r) = r·stride: no division per row). All operands have the same row shape.
inline void merge_rows(std::initializer_list<RowArg*> args) {
  RowArg& first = **args.begin();
  const int nd = first.rows.ndim;
  std::int64_t shape[kMaxDims] = {};
  int k = 0;
  // Keep the dimensions of size ≠ 1, then merge from the innermost outwards.
  for (int d = 0; d < nd; ++d) {
    if (first.rows.shape[d] == 1) continue;
    shape[k] = first.rows.shape[d];
    for (RowArg* a : args) a->rows.strides[k] = a->rows.strides[d];
    ++k;
  }
  int m = k;  // dimensions kept
  for (int d = m - 2; d >= 0; --d) {
    bool mergeable = true;
    for (RowArg* a : args)
      mergeable = mergeable && a->rows.strides[d] == a->rows.strides[d + 1] * shape[d + 1];
    if (!mergeable) continue;
    shape[d] *= shape[d + 1];
    for (RowArg* a : args) a->rows.strides[d] = a->rows.strides[d + 1];
    for (int e = d + 1; e + 1 < m; ++e) {
      shape[e] = shape[e + 1];
      for (RowArg* a : args) a->rows.strides[e] = a->rows.strides[e + 1];
    }
    --m;
  }
  for (RowArg* a : args) {
    a->rows.ndim = m;
    for (int d = 0; d < kMaxDims; ++d) {
      a->rows.shape[d] = d < m ? shape[d] : 0;
      if (d >= m) a->rows.strides[d] = 0;
    }
  }
}

/// The (rows, len, inner) view of a tensor along a normalised axis; numel ≥ 1.
struct RowShape {
  std::int64_t rows = 1, len = 1, inner = 1;
};
inline RowShape row_shape(const Tensor& t, std::int64_t axis) {
  RowShape s;
  for (std::int64_t k = 0; k < t.ndim(); ++k) {
    if (k == axis) s.len = t.dim(k);
    if (k > axis) s.inner *= t.dim(k);
  }
  s.rows = t.numel() / s.len;
  return s;
}

/// softmax (kLog false) or log_softmax (kLog true) of each row; one block per row, the loop
/// over rows uniform across the block (every thread reaches every barrier).
template <class T, bool kLog, Bug B>
__global__ void __launch_bounds__(kRowThreads)
    softmax_rows_kernel(RowArg x, RowArg y, std::int64_t nrows, std::int64_t len) {
  __shared__ T red[kWarp];
  const T* xp = x.rows.ptr<const T>();
  T* yp = y.rows.ptr<T>();
  const std::int64_t tid = threadIdx.x;
  // The sum's terms: all of them, or (mutant) the row less its last len mod 32 elements.
  const std::int64_t summed = B == Bug::lost_tail ? len - len % kWarp : len;
  for (std::int64_t r = blockIdx.x; r < nrows; r += gridDim.x) {
    const std::int64_t xb = x.rows.offset(r), yb = y.rows.offset(r);
    if (len <= static_cast<std::int64_t>(kRowThreads) * kRowItems) {
      // The row in registers: element k·kRowThreads + tid in v[k].
      T v[kRowItems];
      T m = neg_inf<T>();
#pragma unroll
      for (int k = 0; k < kRowItems; ++k) {
        const std::int64_t j = static_cast<std::int64_t>(k) * kRowThreads + tid;
        v[k] = T(0);
        if (j < len) {
          v[k] = xp[xb + j * x.step];
          m = max_step(v[k], m);
        }
      }
      m = block_max(m, red);
      T s = T(0);
#pragma unroll
      for (int k = 0; k < kRowItems; ++k) {
        const std::int64_t j = static_cast<std::int64_t>(k) * kRowThreads + tid;
        if (j < len) {
          v[k] = v[k] - m;  // z
          const T e = exp_t(v[k]);
          if (j < summed) s += e;
          if constexpr (!kLog) v[k] = e;
        }
      }
      s = row_sum<T, B>(s, red);
      if constexpr (kLog) {
        const T log_s = log_t(s);
#pragma unroll
        for (int k = 0; k < kRowItems; ++k) {
          const std::int64_t j = static_cast<std::int64_t>(k) * kRowThreads + tid;
          if (j < len) yp[yb + j * y.step] = v[k] - log_s;
        }
      } else {
#pragma unroll
        for (int k = 0; k < kRowItems; ++k) {
          const std::int64_t j = static_cast<std::int64_t>(k) * kRowThreads + tid;
          if (j < len) yp[yb + j * y.step] = v[k] / s;
        }
      }
    } else {
      // A long row: three passes over global memory (the row stays in L2).
      T m = neg_inf<T>();
      for (std::int64_t j = tid; j < len; j += kRowThreads) m = max_step(xp[xb + j * x.step], m);
      m = block_max(m, red);
      T s = T(0);
      for (std::int64_t j = tid; j < summed; j += kRowThreads) s += exp_t(xp[xb + j * x.step] - m);
      s = row_sum<T, B>(s, red);
      if constexpr (kLog) {
        const T log_s = log_t(s);
        for (std::int64_t j = tid; j < len; j += kRowThreads)
          yp[yb + j * y.step] = (xp[xb + j * x.step] - m) - log_s;
      } else {
        for (std::int64_t j = tid; j < len; j += kRowThreads)
          yp[yb + j * y.step] = exp_t(xp[xb + j * x.step] - m) / s;
      }
    }
  }
}

/// The same, one thread per row (rows along a non-innermost axis), sequential sum.
template <class T, bool kLog>
__global__ void softmax_cols_kernel(RowArg x, RowArg y, std::int64_t nrows, std::int64_t len) {
  const T* xp = x.rows.ptr<const T>();
  T* yp = y.rows.ptr<T>();
  const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
  for (std::int64_t r = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; r < nrows;
       r += stride) {
    const std::int64_t xb = x.rows.offset(r), yb = y.rows.offset(r);
    T m = neg_inf<T>();
    for (std::int64_t j = 0; j < len; ++j) m = max_step(xp[xb + j * x.step], m);
    T s = T(0);
    for (std::int64_t j = 0; j < len; ++j) s += exp_t(xp[xb + j * x.step] - m);
    if constexpr (kLog) {
      const T log_s = log_t(s);
      for (std::int64_t j = 0; j < len; ++j)
        yp[yb + j * y.step] = (xp[xb + j * x.step] - m) - log_s;
    } else {
      for (std::int64_t j = 0; j < len; ++j)
        yp[yb + j * y.step] = exp_t(xp[xb + j * x.step] - m) / s;
    }
  }
}

/// Launches the forward over rows of length len ≥ 1; by_block: the axis is the innermost
/// logical dimension (inner == 1).
template <class T, bool kLog, Bug B>
void launch_softmax(const std::string& op, const RowArg& x, const RowArg& y, std::int64_t nrows,
                    std::int64_t len, bool by_block) {
  if (nrows <= 0 || len <= 0) return;
  if (by_block || B != Bug::none) {
    const auto grid = static_cast<unsigned>(std::min(nrows, kMaxRowBlocks));
    softmax_rows_kernel<T, kLog, B><<<grid, kRowThreads, 0, stream()>>>(x, y, nrows, len);
    check_launch(op, "softmax_rows_kernel");
  } else {
    softmax_cols_kernel<T, kLog>
        <<<grid_for(nrows, kColThreads), kColThreads, 0, stream()>>>(x, y, nrows, len);
    check_launch(op, "softmax_cols_kernel");
  }
}

/// The axis attribute normalised; a 0-d tensor is one row of one element (axis 0 or −1).
inline std::int64_t softmax_axis(const OpCall& c, const char* op) {
  const Tensor& in = c.inputs.at(0);
  const std::int64_t raw = c.attrs.get_int("axis");
  return in.ndim() == 0 && (raw == 0 || raw == -1) ? 0 : normalize_axis(raw, in.ndim(), op);
}

/// The registered forward (B = none) and its mutants.
template <bool kLog, Bug B>
void softmax_forward_impl(OpCall& c, const char* op) {
  const Tensor& in = c.inputs.at(0);
  const Tensor& out = c.outputs.at(0);
  const std::int64_t axis = softmax_axis(c, op);
  DeviceCall dc(c, op);
  dispatch_float(in.dtype(), op, [&]<class T>() {
    if (in.numel() == 0) return;  // empty rows: empty output
    const RowShape s = row_shape(in, axis);
    RowArg x = row_arg(dc.arg(in), axis), y = row_arg(dc.arg(out), axis);
    merge_rows({&x, &y});
    launch_softmax<T, kLog, B>(op, x, y, s.rows, s.len, s.inner == 1);
  });
  dc.finish();
}

}  // namespace vt::cuda::softmax_detail
