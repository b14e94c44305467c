// bench/tune.cpp — `veritensor tune` (bench/tune.hpp): a coordinate search over each family's
// parallel threshold and grain, every candidate timed through the gate.
// What it is: the tuning workloads (each family's ops at 10⁴, 10⁵ and 10⁶ elements), the search,
// its stopping rules, the JSONL history, the confirmation pass, the default-vs-tuned table
// (terminal and markdown) and the profile (written atomically). What it is not: the timing or
// the verification (bench/gate.cpp measure_gated), nor the profile's format or its loading
// (optimized/core/tuning.hpp).
//
// The search, per family:
//   iteration 0   the built-in defaults, measured: the baseline every speedup is relative to;
//   a round       the threshold over {2^12, …, 2^20, never} with the best grain so far, then (for
//                 elementwise and reduction) the grain over {2^12, …, 2^17} with the best
//                 threshold so far — each new (threshold, grain) pair measured once, one
//                 iteration and one history row each; a candidate whose verification fails is
//                 discarded (logged as rejected);
//   score         the geometric mean over the family's workloads of default time / candidate
//                 time (> 1: faster than the defaults); the best candidate has the highest;
//   stops         "targets met": after a round, no workload of the best candidate is slower than
//                 the defaults (each per-workload ratio ≥ kNotSlower, i.e. within the 2% the
//                 timings scatter) and the round improved the best score by under 1%;
//                 "stagnation": three rounds in a row under 1% improvement (some workload still
//                 slower); "iteration limit": --max-iterations candidates measured;
//   confirmation  the defaults and the best candidate measured three more times, alternating;
//                 the median per workload is the table's time; a candidate that is not faster
//                 overall there (geometric mean) is not adopted (the profile keeps the defaults).
#include "bench/tune.hpp"

#include "bench/gate.hpp"
#include "bench/workloads.hpp"
#include "core/error.hpp"
#include "core/registry.hpp"
#include "optimized/core/parallel.hpp"
#include "optimized/core/tuning.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <thread>

#include <unistd.h>

