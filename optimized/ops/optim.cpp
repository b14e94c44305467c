// optimized/ops/optim.cpp — float32/float64 optimizer steps as ops: sgd_step, adam_step,
// adamw_step (torch.optim.SGD / Adam / AdamW, one step) and clip_grad_norm
// (torch.nn.utils.clip_grad_norm_, norm_type 2). No VJPs: optimizer steps are not differentiable.
// Shaped this way because: every update is elementwise, so one pass over contiguous copies of the
// inputs, split into fixed chunks by parallel_for (the result is the same with any thread count;
// the norm's per-chunk partial sums are combined in chunk order). Each chunk runs in blocks of
// kBlock elements computed into local arrays (branch-free loops the compiler vectorizes, and the
// parameter may alias its output), then checked for non-finite values, then stored.
// The updates — new parameter and new state alike — are computed in the target type T in the
// order of PyTorch's single-tensor (foreach=False) CPU code, whose opmath for float32 is float32;
// PyTorch's Python-float hyper-parameters are doubles, rounded to T where they meet a T tensor:
//  - sgd_step: g' = g + fl(wd)·p (wd ≠ 0); buf' = g' on the first step, else
//    buf·fl(μ) + fl(1 − dampening)·g' (buf.mul_(μ).add_(g', alpha = 1 − dampening));
//    d = g' + fl(μ)·buf' (nesterov) or buf' (μ = 0: d = g', the buffer passes through);
//    p − fl(lr)·d. Every product and sum rounded to T, left to right; 1 − dampening in double.
//  - adam_step / adamw_step: g' = g + fl(wd)·p (Adam, wd ≠ 0); exp_avg.lerp_(g', w) with
//    w = fl(1 − β1) (1 − β1 in double): m + w·(g' − m) when w < 0.5, else g' − (g' − m)·(1 − w)
//    (ATen's lerp; 1 − w in T is exact there); v·fl(β2) + (fl(1 − β2)·g')·g' (mul_ then
//    addcmul_); AdamW: p·fl(1 − lr·wd) (1 − lr·wd in double); step_size = fl(lr / (1 − β1^t)),
//    c2s = fl(√(1 − β2^t)) (pow, division and √ in double); p' − step_size·(m / (√v / c2s +
//    fl(eps))). No fused multiply-adds (the build has -ffp-contract=off).
// Where a T result is not finite — an intermediate overflowed T although the exact value is
// finite (g' − m in the lerp, g² in v for |g| near the overflow threshold, m / denom,
// g' + momentum·buf), or a special value in the inputs, or a real overflow — that element is
// recomputed in binary128 (GCC's __float128, soft-float) by the reference's formula and rounded
// once: the reference is the exact formula, not PyTorch's overflow. A rare slow path; elsewhere
// it costs one vectorized finiteness test per block.
// The total norm of clip_grad_norm: Σg² in double for float32 (exact squares, n·2^-53 relative),
// in binary128 for float64; the square root there, rounded once; the clipping coefficient from
// it, so a norm above the largest T still clips to the right (finite) values.
// Accuracy: every output within the sum-bounds of verify/ops/optim.cpp (the norm: correctly
// rounded except within about n·2^-53 relative of a rounding boundary for float32).
// What it is not: a multi-tensor (foreach/fused) optimizer, or anything with state across calls.
#include "core/registry.hpp"
#include "optimized/core/parallel.hpp"

#include <quadmath.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <vector>

