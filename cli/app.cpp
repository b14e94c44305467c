// cli/app.cpp — the `veritensor` command's subcommands (list, verify, eval, golden, fuzz, bench,
// tune): their options (CLI11), the checks of their arguments, and running them. What it is:
// parse_command_line (no side effects beyond reading the file system to check that a report's
// directory exists) and execute (cli/app.hpp). What it is not: main() — cli/main.cpp prints errors
// and maps them to exit codes — nor any verification logic.
#include "cli/app.hpp"

#include "core/npy.hpp"
#include "core/registry.hpp"
#include "optimized/core/parallel.hpp"
#include "optimized/core/tuning.hpp"
#include "verify/harness/golden.hpp"
#include "verify/harness/report.hpp"
#include "verify/harness/runner.hpp"
#include "verify/harness/training.hpp"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <filesystem>
#include <initializer_list>
#include <map>
#include <set>
#include <sstream>

#include <unistd.h>

namespace vt::cli {

namespace {

using namespace vt::verify;

/// Output files of bench and tune: each one's directory must exist (checked before any work).
void require_parent_dirs(std::initializer_list<std::string> paths) {
  for (const std::string& p : paths)
    if (!p.empty()) {
      auto parent = std::filesystem::path(p).parent_path();
      if (!parent.empty() && !std::filesystem::is_directory(parent))
        throw Error("", {},
                    "cannot write " + p + ": directory " + parent.string() + " does not exist");
    }
}

std::vector<std::string> split_commas(const std::vector<std::string>& items) {
  std::vector<std::string> out;
  for (const std::string& s : items) {
    std::stringstream ss(s);
    for (std::string part; std::getline(ss, part, ',');)
      if (!part.empty()) out.push_back(part);
  }
  return out;
}

Regime parse_regime(const std::string& s) {
  for (Regime r : {Regime::exact, Regime::random, Regime::adversarial, Regime::structural})
    if (s == regime_name(r)) return r;
  throw Error("", {}, "unknown regime '" + s + "' (exact, random, adversarial, structural)");
}

// ---- list ------------------------------------------------------------------------------------

/// Pads to `width` display columns (printf counts bytes, and ✓ is three of them).
std::string pad(const std::string& s, std::size_t width) {
  std::size_t cols = 0;
  for (unsigned char c : s) cols += (c & 0xC0) != 0x80;
  return cols >= width ? s : s + std::string(width - cols, ' ');
}

int cmd_list(bool check, bool verbose) {
  const std::vector<std::string> backends = {backend::reference, backend::optimized, backend::cuda};
  std::printf("%-15s %-12s %-10s", "op", "family", "class");
  for (const std::string& b : backends) std::printf(" %s", pad(b + " f/b/2", 16).c_str());
  std::printf("\n");
  int missing = 0;
  for (const OpSpec* s : SpecRegistry::instance().all()) {
    std::printf("%-15s %-12s %-10s", s->name.c_str(), s->family.c_str(),
                class_name(s->accuracy.cls));
    for (const std::string& b : backends) {
      const Implementation* impl = Registry::instance().find(s->name, b);
      const std::vector<std::string> promised_by = promised_backends(*s);
      const bool promised =
          std::find(promised_by.begin(), promised_by.end(), b) != promised_by.end();
      std::string cell;
      if (impl) {
        // A promised backward or second order that is absent counts as missing too.
        const bool no_backward = s->differentiable && !impl->backward;
        const bool no_second = second_order_promised(*s, b) && !impl->double_backward;
        missing += no_backward + no_second;
        cell = std::string("✓/") + (impl->backward ? "✓" : (no_backward ? "—" : "·")) + "/" +
               (impl->double_backward ? "✓" : (no_second ? "—" : "·"));
      } else if (promised) {
        cell = "MISSING";
        ++missing;
      } else {
        cell = "·";
      }
      std::printf(" %s", pad(cell, 16).c_str());
    }
    std::printf("\n");
    if (verbose)
      for (const Implementation* i : Registry::instance().for_op(s->name)) {
        std::string notes;
        if (i->planted_bug) notes += " [planted bug, caught by " + i->caught_by + "]";
        if (i->determinism != Determinism::bitwise)
          notes += std::string(" [bits: ") + determinism_name(i->determinism) + " — " +
                   i->determinism_note + "]";
        std::printf("    %-10s %-28s %s%s\n", i->backend.c_str(), i->variant.c_str(),
                    i->technique.c_str(), notes.c_str());
      }
  }
  // Implementations without a spec cannot be verified: say so.
  std::set<std::string> orphan;
  for (const Implementation* i : Registry::instance().all())
    if (!SpecRegistry::instance().find(i->op)) orphan.insert(i->op);
  for (const std::string& op : orphan) {
    std::printf("%-12s has implementations but no spec\n", op.c_str());
    ++missing;
  }
  std::printf("\nparallel parameters: %s (`veritensor tune --show`)\n",
              opt::profile_status().c_str());
  std::printf(
      "f/b/2 = forward/backward (VJP)/second order (double backward); ✓ implemented, — "
      "promised by the spec but absent, · not promised, MISSING no implementation at all\n");
  if (check && missing) {
    std::fprintf(stderr, "veritensor list --check: %d promised implementation(s) missing\n",
                 missing);
    return 1;
  }
  return 0;
}

// ---- eval ------------------------------------------------------------------------------------

/// "8.0e+12 bytes" — a size for a message.
std::string fmt_bytes(double b) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1e bytes", b);
  return buf;
}

int cmd_eval(const std::string& op, const std::vector<std::string>& attr_args,
             const std::string& backend_name, const std::string& variant,
             const std::vector<std::string>& in_paths, const std::vector<std::string>& out_paths,
             const std::string& dtype_arg, const std::vector<std::string>& grad_output_paths,
             const std::vector<std::string>& out_grad_paths) {
  const OpSpec* spec = SpecRegistry::instance().find(op);
  if (!spec) throw Error(op, {}, "unknown op (see `veritensor list`)");
  Attrs given;
  for (const std::string& kv : attr_args) {
    const std::size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0)
      throw Error(op, {}, "attribute '" + kv + "' is not of the form name=value");
    given.set(kv.substr(0, eq), kv.substr(eq + 1));  // typed by validate_attrs per the schema
  }
  const Attrs attrs = validate_attrs(spec->attrs, given, op);
  const int n_in = static_cast<int>(in_paths.size());
  if (n_in < spec->min_inputs || n_in > spec->max_inputs)
    throw Error(
        op, {},
        "takes " + std::to_string(spec->min_inputs) +
            (spec->max_inputs != spec->min_inputs ? "–" + std::to_string(spec->max_inputs) : "") +
            " input(s), " + std::to_string(n_in) + " given");
  std::vector<Tensor> inputs;
  for (const std::string& p : in_paths) inputs.push_back(read_npy(p));
  std::vector<Shape> shapes;
  for (const Tensor& t : inputs) shapes.push_back(t.shape());