namespace vt::bench {

namespace {

using nlohmann::json;
using opt::Family;

/// A workload no slower than the defaults: time ratio default/candidate at least this.
constexpr double kNotSlower = 0.98;
/// A round that improves the best score by less than this has stagnated.
constexpr double kMinImprovement = 0.01;
constexpr int kStagnationRounds = 3;

std::string size_label(std::int64_t n) {
  for (int e = 1; e <= 9; ++e)
    if (n == static_cast<std::int64_t>(std::pow(10.0, e))) return "1e" + std::to_string(e);
  return std::to_string(n);
}

/// The family's tuning workloads at each size (elements of the output).
std::vector<Workload> family_workloads(Family f, const std::vector<std::int64_t>& sizes) {
  using Ints = std::vector<std::int64_t>;
  std::vector<Workload> out;
  auto add = [&](const std::string& op, std::int64_t n, std::vector<Shape> shapes, Attrs attrs) {
    out.push_back({op + " " + size_label(n),
                   op,
                   std::move(shapes),
                   std::move(attrs),
                   {DType::f32},
                   {},
                   0,
                   static_cast<double>(n)});
  };
  for (const char* op : {"add", "mul", "sum", "softmax", "zeros", "full", "transpose"}) {
    const std::string o = op;
    const bool mine = (f == Family::elementwise && (o == "add" || o == "mul")) ||
                      (f == Family::reduction && o == "sum") ||
                      (f == Family::softmax && o == "softmax") ||
                      (f == Family::creation && (o == "zeros" || o == "full")) ||
                      (f == Family::shape && o == "transpose");
    if (!mine) continue;
    for (std::int64_t n : sizes) {
      if (o == "add" || o == "mul") {
        add(o, n, {{n}, {n}}, {});
      } else if (o == "sum") {
        add(o, n, {{n}}, {{"axis", Ints{}}});
      } else if (o == "softmax") {
        const std::int64_t len = std::min<std::int64_t>(n, 1000);
        add(o, n, {{std::max<std::int64_t>(1, n / len), len}}, {{"axis", std::int64_t{1}}});
      } else if (o == "zeros" || o == "full") {
        Attrs a{{"shape", Ints{n}}};
        if (o == "full") a.set("value", 1.5);
        add(o, n, {}, a);
      } else {
        const auto s = std::max<std::int64_t>(1, std::llround(std::sqrt(static_cast<double>(n))));
        add(o, n, {{s, s}}, {});
      }
    }
  }
  return out;
}

struct Params {
  std::int64_t threshold = opt::kDefaultParallelThreshold;
  std::int64_t grain = opt::kDefaultGrain;  // unused where the family's grain is not tunable
  // (== and <, not a defaulted <=>: clang-tidy 14 reads the latter's comparison with 0 as a
  // null pointer constant.)
  bool operator==(const Params&) const = default;
  bool operator<(const Params& o) const {
    return threshold != o.threshold ? threshold < o.threshold : grain < o.grain;
  }
};

std::string threshold_str(std::int64_t t) {
  return t >= opt::kNeverParallel ? "never" : std::to_string(t);
}

std::string params_str(Family f, const Params& p) {
  std::string s = "threshold " + threshold_str(p.threshold);
  if (opt::grain_tunable(f)) s += ", grain " + std::to_string(p.grain);
  return s;
}

json params_json(Family f, const Params& p) {
  json j = {{"parallel_threshold",
             p.threshold >= opt::kNeverParallel ? json("never") : json(p.threshold)}};
  if (opt::grain_tunable(f)) j["grain"] = p.grain;
  return j;
}

struct Measurement {
  bool ok = true;             // every workload verified and timed
  std::vector<double> times;  // seconds, per workload (0: rejected)
  std::vector<std::string> verdicts;
  std::string why;   // the first rejection
  double score = 0;  // geometric mean of default/time (relative to `base`)
  double worst = 0;  // the smallest per-workload ratio
};

std::string fmt_ratio(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", x);
  return buf;
}

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("model name", 0) == 0) {
      const std::size_t c = line.find(':');
      if (c != std::string::npos) return line.substr(c + (c + 2 <= line.size() ? 2 : 1));
    }
  return "unknown";
}

void write_atomically(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream f(tmp, std::ios::binary);
    if (!f) throw Error("", {}, "cannot write " + path);
    f << text;
    if (!f.flush()) {
      std::error_code ec;
      std::filesystem::remove(tmp, ec);
      throw Error("", {}, "cannot write " + path);
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::filesystem::remove(tmp, ec);
    throw Error("", {}, "cannot write " + path + ": " + ec.message());
  }
}

/// One family's search.
class FamilyTuner {
 public:
  FamilyTuner(Family f, const TuneOptions& o, int threads, std::FILE* out, std::ofstream* history,
              const std::string& run_id)
      : f_(f),
        o_(o),
        threads_(threads),
        out_(out),
        history_(history),
        run_id_(run_id),
        work_(family_workloads(f, o.sizes)),
        defaults_{opt::default_parallel_threshold(f), opt::kDefaultGrain} {
    // Workloads whose op lacks the requested variant are left out, as `bench --variant` does.
    if (!o.variant.empty())
      std::erase_if(work_, [&](const Workload& w) {
        return !Registry::instance().find(w.op, backend::optimized, o.variant);
      });
    if (work_.empty())
      throw Error("", {},
                  "no tuning workload of family " + std::string(opt::family_name(f)) +
                      (o.variant.empty() ? "" : " has variant '" + o.variant + "'"));
  }

