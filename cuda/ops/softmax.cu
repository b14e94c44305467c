// cuda/ops/softmax.cu — float32/float64 softmax and log_softmax along one axis on the GPU, their
// VJPs, and softmax_device (cuda/ops/launchers.hpp) for the benchmarks.
// Shaped this way because: a row is one block's work when the axis is the innermost dimension
// (block reductions for the max and the sum, the row in registers up to 2048 elements), one
// thread's otherwise (rows along a non-last axis sit side by side in memory, so a warp reads 32
// adjacent rows per step); cuda/ops/softmax.cuh holds the forward kernels, shared with the
// mutants. Any layout is read and written through strides (RowArg); nothing is made contiguous.
// Accuracy (sum-bound, verify/ops/softmax.cpp): the optimized backend's arithmetic — m exactly,
// fl(x − m), exp within 1 ulp (float32: CUDA's double exp rounded once; float64: CUDA's exp,
// 1 ulp), a fixed-order tree sum (γ_{n−1} covers any order), one IEEE division, and log_softmax
// fl(fl(x − m) − fl(log Ŝ)) with log within 1 ulp. The VJPs read the backend's own forward output:
//   softmax:     gx_i = y_i·(g_i − Σ_j g_j y_j),  log_softmax: gx_i = g_i − exp(y_i)·Σ_j g_j,
// each product rounded once and the row sum in a fixed tree, as the spec's gradient bounds assume.
// Deterministic: every reduction is a block or a thread in a fixed order, no atomics.
// What it is not: second order (the CPU backends carry it).
#include "cuda/core/device_call.hpp"
#include "cuda/core/reduce.cuh"
#include "cuda/ops/launchers.hpp"
#include "cuda/ops/softmax.cuh"

#include <cstdint>

