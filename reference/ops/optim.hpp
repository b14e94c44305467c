// reference/ops/optim.hpp — one optimizer step as an op: the spec, in Real arithmetic.
// What it is: PyTorch's single-tensor updates of torch.optim.SGD, Adam and AdamW (one step, every
// element independent) and torch.nn.utils.clip_grad_norm_ (norm_type 2) over one gradient
// tensor, as formulas over View<Real>. Special values follow from the formulas as PyTorch's do
// (a NaN anywhere in an element's inputs gives NaN there; an infinite gradient norm clips every
// finite gradient to ±0 and an infinite one to NaN; a NaN norm makes every gradient NaN).
// What it is not: differentiable (optimizer steps have no VJP), an optimizer object with state
// across steps (the state tensors are inputs and outputs), or fast — Real is float128 when
// registered.
#pragma once

#include "core/shape.hpp"
#include "core/tensor.hpp"
#include "reference/core/reference.hpp"

#include <cstdint>

namespace vt::ref {

/// torch.optim.SGD hyper-parameters (attributes of sgd_step).
template <class Real>
struct SgdParams {
  Real lr, momentum, dampening, weight_decay;
  bool nesterov = false;
  bool first_step = false;  // PyTorch creates the buffer on the first step: buf = grad
};

/// p_new = p − lr·d with (g' = g + wd·p when wd ≠ 0, else g)
///   momentum ≠ 0: buf = g' on the first step, else momentum·buf + (1 − dampening)·g';
///                 d = g' + momentum·buf (nesterov) or buf;
///   momentum = 0: d = g', and the buffer is passed through unchanged (PyTorch keeps none).
// p, g, buf, p_new, buf_new: the same shape.
template <class Real>
void sgd_step_forward(View<Real> p, View<Real> g, View<Real> buf, const SgdParams<Real>& a,
                      View<Real> p_new, View<Real> buf_new) {
  for_each_index(p.shape, [&](const std::vector<std::int64_t>& i) {
    Real gp = g[i];
    if (a.weight_decay != 0) gp = gp + a.weight_decay * p[i];
    Real d = gp;
    Real b = buf[i];
    if (a.momentum != 0) {
      b = a.first_step ? gp : a.momentum * b + (1 - a.dampening) * gp;
      d = a.nesterov ? gp + a.momentum * b : b;
    }
    buf_new[i] = b;
    p_new[i] = p[i] - a.lr * d;
  });
}

/// torch.optim.Adam / AdamW hyper-parameters (attributes of adam_step and adamw_step).
template <class Real>
struct AdamParams {
  Real lr, beta1, beta2, eps, weight_decay;
  std::int64_t step = 1;   // 1-based step count after this update (bias correction)
  bool decoupled = false;  // AdamW: decay the parameter by lr·wd instead of adding wd·p to g
};

/// One Adam (decoupled = false) or AdamW (decoupled = true) step:
///   Adam:  g' = g + wd·p (when wd ≠ 0), p' = p;   AdamW: g' = g, p' = p·(1 − lr·wd);
///   m = β1·m0 + (1 − β1)·g',  v = β2·v0 + (1 − β2)·g'²;
///   p_new = p' − (lr / (1 − β1^t)) · m / (√v / √(1 − β2^t) + eps).
/// The order of operations is PyTorch's (torch/optim/adam.py, _single_tensor_adam):
///   bias_correction1 = 1 − β1^t, bias_correction2 = 1 − β2^t, step_size = lr / bias_correction1,
///   bias_correction2_sqrt = √bias_correction2, denom = √v / bias_correction2_sqrt + eps,
///   param −= step_size · (m / denom). In float128 the order changes nothing that matters; it is
/// written this way so that the reference reads like the code whose rounding the bounds analyse.
// p, g, m0, v0, p_new, m, v: the same shape.
template <class Real>
void adam_step_forward(View<Real> p, View<Real> g, View<Real> m0, View<Real> v0,
                       const AdamParams<Real>& a, View<Real> p_new, View<Real> m_new,
                       View<Real> v_new) {
  using boost::multiprecision::pow;
  using boost::multiprecision::sqrt;
  using std::pow;
  using std::sqrt;
  const Real t = Real(a.step);
  const Real bias_correction1 = 1 - pow(a.beta1, t);
  const Real bias_correction2 = 1 - pow(a.beta2, t);
  const Real step_size = a.lr / bias_correction1;
  const Real bias_correction2_sqrt = sqrt(bias_correction2);
  for_each_index(p.shape, [&](const std::vector<std::int64_t>& i) {
    Real pp = p[i];
    Real gp = g[i];
    if (a.decoupled)
      pp = pp * (1 - a.lr * a.weight_decay);
    else if (a.weight_decay != 0)
      gp = gp + a.weight_decay * p[i];
    const Real m = a.beta1 * m0[i] + (1 - a.beta1) * gp;
    const Real v = a.beta2 * v0[i] + (1 - a.beta2) * gp * gp;
    const Real denom = sqrt(v) / bias_correction2_sqrt + a.eps;
    m_new[i] = m;
    v_new[i] = v;
    p_new[i] = pp - step_size * (m / denom);
  });
}

/// torch.nn.utils.clip_grad_norm_ with norm_type 2 over one gradient tensor:
///   total = √(Σ g²), coef = max_norm / (total + 1e-6), g ← g · min(coef, 1)
/// (PyTorch multiplies by the clamped coefficient, i.e. clips only when coef < 1; a NaN coef stays
/// NaN through the clamp). Returns total.
// g, out: the same shape.
template <class Real>
Real clip_grad_norm_forward(View<Real> g, const Real& max_norm, View<Real> out) {
  using boost::multiprecision::sqrt;
  using std::sqrt;
  Real s = 0;
  for_each_index(g.shape, [&](const std::vector<std::int64_t>& i) { s += g[i] * g[i]; });
  const Real total = sqrt(s);
  const Real coef = max_norm / (total + Real(1e-6));
  const Real clamped = is_nan(coef) ? coef : (coef < 1 ? coef : Real(1));
  for_each_index(g.shape, [&](const std::vector<std::int64_t>& i) { out[i] = g[i] * clamped; });
  return total;
}

}  // namespace vt::ref
