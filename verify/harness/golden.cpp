// verify/harness/golden.cpp — the golden-file comparison (see golden.hpp).
#include "verify/harness/golden.hpp"

#include "core/npy.hpp"
#include "verify/harness/gradcheck.hpp"

#include <openssl/evp.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <variant>

namespace vt::verify {
namespace {

using json = nlohmann::json;
namespace fs = std::filesystem;

constexpr const char* kRegenerate = "/usr/bin/python3 golden/generate.py";

struct GoldenCase {
  std::string id, op, regime, library, version, note;
  bool vjp = false;  // kind "vjp": inputs are the forward inputs, then the output gradients
  std::size_t forward_inputs = 0;
  DType dtype = DType::f32;
  Attrs attrs;
  std::vector<std::string> inputs, outputs;  // relative to dir/data
};

struct Manifest {
  std::vector<GoldenCase> cases;
  std::map<std::string, std::string> sha256;  // file (relative to dir/data) → hex digest
};

/// The lowercase hex SHA-256 of a file (OpenSSL's EVP API); nullopt when it cannot be read.
std::optional<std::string> sha256_hex(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1)
    throw Error("golden", {}, "OpenSSL: cannot initialise SHA-256");
  std::array<char, 1 << 16> buf;
  while (in) {
    in.read(buf.data(), buf.size());
    if (in.gcount() > 0 &&
        EVP_DigestUpdate(ctx.get(), buf.data(), static_cast<std::size_t>(in.gcount())) != 1)
      throw Error("golden", {}, "OpenSSL: SHA-256 update failed");
  }
  if (in.bad()) return std::nullopt;
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (EVP_DigestFinal_ex(ctx.get(), md, &n) != 1)
    throw Error("golden", {}, "OpenSSL: SHA-256 final failed");
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < n; ++i) {
    out += hex[md[i] >> 4];
    out += hex[md[i] & 15];
  }
  return out;
}

/// "" when every file of the case exists and matches the manifest's sha256; else what is wrong
/// (the first file that is missing, unlisted or edited).
std::string check_hashes(const GoldenCase& g, const std::string& dir,
                         const std::map<std::string, std::string>& sha256) {
  std::vector<std::string> files = g.inputs;
  files.insert(files.end(), g.outputs.begin(), g.outputs.end());
  for (const std::string& rel : files) {
    const std::string path = (fs::path(dir) / "data" / rel).string();
    const auto want = sha256.find(rel);
    if (want == sha256.end())
      return "no sha256 for data/" + rel + " in the manifest; regenerate with " + kRegenerate;
    const std::optional<std::string> got = sha256_hex(path);
    if (!got) return "missing file: " + path + " (regenerate with " + kRegenerate + ")";
    if (*got != want->second)
      return "hash mismatch: " + path + " (sha256 " + got->substr(0, 16) + "…, the manifest " +
             want->second.substr(0, 16) + "…) — edited? regenerate with " + kRegenerate;
  }
  return "";
}

/// Strict JSON has no NaN or infinity: the manifest spells them "nan", "inf", "-inf". Such a
/// string becomes a double where the op's attribute is a real; any other string given for a
/// real attribute is an error.
Attrs resolve_special_reals(const std::vector<AttrSpec>& schema, const Attrs& given,
                            const std::string& id) {
  Attrs out = given;
  for (const auto& entry : given.values()) {
    const std::string& name = entry.first;  // clang 14 cannot capture a structured binding
    const auto* text = std::get_if<std::string>(&entry.second);
    if (!text) continue;
    const auto spec = std::find_if(schema.begin(), schema.end(),
                                   [&](const AttrSpec& a) { return a.name == name; });
    if (spec == schema.end() || spec->type != AttrType::real) continue;
    if (*text == "nan")
      out.set(name, std::numeric_limits<double>::quiet_NaN());
    else if (*text == "inf")
      out.set(name, std::numeric_limits<double>::infinity());
    else if (*text == "-inf")
      out.set(name, -std::numeric_limits<double>::infinity());
    else
      throw Error("golden", {},
                  id + ": attribute \"" + name + "\" is a real: a number or \"nan\", \"inf\", " +
                      "\"-inf\", not \"" + *text + "\"");
  }
  return out;
}

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