  /// Returns false when the defaults themselves fail verification (nothing to tune).
  bool run() {
    const std::string fam(opt::family_name(f_));
    std::fprintf(out_,
                 "\n== %s: %zu workload(s), %d thread(s); baseline: the built-in defaults "
                 "(%s)\n",
                 fam.c_str(), work_.size(), threads_, params_str(f_, defaults_).c_str());
    base_ = measure(defaults_);
    log(0, 0, defaults_, base_, base_.ok ? "default" : "rejected");
    if (!base_.ok) {
      std::fprintf(out_,
                   "%s: the default parameters fail verification — REJECTED, nothing tuned: %s\n",
                   fam.c_str(), base_.why.c_str());
      return false;
    }
    best_ = defaults_;
    best_m_ = base_;
    seen_.insert(defaults_);  // the defaults are the baseline, not a candidate
    double prev = 1.0;
    int stagnant = 0, iteration = 0;
    for (int round = 1;; ++round) {
      std::vector<std::pair<bool, std::vector<std::int64_t>>> coords = {{false, thresholds()}};
      if (opt::grain_tunable(f_)) coords.push_back({true, grains()});
      for (const auto& [is_grain, values] : coords)
        for (std::int64_t v : values) {
          Params p = best_;
          (is_grain ? p.grain : p.threshold) = v;
          if (seen_.count(p)) continue;
          if (iteration >= o_.max_iterations) {
            stop_ = "iteration limit: " + std::to_string(o_.max_iterations) +
                    " candidate(s) measured (--max-iterations)";
            return true;
          }
          Measurement m = measure(p);
          ++iteration;
          seen_.insert(p);
          const bool better = m.ok && m.score > best_m_.score;
          log(iteration, round, p, m, m.ok ? (better ? "best so far" : "kept") : "rejected");
          if (better) {
            best_ = p;
            best_m_ = m;
          }
        }
      const double improvement = best_m_.score / prev - 1;
      prev = best_m_.score;
      if (improvement < kMinImprovement) {
        if (best_m_.worst >= kNotSlower) {
          stop_ = "targets met after round " + std::to_string(round) +
                  ": no workload slower than the defaults (each ratio ≥ " + fmt_ratio(kNotSlower) +
                  ") and the round improved the best by " + fmt_ratio(improvement * 100) +
                  "% (< 1%)";
          return true;
        }
        if (++stagnant >= kStagnationRounds) {
          stop_ = "stagnation: " + std::to_string(kStagnationRounds) +
                  " rounds in a row improved the best by under 1%";
          return true;
        }
      } else {
        stagnant = 0;
      }
    }
  }

  /// The confirmation pass: the defaults and the best candidate once more. Fills the table's
  /// times and decides what the profile gets.
  void confirm() {
    // kConfirmPasses alternations of defaults and winner, the median per workload: machine drift
    // and a neighbour's burst hit both sides alike.
    std::vector<Measurement> d, t;
    for (int k = 0; k < kConfirmPasses; ++k) {
      d.push_back(measure(defaults_));
      if (!(best_ == defaults_)) t.push_back(measure(best_));
    }
    def_c_ = median_of(d);
    tuned_c_ = best_ == defaults_ ? def_c_ : median_of(t);
    adopted_ = best_;
    if (!def_c_.ok || !tuned_c_.ok) {
      adopted_ = defaults_;
      note_ = "the confirmation pass was rejected (" + (def_c_.ok ? tuned_c_.why : def_c_.why) +
              "): the defaults are kept";
      return;
    }
    double log_sum = 0;
    for (std::size_t i = 0; i < work_.size(); ++i)
      log_sum += std::log(def_c_.times[i] / tuned_c_.times[i]);
    confirmed_ = std::exp(log_sum / static_cast<double>(work_.size()));
    if (!(best_ == defaults_) && confirmed_ < 1.0) {
      adopted_ = defaults_;
      note_ = "the best candidate (" + params_str(f_, best_) +
              ") was not faster in the confirmation pass (" + fmt_ratio(confirmed_) +
              "×): the defaults are kept";
    }
  }

  Family family() const { return f_; }
  const std::string& stop_reason() const { return stop_; }
  const std::string& note() const { return note_; }
  const Params& adopted() const { return adopted_; }
  const Params& defaults() const { return defaults_; }
  const Params& best() const { return best_; }
  double search_score() const { return best_m_.score; }
  double confirmed() const { return confirmed_; }
  const std::vector<Workload>& work() const { return work_; }
  const Measurement& default_times() const { return def_c_; }
  const Measurement& tuned_times() const { return tuned_c_; }

 private:
  static constexpr int kConfirmPasses = 3;

