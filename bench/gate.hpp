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
#include "bench/workloads.hpp"

#include <cstdint>
#include <cstdio>
#include <string>

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

/// "2026-11-26T21:30:00Z": the time stamps of bench's and tune's records.
std::string now_utc();
/// "787 ns", "3.07 µs", "8.36 ms": a time for bench's and tune's tables ("—" when not > 0).
std::string fmt_time(double seconds);

}  // namespace vt::bench