  DType dtype = dtype_arg.empty() ? DType::f64 : parse_dtype(dtype_arg);
  bool have_float = false;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const DType d = inputs[i].dtype();
    if (!is_float(d))
      throw Error(op, shapes,
                  "input " + in_paths[i] + " has dtype " + std::string(dtype_name(d)) +
                      "; this op takes float32 or float64 arrays");
    if (have_float && d != dtype)
      throw Error(op, shapes,
                  "inputs mix " + std::string(dtype_name(dtype)) + " and " +
                      std::string(dtype_name(d)) + "; cast them to one dtype first");
    if (!have_float && !dtype_arg.empty() && d != dtype)
      throw Error(op, shapes, "--dtype " + dtype_arg + " does not match input " + in_paths[i]);
    dtype = d;
    have_float = true;
  }
  if (dtype != DType::f32 && dtype != DType::f64)
    throw Error(op, shapes, "--dtype must be float32 or float64");

  // Errors of the shape rule's helpers name no op ("size overflows int64") or their own
  // ("broadcast (3, 4), (5,): …"): the user asked for `op`, so the line starts with it.
  std::vector<OutputDesc> descs;
  try {
    descs = spec->shape_rule(shapes, attrs);
  } catch (const Error& e) {
    if (e.op() == op) throw;
    if (e.op().empty()) throw Error(op, shapes, e.reason());
    throw Error(op, {}, e.what());
  }
  const bool want_grads = !grad_output_paths.empty() || !out_grad_paths.empty();
  if (want_grads) {
    if (!spec->differentiable) throw Error(op, shapes, "is not differentiable: no VJP to evaluate");
    if (grad_output_paths.size() != descs.size())
      throw Error(op, shapes,
                  "produces " + std::to_string(descs.size()) + " output(s); " +
                      std::to_string(grad_output_paths.size()) + " --grad-output file(s) given");
    if (out_grad_paths.size() != inputs.size())
      throw Error(op, shapes,
                  "takes " + std::to_string(inputs.size()) + " input(s); " +
                      std::to_string(out_grad_paths.size()) +
                      " --out-grads path(s) given (one per input, '-' to skip one)");
  }
  if (out_paths.empty() && !want_grads) throw Error(op, shapes, "--out is required");
  if (!out_paths.empty() && out_paths.size() != descs.size())
    throw Error(op, shapes,
                "produces " + std::to_string(descs.size()) + " output(s); " +
                    std::to_string(out_paths.size()) + " --out path(s) given");
  const Implementation* impl = Registry::instance().find(op, backend_name, variant);
  if (!impl)
    throw Error(op, shapes,
                "no implementation for backend '" + backend_name + "'" +
                    (variant.empty() ? "" : " variant '" + variant + "'"));
  const bool reference = impl->backend == backend::reference;
  if (!reference &&
      std::find(impl->dtypes.begin(), impl->dtypes.end(), dtype) == impl->dtypes.end())
    throw Error(op, shapes, backend_name + " does not support " + std::string(dtype_name(dtype)));

  // An attribute can ask for any output size (full --attr shape=…, arange --attr stop=1e18):
  // refuse one larger than the machine's memory here, naming the op, rather than let the
  // allocation fail without a name (or abort with an allocation-size report under ASan).
  const double memory = static_cast<double>(::sysconf(_SC_PHYS_PAGES)) *
                        static_cast<double>(::sysconf(_SC_PAGE_SIZE));
  for (std::size_t i = 0; i < descs.size(); ++i) {
    double bytes =
        static_cast<double>(itemsize(output_dtype(descs[i], reference ? DType::hp : dtype, attrs)));
    for (std::int64_t d : descs[i].shape) bytes *= static_cast<double>(d);
    if (memory > 0 && bytes > memory)
      throw Error(op, shapes,
                  "output " + std::to_string(i) + " of shape " + shape_str(descs[i].shape) +
                      " needs " + fmt_bytes(bytes) + ", more than this machine's memory (" +
                      fmt_bytes(memory) + ")");
  }

  OpCall call{{}, attrs, {}};
  for (const Tensor& t : inputs) call.inputs.push_back(reference ? t.to(DType::hp) : t);
  for (const OutputDesc& d : descs)
    call.outputs.push_back(
        Tensor::empty(d.shape, output_dtype(d, reference ? DType::hp : dtype, attrs)));
  impl->forward(call);

  // VJP: every gradient is computed before any file is written, so a failure leaves none.
  std::vector<Tensor> grads_to_write(inputs.size());
  if (want_grads) {
    if (!impl->backward) throw Error(op, shapes, backend_name + " has no VJP for this op");
    BackwardCall bc{&call, {}, {}};
    for (std::size_t o = 0; o < descs.size(); ++o) {
      Tensor g = read_npy(grad_output_paths[o]);
      const Tensor& out = call.outputs[o];
      if (g.shape() != out.shape())
        throw Error(op, {g.shape(), out.shape()},
                    "--grad-output " + grad_output_paths[o] + " has shape " + shape_str(g.shape()) +
                        "; output " + std::to_string(o) + " has " + shape_str(out.shape()));
      const DType want = reference ? DType::hp : out.dtype();
      if (!is_float(g.dtype()) || (!reference && g.dtype() != want))
        throw Error(op, {g.shape()},
                    "--grad-output " + grad_output_paths[o] + " has dtype " +
                        std::string(dtype_name(g.dtype())) + "; output " + std::to_string(o) +
                        " is " + std::string(dtype_name(out.dtype())));
      bc.grad_outputs.push_back(reference ? g.to(DType::hp) : g);
    }
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      const bool differentiable =
          spec->grad.inputs.empty() || (i < spec->grad.inputs.size() && spec->grad.inputs[i]);
      if (out_grad_paths[i] == "-") {
        bc.grad_inputs.emplace_back();
        continue;
      }
      if (!differentiable)
        throw Error(op, shapes,
                    "input " + std::to_string(i) + " is not differentiable; pass '-' for it");
      bc.grad_inputs.push_back(Tensor::empty(inputs[i].shape(), reference ? DType::hp : dtype));
    }
    impl->backward(bc);
    for (std::size_t i = 0; i < inputs.size(); ++i)
      if (bc.grad_inputs[i].defined())
        grads_to_write[i] = reference ? bc.grad_inputs[i].to(DType::f64) : bc.grad_inputs[i];
  }

  for (std::size_t i = 0; i < out_paths.size(); ++i) {
    Tensor out = call.outputs[i];
    // The reference writes float64 (or the requested dtype for cast) rounded once from float128.
    if (out.dtype() == DType::hp)
      out = out.to(output_dtype(descs[i], DType::f64, attrs) == DType::f32 &&
                           descs[i].kind == OutKind::attr_dtype
                       ? DType::f32
                       : DType::f64);
    write_npy(out_paths[i], out);
  }
  for (std::size_t i = 0; i < grads_to_write.size(); ++i)
    if (grads_to_write[i].defined()) write_npy(out_grad_paths[i], grads_to_write[i]);
  return 0;
}

}  // namespace