  /// Per workload, the median of the passes' times (rejected anywhere: rejected).
  Measurement median_of(const std::vector<Measurement>& ms) const {
    Measurement m = ms.front();
    for (const Measurement& x : ms)
      if (!x.ok) return x;
    for (std::size_t i = 0; i < m.times.size(); ++i) {
      std::vector<double> v;
      for (const Measurement& x : ms) v.push_back(x.times[i]);
      std::sort(v.begin(), v.end());
      m.times[i] = v[v.size() / 2];
    }
    return m;
  }

  static std::vector<std::int64_t> thresholds() {
    std::vector<std::int64_t> t;
    for (int e = 12; e <= 20; ++e) t.push_back(std::int64_t{1} << e);
    t.push_back(opt::kNeverParallel);
    return t;
  }
  static std::vector<std::int64_t> grains() {
    std::vector<std::int64_t> g;
    for (int e = 12; e <= 17; ++e) g.push_back(std::int64_t{1} << e);
    return g;
  }

  Measurement measure(const Params& p) {
    opt::set_parallel_threshold(f_, p.threshold);
    if (opt::grain_tunable(f_)) opt::set_grain(f_, p.grain);
    Measurement m;
    double log_sum = 0;
    m.worst = 1e300;
    for (const Workload& w : work_) {
      const GatedTime g = measure_gated(w, o_.variant, DType::f32, threads_, o_.min_time,
                                        o_.repetitions, kBenchSeed);
      m.verdicts.push_back(g.timed ? "passed" : "REJECTED (" + g.verdict + ")");
      m.times.push_back(g.timed ? g.median_s : 0);
      if (!g.timed) {
        if (m.ok) m.why = w.name + ": " + g.rejected;
        m.ok = false;
      }
    }
    if (!m.ok || base_.times.empty()) {
      m.score = m.ok ? 1.0 : 0;
      m.worst = m.ok ? 1.0 : 0;
      return m;
    }
    for (std::size_t i = 0; i < work_.size(); ++i) {
      const double r = base_.times[i] / m.times[i];
      log_sum += std::log(r);
      m.worst = std::min(m.worst, r);
    }
    m.score = std::exp(log_sum / static_cast<double>(work_.size()));
    return m;
  }

  void log(int iteration, int round, const Params& p, const Measurement& m,
           const std::string& status) {
    const std::string fam(opt::family_name(f_));
    std::string line = fam + " #" + std::to_string(iteration) + " " + params_str(f_, p) + ":";
    for (std::size_t i = 0; i < work_.size(); ++i)
      line += " " + work_[i].name + " " + (m.times[i] > 0 ? fmt_time(m.times[i]) : "REJECTED");
    if (m.ok) line += "; speedup " + fmt_ratio(m.score) + "×";
    line += " — " + status;
    if (!m.ok) line += ": " + m.why;
    std::fprintf(out_, "%s\n", line.c_str());
    std::fflush(out_);
    if (!history_) return;
    json times = json::object(), verdicts = json::object();
    for (std::size_t i = 0; i < work_.size(); ++i) {
      times[work_[i].name] = m.times[i] > 0 ? json(m.times[i]) : json(nullptr);
      verdicts[work_[i].name] = m.verdicts[i];
    }
    json row = {{"run", run_id_},
                {"iteration", iteration},
                {"round", round},
                {"family", fam},
                {"threads", threads_},
                {"parameters", params_json(f_, p)},
                {"median_s", times},
                {"verdicts", verdicts},
                {"speedup_vs_default", m.ok ? json(m.score) : json(nullptr)},
                {"status", status}};
    if (!m.ok) row["rejected"] = m.why;
    *history_ << row.dump() << "\n";
    history_->flush();
  }

  Family f_;
  const TuneOptions& o_;
  int threads_;
  std::FILE* out_;
  std::ofstream* history_;
  std::string run_id_;
  std::vector<Workload> work_;
  Params defaults_;  // the family's built-in parameters: the baseline
  Measurement base_, best_m_, def_c_, tuned_c_;
  Params best_, adopted_;
  std::set<Params> seen_;
  std::string stop_, note_;
  double confirmed_ = 1.0;
};

