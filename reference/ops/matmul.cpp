// reference/ops/matmul.cpp — registers the float128 reference of matmul.
// What it is not: the definition (matmul.hpp).
#include "reference/ops/matmul.hpp"

#include "core/registry.hpp"

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

VT_REGISTER_IMPL({.op = "matmul",
                  .backend = backend::reference,
                  .variant = "float128",
                  .dtypes = {DType::hp},
                  .forward = matmul_reference,
                  .technique = "triple loop C_ij = Σ_k A_ik B_kj in binary128, k ascending"});

}  // namespace
}  // namespace vt::ref
