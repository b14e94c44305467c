// cuda/ops/gemm.cuh — what matmul.cu, linear.cu and the matmul mutant share: a batch of
// products Z_p = X_p·Y_p (X: (P, R, L), Y: (P, L, C)) by one cublasSgemmStridedBatched /
// cublasDgemmStridedBatched call, folded onto a target tensor, and the float128 repair of the
// elements cuBLAS cannot be trusted with.
// What it is: an operand is any strided view (transposed, negative strides, broadcast) of a
// tensor whose dims are grouped, in order, into batch dims, row dims and column dims. cuBLAS
// reads it in place when each group has one stride (a uniform batch stride ≥ 0, 0 for a batch
// broadcast) and the matrix has a unit row or column stride with a valid leading dimension
// (NoTrans/Trans + ld, as optimized/ops/matmul.cpp's blas_view); anything else is packed into a
// contiguous scratch buffer by a strided-copy kernel. cuBLAS is column-major: the row-major
// product Z = X·Y is computed as Zᵀ = Yᵀ·Xᵀ into a contiguous (P, R, C) buffer. The handle is in
// CUBLAS_DEFAULT_MATH: TF32 is off, float32 GEMMs are float32 FMAs.
// Folding: the buffer's P matrices are summed onto the target's TB = P/m matrices, m per target
// matrix (m > 1: a broadcast operand's gradient), in float64 in a fixed order and rounded once —
// the error the specs assume of opt::sum_to_shape — or copied as they are (m = 1).
// Repair (host side, after DeviceCall::finish): an element cuBLAS returns non-finite (an inf/NaN
// operand, or a partial sum that overflowed where the exact value may be finite), and every
// element whose row of X or column of Y holds an inf/NaN (its exact value is non-finite; checked
// so that no GEMM shortcut on zeros could hide it), is recomputed in float128 — Σ over the folded
// batches in order, each Σ_l ascending, as the reference does — and rounded once: the same repair
// as the optimized backend's.
// What it is not: the op-level shape logic (matmul.cu, linear.cu).
#pragma once

