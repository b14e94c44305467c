// fuzz/properties/properties.cpp — the differential properties and the runner (properties.hpp).
#include "fuzz/properties/properties.hpp"

#include "core/npy.hpp"
#include "verify/harness/gradcheck.hpp"

#include <rapidcheck/detail/Configuration.h>
#include <rapidcheck/detail/TestListener.h>

#include <unistd.h>
#include <chrono>
#include <filesystem>
#include <map>
#include <sstream>

namespace vt::fuzz {
namespace {

namespace fs = std::filesystem;
namespace gen = rc::gen;
using verify::Verdict;

Target g_target;         // the target of the check in progress
std::string g_property;  // its name (for --save)
std::string g_save_dir;  // --save
std::string g_program = "veritensor";

/// "got …, expected …, error … ulp at (i, j)" for a harness case result.
std::string describe_case(const verify::OpSpec& spec, const Implementation& impl,
                          const verify::CaseResult& r, const char* what) {
  std::ostringstream os;
  os << spec.name << " " << what << ", backend " << impl.backend << " variant " << impl.variant
     << ": " << r.message << "\n  case: " << r.description;
  if (!r.attrs.empty()) os << ", attrs " << r.attrs;
  if (r.comparison.has_worst) {
    const verify::ElementReport& w = r.comparison.worst;
    char buf[320];
    std::string idx;
    for (std::int64_t i : w.index) idx += (idx.empty() ? "" : ", ") + std::to_string(i);
    std::snprintf(buf, sizeof buf,
                  "\n  worst element (%s) of output %d: got %.17g, reference %.17g, error %.4g vs "
                  "bound %.4g %s%s%s",
                  idx.c_str(), r.output, w.got, w.expected, w.error, w.bound,
                  verify::class_unit(spec.accuracy.cls), w.reason.empty() ? "" : " — ",
                  w.reason.c_str());
    os << buf;
  }
  return os.str();
}

/// Forward: a drawn instance run by the harness (canaries, inputs untouched, class comparison).
Property forward_property(const verify::OpSpec& spec) {
  return {spec.name + "/agrees_with_reference", spec.name,
          "the backend's forward agrees with the float128 reference under the op's class", [&spec] {
            const Implementation& impl = target().impl(spec.name);
            const OpDraw d = *gen_op_draw(spec, float_dtypes(impl));
            verify::Case c = to_case(spec, d, 1);
            const verify::CaseResult r = verify::run_case(spec, impl, c, "", /*bitwise=*/true);
            RC_CLASSIFY(r.verdict == Verdict::vacuous, "vacuous (the data cannot tell)");
            if (r.verdict == Verdict::failed)
              fail(describe_case(spec, impl, r, "forward"), spec.name, c.layout.attrs, c.inputs);
          }};
}

/// VJP: the backend's gradient against the reference VJP of the same float values.
Property vjp_property(const verify::OpSpec& spec) {
  return {spec.name + "/vjp_agrees_with_reference", spec.name,
          "the backend's VJP agrees with the float128 reference VJP under the gradient class",
          [&spec] {
            const Implementation& impl = target().impl(spec.name);
            const OpDraw d = *gen_op_draw(spec, float_dtypes(impl));
            verify::Case c = to_case(spec, d, 1);
            c.seed = *gen::inRange<std::uint64_t>(0, 1u << 16);  // the output gradient's stream
            const verify::CaseResult r = verify::grad_backend_case(spec, impl, c, 1, false);
            if (r.verdict == Verdict::failed)
              fail(describe_case(spec, impl, r, "VJP"), spec.name, c.layout.attrs, c.inputs);
          },
          true};
}

/// Counts cases and shrink steps for the progress line.
class Progress : public rc::detail::TestListener {
 public:
  int cases = 0, shrinks = 0;
  void onTestCaseFinished(const rc::detail::CaseDescription&) override { ++cases; }
  void onShrinkTried(const rc::detail::CaseDescription&, bool accepted) override {
    shrinks += accepted;
  }
  void onTestFinished(const rc::detail::TestMetadata&, const rc::detail::TestResult&) override {}
};

struct Outcome {
  int rounds = 0, cases = 0;
  bool failed = false, gave_up = false, not_applicable = false;
  std::string message;
};

std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

}  // namespace

const Implementation& Target::impl(const std::string& op) const {
  if (!variant.empty())
    if (const Implementation* i = Registry::instance().find(op, backend, variant)) return *i;
  const Implementation* i = Registry::instance().find(op, backend);
  if (!i) throw Error(op, {}, "no " + backend + " implementation");
  return *i;
}

const Target& target() { return g_target; }

std::vector<DType> float_dtypes(const Implementation& impl) {
  std::vector<DType> out;
  for (DType t : impl.dtypes)
    if (t == DType::f32 || t == DType::f64) out.push_back(t);
  return out;
}

void fail(const std::string& message, const std::string& op, const Attrs& attrs,
          const std::vector<Tensor>& inputs) {
  std::string msg = message;
  if (!g_save_dir.empty()) {
    std::string name = g_property;
    for (char& ch : name)
      if (ch == '/') ch = '.';
    const fs::path dir = fs::path(g_save_dir) / name;
    std::error_code ec;
    fs::create_directories(dir, ec);
    std::string eval = g_program + " eval --op " + op;
    for (const auto& [k, v] : attrs.values()) eval += " --attr " + k + "=" + attr_value_str(v);
    eval += " --backend " + g_target.backend;
    if (!g_target.variant.empty()) eval += " --variant " + g_target.variant;
    eval += " --in";
    try {
      for (std::size_t i = 0; i < inputs.size(); ++i) {
        const std::string p = (dir / ("in" + std::to_string(i) + ".npy")).string();
        write_npy(p, inputs[i].contiguous());
        eval += " " + p;
      }
      msg += "\n  saved the inputs: " + dir.string() + "\n  run the op on them: " + eval +
             " --out " + (dir / "out.npy").string();
    } catch (const Error& e) {
      msg += std::string("\n  could not save the inputs: ") + e.what();
    }
  }
  RC_FAIL(msg);
}

std::vector<Property> all_properties() {
  std::vector<Property> out;
  for (const verify::OpSpec* s : verify::SpecRegistry::instance().all()) {
    out.push_back(forward_property(*s));
    if (s->differentiable) out.push_back(vjp_property(*s));
  }
  for (Property& p : identity_properties()) out.push_back(std::move(p));
  return out;
}

int run_fuzz(const FuzzOptions& opts, std::FILE* out) {
  std::vector<Property> selected;
  for (Property& p : all_properties()) {
    bool by_op = opts.ops.empty(), by_name = opts.properties.empty();
    for (const std::string& g : opts.ops) by_op = by_op || verify::glob_match(g, p.op);
    for (const std::string& g : opts.properties) by_name = by_name || verify::glob_match(g, p.name);
    if (by_op && by_name) selected.push_back(std::move(p));
  }
  if (selected.empty()) throw Error("fuzz", {}, "no property matches the selection (see --list)");
  if (opts.list) {
    for (const Property& p : selected)
      std::fprintf(out, "%-40s %s\n", p.name.c_str(), p.summary.c_str());
    return 0;
  }
  for (const Property& p : selected) (void)opts.target.impl(p.op);  // unknown backend: error now

  std::unordered_map<std::string, rc::detail::Reproduce> reproduce;
  if (!opts.reproduce.empty()) {
    try {
      reproduce = rc::detail::configFromString(opts.reproduce).reproduce;
    } catch (const rc::detail::ConfigurationException& e) {
      throw Error("fuzz", {}, std::string("bad --reproduce string: ") + e.what());
    }
    if (reproduce.empty()) throw Error("fuzz", {}, "--reproduce holds no reproduce=… entry");
  }

  g_target = opts.target;
  g_save_dir = opts.save_dir;
  g_program = opts.program;
  const bool tty = isatty(fileno(stderr)) != 0;
  const auto t0 = std::chrono::steady_clock::now();
  auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  };
  std::map<std::string, Outcome> outcomes;
  long total_cases = 0;
  int failures = 0;
  for (int round = 0;; ++round) {
    for (const Property& p : selected) {
      Outcome& o = outcomes[p.name];
      if (o.failed) continue;  // a failed property is reported once, not searched again
      if (!reproduce.empty() && !reproduce.count(p.name)) continue;
      if (p.needs_vjp && !opts.target.impl(p.op).backward) {
        o.not_applicable = true;  // e.g. a forward-only planted bug
        continue;
      }
      rc::detail::TestParams params;
      params.seed = verify::mix_seed(opts.seed, p.name + "/round" + std::to_string(round));
      params.maxSuccess = opts.cases;
      params.maxSize = 100;  // unused: the generators draw full-range sizes from the start
      rc::detail::TestMetadata meta{p.name, p.summary};
      Progress progress;
      g_property = p.name;
      const rc::detail::TestResult result = rc::detail::checkProperty(
          rc::detail::toProperty(p.body), meta, params, progress, reproduce);
      ++o.rounds;
      o.cases += progress.cases;
      total_cases += progress.cases;
      rc::detail::FailureResult failure;
      rc::detail::GaveUpResult gave_up;
      rc::detail::Error error;
      if (result.match(failure)) {
        o.failed = true;
        ++failures;
        rc::detail::Configuration config;
        config.reproduce[p.name] = failure.reproduce;
        // configToMinimalString also writes "seed=…", which a replay does not use.
        std::string repro = rc::detail::configToMinimalString(config);
        repro = repro.substr(0, repro.find(' '));
        // RapidCheck's description starts with "file:line:\nRC_FAIL(msg)\n\n": the message is
        // what follows.
        std::string description = failure.description;
        if (const auto at = description.find("RC_FAIL(msg)\n\n"); at != std::string::npos)
          description = description.substr(at + 14);
        std::ostringstream os;
        os << "FAILED " << p.name << " (" << opts.target.backend
           << (opts.target.variant.empty() ? "" : "/" + opts.target.variant) << ", after "
           << failure.numSuccess << " passing case(s), shrunk in " << progress.shrinks
           << " step(s))\n  " << description << "\n  counterexample:";
        for (const auto& [type, value] : failure.counterExample) os << "\n    " << value;
        os << "\n  RapidCheck: RC_PARAMS=" << shell_quote(repro) << "\n  rerun: " << opts.program
           << " fuzz --property " << p.name << " --backend " << opts.target.backend
           << (opts.target.variant.empty() ? "" : " --variant " + opts.target.variant)
           << " --reproduce " << shell_quote(repro) << " --save DIR";
        o.message = os.str();
        if (tty) std::fprintf(stderr, "\r\033[K");
        std::fprintf(out, "\n%s\n", o.message.c_str());
      } else if (result.match(gave_up)) {
        o.gave_up = true;
        o.message = gave_up.description;
      } else if (result.match(error)) {
        // A replayed failure that passes now (the bug was fixed) is RapidCheck's "error" too.
        if (reproduce.empty() || error.description.find("not a failure") == std::string::npos)
          throw Error("fuzz", {}, p.name + ": " + error.description);
        std::fprintf(out, "%s: the reproduced case passes now\n", p.name.c_str());
      }
      if (opts.verbose)
        std::fprintf(out, "round %d  %-44s %5d case(s)  %s\n", round, p.name.c_str(),
                     progress.cases,
                     o.failed    ? "FAILED"
                     : o.gave_up ? "gave up"
                                 : "held");
      if (tty)
        std::fprintf(stderr, "\r\033[K[%6.1f s] round %d: %ld case(s), %d failure(s) — %s",
                     elapsed(), round + 1, total_cases, failures, p.name.c_str());
    }
    const bool more = opts.seconds > 0 && elapsed() < opts.seconds && reproduce.empty() &&
                      failures < static_cast<int>(selected.size());
    if (!more) break;
  }
  if (tty) std::fprintf(stderr, "\r\033[K");

  int held = 0, gave_up = 0, not_applicable = 0;
  for (const auto& [name, o] : outcomes) {
    held += !o.failed && !o.gave_up && o.rounds > 0;
    not_applicable += o.not_applicable;
    gave_up += o.gave_up && !o.failed;
    if (o.gave_up && !o.failed)
      std::fprintf(out, "note: %s gave up: %s\n", name.c_str(), o.message.c_str());
  }
  std::fprintf(out,
               "fuzz: %zu propert%s, %ld case(s) in %.1f s (seed %llu, backend %s%s): %d held, "
               "%d failed, %d gave up, %d not applicable\n",
               outcomes.size(), outcomes.size() == 1 ? "y" : "ies", total_cases, elapsed(),
               static_cast<unsigned long long>(opts.seed), opts.target.backend.c_str(),
               opts.target.variant.empty() ? "" : ("/" + opts.target.variant).c_str(), held,
               failures, gave_up, not_applicable);
  return failures ? 1 : 0;
}

}  // namespace vt::fuzz
