// bench/peers.hpp — what `veritensor bench` compares its figures with, in the same run.
// What it is: the C++ peers (OpenBLAS's cblas_?gemm called directly — for linear forward and
// backward, the three gemms and loops written out by hand; a plain single-thread
// C++ loop, issue 8's "bare loop"; memcpy of the same byte traffic for the copy bandwidth), each
// a callable timed by Google Benchmark like our own code; and PythonPeers, one long-lived
// /usr/bin/python3 running bench/peers.py (NumPy, PyTorch, and the matplotlib plot).
// What it is not: verified — a peer is the yardstick, not the thing under test.
#pragma once

#include "bench/workloads.hpp"
#include "core/tensor.hpp"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace vt::bench {

struct CppPeer {
  std::string name;  // "openblas", "loop", "copy"
  std::string form;  // what it calls, e.g. "cblas_sgemm(RowMajor, N, N)"
  std::function<void()> run;
};

/// The C++ peers of workload `w` in `dtype`, on copies of `inputs` (logical values, any
/// placement) with their own outputs. `threads` is the thread count of the case: OpenBLAS and
/// the copy use it (the caller has set OpenBLAS's count), the bare loops are single-thread.
std::vector<CppPeer> cpp_peers(const Workload& w, DType dtype, int threads,
                               const std::vector<Tensor>& inputs);

/// One /usr/bin/python3 bench/peers.py for the whole run, spoken to in JSON lines on its
/// stdin/stdout (the protocol is described at the top of bench/peers.py).
class PythonPeers {
 public:
  /// Starts the helper; `script` is bench/peers.py. Never throws: when it cannot start,
  /// available() is false and reason() says why.
  explicit PythonPeers(const std::string& script);
  ~PythonPeers();
  PythonPeers(const PythonPeers&) = delete;
  PythonPeers& operator=(const PythonPeers&) = delete;

  bool available() const { return pid_ > 0; }
  const std::string& reason() const { return reason_; }
  /// The helper's greeting: library versions, or why a library is missing.
  const nlohmann::json& hello() const { return hello_; }
  /// Sends one request and waits for its answer; nullopt (and available() false) when the
  /// helper died or answered something that is not JSON.
  std::optional<nlohmann::json> ask(const nlohmann::json& request);

 private:
  int pid_ = -1;
  std::FILE* to_ = nullptr;
  std::FILE* from_ = nullptr;
  std::string reason_;
  nlohmann::json hello_;
  void stop(const std::string& why);
};

}  // namespace vt::bench