#include "core/dtype.hpp"
#include "core/error.hpp"
#include "core/registry.hpp"
#include "core/tensor.hpp"
#include "cuda/core/device_call.hpp"
#include "cuda/core/runtime.hpp"
#include "cuda/core/tensor_arg.hpp"

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace vt::cuda {

/// matmul's forward (cuda/ops/matmul.cu). drop_last_batch = true is the planted bug of
/// cuda/mutants/matmul.cu: the strided-batched GEMM runs with batchCount − 1 when there are two
/// or more batch elements (the dropped matrices are left zero).
void matmul_forward_with(OpCall& c, bool drop_last_batch);

namespace gemm {

inline constexpr int kThreads = 256;

// ---- layouts --------------------------------------------------------------------------------

/// A device view with its dims reordered: dim k of the result is dim order[k] of a.
inline TensorArg permuted(const TensorArg& a, const std::vector<int>& order) {
  TensorArg r = a;
  for (std::size_t k = 0; k < order.size(); ++k) {
    r.shape[k] = a.shape[order[k]];
    r.strides[k] = a.strides[order[k]];
  }
  std::int64_t expected = 1;
  r.contiguous = true;
  for (int k = r.ndim; k-- > 0;) {
    if (r.shape[k] != 1 && r.strides[k] != expected) r.contiguous = false;
    expected *= r.shape[k];
  }
  return r;
}

/// Offsets (elements, from element 0) of every index over dims [d0, d1) of a, row-major.
/// An empty range gives {0}.
inline std::vector<std::int64_t> group_offsets(const TensorArg& a, int d0, int d1) {
  std::vector<std::int64_t> off{0};
  for (int d = d0; d < d1; ++d) {
    std::vector<std::int64_t> next;
    next.reserve(off.size() * static_cast<std::size_t>(std::max<std::int64_t>(a.shape[d], 0)));
    for (const std::int64_t o : off)
      for (std::int64_t i = 0; i < a.shape[d]; ++i) next.push_back(o + i * a.strides[d]);
    off = std::move(next);
  }
  return off;
}

/// The one stride s with off[q] == q·s for every q, if there is one (0 for a single entry).
inline std::optional<std::int64_t> uniform_stride(const std::vector<std::int64_t>& off) {
  if (off.size() <= 1) return std::int64_t{0};
  const std::int64_t s = off[1] - off[0];
  for (std::size_t q = 0; q < off.size(); ++q)
    if (off[q] != static_cast<std::int64_t>(q) * s) return std::nullopt;
  return s;
}

/// A tensor seen as a batch of matrices: its dims (after `order`) are nb batch dims, nr row dims
/// and nc column dims; element (p, r, c) is at element 0 + b[p] + r_off[r] + c_off[c].
struct Operand {
  TensorArg dev;                      // device view, dims in group order
  const Tensor* host = nullptr;       // the host tensor (same element 0, same strides)
  std::vector<std::int64_t> b, r, c;  // group offsets
  std::int64_t batch() const { return static_cast<std::int64_t>(b.size()); }
  std::int64_t rows() const { return static_cast<std::int64_t>(r.size()); }
  std::int64_t cols() const { return static_cast<std::int64_t>(c.size()); }
};

/// t (declared in dc, non-empty) as an Operand; order lists t's dims (identity when empty).
inline Operand make_operand(DeviceCall& dc, const Tensor& t, std::vector<int> order, int nb, int nr,
                            int nc) {
  const int nd = static_cast<int>(t.ndim());
  if (order.empty())
    for (int k = 0; k < nd; ++k) order.push_back(k);
  if (nb + nr + nc != nd || static_cast<int>(order.size()) != nd)
    throw Error(dc.op(), {t.shape()}, "internal: operand dims do not match their grouping");
  Operand o;
  o.dev = permuted(dc.arg(t), order);
  o.host = &t;
  o.b = group_offsets(o.dev, 0, nb);
  o.r = group_offsets(o.dev, nb, nb + nr);
  o.c = group_offsets(o.dev, nb + nr, nd);
  return o;
}

// ---- kernels --------------------------------------------------------------------------------

/// dst[i] = src[src.offset(i)] for i < n: the first n elements of src in row-major order.
template <class T>
__global__ void pack_kernel(TensorArg src, T* __restrict__ dst, std::int64_t n) {
  const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
  const T* s = src.ptr<const T>();
  for (std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += stride)
    dst[i] = s[src.offset(i)];
}

/// target element e (row-major over the target, = (tb, w) with w < rc) =
///   m = 1: full[members[tb]·rc + w], as it is;
///   m > 1: Σ_{q<m} full[members[tb·m + q]·rc + w], summed in double from +0, q ascending,
///          rounded once to T.
template <class T>
__global__ void fold_kernel(const T* __restrict__ full, const std::int64_t* __restrict__ members,
                            std::int64_t m, std::int64_t rc, TensorArg target) {
  const std::int64_t n = target.numel;
  const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
  T* out = target.ptr<T>();
  for (std::int64_t e = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; e < n;
       e += stride) {
    const std::int64_t tb = e / rc, w = e % rc;
    if (m == 1) {
      out[target.offset(e)] = full[members[tb] * rc + w];
    } else {
      double s = 0.0;
      for (std::int64_t q = 0; q < m; ++q)
        s += static_cast<double>(full[members[tb * m + q] * rc + w]);
      out[target.offset(e)] = static_cast<T>(s);
    }
  }
}

/// Every element of target = +0.
template <class T>
__global__ void zero_kernel(TensorArg target) {
  const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
  T* out = target.ptr<T>();
  for (std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
       i < target.numel; i += stride)
    out[target.offset(i)] = T(0);
}

template <class T>
void launch_zero(const std::string& op, const TensorArg& target) {
  if (target.numel == 0) return;
  zero_kernel<T><<<grid_for(target.numel, kThreads), kThreads, 0, stream()>>>(target);
  check_launch(op, "zero_kernel");
}

// ---- cuBLAS ---------------------------------------------------------------------------------

inline cublasStatus_t gemm_strided_batched(cublasHandle_t h, cublasOperation_t ta,
                                           cublasOperation_t tb, int m, int n, int k,
                                           const float* alpha, const float* a, int lda,
                                           long long sa, const float* b, int ldb, long long sb,
                                           const float* beta, float* c, int ldc, long long sc,
                                           int count) {
  return cublasSgemmStridedBatched(h, ta, tb, m, n, k, alpha, a, lda, sa, b, ldb, sb, beta, c, ldc,
                                   sc, count);
}
inline cublasStatus_t gemm_strided_batched(cublasHandle_t h, cublasOperation_t ta,
                                           cublasOperation_t tb, int m, int n, int k,
                                           const double* alpha, const double* a, int lda,
                                           long long sa, const double* b, int ldb, long long sb,
                                           const double* beta, double* c, int ldc, long long sc,
                                           int count) {
  return cublasDgemmStridedBatched(h, ta, tb, m, n, k, alpha, a, lda, sa, b, ldb, sb, beta, c, ldc,
                                   sc, count);
}

/// How cuBLAS reads one (rows × cols) matrix with element (r, c) at r·rs + c·cs, if it can:
/// row-major (unit column stride, ld = row stride ≥ cols) or column-major (unit row stride,
/// ld = column stride ≥ rows); a single row or column takes any stride of the other kind.
struct MatrixView {
  bool ok = false;
  bool row_major = true;
  std::int64_t ld = 1;
};
inline MatrixView matrix_view(std::int64_t rows, std::int64_t cols, std::int64_t rs,
                              std::int64_t cs) {
  if ((cols <= 1 || cs == 1) && (rows <= 1 || rs >= std::max<std::int64_t>(1, cols))) {
    const std::int64_t ld = rows <= 1 ? std::max<std::int64_t>(1, cols) : rs;
    if (ld <= INT_MAX) return {true, true, ld};
  }
  if ((rows <= 1 || rs == 1) && (cols <= 1 || cs >= std::max<std::int64_t>(1, rows))) {
    const std::int64_t ld = cols <= 1 ? std::max<std::int64_t>(1, rows) : cs;
    if (ld <= INT_MAX) return {true, false, ld};
  }
  return {};
}

/// An operand as cuBLAS reads it: matrix p at p·stride, row- or column-major with ld.
template <class T>
struct BlasOperand {
  const T* p = nullptr;
  bool row_major = true;
  std::int64_t ld = 1;
  std::int64_t stride = 0;
};

/// x in place when its batch has one stride ≥ 0 and its matrix a cuBLAS view; otherwise packed
/// row-major into scratch (one matrix when the whole batch is one broadcast matrix).
template <class T>
BlasOperand<T> blas_operand(DeviceCall& dc, const Operand& x) {
  const std::optional<std::int64_t> sb = uniform_stride(x.b), rs = uniform_stride(x.r),
                                    cs = uniform_stride(x.c);
  const std::int64_t rows = x.rows(), cols = x.cols();
  if (sb && *sb >= 0 && rs && cs) {
    const MatrixView v = matrix_view(rows, cols, *rs, *cs);
    if (v.ok) return {x.dev.ptr<const T>(), v.row_major, v.ld, *sb};
  }
  const bool one = sb && *sb == 0;  // every batch element is the same matrix
  const std::int64_t count = one ? 1 : x.batch();
  const std::int64_t n = count * rows * cols;
  T* buf = dc.scratch<T>(n);
  pack_kernel<T><<<grid_for(n, kThreads), kThreads, 0, stream()>>>(x.dev, buf, n);
  check_launch(dc.op(), "pack_kernel");
  return {buf, true, std::max<std::int64_t>(1, cols), one ? 0 : rows * cols};
}

/// z (contiguous (P, R, C), device) = X·Y per batch element, or + z when accumulate (z preloaded,
/// beta = 1). Requires P, R, C, L ≥ 1. drop_last_batch: the planted bug (batchCount − 1).
template <class T>
void batched_product(DeviceCall& dc, const Operand& X, const Operand& Y, T* z, bool accumulate,
                     bool drop_last_batch = false) {
  const std::int64_t P = X.batch(), R = X.rows(), L = X.cols(), C = Y.cols();
  if (Y.batch() != P || Y.rows() != L || P < 1 || R < 1 || L < 1 || C < 1)
    throw Error(dc.op(), {}, "internal: batched product operands do not agree");
  if (R > INT_MAX || C > INT_MAX || L > INT_MAX || P > INT_MAX)
    throw Error(dc.op(), {},
                "a matrix dimension or the batch count exceeds cuBLAS's 32-bit index range");
  const BlasOperand<T> x = blas_operand<T>(dc, X), y = blas_operand<T>(dc, Y);
  const std::int64_t count = drop_last_batch && P >= 2 ? P - 1 : P;  // the mutant's bug
  if (drop_last_batch)  // the dropped matrices read as zeros, never as stale scratch (or NaN)
    VT_CUDA_CHECK(dc.op(),
                  cudaMemsetAsync(z, 0, static_cast<std::size_t>(P * R * C) * sizeof(T), stream()));
  // Row-major Z (R × C) is column-major Zᵀ (C × R) with ld C: Zᵀ = Yᵀ·Xᵀ. A row-major operand's
  // memory is its transpose in column-major terms (op N); a column-major one needs op T.
  const T one = T(1), beta = accumulate ? T(1) : T(0);
  const cublasOperation_t opy = y.row_major ? CUBLAS_OP_N : CUBLAS_OP_T;
  const cublasOperation_t opx = x.row_major ? CUBLAS_OP_N : CUBLAS_OP_T;
  VT_CUBLAS_CHECK(dc.op(),
                  gemm_strided_batched(cublas(), opy, opx, static_cast<int>(C), static_cast<int>(R),
                                       static_cast<int>(L), &one, y.p, static_cast<int>(y.ld),
                                       y.stride, x.p, static_cast<int>(x.ld), x.stride, &beta, z,
                                       static_cast<int>(C), R * C, static_cast<int>(count)));
}

/// For a target of TB matrices receiving the P = TB·m full batch elements: members[tb·m + q] = the
/// q-th (ascending) full batch element folded onto target batch tb. tb_of_p: target batch of
/// each full batch element.
inline std::vector<std::int64_t> fold_members(const std::vector<std::int64_t>& tb_of_p,
                                              std::int64_t TB, std::int64_t& m,
                                              const std::string& op) {
  const auto P = static_cast<std::int64_t>(tb_of_p.size());
  if (TB < 1 || P % TB != 0) throw Error(op, {}, "internal: uneven fold of batch elements");
  m = P / TB;
  std::vector<std::int64_t> members(static_cast<std::size_t>(P));
  std::vector<std::int64_t> filled(static_cast<std::size_t>(TB), 0);
  for (std::int64_t p = 0; p < P; ++p) {
    const std::int64_t tb = tb_of_p[static_cast<std::size_t>(p)];
    if (tb < 0 || tb >= TB || filled[static_cast<std::size_t>(tb)] >= m)
      throw Error(op, {}, "internal: uneven fold of batch elements");
    members[static_cast<std::size_t>(tb * m + filled[static_cast<std::size_t>(tb)]++)] = p;
  }
  return members;
}

/// target (TB·R·C elements, row-major (tb, r, c)) = fold of the contiguous (P, R, C) buffer z.
/// `members` must outlive the call's stream work (keep it until DeviceCall::finish).
template <class T>
void launch_fold(DeviceCall& dc, const T* z, const std::vector<std::int64_t>& members,
                 std::int64_t m, std::int64_t rc, const TensorArg& target) {
  if (target.numel == 0) return;
  auto* dm = dc.scratch<std::int64_t>(static_cast<std::int64_t>(members.size()));
  VT_CUDA_CHECK(dc.op(), cudaMemcpyAsync(dm, members.data(), members.size() * sizeof(std::int64_t),
                                         cudaMemcpyHostToDevice, stream()));
  fold_kernel<T><<<grid_for(target.numel, kThreads), kThreads, 0, stream()>>>(z, dm, m, rc, target);
  check_launch(dc.op(), "fold_kernel");
}

// ---- the float128 repair (host, after DeviceCall::finish) -----------------------------------

/// The target seen on the host: element (tb, r, c) at element 0 + b[tb] + r[r] + c[c].
struct HostTarget {
  const Tensor* t = nullptr;
  std::vector<std::int64_t> b, r, c;
};
inline HostTarget host_target(const Tensor& t, int nb, int nr, int nc) {
  TensorArg a;  // shape and strides only, for group_offsets
  a.ndim = static_cast<int>(t.ndim());
  if (nb + nr + nc != a.ndim || a.ndim > kMaxDims)
    throw Error("gemm", {t.shape()}, "internal: target dims do not match their grouping");
  for (int k = 0; k < a.ndim; ++k) {
    a.shape[k] = t.shape()[static_cast<std::size_t>(k)];
    a.strides[k] = t.strides()[static_cast<std::size_t>(k)];
  }
  return {&t, group_offsets(a, 0, nb), group_offsets(a, nb, nb + nr),
          group_offsets(a, nb + nr, a.ndim)};
}

/// Recomputes, in float128, every target element that is non-finite or whose terms include an
/// inf/NaN operand: Σ_{q<m} Σ_{l<L} X(p, i, l)·Y(p, l, j) (p = members[tb·m + q], l ascending)
/// [+ bias_j], rounded once to T. bias: host pointer and stride, or nullptr.
template <class T>
void repair(const Operand& X, const Operand& Y, const HostTarget& t,
            const std::vector<std::int64_t>& members, std::int64_t m, const T* bias = nullptr,
            std::int64_t bias_stride = 0) {
  const std::int64_t P = X.batch(), R = X.rows(), L = X.cols(), C = Y.cols();
  const auto TB = static_cast<std::int64_t>(t.b.size());
  T* out = t.t->data<T>();
  const auto sz = [](std::int64_t i) { return static_cast<std::size_t>(i); };
  const T* xp = X.host->data<T>();
  const T* yp = Y.host->data<T>();
  const auto x_at = [&](std::int64_t p, std::int64_t i, std::int64_t l) {
    return xp[X.b[sz(p)] + X.r[sz(i)] + X.c[sz(l)]];
  };
  const auto y_at = [&](std::int64_t p, std::int64_t l, std::int64_t j) {
    return yp[Y.b[sz(p)] + Y.r[sz(l)] + Y.c[sz(j)]];
  };
  // Rows of X and columns of Y that hold an inf or NaN.
  std::vector<char> row_bad(sz(P * R), 0), col_bad(sz(P * C), 0);
  for (std::int64_t p = 0; p < P; ++p)
    for (std::int64_t l = 0; l < L; ++l) {
      for (std::int64_t i = 0; i < R; ++i)
        if (!std::isfinite(x_at(p, i, l))) row_bad[sz(p * R + i)] = 1;
      for (std::int64_t j = 0; j < C; ++j)
        if (!std::isfinite(y_at(p, l, j))) col_bad[sz(p * C + j)] = 1;
    }
  for (std::int64_t tb = 0; tb < TB; ++tb)
    for (std::int64_t i = 0; i < R; ++i)
      for (std::int64_t j = 0; j < C; ++j) {
        T& v = out[t.b[sz(tb)] + t.r[sz(i)] + t.c[sz(j)]];
        bool need = !std::isfinite(v) || (bias && !std::isfinite(bias[j * bias_stride]));
        for (std::int64_t q = 0; q < m && !need; ++q) {
          const std::int64_t p = members[sz(tb * m + q)];
          need = row_bad[sz(p * R + i)] || col_bad[sz(p * C + j)];
        }
        if (!need) continue;
        hp_t s = 0;
        for (std::int64_t q = 0; q < m; ++q) {
          const std::int64_t p = members[sz(tb * m + q)];
          hp_t d = 0;
          for (std::int64_t l = 0; l < L; ++l) d += hp_t(x_at(p, i, l)) * hp_t(y_at(p, l, j));
          s += d;
        }
        if (bias) s += hp_t(bias[j * bias_stride]);
        v = static_cast<T>(s);
      }
}

}  // namespace gemm
}  // namespace vt::cuda