int show(const TuneOptions& o, std::FILE* out) {
  if (!o.check_path.empty()) {
    const opt::Profile p = opt::read_profile(o.check_path);  // throws, naming the file
    std::fprintf(out, "%s: a valid profile (version %d) setting %zu family(ies):\n",
                 o.check_path.c_str(), opt::kProfileVersion, p.families.size());
    for (const auto& [f, fp] : p.families)
      std::fprintf(
          out, "  %-12s parallel_threshold %s, grain %s\n",
          std::string(opt::family_name(f)).c_str(),
          fp.parallel_threshold ? threshold_str(*fp.parallel_threshold).c_str() : "(default)",
          fp.grain ? std::to_string(*fp.grain).c_str() : "(default)");
    return 0;
  }
  std::fprintf(out, "%s\n", opt::profile_status().c_str());
  std::fprintf(out, "%-12s %-18s %s\n", "family", "parallel_threshold", "grain");
  for (Family f : opt::kFamilies)
    std::fprintf(out, "%-12s %-18s %s\n", std::string(opt::family_name(f)).c_str(),
                 threshold_str(opt::parallel_threshold(f)).c_str(),
                 opt::grain_tunable(f) ? std::to_string(opt::grain(f)).c_str() : "(op constants)");
  return 0;
}

[[maybe_unused]] const bool registered = [] {
  tune_runner() = &run_tune;
  return true;
}();

}  // namespace

