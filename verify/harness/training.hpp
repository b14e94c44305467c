// verify/harness/training.hpp — the end-to-end training check (`veritensor verify --train`).
// What it is: a 784-256-128-10 MLP (linear → relu → linear → relu → linear → cross_entropy,
// reduction mean) trained on fixed synthetic data for N SGD steps (momentum, weight decay) and
// N Adam steps through the autograd engine, three times from the same float32-representable
// initial values: the reference backend (float128) and the optimized backend in float32 and in
// float64. Each op of an optimized step is charged the bound its spec's accuracy class gives
// (Accuracy::bound for forwards, GradSpec::bound for VJPs, the optimizer spec's bound for the
// update; exact ops add 0), and input errors propagate through its absolute Jacobian (a
// first-order running error analysis, Wilkinson, evaluated in float128). Two analyses:
//  - local (teacher forcing): at every step, one reference step from the optimized state p̂_t
//    (parameters and optimizer state, converted exactly to float128) must agree with the
//    optimized step from p̂_t — loss, new parameters, new state — within the one-step bound.
//    This is what holds every step to the per-op classes; it is as tight at step 20 as at 1.
//  - cumulative: E carried from step 1 against the reference trajectory — a worst-case
//    envelope that loses meaning after a few steps (reported as "vacuous from step").
// The check fails (exit 1) when the loss or any parameter / optimizer-state element leaves
// either bound. The rules are written beside their code in training.cpp. TrainingStep exposes one
// step and its local check to `veritensor bench` (the MLP training-step workloads).
// What it is not: a per-op check (runner.hpp, gradcheck.hpp) or a training library.
#pragma once

#include "verify/harness/runner.hpp"

#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace vt::verify {

struct TrainOptions {
  std::uint64_t seed = kDefaultSeed;
  std::int64_t batch = 16;  // samples per step (the whole synthetic data set: full-batch steps)
  int steps = 20;           // steps of each optimizer
  std::vector<std::string> optimizers = {"sgd", "adam"};
  std::vector<DType> dtypes = {DType::f32, DType::f64};
  /// Variant of the optimized backend per op ("adam_step" → "mutant_adam_no_bias_correction");
  /// ops not listed use the backend's default. Parsed from `--variant op=name[,op=name…]`.
  std::map<std::string, std::string> variants;
  std::string program = "veritensor";  // the command named in repro lines
};

/// Parses `op=variant[,op=variant…]` (the --variant spelling of --train); throws vt::Error.
std::map<std::string, std::string> parse_train_variants(const std::string& text);

struct TrainStep {
  int step = 0;  // 1-based: the loss of the parameters before update `step`, and the divergence
                 // of the parameters after it
  double loss_ref = 0, loss_opt = 0;
  double loss_err = 0, loss_bound = 0;  // |Δloss| and E(loss)
  double divergence = 0;   // max over parameter tensors of max_i |p̂_i − p_i| / max_i |p_i|
  double utilisation = 0;  // cumulative: max over loss, parameters and optimizer state of
                           // |t̂ − t| / E(t)
  std::string worst;       // where the utilisation is largest ("W1[17,3]", "loss", …)
  // The local check (one reference step q from the optimized state p̂ of this step):
  double local_loss_err = 0, local_loss_bound = 0;  // |L̂ − L_ref(p̂)| and its one-step bound
  double local_utilisation = 0;  // max over loss, parameters and state of |t̂' − q'| / E_loc(t')
  std::string local_worst;
  // The divergence split, per parameter tensor relative to max_i |p_i| (maximum over tensors):
  // p̂' − p' = (p̂' − q') [local: this step's error] + (q' − p') [earlier errors carried on by
  // the exact reference dynamics].
  double local_divergence = 0, propagated_divergence = 0;
};

struct TrainRun {
  std::string optimizer;  // "sgd" or "adam"
  DType dtype = DType::f32;
  std::vector<TrainStep> steps;
  double max_utilisation = 0, max_divergence = 0;  // cumulative bound
  std::string worst;
  double max_local_utilisation = 0;  // local (per-step) bound
  std::string local_worst;
  /// First step whose loss bound E(loss) is no smaller than the loss itself (or not finite):
  /// from there on the worst-case bound is vacuous — it still holds, but could no longer catch a
  /// bug. 0: informative to the end. Reported, not a failure (see README).
  int vacuous_from = 0;
  bool passed = true;
  std::string message;  // why it failed (a utilisation > 1, a non-finite value, an error)
  double seconds = 0;
};

struct TrainReport {
  std::vector<TrainRun> runs;
  double seconds = 0;
  bool passed() const;
};

/// Runs the check, printing the per-step tables and the per-run summaries to `out` as they
/// arrive (nullptr: silent). Throws vt::Error for bad options (unknown variant, batch < 1).
TrainReport run_training_check(const TrainOptions& opts, std::FILE* out);

/// The command that reruns one run.
std::string train_repro_command(const TrainOptions& opts, const TrainRun& run);

/// What the local one-step check found for the last TrainingStep::run().
struct StepCheck {
  bool passed = true;
  double utilisation = 0;  // max over loss, new parameters and new state of |t̂' − q'| / E_loc(t')
  std::string worst;       // where it is largest ("loss", "W1[17,3]", "v:b2[4]")
  double loss_err = 0, loss_bound = 0;  // |L̂ − L_ref(p̂)| and its one-step bound
  std::int64_t elements = 0;            // values compared (the loss, parameters and state)
  std::string message;                  // why it failed
};

/// One optimizer step of the training check's MLP — its network, data (make_data: `batch`
/// samples), initial values, hyper-parameters and per-op variants — as `veritensor bench` times
/// it (bench/programs.cpp). The starting state is the optimized state after one step of the same
/// optimizer (why: training.cpp, TrainingStep's constructor); run() takes step 2 from it —
/// forward, cross_entropy (mean), backward, update of every parameter — through the autograd
/// engine with the optimized backend, the same computation every time; check() holds the last
/// run's loss, parameters and optimizer state to the local (teacher-forcing) one-step bound of
/// the training check: one float128 reference step from the same state, E = 0 there, every op
/// charged its spec's class bound (computed by the first check() and kept).
class TrainingStep {
 public:
  /// optimizer "sgd" or "adam"; dtype float32 or float64; variants as TrainOptions::variants.
  /// Throws vt::Error for bad arguments.
  TrainingStep(std::uint64_t seed, std::int64_t batch, const std::string& optimizer, DType dtype,
               const std::map<std::string, std::string>& variants = {});
  ~TrainingStep();
  TrainingStep(const TrainingStep&) = delete;
  TrainingStep& operator=(const TrainingStep&) = delete;

  /// The timed call: one step from the starting state.
  void run();
  /// The local one-step check of the last run() (vt::Error before the first run()).
  StepCheck check() const;
  /// What a step reads and must leave unchanged: the data x and labels, the starting parameters
  /// and the starting optimizer state.
  std::vector<Tensor> inputs() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// One RowResult per run (op "mlp_<optimizer>", family "training", class sum-bound, error unit
/// the utilisation), so the training check can join a verification Report.
std::vector<RowResult> training_rows(const TrainReport& rep);

}  // namespace vt::verify
