// verify/mutants/matmul.cpp — planted bugs in matmul (test builds only).
// What it is: wrong implementations registered as extra variants to prove the harness flags
// them. What it is not: anything a user should call; never linked into `veritensor`.
#include "core/registry.hpp"
#include "core/tensor.hpp"

#include <cblas.h>

#include <cstdint>
#include <vector>

namespace vt::mutants {
namespace {

/// The operands in full (batch…, M, K) / (batch…, K, N) / (batch…, M, N) form, contiguous:
/// np.matmul's promotion of 1-d operands and broadcasting of batch dimensions.
struct Full {
  Tensor a, b, c;  // c: a contiguous scratch output
  std::int64_t batch = 1, M = 0, N = 0, K = 0;
};

Full full_form(const OpCall& call) {
  const Tensor& a0 = call.inputs[0];
  const Tensor& b0 = call.inputs[1];
  const Tensor a = a0.ndim() == 1 ? a0.unsqueeze(0) : a0;
  const Tensor b = b0.ndim() == 1 ? b0.unsqueeze(1) : b0;
  Full f;
  f.M = a.dim(-2);
  f.K = a.dim(-1);
  f.N = b.dim(-1);
  const Shape& o = call.outputs[0].shape();
  Shape batch(o.begin(), o.end() - (a0.ndim() == 1 ? 0 : 1) - (b0.ndim() == 1 ? 0 : 1));
  for (std::int64_t d : batch) f.batch *= d;
  Shape sa = batch, sb = batch, sc = batch;
  sa.insert(sa.end(), {f.M, f.K});
  sb.insert(sb.end(), {f.K, f.N});
  sc.insert(sc.end(), {f.M, f.N});
  f.a = a.expand(sa).contiguous();
  f.b = b.expand(sb).contiguous();
  f.c = Tensor::empty(sc, call.outputs[0].dtype());
  return f;
}

/// C_ij = Σ_{k < K−1} A_ik B_kj: the k loop stops one short.
template <class T>
void k_off_by_one(OpCall& call) {
  Full f = full_form(call);
  const T* a = f.a.data<T>();
  const T* b = f.b.data<T>();
  T* c = f.c.data<T>();
  for (std::int64_t p = 0; p < f.batch; ++p)
    for (std::int64_t i = 0; i < f.M; ++i)
      for (std::int64_t j = 0; j < f.N; ++j) {
        T s = 0;
        for (std::int64_t k = 0; k + 1 < f.K; ++k)  // BUG: should be k < K
          s += a[(p * f.M + i) * f.K + k] * b[(p * f.K + k) * f.N + j];
        c[(p * f.M + i) * f.N + j] = s;
      }
  call.outputs[0].copy_from(f.c.reshape(call.outputs[0].shape()));
}

/// One cblas GEMM per batch element, but the batched loop skips the last element (left zero);
/// an unbatched call (one matrix) takes a separate, correct path — so only layouts with a batch
/// of two or more can catch it.
template <class T>
void dropped_last_batch(OpCall& call) {
  Full f = full_form(call);
  if (f.M > 0 && f.N > 0 && f.K > 0) {
    const std::int64_t last = f.batch == 1 ? 1 : f.batch - 1;  // BUG: should be batch
    for (std::int64_t p = 0; p < last; ++p) {
      const T* a = f.a.data<T>() + p * f.M * f.K;
      const T* b = f.b.data<T>() + p * f.K * f.N;
      T* c = f.c.data<T>() + p * f.M * f.N;
      const auto m = static_cast<blasint>(f.M), n = static_cast<blasint>(f.N),
                 k = static_cast<blasint>(f.K);
      if constexpr (sizeof(T) == 4)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0f, a, k, b, n, 0.0f, c,
                    n);
      else
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0, a, k, b, n, 0.0, c, n);
    }
  }
  call.outputs[0].copy_from(f.c.reshape(call.outputs[0].shape()));
}

void k_off_by_one_dispatch(OpCall& c) {
  if (c.outputs[0].dtype() == DType::f32)
    k_off_by_one<float>(c);
  else
    k_off_by_one<double>(c);
}

void dropped_last_batch_dispatch(OpCall& c) {
  if (c.outputs[0].dtype() == DType::f32)
    dropped_last_batch<float>(c);
  else
    dropped_last_batch<double>(c);
}

VT_REGISTER_IMPL({.op = "matmul",
                  .backend = backend::optimized,
                  .variant = "mutant_k_off_by_one",
                  .dtypes = {DType::f32, DType::f64},
                  .forward = k_off_by_one_dispatch,
                  .planted_bug = true,
                  .technique = "naive triple loop whose k loop stops at K − 1"});

VT_REGISTER_IMPL({.op = "matmul",
                  .backend = backend::optimized,
                  .variant = "mutant_dropped_last_batch",
                  .dtypes = {DType::f32, DType::f64},
                  .forward = dropped_last_batch_dispatch,
                  .planted_bug = true,
                  .technique = "cblas GEMM per batch element, last batch element never computed"});

}  // namespace
}  // namespace vt::mutants
