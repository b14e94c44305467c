// cuda/mutants/matmul.cu — a planted bug in the cuda matmul (veritensor-planted only).
// What it is: `mutant_dropped_last_batch` — cuda/ops/matmul.cu's forward, unchanged except that
// its one cublas?gemmStridedBatched call runs with batchCount − 1 whenever the output has two or
// more batch elements (the last batch element's matrix is left zero; an unbatched call is
// computed correctly). verify's value comparisons flag it on every layout with a batch of ≥ 2:
// "batched" (4,5,6)@(4,6,3), "broadcast batch dims (2,1) × (3)", "size-1 batch broadcast",
// "batched @ matrix", "matrix @ batched", "batch @ vector", "vector @ batch", "large batched"
// and the structural batch layouts.
// What it is not: anything a user should call; never linked into `veritensor`.
#include "core/registry.hpp"
#include "cuda/ops/gemm.cuh"

namespace vt::cuda {
namespace {

void dropped_last_batch(OpCall& c) { matmul_forward_with(c, /*drop_last_batch=*/true); }

VT_REGISTER_IMPL({.op = "matmul",
                  .backend = ::vt::backend::cuda,
                  .variant = "mutant_dropped_last_batch",
                  .dtypes = {::vt::DType::f32, ::vt::DType::f64},
                  .forward = dropped_last_batch,
                  .planted_bug = true,
                  .caught_by = "value",
                  .technique = "cublas?gemmStridedBatched launched with batchCount − 1: the last "
                               "batch element is never computed (left zero)"});

}  // namespace
}  // namespace vt::cuda
