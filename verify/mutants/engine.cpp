// verify/mutants/engine.cpp — a planted bug in the autograd engine (planted-bug builds only).
// What it is: an accumulation that keeps the first contribution to a gradient and drops the
// rest — the engine then gets every variable used more than once wrong. `verify --grad`'s
// engine checks (verify/harness/enginecheck.cpp) must flag it; tests/detection.cpp asserts
// they do. What it is not: part of the engine — normal builds never link this file.
#include "core/autograd.hpp"

namespace vt::verify {
namespace {

void keep_first_contribution(Tensor&, const Tensor&) {}  // the bug: nothing is added

const bool registered = [] {
  autograd::register_accumulate_variant(
      {"mutant_missing_accumulation", keep_first_contribution,
       "keeps the first gradient contribution of a reused variable and drops the others"});
  return true;
}();

}  // namespace
}  // namespace vt::verify
