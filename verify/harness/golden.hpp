// verify/harness/golden.hpp — the golden-file comparison (`veritensor golden`, issue 5).
// What it is: for every case of golden/manifest.json (inputs and the outputs NumPy or PyTorch
// computed, golden/README.md), the float128 reference is run on the same inputs and
//  1. the golden output is graded against the reference in the op's unit (how far the library's
//     float computation is from the high-precision result), and held to the op's own accuracy
//     class as the model of a float library's rounding;
//  2. every backend's output (default variants) is held to the op's class against the reference,
//     on the golden inputs exactly as stored (Fortran-order files load as non-contiguous views).
// A "vjp" case (PyTorch's torch.autograd.grad) holds the forward inputs, one output gradient per
// output and the gradient of every differentiable input: the float128 reference forward and VJP
// run on the stored values, and the library's gradients, then every backend's VJP (from its own
// forward), are held to the reference VJP under the op's GradSpec class (compare_gradient, as
// `verify --grad` does); report rows read "<op> vjp <dtype>".
// A golden outside the class is a disagreement. Which side is off: when a backend of ours agrees
// with the reference and not with the golden, the library's ("library"); when it agrees with the
// golden and not with the reference, our reference is suspect ("ours"); both are reported with
// the error, and "ours" fails the run.
// Before a case runs, each of its files is checked against the manifest's sha256 (OpenSSL): a
// missing, unlisted or edited file is a failed case naming the file. Real attributes spelled
// "nan", "inf", "-inf" (strict JSON has no NaN or infinity) become doubles.
// What it is not: the generator (golden/generate.py) or its regeneration check
// (`generate.py --check`).
#pragma once

#include "verify/harness/runner.hpp"

#include <cstdio>
#include <string>
#include <vector>

namespace vt::verify {

struct GoldenOptions {
  std::string dir = "golden";    // holds manifest.json and data/
  std::vector<std::string> ops;  // globs; empty: all
  std::string case_id;           // one case ("add/float32/random/0"); empty: all
  bool verbose = false;
  std::string program = "veritensor";
};

/// Runs the comparison and prints the report to `out`. Returns the exit code: 0 every backend
/// passed every case, every file matched its hash and no disagreement is ours, 1 otherwise. Throws
/// vt::Error for a missing or malformed manifest or case file (exit 2 in the CLI).
int run_golden(const GoldenOptions& opts, std::FILE* out);

}  // namespace vt::verify
