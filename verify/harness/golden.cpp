// verify/harness/golden.cpp — the golden-file comparison (see golden.hpp).
#include "verify/harness/golden.hpp"

#include "core/npy.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>

namespace vt::verify {
namespace {

using json = nlohmann::json;
namespace fs = std::filesystem;

struct GoldenCase {
  std::string id, op, regime, library, version, note;
  DType dtype = DType::f32;
  Attrs attrs;
  std::vector<std::string> inputs, outputs;  // relative to dir/data
};

Attrs attrs_from_json(const json& j, const std::string& id) {
  Attrs a;
  if (!j.is_object()) throw Error("golden", {}, id + ": \"attrs\" must be an object");
  for (const auto& [name, v] : j.items()) {
    if (v.is_boolean()) {
      a.set(name, v.get<bool>());
    } else if (v.is_number_integer()) {
      a.set(name, v.get<std::int64_t>());
    } else if (v.is_number_float()) {
      a.set(name, v.get<double>());
    } else if (v.is_string()) {
      a.set(name, v.get<std::string>());
    } else if (v.is_array() && std::all_of(v.begin(), v.end(),
                                           [](const json& e) { return e.is_number_integer(); })) {
      a.set(name, v.get<std::vector<std::int64_t>>());
    } else {
      throw Error("golden", {}, id + ": attribute \"" + name + "\" has an unsupported type");
    }
  }
  return a;
}

std::vector<GoldenCase> load_manifest(const std::string& dir) {
  const std::string path = (fs::path(dir) / "manifest.json").string();
  std::ifstream in(path);
  if (!in) throw Error("golden", {}, "cannot open " + path);
  json m;
  try {
    m = json::parse(in);
    if (m.at("format").get<int>() != 1)
      throw Error("golden", {}, path + ": unsupported manifest format");
    std::vector<GoldenCase> cases;
    for (const json& c : m.at("cases")) {
      GoldenCase g;
      g.id = c.at("id").get<std::string>();
      g.op = c.at("op").get<std::string>();
      g.regime = c.value("regime", "");
      g.library = c.at("library").get<std::string>();
      g.version = c.value("library_version", "");
      g.note = c.value("note", "");
      g.dtype = parse_dtype(c.at("dtype").get<std::string>());
      g.attrs = attrs_from_json(c.value("attrs", json::object()), g.id);
      g.inputs = c.at("inputs").get<std::vector<std::string>>();
      g.outputs = c.at("outputs").get<std::vector<std::string>>();
      cases.push_back(std::move(g));
    }
    return cases;
  } catch (const json::exception& e) {
    throw Error("golden", {}, path + ": malformed manifest: " + e.what());
  }
}

Tensor load(const std::string& dir, const std::string& rel) {
  return read_npy((fs::path(dir) / "data" / rel).string());
}

/// One case's outcome.
struct Outcome {
  const GoldenCase* c = nullptr;
  std::string error;  // the case could not be run (reference or a backend threw, shapes differ)
  Comparison golden;  // the golden output against the reference, in the op's unit
  bool golden_ok = true;
  std::map<std::string, Comparison> backends;  // backend → against the reference
  std::string side;                            // when !golden_ok: "library", "ours" or "both"
  bool failed() const {
    if (!error.empty() || side == "ours" || side == "both") return true;
    return std::any_of(backends.begin(), backends.end(),
                       [](const auto& b) { return b.second.failures > 0; });
  }
};

/// Compares output lists under the op's class, `ref` in float128 (or int64).
Comparison compare_all(const OpSpec& spec, const std::vector<Tensor>& ref_in_hp,
                       const std::vector<Tensor>& ref, const std::vector<Tensor>& got,
                       const Attrs& attrs, DType dtype) {
  Comparison total;
  for (std::size_t o = 0; o < ref.size(); ++o) {
    Tensor bound;
    if (spec.accuracy.cls == AccuracyClass::sum_bound &&
        (o == 0 || spec.accuracy.bounds_every_output) && is_float(got[o].dtype())) {
      bound = Tensor::empty(ref[o].shape(), DType::hp);
      BoundArgs args{ref_in_hp, ref, attrs, precision_of(got[o].dtype()), bound, o};
      spec.accuracy.bound(args);
    }
    const CompareSpec cs{spec.accuracy.cls, class_budget(spec, dtype),
                         spec.accuracy.cls == AccuracyClass::exact,
                         is_float(got[o].dtype()) ? got[o].dtype() : dtype};
    Comparison c = compare_outputs(ref[o], got[o], bound, cs);
    if (c.failures || !total.has_worst || c.max_error > total.max_error) {
      if (!total.failures) {
        total.worst = c.worst;
        total.has_worst = c.has_worst;
      }
    }
    total.max_error = std::max(total.max_error, c.max_error);
    total.elements += c.elements;
    total.failures += c.failures;
    total.sum_sq_error += c.sum_sq_error;
  }
  return total;
}

Outcome run_case(const GoldenCase& g, const std::string& dir) {
  Outcome r;
  r.c = &g;
  try {
    const OpSpec* spec = SpecRegistry::instance().find(g.op);
    if (!spec) throw Error(g.op, {}, "no such op in the catalogue");
    const Implementation* ref = Registry::instance().find(g.op, backend::reference);
    if (!ref) throw Error(g.op, {}, "no reference implementation");
    const Attrs attrs = validate_attrs(spec->attrs, g.attrs, g.op);
    std::vector<Tensor> in, in_hp, golden;
    std::vector<Shape> shapes;
    for (const std::string& p : g.inputs) {
      in.push_back(load(dir, p));
      in_hp.push_back(is_float(in.back().dtype()) ? in.back().to(DType::hp) : in.back());
      shapes.push_back(in.back().shape());
    }
    for (const std::string& p : g.outputs) golden.push_back(load(dir, p));
    const std::vector<OutputDesc> descs = spec->shape_rule(shapes, attrs);
    if (descs.size() != golden.size())
      throw Error(g.op, shapes,
                  "the op has " + std::to_string(descs.size()) + " output(s), the case " +
                      std::to_string(golden.size()));
    OpCall rc{in_hp, attrs, {}};
    for (std::size_t o = 0; o < descs.size(); ++o) {
      const DType want = output_dtype(descs[o], g.dtype, attrs);
      if (golden[o].shape() != descs[o].shape || golden[o].dtype() != want)
        throw Error(g.op, {golden[o].shape(), descs[o].shape},
                    "golden output " + std::to_string(o) + " has shape/dtype " +
                        shape_str(golden[o].shape()) + " " +
                        std::string(dtype_name(golden[o].dtype())) + ", the op gives " +
                        shape_str(descs[o].shape) + " " + std::string(dtype_name(want)));
      rc.outputs.push_back(Tensor::empty(descs[o].shape, output_dtype(descs[o], DType::hp, attrs)));
    }
    ref->forward(rc);
    r.golden = compare_all(*spec, in_hp, rc.outputs, golden, attrs, g.dtype);
    r.golden_ok = r.golden.failures == 0;
    std::optional<bool> ours_agree_with_golden, ours_agree_with_reference;
    for (const std::string& b : spec->backends) {
      if (b == backend::reference) continue;
      const Implementation* impl = Registry::instance().find(g.op, b);
      if (!impl) continue;
      if (std::find(impl->dtypes.begin(), impl->dtypes.end(), g.dtype) == impl->dtypes.end())
        continue;
      OpCall call{in, attrs, {}};
      for (const OutputDesc& d : descs)
        call.outputs.push_back(Tensor::empty(d.shape, output_dtype(d, g.dtype, attrs)));
      impl->forward(call);
      Comparison c = compare_all(*spec, in_hp, rc.outputs, call.outputs, attrs, g.dtype);
      if (!r.golden_ok) {
        std::vector<Tensor> golden_hp;
        for (const Tensor& t : golden)
          golden_hp.push_back(is_float(t.dtype()) ? t.to(DType::hp) : t);
        const bool with_golden =
            compare_all(*spec, in_hp, golden_hp, call.outputs, attrs, g.dtype).failures == 0;
        ours_agree_with_golden = ours_agree_with_golden.value_or(true) && with_golden;
        ours_agree_with_reference = ours_agree_with_reference.value_or(true) && c.failures == 0;
      }
      r.backends[b] = c;
    }
    if (!r.golden_ok) {
      if (ours_agree_with_reference.value_or(false))
        r.side = "library";
      else if (ours_agree_with_golden.value_or(false))
        r.side = "ours";
      else
        r.side = "both";
    }
  } catch (const Error& e) {
    r.error = e.what();
  }
  return r;
}

std::string describe_worst(const Comparison& c, AccuracyClass cls) {
  if (!c.has_worst) return "";
  char buf[256];
  std::string idx;
  for (std::int64_t i : c.worst.index) idx += (idx.empty() ? "" : ",") + std::to_string(i);
  std::snprintf(buf, sizeof buf, "element (%s): got %.17g, reference %.17g, error %.3g %s%s%s",
                idx.c_str(), c.worst.got, c.worst.expected, c.worst.error, class_unit(cls),
                c.worst.reason.empty() ? "" : " — ", c.worst.reason.c_str());
  return buf;
}

}  // namespace

int run_golden(const GoldenOptions& opts, std::FILE* out) {
  const std::vector<GoldenCase> cases = load_manifest(opts.dir);
  std::vector<Outcome> outcomes;
  for (const GoldenCase& g : cases) {
    bool selected = opts.ops.empty();
    for (const std::string& glob : opts.ops) selected = selected || glob_match(glob, g.op);
    if (!opts.case_id.empty()) selected = g.id == opts.case_id;
    if (selected) outcomes.push_back(run_case(g, opts.dir));
  }
  if (outcomes.empty()) throw Error("golden", {}, "no golden case matches the selection");

  // One row per op × dtype × library: the golden's error next to each backend's.
  struct Row {
    int cases = 0, failed = 0, disagreements = 0;
    double golden_max = 0;
    std::map<std::string, double> backend_max;
    std::string library;
    AccuracyClass cls = AccuracyClass::exact;
  };
  std::map<std::string, Row> rows;
  for (const Outcome& o : outcomes) {
    const std::string key = o.c->op + " " + std::string(dtype_name(o.c->dtype));
    Row& row = rows[key];
    row.library = o.c->library + " " + o.c->version;
    if (const OpSpec* s = SpecRegistry::instance().find(o.c->op)) row.cls = s->accuracy.cls;
    ++row.cases;
    row.failed += o.failed();
    row.disagreements += !o.golden_ok;
    row.golden_max = std::max(row.golden_max, o.golden.max_error);
    for (const auto& [b, c] : o.backends)
      row.backend_max[b] = std::max(row.backend_max[b], c.max_error);
  }
  std::fprintf(out, "%-24s %-14s %-10s %5s %12s %12s %6s %s\n", "op dtype", "library", "class",
               "cases", "golden err", "optimized", "disagr", "verdict");
  for (const auto& [key, row] : rows) {
    const auto opt = row.backend_max.find(backend::optimized);
    std::fprintf(out, "%-24s %-14s %-10s %5d %9.3g %-3s %9.3g %-3s %6d %s\n", key.c_str(),
                 row.library.c_str(), class_name(row.cls), row.cases, row.golden_max,
                 class_unit(row.cls), opt == row.backend_max.end() ? 0.0 : opt->second,
                 class_unit(row.cls), row.disagreements, row.failed ? "FAILED" : "passed");
  }
  int failed = 0, library_side = 0;
  for (const Outcome& o : outcomes) {
    const bool bad = o.failed();
    failed += bad;
    library_side += o.side == "library";
    if (!bad && o.golden_ok && !opts.verbose) continue;
    const OpSpec* s = SpecRegistry::instance().find(o.c->op);
    const AccuracyClass cls = s ? s->accuracy.cls : AccuracyClass::exact;
    std::fprintf(out, "\n%s: %s (%s %s, regime %s%s%s)\n", bad ? "FAILED" : "note", o.c->id.c_str(),
                 o.c->library.c_str(), o.c->version.c_str(), o.c->regime.c_str(),
                 o.c->note.empty() ? "" : ", ", o.c->note.c_str());
    if (!o.error.empty()) std::fprintf(out, "  error:  %s\n", o.error.c_str());
    if (!o.golden_ok)
      std::fprintf(
          out,
          "  golden vs reference: %lld of %lld element(s) outside the %s class; %s\n"
          "  off: %s\n",
          static_cast<long long>(o.golden.failures), static_cast<long long>(o.golden.elements),
          class_name(cls), describe_worst(o.golden, cls).c_str(),
          o.side == "library" ? "the library's side (our backends agree with the reference)"
          : o.side == "ours"  ? "our side: the reference is suspect (our backends agree "
                                "with the golden, not with the reference)"
                              : "both sides disagree with each other");
    for (const auto& [b, c] : o.backends)
      if (c.failures)
        std::fprintf(out, "  %s vs reference: %lld element(s) outside the class; %s\n", b.c_str(),
                     static_cast<long long>(c.failures), describe_worst(c, cls).c_str());
    std::fprintf(out, "  repro:  %s golden --dir %s --case %s -v\n", opts.program.c_str(),
                 opts.dir.c_str(), o.c->id.c_str());
  }
  std::fprintf(out,
               "\ngolden: %zu case(s), %d failed, %d disagreement(s) on the library's side "
               "(dir %s)\n",
               outcomes.size(), failed, library_side, opts.dir.c_str());
  return failed ? 1 : 0;
}

}  // namespace vt::verify