int run_tune(const TuneOptions& o, std::FILE* out) {
  if (o.show || !o.check_path.empty()) return show(o, out);
  std::vector<Family> families;
  const std::vector<std::string> names =
      o.families.empty() ? std::vector<std::string>{"elementwise", "reduction"} : o.families;
  for (const std::string& n : names) {
    const std::optional<Family> f = opt::parse_family(n);
    if (!f || family_workloads(*f, {1000}).empty())
      throw Error("", {},
                  "--family " + n +
                      ": no tuning workloads (elementwise, reduction, softmax, creation, shape)");
    if (std::find(families.begin(), families.end(), *f) == families.end()) families.push_back(*f);
  }
  TuneOptions opts = o;
  if (opts.sizes.empty()) opts.sizes = {10000, 100000, 1000000};
  const std::string profile_path =
      opts.profile_out.empty() ? opt::default_profile_path() : opts.profile_out;
  if (profile_path.empty())
    throw Error("", {}, "no --profile-out given and neither XDG_CONFIG_HOME nor HOME is set");
  const int threads = opts.threads > 0 ? opts.threads : opt::num_threads();
  opt::ThreadScope thread_scope(threads);

  // The search starts from the built-in defaults, whatever profile or override is in force.
  const std::int64_t saved_override = opt::parallel_threshold();
  if (saved_override >= 0)
    std::fprintf(out, "note: the parallel-threshold override (%lld) is lifted while tuning\n",
                 static_cast<long long>(saved_override));
  opt::set_parallel_threshold(-1);
  opt::reset_parameters();

  const std::string started = now_utc();
  std::ofstream history;
  if (!opts.history_path.empty()) {
    history.open(opts.history_path, std::ios::app);
    if (!history) throw Error("", {}, "cannot write " + opts.history_path);
  }
  std::fprintf(out,
               "veritensor tune — %s; %d thread(s); every time below was verified before and "
               "after timing on the timed buffers (bench/gate.hpp); min time %g s × %d "
               "repetitions × 2 passes\n",
               build_id().c_str(), threads, opts.min_time, opts.repetitions);

  std::vector<FamilyTuner> tuners;
  int failed = 0;
  for (Family f : families) {
    FamilyTuner t(f, opts, threads, out, history.is_open() ? &history : nullptr, started);
    if (!t.run()) {
      ++failed;
      continue;
    }
    std::fprintf(out, "%s: stopped — %s; best %s (search speedup %s×)\n",
                 std::string(opt::family_name(f)).c_str(), t.stop_reason().c_str(),
                 params_str(f, t.best()).c_str(), fmt_ratio(t.search_score()).c_str());
    t.confirm();
    if (!t.note().empty())
      std::fprintf(out, "%s: %s\n", std::string(opt::family_name(f)).c_str(), t.note().c_str());
    tuners.push_back(std::move(t));
  }
  opt::set_parallel_threshold(saved_override);

  // The table (confirmation pass).
  std::string md = "<!-- veritensor tune: " + build_id() + ", " + started + ", " +
                   std::to_string(threads) + " thread(s) -->\n";
  md += "| family | op | size | default | tuned | speedup |\n|---|---|---|---|---|---|\n";
  std::fprintf(out, "\n%-12s %-10s %-8s %12s %12s %8s\n", "family", "op", "size", "default",
               "tuned", "speedup");
  for (const FamilyTuner& t : tuners) {
    const std::string fam(opt::family_name(t.family()));
    for (std::size_t i = 0; i < t.work().size(); ++i) {
      const Workload& w = t.work()[i];
      const double d = t.default_times().times.at(i), u = t.tuned_times().times.at(i);
      const std::string size = w.name.substr(w.op.size() + 1);
      const std::string ratio = d > 0 && u > 0 ? fmt_ratio(d / u) + "×" : "—";
      std::fprintf(out, "%-12s %-10s %-8s %12s %12s %8s\n", fam.c_str(), w.op.c_str(), size.c_str(),
                   fmt_time(d).c_str(), fmt_time(u).c_str(), ratio.c_str());
      md += "| " + fam + " | " + w.op + " | " + size + " | " + fmt_time(d) + " | " + fmt_time(u) +
            " | " + ratio + " |\n";
    }
  }
  md += "\nParameters: defaults";
  for (const FamilyTuner& t : tuners)
    md += " " + std::string(opt::family_name(t.family())) + " " +
          params_str(t.family(), t.defaults()) + ";";
  md += " tuned:";
  for (const FamilyTuner& t : tuners)
    md += " " + std::string(opt::family_name(t.family())) + " " +
          params_str(t.family(), t.adopted()) + " (" + t.stop_reason() + ")" +
          (t.note().empty() ? "" : "; " + t.note()) + ";";
  md += "\n";
  for (const FamilyTuner& t : tuners)
    std::fprintf(out, "tuned %s: %s (geometric-mean speedup in the confirmation pass %s×)\n",
                 std::string(opt::family_name(t.family())).c_str(),
                 params_str(t.family(), t.adopted()).c_str(), fmt_ratio(t.confirmed()).c_str());

  if (!tuners.empty()) {
    // The profile: the families tuned now over what the file already held (when it is valid).
    opt::Profile p;
    std::error_code ec;
    if (std::filesystem::exists(profile_path, ec)) {
      try {
        p = opt::read_profile(profile_path);
      } catch (const Error& e) {
        std::fprintf(out, "note: replacing %s, which is not a valid profile (%s)\n",
                     profile_path.c_str(), e.what());
      }
    }
    for (const FamilyTuner& t : tuners) {
      opt::FamilyParameters fp;
      fp.parallel_threshold = t.adopted().threshold;
      if (opt::grain_tunable(t.family())) fp.grain = t.adopted().grain;
      p.families[t.family()] = fp;
    }
    json machine = {{"cpu", cpu_model()}, {"hardware_threads", std::thread::hardware_concurrency()},
                    {"threads", threads}, {"build", build_id()},
                    {"tuned", started},   {"min_time_s", opts.min_time}};
    p.machine = machine.dump();
    const std::filesystem::path parent = std::filesystem::path(profile_path).parent_path();
    if (!parent.empty()) std::filesystem::create_directories(parent, ec);
    write_atomically(profile_path, opt::serialize_profile(p));
    std::fprintf(out, "wrote %s\n", profile_path.c_str());
    opt::apply_profile(p);
  }
  if (!opts.markdown_path.empty()) {
    write_atomically(opts.markdown_path, md);
    std::fprintf(out, "wrote %s\n", opts.markdown_path.c_str());
  }
  if (history.is_open())
    std::fprintf(out, "appended the history to %s\n", opts.history_path.c_str());
  return failed ? 1 : 0;
}

}  // namespace vt::bench
