// bench/programs.hpp — the "program" workloads of `veritensor bench`: whole computations through
// the autograd engine (issue 8: linear forward+backward, the MLP training step, autograd
// overhead), each timed as one call and verified before and after the timed loop like an op.
// What it is: the verification record shared with the gate (Record), the Program interface
// (run() is the timed call, verify() checks what the last run() left) and the factories of the
// programs in the workload table. Each program's check is written beside its code in
// programs.cpp: linear's forward against its spec's bound and each gradient against the float128
// reference VJP under linear's GradSpec class; the MLP step against the training check's local
// one-step bound (verify/harness/training.hpp, TrainingStep); the autograd chains against the
// float128 reference run through the same engine under a running error bound.
// What it is not: the timing or the peers (bench/gate.cpp, bench/peers.hpp), nor a second
// comparison rule — every element comparison is the harness's (compare_outputs,
// compare_gradient).
#pragma once

#include "core/dtype.hpp"
#include "core/tensor.hpp"
#include "verify/harness/compare.hpp"
#include "verify/harness/runner.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace vt::bench {

/// What one check of one case found: the case's verification record. A program's record lists
/// its checks in `parts` (one per checked quantity: "y", "grad x", "loss", …); its own fields
/// are those of the worst part (a failed one first, else the largest error / budget).
struct Record {
  verify::Verdict verdict = verify::Verdict::passed;
  double max_error = 0;  // in the class's unit
  double budget = 0;     // the admissible maximum in that unit (class_budget)
  std::string cls, unit;
  std::int64_t elements = 0;
  std::string method;   // "all N elements" or "sampled: …"
  std::string message;  // why it failed
  std::optional<verify::ElementReport> worst;
  std::string name;           // a part's name ("grad W"); empty for an op's record
  std::vector<Record> parts;  // a program's checks; empty for an op's record
};

/// What a program is built for: the case's dtype and seed, and the optimized variant of each op
/// it runs (`--variant op=name,…`; an op not listed runs the backend's default).
struct ProgramSetup {
  DType dtype = DType::f32;
  std::uint64_t seed = 0;
  std::map<std::string, std::string> variants;
};

/// A timed computation of several ops. The caller sets the thread count (ThreadScope) around
/// construction, run() and verify().
class Program {
 public:
  virtual ~Program() = default;
  /// The timed call. Leaves what verify() checks (the outputs and gradients of this call).
  virtual void run() = 0;
  /// Checks the last run() (its float128 side is computed by the first call and kept).
  virtual Record verify() = 0;
  /// How verify() checks, for the JSON's "method".
  virtual std::string method() const = 0;
  /// Where the inputs come from, for the JSON's "data".
  virtual std::string data() const = 0;
  /// What run() reads and must leave unchanged (the gate compares their bytes after each check);
  /// the C++ peers get copies of them.
  virtual std::vector<Tensor> inputs() const = 0;
};

using ProgramFactory = std::function<std::unique_ptr<Program>(const ProgramSetup&)>;

/// linear 784→128 at `batch` then sum then backward, leaves x, W, b requiring grad (PyTorch's
/// "fwd+bwd" row: grads set to None, forward, .sum().backward()).
std::unique_ptr<Program> linear_fwd_bwd_program(std::int64_t batch, const ProgramSetup& s);
/// One step of the training check's MLP 784-256-128-10 at `batch` ("sgd" or "adam").
std::unique_ptr<Program> mlp_step_program(std::int64_t batch, const std::string& optimizer,
                                          const ProgramSetup& s);
/// (x * w).sum().backward() on 10×10 leaves x, w.
std::unique_ptr<Program> autograd_mul_sum_program(const ProgramSetup& s);
/// h = x; 50 × (h = h * 1.01; h = h + 0.01); h.sum().backward() on a 10×10 leaf x.
std::unique_ptr<Program> autograd_chain_program(const ProgramSetup& s);

/// The record of one comparison under an accuracy class (budget in the class's unit).
Record record_of(const std::string& name, const verify::Comparison& cmp, verify::AccuracyClass cls,
                 double budget, const std::string& method);
/// A program's record from its parts (see Record).
Record combine(std::vector<Record> parts, const std::string& method);

}  // namespace vt::bench
