// fuzz/libfuzzer/attrs.cpp — libFuzzer target: op attribute parsing as `--attr k=v` gives it.
// Input format: lines (split at '\n'); the first is an op name, each further line one `k=v`
// exactly as the CLI receives `--attr k=v`. For the named op — or, when the name is not in the
// catalogue, for every op of the catalogue — it does what `veritensor eval` does with the text:
// splits at the first '=', calls parse_attr_value for attributes the op declares, then
// validate_attrs against the op's AttrSpec list, then the op's shape rule on a few input shapes.
// vt::Error is the expected answer to bad text. On success, every validated value must print
// (attr_value_str) and parse back to the same value — the spelling `Attrs::str()` shows users
// and repro commands is valid `--attr` input. Anything else (another exception, a sanitizer
// report, a mismatch: abort) is a finding.
// What it is not: a test of the ops' kernels (nothing is computed or allocated here).
#include "core/attrs.hpp"
#include "verify/harness/spec.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace {

using vt::Attrs;
using vt::AttrSpec;
using vt::AttrValue;
using vt::Shape;
using vt::verify::OpSpec;

[[noreturn]] void finding(const std::string& what) {
  std::fprintf(stderr, "vt_fuzz_attrs: %s\n", what.c_str());
  std::abort();
}

bool same_value(const AttrValue& a, const AttrValue& b) {
  if (a.index() != b.index()) return false;
  if (auto x = std::get_if<double>(&a)) {
    const double y = std::get<double>(b);
    // The same bits (so +0 and −0 differ), or both NaN.
    return std::bit_cast<std::uint64_t>(*x) == std::bit_cast<std::uint64_t>(y) ||
           (std::isnan(*x) && std::isnan(y));
  }
  return a == b;
}

void check_op(const OpSpec& spec, const std::vector<std::string_view>& kvs) {
  const std::string& op = spec.name;
  Attrs given;
  for (std::string_view kv : kvs) {
    const std::size_t eq = kv.find('=');
    if (eq == std::string_view::npos || eq == 0) return;  // the CLI rejects it (vt::Error)
    const std::string name(kv.substr(0, eq)), text(kv.substr(eq + 1));
    // parse_attr_value on its own, for every declared attribute of that name.
    for (const AttrSpec& a : spec.attrs)
      if (a.name == name) {
        try {
          (void)vt::parse_attr_value(a, text, op);
        } catch (const vt::Error&) {
        }
      }
    given.set(name, text);  // typed by validate_attrs per the schema, as in `veritensor eval`
  }
  Attrs attrs;
  try {
    attrs = vt::validate_attrs(spec.attrs, given, op);
  } catch (const vt::Error&) {
    return;
  }
  // What validation accepted prints as valid `--attr` text for the same value.
  for (const auto& [name, value] : attrs.values()) {
    const AttrSpec* s = nullptr;
    for (const AttrSpec& a : spec.attrs)
      if (a.name == name) s = &a;
    if (!s) finding(op + ": validate_attrs returned undeclared attribute '" + name + "'");
    const std::string shown = vt::attr_value_str(value);
    AttrValue back;
    try {
      back = vt::parse_attr_value(*s, shown, op);
      if (s->type == vt::AttrType::real && std::holds_alternative<std::int64_t>(value))
        back = AttrValue(static_cast<double>(std::get<std::int64_t>(value)));
    } catch (const vt::Error& e) {
      finding(op + ": " + name + "=" + shown + " (as printed) does not parse: " + e.what());
    }
    if (s->type != vt::AttrType::real || !std::holds_alternative<std::int64_t>(value))
      if (!same_value(back, value))
        finding(op + ": " + name + "=" + shown + " parses back to " + vt::attr_value_str(back));
  }
  // The shape rule with validated attributes: only vt::Error may come out, and every output
  // dimension is a size (≥ 0).
  static const std::vector<Shape> kShapes = {{2, 3}, {3}, {}, {0, 4}, {1, 3}, {2, 3, 4}};
  const int lo = spec.min_inputs, hi = std::min(spec.max_inputs, 3);
  for (int n = lo; n <= hi; ++n)
    for (const Shape& s0 : kShapes) {
      std::vector<Shape> shapes(static_cast<std::size_t>(n), s0);
      try {
        for (const vt::verify::OutputDesc& d : spec.shape_rule(shapes, attrs))
          for (std::int64_t dim : d.shape)
            if (dim < 0)
              finding(op + ": the shape rule gives " + vt::shape_str(d.shape) + " for " +
                      attrs.str());
      } catch (const vt::Error&) {
      }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<std::string_view> fields;
  for (std::size_t pos = 0; pos <= text.size();) {
    std::size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    fields.push_back(text.substr(pos, nl - pos));
    pos = nl + 1;
  }
  const std::string op(fields[0]);
  const std::vector<std::string_view> kvs(fields.begin() + 1, fields.end());
  static const std::vector<const OpSpec*> catalogue = vt::verify::SpecRegistry::instance().all();
  if (const OpSpec* s = vt::verify::SpecRegistry::instance().find(op)) {
    check_op(*s, kvs);
  } else {
    for (const OpSpec* s : catalogue) check_op(*s, kvs);
  }
  return 0;
}
