// bench/options.hpp — the options of `veritensor bench` and the hook the command runs it through.
// What it is: a plain struct the CLI fills (cli/app.cpp) and bench/gate.cpp reads, and
// bench_runner(), which bench/gate.cpp sets when vt_bench is linked in. The hook exists because
// fuzz/libfuzzer compiles cli/app.cpp for its parser alone, without the benchmarks; there the
// hook stays empty and `bench` says so. What it is not: the gate itself (bench/gate.hpp).
#pragma once

#include "core/dtype.hpp"

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace vt::bench {

/// The run's seed when --seed is not given: the same as verify's (verify/harness/runner.hpp).
inline constexpr std::uint64_t kBenchSeed = 20261126;

struct BenchOptions {
  std::vector<std::string> ops;       // op globs ("add", "soft*"); empty: every workload
  std::string backend = "optimized";  // only the optimized backend is timed so far
  std::string variant;                // "": the backend's default variant
  std::vector<DType> dtypes;          // empty: each workload's own dtypes
  std::vector<int> threads = {1, 2};  // thread counts, each case runs with every one
  std::string json_path, markdown_path, plot_path;
  std::vector<std::string> compare;  // peers: openblas (with the bare C++ loops), numpy, torch
  double min_time = 0.05;            // seconds per Google Benchmark repetition / Python sample
  int repetitions = 3;               // repetitions per timing pass (two passes of ours)
  std::uint64_t seed = kBenchSeed;
  bool list = false;                   // print the workloads and exit
  std::string program = "veritensor";  // the command named in messages
};

using BenchRunner = int (*)(const BenchOptions&, std::FILE*);
/// Set by bench/gate.cpp at start when vt_bench is linked in; null otherwise.
inline BenchRunner& bench_runner() {
  static BenchRunner runner = nullptr;
  return runner;
}

}  // namespace vt::bench
