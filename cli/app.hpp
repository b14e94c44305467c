// cli/app.hpp — the `veritensor` command, split into parsing and running.
// What it is: parse_command_line turns argv into an Invocation (CLI11 underneath) and performs
// every check of the arguments themselves, without running anything; execute runs it and
// returns the exit code — 0 everything passed, 1 verification failed. Both throw vt::Error for
// bad usage or bad input, which cli/main.cpp prints as one line, exit 2. The split lets
// fuzz/libfuzzer/cli.cpp fuzz the parser without ever executing a command.
// What it is not: any verification logic (verify/harness) or output formatting (report.hpp).
//
// Adding a subcommand: a Command value, a struct of its arguments in Invocation, its options in
// parse_command_line (cli/app.cpp, one block per subcommand) and its branch in execute.
#pragma once

#include "bench/options.hpp"
#include "bench/tune.hpp"
#include "fuzz/properties/properties.hpp"
#include "verify/harness/golden.hpp"
#include "verify/harness/runner.hpp"
#include "verify/harness/training.hpp"

#include <optional>
#include <string>
#include <vector>

namespace vt::cli {

enum class Command { none, list, verify, eval, golden, fuzz, bench, tune, device };

struct ListArgs {
  bool check = false;    // exit 1 when a promised implementation is missing
  bool verbose = false;  // every variant with its technique
};

struct VerifyArgs {
  verify::Options opts;  // --op/--backend/--dtype already split at commas and checked
  std::string json_path, junit_path;
  bool train = false;  // --train: the end-to-end MLP check, with train_opts
  verify::TrainOptions train_opts;
};

struct EvalArgs {
  std::string op, backend = "optimized", variant, dtype;
  std::vector<std::string> attrs;        // "name=value" as given, typed later per the op's schema
  std::vector<std::string> in, out;      // .npy paths
  std::vector<std::string> grad_output;  // split at commas
  std::vector<std::string> out_grads;    // split at commas; "-" skips an input
};

struct Invocation {
  Command command = Command::none;
  /// Set when parsing alone ends the run: --help or --version (0), a CLI11 usage error (2).
  /// `out` and `err` then hold what CLI11 prints (help text; the usage error and its hint).
  std::optional<int> exit_code;
  std::string out, err;

  ListArgs list;
  VerifyArgs verify;
  EvalArgs eval;
  verify::GoldenOptions golden;
  fuzz::FuzzOptions fuzz;
  bench::BenchOptions bench;  // --op/--dtype/--threads/--compare split at commas and checked
  bench::TuneOptions tune;    // --family/--sizes split at commas and checked
};

/// args[0] is the program name (as in argv; repro lines name its file name), the rest the
/// arguments. Throws vt::Error when an argument is well-formed for CLI11 but wrong for us
/// (unknown dtype/backend/regime, exclusive ledger flags, a report path in a missing directory).
Invocation parse_command_line(const std::vector<std::string>& args);

/// Runs a parsed invocation (exit_code unset) and returns its exit code: 0 all passed, 1 a
/// verification failed. Throws vt::Error for bad input (exit 2 in cli/main.cpp).
int execute(const Invocation& inv);

}  // namespace vt::cli
