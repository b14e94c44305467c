// bench/gate.cpp — `veritensor bench` (bench/gate.hpp): verify, time, verify again; peers in the
// same run; terminal table, JSON, markdown and plot.
// What it is: the case loop and its records. Timing is Google Benchmark's (RegisterBenchmark per
// case, RunSpecifiedBenchmarks with a reporter that keeps every repetition); verification reuses
// the harness's pieces (make_case, the reference, the spec's bound or LargeCheck,
// compare_outputs); a program workload (bench/programs.hpp) verifies itself through its
// Program and is timed and reported like an op. What it is not: a timing loop of its own, or a
// second comparison rule.
#include "bench/gate.hpp"

#include "bench/peers.hpp"
#include "bench/workloads.hpp"
#include "core/registry.hpp"
#include "optimized/core/parallel.hpp"
#include "verify/harness/compare.hpp"
#include "verify/harness/data.hpp"
#include "verify/harness/runner.hpp"
#include "verify/harness/spec.hpp"
#include "verify/harness/training.hpp"

#include <benchmark/benchmark.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <thread>

extern "C" char* openblas_get_corename(void);

namespace vt::bench {

namespace {

using namespace vt::verify;
using nlohmann::json;

std::string dt_name(DType d) { return std::string(dtype_name(d)); }

}  // namespace

// ---- verification (gate.hpp: CaseVerifier, worst_element_line, record_json) ------------------

// Record (the case's verification record) is in bench/programs.hpp, shared with the programs.

json record_json(const Record& r) {
  json j = {{"verdict", verdict_name(r.verdict)},
            {"max_error", r.max_error},
            {"bound", r.budget},
            {"unit", r.unit},
            {"class", r.cls},
            {"elements_compared", r.elements},
            {"method", r.method}};
  if (!r.message.empty()) j["message"] = r.message;
  if (r.worst)
    j["worst"] = {{"index", r.worst->index},       {"got", r.worst->got},
                  {"expected", r.worst->expected}, {"error", r.worst->error},
                  {"bound", r.worst->bound},       {"reason", r.worst->reason}};
  if (!r.name.empty()) j["name"] = r.name;
  if (!r.parts.empty()) {
    j["parts"] = json::array();
    for (const Record& p : r.parts) j["parts"].push_back(record_json(p));
  }
  return j;
}

std::string worst_element_line(const Record& r) {
  if (!r.worst) return "";
  const ElementReport& w = *r.worst;
  std::string index;
  for (std::size_t k = 0; k < w.index.size(); ++k)
    index += (k ? ", " : "") + std::to_string(w.index[k]);
  const char* f = "worst element [%s]: got %.17g, expected %.17g, error %.4g %s (bound %.4g)%s%s";
  const char* sep = w.reason.empty() ? "" : " — ";
  const int n = std::snprintf(nullptr, 0, f, index.c_str(), w.got, w.expected, w.error,
                              r.unit.c_str(), w.bound, sep, w.reason.c_str());
  std::vector<char> buf(static_cast<std::size_t>(std::max(n, 0)) + 1);
  std::snprintf(buf.data(), buf.size(), f, index.c_str(), w.got, w.expected, w.error,
                r.unit.c_str(), w.bound, sep, w.reason.c_str());
  return buf.data();
}

/// The float128 side of one case (gate.hpp, CaseVerifier), computed once and used by every
/// check: the reference outputs and their sum-bounds, or — where the spec's reference cost is
/// above its LargeCheck limit (matmul n ≥ 256) — the spec's sampled values and bounds, with its
/// random projections rerun on each output.
class CaseVerifier::Impl {
 public:
  Impl(const OpSpec& spec, const Case& c, std::vector<OutputDesc> descs, std::uint64_t seed,
       const std::string& salt)
      : spec_(spec), c_(c), descs_(std::move(descs)), seed_(mix_seed(seed, salt)) {
    for (const Tensor& t : c.inputs)
      inputs_hp_.push_back(is_float(t.dtype()) ? t.to(DType::hp) : t.contiguous());
    large_ = spec.reference_cost && spec.large_check.sample && spec.large_check.project &&
             spec.reference_cost(c.layout) > spec.large_check.cost_limit;
    const Implementation* ref = Registry::instance().find(spec.name, backend::reference);
    if (!ref) throw Error(spec.name, {}, "no reference implementation is registered");
    if (large_) {
      const Shape& s = descs_[0].shape;
      const std::int64_t n = shape_numel(s);
      Rng rng(seed_);
      std::uniform_int_distribution<std::int64_t> pick(0, std::max<std::int64_t>(n - 1, 0));
      for (int k = 0; k < kSamples && n > 0; ++k) {
        std::int64_t flat = k == 0 ? 0 : (k == 1 ? n - 1 : pick(rng));
        std::vector<std::int64_t> ix(s.size());
        for (std::size_t d = s.size(); d-- > 0;) {
          ix[d] = flat % s[d];
          flat /= s[d];
        }
        sample_index_.push_back(ix);
      }
      LargeCheckArgs args{inputs_hp_, c.layout.attrs, precision_of(c.dtype), false};
      spec.large_check.sample(args, sample_index_, sample_value_, sample_bound_);
      Tensor sampled = Tensor::empty({static_cast<std::int64_t>(sample_value_.size())}, DType::hp);
      for (std::size_t k = 0; k < sample_value_.size(); ++k)
        sampled.data<hp_t>()[k] = sample_value_[k];
      vacuity_ = check_vacuity(sampled, spec);
      return;
    }
    OpCall call{inputs_hp_, c.layout.attrs, {}};
    for (const OutputDesc& d : descs_)
      call.outputs.push_back(Tensor::empty(d.shape, output_dtype(d, DType::hp, c.layout.attrs)));
    ref->forward(call);  // a vt::Error here rejects the case (the caller reports it)
    reference_ = call.outputs;
    for (std::size_t i = 0; i < reference_.size(); ++i) {
      Tensor bound;
      if (spec.accuracy.cls == AccuracyClass::sum_bound &&
          (i == 0 || (spec.accuracy.bounds_every_output && is_float(reference_[i].dtype())))) {
        bound = Tensor::empty(descs_[i].shape, DType::hp);
        const DType out_dt = output_dtype(descs_[i], c.dtype, c.layout.attrs);
        BoundArgs args{inputs_hp_, reference_, c.layout.attrs, precision_of(out_dt), bound, i};
        spec.accuracy.bound(args);
      }
      bounds_.push_back(bound);
    }
    if (!reference_.empty()) vacuity_ = check_vacuity(reference_[0], spec);
  }

