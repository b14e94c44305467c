// verify/harness/spec.cpp — the spec registry and the precision constants of the classes.
// What it is not: comparison (harness/compare.cpp).
#include "verify/harness/spec.hpp"

#include <algorithm>

namespace vt::verify {

const char* class_name(AccuracyClass c) {
  switch (c) {
    case AccuracyClass::exact:
      return "exact";
    case AccuracyClass::ulp:
      return "ulp";
    case AccuracyClass::sum_bound:
      return "sum-bound";
    case AccuracyClass::residual:
      return "residual";
    case AccuracyClass::statistical:
      return "statistical";
  }
  return "?";
}

const char* class_unit(AccuracyClass c) {
  switch (c) {
    case AccuracyClass::exact:
      return "ulp";
    case AccuracyClass::ulp:
      return "ulp";
    case AccuracyClass::sum_bound:
      return "bound";
    default:
      return "ratio";
  }
}

const char* regime_name(Regime r) {
  switch (r) {
    case Regime::exact:
      return "exact";
    case Regime::random:
      return "random";
    case Regime::adversarial:
      return "adversarial";
    case Regime::structural:
      return "structural";
  }
  return "?";
}

Precision precision_of(DType t) {
  switch (t) {
    case DType::f32:
      return {boost::multiprecision::ldexp(hp_t(1), -24),
              boost::multiprecision::ldexp(hp_t(1), -149), 24};
    case DType::f64:
      return {boost::multiprecision::ldexp(hp_t(1), -53),
              boost::multiprecision::ldexp(hp_t(1), -1074), 53};
    default:
      throw Error("", {}, "no target precision for " + std::string(dtype_name(t)));
  }
}

hp_t gamma_n(std::int64_t n, const Precision& p) {
  const hp_t nu = hp_t(n) * p.u;
  if (nu >= 1) return std::numeric_limits<hp_t>::infinity();
  return nu / (1 - nu);
}

SpecRegistry& SpecRegistry::instance() {
  static SpecRegistry r;
  return r;
}

void SpecRegistry::add(OpSpec spec) {
  if (find(spec.name)) throw Error(spec.name, {}, "spec registered twice");
  specs_.push_back(std::move(spec));
}

const OpSpec* SpecRegistry::find(const std::string& name) const {
  for (const OpSpec& s : specs_)
    if (s.name == name) return &s;
  return nullptr;
}

std::vector<const OpSpec*> SpecRegistry::all() const {
  std::vector<const OpSpec*> out;
  for (const OpSpec& s : specs_) out.push_back(&s);
  std::sort(out.begin(), out.end(), [](auto a, auto b) {
    return std::tie(a->family, a->name) < std::tie(b->family, b->name);
  });
  return out;
}

std::vector<std::string> promised_backends(const OpSpec& spec) {
  std::vector<std::string> b = spec.backends;
  if (Registry::instance().availability(backend::cuda).linked &&
      std::find(b.begin(), b.end(), backend::cuda) == b.end())
    b.push_back(backend::cuda);
  return b;
}

std::vector<std::string> runnable_backends(const OpSpec& spec) {
  std::vector<std::string> b;
  for (const std::string& name : promised_backends(spec))
    if (Registry::instance().availability(name).available) b.push_back(name);
  return b;
}

bool second_order_promised(const OpSpec& spec, const std::string& backend) {
  return spec.grad.second.promised && backend != backend::cuda;
}

DType output_dtype(const OutputDesc& d, DType dtype, const Attrs& attrs) {
  switch (d.kind) {
    case OutKind::same_float:
      return dtype;
    case OutKind::int64:
      return DType::i64;
    case OutKind::attr_dtype:
      return dtype == DType::hp ? DType::hp : parse_dtype(attrs.get_string("dtype"));
  }
  return dtype;
}

}  // namespace vt::verify