namespace vt::opt {
namespace {

constexpr std::int64_t kGrain = 16384;

/// The type the total norm is computed in before its one rounding.
template <class T>
struct Wide;
template <>
struct Wide<float> {
  using type = double;
};
template <>
struct Wide<double> {
  using type = __float128;
};
template <class T>
using wide_t = typename Wide<T>::type;

inline double wide_sqrt(double x) { return std::sqrt(x); }
inline __float128 wide_sqrt(__float128 x) { return sqrtq(x); }

/// Contiguous inputs (copies of strided or broadcast ones) and outputs to write: the output
/// itself when contiguous, else a temporary copied into it by finish().
struct Buffers {
  std::vector<Tensor> in, out, target;
  explicit Buffers(const OpCall& c) {
    for (const Tensor& t : c.inputs) in.push_back(t.contiguous());
    for (const Tensor& t : c.outputs) {
      target.push_back(t);
      out.push_back(t.is_contiguous() ? t : Tensor::empty(t.shape(), t.dtype()));
    }
  }
  void finish() {
    for (std::size_t k = 0; k < out.size(); ++k)
      if (out[k].raw() != target[k].raw() || out[k].strides() != target[k].strides())
        target[k].copy_from(out[k]);
  }
};

constexpr std::int64_t kBlock = 256;  // elements computed into local arrays per block

/// Whether x is ±inf or NaN (|x| ≤ max is false for both); vectorizes.
template <class T>
inline int nonfinite(T x) {
  return !(std::abs(x) <= std::numeric_limits<T>::max());
}

/// Writes the block's results: n elements of each local array to its output.
template <class T, std::size_t K>
void store(T* const (&out)[K], const T (&tmp)[K][kBlock], std::int64_t at, std::int64_t n) {
  for (std::size_t k = 0; k < K; ++k) std::copy(tmp[k], tmp[k] + n, out[k] + at);
}

// ---- sgd_step -----------------------------------------------------------------------------------

template <class T>
void sgd_step_typed(OpCall& c) {
  using W = __float128;  // the slow path's type (see the header)
  Buffers b(c);
  const double lr = c.attrs.get_real("lr"), mu = c.attrs.get_real("momentum");
  const double damp = c.attrs.get_real("dampening"), wd = c.attrs.get_real("weight_decay");
  const bool nesterov = c.attrs.get_bool("nesterov"), first = c.attrs.get_bool("first_step");
  const bool decay = wd != 0, momentum = mu != 0;
  const T* p = b.in[0].data<T>();
  const T* g = b.in[1].data<T>();
  const T* buf = b.in[2].data<T>();
  T* const out[2] = {b.out[0].data<T>(), b.out[1].data<T>()};
  // PyTorch's scalars rounded to T; 1 − dampening is a Python float (double) first.
  const T lr_t = static_cast<T>(lr), mu_t = static_cast<T>(mu), wd_t = static_cast<T>(wd);
  const T keep_t = static_cast<T>(1 - damp);
  parallel_for(Family::optim, b.in[0].numel(), kGrain,
               [&](std::int64_t, std::int64_t lo, std::int64_t hi) {
                 for (std::int64_t at = lo; at < hi; at += kBlock) {
                   const std::int64_t n = std::min(kBlock, hi - at);
                   const T *pb = p + at, *gb = g + at, *bb = buf + at;
                   T r[2][kBlock];  // new parameter, new buffer
                   for (std::int64_t k = 0; k < n; ++k) {
                     const T gp = decay ? gb[k] + wd_t * pb[k] : gb[k];
                     const T bn = !momentum ? bb[k] : first ? gp : bb[k] * mu_t + keep_t * gp;
                     const T d = !momentum ? gp : nesterov ? gp + mu_t * bn : bn;
                     r[0][k] = pb[k] - lr_t * d;
                     r[1][k] = bn;
                   }
                   int bad = 0;
                   for (std::int64_t k = 0; k < n; ++k)
                     bad |= nonfinite(r[0][k]) | nonfinite(r[1][k]);
                   if (bad) {
                     for (std::int64_t k = 0; k < n; ++k) {
                       if (!nonfinite(r[0][k]) && !nonfinite(r[1][k])) continue;
                       // The reference's formula in W from the T inputs, each result rounded once.
                       W gw = W(gb[k]);
                       if (decay) gw = gw + W(wd) * W(pb[k]);
                       W bw = W(bb[k]), dw = gw;
                       if (momentum) {
                         bw = first ? gw : W(mu) * bw + (W(1) - W(damp)) * gw;
                         dw = nesterov ? gw + W(mu) * bw : bw;
                       }
                       r[0][k] = static_cast<T>(W(pb[k]) - W(lr) * dw);
                       r[1][k] = static_cast<T>(bw);
                     }
                   }
                   store(out, r, at, n);
                 }
               });
  b.finish();
}

// ---- adam_step / adamw_step ---------------------------------------------------------------------

template <class T, bool kDecoupled>
void adam_step_typed(OpCall& c) {
  using W = __float128;  // the slow path's type (see the header)
  Buffers b(c);
  const double lr = c.attrs.get_real("lr"), beta1 = c.attrs.get_real("beta1");
  const double beta2 = c.attrs.get_real("beta2"), eps = c.attrs.get_real("eps");
  const double wd = c.attrs.get_real("weight_decay");
  const double step = static_cast<double>(c.attrs.get_int("step"));
  // PyTorch's scalars (Python floats, i.e. double), then rounded to T by the T kernels.
  const double bias_correction1 = 1 - std::pow(beta1, step);
  const double bias_correction2 = 1 - std::pow(beta2, step);
  const T step_size = static_cast<T>(lr / bias_correction1);
  const T bias_correction2_sqrt = static_cast<T>(std::sqrt(bias_correction2));
  const T eps_t = static_cast<T>(eps);
  const T decay_t = static_cast<T>(1 - lr * wd);
  const T wd_t = static_cast<T>(wd), beta2_t = static_cast<T>(beta2);
  const T w_t = static_cast<T>(1 - beta1), rest_t = T(1) - w_t;  // lerp weight, 1 − weight
  const T c2_t = static_cast<T>(1 - beta2);
  const bool small_weight = w_t < T(0.5), coupled = !kDecoupled && wd != 0;
  const T* p = b.in[0].data<T>();
  const T* g = b.in[1].data<T>();
  const T* m0 = b.in[2].data<T>();
  const T* v0 = b.in[3].data<T>();
  T* const out[3] = {b.out[0].data<T>(), b.out[1].data<T>(), b.out[2].data<T>()};
  parallel_for(
      Family::optim, b.in[0].numel(), kGrain, [&](std::int64_t, std::int64_t lo, std::int64_t hi) {
        for (std::int64_t at = lo; at < hi; at += kBlock) {
          const std::int64_t n = std::min(kBlock, hi - at);
          const T *pb = p + at, *gb = g + at, *mb = m0 + at, *vb = v0 + at;
          T r[3][kBlock];  // new parameter, exp_avg, exp_avg_sq
          for (std::int64_t k = 0; k < n; ++k) {
            const T gp = coupled ? gb[k] + wd_t * pb[k] : gb[k];
            const T m = small_weight ? mb[k] + w_t * (gp - mb[k]) : gp - (gp - mb[k]) * rest_t;
            const T v = vb[k] * beta2_t + (c2_t * gp) * gp;
            const T pp = kDecoupled ? pb[k] * decay_t : pb[k];
            const T denom = std::sqrt(v) / bias_correction2_sqrt + eps_t;
            r[0][k] = pp - step_size * (m / denom);
            r[1][k] = m;
            r[2][k] = v;
          }
          int bad = 0;
          for (std::int64_t k = 0; k < n; ++k)
            bad |= nonfinite(r[0][k]) | nonfinite(r[1][k]) | nonfinite(r[2][k]);
          if (bad) {
            for (std::int64_t k = 0; k < n; ++k) {
              if (!nonfinite(r[0][k]) && !nonfinite(r[1][k]) && !nonfinite(r[2][k])) continue;
              // The reference's formula in W from the T inputs (the moments unrounded), each result
              // rounded once; the scalars step_size, c2s, eps and the decay as the T path uses
              // them.
              W gw = W(gb[k]);
              if (coupled) gw = gw + W(wd) * W(pb[k]);
              const W mw = W(beta1) * W(mb[k]) + (W(1) - W(beta1)) * gw;
              const W vw = W(beta2) * W(vb[k]) + (W(1) - W(beta2)) * gw * gw;
              const W ppw = kDecoupled ? W(pb[k]) * W(decay_t) : W(pb[k]);
              const W denw = sqrtq(vw) / W(bias_correction2_sqrt) + W(eps_t);
              r[0][k] = static_cast<T>(ppw - W(step_size) * (mw / denw));
              r[1][k] = static_cast<T>(mw);
              r[2][k] = static_cast<T>(vw);
            }
          }
          store(out, r, at, n);
        }
      });
  b.finish();
}

// ---- clip_grad_norm -----------------------------------------------------------------------------

template <class T>
void clip_grad_norm_typed(OpCall& c) {
  using W = wide_t<T>;
  Buffers b(c);
  const double max_norm = c.attrs.get_real("max_norm");
  const T* g = b.in[0].data<T>();
  T* out = b.out[0].data<T>();
  const std::int64_t n = b.in[0].numel();
  // Σ g² in W: each product is exact there (24·2 ≤ 53, 53·2 ≤ 113 bits, no over/underflow), per
  // chunk, the chunk partials added in chunk order.
  std::vector<W> partial(static_cast<std::size_t>(chunk_count(n, kGrain)), W(0));
  parallel_for(Family::optim, n, kGrain, [&](std::int64_t chunk, std::int64_t lo, std::int64_t hi) {
    W s = 0;
    for (std::int64_t i = lo; i < hi; ++i) s += W(g[i]) * W(g[i]);
    partial[static_cast<std::size_t>(chunk)] = s;
  });
  W s = 0;
  for (W v : partial) s += v;
  const W total = wide_sqrt(s);
  W coef = W(max_norm) / (total + W(1e-6));
  if (!(coef != coef) && !(coef < W(1))) coef = W(1);  // min(coef, 1); NaN stays NaN
  b.out[1].data<T>()[0] = static_cast<T>(total);
  // g · coef: float32 multiplies in double (exact operands, one rounding there, one to float);
  // float64 in double when coef is a normal double, else (norms above ~2^1000) in W.
  const bool in_double = std::is_same_v<T, float> || !(coef < W(0x1p-1000));
  const double coef_d = static_cast<double>(coef);
  parallel_for(Family::optim, n, kGrain, [&](std::int64_t, std::int64_t lo, std::int64_t hi) {
    if (in_double) {
      for (std::int64_t i = lo; i < hi; ++i)
        out[i] = static_cast<T>(static_cast<double>(g[i]) * coef_d);
    } else {
      for (std::int64_t i = lo; i < hi; ++i) out[i] = static_cast<T>(W(g[i]) * coef);
    }
  });
  b.finish();
}

// ---- dispatch -----------------------------------------------------------------------------------

void sgd_step_forward(OpCall& c) {
  if (c.inputs.at(0).dtype() == DType::f32)
    sgd_step_typed<float>(c);
  else
    sgd_step_typed<double>(c);
}
void adam_step_forward(OpCall& c) {
  if (c.inputs.at(0).dtype() == DType::f32)
    adam_step_typed<float, false>(c);
  else
    adam_step_typed<double, false>(c);
}
void adamw_step_forward(OpCall& c) {
  if (c.inputs.at(0).dtype() == DType::f32)
    adam_step_typed<float, true>(c);
  else
    adam_step_typed<double, true>(c);
}
void clip_grad_norm_forward(OpCall& c) {
  if (c.inputs.at(0).dtype() == DType::f32)
    clip_grad_norm_typed<float>(c);
  else
    clip_grad_norm_typed<double>(c);
}

VT_REGISTER_OPTIMIZED(sgd_step, "loop", sgd_step_forward,
                      "elementwise pass in T, PyTorch's order; binary128 where T overflows");
VT_REGISTER_OPTIMIZED(adam_step, "loop", adam_step_forward,
                      "elementwise pass in T, PyTorch's order (lerp); binary128 where T overflows");
VT_REGISTER_OPTIMIZED(adamw_step, "loop", adamw_step_forward,
                      "elementwise pass in T, PyTorch's order (lerp); binary128 where T overflows");
VT_REGISTER_OPTIMIZED(clip_grad_norm, "loop", clip_grad_norm_forward,
                      "Σg² in the wider type per chunk (chunk order), then g·min(coef, 1)");

}  // namespace
}  // namespace vt::opt