  std::string method() const {
    if (!large_) return "every element of every output against the float128 reference";
    return std::to_string(sample_index_.size()) +
           " sampled output elements against float128 values + the spec's random projections "
           "of the whole output (LargeCheck: the full float128 reference costs " +
           fmt_cost(spec_.reference_cost(c_.layout)) + " multiply-adds)";
  }

  Record check(const std::vector<Tensor>& outs) const {
    Record r;
    r.cls = class_name(spec_.accuracy.cls);
    r.unit = class_unit(spec_.accuracy.cls);
    r.budget = class_budget(spec_, c_.dtype);
    r.method = method();
    CompareSpec cs{spec_.accuracy.cls, class_budget(spec_, c_.dtype),
                   spec_.accuracy.cls == AccuracyClass::exact, c_.dtype};
    Comparison cmp;
    if (large_) {
      cs.target = outs[0].dtype();
      for (std::size_t k = 0; k < sample_index_.size(); ++k)
        compare_element(sample_value_[k], static_cast<double>(load_hp(outs[0], sample_index_[k])),
                        sample_bound_[k], cs, sample_index_[k], cmp);
      if (!cmp.failures) {
        LargeCheckArgs args{inputs_hp_, c_.layout.attrs, precision_of(c_.dtype), false};
        Rng rng(mix_seed(seed_, "project"));
        std::vector<hp_t> residual, rbound;
        spec_.large_check.project(args, outs[0].to(DType::hp), rng, residual, rbound);
        for (std::size_t k = 0; k < residual.size(); ++k)
          if (boost::multiprecision::abs(residual[k]) > rbound[k] ||
              boost::multiprecision::isnan(residual[k])) {
            ++cmp.failures;
            cmp.worst = ElementReport{{static_cast<std::int64_t>(k)},
                                      static_cast<double>(residual[k]),
                                      0.0,
                                      std::numeric_limits<double>::infinity(),
                                      static_cast<double>(rbound[k]),
                                      "random projection: residual exceeds its bound"};
            cmp.has_worst = true;
            break;
          }
      }
    } else {
      for (std::size_t i = 0; i < outs.size(); ++i) {
        cs.target = is_float(outs[i].dtype()) ? outs[i].dtype() : c_.dtype;
        Comparison one = compare_outputs(reference_[i], outs[i], bounds_[i], cs);
        if (i == 0 || one.failures) cmp = one;
        if (one.failures) break;
      }
    }
    r.elements = cmp.elements;
    r.max_error = cmp.max_error;
    if (cmp.has_worst) r.worst = cmp.worst;
    if (cmp.failures) {
      r.verdict = Verdict::failed;
      r.message = std::to_string(cmp.failures) + " of " + std::to_string(cmp.elements) +
                  " element(s) outside the " + class_name(spec_.accuracy.cls) + " bound";
    } else if (vacuity_.vacuous) {
      r.verdict = Verdict::vacuous;
      r.message = "test data is vacuous: " + vacuity_.reason;
    }
    return r;
  }

 private:
  static constexpr int kSamples = 256;  // as verify's sampled check
  static std::string fmt_cost(double c) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2g", c);
    return buf;
  }
  const OpSpec& spec_;
  const Case& c_;
  std::vector<OutputDesc> descs_;
  std::uint64_t seed_;
  std::vector<Tensor> inputs_hp_, reference_, bounds_;
  bool large_ = false;
  std::vector<std::vector<std::int64_t>> sample_index_;
  std::vector<hp_t> sample_value_, sample_bound_;
  Vacuity vacuity_;
};

CaseVerifier::CaseVerifier(const OpSpec& spec, const Case& c, std::uint64_t seed,
                           const std::string& salt)
    : impl_(std::make_unique<const Impl>(spec, c, spec.shape_rule(c.layout.shapes, c.layout.attrs),
                                         seed, salt)) {}
CaseVerifier::~CaseVerifier() = default;
std::string CaseVerifier::method() const { return impl_->method(); }
Record CaseVerifier::check(const std::vector<Tensor>& outs) const { return impl_->check(outs); }

