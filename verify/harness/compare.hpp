// verify/harness/compare.hpp — per-element comparison of a backend's output with the float128
// reference under the op's accuracy class (DESIGN.md "Accuracy classes").
// What it is: the error in the class's unit per element (ulp for exact and ulp(k); bound
// utilisation |ŷ − y| / bound for sum-bound), the pass rule, and the vacuity test of the data.
// What it is not: case generation or reporting.
#pragma once

#include "verify/harness/spec.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace vt::verify {

struct ElementReport {
  std::vector<std::int64_t> index;
  double got = 0, expected = 0;  // expected: the reference rounded to the target type
  double error = 0;              // in the class's unit
  double bound = 0;              // the admissible error in that unit (k, 1.0, or 0 for exact)
  std::string reason;            // "NaN expected", "sign of zero", …
};

struct Comparison {
  std::int64_t elements = 0;
  std::int64_t failures = 0;
  double max_error = 0;  // in the class's unit
  double sum_sq_error = 0;
  ElementReport worst;  // the largest error (the first failure if any failed)
  bool has_worst = false;
  double rms() const;
};

/// What a comparison needs to know.
struct CompareSpec {
  AccuracyClass cls = AccuracyClass::exact;
  double ulp_k = 0;      // ulp class budget for this dtype and backend
  bool bitwise = false;  // exact regime or exact class: equal to the rounded reference
  DType target = DType::f32;
};

/// ref: float128 (or int64) reference; got: backend output (same shape); bound: float128 per
/// element (sum-bound only; may be undefined otherwise).
Comparison compare_outputs(const Tensor& ref, const Tensor& got, const Tensor& bound,
                           const CompareSpec& cs);

/// Adds one element's result (used by sampled checks of large layouts).
void compare_element(hp_t ref, double got_value, hp_t bound, const CompareSpec& cs,
                     const std::vector<std::int64_t>& index, Comparison& acc);

/// The distance in units in the last place of the target type at |y|: |x − y| / ulp_T(y).
hp_t ulp_error(hp_t x, hp_t y, DType target);

struct Vacuity {
  bool vacuous = false;
  std::string reason;
};
/// Whether the reference output says too little to test anything (DESIGN.md "vacuous").
Vacuity check_vacuity(const Tensor& reference, const OpSpec& spec);

}  // namespace vt::verify
