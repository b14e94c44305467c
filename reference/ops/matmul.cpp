// reference/ops/matmul.cpp — registers the float128 reference of matmul, its VJP and its
// second-order VJP.
// What it is not: the definition (matmul.hpp).
#include "reference/ops/matmul.hpp"

#include "core/registry.hpp"
#include "reference/core/reference.hpp"

namespace vt::ref {
namespace {

// a: (…, M, K) or (K,), b: (…, K, N) or (K,), out: matmul_shape(a, b).
void matmul_reference(OpCall& c) {
  const Tensor& a = c.inputs.at(0);
  const Tensor& b = c.inputs.at(1);
  const MatmulOperands ops = matmul_operands(a, b);
  const Tensor out = matmul_full_output(c.outputs.at(0), a.ndim(), b.ndim());
  matmul_forward<hp_t>(ops.a.view<hp_t>(), ops.b.view<hp_t>(), out.view<hp_t>());
}

// grad_a = G·Bᵀ and grad_b = Aᵀ·G in full form (batch…, ·, ·), folded onto each input's shape.
void matmul_vjp_reference(BackwardCall& bc) {
  const OpCall& f = *bc.forward;
  const Tensor& a = f.inputs.at(0);
  const Tensor& b = f.inputs.at(1);
  const MatmulOperands ops = matmul_operands(a, b);
  Tensor g = bc.grad_outputs.empty() ? Tensor() : bc.grad_outputs[0];
  if (!g.defined()) g = Tensor::empty(f.outputs.at(0).shape(), DType::hp);
  const Tensor gf = matmul_full_output(g, a.ndim(), b.ndim());  // (batch…, M, N)
  if (bc.grad_inputs.size() > 0 && bc.grad_inputs[0].defined()) {
    const Tensor full = Tensor::empty(ops.a.shape(), DType::hp);  // (batch…, M, K)
    matmul_backward_a<hp_t>(gf.view<hp_t>(), ops.b.transpose(-2, -1).view<hp_t>(),
                            full.view<hp_t>());
    const Tensor& ga = bc.grad_inputs[0];
    sum_to_shape(full, a.ndim() == 1 ? ga.unsqueeze(0) : ga);  // (K,) as (1, K)
  }
  if (bc.grad_inputs.size() > 1 && bc.grad_inputs[1].defined()) {
    const Tensor full = Tensor::empty(ops.b.shape(), DType::hp);  // (batch…, K, N)
    matmul_backward_b<hp_t>(ops.a.transpose(-2, -1).view<hp_t>(), gf.view<hp_t>(),
                            full.view<hp_t>());
    const Tensor& gb = bc.grad_inputs[1];
    sum_to_shape(full, b.ndim() == 1 ? gb.unsqueeze(1) : gb);  // (K,) as (K, 1)
  }
}

/// Tensor t, or zeros of `shape` when t is undefined (an undefined v or w means zero).
Tensor or_zeros(const std::vector<Tensor>& ts, std::size_t i, const Shape& shape) {
  return i < ts.size() && ts[i].defined() ? ts[i] : Tensor::empty(shape, DType::hp);
}

// Second order (matmul.hpp): ∂A = V·W_Bᵀ and ∂B = W_Aᵀ·V are first-order VJPs of the products
// A·W_B and W_A·B; ∂V = W_A·B + A·W_B.
void matmul_vjp2_reference(DoubleBackwardCall& dc) {
  const OpCall& f = *dc.forward;
  const Tensor& a = f.inputs.at(0);
  const Tensor& b = f.inputs.at(1);
  const Shape& out_shape = f.outputs.at(0).shape();
  const Tensor v = or_zeros(dc.grad_outputs, 0, out_shape);
  const Tensor wa = or_zeros(dc.grad_grad_inputs, 0, a.shape());
  const Tensor wb = or_zeros(dc.grad_grad_inputs, 1, b.shape());
  if (dc.grad_inputs.size() > 0 && dc.grad_inputs[0].defined()) {
    const OpCall a_wb{{a, wb}, f.attrs, f.outputs};
    BackwardCall bc{&a_wb, {v}, {dc.grad_inputs[0], Tensor()}};
    matmul_vjp_reference(bc);
  }
  if (dc.grad_inputs.size() > 1 && dc.grad_inputs[1].defined()) {
    const OpCall wa_b{{wa, b}, f.attrs, f.outputs};
    BackwardCall bc{&wa_b, {v}, {Tensor(), dc.grad_inputs[1]}};
    matmul_vjp_reference(bc);
  }
  if (!dc.grad_grad_outputs.empty() && dc.grad_grad_outputs[0].defined()) {
    const MatmulOperands ab = matmul_operands(a, b), w = matmul_operands(wa, wb);
    const Tensor h = matmul_full_output(dc.grad_grad_outputs[0], a.ndim(), b.ndim());
    matmul_jvp<hp_t>(w.a.view<hp_t>(), ab.b.view<hp_t>(), ab.a.view<hp_t>(), w.b.view<hp_t>(),
                     h.view<hp_t>());
  }
}

VT_REGISTER_IMPL({.op = "matmul",
                  .backend = backend::reference,
                  .variant = "float128",
                  .dtypes = {DType::hp},
                  .forward = matmul_reference,
                  .backward = matmul_vjp_reference,
                  .double_backward = matmul_vjp2_reference,
                  .technique = "triple loop C_ij = Σ_k A_ik B_kj in binary128, k ascending; VJP "
                               "G·Bᵀ and Aᵀ·G the same way, summed over broadcast batch dims; "
                               "second order V·W_Bᵀ, W_Aᵀ·V and W_A·B + A·W_B likewise"});

}  // namespace
}  // namespace vt::ref