namespace {

/// Every input's bytes and the guard bands around each (contiguous, canary_output) output, as
/// they were before the first call: both must be unchanged after every call.
struct Guards {
  std::vector<std::vector<std::byte>> inputs;
  std::vector<std::vector<std::byte>> storage;  // per output: its whole storage
  /// Where output t's elements lie in its storage: bytes [lo, hi) (contiguous outputs).
  static std::pair<std::size_t, std::size_t> span(const Tensor& t) {
    const std::size_t lo = static_cast<std::size_t>(t.offset()) * itemsize(t.dtype());
    return {lo, lo + static_cast<std::size_t>(t.numel()) * itemsize(t.dtype())};
  }
  static std::vector<std::byte> bytes(const Tensor& t) {
    const Storage& s = *t.storage();
    std::vector<std::byte> v(s.nbytes());
    if (!v.empty()) std::memcpy(v.data(), s.data(), v.size());
    return v;
  }
  Guards(const std::vector<Tensor>& in, const std::vector<Tensor>& out) {
    for (const Tensor& t : in) inputs.push_back(bytes(t));
    for (const Tensor& t : out) storage.push_back(bytes(t));
  }
  /// "" when intact, else what was damaged.
  std::string check(const std::vector<Tensor>& in, const std::vector<Tensor>& out) const {
    for (std::size_t i = 0; i < in.size(); ++i) {
      const Storage& s = *in[i].storage();
      if (s.nbytes() != inputs[i].size() ||
          (s.nbytes() && std::memcmp(s.data(), inputs[i].data(), s.nbytes()) != 0))
        return "input " + std::to_string(i) + " was modified";
    }
    for (std::size_t i = 0; i < out.size(); ++i) {
      const Storage& s = *out[i].storage();
      const auto [lo, hi] = span(out[i]);
      const std::byte* was = storage[i].data();
      if (std::memcmp(s.data(), was, lo) != 0 ||
          std::memcmp(s.data() + hi, was + hi, s.nbytes() - hi) != 0)
        return "bytes outside output " + std::to_string(i) + " were written (canary)";
    }
    return "";
  }
};

// ---- timing -----------------------------------------------------------------------------------

struct Timing {
  std::vector<double> samples;  // seconds per call, one per repetition
  double median = 0, min = 0, max = 0;
  std::string error;
  void finish() {
    if (samples.empty()) return;
    std::vector<double> s = samples;
    std::sort(s.begin(), s.end());
    const std::size_t n = s.size();
    median = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    min = s.front();
    max = s.back();
  }
};

/// Keeps every repetition's per-iteration wall time; prints nothing.
class Collector : public benchmark::BenchmarkReporter {
 public:
  Timing* into = nullptr;
  bool ReportContext(const Context&) override { return true; }
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& r : runs) {
      if (r.run_type != Run::RT_Iteration) continue;
      if (r.error_occurred) {
        into->error = r.error_message;
        continue;
      }
      if (r.iterations > 0)
        into->samples.push_back(r.real_accumulated_time / static_cast<double>(r.iterations));
    }
  }
};

/// Google Benchmark: `reps` repetitions of at least `min_time` seconds of fn(), wall time.
Timing time_it(const std::string& name, const std::function<void()>& fn, double min_time,
               int reps) {
  Timing t;
  Collector col;
  col.into = &t;
  benchmark::ClearRegisteredBenchmarks();
  // The registry owns the benchmark (ClearRegisteredBenchmarks frees it); clang's static
  // analyzer loses it inside benchmark.h and reports a leak there, where no NOLINT can go.
#ifndef __clang_analyzer__
  benchmark::RegisterBenchmark(name.c_str(),
                               [&fn](benchmark::State& st) {
                                 try {
                                   for (auto _ : st) {
                                     fn();
                                     benchmark::ClobberMemory();
                                   }
                                 } catch (const std::exception& e) {
                                   st.SkipWithError(e.what());
                                 }
                               })
      ->MinTime(min_time)
      ->Repetitions(reps)
      ->UseRealTime();
#endif
  benchmark::RunSpecifiedBenchmarks(&col, std::string("."));
  benchmark::ClearRegisteredBenchmarks();
  t.finish();
  return t;
}

// ---- rows -------------------------------------------------------------------------------------

struct PeerFigure {
  std::string name, form, error;
  Timing time;
};

struct Row {
  const Workload* w = nullptr;
  DType dtype = DType::f32;
  int threads = 1;
  std::string backend, variant;
  bool planted = false;
  bool rejected = false;
  std::string rejected_at;  // "before timing" / "after timing"
  Record before, after;
  std::string method;
  Timing ours, first_pass, second_pass;
  std::vector<PeerFigure> peers;
  std::string shapes, attrs;
  std::string data = "random regime of the op's domain (make_case, index 0, contiguous)";
};

std::string fmt_g(double x, const char* f = "%.3g") {
  char buf[32];
  std::snprintf(buf, sizeof buf, f, x);
  return buf;
}

/// Display columns of a UTF-8 string (µ, —, × are one column, several bytes).
std::size_t columns(const std::string& s) {
  std::size_t n = 0;
  for (unsigned char ch : s) n += (ch & 0xC0) != 0x80;
  return n;
}
std::string pad(const std::string& s, std::size_t w, bool right = false) {
  const std::size_t c = columns(s);
  if (c >= w) return s;
  return right ? std::string(w - c, ' ') + s : s + std::string(w - c, ' ');
}

const std::vector<std::string> kPeerOrder = {"openblas", "peak", "loop", "copy", "numpy", "torch"};

const PeerFigure* find_peer(const Row& r, const std::string& name) {
  for (const PeerFigure& p : r.peers)
    if (p.name == name) return &p;
  return nullptr;
}

/// peer time / our time: > 1 means ours is faster.
std::optional<double> ratio(const Row& r, const PeerFigure& p) {
  if (r.rejected || !p.error.empty() || !(p.time.median > 0) || !(r.ours.median > 0))
    return std::nullopt;
  return p.time.median / r.ours.median;
}

std::string verification_cell(const Record& r) {
  if (r.verdict != Verdict::passed) return verdict_name(r.verdict);
  return "ok " + fmt_g(r.max_error, "%.2g") + "/" + fmt_g(r.budget, "%g") + " " + r.unit;
}

