// verify/harness/runner.hpp — runs verification: every selected op × backend × variant × dtype
// over the cases of the four regimes, each compared with the float128 reference.
// What it is: case execution (canaries, inputs-unchanged check, thread settings), verdicts and
// the result records. What it is not: printing (harness/report.hpp) or the CLI.
#pragma once

#include "verify/harness/compare.hpp"
#include "verify/harness/data.hpp"
#include "verify/harness/spec.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace vt::verify {

enum class Verdict { passed, failed, not_run, unsupported, vacuous };
const char* verdict_name(Verdict v);

inline constexpr std::uint64_t kDefaultSeed = 20261126;

struct Options {
  std::vector<std::string> ops;       // globs ("add", "log*", "soft*"); empty: all
  std::vector<std::string> backends;  // empty: every non-reference backend
  std::string variant;                // "": default variant; "all": every variant incl. mutants
  std::vector<DType> dtypes = {DType::f32, DType::f64};
  std::uint64_t seed = kDefaultSeed;
  int cases_per_regime = 0;  // 0: one case per layout
  std::optional<Regime> regime;
  std::optional<int> case_index;
  int threads = 0;                // 0: leave the process setting
  std::string save_failures_dir;  // write inputs/expected/got of failures as .npy
  std::string ledger_path;        // "" with ledger_mode != off: the default ledger
  enum class LedgerMode { check, report, update, off } ledger_mode = LedgerMode::check;
  bool grad = false;     // check VJPs (gradcheck.hpp) instead of forward outputs
  bool grad2 = false;    // check second-order VJPs (double backward) instead
  bool bitwise = false;  // also rerun each case (same settings; 1, 2, 3 threads): same bits?
  bool verbose = false;  // print every case
  std::string program = "veritensor";  // the command named in repro lines
};

/// One case's outcome.
struct CaseResult {
  Regime regime = Regime::random;
  int index = 0;
  std::string description;  // Case::describe()
  std::vector<Shape> shapes;
  std::string attrs;
  Verdict verdict = Verdict::passed;
  std::string message;  // why it failed / was vacuous
  Comparison comparison;
  int output = 0;     // which output the comparison refers to
  std::string saved;  // where --save-failures wrote it
};

/// One row of the table: op × backend × variant × dtype.
struct RowResult {
  std::string op, family, backend, variant;
  bool planted_bug = false;
  DType dtype = DType::f32;
  AccuracyClass cls = AccuracyClass::exact;
  std::string class_label;  // shown instead of the class name when set ("fd-rich": --grad)
  double budget = 0;        // k for ulp(k), 1 for sum-bound (utilisation), 0.5 for exact
  int cases_run = 0, cases_failed = 0, cases_vacuous = 0;
  std::int64_t elements = 0;
  double max_error = 0, rms_error = 0;  // in the class's unit, over every element compared
  std::optional<CaseResult> worst;      // the worst case (a failure if any failed)
  std::vector<CaseResult> problems;     // failed and vacuous cases
  Verdict verdict = Verdict::passed;
  std::string message;               // row-level reason (unsupported dtype, missing impl, ledger)
  std::optional<double> ledger_max;  // accepted maximum from the ledger, if any
  Determinism determinism = Determinism::bitwise;  // what the implementation promises
  std::string determinism_note;
  double seconds = 0;
};

struct Report {
  std::vector<RowResult> rows;
  std::uint64_t seed = kDefaultSeed;
  std::string build;
  bool bitwise = false;  // run with Options::bitwise
  double seconds = 0;
  /// One line per promised backend that could not run here and was left out of the rows
  /// ("cuda: not run — no CUDA device: …"); printed under the table.
  std::vector<std::string> notes;
  Verdict overall() const;  // failed if any row failed or was vacuous; passed otherwise
  int count(Verdict v) const;
};

/// Folds the cases of one row into it, in the order they ran: counts, elements, max and RMS
/// error (vacuous cases do not count towards the error), the worst case (the worst failure if
/// any failed, else the largest error), the problems list, `-v` printing, and at finish() the
/// row's verdict and time. Shared by every kind of row (forward, gradient, engine).
class RowRecorder {
 public:
  RowRecorder(RowResult& row, bool verbose);
  void record(CaseResult cr);
  /// rms, seconds and verdict: not-run (with `nothing_run` as message when the row has none),
  /// failed, vacuous or passed.
  void finish(const std::string& nothing_run = "no case selected");

 private:
  RowResult& row_;
  bool verbose_;
  double sum_sq_ = 0;
  std::chrono::steady_clock::time_point t0_;
};

/// Runs everything `opts` selects. Throws vt::Error for bad options (unknown op glob, dtype…).
Report run_verification(const Options& opts,
                        const std::function<void(const RowResult&)>& on_row = {});

/// The command that reruns exactly one case.
std::string repro_command(const RowResult& row, const CaseResult& c, const Options& opts);

/// Runs one case of one implementation (the harness's unit of work; also used by tests).
/// With `bitwise`, a case that passed is run again and must reproduce its bits as far as the
/// implementation's Determinism promises (see Options::bitwise).
CaseResult run_case(const OpSpec& spec, const Implementation& impl, Case& c,
                    const std::string& save_dir = "", bool bitwise = false);

/// The admissible error of the op's forward class in its unit for `dtype`: k for ulp(k), 1 for
/// sum-bound (utilisation), 0.5 for exact.
double class_budget(const OpSpec& spec, DType dtype);

/// The reruns --bitwise asks of a passed case: a second run with the case's settings, then —
/// where the implementation promises bits for any thread count — 1, 2 and 3 threads at parallel
/// threshold 1. Empty for Determinism::none. Shared by forward and gradient checks.
struct BitwiseRerun {
  int threads;
  std::int64_t threshold;
  std::string what;
};
std::vector<BitwiseRerun> bitwise_reruns(const Implementation& impl, const Case& c);

/// The first element whose bits differ between a and b (same shape and dtype), as
/// "[i, j]: 0x… vs 0x… (x vs y)"; "" when every element is bit-identical.
std::string bit_difference(const Tensor& a, const Tensor& b);

/// Harness internals shared with the gradient checks (gradcheck.cpp):
/// an output buffer filled with canary bytes around (and, strided, between) its elements, and
/// the number of canary bytes a call changed.
Tensor canary_output(const Shape& shape, DType dtype, bool strided);
std::int64_t damaged_canary_bytes(const Tensor& t);

/// True when `name` matches the glob (*, ?, [..] as in fnmatch).
bool glob_match(const std::string& glob, const std::string& name);

}  // namespace vt::verify
