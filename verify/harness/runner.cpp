// verify/harness/runner.cpp — case execution and verdicts.
// What it is not: the spec of any op, or output formatting.
#include "verify/harness/runner.hpp"

#include "core/npy.hpp"
#include "optimized/core/parallel.hpp"
#include "verify/harness/enginecheck.hpp"
#include "verify/harness/gradcheck.hpp"
#include "verify/harness/ledger.hpp"

#include <fnmatch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>

namespace vt::verify {

const char* verdict_name(Verdict v) {
  switch (v) {
    case Verdict::passed:
      return "passed";
    case Verdict::failed:
      return "FAILED";
    case Verdict::not_run:
      return "not-run";
    case Verdict::unsupported:
      return "unsupported";
    case Verdict::vacuous:
      return "VACUOUS";
  }
  return "?";
}

Verdict Report::overall() const {
  for (const RowResult& r : rows)
    if (r.verdict == Verdict::failed || r.verdict == Verdict::vacuous) return Verdict::failed;
  return Verdict::passed;
}

int Report::count(Verdict v) const {
  return static_cast<int>(
      std::count_if(rows.begin(), rows.end(), [&](auto& r) { return r.verdict == v; }));
}

bool glob_match(const std::string& glob, const std::string& name) {
  return fnmatch(glob.c_str(), name.c_str(), 0) == 0;
}

namespace {

constexpr std::byte kCanary{0xA5};
constexpr int kVacuousRedraws = 4;
constexpr std::int64_t kCanaryBytes = 64;

double ulp_budget(const OpSpec& spec, DType dtype) {
  switch (spec.accuracy.cls) {
    case AccuracyClass::ulp:
      return dtype == DType::f32 ? spec.accuracy.ulp_f32 : spec.accuracy.ulp_f64;
    case AccuracyClass::sum_bound:
      return 1.0;
    default:
      return 0.5;
  }
}

}  // namespace

/// An output buffer whose every byte starts as the canary; the tensor view sits inside it with
/// canary bytes before, after and (strided placement) between its elements.
Tensor canary_output(const Shape& shape, DType dtype, bool strided) {
  Shape phys = shape;
  if (strided)
    for (auto& d : phys) d = 2 * d + 1;
  const std::int64_t isz = static_cast<std::int64_t>(itemsize(dtype));
  const std::int64_t n = shape_numel(phys);
  const std::int64_t bytes = checked_add(checked_mul(n, isz, "output"), 2 * kCanaryBytes, "output");
  auto storage = std::make_shared<Storage>(static_cast<std::size_t>(bytes));
  std::memset(storage->data(), static_cast<int>(kCanary), static_cast<std::size_t>(bytes));
  Tensor t =
      Tensor::from_storage(storage, dtype, phys, contiguous_strides(phys), kCanaryBytes / isz);
  if (strided)
    for (std::int64_t k = 0; k < t.ndim(); ++k)
      t = t.slice(k, 1, 2 * shape[static_cast<std::size_t>(k)] + 1, 2);
  return t;
}

/// Bytes of the storage that lie outside `t`'s elements and differ from the canary.
std::int64_t damaged_canary_bytes(const Tensor& t) {
  const Storage& s = *t.storage();
  std::vector<bool> owned(s.nbytes(), false);
  const std::int64_t isz = static_cast<std::int64_t>(itemsize(t.dtype()));
  const std::byte* base = s.data();
  for_each_index(t.shape(), [&](const auto& i) {
    std::int64_t off =
        (t.offset() + View<std::byte>{nullptr, t.shape(), t.strides()}.offset_of(i)) * isz;
    for (std::int64_t b = 0; b < isz; ++b) owned[static_cast<std::size_t>(off + b)] = true;
  });
  std::int64_t damaged = 0;
  for (std::size_t b = 0; b < s.nbytes(); ++b)
    if (!owned[b] && base[b] != kCanary) ++damaged;
  return damaged;
}

namespace {

std::vector<std::byte> snapshot(const Tensor& t) {
  const Storage& s = *t.storage();
  return std::vector<std::byte>(s.data(), s.data() + s.nbytes());
}

bool is_edge_case(const Case& c, const std::vector<Tensor>& ref_out) {
  for (const Tensor& t : c.inputs)
    if (t.numel() == 0) return true;
  return !ref_out.empty() && ref_out[0].numel() == 0;
}

std::string save_case(const std::string& dir, const OpSpec& spec, const Implementation& impl,
                      const Case& c, const std::vector<Tensor>& ref_out,
                      const std::vector<Tensor>& got) {
  namespace fs = std::filesystem;
  const std::string stem = spec.name + "_" + impl.backend + "_" + impl.variant + "_" +
                           std::string(dtype_name(c.dtype)) + "_" + regime_name(c.regime) + "_" +
                           std::to_string(c.index);
  fs::create_directories(dir);
  for (std::size_t i = 0; i < c.inputs.size(); ++i)
    write_npy((fs::path(dir) / (stem + "_in" + std::to_string(i) + ".npy")).string(), c.inputs[i]);
  for (std::size_t i = 0; i < ref_out.size(); ++i) {
    Tensor expected = ref_out[i].dtype() == DType::hp ? ref_out[i].to(got[i].dtype()) : ref_out[i];
    write_npy((fs::path(dir) / (stem + "_expected" + std::to_string(i) + ".npy")).string(),
              expected);
    write_npy((fs::path(dir) / (stem + "_got" + std::to_string(i) + ".npy")).string(), got[i]);
  }
  return (fs::path(dir) / (stem + "_*.npy")).string();
}

struct ThresholdScope {
  explicit ThresholdScope(std::int64_t t) : saved(opt::parallel_threshold()), active(t >= 0) {
    if (active) opt::set_parallel_threshold(t);
  }
  ~ThresholdScope() {
    if (active) opt::set_parallel_threshold(saved);
  }
  std::int64_t saved;
  bool active;
};

/// The backend's output tensors for case c: canary-guarded buffers, or input 0 itself when the
/// case asks for in-place and the op allows it (c.output_placement says what was used).
std::vector<Tensor> make_outputs(const OpSpec& spec, Case& c,
                                 const std::vector<OutputDesc>& descs) {
  std::vector<Tensor> outs;
  for (std::size_t i = 0; i < descs.size(); ++i) {
    const DType dt = output_dtype(descs[i], c.dtype, c.layout.attrs);
    bool in_place = i == 0 && c.output_placement == OutputPlacement::in_place && spec.inplace &&
                    !c.inputs.empty() && c.inputs[0].shape() == descs[i].shape &&
                    c.inputs[0].dtype() == dt && !c.inputs[0].has_internal_overlap();
    if (in_place) {
      outs.push_back(c.inputs[0]);
    } else {
      if (i == 0 && c.output_placement == OutputPlacement::in_place)
        c.output_placement = OutputPlacement::contiguous;  // not applicable: say what ran
      outs.push_back(
          canary_output(descs[i].shape, dt, c.output_placement == OutputPlacement::strided));
    }
  }
  return outs;
}

/// Runs the backend with the case's (or the given) thread count and parallel threshold; returns
/// the error it threw, "" when it returned.
std::string call_backend(const Implementation& impl, OpCall& call, int threads,
                         std::int64_t threshold) {
  std::optional<opt::ThreadScope> thread_scope;
  if (threads > 0) thread_scope.emplace(threads);
  ThresholdScope threshold_scope(threshold);
  try {
    impl.forward(call);
  } catch (const Error& e) {
    return e.what();
  } catch (const std::exception& e) {
    return std::string("non-vt exception: ") + e.what();
  }
  return "";
}

/// The first element whose bits differ between a and b (same shape and dtype), as
/// "[i, j]: 0x… vs 0x… (x vs y)"; "" when every element is bit-identical.
std::string first_bit_difference(const Tensor& a, const Tensor& b) {
  const Tensor ca = a.contiguous(), cb = b.contiguous();
  const std::size_t isz = itemsize(a.dtype());
  const std::byte* pa = ca.storage()->data() + ca.offset() * static_cast<std::int64_t>(isz);
  const std::byte* pb = cb.storage()->data() + cb.offset() * static_cast<std::int64_t>(isz);
  for (std::int64_t k = 0; k < ca.numel(); ++k) {
    const std::size_t at = static_cast<std::size_t>(k) * isz;
    if (std::memcmp(pa + at, pb + at, isz) == 0) continue;
    std::string idx = "[";
    std::int64_t rest = k;
    std::vector<std::int64_t> ix(a.shape().size());
    for (std::size_t d = ix.size(); d-- > 0;) {
      ix[d] = rest % a.shape()[d];
      rest /= a.shape()[d];
    }
    for (std::size_t d = 0; d < ix.size(); ++d) idx += (d ? ", " : "") + std::to_string(ix[d]);
    auto hex = [&](const std::byte* p) {
      std::uint64_t u = 0;
      std::memcpy(&u, p, std::min<std::size_t>(isz, sizeof u));
      char buf[24];
      std::snprintf(buf, sizeof buf, "0x%0*llx", static_cast<int>(2 * isz),
                    static_cast<unsigned long long>(u));
      return std::string(buf);
    };
    char vals[96] = "";
    if (is_float(a.dtype()))
      std::snprintf(vals, sizeof vals, " (%.17g vs %.17g)", static_cast<double>(load_hp(ca, ix)),
                    static_cast<double>(load_hp(cb, ix)));
    return idx + "]: " + hex(pa + at) + " vs " + hex(pb + at) + vals;
  }
  return "";
}

/// verify --bitwise: runs the backend again on the same inputs — once with the case's own
/// settings, then with 1, 2 and 3 threads and the parallel threshold at 1 so the pool really
/// splits the work — and requires the first run's bits every time the implementation promises
/// them (Determinism). Returns why it failed, "" when it holds.
std::string check_bitwise(const OpSpec& spec, const Implementation& impl, Case& c,
                          const std::vector<OutputDesc>& descs, const std::vector<Tensor>& first,
                          const std::vector<std::vector<std::byte>>& inputs_before) {
  if (impl.determinism == Determinism::none) return "";
  std::vector<Tensor> expected;
  for (const Tensor& t : first) expected.push_back(t.clone());  // an in-place run lives in input 0
  for (const BitwiseRerun& run : bitwise_reruns(impl, c)) {
    for (std::size_t k = 0; k < c.inputs.size(); ++k) {  // undo an in-place run
      Storage& st = *c.inputs[k].storage();
      if (st.nbytes() > 0) std::memcpy(st.data(), inputs_before[k].data(), st.nbytes());
    }
    OpCall call{c.inputs, c.layout.attrs, make_outputs(spec, c, descs)};
    const std::string err = call_backend(impl, call, run.threads, run.threshold);
    if (!err.empty()) return "not reproducible: " + run.what + " threw: " + err;
    for (std::size_t i = 0; i < expected.size(); ++i) {
      const std::string diff = first_bit_difference(expected[i], call.outputs[i]);
      if (!diff.empty())
        return std::string("not bitwise reproducible (the implementation promises ") +
               determinism_name(impl.determinism) + "): " + run.what + " differs from the first" +
               (expected.size() > 1 ? " in output " + std::to_string(i) : "") + " at " + diff;
    }
  }
  return "";
}

}  // namespace

CaseResult run_case(const OpSpec& spec, const Implementation& impl, Case& c,
                    const std::string& save_dir, bool bitwise) {
  CaseResult r;
  r.regime = c.regime;
  r.index = c.index;
  r.description = c.describe();
  for (const Tensor& t : c.inputs) r.shapes.push_back(t.shape());
  r.attrs = c.layout.attrs.str();
  auto fail = [&](std::string msg) {
    r.verdict = Verdict::failed;
    r.message = std::move(msg);
    return r;
  };

  std::vector<OutputDesc> descs;
  try {
    descs = spec.shape_rule(r.shapes, c.layout.attrs);
  } catch (const Error& e) {
    return fail(std::string("the spec's own layout is rejected by its shape rule: ") + e.what());
  }

  // ---- reference (float128), or its sampled form for large layouts -------------------------
  const Implementation* ref = Registry::instance().find(spec.name, backend::reference);
  if (!ref) return fail("no reference implementation is registered");
  std::vector<Tensor> inputs_hp;
  for (const Tensor& t : c.inputs)
    inputs_hp.push_back(is_float(t.dtype()) ? t.to(DType::hp) : t.contiguous());
  const bool large = spec.reference_cost && spec.large_check.sample &&
                     spec.reference_cost(c.layout) > spec.large_check.cost_limit;
  OpCall ref_call{inputs_hp, c.layout.attrs, {}};
  std::string ref_error;
  if (!large) {
    for (const OutputDesc& d : descs)
      ref_call.outputs.push_back(
          Tensor::empty(d.shape, output_dtype(d, DType::hp, c.layout.attrs)));
    try {
      ref->forward(ref_call);
    } catch (const Error& e) {
      ref_error = e.what();
    }
  }

  // ---- backend outputs, canaries, snapshots -------------------------------------------------
  std::vector<Tensor> outs = make_outputs(spec, c, descs);
  r.description = c.describe();
  std::vector<std::vector<std::byte>> before;
  for (const Tensor& t : c.inputs) before.push_back(snapshot(t));

  OpCall call{c.inputs, c.layout.attrs, outs};
  const std::string backend_error = call_backend(impl, call, c.threads, c.parallel_threshold);

  // ---- errors on either side ----------------------------------------------------------------
  if (!ref_error.empty() || !backend_error.empty()) {
    if (!ref_error.empty() && !backend_error.empty()) {
      r.message = "both rejected the input: " + ref_error;
      return r;  // passed: the input is invalid for every implementation
    }
    if (!backend_error.empty())
      return fail("the backend threw but the reference did not: " + backend_error);
    return fail("the reference rejected the input (" + ref_error + ") but the backend accepted it");
  }

  // ---- memory safety: canaries and inputs ---------------------------------------------------
  for (std::size_t i = 0; i < outs.size(); ++i) {
    if (!c.inputs.empty() && outs[i].storage() == c.inputs.front().storage()) continue;  // in place
    if (std::int64_t n = damaged_canary_bytes(outs[i]))
      return fail(std::to_string(n) + " byte(s) outside output " + std::to_string(i) +
                  " were written");
  }
  for (std::size_t k = 0; k < c.inputs.size(); ++k) {
    if (!outs.empty() && c.inputs[k].storage() == outs[0].storage()) continue;
    const Storage& st = *c.inputs[k].storage();
    if (st.nbytes() != before[k].size() ||
        (st.nbytes() > 0 && std::memcmp(st.data(), before[k].data(), st.nbytes()) != 0))
      return fail("input " + std::to_string(k) + " was modified by the call");
  }

  // ---- comparison ---------------------------------------------------------------------------
  const Precision prec = precision_of(c.dtype);
  CompareSpec cs{spec.accuracy.cls, ulp_budget(spec, c.dtype),
                 spec.accuracy.cls == AccuracyClass::exact || c.exact, c.dtype};
  if (large) {
    LargeCheckArgs args{inputs_hp, c.layout.attrs, prec, c.exact};
    Rng rng(mix_seed(c.seed, spec.name + "/sample/" + std::to_string(c.index)));
    std::vector<std::vector<std::int64_t>> idx;
    const Shape& s = descs[0].shape;
    const std::int64_t n = shape_numel(s);
    std::uniform_int_distribution<std::int64_t> pick(0, std::max<std::int64_t>(n - 1, 0));
    for (int k = 0; k < 256 && n > 0; ++k) {
      std::int64_t flat = k == 0 ? 0 : (k == 1 ? n - 1 : pick(rng));
      std::vector<std::int64_t> ix(s.size());
      for (std::size_t d = s.size(); d-- > 0;) {
        ix[d] = flat % s[d];
        flat /= s[d];
      }
      idx.push_back(ix);
    }
    std::vector<hp_t> value, bound;
    spec.large_check.sample(args, idx, value, bound);
    cs.target = outs[0].dtype();
    Tensor sampled = Tensor::empty({static_cast<std::int64_t>(idx.size())}, DType::hp);
    for (std::size_t k = 0; k < idx.size(); ++k) {
      compare_element(value[k], static_cast<double>(load_hp(outs[0], idx[k])),
                      c.exact ? hp_t(0) : bound[k], cs, idx[k], r.comparison);
      sampled.data<hp_t>()[k] = value[k];
    }
    std::vector<hp_t> residual, rbound;
    Tensor out_hp = outs[0].to(DType::hp);
    spec.large_check.project(args, out_hp, rng, residual, rbound);
    for (std::size_t k = 0; k < residual.size(); ++k) {
      if (boost::multiprecision::abs(residual[k]) > rbound[k] ||
          boost::multiprecision::isnan(residual[k])) {
        ++r.comparison.failures;
        r.comparison.worst = ElementReport{{static_cast<std::int64_t>(k)},
                                           static_cast<double>(residual[k]),
                                           0.0,
                                           std::numeric_limits<double>::infinity(),
                                           static_cast<double>(rbound[k]),
                                           "random projection: residual of row exceeds its bound"};
        r.comparison.has_worst = true;
        break;
      }
    }
    if (r.comparison.failures)
      return fail("sampled check: " + std::to_string(r.comparison.failures) + " failure(s)");
    if (!is_edge_case(c, {})) {
      Vacuity v = check_vacuity(sampled, spec);
      if (v.vacuous) {
        r.verdict = Verdict::vacuous;
        r.message = "test data is vacuous: " + v.reason;
      }
    }
    if (r.verdict == Verdict::passed && bitwise) {
      const std::string why = check_bitwise(spec, impl, c, descs, outs, before);
      if (!why.empty()) return fail(why);
    }
    return r;
  }

  for (std::size_t i = 0; i < outs.size(); ++i) {
    Tensor bound;
    if (spec.accuracy.cls == AccuracyClass::sum_bound &&
        (i == 0 || (spec.accuracy.bounds_every_output && is_float(outs[i].dtype())))) {
      bound = Tensor::empty(descs[i].shape, DType::hp);
      BoundArgs args{
          inputs_hp, ref_call.outputs, c.layout.attrs, precision_of(outs[i].dtype()), bound, i};
      spec.accuracy.bound(args);
    }
    cs.target = is_float(outs[i].dtype()) ? outs[i].dtype() : c.dtype;
    Comparison cmp = compare_outputs(ref_call.outputs[i], outs[i], bound, cs);
    if (i == 0 || cmp.failures) {
      r.comparison = cmp;
      r.output = static_cast<int>(i);
    }
    if (cmp.failures) break;
  }
  if (r.comparison.failures) {
    r.verdict = Verdict::failed;
    r.message = std::to_string(r.comparison.failures) + " of " +
                std::to_string(r.comparison.elements) + " element(s) outside the " +
                class_name(spec.accuracy.cls) + " bound";
  } else if (!is_edge_case(c, ref_call.outputs)) {
    Vacuity v = check_vacuity(ref_call.outputs[0], spec);
    if (v.vacuous) {
      r.verdict = Verdict::vacuous;
      r.message = "test data is vacuous: " + v.reason;
    }
  }
  if (r.verdict == Verdict::passed && bitwise) {
    const std::string why = check_bitwise(spec, impl, c, descs, outs, before);
    if (!why.empty()) {
      r.verdict = Verdict::failed;
      r.message = why;
    }
  }
  if (r.verdict != Verdict::passed && !save_dir.empty())
    r.saved = save_case(save_dir, spec, impl, c, ref_call.outputs, outs);
  return r;
}

std::string repro_command(const RowResult& row, const CaseResult& c, const Options& opts) {
  const std::uint64_t seed = opts.seed;
  const int cases_per_regime = opts.cases_per_regime;
  // Engine rows (enginecheck.hpp) compute in float128 whatever --dtype says: no --dtype.
  const std::string dtype =
      row.dtype == DType::hp ? "" : " --dtype " + std::string(dtype_name(row.dtype));
  std::string cmd = opts.program + " verify --op " + row.op + " --backend " + row.backend +
                    " --variant " + row.variant + dtype + " --seed " + std::to_string(seed) +
                    " --regime " + regime_name(c.regime) + " --case " + std::to_string(c.index);
  if (cases_per_regime > 0) cmd += " --cases " + std::to_string(cases_per_regime);
  if (opts.threads > 0) cmd += " --threads " + std::to_string(opts.threads);
  if (opts.bitwise) cmd += " --bitwise";
  if (opts.grad) cmd += " --grad";
  if (opts.grad2) cmd += " --grad2";
  return cmd + " -v";
}

namespace {

RowResult verify_row(const OpSpec& spec, const Implementation& impl, DType dtype,
                     const Options& opts) {
  RowResult row;
  row.op = spec.name;
  row.family = spec.family;
  row.backend = impl.backend;
  row.variant = impl.variant;
  row.planted_bug = impl.planted_bug;
  row.dtype = dtype;
  row.cls = spec.accuracy.cls;
  row.budget = ulp_budget(spec, dtype);
  row.determinism = impl.determinism;
  row.determinism_note = impl.determinism_note;
  if (std::find(impl.dtypes.begin(), impl.dtypes.end(), dtype) == impl.dtypes.end()) {
    row.verdict = Verdict::unsupported;
    row.message = "the implementation does not support " + std::string(dtype_name(dtype));
    return row;
  }
  RowRecorder rec(row, opts.verbose);
  for (Regime regime : {Regime::exact, Regime::random, Regime::adversarial, Regime::structural}) {
    if (opts.regime && *opts.regime != regime) continue;
    const int n = regime_case_count(spec, regime, opts.cases_per_regime, opts.seed);
    for (int k = 0; k < n; ++k) {
      if (opts.case_index && *opts.case_index != k) continue;
      // A vacuous draw (judged on the reference output, so no backend behaviour can cause it)
      // is redrawn a few times; only data that stays vacuous is reported — a generator defect.
      CaseResult cr;
      for (int attempt = 0; attempt < kVacuousRedraws; ++attempt) {
        Case c = make_case(spec, dtype, regime, k, opts.seed, opts.cases_per_regime, attempt);
        if (opts.threads > 0 && c.threads == 0) c.threads = opts.threads;
        cr = run_case(spec, impl, c, opts.save_failures_dir, opts.bitwise);
        if (cr.verdict != Verdict::vacuous) break;
      }
      rec.record(std::move(cr));
    }
  }
  rec.finish();
  return row;
}

}  // namespace

RowRecorder::RowRecorder(RowResult& row, bool verbose)
    : row_(row), verbose_(verbose), t0_(std::chrono::steady_clock::now()) {}

void RowRecorder::record(CaseResult cr) {
  ++row_.cases_run;
  row_.elements += cr.comparison.elements;
  sum_sq_ += cr.comparison.sum_sq_error;
  const bool bad = cr.verdict != Verdict::passed;
  if (cr.verdict == Verdict::failed) ++row_.cases_failed;
  if (cr.verdict == Verdict::vacuous) ++row_.cases_vacuous;
  if (cr.verdict != Verdict::vacuous)
    row_.max_error = std::max(row_.max_error, cr.comparison.max_error);
  const bool worse = !row_.worst || (bad && row_.worst->verdict == Verdict::passed) ||
                     ((bad == (row_.worst->verdict != Verdict::passed)) &&
                      cr.comparison.max_error > row_.worst->comparison.max_error);
  if (worse) row_.worst = cr;
  if (verbose_) {
    std::printf("  %-8s %s\n", verdict_name(cr.verdict), cr.description.c_str());
    if (cr.comparison.has_worst)
      std::printf("           max error %.3g, worst got %.17g expected %.17g\n",
                  cr.comparison.max_error, cr.comparison.worst.got, cr.comparison.worst.expected);
    if (!cr.message.empty()) std::printf("           %s\n", cr.message.c_str());
  }
  if (bad) row_.problems.push_back(std::move(cr));
}

void RowRecorder::finish(const std::string& nothing_run) {
  row_.rms_error = row_.elements ? std::sqrt(sum_sq_ / static_cast<double>(row_.elements)) : 0.0;
  row_.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
  if (row_.cases_run == 0) {
    row_.verdict = Verdict::not_run;
    if (row_.message.empty()) row_.message = nothing_run;
  } else if (row_.cases_failed) {
    row_.verdict = Verdict::failed;
  } else if (row_.cases_vacuous) {
    row_.verdict = Verdict::vacuous;
  }
}

double class_budget(const OpSpec& spec, DType dtype) { return ulp_budget(spec, dtype); }

std::vector<BitwiseRerun> bitwise_reruns(const Implementation& impl, const Case& c) {
  if (impl.determinism == Determinism::none) return {};
  std::vector<BitwiseRerun> reruns = {{c.threads, c.parallel_threshold, "a second run"}};
  if (impl.determinism == Determinism::bitwise)
    for (int t : {1, 2, 3})
      reruns.push_back({t, 1, "a run with " + std::to_string(t) + " thread(s), threshold 1"});
  return reruns;
}
std::string bit_difference(const Tensor& a, const Tensor& b) { return first_bit_difference(a, b); }

Report run_verification(const Options& opts, const std::function<void(const RowResult&)>& on_row) {
  Report rep;
  rep.seed = opts.seed;
  rep.build = build_id();
  rep.bitwise = opts.bitwise;
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<const OpSpec*> specs;
  for (const OpSpec* s : SpecRegistry::instance().all()) {
    bool selected = opts.ops.empty();
    for (const std::string& g : opts.ops) selected = selected || glob_match(g, s->name);
    if (selected) specs.push_back(s);
  }
  const std::vector<RowResult> engine_rows = verify_engine(opts);
  if (specs.empty() && engine_rows.empty())
    throw Error("", {}, "no op matches the selection (see `veritensor list`)");
  if (opts.case_index && !opts.regime)
    throw Error("", {}, "--case needs --regime (case numbers count within a regime)");

  Ledger ledger;
  const bool use_ledger = opts.ledger_mode != Options::LedgerMode::off;
  if (use_ledger)
    ledger = Ledger::load(opts.ledger_path.empty() ? Ledger::default_path() : opts.ledger_path);

  const bool any_grad = opts.grad || opts.grad2;
  for (const OpSpec* spec : specs) {
    if (any_grad && !(opts.grad2 ? spec->grad.second.promised : spec->differentiable)) {
      if (opts.ops.size() == 1 && opts.ops[0] == spec->name) {
        RowResult row;
        row.op = spec->name;
        row.family = spec->family;
        row.backend = "-";
        row.variant = "-";
        row.verdict = Verdict::not_run;
        row.message = opts.grad2 ? "no second-order promise in the spec: nothing to check"
                                 : "not differentiable: no gradient to check";
        if (on_row) on_row(row);
        rep.rows.push_back(std::move(row));
      }
      continue;
    }
    const std::vector<std::string> promised_by = promised_backends(*spec);
    std::vector<std::string> backends = opts.backends;
    if (backends.empty()) {
      // --grad also certifies the reference VJP itself (against finite differences).
      if (any_grad) backends.push_back(backend::reference);
      for (const std::string& b : promised_by)
        if (b != backend::reference && (!opts.grad2 || second_order_promised(*spec, b)))
          backends.push_back(b);
    }
    for (const std::string& b : backends) {
      // A backend that cannot run here (the cuda backend without a GPU) is never "passed": left
      // out with one note when the backends were defaulted, "not run" rows when named (the
      // command line exits 2 before this when `--backend cuda` cannot run).
      if (const BackendAvailability av = Registry::instance().availability(b); !av.available) {
        if (opts.backends.empty()) {
          const std::string note = b + ": not run — " + av.reason;
          if (std::find(rep.notes.begin(), rep.notes.end(), note) == rep.notes.end())
            rep.notes.push_back(note);
          continue;
        }
        for (DType dt : opts.dtypes) {
          RowResult row;
          row.op = spec->name;
          row.family = spec->family;
          row.backend = b;
          row.variant = opts.variant.empty() ? "-" : opts.variant;
          row.dtype = dt;
          row.cls = spec->accuracy.cls;
          row.verdict = Verdict::not_run;
          row.message = av.reason;
          if (on_row) on_row(row);
          rep.rows.push_back(std::move(row));
        }
        continue;
      }
      std::vector<const Implementation*> impls;
      if (opts.variant == "all") {
        for (const Implementation* i : Registry::instance().for_op(spec->name))
          if (i->backend == b) impls.push_back(i);
      } else if (const Implementation* i = Registry::instance().find(spec->name, b, opts.variant)) {
        impls.push_back(i);
      }
      for (DType dt : opts.dtypes) {
        if (impls.empty()) {
          RowResult row;
          row.op = spec->name;
          row.family = spec->family;
          row.backend = b;
          row.variant = opts.variant.empty() ? "-" : opts.variant;
          row.dtype = dt;
          row.cls = spec->accuracy.cls;
          const bool promised =
              std::find(promised_by.begin(), promised_by.end(), b) != promised_by.end() &&
              (!opts.grad2 || second_order_promised(*spec, b));
          row.verdict = promised && opts.variant.empty() ? Verdict::failed : Verdict::not_run;
          row.message = promised
                            ? "the spec promises this backend but no implementation is registered"
                            : "no implementation for this backend";
          if (on_row) on_row(row);
          rep.rows.push_back(std::move(row));
          continue;
        }
        for (const Implementation* impl : impls) {
          RowResult row = any_grad ? verify_grad_row(*spec, *impl, dt, opts)
                                   : verify_row(*spec, *impl, dt, opts);
          if (!any_grad && use_ledger && !impl->planted_bug && row.verdict == Verdict::passed &&
              spec->accuracy.cls != AccuracyClass::exact)
            apply_ledger(ledger, row,
                         opts.ledger_mode == Options::LedgerMode::check    ? LedgerUse::check
                         : opts.ledger_mode == Options::LedgerMode::update ? LedgerUse::update
                                                                           : LedgerUse::report);
          if (on_row) on_row(row);
          rep.rows.push_back(std::move(row));
        }
      }
    }
  }
  for (const RowResult& row : engine_rows) {  // already run: reported after the op rows
    if (on_row) on_row(row);
    rep.rows.push_back(row);
  }
  if (opts.ledger_mode == Options::LedgerMode::update) ledger.save();
  rep.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return rep;
}

}  // namespace vt::verify
