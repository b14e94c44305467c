// cuda/mutants/softmax.cu — planted bugs in the cuda softmax (veritensor-planted only).
// What it is: the registered forward (cuda/ops/softmax.cuh, always the block-per-row kernel)
// with one bug each, chosen by the kernel's Bug parameter, so everything but the bug is the real
// code:
//  - mutant_lost_tail: the exp sum leaves out the last len mod 32 elements of every row (a
//    lost-tail loop bound): rows of fewer than 32 elements divide by 0 (inf), longer ones scale
//    every output by S/(S − w_tail) — far outside the n·u bound. Verify's comparisons flag it.
//  - mutant_missing_sync: the block sum drops the barrier before it overwrites the shared buffer
//    the block max was still reading (write-after-read between warps). The values are usually
//    right, so it is for compute-sanitizer racecheck, which reports the hazard on any row.
// What it is not: anything a user should call.
#include "cuda/ops/softmax.cuh"

namespace vt::cuda {
namespace {

using softmax_detail::Bug;
using softmax_detail::softmax_forward_impl;

void softmax_lost_tail(OpCall& c) { softmax_forward_impl<false, Bug::lost_tail>(c, "softmax"); }
void softmax_missing_sync(OpCall& c) {
  softmax_forward_impl<false, Bug::missing_sync>(c, "softmax");
}

VT_REGISTER_IMPL({.op = "softmax",
                  .backend = ::vt::backend::cuda,
                  .variant = "mutant_lost_tail",
                  .dtypes = {::vt::DType::f32, ::vt::DType::f64},
                  .forward = softmax_lost_tail,
                  .planted_bug = true,
                  .caught_by = "value",
                  .technique = "block-row softmax whose exp sum drops each row's last len mod 32 "
                               "elements"});
VT_REGISTER_IMPL({.op = "softmax",
                  .backend = ::vt::backend::cuda,
                  .variant = "mutant_missing_sync",
                  .dtypes = {::vt::DType::f32, ::vt::DType::f64},
                  .forward = softmax_missing_sync,
                  .planted_bug = true,
                  .caught_by = "racecheck",
                  .technique = "block-row softmax without the barrier guarding the reduction "
                               "buffer's reuse (shared-memory WAR race: compute-sanitizer "
                               "racecheck)"});

}  // namespace
}  // namespace vt::cuda
