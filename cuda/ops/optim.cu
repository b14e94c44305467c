// cuda/ops/optim.cu — float32/float64 optimizer steps on the GPU: sgd_step, adam_step,
// adamw_step (torch.optim.SGD / Adam / AdamW, one step) and clip_grad_norm
// (torch.nn.utils.clip_grad_norm_, norm_type 2). Forward only: optimizer steps have no VJP.
// Shaped this way because: the updates are elementwise, so one grid-stride kernel per op reads
// every operand through its strides (TensorArg::offset; the new parameter may alias the
// parameter: each element is read, then written, by one thread) and computes in T in exactly the
// order of optimized/ops/optim.cpp — PyTorch's single-tensor CPU code, the order the spec's
// sum-bound analysis (verify/ops/optim.cpp) assumes: every product and sum rounded to T, no fused
// multiply-adds (nvcc --fmad=false; sqrt and division are IEEE: -prec-sqrt/-prec-div default on),
// the hyper-parameters rounded to T on the host by the same expressions as the CPU's.
// Where a T result is not finite (an intermediate overflowed T although the exact value may be
// finite, or a special value in the inputs), the kernel leaves that element's outputs unwritten
// and flags it; after the copy back, the host recomputes the flagged elements with the CPU
// backend's slow path, verbatim — the reference's formula in binary128 (GCC's __float128, which
// has no device support on sm_90), each result rounded once. Such elements are rare (specials,
// near-overflow data); the parameter an in-place call overwrites is still intact for them.
// clip_grad_norm: the total norm (output 1) must be correctly rounded (the spec holds outputs
// after 0 to that). float32: Σg² in double (exact squares), one partial per block combined in
// block order by a second one-block pass (deterministic), sqrt in double, rounded to float — the
// CPU's computation, correctly rounded except within about n·2^-53 relative of a rounding
// boundary. float64: the sum needs more precision and range than double: a first pass finds
// max|g| (NaN-sticky), the squares of g·2^-e (2^e ≤ max|g| < 2^(e+1), an exact scaling) are
// summed in double-double (exact squares by fma; relative error about depth·2^-104), and the
// square root is rounded exactly against that sum to the float64 grid scaled by 2^-e (subnormal
// results included): the candidate's midpoints are compared with the sum through an exact
// expansion sign. The clipping coefficient max_norm/(total + 1e-6) is then kept as a mantissa
// and an exponent, so a norm beyond the largest double still clips to the right values, and the
// clipped g is (g's mantissa · the coefficient's) scaled once: within the spec's γ_6·|g|·c' + dm/2.
// What it is not: a multi-tensor (foreach/fused) optimizer, or anything with state across calls.
#include "cuda/core/dd_math.hpp"
#include "cuda/core/device_call.hpp"
#include "cuda/core/reduce.cuh"

