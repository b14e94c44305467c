// bench/workloads.hpp — the workloads `veritensor bench` times (issue 8's list, sizes from the
// figures the project is compared with, /work/shared/reading/perf-baselines.md).
// What it is: one row per workload: op, input shapes, attributes, dtypes, which C++ peers apply
// and how much work a call does (for GFLOP/s and GB/s); a program workload (several ops through
// the autograd engine) also carries the factory of its Program (bench/programs.hpp). What it is
// not: the timing or the verification (bench/gate.cpp, bench/programs.cpp), nor the peers
// themselves (bench/peers.hpp).
#pragma once

#include "bench/programs.hpp"
#include "core/attrs.hpp"
#include "core/dtype.hpp"
#include "core/shape.hpp"

#include <string>
#include <vector>

namespace vt::bench {

struct Workload {
  std::string name;  // "add 100x100": unique, shown in every table
  std::string op;    // the registry's op name
  std::vector<Shape> shapes;
  Attrs attrs;
  std::vector<DType> dtypes;  // the dtypes it runs in unless --dtype says otherwise
  /// C++ peers (with --compare openblas): "openblas" (cblas called directly), "loop" (a plain
  /// single-thread C++ loop, the "bare loop" of issue 8) and "copy" (memcpy of the workload's
  /// byte traffic on the same thread count: the machine's copy bandwidth) and "peak" (an
  /// AVX-512 FMA microkernel doing the workload's flops: the machine's measured FMA peak).
  std::vector<std::string> cpp_peers;
  double flops = 0;     // floating-point operations per call (0: not a flop-bound op)
  double elements = 0;  // elements read + written per call (× itemsize = bytes)
  /// A program workload: its factory (empty for an op workload). `op` then names the program
  /// for the peers and the listing ("linear_fwd_bwd", "mlp_step", "autograd_chain", …).
  ProgramFactory program;
  /// The ops a program runs: those `--variant op=name[,op=name…]` may select a variant of.
  std::vector<std::string> program_ops;
  int max_threads = 0;  // > 0: thread counts above it are not run (autograd overhead: 1)
};

/// Every workload, in table order.
const std::vector<Workload>& workloads();

}  // namespace vt::bench
