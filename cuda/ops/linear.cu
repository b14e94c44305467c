// cuda/ops/linear.cu — float32/float64 linear (y = x·Wᵀ + b, PyTorch's F.linear) and its VJP on
// cuBLAS.
// Shaped this way because: the layer is one GEMM (cuda/ops/gemm.cuh): x's leading dims are the
// M rows of an (M × in)·(in × out) product — read in place when they have one row stride, else
// packed by a copy kernel — and W is read in place as Wᵀ (its transpose flag and leading
// dimension). One cublasSgemm/DgemmStridedBatched call with batchCount 1; TF32 off (the handle is
// in CUBLAS_DEFAULT_MATH). The bias is preloaded into C (each row = b) and the GEMM runs with
// beta = 1, as the optimized backend (and PyTorch's addmm) does: the bias is one more addend of
// each dot product, inside the spec's γ_{in+1} bound. The output is written in place when it is
// contiguous, else through scratch and a copy kernel writing through its strides.
// Overflow as in matmul: every element cuBLAS returns non-finite, and every element whose row of
// x, row of W or bias holds an inf/NaN, is recomputed on the host in float128 — Σ_k x·W
// (k ascending), then + b, the reference's order — and rounded once.
// VJP: gx = g·W and gW = gᵀ·x are two more GEMMs through the same routine (gᵀ a permuted view),
// each into scratch and copied out through the gradient's strides (non-finite elements
// repaired in float128 as above); gb = Σ_rows g is a kernel with one thread per output feature
// summing the rows in order in float64 and rounding once (opt::sum_to_shape's error, which the
// spec's bound assumes), a non-finite sum recomputed in float128. Bits: cuBLAS is bitwise
// reproducible on one architecture with one stream, the kernels have fixed orders:
// Determinism::bitwise.
// What it is not: second order.
#include "cuda/ops/gemm.cuh"
#include "optimized/ops/linear.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace vt::cuda {
namespace {

constexpr const char* kOp = "linear";
constexpr int kThreads = 256;

/// Rows of x (…, in) flattened: the product of its leading dims.
std::int64_t rows_of(const Tensor& x) {
  return shape_numel(Shape(x.shape().begin(), x.shape().end() - 1));
}

/// z (rows × cols, contiguous) = bias in every row.
template <class T>
__global__ void bias_rows_kernel(T* __restrict__ z, std::int64_t rows, std::int64_t cols,
                                 TensorArg bias) {
  const std::int64_t n = rows * cols;
  const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
  const T* b = bias.ptr<const T>();
  for (std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += stride)
    z[i] = b[bias.offset(i % cols)];
}

/// out[o] = Σ_{r < rows} g[r, o] (g: (…, cols) in row-major order = (rows, cols)), one thread per
/// o, rows in order, in double from +0, rounded once to T.
template <class T>
__global__ void column_sum_kernel(TensorArg g, std::int64_t rows, std::int64_t cols,
                                  TensorArg out) {
  const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
  const T* src = g.ptr<const T>();
  T* dst = out.ptr<T>();
  for (std::int64_t o = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; o < cols;
       o += stride) {
    double s = 0.0;
    for (std::int64_t r = 0; r < rows; ++r) s += static_cast<double>(src[g.offset(r * cols + o)]);
    dst[out.offset(o)] = static_cast<T>(s);
  }
}

template <class T>
void forward_typed(OpCall& c) {
  const Tensor& x = c.inputs[0];
  const Tensor& w = c.inputs[1];
  const bool has_bias = c.inputs.size() == 3;
  const Tensor& out = c.outputs[0];
  const int nd = static_cast<int>(x.ndim());
  const std::int64_t K = x.shape().back(), N = w.dim(0), M = rows_of(x);
  DeviceCall dc(c, kOp);
  if (M == 0 || N == 0) return;  // nothing to write
  const TensorArg o = dc.arg(out);
  const bool direct = o.contiguous && !out.overlaps(x) && !out.overlaps(w) &&
                      !(has_bias && out.overlaps(c.inputs[2]));
  T* z = direct ? o.ptr<T>() : dc.scratch<T>(M * N);
  if (has_bias) {
    bias_rows_kernel<T>
        <<<grid_for(M * N, kThreads), kThreads, 0, stream()>>>(z, M, N, dc.arg(c.inputs[2]));
    check_launch(kOp, "bias_rows_kernel");
  } else if (K == 0) {  // empty sums, no bias: y = +0
    VT_CUDA_CHECK(kOp,
                  cudaMemsetAsync(z, 0, static_cast<std::size_t>(M * N) * sizeof(T), stream()));
  }
  std::optional<gemm::Operand> X, Wt;
  if (K > 0) {
    X = gemm::make_operand(dc, x, {}, 0, nd - 1, 1);  // (1, M, K)
    Wt = gemm::make_operand(dc, w, {1, 0}, 0, 1, 1);  // (1, K, N): Wᵀ
    gemm::batched_product<T>(dc, *X, *Wt, z, has_bias);
  }
  const std::vector<std::int64_t> one{0};
  if (!direct) gemm::launch_fold<T>(dc, z, one, 1, M * N, o);
  dc.finish();
  if (X) {
    const Tensor* b = has_bias ? &c.inputs[2] : nullptr;
    gemm::repair<T>(*X, *Wt, gemm::host_target(out, 0, nd - 1, 1), one, 1,
                    b ? b->data<T>() : nullptr, b ? b->strides()[0] : 0);
  }
}

// x: (…, in), w: (out, in), b: (out) optional; y: (…, out).
void linear_forward(OpCall& c) {
  opt::linear_check(c.inputs, c.outputs.at(0), backend::cuda);
  dispatch_float(c.outputs[0].dtype(), kOp, [&]<class T>() { forward_typed<T>(c); });
}

// ---- VJP ---------------------------------------------------------------------------------------

template <class T>
void vjp_typed(BackwardCall& bc) {
  const OpCall& f = *bc.forward;
  const Tensor& x = f.inputs[0];
  const Tensor& w = f.inputs[1];
  const int nd = static_cast<int>(x.ndim());
  const std::int64_t N = w.dim(0), M = rows_of(x);
  auto wanted = [&](std::size_t i) {
    return bc.grad_inputs.size() > i && bc.grad_inputs[i].defined();
  };
  if (!wanted(0) && !wanted(1) && !wanted(2)) return;
  Tensor g = bc.grad_outputs.empty() ? Tensor() : bc.grad_outputs[0];
  DeviceCall dc(bc, kOp);
  if (!g.defined()) {  // undefined means zero, as the reference and the optimized backend take
    // it: 0·W still carries W's inf/NaN (0·inf = NaN), so the products are computed, not skipped
    g = Tensor::empty(f.outputs.at(0).shape(), x.dtype());
    dc.read(g);
  }
  const std::vector<std::int64_t> one{0};
  std::optional<gemm::Operand> gx_g, gx_w, gw_g, gw_x;
  if (wanted(0) && bc.grad_inputs[0].numel() > 0) {  // gx (M × in) = g (M × out)·W (out × in)
    const Tensor& gx = bc.grad_inputs[0];
    if (N == 0) {
      gemm::launch_zero<T>(kOp, dc.arg(gx));
    } else {
      gx_g = gemm::make_operand(dc, g, {}, 0, nd - 1, 1);
      gx_w = gemm::make_operand(dc, w, {}, 0, 1, 1);
      T* z = dc.scratch<T>(gx.numel());
      gemm::batched_product<T>(dc, *gx_g, *gx_w, z, false);
      gemm::launch_fold<T>(dc, z, one, 1, gx.numel(), dc.arg(gx));
    }
  }
  if (wanted(1) && bc.grad_inputs[1].numel() > 0) {  // gW (out × in) = gᵀ (out × M)·x (M × in)
    const Tensor& gw = bc.grad_inputs[1];
    if (M == 0) {
      gemm::launch_zero<T>(kOp, dc.arg(gw));
    } else {
      std::vector<int> order{nd - 1};  // gᵀ: the feature dim first, then the leading dims
      for (int k = 0; k + 1 < nd; ++k) order.push_back(k);
      gw_g = gemm::make_operand(dc, g, order, 0, 1, nd - 1);
      gw_x = gemm::make_operand(dc, x, {}, 0, nd - 1, 1);
      T* z = dc.scratch<T>(gw.numel());
      gemm::batched_product<T>(dc, *gw_g, *gw_x, z, false);
      gemm::launch_fold<T>(dc, z, one, 1, gw.numel(), dc.arg(gw));
    }
  }
  const bool bias_sum = wanted(2) && bc.grad_inputs[2].numel() > 0 && M > 0;
  if (wanted(2) && bc.grad_inputs[2].numel() > 0) {  // gb (out) = Σ_rows g
    const Tensor& gb = bc.grad_inputs[2];
    if (M == 0) {
      gemm::launch_zero<T>(kOp, dc.arg(gb));
    } else {
      column_sum_kernel<T>
          <<<grid_for(N, kThreads), kThreads, 0, stream()>>>(dc.arg(g), M, N, dc.arg(gb));
      check_launch(kOp, "column_sum_kernel");
    }
  }
  dc.finish();
  if (gx_g)
    gemm::repair<T>(*gx_g, *gx_w, gemm::host_target(bc.grad_inputs[0], 0, nd - 1, 1), one, 1);
  if (gw_g) gemm::repair<T>(*gw_g, *gw_x, gemm::host_target(bc.grad_inputs[1], 0, 1, 1), one, 1);
  if (bias_sum) {  // a non-finite Σ (an inf/NaN in g, or a float64 overflow): float128, rows in
                   // order
    const Tensor& gb = bc.grad_inputs[2];
    const gemm::HostTarget gt = gemm::host_target(g, 0, nd - 1, 1);  // g as (1, M, N)
    const T* gp = g.data<T>();
    T* bp = gb.data<T>();
    const std::int64_t bs = gb.strides()[0];
    for (std::int64_t o = 0; o < N; ++o) {
      T& v = bp[o * bs];
      if (std::isfinite(v)) continue;
      hp_t s = 0;
      for (std::int64_t r = 0; r < M; ++r)
        s += hp_t(gp[gt.r[static_cast<std::size_t>(r)] + gt.c[static_cast<std::size_t>(o)]]);
      v = static_cast<T>(s);
    }
  }
}

void linear_vjp(BackwardCall& bc) {
  opt::linear_check(bc.forward->inputs, bc.forward->outputs.at(0), backend::cuda);
  dispatch_float(bc.forward->outputs[0].dtype(), kOp, [&]<class T>() { vjp_typed<T>(bc); });
}

VT_REGISTER_CUDA_VJP(linear, "cublas", linear_forward, linear_vjp,
                     "one cublasSgemm/DgemmStridedBatched over the flattened batch "
                     "(TF32 off: CUBLAS_DEFAULT_MATH), W read in place as Wᵀ, bias "
                     "preloaded into C (beta = 1); non-finite results recomputed in "
                     "float128 on the host; VJP g·W and gᵀ·x by GEMM, Σ g by a "
                     "float64 column-sum kernel");

}  // namespace
}  // namespace vt::cuda