Manifest load_manifest(const std::string& dir) {
  const std::string path = (fs::path(dir) / "manifest.json").string();
  std::ifstream in(path);
  if (!in) throw Error("golden", {}, "cannot open " + path);
  json m;
  try {
    m = json::parse(in);
    if (m.at("format").get<int>() != 1)
      throw Error("golden", {}, path + ": unsupported manifest format");
    Manifest man;
    if (m.contains("sha256")) man.sha256 = m.at("sha256").get<std::map<std::string, std::string>>();
    for (const json& c : m.at("cases")) {
      GoldenCase g;
      g.id = c.at("id").get<std::string>();
      g.op = c.at("op").get<std::string>();
      g.regime = c.value("regime", "");
      g.library = c.at("library").get<std::string>();
      g.version = c.value("library_version", "");
      g.note = c.value("note", "");
      const std::string kind = c.value("kind", "forward");
      if (kind != "forward" && kind != "vjp")
        throw Error("golden", {}, g.id + ": unknown kind \"" + kind + "\"");
      g.vjp = kind == "vjp";
      if (g.vjp) g.forward_inputs = c.at("forward_inputs").get<std::size_t>();
      g.dtype = parse_dtype(c.at("dtype").get<std::string>());
      g.attrs = attrs_from_json(c.value("attrs", json::object()), g.id);
      g.inputs = c.at("inputs").get<std::vector<std::string>>();
      g.outputs = c.at("outputs").get<std::vector<std::string>>();
      if (g.forward_inputs > g.inputs.size())
        throw Error("golden", {}, g.id + ": forward_inputs exceeds the inputs");
      man.cases.push_back(std::move(g));
    }
    return man;
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

/// Adds one comparison to a running total (the worst element: the first failing one, else the
/// largest error).
void merge(Comparison& total, const Comparison& c) {
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
    merge(total, compare_outputs(ref[o], got[o], bound, cs));
  }
  return total;
}

std::vector<Tensor> to_hp(const std::vector<Tensor>& ts) {
  std::vector<Tensor> out;
  for (const Tensor& t : ts) out.push_back(is_float(t.dtype()) ? t.to(DType::hp) : t);
  return out;
}

/// Which side is off, from whether our backends agree with the reference and with the golden.
std::string side_of(std::optional<bool> with_reference, std::optional<bool> with_golden) {
  if (with_reference.value_or(false)) return "library";
  if (with_golden.value_or(false)) return "ours";
  return "both";
}

/// A "vjp" case: the float128 reference forward and VJP from the stored inputs and output
/// gradients (converted exactly); the library's gradients held to it under the op's GradSpec
/// class, then every backend's VJP (from its own forward, in the case dtype) likewise.
void run_vjp(const GoldenCase& g, const std::string& dir, const OpSpec& spec,
             const Implementation& ref, const Attrs& attrs, Outcome& r) {
  if (!spec.differentiable || !ref.backward)
    throw Error(g.op, {}, "the op is not differentiable (no VJP)");
  std::vector<Tensor> x, v, golden;
  std::vector<Shape> shapes;
  for (std::size_t i = 0; i < g.inputs.size(); ++i) {
    Tensor t = load(dir, g.inputs[i]);
    if (i < g.forward_inputs) {
      shapes.push_back(t.shape());
      x.push_back(std::move(t));
    } else {
      v.push_back(std::move(t));
    }
  }
  for (const std::string& p : g.outputs) golden.push_back(load(dir, p));
  const std::vector<OutputDesc> descs = spec.shape_rule(shapes, attrs);
  if (descs.size() != v.size())
    throw Error(g.op, shapes,
                "the op has " + std::to_string(descs.size()) + " output(s), the case " +
                    std::to_string(v.size()) + " output gradient(s)");
  for (std::size_t o = 0; o < descs.size(); ++o) {
    const DType want = output_dtype(descs[o], g.dtype, attrs);
    if (v[o].shape() != descs[o].shape || v[o].dtype() != want)
      throw Error(g.op, {v[o].shape(), descs[o].shape},
                  "output gradient " + std::to_string(o) + " has shape/dtype " +
                      shape_str(v[o].shape()) + " " + std::string(dtype_name(v[o].dtype())) +
                      ", the output is " + shape_str(descs[o].shape) + " " +
                      std::string(dtype_name(want)));
  }
  std::vector<std::size_t> diff;  // the differentiable inputs, in order: one golden each
  for (std::size_t i = 0; i < x.size(); ++i)
    if (differentiable_input(spec, x[i], i)) diff.push_back(i);
  if (diff.size() != golden.size())
    throw Error(g.op, shapes,
                "the op has " + std::to_string(diff.size()) +
                    " differentiable input(s), the case " + std::to_string(golden.size()) +
                    " gradient(s)");
  for (std::size_t j = 0; j < diff.size(); ++j) {
    const Tensor& xi = x[diff[j]];
    if (golden[j].shape() != xi.shape() || golden[j].dtype() != xi.dtype())
      throw Error(g.op, {golden[j].shape(), xi.shape()},
                  "golden gradient " + std::to_string(j) + " has shape/dtype " +
                      shape_str(golden[j].shape()) + " " +
                      std::string(dtype_name(golden[j].dtype())) + ", input " +
                      std::to_string(diff[j]) + " is " + shape_str(xi.shape()) + " " +
                      std::string(dtype_name(xi.dtype())));
  }
  const std::vector<Tensor> x_hp = to_hp(x), v_hp = to_hp(v);
  OpCall rc{x_hp, attrs, {}};
  for (const OutputDesc& d : descs)
    rc.outputs.push_back(Tensor::empty(d.shape, output_dtype(d, DType::hp, attrs)));
  ref.forward(rc);
  std::vector<Tensor> ref_g(x.size());
  for (std::size_t i : diff) ref_g[i] = Tensor::empty(x[i].shape(), DType::hp);
  BackwardCall rb{&rc, v_hp, ref_g};
  ref.backward(rb);
  // Each gradient is held in its input's dtype (cast: the case dtype is the input's).
  auto grade = [&](const std::vector<Tensor>& reference, const std::vector<Tensor>& got) {
    Comparison total;
    for (std::size_t j = 0; j < diff.size(); ++j)
      merge(total, compare_gradient(spec, x_hp, rc.outputs, v_hp, attrs, x[diff[j]].dtype(),
                                    diff[j], reference[diff[j]], got[j]));
    return total;
  };
  r.golden = grade(ref_g, golden);
  r.golden_ok = r.golden.failures == 0;
  std::vector<Tensor> golden_hp(x.size());
  for (std::size_t j = 0; j < diff.size(); ++j) golden_hp[diff[j]] = golden[j].to(DType::hp);
  std::optional<bool> with_golden, with_reference;
  for (const std::string& b : runnable_backends(spec)) {
    if (b == backend::reference) continue;
    const Implementation* impl = Registry::instance().find(g.op, b);
    if (!impl || !impl->backward) continue;
    if (std::find(impl->dtypes.begin(), impl->dtypes.end(), g.dtype) == impl->dtypes.end())
      continue;
    OpCall call{x, attrs, {}};
    for (const OutputDesc& d : descs)
      call.outputs.push_back(Tensor::empty(d.shape, output_dtype(d, g.dtype, attrs)));
    impl->forward(call);
    std::vector<Tensor> grads(x.size());
    for (std::size_t i : diff) grads[i] = Tensor::empty(x[i].shape(), x[i].dtype());
    BackwardCall bc{&call, v, grads};
    impl->backward(bc);
    std::vector<Tensor> got;
    for (std::size_t i : diff) got.push_back(grads[i]);
    const Comparison c = grade(ref_g, got);
    if (!r.golden_ok) {
      with_golden = with_golden.value_or(true) && grade(golden_hp, got).failures == 0;
      with_reference = with_reference.value_or(true) && c.failures == 0;
    }
    r.backends[b] = c;
  }
  if (!r.golden_ok) r.side = side_of(with_reference, with_golden);
}

Outcome run_case(const GoldenCase& g, const std::string& dir,
                 const std::map<std::string, std::string>& sha256) {
  Outcome r;
  r.c = &g;
  try {
    const OpSpec* spec = SpecRegistry::instance().find(g.op);
    if (!spec) throw Error(g.op, {}, "no such op in the catalogue");
    const Implementation* ref = Registry::instance().find(g.op, backend::reference);
    if (!ref) throw Error(g.op, {}, "no reference implementation");
    if (std::string bad = check_hashes(g, dir, sha256); !bad.empty()) {
      r.error = bad;
      return r;
    }
    const Attrs attrs =
        validate_attrs(spec->attrs, resolve_special_reals(spec->attrs, g.attrs, g.id), g.op);
    if (g.vjp) {
      run_vjp(g, dir, *spec, *ref, attrs, r);
      return r;
    }
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
    for (const std::string& b : runnable_backends(*spec)) {
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
    if (!r.golden_ok) r.side = side_of(ours_agree_with_reference, ours_agree_with_golden);
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
  const Manifest manifest = load_manifest(opts.dir);
  std::vector<Outcome> outcomes;
  for (const GoldenCase& g : manifest.cases) {
    bool selected = opts.ops.empty();
    for (const std::string& glob : opts.ops) selected = selected || glob_match(glob, g.op);
    if (!opts.case_id.empty()) selected = g.id == opts.case_id;
    if (selected) outcomes.push_back(run_case(g, opts.dir, manifest.sha256));
  }
  if (outcomes.empty()) throw Error("golden", {}, "no golden case matches the selection");

  // The class a case is graded in: the op's forward class, or its GradSpec class (vjp).
  auto class_of = [](const GoldenCase& c) {
    const OpSpec* s = SpecRegistry::instance().find(c.op);
    if (!s) return AccuracyClass::exact;
    return c.vjp ? s->grad.cls : s->accuracy.cls;
  };
  // One row per op × kind × dtype × library: the golden's error next to each backend's.
  struct Row {
    int cases = 0, failed = 0, disagreements = 0;
    double golden_max = 0;
    std::map<std::string, double> backend_max;
    std::string library;
    AccuracyClass cls = AccuracyClass::exact;
  };
  std::map<std::string, Row> rows;
  for (const Outcome& o : outcomes) {
    const std::string key = o.c->op + (o.c->vjp ? " vjp " : " ") +
                            std::string(dtype_name(o.c->dtype)) + "\t" + o.c->library;
    Row& row = rows[key];
    row.library = o.c->library + " " + o.c->version;
    row.cls = class_of(*o.c);
    ++row.cases;
    row.failed += o.failed();
    row.disagreements += !o.golden_ok;
    row.golden_max = std::max(row.golden_max, o.golden.max_error);
    for (const auto& [b, c] : o.backends)
      row.backend_max[b] = std::max(row.backend_max[b], c.max_error);
  }
  std::fprintf(out, "%-28s %-14s %-10s %5s %12s %12s %6s %s\n", "op dtype", "library", "class",
               "cases", "golden err", "optimized", "disagr", "verdict");
  for (const auto& [key, row] : rows) {
    const auto opt = row.backend_max.find(backend::optimized);
    const std::string name = key.substr(0, key.find('\t'));
    std::fprintf(out, "%-28s %-14s %-10s %5d %9.3g %-3s %9.3g %-3s %6d %s\n", name.c_str(),
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
    const AccuracyClass cls = class_of(*o.c);
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
