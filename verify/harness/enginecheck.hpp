// verify/harness/enginecheck.hpp — verification of the autograd engine itself
// (`veritensor verify --grad`, rows "autograd/<program>").
// What it is: small programs written with the engine (a variable used many times, broadcasting,
// a diamond, a weight-tied network, a Hessian-vector product through grad(create_graph)) whose
// gradients, computed by the engine on the float128 reference backend, are held to Richardson
// central differences of the same program in float128 — the check of verify --grad's
// reference rows, applied to whole graphs. It is what flags a wrong traversal or a missing
// accumulation, which no single-op check can see.
// What it is not: a check of the VJPs (gradcheck.hpp) or of the optimized backend.
#pragma once

#include "verify/harness/runner.hpp"

#include <vector>

namespace vt::verify {

/// The engine rows `opts` selects: with --grad, every program whose name "autograd/<program>"
/// (or "autograd") matches an --op glob, or all without --op; one row per accumulation variant
/// (the engine's; "all" adds the planted mutants of planted-bug builds; a mutant's name selects
/// it alone).
std::vector<RowResult> verify_engine(const Options& opts);

}  // namespace vt::verify