Invocation parse_command_line(const std::vector<std::string>& args) {
  Invocation inv;
  CLI::App app{"veritensor — verification-first reference and test harness for tensor ops"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("veritensor 0.1.0 (") + vt::build_id() + ")");

  // list
  auto* list = app.add_subcommand("list", "coverage matrix: op × backend × {forward, backward}");
  list->add_flag("--check", inv.list.check,
                 "exit 1 when a spec promises an implementation that does not exist");
  list->add_flag("-v,--verbose", inv.list.verbose, "list every variant with its technique");

  // device
  auto* device = app.add_subcommand(
      "device",
      "whether the cuda backend can run here: exit 0 with the GPU's name, 2 saying why not");

  // verify
  auto* verify =
      app.add_subcommand("verify", "cross-check implementations against the float128 reference");
  Options& opts = inv.verify.opts;
  std::vector<std::string> ops, backends, dtypes;
  std::string regime;
  int case_index = -1;
  bool update_ledger = false, no_ledger = false, ledger_report = false;
  verify->add_option("--op", ops, "op names or globs, comma-separated (default: all)");
  verify->add_option("--backend", backends,
                     "backends, comma-separated (default: all but the reference)");
  verify->add_option("--variant", opts.variant,
                     "variant name, or 'all' (default: each backend's default)");
  verify->add_option("--dtype", dtypes, "float32,float64 (default: both)");
  verify->add_option("--seed", opts.seed, "seed of the case streams")->capture_default_str();
  verify->add_option("--cases", opts.cases_per_regime, "cases per regime (default: one per layout)")
      ->check(CLI::Range(0, 1000000));
  verify->add_option("--regime", regime,
                     "only this regime: exact, random, adversarial, structural");
  verify->add_option("--case", case_index, "only case K of the regime (needs --regime)")
      ->check(CLI::NonNegativeNumber);
  verify->add_option("--threads", opts.threads, "thread count for cases that do not set their own")
      ->check(CLI::Range(1, 1024));
  verify->add_option("--json", inv.verify.json_path, "write the report as JSON");
  verify->add_option("--junit", inv.verify.junit_path, "write the report as JUnit XML");
  verify->add_option("--save-failures", opts.save_failures_dir,
                     "write inputs/expected/got of failures as .npy");
  verify->add_option("--ledger", opts.ledger_path,
                     "error ledger file (default: verify/ledger.txt)");
  verify->add_flag("--update-ledger", update_ledger, "record this run's maxima in the ledger");
  verify->add_flag("--ledger-report", ledger_report, "report ledger excesses without failing");
  verify->add_flag("--no-ledger", no_ledger, "do not compare with the ledger");
  verify->add_flag("--grad", opts.grad,
                   "check VJPs: the reference against finite differences (Richardson, float128), "
                   "each backend against the reference under the op's gradient class");
  verify->add_flag("--grad2", opts.grad2,
                   "check second-order VJPs (the VJP of the VJP) of the ops that promise them: "
                   "the reference against finite differences of its VJP, each backend against "
                   "the reference under the op's second-order class");
  verify->add_flag("--bitwise", opts.bitwise,
                   "rerun every passed case (same settings, then 1, 2 and 3 threads) and require "
                   "the same bits wherever the implementation promises them");
  verify->add_flag("-v,--verbose", opts.verbose, "print every case");
  // --train: the end-to-end MLP check (verify/harness/training.hpp).
  TrainOptions& train_opts = inv.verify.train_opts;
  std::vector<std::string> train_optimizers;
  verify->add_flag("--train", inv.verify.train,
                   "train a 784-256-128-10 MLP (SGD and Adam) with the reference and the "
                   "optimized backend; fail when a step leaves its running error bound "
                   "(--variant takes op=variant pairs here)");
  verify->add_option("--batch", train_opts.batch, "--train: batch size")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  verify->add_option("--steps", train_opts.steps, "--train: steps per optimizer")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  verify->add_option("--optimizer", train_optimizers, "--train: sgd,adam (default: both)");

  // eval
  auto* eval = app.add_subcommand("eval", "run one op on .npy inputs and write .npy outputs");
  EvalArgs& ev = inv.eval;
  std::vector<std::string> eval_grad_out, eval_out_grads;
  eval->add_option("--op", ev.op, "op name")->required();
  eval->add_option("--attr", ev.attrs, "attribute name=value (repeatable)");
  eval->add_option("--backend", ev.backend, "reference, optimized or cuda")->capture_default_str();
  eval->add_option("--variant", ev.variant, "variant (default: the backend's default)");
  eval->add_option("--in", ev.in, "input .npy files, in order");
  eval->add_option("--out", ev.out, "output .npy file(s) (optional with --out-grads)");
  eval->add_option("--grad-output", eval_grad_out,
                   "gradient of each output (.npy, one per output): computes the VJP");
  eval->add_option("--out-grads", eval_out_grads,
                   "where to write the gradient of each input (.npy, one per input, '-' skips)");
  eval->add_option("--dtype", ev.dtype, "dtype of ops without inputs (float32/float64)");

  // golden
  auto* golden = app.add_subcommand(
      "golden", "check the reference and every backend against the NumPy/PyTorch golden cases");
  GoldenOptions& golden_opts = inv.golden;
  std::vector<std::string> golden_ops;
  golden->add_option("--dir", golden_opts.dir, "directory with manifest.json and data/")
      ->capture_default_str();
  golden->add_option("--op", golden_ops, "op names or globs, comma-separated");
  golden->add_option("--case", golden_opts.case_id, "one case id (as the report prints it)");
  golden->add_flag("-v,--verbose", golden_opts.verbose, "print every case");

  // fuzz
  auto* fuzz = app.add_subcommand(
      "fuzz", "run the property suites (RapidCheck) for a time budget; shrink and save failures");
  fuzz::FuzzOptions& fz = inv.fuzz;
  std::vector<std::string> fuzz_ops, fuzz_props;
  fuzz->add_option("--op", fuzz_ops, "op names or globs, comma-separated (default: all)");
  fuzz->add_option("--property", fuzz_props, "property names or globs, comma-separated");
  fuzz->add_option("--backend", fz.target.backend, "backend under test")->capture_default_str();
  fuzz->add_option("--variant", fz.target.variant,
                   "variant for the ops that have it (e.g. a planted bug)");
  fuzz->add_option("--time", fz.seconds, "seconds: further rounds, fresh seeds, until spent");
  fuzz->add_option("--seed", fz.seed, "seed of the first round")->capture_default_str();
  fuzz->add_option("--cases", fz.cases, "cases per property and round")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000000));
  fuzz->add_option("--reproduce", fz.reproduce, "replay RapidCheck's reproduce=… string");
  fuzz->add_option("--save", fz.save_dir, "write each shrunk failing case's inputs as .npy here");
  fuzz->add_flag("--list", fz.list, "list the selected properties and exit");
  fuzz->add_flag("-v,--verbose", fz.verbose, "a line per property and round");

  // bench (bench/gate.hpp)
  auto* bench_cmd = app.add_subcommand(
      "bench",
      "time verified implementations with Google Benchmark, peers in the same run; a "
      "case that fails verification before or after timing is REJECTED (exit 1)");
  bench::BenchOptions& bo = inv.bench;
  std::vector<std::string> bench_ops, bench_dtypes, bench_threads, bench_compare;
  bench_cmd->add_option("--op", bench_ops,
                        "op names, workload names or globs, comma-separated (default: all)");
  bench_cmd->add_option("--backend", bo.backend, "backend timed")->capture_default_str();
  bench_cmd->add_option("--variant", bo.variant, "variant (default: the backend's default)");
  bench_cmd->add_option("--dtype", bench_dtypes, "float32,float64 (default: each workload's own)");
  bench_cmd->add_option("--threads", bench_threads,
                        "thread counts, comma-separated (default: 1,2)");
  bench_cmd->add_option("--json", bo.json_path, "write every case with its verification record");
  bench_cmd->add_option("--markdown", bo.markdown_path, "write the table as markdown");
  bench_cmd->add_option("--compare", bench_compare,
                        "peers in the same run: openblas (cblas called directly, and the bare C++ "
                        "loops), numpy, torch");
  bench_cmd->add_option("--plot", bo.plot_path, "draw the ratios per workload (.png, matplotlib)");
  bench_cmd->add_option("--min-time", bo.min_time, "seconds per timing repetition / Python sample")
      ->capture_default_str()
      ->check(CLI::Range(0.0001, 600.0));
  bench_cmd->add_option("--seed", bo.seed, "seed of the input values")->capture_default_str();
  bench_cmd->add_flag("--list", bo.list, "list the workloads and exit");

  // tune (bench/tune.hpp)
  auto* tune_cmd = app.add_subcommand(
      "tune",
      "search each op family's parallel threshold (and grain) for this machine, every candidate "
      "verified before its timing counts; write the profile the library loads at start");
  bench::TuneOptions& to = inv.tune;
  std::vector<std::string> tune_families, tune_sizes;
  tune_cmd->add_option("--family", tune_families,
                       "families, comma-separated: elementwise, reduction, softmax, creation, "
                       "shape (default: elementwise,reduction)");
  tune_cmd->add_option("--threads", to.threads, "thread count (default: the process's)")
      ->check(CLI::Range(1, 1024));
  tune_cmd
      ->add_option("--max-iterations", to.max_iterations, "candidates measured per family at most")
      ->capture_default_str()
      ->check(CLI::Range(0, 100000));
  tune_cmd->add_option("--history", to.history_path, "append one JSON line per iteration here");
  tune_cmd->add_option("--profile-out", to.profile_out,
                       "profile to write (default: $XDG_CONFIG_HOME/veritensor/profile.json or "
                       "~/.config/veritensor/profile.json)");
  tune_cmd->add_option("--markdown", to.markdown_path,
                       "write the default-vs-tuned table as markdown");
  tune_cmd->add_option("--min-time", to.min_time, "seconds per timing repetition")
      ->capture_default_str()
      ->check(CLI::Range(0.0001, 600.0));
  tune_cmd->add_option("--sizes", tune_sizes,
                       "elements per workload, comma-separated (default: 10000,100000,1000000)");
  tune_cmd->add_option("--variant", to.variant,
                       "implementation variant timed (default: the backend's default)");
  tune_cmd->add_flag("--show", to.show,
                     "print the profile in force and every family's parameters; no search");
  tune_cmd->add_option("--check", to.check_path,
                       "validate a profile file and print what it sets; no search");

  const std::string argv0 = args.empty() ? "veritensor" : args[0];
  opts.program = std::filesystem::path(argv0).filename().string();
  golden_opts.program = opts.program;
  fz.program = opts.program;
  bo.program = opts.program;
  to.program = opts.program;
  std::vector<const char*> argv{argv0.c_str()};
  for (std::size_t i = 1; i < args.size(); ++i) argv.push_back(args[i].c_str());
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::ParseError& e) {
    std::ostringstream out, err;
    const int rc = app.exit(e, out, err);
    inv.exit_code = rc == 0 ? 0 : 2;
    inv.out = out.str();
    inv.err = err.str();
    return inv;
  }

  if (*list) {
    inv.command = Command::list;
    return inv;
  }
  if (*device) {
    inv.command = Command::device;
    return inv;
  }
  if (*golden) {
    inv.command = Command::golden;
    golden_opts.ops = split_commas(golden_ops);
    return inv;
  }
  if (*fuzz) {
    inv.command = Command::fuzz;
    fz.ops = split_commas(fuzz_ops);
    fz.properties = split_commas(fuzz_props);
    if (fz.target.backend != backend::reference && fz.target.backend != backend::optimized &&
        fz.target.backend != backend::cuda)
      throw Error("", {},
                  "unknown backend '" + fz.target.backend + "' (reference, optimized, cuda)");
    if (fz.seconds < 0) throw Error("", {}, "--time must be ≥ 0 seconds");
    return inv;
  }
  if (*bench_cmd) {
    inv.command = Command::bench;
    bo.ops = split_commas(bench_ops);
    for (const std::string& d : split_commas(bench_dtypes)) {
      const DType t = parse_dtype(d);
      if (t != DType::f32 && t != DType::f64)
        throw Error("", {}, "--dtype takes float32 and/or float64");
      bo.dtypes.push_back(t);
    }
    if (!bench_threads.empty()) {
      bo.threads.clear();
      for (const std::string& t : split_commas(bench_threads)) {
        std::size_t used = 0;
        int n = 0;
        try {
          n = std::stoi(t, &used);
        } catch (const std::exception&) {
          used = 0;
        }
        if (used != t.size() || n < 1 || n > 1024)
          throw Error("", {}, "--threads takes thread counts from 1 to 1024 (got '" + t + "')");
        bo.threads.push_back(n);
      }
    }
    bo.compare = split_commas(bench_compare);
    for (const std::string& p : bo.compare)
      if (p != "openblas" && p != "numpy" && p != "torch")
        throw Error("", {}, "unknown peer '" + p + "' (openblas, numpy, torch)");
    if (bo.backend != backend::optimized)
      throw Error("", {}, "bench times the optimized backend only (got '" + bo.backend + "')");
    if (!bo.plot_path.empty() && std::filesystem::path(bo.plot_path).extension() != ".png")
      throw Error("", {}, "--plot writes a .png file (got " + bo.plot_path + ")");
    require_parent_dirs({bo.json_path, bo.markdown_path, bo.plot_path});
    return inv;
  }
  if (*tune_cmd) {
    inv.command = Command::tune;
    to.families = split_commas(tune_families);
    for (const std::string& f : to.families)
      if (!opt::parse_family(f))
        throw Error("", {},
                    "--family: unknown family '" + f +
                        "' (elementwise, reduction, softmax, creation, shape)");
    for (const std::string& t : split_commas(tune_sizes)) {
      std::size_t used = 0;
      long long n = 0;
      try {
        n = std::stoll(t, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used != t.size() || n < 1 || n > 100000000)
        throw Error("", {}, "--sizes takes element counts from 1 to 10^8 (got '" + t + "')");
      to.sizes.push_back(n);
    }
    require_parent_dirs({to.history_path, to.profile_out, to.markdown_path});
    return inv;
  }
  if (*eval) {
    inv.command = Command::eval;
    ev.grad_output = split_commas(eval_grad_out);
    ev.out_grads = split_commas(eval_out_grads);
    return inv;
  }

  inv.command = Command::verify;
  opts.ops = split_commas(ops);
  opts.backends = split_commas(backends);
  if (!dtypes.empty()) {
    opts.dtypes.clear();
    for (const std::string& d : split_commas(dtypes)) {
      const DType t = parse_dtype(d);
      if (t != DType::f32 && t != DType::f64)
        throw Error("", {}, "--dtype takes float32 and/or float64");
      opts.dtypes.push_back(t);
    }
  }
  for (const std::string& b : opts.backends)
    if (b != backend::reference && b != backend::optimized && b != backend::cuda)
      throw Error("", {}, "unknown backend '" + b + "' (reference, optimized, cuda)");
  if (!regime.empty()) opts.regime = parse_regime(regime);
  if (case_index >= 0) opts.case_index = case_index;
  if (no_ledger + update_ledger + ledger_report > 1)
    throw Error("", {}, "--no-ledger, --update-ledger and --ledger-report exclude each other");
  if (no_ledger) opts.ledger_mode = Options::LedgerMode::off;
  if (update_ledger) opts.ledger_mode = Options::LedgerMode::update;
  if (ledger_report) opts.ledger_mode = Options::LedgerMode::report;
  // Check output paths before spending minutes verifying.
  for (const std::string& p : {inv.verify.json_path, inv.verify.junit_path})
    if (!p.empty()) {
      auto parent = std::filesystem::path(p).parent_path();
      if (!parent.empty() && !std::filesystem::is_directory(parent))
        throw Error("", {},
                    "cannot write " + p + ": directory " + parent.string() + " does not exist");
    }
  if (inv.verify.train) {
    train_opts.seed = opts.seed;
    train_opts.dtypes = opts.dtypes;
    train_opts.program = opts.program;
    if (!train_optimizers.empty()) train_opts.optimizers = split_commas(train_optimizers);
    train_opts.variants = parse_train_variants(opts.variant);
  }
  return inv;
}

