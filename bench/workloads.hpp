// bench/workloads.hpp — the workloads `veritensor bench` times (issue 8's list, sizes from the
// figures the project is compared with, /work/shared/reading/perf-baselines.md).
// What it is: one row per workload: op, input shapes, attributes, dtypes, which C++ peers apply
// and how much work a call does (for GFLOP/s and GB/s). What it is not: the timing or the
// verification (bench/gate.cpp), nor the peers themselves (bench/peers.hpp).
#pragma once

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
};

/// Every workload, in table order.
const std::vector<Workload>& workloads();

}  // namespace vt::bench
