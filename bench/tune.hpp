// bench/tune.hpp — `veritensor tune`: searches the per-family parallel parameters
// (optimized/core/parallel.hpp) for this machine and writes the profile the library loads at
// start (optimized/core/tuning.hpp). DESIGN.md "Benchmarks — gated", issue 8 "The tuner".
// What it is: TuneOptions (the CLI fills them), the hook the command runs the tuner through, and
// run_tune. Every candidate's timings come from the gate (bench/gate.hpp measure_gated: verified
// on the timed buffers before and after timing); a candidate that fails verification is
// discarded. What it is not: the gate, nor the profile format (tuning.hpp).
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace vt::bench {

struct TuneOptions {
  std::vector<std::string> families;  // empty: elementwise and reduction; also softmax, creation,
                                      // shape (the families with tuning workloads)
  int threads = 0;                    // 0: the process's thread count
  int max_iterations = 40;            // candidate measurements per family (the default is not one)
  std::string history_path;           // JSONL, one row per iteration (appended)
  std::string profile_out;            // "": default_profile_path()
  std::string markdown_path;          // the default-vs-tuned table as markdown
  double min_time = 0.02;             // seconds per timing repetition
  int repetitions = 3;                // per timing pass (the gate times two passes)
  std::vector<std::int64_t> sizes;    // elements per workload; empty: 1e4, 1e5, 1e6
  std::string variant;                // implementation variant timed ("": the default)
  bool show = false;                  // print the profile in force and the parameters; no search
  std::string check_path;             // validate this profile file and show it; no search
  std::string program = "veritensor";
};

/// Runs the search (or --show / --check). Returns 0 when a profile was written (or shown), 1 when
/// a family could not be tuned because its default parameters fail verification. Throws
/// vt::Error for bad options and for files it cannot read or write.
int run_tune(const TuneOptions& opts, std::FILE* out);

using TuneRunner = int (*)(const TuneOptions&, std::FILE*);
/// Set by bench/tune.cpp at start when vt_bench is linked in; null otherwise (the CLI fuzz target
/// compiles cli/app.cpp without the benchmarks, as for bench_runner()).
inline TuneRunner& tune_runner() {
  static TuneRunner runner = nullptr;
  return runner;
}

}  // namespace vt::bench
