// bench/gate.hpp — `veritensor bench`: figures only for verified cases (DESIGN.md "Benchmarks —
// gated", issue 8).
// What it is: per case (workload × backend × variant × dtype × thread count) the inputs are built
// once (the random regime of the op's domain, fixed seed); the implementation runs on those
// buffers into the output buffers that will be timed; that output is verified against the
// float128 reference under the op's accuracy class (the spec's bound, the same comparison as
// `veritensor verify`; large matmuls through the spec's sampled check); then Google Benchmark
// times it (two passes, the peers in between); then the output of the last timed iteration is
// verified again. A case failing either check is REJECTED — its verdict and worst element are
// reported, never a time — and the command exits 1.
// What it is not: the tuner (issue 8's second half), nor a replacement for `veritensor verify`,
// which covers every regime and layout; the gate checks exactly the buffers it times.
#pragma once

#include "bench/options.hpp"
#include "bench/programs.hpp"
#include "bench/workloads.hpp"
#include "core/tensor.hpp"

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

namespace vt::verify {
struct OpSpec;
struct Case;
}  // namespace vt::verify

namespace vt::bench {

/// Runs the benchmark; returns 0 when every selected case was verified and timed, 1 when one
/// was rejected. Throws vt::Error for bad options (no workload matches, unknown variant) and
/// for output files it cannot write.
int run_bench(const BenchOptions& opts, std::FILE* out);

/// What one gated case found (measure_gated).
struct GatedTime {
  bool timed = false;               // verified before and after timing, and timed
  std::string verdict;              // "passed", else the verdict of the check that failed
  std::string rejected;             // "" or "before timing" / "after timing": the message
  double median_s = 0;              // the median over both timing passes (timed only)
  double max_error = 0, bound = 0;  // the last check's, in the class's unit
  std::string unit;
};

/// One case exactly as `veritensor bench` runs it (verify on the buffers it times, time, verify
/// again), without peers: for the tuner (bench/tune.hpp), which sets the parallel parameters
/// before calling it. `variant` "": the optimized backend's default. Throws vt::Error when the
/// op has no spec or no such implementation.
GatedTime measure_gated(const Workload& w, const std::string& variant, DType dtype, int threads,
                        double min_time, int repetitions, std::uint64_t seed);

// ---- the gate's verification, for the benchmarks that run elsewhere (bench/cuda/) ------------

/// Verifies outputs of one op case against the float128 reference under the op's accuracy class
/// (the spec's bound; the comparison of `veritensor verify`). The float128 side is computed once,
/// at construction, and serves every check (before and after timing): the reference outputs and
/// their sum-bounds — or, where the spec's reference cost is above its LargeCheck limit (matmul
/// n ≥ 256), the spec's 256 sampled float128 values and bounds, with its random projections
/// rerun on each checked output.
class CaseVerifier {
 public:
  /// `c`: the case (make_case) whose inputs the checked outputs were computed from; `spec` and
  /// `c` must outlive the verifier. `seed` and `salt` pick the sampled elements and projections.
  /// Throws vt::Error when the op has no reference implementation or the reference refuses the
  /// inputs.
  CaseVerifier(const verify::OpSpec& spec, const verify::Case& c, std::uint64_t seed,
               const std::string& salt);
  ~CaseVerifier();
  CaseVerifier(const CaseVerifier&) = delete;
  CaseVerifier& operator=(const CaseVerifier&) = delete;

  /// One line: what check() compares.
  std::string method() const;
  /// Checks `outs`, the op's outputs (spec.shape_rule's shapes; any strides): verdict passed,
  /// failed (message: how many elements are outside the bound) or vacuous; the largest error and
  /// the bound in the class's unit; the worst element.
  Record check(const std::vector<Tensor>& outs) const;

 private:
  class Impl;
  std::unique_ptr<const Impl> impl_;
};

/// "worst element [3, 7]: got …, expected …, error … ulp (bound …) — reason": r's worst element
/// in one line ("" when it has none).
std::string worst_element_line(const Record& r);
/// A verification record as bench's JSON reports write it (verdict, max_error, bound, unit,
/// class, elements_compared, method; message, worst, name and parts when present).
nlohmann::json record_json(const Record& r);

/// "2026-11-26T21:30:00Z": the time stamps of bench's and tune's records.
std::string now_utc();
/// "787 ns", "3.07 µs", "8.36 ms": a time for bench's and tune's tables ("—" when not > 0).
std::string fmt_time(double seconds);

}  // namespace vt::bench