void print_header(std::FILE* out, const std::vector<std::string>& peers) {
  std::fprintf(out, "%s %s %s %s %s", pad("workload", 26).c_str(), pad("dtype", 7).c_str(),
               pad("thr", 3, true).c_str(), pad("ours", 10, true).c_str(),
               pad("verified (max err/bound)", 26).c_str());
  for (const std::string& p : peers) std::fprintf(out, " %s", pad(p + " (ratio)", 20).c_str());
  std::fprintf(out, "\n");
}

void print_row(std::FILE* out, const Row& r, const std::vector<std::string>& peers) {
  const std::string name = r.w->name + (r.planted ? " [" + r.variant + "]" : "");
  if (r.rejected) {
    const Record& bad = r.before.verdict != Verdict::passed ? r.before : r.after;
    std::fprintf(out, "%s %s %s %s REJECTED %s: %s\n", pad(name, 26).c_str(),
                 pad(dt_name(r.dtype), 7).c_str(), pad(std::to_string(r.threads), 3, true).c_str(),
                 pad("—", 10, true).c_str(), r.rejected_at.c_str(), bad.message.c_str());
    if (bad.worst) std::fprintf(out, "    %s\n", worst_element_line(bad).c_str());
    return;
  }
  std::fprintf(out, "%s %s %s %s %s", pad(name, 26).c_str(), pad(dt_name(r.dtype), 7).c_str(),
               pad(std::to_string(r.threads), 3, true).c_str(),
               pad(fmt_time(r.ours.median), 10, true).c_str(),
               pad(verification_cell(r.after), 26).c_str());
  for (const std::string& p : peers) {
    const PeerFigure* f = find_peer(r, p);
    std::string cell = "·";
    if (f && !f->error.empty()) cell = "error";
    if (f && f->error.empty()) {
      auto q = ratio(r, *f);
      cell = fmt_time(f->time.median) + (q ? " " + fmt_g(*q, "%.2f") + "×" : "");
    }
    std::fprintf(out, " %s", pad(cell, 20).c_str());
  }
  std::fprintf(out, "\n");
}

json timing_json(const Timing& t) {
  json j = {{"median_s", t.median}, {"min_s", t.min}, {"max_s", t.max}, {"samples_s", t.samples}};
  if (!t.error.empty()) j["error"] = t.error;
  return j;
}

json row_json(const Row& r, std::uint64_t seed, const std::string& build) {
  const Workload& w = *r.w;
  json j = {{"workload", w.name},        {"op", w.op},
            {"shapes", r.shapes},        {"attrs", r.attrs},
            {"dtype", dt_name(r.dtype)}, {"threads", r.threads},
            {"backend", r.backend},      {"variant", r.variant},
            {"planted_bug", r.planted},  {"kind", w.program ? "program" : "op"}};
  json ver = {{"before_timing", record_json(r.before)},
              {"seed", seed},
              {"threads", r.threads},
              {"build", build},
              {"data", r.data},
              {"method", r.method}};
  if (!r.rejected || r.rejected_at == "after timing") ver["after_timing"] = record_json(r.after);
  j["verification"] = ver;
  if (r.rejected) {
    j["status"] = "REJECTED";
    j["rejected"] = r.rejected_at;
    return j;
  }
  j["status"] = "timed";
  j["time"] = timing_json(r.ours);
  j["time"]["first_pass"] = timing_json(r.first_pass);
  j["time"]["second_pass"] = timing_json(r.second_pass);
  const double itemsz = static_cast<double>(itemsize(r.dtype));
  if (w.flops > 0 && r.ours.median > 0) j["gflops"] = w.flops / r.ours.median / 1e9;
  if (w.elements > 0 && r.ours.median > 0)
    j["gbytes_per_s"] = w.elements * itemsz / r.ours.median / 1e9;
  json peers = json::object();
  for (const PeerFigure& p : r.peers) {
    json pj = {{"form", p.form}};
    if (!p.error.empty()) {
      pj["error"] = p.error;
    } else {
      pj["time"] = timing_json(p.time);
      if (auto q = ratio(r, p)) pj["ratio"] = *q;  // peer time / our time
    }
    peers[p.name] = pj;
  }
  j["peers"] = peers;
  return j;
}

/// Writes `text` to `path` through a temporary file, so no partial file is left behind.
void write_atomically(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary);
    if (!f) throw Error("", {}, "cannot write " + path);
    f << text;
    if (!f.flush()) throw Error("", {}, "cannot write " + path);
  }
  std::filesystem::rename(tmp, path);
}

std::string markdown(const std::vector<Row>& rows, const std::vector<std::string>& peers,
                     const std::string& build, const std::string& when, double floor_ns) {
  std::string md = "<!-- veritensor bench: " + build + ", " + when + " -->\n";
  md +=
      "Ratios are peer time / our time (> 1: veritensor faster). Every time was verified before "
      "and after timing; REJECTED cases have no time. Timing floor (empty Google Benchmark "
      "loop): " +
      fmt_g(floor_ns, "%.2f") + " ns/iteration.\n\n";
  md += "| workload | dtype | threads | ours | verified (max err / bound) |";
  for (const std::string& p : peers) md += " " + p + " | ratio |";
  md += "\n|---|---|---|---|---|";
  for (std::size_t k = 0; k < peers.size(); ++k) md += "---|---|";
  md += "\n";
  for (const Row& r : rows) {
    md += "| " + r.w->name + (r.planted ? " [" + r.variant + "]" : "") + " | " + dt_name(r.dtype) +
          " | " + std::to_string(r.threads) + " | ";
    if (r.rejected) {
      const Record& bad = r.before.verdict != Verdict::passed ? r.before : r.after;
      md += "**REJECTED** | " + std::string(verdict_name(bad.verdict)) + ": " + bad.message + " |";
      for (std::size_t k = 0; k < peers.size(); ++k) md += " | |";
      md += "\n";
      continue;
    }
    md += fmt_time(r.ours.median) + " | " + verification_cell(r.after) + " |";
    for (const std::string& p : peers) {
      const PeerFigure* f = find_peer(r, p);
      if (!f) {
        md += " · | · |";
      } else if (!f->error.empty()) {
        md += " error | |";
      } else {
        auto q = ratio(r, *f);
        md += " " + fmt_time(f->time.median) + " | " + (q ? fmt_g(*q, "%.2f") : "") + " |";
      }
    }
    md += "\n";
  }
  return md;
}