#include <quadmath.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace vt::cuda {
namespace {

constexpr int kThreads = 256;  // a multiple of 32 (the block reductions need it)

template <class T>
__device__ __forceinline__ bool nonfinite(T x) {
  return !(fabs(x) <= (sizeof(T) == 4 ? T(3.40282347e38f) : T(1.7976931348623157e308)));
}

/// The row-major index i's offset in a host tensor (the slow path's element access).
std::int64_t host_offset(const Tensor& t, std::int64_t i) {
  std::int64_t off = 0;
  for (std::int64_t d = t.ndim(); d-- > 0;) {
    const std::int64_t n = t.shape()[static_cast<std::size_t>(d)];
    off += (i % n) * t.strides()[static_cast<std::size_t>(d)];
    i /= n;
  }
  return off;
}

void check_update_call(const OpCall& c, const char* op) {
  const Tensor& p = c.inputs.at(0);
  for (const Tensor& t : c.inputs)
    if (t.shape() != p.shape() || t.dtype() != p.dtype())
      throw Error(op, {p.shape(), t.shape()},
                  "every input must have the parameter's shape and dtype");
  for (const Tensor& t : c.outputs)
    if (t.shape() != p.shape() || t.dtype() != p.dtype())
      throw Error(op, {p.shape(), t.shape()}, "every output must have the parameter's shape");
}

/// The flags of the elements the kernel left to the slow path, after dc.finish(); empty when
/// there are none. `any` and `flags` are the call's scratch memory.
std::vector<unsigned char> fetch_flags(const char* op, const int* any, const unsigned char* flags,
                                       std::int64_t n) {
  int h_any = 0;
  VT_CUDA_CHECK(op, cudaMemcpy(&h_any, any, sizeof(int), cudaMemcpyDeviceToHost));
  std::vector<unsigned char> h;
  if (h_any == 0 || n == 0) return h;
  h.resize(static_cast<std::size_t>(n));
  VT_CUDA_CHECK(op,
                cudaMemcpy(h.data(), flags, static_cast<std::size_t>(n), cudaMemcpyDeviceToHost));
  return h;
}

// ---- sgd_step -----------------------------------------------------------------------------------

template <class T>
struct SgdScalars {
  T lr, mu, wd, keep;  // fl(lr), fl(μ), fl(wd), fl(1 − dampening)
  bool decay, momentum, nesterov, first;
};

// p, g, buf → out_p, out_b (all one shape).
template <class T>
__global__ void sgd_kernel(TensorArg p, TensorArg g, TensorArg buf, TensorArg out_p,
                           TensorArg out_b, SgdScalars<T> s, unsigned char* flags, int* any) {
  const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
  for (std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
       i < out_p.numel; i += stride) {
    const T pv = p.ptr<const T>()[p.offset(i)];
    const T gv = g.ptr<const T>()[g.offset(i)];
    const T bv = buf.ptr<const T>()[buf.offset(i)];
    const T gp = s.decay ? gv + s.wd * pv : gv;
    const T bn = !s.momentum ? bv : s.first ? gp : bv * s.mu + s.keep * gp;
    const T d = !s.momentum ? gp : s.nesterov ? gp + s.mu * bn : bn;
    const T r0 = pv - s.lr * d;
    const bool bad = nonfinite(r0) || nonfinite(bn);
    flags[i] = bad ? 1 : 0;
    if (bad) {
      atomicOr(any, 1);
      continue;
    }
    out_p.ptr<T>()[out_p.offset(i)] = r0;
    out_b.ptr<T>()[out_b.offset(i)] = bn;
  }
}

template <class T>
void sgd_step_typed(OpCall& c, DeviceCall& dc) {
  using W = __float128;  // the slow path's type (optimized/ops/optim.cpp)
  const double lr = c.attrs.get_real("lr"), mu = c.attrs.get_real("momentum");
  const double damp = c.attrs.get_real("dampening"), wd = c.attrs.get_real("weight_decay");
  const bool nesterov = c.attrs.get_bool("nesterov"), first = c.attrs.get_bool("first_step");
  SgdScalars<T> s{static_cast<T>(lr),
                  static_cast<T>(mu),
                  static_cast<T>(wd),
                  static_cast<T>(1 - damp),
                  wd != 0,
                  mu != 0,
                  nesterov,
                  first};
  const std::int64_t n = c.inputs.at(0).numel();
  int* any = dc.scratch<int>(1);
  unsigned char* flags = dc.scratch<unsigned char>(std::max<std::int64_t>(n, 1));
  VT_CUDA_CHECK("sgd_step", cudaMemsetAsync(any, 0, sizeof(int), dc.stream()));
  if (n > 0) {
    const TensorArg a0 = dc.arg(c.inputs[0]), a1 = dc.arg(c.inputs[1]), a2 = dc.arg(c.inputs[2]);
    const TensorArg o0 = dc.arg(c.outputs[0]), o1 = dc.arg(c.outputs[1]);
    sgd_kernel<T>
        <<<grid_for(n, kThreads), kThreads, 0, dc.stream()>>>(a0, a1, a2, o0, o1, s, flags, any);
    check_launch("sgd_step", "sgd_kernel");
  }
  dc.finish();
  const std::vector<unsigned char> bad = fetch_flags("sgd_step", any, flags, n);
  if (bad.empty()) return;
  // The optimized backend's slow path, element by element on the host (the flagged elements'
  // outputs were not written, so an in-place parameter still holds its input value).
  const bool decay = wd != 0, momentum = mu != 0;
  const Tensor &p = c.inputs[0], &g = c.inputs[1], &b0 = c.inputs[2];
  const Tensor &out_p = c.outputs[0], &out_b = c.outputs[1];
  for (std::int64_t i = 0; i < n; ++i) {
    if (!bad[static_cast<std::size_t>(i)]) continue;
    const T pv = p.data<T>()[host_offset(p, i)];
    const T gv = g.data<T>()[host_offset(g, i)];
    const T bv = b0.data<T>()[host_offset(b0, i)];
    W gw = W(gv);
    if (decay) gw = gw + W(wd) * W(pv);
    W bw = W(bv), dw = gw;
    if (momentum) {
      bw = first ? gw : W(mu) * bw + (W(1) - W(damp)) * gw;
      dw = nesterov ? gw + W(mu) * bw : bw;
    }
    out_p.data<T>()[host_offset(out_p, i)] = static_cast<T>(W(pv) - W(lr) * dw);
    out_b.data<T>()[host_offset(out_b, i)] = static_cast<T>(bw);
  }
}

void sgd_step_forward(OpCall& c) {
  DeviceCall dc(c, "sgd_step");
  check_update_call(c, "sgd_step");
  dispatch_float(c.inputs.at(0).dtype(), "sgd_step", [&]<class T>() { sgd_step_typed<T>(c, dc); });
}

// ---- adam_step / adamw_step ---------------------------------------------------------------------

template <class T>
struct AdamScalars {
  T step_size, c2s, eps, decay, wd, beta2, w, rest, c2;
  bool small_weight, coupled;
};

// p, g, m0, v0 → out_p, out_m, out_v (all one shape).
template <class T, bool kDecoupled>
__global__ void adam_kernel(TensorArg p, TensorArg g, TensorArg m0, TensorArg v0, TensorArg out_p,
                            TensorArg out_m, TensorArg out_v, AdamScalars<T> s,
                            unsigned char* flags, int* any) {
  const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
  for (std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
       i < out_p.numel; i += stride) {
    const T pv = p.ptr<const T>()[p.offset(i)];
    const T gv = g.ptr<const T>()[g.offset(i)];
    const T mv = m0.ptr<const T>()[m0.offset(i)];
    const T vv = v0.ptr<const T>()[v0.offset(i)];
    const T gp = s.coupled ? gv + s.wd * pv : gv;
    const T m = s.small_weight ? mv + s.w * (gp - mv) : gp - (gp - mv) * s.rest;
    const T v = vv * s.beta2 + (s.c2 * gp) * gp;
    const T pp = kDecoupled ? pv * s.decay : pv;
    const T denom = sqrt(v) / s.c2s + s.eps;
    const T r0 = pp - s.step_size * (m / denom);
    const bool bad = nonfinite(r0) || nonfinite(m) || nonfinite(v);
    flags[i] = bad ? 1 : 0;
    if (bad) {
      atomicOr(any, 1);
      continue;
    }
    out_p.ptr<T>()[out_p.offset(i)] = r0;
    out_m.ptr<T>()[out_m.offset(i)] = m;
    out_v.ptr<T>()[out_v.offset(i)] = v;
  }
}

template <class T, bool kDecoupled>
void adam_step_typed(OpCall& c, DeviceCall& dc, const char* op) {
  using W = __float128;  // the slow path's type (optimized/ops/optim.cpp)
  const double lr = c.attrs.get_real("lr"), beta1 = c.attrs.get_real("beta1");
  const double beta2 = c.attrs.get_real("beta2"), eps = c.attrs.get_real("eps");
  const double wd = c.attrs.get_real("weight_decay");
  const double step = static_cast<double>(c.attrs.get_int("step"));
  // PyTorch's scalars (Python floats, i.e. double), then rounded to T — the CPU's expressions.
  const double bias_correction1 = 1 - std::pow(beta1, step);
  const double bias_correction2 = 1 - std::pow(beta2, step);
  AdamScalars<T> s;
  s.step_size = static_cast<T>(lr / bias_correction1);
  s.c2s = static_cast<T>(std::sqrt(bias_correction2));
  s.eps = static_cast<T>(eps);
  s.decay = static_cast<T>(1 - lr * wd);
  s.wd = static_cast<T>(wd);
  s.beta2 = static_cast<T>(beta2);
  s.w = static_cast<T>(1 - beta1);
  s.rest = T(1) - s.w;
  s.c2 = static_cast<T>(1 - beta2);
  s.small_weight = s.w < T(0.5);
  s.coupled = !kDecoupled && wd != 0;
  const std::int64_t n = c.inputs.at(0).numel();
  int* any = dc.scratch<int>(1);
  unsigned char* flags = dc.scratch<unsigned char>(std::max<std::int64_t>(n, 1));
  VT_CUDA_CHECK(op, cudaMemsetAsync(any, 0, sizeof(int), dc.stream()));
  if (n > 0) {
    const TensorArg a0 = dc.arg(c.inputs[0]), a1 = dc.arg(c.inputs[1]);
    const TensorArg a2 = dc.arg(c.inputs[2]), a3 = dc.arg(c.inputs[3]);
    const TensorArg o0 = dc.arg(c.outputs[0]), o1 = dc.arg(c.outputs[1]);
    const TensorArg o2 = dc.arg(c.outputs[2]);
    adam_kernel<T, kDecoupled><<<grid_for(n, kThreads), kThreads, 0, dc.stream()>>>(
        a0, a1, a2, a3, o0, o1, o2, s, flags, any);
    check_launch(op, "adam_kernel");
  }
  dc.finish();
  const std::vector<unsigned char> bad = fetch_flags(op, any, flags, n);
  if (bad.empty()) return;
  // The optimized backend's slow path (the moments unrounded; the scalars step_size, c2s, eps and
  // the decay as the T path uses them), element by element on the host.
  const Tensor &p = c.inputs[0], &g = c.inputs[1], &m0 = c.inputs[2], &v0 = c.inputs[3];
  const Tensor &out_p = c.outputs[0], &out_m = c.outputs[1], &out_v = c.outputs[2];
  for (std::int64_t i = 0; i < n; ++i) {
    if (!bad[static_cast<std::size_t>(i)]) continue;
    const T pv = p.data<T>()[host_offset(p, i)];
    const T gv = g.data<T>()[host_offset(g, i)];
    const T mv = m0.data<T>()[host_offset(m0, i)];
    const T vv = v0.data<T>()[host_offset(v0, i)];
    W gw = W(gv);
    if (s.coupled) gw = gw + W(wd) * W(pv);
    const W mw = W(beta1) * W(mv) + (W(1) - W(beta1)) * gw;
    const W vw = W(beta2) * W(vv) + (W(1) - W(beta2)) * gw * gw;
    const W ppw = kDecoupled ? W(pv) * W(s.decay) : W(pv);
    const W denw = sqrtq(vw) / W(s.c2s) + W(s.eps);
    out_p.data<T>()[host_offset(out_p, i)] = static_cast<T>(ppw - W(s.step_size) * (mw / denw));
    out_m.data<T>()[host_offset(out_m, i)] = static_cast<T>(mw);
    out_v.data<T>()[host_offset(out_v, i)] = static_cast<T>(vw);
  }
}

template <bool kDecoupled>
void adam_forward(OpCall& c, const char* op) {
  DeviceCall dc(c, op);
  check_update_call(c, op);
  dispatch_float(c.inputs.at(0).dtype(), op,
                 [&]<class T>() { adam_step_typed<T, kDecoupled>(c, dc, op); });
}
void adam_step_forward(OpCall& c) { adam_forward<false>(c, "adam_step"); }
void adamw_step_forward(OpCall& c) { adam_forward<true>(c, "adamw_step"); }

// ---- clip_grad_norm: exact helpers ------------------------------------------------------------

/// A double-double hi + lo (|lo| ≤ ulp(hi)/2). Only nonnegative sums are accumulated here, so the
/// plain ("sloppy") addition keeps a relative error of a few 2^-104.
using DD = dd::DD;

__device__ __forceinline__ DD dd_add(DD a, DD b) {
  const DD t = dd::two_sum(a.hi, b.hi);
  const double s = t.hi;
  double e = __dadd_rn(t.lo, __dadd_rn(a.lo, b.lo));
  const double hi = __dadd_rn(s, e);
  return {hi, __dsub_rn(e, __dsub_rn(hi, s))};  // fast TwoSum: |s| ≥ |e|
}

__device__ DD warp_dd_sum(DD v) {
#pragma unroll
  for (int o = kWarp / 2; o > 0; o /= 2) {
    const DD w{__shfl_xor_sync(0xffffffffu, v.hi, o), __shfl_xor_sync(0xffffffffu, v.lo, o)};
    v = dd_add(v, w);
  }
  return v;
}

/// Sum over the block (every thread calls it; blockDim.x a multiple of 32); thread 0's result is
/// the one used. The order depends only on blockDim: deterministic.
__device__ DD block_dd_sum(DD v, double* sh_hi, double* sh_lo) {
  const int lane = threadIdx.x % kWarp, warp = threadIdx.x / kWarp;
  const int warps = blockDim.x / kWarp;
  v = warp_dd_sum(v);
  __syncthreads();
  if (lane == 0) {
    sh_hi[warp] = v.hi;
    sh_lo[warp] = v.lo;
  }
  __syncthreads();
  v = lane < warps ? DD{sh_hi[lane], sh_lo[lane]} : DD{0.0, 0.0};
  return warp_dd_sum(v);
}

/// max(a, b) of magnitudes, NaN-sticky (a NaN anywhere makes the result NaN).
__device__ __forceinline__ double nan_max(double a, double b) {
  if (a != a) return a;
  if (b != b) return b;
  return a > b ? a : b;
}

__device__ double block_nan_max(double v, double* sh) {
  const int lane = threadIdx.x % kWarp, warp = threadIdx.x / kWarp;
  const int warps = blockDim.x / kWarp;
#pragma unroll
  for (int o = kWarp / 2; o > 0; o /= 2) v = nan_max(v, __shfl_xor_sync(0xffffffffu, v, o));
  __syncthreads();
  if (lane == 0) sh[warp] = v;
  __syncthreads();
  v = lane < warps ? sh[lane] : 0.0;
#pragma unroll
  for (int o = kWarp / 2; o > 0; o /= 2) v = nan_max(v, __shfl_xor_sync(0xffffffffu, v, o));
  return v;
}

// ---- clip_grad_norm: float32 --------------------------------------------------------------------

// g: any shape → partial[block] = Σ over the block's elements of (double)g² (exact squares).
__global__ void sumsq_f32_kernel(TensorArg g, double* partial) {
  __shared__ double sh[kWarp];
  const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
  double s = 0;
  for (std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
       i < g.numel; i += stride) {
    const double x = g.ptr<const float>()[g.offset(i)];
    s = __dadd_rn(s, __dmul_rn(x, x));
  }
  s = block_sum(s, sh);
  if (threadIdx.x == 0) partial[blockIdx.x] = s;
}

// One block: the partials in block order (thread t takes t, t + blockDim, …), then the block tree;
// total = √Σ (double), out_total = total rounded to float, coef = min(max_norm/(total + 1e-6), 1).
__global__ void clip_finish_f32_kernel(const double* partial, int blocks, double max_norm,
                                       TensorArg out_total, double* coef) {
  __shared__ double sh[kWarp];
  double s = 0;
  for (int b = static_cast<int>(threadIdx.x); b < blocks; b += static_cast<int>(blockDim.x))
    s = __dadd_rn(s, partial[b]);
  s = block_sum(s, sh);
  if (threadIdx.x == 0) {
    const double total = __dsqrt_rn(s);
    double k = __ddiv_rn(max_norm, __dadd_rn(total, 1e-6));
    if (!(k != k) && !(k < 1.0)) k = 1.0;  // min(coef, 1); NaN stays NaN
    out_total.ptr<float>()[0] = __double2float_rn(total);
    *coef = k;
  }
}

// out = (float)((double)g · coef).
__global__ void clip_scale_f32_kernel(TensorArg out, TensorArg g, const double* coef) {
  const double k = *coef;
  const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
  for (std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
       i < out.numel; i += stride) {
    const double x = g.ptr<const float>()[g.offset(i)];
    out.ptr<float>()[out.offset(i)] = __double2float_rn(__dmul_rn(x, k));
  }
}

// ---- clip_grad_norm: float64 --------------------------------------------------------------------

// partial[block] = NaN-sticky max |g| over the block's elements.
__global__ void maxabs_f64_kernel(TensorArg g, double* partial) {
  __shared__ double sh[kWarp];
  const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
  double m = 0;
  for (std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
       i < g.numel; i += stride)
    m = nan_max(m, fabs(g.ptr<const double>()[g.offset(i)]));
  m = block_nan_max(m, sh);
  if (threadIdx.x == 0) partial[blockIdx.x] = m;
}

// One block: *maxabs = the NaN-sticky max of the partials.
__global__ void maxabs_finish_kernel(const double* partial, int blocks, double* maxabs) {
  __shared__ double sh[kWarp];
  double m = 0;
  for (int b = static_cast<int>(threadIdx.x); b < blocks; b += static_cast<int>(blockDim.x))
    m = nan_max(m, partial[b]);
  m = block_nan_max(m, sh);
  if (threadIdx.x == 0) *maxabs = m;
}

/// The scaling exponent e of a finite max|g| > 0: 2^e ≤ max < 2^(e+1) (subnormals included); 0
/// otherwise (the sum is then not used).
__device__ __forceinline__ int scale_exponent(double maxabs) {
  if (!(maxabs > 0) || !(maxabs <= 1.7976931348623157e308)) return 0;
  int e = 0;
  (void)frexp(maxabs, &e);  // maxabs = f·2^e, f in [0.5, 1)
  return e - 1;
}

// partial[block] = Σ (g·2^-e)² in double-double over the block's elements.
__global__ void sumsq_f64_kernel(TensorArg g, const double* maxabs, DD* partial) {
  __shared__ double sh_hi[kWarp], sh_lo[kWarp];
  const int e = scale_exponent(*maxabs);
  const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
  DD s{0.0, 0.0};
  for (std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
       i < g.numel; i += stride) {
    const double x = scalbn(g.ptr<const double>()[g.offset(i)], -e);  // exact unless negligible
    const double q = __dmul_rn(x, x);
    s = dd_add(s, DD{q, fma(x, x, -q)});  // x² exactly (no underflow that matters)
  }
  s = block_dd_sum(s, sh_hi, sh_lo);
  if (threadIdx.x == 0) partial[blockIdx.x] = s;
}

/// The coefficient the scaling kernel applies: plain (out = g·value) or split (out =
/// (mantissa(g)·q)·2^(exponent(g) + ce)).
struct ClipCoef {
  int split;
  double value;  // plain: the coefficient (NaN, 0 or 1 in the special cases, or a double)
  double q;      // split: the coefficient's mantissa part
  int ce;        // split: its exponent
};

/// sign(S − (r + h)²) exactly (S a double-double; r, h doubles with h a power of two or zero).
__device__ int compare_square(DD S, double r, double h) {
  const double p = __dmul_rn(r, r);
  const double terms[6] = {
      S.hi, S.lo, -p, -fma(r, r, -p), -__dmul_rn(2.0 * r, h), -__dmul_rn(h, h)};
  return dd::exact_sum_sign(terms);
}

/// √S correctly rounded (nearest-even) to the grid of doubles scaled by 2^-e: the values x for
/// which x·2^e is a double, subnormals included. S ≥ 1 (the largest scaled square is in [1, 4)).
__device__ double round_sqrt_scaled(DD S, int e) {
  const double delta = ldexp(1.0, -1074 - e);  // subnormal spacing, scaled (0 when it underflows)
  const double normal_min = ldexp(1.0, -1022 - e);
  // x > 0 finite here: its encoding ± 1 is the next double up or down.
  auto up_gap = [&](double x) {
    return fmax(__dsub_rn(__longlong_as_double(__double_as_longlong(x) + 1), x), delta);
  };
  auto down_gap = [&](double x) {
    return fmax(__dsub_rn(x, __longlong_as_double(__double_as_longlong(x) - 1)), delta);
  };
  auto odd = [&](double x) {
    if (x < normal_min) return (static_cast<long long>(__ddiv_rn(x, delta)) & 1) != 0;
    return (__double_as_longlong(x) & 1) != 0;
  };
  double r = __dsqrt_rn(S.hi);  // within one grid step of √S (S.lo ≤ ulp(S.hi)/2)
  if (r < normal_min) r = __dmul_rn(rint(__ddiv_rn(r, delta)), delta);  // exact: powers of two
  for (int it = 0; it < 4; ++it) {
    const double gu = up_gap(r);
    if (compare_square(S, r, 0.5 * gu) > 0) {
      r = __dadd_rn(r, gu);
      continue;
    }
    const double gd = down_gap(r);
    if (compare_square(S, r, -0.5 * gd) < 0) {
      r = __dsub_rn(r, gd);
      continue;
    }
    break;
  }
  // Ties (S exactly the square of a midpoint): to the neighbour with the even grid index.
  const double gu = up_gap(r), gd = down_gap(r);
  if (compare_square(S, r, 0.5 * gu) == 0 && odd(r)) return __dadd_rn(r, gu);
  if (compare_square(S, r, -0.5 * gd) == 0 && odd(r)) return __dsub_rn(r, gd);
  return r;
}

// One block: Σ of the dd partials in block order, then the total norm (output 1) and the
// coefficient. maxabs: NaN → total NaN; inf → total inf; 0 → total 0.
__global__ void clip_finish_f64_kernel(const DD* partial, int blocks, const double* maxabs,
                                       double max_norm, TensorArg out_total, ClipCoef* coef) {
  __shared__ double sh_hi[kWarp], sh_lo[kWarp];
  DD s{0.0, 0.0};
  for (int b = static_cast<int>(threadIdx.x); b < blocks; b += static_cast<int>(blockDim.x))
    s = dd_add(s, partial[b]);
  s = block_dd_sum(s, sh_hi, sh_lo);
  if (threadIdx.x != 0) return;
  const double mx = *maxabs;
  ClipCoef k{0, 0.0, 0.0, 0};
  double total;
  if (mx != mx || !(mx <= 1.7976931348623157e308) || mx == 0) {
    total = mx != mx ? mx : (mx == 0 ? 0.0 : INFINITY);
    double c = __ddiv_rn(max_norm, __dadd_rn(total, 1e-6));  // NaN, 0, or max_norm/1e-6
    if (!(c != c) && !(c < 1.0)) c = 1.0;
    k.value = c;
  } else {
    const int e = scale_exponent(mx);
    const double r = round_sqrt_scaled(s, e);
    total = ldexp(r, e);  // exact, or ±inf past the largest double (correctly rounded)
    int de = 0, me = 0;
    double dm;
    if (total <= 0x1p1000) {
      dm = frexp(__dadd_rn(total, 1e-6), &de);
    } else {  // total + 1e-6 = total to far below a rounding; keep the exponent apart
      dm = frexp(r, &de);
      de += e;
    }
    const double mm = frexp(max_norm, &me);
    const double q = __ddiv_rn(mm, dm);
    const int ce = me - de;
    // ldexp's exponent clamped: beyond ±2200 the result is 0 or inf either way.
    const double c = ldexp(q, ce < -2200 ? -2200 : (ce > 2200 ? 2200 : ce));
    if (c >= 1.0) {  // min(coef, 1); a NaN coefficient (max_norm NaN) stays NaN: split, q = NaN
      k.value = 1.0;
    } else {
      k.split = 1;
      k.q = q;
      k.ce = ce;
    }
  }
  out_total.ptr<double>()[0] = total;
  *coef = k;
}

__global__ void clip_scale_f64_kernel(TensorArg out, TensorArg g, const ClipCoef* coef) {
  const ClipCoef k = *coef;
  const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
  for (std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
       i < out.numel; i += stride) {
    const double x = g.ptr<const double>()[g.offset(i)];
    double y;
    if (!k.split) {
      y = __dmul_rn(x, k.value);
    } else {
      int ge = 0;
      const double gm = frexp(x, &ge);  // x finite here (the total is)
      int sh = ge + k.ce;
      sh = sh < -2200 ? -2200 : (sh > 2200 ? 2200 : sh);
      y = ldexp(__dmul_rn(gm, k.q), sh);
    }
    out.ptr<double>()[out.offset(i)] = y;
  }
}

void clip_grad_norm_forward(OpCall& c) {
  DeviceCall dc(c, "clip_grad_norm");
  const char* op = "clip_grad_norm";
  const Tensor& g = c.inputs.at(0);
  const Tensor& out = c.outputs.at(0);
  const Tensor& total = c.outputs.at(1);
  if (out.shape() != g.shape() || out.dtype() != g.dtype() || total.numel() != 1 ||
      total.dtype() != g.dtype())
    throw Error(op, {g.shape(), out.shape(), total.shape()},
                "outputs must be the clipped gradient (the input's shape) and a scalar norm");
  const double max_norm = c.attrs.get_real("max_norm");
  const std::int64_t n = g.numel();
  const unsigned blocks = grid_for(n, kThreads);
  const int nb = static_cast<int>(blocks);
  dispatch_float(g.dtype(), op, [&]<class T>() {
    const TensorArg ag = dc.arg(g), ao = dc.arg(out), at = dc.arg(total);
    if constexpr (sizeof(T) == 4) {
      double* partial = dc.scratch<double>(nb);
      double* coef = dc.scratch<double>(1);
      sumsq_f32_kernel<<<blocks, kThreads, 0, dc.stream()>>>(ag, partial);
      check_launch(op, "sumsq_f32_kernel");
      clip_finish_f32_kernel<<<1, kThreads, 0, dc.stream()>>>(partial, nb, max_norm, at, coef);
      check_launch(op, "clip_finish_f32_kernel");
      if (n > 0) {
        clip_scale_f32_kernel<<<blocks, kThreads, 0, dc.stream()>>>(ao, ag, coef);
        check_launch(op, "clip_scale_f32_kernel");
      }
    } else {
      double* max_partial = dc.scratch<double>(nb);
      double* maxabs = dc.scratch<double>(1);
      DD* partial = dc.scratch<DD>(nb);
      ClipCoef* coef = dc.scratch<ClipCoef>(1);
      maxabs_f64_kernel<<<blocks, kThreads, 0, dc.stream()>>>(ag, max_partial);
      check_launch(op, "maxabs_f64_kernel");
      maxabs_finish_kernel<<<1, kThreads, 0, dc.stream()>>>(max_partial, nb, maxabs);
      check_launch(op, "maxabs_finish_kernel");
      sumsq_f64_kernel<<<blocks, kThreads, 0, dc.stream()>>>(ag, maxabs, partial);
      check_launch(op, "sumsq_f64_kernel");
      clip_finish_f64_kernel<<<1, kThreads, 0, dc.stream()>>>(partial, nb, maxabs, max_norm, at,
                                                              coef);
      check_launch(op, "clip_finish_f64_kernel");
      if (n > 0) {
        clip_scale_f64_kernel<<<blocks, kThreads, 0, dc.stream()>>>(ao, ag, coef);
        check_launch(op, "clip_scale_f64_kernel");
      }
    }
  });
  dc.finish();
}

#define VT_CUDA_OPTIM(name, how) VT_REGISTER_CUDA(name, "grid-stride", name##_forward, how)

VT_CUDA_OPTIM(sgd_step,
              "elementwise kernel in T, PyTorch's order; non-finite elements redone on the host "
              "in binary128");
VT_CUDA_OPTIM(adam_step,
              "elementwise kernel in T, PyTorch's order (lerp); non-finite elements redone on the "
              "host in binary128");
VT_CUDA_OPTIM(adamw_step,
              "elementwise kernel in T, PyTorch's order (lerp); non-finite elements redone on the "
              "host in binary128");
VT_CUDA_OPTIM(clip_grad_norm,
              "block partials + one-block pass in block order: Σg² in double (f32) or scaled "
              "double-double with an exactly rounded √ (f64); then g·min(coef, 1)");

}  // namespace
}  // namespace vt::cuda
