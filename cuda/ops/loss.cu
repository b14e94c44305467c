// cuda/ops/loss.cu — float32/float64 mse_loss, nll_loss and cross_entropy on the GPU (PyTorch
// semantics, reduction none | mean | sum) and their VJPs, mirroring optimized/ops/loss.cpp.
// Shaped this way because: the per-element or per-row work is one kernel (mse: the elementwise
// launcher for `none` and a grid-stride partial-sum kernel otherwise; nll: one thread per row;
// cross_entropy: one block per row — block max, tree sum of exp(x − max), log — with the row
// read through its strides), and a reduction is one partial per block (mse) or per row (nll,
// cross_entropy) summed by a single block in a fixed order: no floating-point atomics, the same
// bits on every run. Class indices are read and checked on the host before anything is launched
// (the optimized backend's read_indices, with its error messages), then copied over as int64.
// The optimized backend's float128 repairs — results that are non-finite only because an
// intermediate overflowed — need float128, which the device lacks: the kernels report which
// rows/elements need one (or the host sees a non-finite reduction), and the host redoes exactly
// those in float128 from its own copy of the inputs, after DeviceCall::finish, as the CPU does.
// Accuracy (sum-bound, verify/ops/loss.cpp): the CPU's formulas operation for operation —
// mse fl(fl(x − t)²), VJP fl(fl(fl(x − t)·norm)·g); nll −lp exactly; cross_entropy
// −fl(fl(x_t − m) − fl(log Ŝ)) or −Σ fl(p·fl(fl(x − m) − L̂)), exp/log within 1 ulp (float32 in
// double, cuda/ops/softmax.cuh); the VJPs fl(h·fl(ê/Ŝ)) then − h at the target, or
// fl(h·fl(fl(fl(ê/Ŝ)·P̂) − p)); sums in any order (γ), mean one division by the count.
// What it is not: second order.
#include "core/registry.hpp"
#include "core/tensor.hpp"
#include "cuda/core/device_call.hpp"
#include "cuda/core/map.cuh"
#include "cuda/core/reduce.cuh"
#include "cuda/core/runtime.hpp"
#include "cuda/ops/softmax.cuh"
#include "optimized/ops/loss.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace vt::cuda {
namespace {

namespace bmp = boost::multiprecision;
using softmax_detail::block_max;
using softmax_detail::exp_t;
using softmax_detail::log_t;
using softmax_detail::neg_inf;

constexpr int kLossThreads = 128;                 // threads per block (a multiple of 32)
constexpr std::int64_t kMaxLossBlocks = 1 << 20;  // row loops cover the rest

// The checks, attribute parsing and float128 row loss of optimized/ops/loss.cpp.
using opt::class_check;
using opt::counted;
using opt::exact_row_loss;
using opt::mse_check;
using opt::read_indices;
using opt::Reduction;
using opt::reduction_of;
using opt::wanted;

/// The output gradient, or zeros of the forward output's shape when undefined (as the CPU).
Tensor grad_output(const BackwardCall& bc, DType dt) {
  Tensor g = bc.grad_outputs.empty() ? Tensor() : bc.grad_outputs[0];
  if (!g.defined()) return Tensor::empty(bc.forward->outputs.at(0).shape(), dt);
  return g;
}

/// Offset (elements) of the i-th element, row-major, of a host tensor with numel > i.
std::int64_t host_offset(const Tensor& t, std::int64_t i) {
  std::int64_t off = 0;
  for (std::int64_t d = t.ndim() - 1; d >= 0; --d) {
    const std::int64_t n = t.dim(d);
    off += (i % n) * t.strides()[static_cast<std::size_t>(d)];
    i /= n;
  }
  return off;
}

template <class T>
T host_scratch_value(const T* device, std::int64_t i, const std::string& op) {
  T v;
  VT_CUDA_CHECK(op, cudaMemcpy(&v, device + i, sizeof(T), cudaMemcpyDeviceToHost));
  return v;
}

template <class T>
std::vector<T> host_copy(const T* device, std::int64_t n, const std::string& op) {
  std::vector<T> v(static_cast<std::size_t>(n));
  if (n > 0)
    VT_CUDA_CHECK(op, cudaMemcpy(v.data(), device, static_cast<std::size_t>(n) * sizeof(T),
                                 cudaMemcpyDeviceToHost));
  return v;
}

// ---- device pieces shared by the losses -------------------------------------------------------

/// out[0] = Σ terms[0, n) (fixed tree, from +0 as the CPU: a sum of −0 terms is +0), divided
/// by `divisor` when mean. One block.
template <class T>
__global__ void __launch_bounds__(kLossThreads)
    finalize_kernel(const T* terms, std::int64_t n, bool mean, T divisor, T* out) {
  __shared__ T red[kWarp];
  T s = T(0);
  for (std::int64_t j = threadIdx.x; j < n; j += blockDim.x) s += terms[j];
  s = block_sum(s, red);
  if (threadIdx.x == 0) {
    s = T(0) + s;
    out[0] = mean ? s / divisor : s;
  }
}

/// Launches finalize_kernel into the 0-d output `out`.
template <class T>
void launch_finalize(const std::string& op, const T* terms, std::int64_t n, Reduction r,
                     std::int64_t count, const TensorArg& out) {
  finalize_kernel<T><<<1, kLossThreads, 0, stream()>>>(terms, n, r == Reduction::mean,
                                                       static_cast<T>(count), out.ptr<T>());
  check_launch(op, "finalize_kernel");
}

/// The per-row output-gradient multiplier: g_n (none), g (sum), fl(g / count) (mean).
template <class T>
__device__ __forceinline__ T row_grad(const TensorArg& g, Reduction r, std::int64_t n, T count) {
  const T* gp = g.ptr<const T>();
  if (r == Reduction::none) return gp[g.offset(n)];
  if (r == Reduction::sum) return gp[0];
  return gp[0] / count;
}

// ---- mse_loss ---------------------------------------------------------------------------------

template <class T>
struct MseTerm {
  __device__ T operator()(T x, T t) const {
    const T d = x - t;
    return d * d;
  }
};

/// partial[block] = Σ (x − t)² over the block's grid-stride share of the n elements.
template <class T>
__global__ void __launch_bounds__(kLossThreads)
    mse_partial_kernel(TensorArg x, TensorArg t, std::int64_t n, T* partial) {
  __shared__ T red[kWarp];
  const T* xp = x.ptr<const T>();
  const T* tp = t.ptr<const T>();
  const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
  T s = T(0);
  for (std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += stride) {
    const T d = xp[x.offset(i)] - tp[t.offset(i)];
    s += d * d;
  }
  s = block_sum(s, red);
  if (threadIdx.x == 0) partial[blockIdx.x] = s;
}

template <class T>
void mse_typed(OpCall& c, Reduction r) {
  const char* op = "mse_loss";
  const Tensor& x = c.inputs[0];
  const Tensor& t = c.inputs[1];
  const Tensor& out = c.outputs[0];
  const std::int64_t n = x.numel();
  DeviceCall dc(c, op);
  if (r == Reduction::none) {
    launch_map<T, 2>(op, MseTerm<T>{}, dc.map_args(out, {x, t}));
    dc.finish();
    return;
  }
  const TensorArg xa = dc.arg(x), ta = dc.arg(t), oa = dc.arg(out);
  const std::int64_t blocks = n > 0 ? static_cast<std::int64_t>(grid_for(n, kLossThreads)) : 0;
  T* partial = dc.scratch<T>(std::max<std::int64_t>(blocks, 1));
  if (blocks > 0) {
    mse_partial_kernel<T>
        <<<static_cast<unsigned>(blocks), kLossThreads, 0, stream()>>>(xa, ta, n, partial);
    check_launch(op, "mse_partial_kernel");
  }
  launch_finalize<T>(op, partial, blocks, r, n, oa);
  dc.finish();
  // An overflow (or specials): redo in float128 in row-major order and round once, as the CPU.
  T& v = out.data<T>()[0];
  if (!std::isfinite(v) && n > 0) {
    const Tensor xc = x.contiguous(), tc = t.contiguous();
    const T* xh = xc.data<T>();
    const T* th = tc.data<T>();
    hp_t h = 0;
    for (std::int64_t i = 0; i < n; ++i) {
      const hp_t d = hp_t(xh[i]) - hp_t(th[i]);
      h += d * d;
    }
    v = static_cast<T>(r == Reduction::sum ? h : h / hp_t(n));
  }
}

void mse_loss_forward(OpCall& c) {
  mse_check(c, backend::cuda);
  const Reduction r = reduction_of(c, "mse_loss");
  dispatch_float(c.inputs[0].dtype(), "mse_loss", [&]<class T>() { mse_typed<T>(c, r); });
}

/// gx = fl(fl(fl(x − t)·norm)·g) (kNeg: gt = −gx); flags an element whose result overflowed
/// although x, t and g are finite (the host redoes it in float128). The flag is an int store of
/// 1 by any thread that sees one: the same value, no float atomics.
template <class T, bool kNeg>
struct MseGrad {
  T norm;
  int* flag;
  __device__ T operator()(T x, T t, T g) const {
    const T v = ((x - t) * norm) * g;
    if (!isfinite(v) && isfinite(x) && isfinite(t) && isfinite(g)) *flag = 1;
    return kNeg ? -v : v;
  }
};

template <class T>
void mse_vjp_typed(BackwardCall& bc, Reduction r) {
  const char* op = "mse_loss";
  const OpCall& f = *bc.forward;
  const Tensor& x = f.inputs[0];
  const Tensor& t = f.inputs[1];
  const std::int64_t n = x.numel();
  const Tensor gx = wanted(bc, 0) ? bc.grad_inputs[0] : Tensor();
  const Tensor gt = wanted(bc, 1) ? bc.grad_inputs[1] : Tensor();
  if (!gx.defined() && !gt.defined()) return;  // neither gradient wanted
  const Tensor g = grad_output(bc, x.dtype());
  const T norm = r == Reduction::mean ? T(2) / static_cast<T>(n) : T(2);
  DeviceCall dc(bc, op);
  dc.read(g);
  int* flag = dc.scratch<int>(1);
  VT_CUDA_CHECK(op, cudaMemsetAsync(flag, 0, sizeof(int), stream()));
  if (gx.defined()) launch_map<T, 3>(op, MseGrad<T, false>{norm, flag}, dc.map_args(gx, {x, t, g}));
  if (gt.defined()) launch_map<T, 3>(op, MseGrad<T, true>{norm, flag}, dc.map_args(gt, {x, t, g}));
  dc.finish();
  if (n == 0 || host_scratch_value(flag, 0, op) == 0) return;
  // An intermediate that overflowed (x − t, or ·2) where the product with g is finite: those
  // elements again in float128, rounded once (the CPU's repair).
  const Tensor xc = x.contiguous(), tc = t.contiguous(), gc = g.contiguous();
  const T* xh = xc.data<T>();
  const T* th = tc.data<T>();
  const T* gh = gc.data<T>();
  const bool elementwise = r == Reduction::none;
  for (std::int64_t i = 0; i < n; ++i) {
    const T gi = elementwise ? gh[i] : gh[0];
    T* px = gx.defined() ? gx.data<T>() + host_offset(gx, i) : nullptr;
    T* pt = gt.defined() ? gt.data<T>() + host_offset(gt, i) : nullptr;
    const T v = px ? *px : -*pt;
    if (std::isfinite(v) || !std::isfinite(xh[i]) || !std::isfinite(th[i]) || !std::isfinite(gi))
      continue;
    const hp_t cn = r == Reduction::mean ? hp_t(2) / hp_t(n) : hp_t(2);
    const T w = static_cast<T>((hp_t(xh[i]) - hp_t(th[i])) * cn * hp_t(gi));
    if (px) *px = w;
    if (pt) *pt = -w;
  }
}

void mse_loss_vjp(BackwardCall& bc) {
  mse_check(*bc.forward, backend::cuda);
  const Reduction r = reduction_of(*bc.forward, "mse_loss");
  dispatch_float(bc.forward->inputs[0].dtype(), "mse_loss",
                 [&]<class T>() { mse_vjp_typed<T>(bc, r); });
}

// ---- class indices (host) ---------------------------------------------------------------------

/// The indices on the device (nullptr when there are none).
const std::int64_t* upload_indices(DeviceCall& dc, const std::vector<std::int64_t>& k) {
  std::int64_t* kd = dc.scratch<std::int64_t>(std::max<std::int64_t>(1, std::ssize(k)));
  if (!k.empty())
    VT_CUDA_CHECK(dc.op(), cudaMemcpyAsync(kd, k.data(), k.size() * sizeof(std::int64_t),
                                           cudaMemcpyHostToDevice, stream()));
  return kd;
}

/// The host side of a reduction that came out non-finite (optimized/ops/loss.cpp's
/// write_losses): the device's per-row losses l, each row's status (0 finite, 1 non-finite but
/// repairable — the host has already replaced it in l — 2 not repairable), then the sum in row
/// order and, if that overflowed while every row is repairable, float128 over exact_row.
template <class T, class ExactRow>
T host_reduce(const std::vector<T>& l, const std::vector<int>& status, Reduction r,
              std::int64_t count, ExactRow exact_row) {
  const std::int64_t N = std::ssize(l);
  T s = T(0);
  for (const T& v : l) s += v;
  T v = r == Reduction::sum ? s : s / static_cast<T>(count);
  bool all_ok = N > 0;
  for (int st : status) all_ok = all_ok && st != 2;
  if (!std::isfinite(v) && all_ok) {
    hp_t h = 0;
    for (std::int64_t n = 0; n < N; ++n) h += exact_row(n);
    v = static_cast<T>(r == Reduction::sum ? h : h / hp_t(count));
  }
  return v;
}

// ---- nll_loss ---------------------------------------------------------------------------------

/// l[n] = −lp[n, k_n] (+0 for an ignored row); `none` also writes it to out.
template <class T>
__global__ void nll_rows_kernel(TensorArg lp, const std::int64_t* k, std::int64_t N, T* l,
                                TensorArg out, bool none) {
  const T* p = lp.ptr<const T>();
  const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
  for (std::int64_t n = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; n < N;
       n += stride) {
    const std::int64_t kn = k[n];
    const T v = kn < 0 ? T(0) : -p[n * lp.strides[0] + kn * lp.strides[1]];
    l[n] = v;
    if (none) out.ptr<T>()[out.offset(n)] = v;
  }
}

template <class T>
void nll_typed(OpCall& c, Reduction r) {
  const char* op = "nll_loss";
  const std::vector<std::int64_t> k = read_indices(c, op);
  const std::int64_t N = std::ssize(k), count = counted(k);
  const Tensor& out = c.outputs[0];
  DeviceCall dc(c, op);
  const std::int64_t* kd = upload_indices(dc, k);
  T* l = dc.scratch<T>(std::max<std::int64_t>(N, 1));
  const TensorArg lp = dc.arg(c.inputs[0]), oa = dc.arg(out);
  if (N > 0) {
    nll_rows_kernel<T><<<grid_for(N, kLossThreads), kLossThreads, 0, stream()>>>(
        lp, kd, N, l, oa, r == Reduction::none);
    check_launch(op, "nll_rows_kernel");
  }
  if (r != Reduction::none) launch_finalize<T>(op, l, N, r, count, oa);
  dc.finish();
  if (r == Reduction::none) return;
  T& v = out.data<T>()[0];
  if (std::isfinite(v)) return;
  const std::vector<T> lh = host_copy(l, N, op);
  std::vector<int> status(lh.size());
  for (std::size_t n = 0; n < lh.size(); ++n) status[n] = std::isfinite(lh[n]) ? 0 : 2;
  v = host_reduce<T>(lh, status, r, count,
                     [&](std::int64_t n) { return hp_t(lh[static_cast<std::size_t>(n)]); });
}

void nll_loss_forward(OpCall& c) {
  class_check(c, "nll_loss", false, backend::cuda);
  const Reduction r = reduction_of(c, "nll_loss");
  dispatch_float(c.inputs[0].dtype(), "nll_loss", [&]<class T>() { nll_typed<T>(c, r); });
}

/// gx[n, j] = −h_n at j = k_n, +0 elsewhere; one thread per element.
template <class T>
__global__ void nll_vjp_kernel(TensorArg gx, const std::int64_t* k, std::int64_t C, TensorArg g,
                               Reduction r, T count) {
  T* o = gx.ptr<T>();
  const std::int64_t total = gx.numel;
  const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
  for (std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < total;
       i += stride) {
    const std::int64_t n = i / C, j = i % C;
    const std::int64_t kn = k[n];
    o[gx.offset(i)] = kn >= 0 && j == kn ? -row_grad<T>(g, r, n, count) : T(0);
  }
}

template <class T>
void nll_vjp_typed(BackwardCall& bc, Reduction r) {
  const char* op = "nll_loss";
  const std::vector<std::int64_t> k = read_indices(*bc.forward, op);
  if (!wanted(bc, 0)) return;
  const Tensor& gx = bc.grad_inputs[0];
  const Tensor g = grad_output(bc, bc.forward->inputs[0].dtype());
  const std::int64_t C = gx.dim(1);
  DeviceCall dc(bc, op);
  dc.read(g);
  const std::int64_t* kd = upload_indices(dc, k);
  const TensorArg ga = dc.arg(gx), gr = dc.arg(g);
  if (gx.numel() > 0) {
    nll_vjp_kernel<T><<<grid_for(gx.numel(), kLossThreads), kLossThreads, 0, stream()>>>(
        ga, kd, C, gr, r, static_cast<T>(counted(k)));
    check_launch(op, "nll_vjp_kernel");
  }
  dc.finish();
}

void nll_loss_vjp(BackwardCall& bc) {
  class_check(*bc.forward, "nll_loss", false, backend::cuda);
  const Reduction r = reduction_of(*bc.forward, "nll_loss");
  dispatch_float(bc.forward->inputs[0].dtype(), "nll_loss",
                 [&]<class T>() { nll_vjp_typed<T>(bc, r); });
}

// ---- cross_entropy ----------------------------------------------------------------------------

/// Row n of x (N, C): max and Ŝ = Σ exp_t(x − m) by the block (every thread gets both).
template <class T>
__device__ __forceinline__ T row_exp_sum(const T* xp, std::int64_t xb, std::int64_t xs,
                                         std::int64_t C, T* red, T& m) {
  T mv = neg_inf<T>();
  for (std::int64_t j = threadIdx.x; j < C; j += blockDim.x)
    mv = softmax_detail::max_step(xp[xb + j * xs], mv);
  m = block_max(mv, red);
  T s = T(0);
  for (std::int64_t j = threadIdx.x; j < C; j += blockDim.x) s += exp_t(xp[xb + j * xs] - m);
  return block_sum(s, red);
}

/// One block per row: l[n] = −fl(fl(x_t − m) − L̂) (indices; +0 for an ignored row) or
/// −Σ fl(p·fl(fl(x − m) − L̂)) (probabilities: `probs`, k unused and null); status[n] = 0 (finite),
/// 1 (non-finite with a finite exp sum: the host repairs it), 2 (non-finite exp sum).
/// `none` also writes l[n] to out. The branch on the row is uniform across the block.
template <class T>
__global__ void __launch_bounds__(kLossThreads)
    ce_rows_kernel(TensorArg x, TensorArg p, const std::int64_t* k, std::int64_t N, std::int64_t C,
                   T* l, int* status, TensorArg out, bool none, bool probs) {
  __shared__ T red[kWarp];
  const T* xp = x.ptr<const T>();
  const T* pp = p.ptr<const T>();  // nullptr for an (N, 0) target: `probs` says which kind
  for (std::int64_t n = blockIdx.x; n < N; n += gridDim.x) {
    const std::int64_t t = probs ? 0 : k[n];
    T v = T(0);
    int st = 0;
    if (C > 0 && t >= 0) {
      const std::int64_t xb = n * x.strides[0], xs = x.strides[1];
      T m;
      const T S = row_exp_sum(xp, xb, xs, C, red, m);
      const T L = log_t(S);
      if (probs) {
        const std::int64_t pb = n * p.strides[0], ps = p.strides[1];
        T acc = T(0);
        for (std::int64_t j = threadIdx.x; j < C; j += blockDim.x)
          acc += pp[pb + j * ps] * ((xp[xb + j * xs] - m) - L);
        v = -block_sum(acc, red);
      } else {
        v = -((xp[xb + t * xs] - m) - L);
      }
      if (!isfinite(v)) st = isfinite(S) ? 1 : 2;
    }
    if (threadIdx.x == 0) {
      l[n] = v;
      status[n] = st;
      if (none) out.ptr<T>()[out.offset(n)] = v;
    }
  }
}

template <class T>
void ce_typed(OpCall& c, Reduction r, bool probs) {
  const char* op = "cross_entropy";
  const std::vector<std::int64_t> k = probs ? std::vector<std::int64_t>{} : read_indices(c, op);
  const Tensor& x = c.inputs[0];
  const Tensor& out = c.outputs[0];
  const std::int64_t N = x.dim(0), C = x.dim(1);
  const std::int64_t count = probs ? N : counted(k);
  DeviceCall dc(c, op);
  const std::int64_t* kd = probs ? nullptr : upload_indices(dc, k);
  T* l = dc.scratch<T>(std::max<std::int64_t>(N, 1));
  int* status = dc.scratch<int>(std::max<std::int64_t>(N, 1));
  const TensorArg xa = dc.arg(x), oa = dc.arg(out);
  const TensorArg pa = probs ? dc.arg(c.inputs[1]) : TensorArg{};
  if (N > 0) {
    const auto grid = static_cast<unsigned>(std::min(N, kMaxLossBlocks));
    ce_rows_kernel<T><<<grid, kLossThreads, 0, stream()>>>(xa, pa, kd, N, C, l, status, oa,
                                                           r == Reduction::none, probs);
    check_launch(op, "ce_rows_kernel");
  }
  if (r != Reduction::none) launch_finalize<T>(op, l, N, r, count, oa);
  dc.finish();

  // Host repairs (rare: some result is non-finite).
  bool nonfinite = false;
  if (r == Reduction::none) {
    for (std::int64_t n = 0; n < N && !nonfinite; ++n)
      nonfinite = !std::isfinite(out.data<T>()[n * out.strides()[0]]);
  } else {
    nonfinite = !std::isfinite(out.data<T>()[0]);
  }
  if (!nonfinite) return;
  std::vector<T> lh = host_copy(l, N, op);
  const std::vector<int> st = host_copy(status, N, op);
  const Tensor xc = x.contiguous();
  const Tensor pc = probs ? c.inputs[1].contiguous() : Tensor();
  const T* xh = xc.data<T>();
  const T* ph = probs ? pc.data<T>() : nullptr;
  auto exact_row = [&](std::int64_t n) {
    const std::int64_t t = probs ? 0 : k[static_cast<std::size_t>(n)];
    if (!probs && t < 0) return hp_t(0);
    return exact_row_loss(xh + n * C, probs ? ph + n * C : nullptr, C, t);
  };
  // A row with a finite exp sum that overflowed on the way: float128, rounded once (the CPU).
  for (std::int64_t n = 0; n < N; ++n)
    if (st[static_cast<std::size_t>(n)] == 1)
      lh[static_cast<std::size_t>(n)] = static_cast<T>(exact_row(n));
  if (r == Reduction::none) {
    for (std::int64_t n = 0; n < N; ++n)
      if (st[static_cast<std::size_t>(n)] == 1)
        out.data<T>()[n * out.strides()[0]] = lh[static_cast<std::size_t>(n)];
    return;
  }
  out.data<T>()[0] = host_reduce<T>(lh, st, r, count, exact_row);
}

void cross_entropy_forward(OpCall& c) {
  const bool probs = class_check(c, "cross_entropy", true, backend::cuda);
  const Reduction r = reduction_of(c, "cross_entropy");
  dispatch_float(c.inputs[0].dtype(), "cross_entropy",
                 [&]<class T>() { ce_typed<T>(c, r, probs); });
}

/// One block per row, h the row's multiplier (0 for an ignored row), p̂ = fl(ê / Ŝ):
///   indices:       gx_c = fl(h·p̂_c), then gx_t = fl(gx_t − h);
///   probabilities: gx_c = fl(h·fl(fl(p̂_c·P̂) − p_c)), P̂ = Σ_c p_c;
/// a probabilities row with a non-finite result and a finite exp sum is flagged (repair[n] = 1,
/// *any = 1) for the host's float128 recomputation.
template <class T>
__global__ void __launch_bounds__(kLossThreads)
    ce_vjp_kernel(TensorArg x, TensorArg p, const std::int64_t* k, std::int64_t N, std::int64_t C,
                  TensorArg g, Reduction r, T count, TensorArg gx, int* repair, int* any) {
  __shared__ T red[kWarp];
  const T* xp = x.ptr<const T>();
  const T* pp = p.ptr<const T>();
  T* o = gx.ptr<T>();
  const bool probs = pp != nullptr;
  const std::int64_t xs = x.strides[1], os = gx.strides[1];
  for (std::int64_t n = blockIdx.x; n < N; n += gridDim.x) {
    const std::int64_t t = probs ? 0 : k[n];
    const T h = !probs && t < 0 ? T(0) : row_grad<T>(g, r, n, count);
    const std::int64_t xb = n * x.strides[0], ob = n * gx.strides[0];
    T m;
    const T S = row_exp_sum(xp, xb, xs, C, red, m);
    if (probs) {
      const std::int64_t pb = n * p.strides[0], ps = p.strides[1];
      T part = T(0);
      for (std::int64_t j = threadIdx.x; j < C; j += blockDim.x) part += pp[pb + j * ps];
      const T P = block_sum(part, red);
      int overflowed = 0;
      for (std::int64_t j = threadIdx.x; j < C; j += blockDim.x) {
        const T v = h * ((exp_t(xp[xb + j * xs] - m) / S) * P - pp[pb + j * ps]);
        o[ob + j * os] = v;
        overflowed = overflowed || !isfinite(v);
      }
      overflowed = __syncthreads_or(overflowed);
      if (threadIdx.x == 0) {
        const int flag = overflowed && isfinite(S) ? 1 : 0;
        repair[n] = flag;
        if (flag) *any = 1;
      }
    } else {
      for (std::int64_t j = threadIdx.x; j < C; j += blockDim.x) {
        T v = h * (exp_t(xp[xb + j * xs] - m) / S);
        if (j == t) v = v - h;
        o[ob + j * os] = v;
      }
    }
  }
}

template <class T>
void ce_vjp_typed(BackwardCall& bc, Reduction r, bool probs) {
  const char* op = "cross_entropy";
  const OpCall& f = *bc.forward;
  const std::vector<std::int64_t> k = probs ? std::vector<std::int64_t>{} : read_indices(f, op);
  if (!wanted(bc, 0)) return;
  const Tensor& x = f.inputs[0];
  const Tensor& gx = bc.grad_inputs[0];
  const std::int64_t N = x.dim(0), C = x.dim(1);
  const std::int64_t count = probs ? N : counted(k);
  const Tensor g = grad_output(bc, x.dtype());
  DeviceCall dc(bc, op);
  dc.read(g);
  const std::int64_t* kd = probs ? nullptr : upload_indices(dc, k);
  int* repair = dc.scratch<int>(std::max<std::int64_t>(N, 1));
  int* any = dc.scratch<int>(1);
  VT_CUDA_CHECK(op, cudaMemsetAsync(any, 0, sizeof(int), stream()));
  const TensorArg xa = dc.arg(x), ga = dc.arg(g), oa = dc.arg(gx);
  const TensorArg pa = probs ? dc.arg(f.inputs[1]) : TensorArg{};
  if (N > 0 && C > 0) {
    const auto grid = static_cast<unsigned>(std::min(N, kMaxLossBlocks));
    ce_vjp_kernel<T><<<grid, kLossThreads, 0, stream()>>>(xa, pa, kd, N, C, ga, r,
                                                          static_cast<T>(count), oa, repair, any);
    check_launch(op, "ce_vjp_kernel");
  }
  dc.finish();
  if (!probs || N == 0 || C == 0 || host_scratch_value(any, 0, op) == 0) return;
  // Targets near the largest float can overflow P = Σp or a product although the gradient is
  // finite: those rows again in float128, as the reference computes them, rounded once.
  const std::vector<int> flagged = host_copy(repair, N, op);
  const Tensor xc = x.contiguous(), pc = f.inputs[1].contiguous(), gc = g.contiguous();
  const T* gh = gc.data<T>();
  for (std::int64_t n = 0; n < N; ++n) {
    if (!flagged[static_cast<std::size_t>(n)]) continue;
    const T* xr = xc.data<T>() + n * C;
    const T* pr = pc.data<T>() + n * C;
    const T h = r == Reduction::none  ? gh[n]
                : r == Reduction::sum ? gh[0]
                                      : gh[0] / static_cast<T>(count);
    hp_t Ph = 0, mh = hp_t(xr[0]), Sh = 0;
    for (std::int64_t j = 0; j < C; ++j) {
      Ph += hp_t(pr[j]);
      mh = std::max(mh, hp_t(xr[j]));
    }
    for (std::int64_t j = 0; j < C; ++j) Sh += bmp::exp(hp_t(xr[j]) - mh);
    for (std::int64_t j = 0; j < C; ++j)
      gx.data<T>()[n * gx.strides()[0] + j * gx.strides()[1]] =
          static_cast<T>(hp_t(h) * (bmp::exp(hp_t(xr[j]) - mh) / Sh * Ph - hp_t(pr[j])));
  }
}

void cross_entropy_vjp(BackwardCall& bc) {
  const bool probs = class_check(*bc.forward, "cross_entropy", true, backend::cuda);
  const Reduction r = reduction_of(*bc.forward, "cross_entropy");
  dispatch_float(bc.forward->inputs[0].dtype(), "cross_entropy",
                 [&]<class T>() { ce_vjp_typed<T>(bc, r, probs); });
}

VT_REGISTER_CUDA_VJP(mse_loss, "map-tree", mse_loss_forward, mse_loss_vjp,
                     "(x − t)² by the elementwise kernel (none) or per-block tree "
                     "partials summed by one block in order; VJP (x − t)·norm·g and "
                     "its negation; float128 overflow repairs on the host");
VT_REGISTER_CUDA_VJP(nll_loss, "row-tree", nll_loss_forward, nll_loss_vjp,
                     "−lp[n, t_n] through the strides (indices checked on the host), "
                     "one-block tree sum; VJP −h at the targets, zeros elsewhere");
VT_REGISTER_CUDA_VJP(cross_entropy, "block-row", cross_entropy_forward, cross_entropy_vjp,
                     "one block per row: max, tree sum of exp(x − max) (float32 exp in "
                     "double), log; loss L − (x_t − m) or −Σ p·((x − m) − L), one-block "
                     "tree sum; VJP h·(softmax − onehot) or h·(softmax·Σp − p)");

}  // namespace
}  // namespace vt::cuda