std::string openblas_core() {
  const char* core = openblas_get_corename();
  return core ? core : "unknown";
}

json load_average() {
  double l[3] = {0, 0, 0};
  if (::getloadavg(l, 3) != 3) return nullptr;
  return {l[0], l[1], l[2]};
}

std::string peers_script() {
  if (const char* env = std::getenv("VERITENSOR_BENCH_PEERS")) return env;
  return std::string(VT_SOURCE_DIR) + "/bench/peers.py";
}

std::string shapes_str(const std::vector<Shape>& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + shape_str(s[i]);
  return out;
}

/// Times `ours` (two passes) with the peers in between — so that drift of the machine hits
/// both — into row.first_pass, row.second_pass, row.ours and row.peers. `inputs`: what the C++
/// peers get copies of.
void time_with_peers(Row& row, const std::function<void()>& ours, const std::vector<Tensor>& inputs,
                     const BenchOptions& o, PythonPeers* py) {
  const Workload& w = *row.w;
  const DType dtype = row.dtype;
  const int threads = row.threads;
  const std::string label = w.name + "/" + dt_name(dtype) + "/" + std::to_string(threads);
  // With several threads, OpenBLAS's idle threads (ours or a peer's, in the Python process) spin
  // for about 0.1 s after a call before they sleep: a pause between phases keeps one phase's
  // spinning off the next one's cores.
  auto settle = [threads] {
    if (threads > 1) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  };
  row.first_pass = time_it(label + "/ours", ours, o.min_time, o.repetitions);
  settle();
  const bool cpp = std::find(o.compare.begin(), o.compare.end(), "openblas") != o.compare.end();
  if (cpp)
    for (CppPeer& p : cpp_peers(w, dtype, threads, inputs)) {
      PeerFigure f{p.name, p.form, "",
                   time_it(label + "/" + p.name, p.run, o.min_time, o.repetitions)};
      f.error = f.time.error;
      row.peers.push_back(std::move(f));
      settle();
    }
  std::vector<std::string> py_peers;
  for (const char* p : {"numpy", "torch"})
    if (std::find(o.compare.begin(), o.compare.end(), p) != o.compare.end()) py_peers.push_back(p);
  if (!py_peers.empty()) {
    json req = {{"cmd", "measure"},          {"op", w.op},         {"shapes", w.shapes},
                {"dtype", dt_name(dtype)},   {"threads", threads}, {"peers", py_peers},
                {"sample_time", o.min_time}, {"samples", 5}};
    json attrs = json::object();
    for (const auto& kv : w.attrs.values())
      std::visit([&](const auto& x) { attrs[kv.first] = x; }, kv.second);
    req["attrs"] = attrs;
    std::optional<json> ans = py && py->available() ? py->ask(req) : std::nullopt;
    for (const std::string& p : py_peers) {
      PeerFigure f;
      f.name = p;
      if (!ans || !ans->contains(p)) {
        f.error = py ? py->reason() : "the Python helper is not running";
      } else {
        const json& a = (*ans)[p];
        if (a.contains("error")) {
          f.error = a["error"].get<std::string>();
        } else {
          f.form = a.value("form", "");
          f.time.samples = a["samples"].get<std::vector<double>>();
          f.time.finish();
          f.time.median = a["median_s"].get<double>();  // the helper's own median
        }
      }
      row.peers.push_back(std::move(f));
    }
  }
  if (!py_peers.empty()) settle();
  row.second_pass = time_it(label + "/ours", ours, o.min_time, o.repetitions);
  row.ours.samples = row.first_pass.samples;
  row.ours.samples.insert(row.ours.samples.end(), row.second_pass.samples.begin(),
                          row.second_pass.samples.end());
  row.ours.error = row.first_pass.error + row.second_pass.error;
  row.ours.finish();
}

/// Marks the row REJECTED at `when` with rec's verdict (failed unless it says worse) and message.
Row rejected(Row& row, const char* when, Record& rec, std::string msg) {
  row.rejected = true;
  row.rejected_at = when;
  if (rec.verdict == Verdict::passed) rec.verdict = Verdict::failed;
  if (rec.message.empty()) rec.message = std::move(msg);
  return row;
}