namespace vt::cuda {
namespace {

using namespace softmax_detail;

// ---- VJPs -------------------------------------------------------------------------------------

/// Row sum s = Σ g·y (softmax) or Σ g (log_softmax) by one block, then each element.
template <class T, bool kLog>
__global__ void __launch_bounds__(kRowThreads)
    softmax_vjp_rows_kernel(RowArg y, RowArg g, RowArg gx, std::int64_t nrows, std::int64_t len) {
  __shared__ T red[kWarp];
  const T* yp = y.rows.ptr<const T>();
  const T* gp = g.rows.ptr<const T>();
  T* op = gx.rows.ptr<T>();
  const std::int64_t tid = threadIdx.x;
  for (std::int64_t r = blockIdx.x; r < nrows; r += gridDim.x) {
    const std::int64_t yb = y.rows.offset(r), gb = g.rows.offset(r), ob = gx.rows.offset(r);
    T s = T(0);
    for (std::int64_t j = tid; j < len; j += kRowThreads) {
      if constexpr (kLog)
        s += gp[gb + j * g.step];
      else
        s += gp[gb + j * g.step] * yp[yb + j * y.step];
    }
    s = block_sum(s, red);
    for (std::int64_t j = tid; j < len; j += kRowThreads) {
      const T gj = gp[gb + j * g.step], yj = yp[yb + j * y.step];
      if constexpr (kLog)
        op[ob + j * gx.step] = gj - exp_t(yj) * s;
      else
        op[ob + j * gx.step] = yj * (gj - s);
    }
  }
}

/// The same, one thread per row.
template <class T, bool kLog>
__global__ void softmax_vjp_cols_kernel(RowArg y, RowArg g, RowArg gx, std::int64_t nrows,
                                        std::int64_t len) {
  const T* yp = y.rows.ptr<const T>();
  const T* gp = g.rows.ptr<const T>();
  T* op = gx.rows.ptr<T>();
  const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
  for (std::int64_t r = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; r < nrows;
       r += stride) {
    const std::int64_t yb = y.rows.offset(r), gb = g.rows.offset(r), ob = gx.rows.offset(r);
    T s = T(0);
    for (std::int64_t j = 0; j < len; ++j) {
      if constexpr (kLog)
        s += gp[gb + j * g.step];
      else
        s += gp[gb + j * g.step] * yp[yb + j * y.step];
    }
    for (std::int64_t j = 0; j < len; ++j) {
      const T gj = gp[gb + j * g.step], yj = yp[yb + j * y.step];
      if constexpr (kLog)
        op[ob + j * gx.step] = gj - exp_t(yj) * s;
      else
        op[ob + j * gx.step] = yj * (gj - s);
    }
  }
}

template <bool kLog>
void softmax_vjp_impl(BackwardCall& bc, const char* op) {
  if (bc.grad_inputs.empty() || !bc.grad_inputs[0].defined()) return;
  const OpCall& f = *bc.forward;
  const Tensor& in = f.inputs.at(0);
  const Tensor& gx = bc.grad_inputs[0];
  const std::int64_t axis = softmax_axis(f, op);
  // An undefined output gradient is zero (as the CPU: y·(0 − Σ 0·y) keeps NaN rows NaN).
  const Tensor g0 = bc.grad_outputs.empty() ? Tensor() : bc.grad_outputs[0];
  const Tensor g = g0.defined() ? g0 : Tensor::empty(in.shape(), in.dtype());
  DeviceCall dc(bc, op);
  dc.read(g);
  dispatch_float(in.dtype(), op, [&]<class T>() {
    if (in.numel() == 0) return;
    const RowShape s = row_shape(in, axis);
    RowArg y = row_arg(dc.arg(f.outputs.at(0)), axis);
    RowArg gr = row_arg(dc.arg(g), axis);
    RowArg o = row_arg(dc.arg(gx), axis);
    merge_rows({&y, &gr, &o});
    if (s.inner == 1) {
      const auto grid = static_cast<unsigned>(std::min(s.rows, kMaxRowBlocks));
      softmax_vjp_rows_kernel<T, kLog><<<grid, kRowThreads, 0, stream()>>>(y, gr, o, s.rows, s.len);
      check_launch(op, "softmax_vjp_rows_kernel");
    } else {
      softmax_vjp_cols_kernel<T, kLog>
          <<<grid_for(s.rows, kColThreads), kColThreads, 0, stream()>>>(y, gr, o, s.rows, s.len);
      check_launch(op, "softmax_vjp_cols_kernel");
    }
  });
  dc.finish();
}

void softmax_forward(OpCall& c) { softmax_forward_impl<false, Bug::none>(c, "softmax"); }
void log_softmax_forward(OpCall& c) { softmax_forward_impl<true, Bug::none>(c, "log_softmax"); }
void softmax_vjp(BackwardCall& bc) { softmax_vjp_impl<false>(bc, "softmax"); }
void log_softmax_vjp(BackwardCall& bc) { softmax_vjp_impl<true>(bc, "log_softmax"); }

VT_REGISTER_CUDA_VJP(softmax, "block-row", softmax_forward, softmax_vjp,
                     "one block per row (row in registers, block max and tree sum; "
                     "thread per row off the last axis), float32 exp in double; VJP "
                     "y ⊙ (g − Σ g ⊙ y) from its own y");
VT_REGISTER_CUDA_VJP(log_softmax, "block-row", log_softmax_forward, log_softmax_vjp,
                     "one block per row (row in registers, block max and tree sum of "
                     "exp(x − max); thread per row off the last axis), then "
                     "(x − max) − log Σ; VJP g − exp(y)·Σ g from its own y");

}  // namespace

void softmax_device(DType dtype, void* out, const void* x, std::int64_t rows, std::int64_t cols) {
  if (rows <= 0 || cols <= 0) return;
  RowArg xa, ya;
  xa.rows.data = const_cast<void*>(x);
  ya.rows.data = out;
  for (RowArg* a : {&xa, &ya}) {
    a->rows.ndim = 1;
    a->rows.numel = rows;
    a->rows.shape[0] = rows;
    a->rows.strides[0] = cols;
    a->rows.contiguous = false;
    a->step = 1;
  }
  dispatch_float(dtype, "softmax", [&]<class T>() {
    launch_softmax<T, false, Bug::none>("softmax", xa, ya, rows, cols, true);
  });
}

}  // namespace vt::cuda
