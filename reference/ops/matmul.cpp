// reference/ops/matmul.cpp — registers the float128 reference of matmul and its VJP.
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

VT_REGISTER_IMPL({.op = "matmul",
                  .backend = backend::reference,
                  .variant = "float128",
                  .dtypes = {DType::hp},
                  .forward = matmul_reference,
                  .backward = matmul_vjp_reference,
                  .technique = "triple loop C_ij = Σ_k A_ik B_kj in binary128, k ascending; VJP "
                               "G·Bᵀ and Aᵀ·G the same way, summed over broadcast batch dims"});

}  // namespace
}  // namespace vt::ref