/// One case: build, verify, time (ours, peers, ours again), verify again.
Row run_case(const Workload& w, const OpSpec& spec, const Implementation& impl, DType dtype,
             int threads, const BenchOptions& o, PythonPeers* py) {
  Row row;
  row.w = &w;
  row.dtype = dtype;
  row.threads = threads;
  row.backend = impl.backend;
  row.variant = impl.variant;
  row.planted = impl.planted_bug;
  row.shapes = shapes_str(w.shapes);
  opt::ThreadScope thread_scope(threads);

  // Inputs: the harness's random regime over this workload's one layout (index 0: contiguous
  // placement), so the values come from the op's domain exactly as `verify` draws them.
  OpSpec one = spec;
  Layout layout{w.shapes, w.attrs, w.name};
  one.layouts = [layout](Rng&) { return std::vector<Layout>{layout}; };
  Case c = make_case(one, dtype, Regime::random, 0, o.seed, 0);
  row.attrs = c.layout.attrs.str();
  const std::vector<OutputDesc> descs = spec.shape_rule(c.layout.shapes, c.layout.attrs);
  std::vector<Tensor> outs;
  for (const OutputDesc& d : descs)
    outs.push_back(canary_output(d.shape, output_dtype(d, dtype, c.layout.attrs), false));
  const Guards guards(c.inputs, outs);

  auto reject = [&](const char* when, Record& rec, std::string msg) {
    return rejected(row, when, rec, std::move(msg));
  };

  // The reference side first (it may reject the input itself), then the call under test.
  std::optional<CaseVerifier> verifier;
  try {
    verifier.emplace(spec, c, o.seed, w.name + "/" + dt_name(dtype) + "/" + impl.variant);
  } catch (const Error& e) {
    return reject("before timing", row.before, std::string("the reference failed: ") + e.what());
  }
  row.method = verifier->method();
  OpCall call{c.inputs, c.layout.attrs, outs};
  try {
    impl.forward(call);
  } catch (const std::exception& e) {
    return reject("before timing", row.before,
                  std::string("the implementation threw: ") + e.what());
  }
  row.before = verifier->check(outs);
  if (std::string g = guards.check(c.inputs, outs); !g.empty())
    return reject("before timing", row.before, g);
  if (row.before.verdict != Verdict::passed) return reject("before timing", row.before, "");

  // Timing: ours, the peers, ours again — so that drift of the machine hits both.
  time_with_peers(
      row, [&impl, &call] { impl.forward(call); }, c.inputs, o, py);

  // The output of the last timed iteration, verified again (and the guards around it).
  row.after = verifier->check(outs);
  if (std::string g = guards.check(c.inputs, outs); !g.empty())
    return reject("after timing", row.after, g);
  if (row.after.verdict != Verdict::passed) return reject("after timing", row.after, "");
  if (!row.ours.error.empty() || row.ours.samples.empty())
    return reject("after timing", row.after,
                  "timing failed: " + (row.ours.error.empty() ? "no samples" : row.ours.error));
  return row;
}

/// One program case (bench/programs.hpp): build, run and verify, time (ours, peers, ours
/// again), verify the last timed run again — the op case's sequence, with the program's own
/// check; the program's inputs are guarded as an op's are. `variants`: --variant op=name.
Row run_program_case(const Workload& w, const std::map<std::string, std::string>& variants,
                     DType dtype, int threads, const BenchOptions& o, PythonPeers* py) {
  Row row;
  row.w = &w;
  row.dtype = dtype;
  row.threads = threads;
  row.backend = backend::optimized;
  ProgramSetup setup{dtype, o.seed, {}};
  for (const std::string& op : w.program_ops)
    if (auto it = variants.find(op); it != variants.end()) {
      setup.variants[op] = it->second;
      row.variant += (row.variant.empty() ? "" : ",") + op + "=" + it->second;
      const Implementation* impl = Registry::instance().find(op, backend::optimized, it->second);
      row.planted = row.planted || (impl && impl->planted_bug);
    }
  row.shapes = shapes_str(w.shapes);
  row.attrs = w.attrs.str();
  opt::ThreadScope thread_scope(threads);

  auto reject = [&](const char* when, Record& rec, std::string msg) {
    return rejected(row, when, rec, std::move(msg));
  };
  std::unique_ptr<Program> prog;
  try {
    prog = w.program(setup);
  } catch (const std::exception& e) {
    return reject("before timing", row.before,
                  std::string("the program could not be set up: ") + e.what());
  }
  row.method = prog->method();
  row.data = prog->data();
  const std::vector<Tensor> inputs = prog->inputs();
  const Guards guards(inputs, {});
  // One check, before and after timing: what the last run left, and the unchanged inputs.
  // Returns the rejection message, or nullopt when the check passed.
  auto check = [&](Record& rec, bool run_first) -> std::optional<std::string> {
    try {
      if (run_first) prog->run();
      rec = prog->verify();
    } catch (const std::exception& e) {
      return std::string(run_first ? "the program threw: " : "the check threw: ") + e.what();
    }
    if (std::string g = guards.check(inputs, {}); !g.empty()) return g;
    if (rec.verdict != Verdict::passed) return std::string();
    return std::nullopt;
  };
  if (auto why = check(row.before, true)) return reject("before timing", row.before, *why);

  time_with_peers(
      row, [&prog] { prog->run(); }, inputs, o, py);

  if (auto why = check(row.after, false)) return reject("after timing", row.after, *why);
  if (!row.ours.error.empty() || row.ours.samples.empty())
    return reject("after timing", row.after,
                  "timing failed: " + (row.ours.error.empty() ? "no samples" : row.ours.error));
  return row;
}

// The command finds the gate through this hook (bench/options.hpp).
[[maybe_unused]] const bool registered = [] {
  bench_runner() = &run_bench;
  return true;
}();

}  // namespace

std::string fmt_time(double s) {
  char buf[32];
  if (!(s > 0)) return "—";
  if (s < 1e-6)
    std::snprintf(buf, sizeof buf, "%.1f ns", s * 1e9);
  else if (s < 1e-3)
    std::snprintf(buf, sizeof buf, "%.3g µs", s * 1e6);
  else if (s < 1)
    std::snprintf(buf, sizeof buf, "%.3g ms", s * 1e3);
  else
    std::snprintf(buf, sizeof buf, "%.3g s", s);
  return buf;
}

