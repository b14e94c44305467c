// reference/ops/unary.cpp — registers the float128 reference of the unary elementwise ops, their
// VJPs and second-order VJPs. What it is not: the definitions (unary.hpp). libquadmath supplies
// sqrt, exp, log, tanh, cosh and erfc in binary128 (a few ulps of 2^-113 — some 60 bits beyond
// float64).
#include "reference/ops/unary.hpp"

namespace vt::ref {
namespace {

template <hp_t (*F)(hp_t)>
void unary_reference(OpCall& c) {
  unary_forward<hp_t>(broadcast_input(c, 0).view<hp_t>(), c.outputs[0].view<hp_t>(), F);
}

/// grad_inputs[0] = f'(x)·g (an undefined g means zero).
template <hp_t (*DF)(hp_t, hp_t)>
void unary_vjp_reference(BackwardCall& bc) {
  Tensor& grad = bc.grad_inputs.at(0);
  if (!grad.defined()) return;
  const Tensor& g = bc.grad_outputs.at(0);
  if (!g.defined()) {
    grad.copy_from(Tensor::empty({}, DType::hp));  // zero
    return;
  }
  unary_backward<hp_t>(g.view<hp_t>(), bc.forward->inputs.at(0).view<hp_t>(), grad.view<hp_t>(),
                       DF);
}

/// Second order (DoubleBackwardCall): grad_inputs[0] = w·v·f''(x) and grad_grad_outputs[0] =
/// w·f'(x); an undefined v or w means zero (so a zero result, not w·0·f'' = NaN at a pole).
template <hp_t (*DF)(hp_t, hp_t), hp_t (*D2F)(hp_t, hp_t, hp_t)>
void unary_vjp2_reference(DoubleBackwardCall& dc) {
  const Tensor none;
  const Tensor& x = dc.forward->inputs.at(0);
  const Tensor& v = dc.grad_outputs.empty() ? none : dc.grad_outputs[0];
  const Tensor& w = dc.grad_grad_inputs.empty() ? none : dc.grad_grad_inputs[0];
  const Tensor zero = Tensor::empty({}, DType::hp);
  if (!dc.grad_inputs.empty() && dc.grad_inputs[0].defined()) {
    Tensor& h = dc.grad_inputs[0];
    if (!w.defined() || !v.defined())
      h.copy_from(zero);
    else
      unary_double_backward<hp_t>(w.view<hp_t>(), v.view<hp_t>(), x.view<hp_t>(), h.view<hp_t>(),
                                  D2F);
  }
  if (!dc.grad_grad_outputs.empty() && dc.grad_grad_outputs[0].defined()) {
    Tensor& k = dc.grad_grad_outputs[0];
    if (!w.defined())
      k.copy_from(zero);
    else
      unary_backward<hp_t>(w.view<hp_t>(), x.view<hp_t>(), k.view<hp_t>(), DF);
  }
}

// grad2 is a template name: parentheses around it would not compile.
// NOLINTBEGIN(bugprone-macro-parentheses)
#define VT_REFERENCE_UNARY(name, grad2)                                                    \
  VT_REGISTER_REFERENCE_VJP2(name, unary_reference<name##_scalar<hp_t>>,                   \
                             unary_vjp_reference<name##_grad<hp_t>>,                       \
                             (unary_vjp2_reference<name##_grad<hp_t>, grad2<hp_t>>),       \
                             "elementwise loop in binary128 (libquadmath functions); VJP " \
                             "g·f'(x) from x; second order w·v·f''(x) and w·f'(x) from x")
// NOLINTEND(bugprone-macro-parentheses)

VT_REFERENCE_UNARY(neg, zero_grad2);
VT_REFERENCE_UNARY(abs, zero_grad2);
VT_REFERENCE_UNARY(sqrt, sqrt_grad2);
VT_REFERENCE_UNARY(exp, exp_grad2);
VT_REFERENCE_UNARY(log, log_grad2);
VT_REFERENCE_UNARY(tanh, tanh_grad2);
VT_REFERENCE_UNARY(sigmoid, sigmoid_grad2);
VT_REFERENCE_UNARY(relu, zero_grad2);
VT_REFERENCE_UNARY(gelu, gelu_grad2);

}  // namespace
}  // namespace vt::ref
