// verify/harness/data.hpp — test cases: shapes from the spec, values from the four regimes,
// memory placement (non-contiguous, transposed, reversed, broadcast inputs; strided or in-place
// outputs) and the thread configuration. What it is not: comparison or reporting.
#pragma once

#include "verify/harness/spec.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace vt::verify {

enum class InputPlacement { contiguous, strided, transposed, reversed, broadcast };
enum class OutputPlacement { contiguous, strided, in_place };
const char* placement_name(InputPlacement p);
const char* placement_name(OutputPlacement p);

struct Case {
  std::string op;
  DType dtype = DType::f32;
  Regime regime = Regime::random;
  int index = 0;               // position within the regime: `--regime R --case K` reruns it
  std::uint64_t seed = 0;      // the run's seed (the case's own stream is derived from it)
  Layout layout;               // shapes and attributes (validated, defaults filled)
  std::vector<Tensor> inputs;  // in the dtype under test (or int inputs), placed in memory
  std::vector<InputPlacement> input_placement;
  OutputPlacement output_placement = OutputPlacement::contiguous;
  int threads = 0;                       // 0: leave the process setting alone
  std::int64_t parallel_threshold = -1;  // -1: default
  bool exact = false;                    // exact-by-construction values: compare bit for bit
  int attempt = 0;                       // > 0: values redrawn because earlier draws were vacuous
  std::string value_note;                // which distribution / adversarial pattern
  std::string describe()
      const;  // "structural #3 (3, 17) ⊕ (3, 1) strided/contiguous → in-place, 3 threads"
};

/// Number of cases the regime has for this op (0 when the regime does not apply, e.g. no exact
/// range). `cases_per_regime` 0 means one per layout.
int regime_case_count(const OpSpec& spec, Regime regime, int cases_per_regime, std::uint64_t seed);

/// Builds case `index` of `regime` deterministically from (seed, op, dtype, regime, index,
/// attempt). Attempt 0 is the case; later attempts redraw values and placement choices (the
/// harness retries when a draw's reference output is vacuous).
Case make_case(const OpSpec& spec, DType dtype, Regime regime, int index, std::uint64_t seed,
               int cases_per_regime, int attempt = 0);

/// Places logical values in memory per `p` (a view into a larger or permuted buffer, or a
/// broadcast of one slice); unused bytes of the buffer hold NaN so that a kernel reading outside
/// the view produces visible garbage. `rng` picks the broadcast dimension.
Tensor place_input(const Tensor& logical, InputPlacement p, Rng& rng);

/// Input `input`'s value domain: spec.domains[input], the last entry repeating; the default
/// Domain when the spec lists none.
const Domain& domain_of(const OpSpec& spec, std::size_t input);

/// A stable 64-bit mix used to derive per-case streams.
std::uint64_t mix_seed(std::uint64_t seed, const std::string& salt);

}  // namespace vt::verify