namespace {
/// A backend named on the command line that cannot run here (cuda without a GPU) is an error
/// (exit 2), never a pass and never a run of failures.
void require_runnable(const std::string& backend_name) {
  if (const BackendAvailability av = Registry::instance().availability(backend_name); !av.available)
    throw Error(
        "", {},
        "--backend " + backend_name + " cannot run here: " + av.reason + "; nothing was run");
}
}  // namespace

int execute(const Invocation& inv) {
  switch (inv.command) {
    case Command::none:
      break;
    case Command::list:
      return cmd_list(inv.list.check, inv.list.verbose);
    case Command::golden:
      return run_golden(inv.golden, stdout);
    case Command::fuzz:
      require_runnable(inv.fuzz.target.backend);
      return fuzz::run_fuzz(inv.fuzz, stdout);
    case Command::eval: {
      const EvalArgs& e = inv.eval;
      require_runnable(e.backend);
      return cmd_eval(e.op, e.attrs, e.backend, e.variant, e.in, e.out, e.dtype, e.grad_output,
                      e.out_grads);
    }
    case Command::tune:
      if (!bench::tune_runner())
        throw Error("", {}, "this binary was built without the benchmarks (vt_bench)");
      return bench::tune_runner()(inv.tune, stdout);
    case Command::bench:
      if (!bench::bench_runner())
        throw Error("", {}, "this binary was built without the benchmarks (vt_bench)");
      return bench::bench_runner()(inv.bench, stdout);
    case Command::device: {
      const BackendAvailability av = Registry::instance().availability(backend::cuda);
      std::printf("cuda: %s — %s\n", av.available ? "available" : "not available",
                  av.reason.c_str());
      return av.available ? 0 : 2;
    }
    case Command::verify: {
      const VerifyArgs& v = inv.verify;
      if (v.train) return run_training_check(v.train_opts, stdout).passed() ? 0 : 1;
      for (const std::string& b : v.opts.backends) require_runnable(b);
      print_table_header(stdout);
      Report rep = run_verification(v.opts, [](const RowResult& r) { print_row(stdout, r); });
      print_problems(stdout, rep, v.opts);
      print_summary(stdout, rep);
      if (!v.json_path.empty()) write_json(v.json_path, rep, v.opts);
      if (!v.junit_path.empty()) write_junit(v.junit_path, rep, v.opts);
      return rep.overall() == Verdict::passed ? 0 : 1;
    }
  }
  throw Error("", {}, "no subcommand given");
}

}  // namespace vt::cli