std::string now_utc() {
  const std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

int run_bench(const BenchOptions& o, std::FILE* out) {
  if (o.backend != backend::optimized)
    throw Error("", {}, "bench times the optimized backend only (got '" + o.backend + "')");
  // Selection: a glob matches the op name or the workload's name ("add", "matmul 2048").
  std::vector<const Workload*> selected;
  for (const Workload& w : workloads()) {
    bool hit = o.ops.empty();
    for (const std::string& g : o.ops) hit = hit || glob_match(g, w.op) || glob_match(g, w.name);
    if (hit) selected.push_back(&w);
  }
  if (selected.empty()) throw Error("", {}, "no workload matches --op (see `bench --list`)");

  if (o.list) {
    std::fprintf(out, "%s %s %s %s\n", pad("workload", 26).c_str(), pad("op / program", 16).c_str(),
                 pad("dtypes", 16).c_str(), "C++ peers (--compare openblas)");
    for (const Workload* w : selected) {
      std::string dts, peers;
      for (DType d : w->dtypes) dts += (dts.empty() ? "" : ",") + dt_name(d);
      if (w->max_threads > 0) dts += " ≤" + std::to_string(w->max_threads) + " thr";
      for (const std::string& p : w->cpp_peers) peers += (peers.empty() ? "" : ",") + p;
      std::fprintf(out, "%s %s %s %s\n", pad(w->name, 26).c_str(), pad(w->op, 16).c_str(),
                   pad(dts, 16).c_str(), peers.empty() ? "—" : peers.c_str());
    }
    return 0;
  }

  // --variant: a variant name (the op workloads that have it), or op=variant[,op=variant…]
  // (the training check's form): per op, for op workloads and the programs that run the op.
  const bool per_op = o.variant.find('=') != std::string::npos;
  std::map<std::string, std::string> variants;
  if (per_op) {
    variants = parse_train_variants(o.variant);
    for (const auto& [op, v] : variants)
      if (!Registry::instance().find(op, o.backend, v))
        throw Error(op, {}, "no " + o.backend + " variant '" + v + "' in this build");
  }
  // Implementations per workload (a variant that an op lacks skips that op's workloads; a
  // program, which has none of its own, runs with the default or the per-op variants).
  std::vector<std::pair<const Workload*, const Implementation*>> plan;
  for (const Workload* w : selected) {
    if (w->program) {
      if (o.variant.empty() || per_op) plan.emplace_back(w, nullptr);
      continue;
    }
    const OpSpec* spec = SpecRegistry::instance().find(w->op);
    if (!spec) continue;  // not in this build's catalogue
    std::string variant = o.variant;
    if (per_op) variant = variants.count(w->op) ? variants.at(w->op) : "";
    const Implementation* impl = Registry::instance().find(w->op, o.backend, variant);
    if (impl) plan.emplace_back(w, impl);
  }
  if (plan.empty())
    throw Error("", {},
                "no selected workload has backend '" + o.backend + "'" +
                    (o.variant.empty() ? "" : " variant '" + o.variant + "'"));

  const std::string build = build_id();
  const std::string started = now_utc();
  const json load_start = load_average();
  std::vector<std::string> peers_shown;
  const bool want_py = std::any_of(o.compare.begin(), o.compare.end(), [](const std::string& p) {
    return p == "numpy" || p == "torch";
  });
  std::optional<PythonPeers> py;
  if (want_py || !o.plot_path.empty()) py.emplace(peers_script());
  for (const std::string& p : kPeerOrder) {
    const bool cpp = p == "openblas" || p == "peak" || p == "loop" || p == "copy";
    const bool asked =
        std::find(o.compare.begin(), o.compare.end(), cpp ? "openblas" : p) != o.compare.end();
    if (!asked) continue;
    if (cpp && std::none_of(plan.begin(), plan.end(), [&](const auto& wi) {
          const auto& cp = wi.first->cpp_peers;
          return std::find(cp.begin(), cp.end(), p) != cp.end();
        }))
      continue;
    peers_shown.push_back(p);
  }

  // The floor: Google Benchmark's loop around nothing, in this binary.
  const Timing floor = time_it(
      "floor", [] {}, o.min_time, 1);
  const double floor_ns = floor.median * 1e9;

  std::fprintf(out, "veritensor bench — %s; seed %llu; min time %g s × %d repetitions × 2 passes\n",
               build.c_str(), static_cast<unsigned long long>(o.seed), o.min_time, o.repetitions);
  std::fprintf(out,
               "every time below was verified before and after timing on the timed buffers; "
               "ratios are peer time / our time (> 1: veritensor faster); timing floor %.2f ns\n",
               floor_ns);
  // Which kernels OpenBLAS chose decides every GEMM figure (ours, the OpenBLAS peer's, and the
  // Python peers', which inherit the environment): a forced OPENBLAS_CORETYPE=Haswell on an
  // AVX-512 machine halves them (README "Benchmarks").
  std::fprintf(out, "OpenBLAS kernels: %s%s\n", openblas_core().c_str(),
               std::getenv("OPENBLAS_CORETYPE") ? " (OPENBLAS_CORETYPE set in the environment)"
                                                : " (detected)");
  if (py) {
    if (!py->available())
      std::fprintf(out, "python peers: unavailable — %s\n", py->reason().c_str());
    else
      for (const char* k : {"numpy_error", "torch_error"})
        if (py->hello().contains(k))
          std::fprintf(out, "python peers: %s\n", py->hello()[k].get<std::string>().c_str());
  }
  std::fprintf(out, "\n");
  print_header(out, peers_shown);

  std::vector<Row> rows;
  int rejected = 0;
  for (const auto& [w, impl] : plan) {
    std::vector<DType> dts = o.dtypes.empty() ? w->dtypes : o.dtypes;
    for (DType dt : dts) {
      if (impl ? std::find(impl->dtypes.begin(), impl->dtypes.end(), dt) == impl->dtypes.end()
               : dt != DType::f32 && dt != DType::f64)
        continue;
      for (int t : o.threads) {
        if (w->max_threads > 0 && t > w->max_threads) continue;
        Row r = impl ? run_case(*w, *SpecRegistry::instance().find(w->op), *impl, dt, t, o,
                                py ? &*py : nullptr)
                     : run_program_case(*w, variants, dt, t, o, py ? &*py : nullptr);
        print_row(out, r, peers_shown);
        std::fflush(out);
        rejected += r.rejected;
        rows.push_back(std::move(r));
      }
    }
  }
  // Why a peer has no figure (once per peer and reason).
  std::set<std::string> seen;
  for (const Row& r : rows)
    for (const PeerFigure& p : r.peers)
      if (!p.error.empty() && seen.insert(p.name + ": " + p.error).second)
        std::fprintf(out,
                     "note: %s has no figure for %s (and any other case with the same "
                     "reason): %s\n",
                     p.name.c_str(), r.w->name.c_str(), p.error.c_str());
  std::fprintf(out, "\n%zu case(s): %zu timed, %d REJECTED\n", rows.size(), rows.size() - rejected,
               rejected);
  if (rejected)
    std::fprintf(out,
                 "a REJECTED case has no figure; `%s verify --op OP --variant V` shows the "
                 "harness's full verdict for the implementation\n",
                 o.program.c_str());

  const std::string finished = now_utc();
  if (!o.json_path.empty()) {
    json j = {{"tool", "veritensor bench"},
              {"build", build},
              {"seed", o.seed},
              {"started", started},
              {"finished", finished},
              {"machine",
               {{"hardware_threads", std::thread::hardware_concurrency()},
                {"openblas_core", openblas_core()},
                {"openblas_coretype_env", std::getenv("OPENBLAS_CORETYPE")
                                              ? json(std::getenv("OPENBLAS_CORETYPE"))
                                              : json(nullptr)},
                {"load_average_start", load_start},
                {"load_average_end", load_average()}}},
              {"min_time_s", o.min_time},
              {"repetitions_per_pass", o.repetitions},
              {"timing_floor_ns", floor_ns},
              {"ratio", "peer time / our time (> 1: veritensor faster)"},
              {"python", py && py->available() ? py->hello() : json(nullptr)}};
    json cases = json::array();
    for (const Row& r : rows) cases.push_back(row_json(r, o.seed, build));
    j["cases"] = cases;
    write_atomically(o.json_path, j.dump(2) + "\n");
    std::fprintf(out, "wrote %s\n", o.json_path.c_str());
  }
  if (!o.markdown_path.empty()) {
    write_atomically(o.markdown_path, markdown(rows, peers_shown, build, started, floor_ns));
    std::fprintf(out, "wrote %s\n", o.markdown_path.c_str());
  }
  if (!o.plot_path.empty()) {
    json prow = json::array();
    for (const Row& r : rows) {
      json ratios = json::object();
      for (const PeerFigure& p : r.peers)
        if (auto q = ratio(r, p)) ratios[p.name] = *q;
      if (!ratios.empty())
        prow.push_back({{"label", r.w->name + " " + dt_name(r.dtype)},
                        {"threads", r.threads},
                        {"ratios", ratios}});
    }
    std::optional<json> ans;
    if (prow.empty())
      std::fprintf(out, "no plot: no case has a peer ratio (use --compare)\n");
    else if (py && py->available())
      ans = py->ask({{"cmd", "plot"},
                     {"path", o.plot_path},
                     {"title", "veritensor bench, " + started + " — " + build},
                     {"rows", prow}});
    if (ans && ans->value("ok", false))
      std::fprintf(out, "wrote %s\n", o.plot_path.c_str());
    else if (!prow.empty())
      throw Error("", {},
                  "cannot draw " + o.plot_path + ": " +
                      (ans && ans->contains("error") ? (*ans)["error"].get<std::string>()
                                                     : std::string("the Python helper is not "
                                                                   "running")));
  }
  return rejected ? 1 : 0;
}

GatedTime measure_gated(const Workload& w, const std::string& variant, DType dtype, int threads,
                        double min_time, int repetitions, std::uint64_t seed) {
  const OpSpec* spec = SpecRegistry::instance().find(w.op);
  if (!spec) throw Error(w.op, {}, "no spec in this build");
  const Implementation* impl = Registry::instance().find(w.op, backend::optimized, variant);
  if (!impl)
    throw Error(w.op, {},
                "no optimized implementation" + (variant.empty() ? "" : " of variant " + variant));
  BenchOptions o;
  o.min_time = min_time;
  o.repetitions = repetitions;
  o.seed = seed;
  const Row r = run_case(w, *spec, *impl, dtype, threads, o, nullptr);
  GatedTime g;
  const Record& rec = r.rejected && r.before.verdict != Verdict::passed ? r.before : r.after;
  g.timed = !r.rejected;
  g.verdict = verdict_name(rec.verdict);
  if (r.rejected) g.rejected = r.rejected_at + ": " + rec.message;
  g.median_s = r.rejected ? 0 : r.ours.median;
  g.max_error = rec.max_error;
  g.bound = rec.budget;
  g.unit = rec.unit;
  return g;
}

}  // namespace vt::bench
