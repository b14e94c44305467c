// core/attrs.cpp — attribute access, parsing and validation. What it is not: shape rules.
#include "core/attrs.hpp"

#include <charconv>
#include <cmath>
#include <limits>
#include <sstream>

namespace vt {

const AttrValue& Attrs::get(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) throw Error("", {}, "missing attribute '" + name + "'");
  return it->second;
}

std::int64_t Attrs::get_int(const std::string& name) const {
  const AttrValue& v = get(name);
  if (auto p = std::get_if<std::int64_t>(&v)) return *p;
  throw Error("", {}, "attribute '" + name + "' is not an integer");
}

double Attrs::get_real(const std::string& name) const {
  const AttrValue& v = get(name);
  if (auto p = std::get_if<double>(&v)) return *p;
  if (auto p = std::get_if<std::int64_t>(&v)) return static_cast<double>(*p);
  throw Error("", {}, "attribute '" + name + "' is not a number");
}

bool Attrs::get_bool(const std::string& name) const {
  const AttrValue& v = get(name);
  if (auto p = std::get_if<bool>(&v)) return *p;
  throw Error("", {}, "attribute '" + name + "' is not a boolean");
}

const std::vector<std::int64_t>& Attrs::get_ints(const std::string& name) const {
  const AttrValue& v = get(name);
  if (auto p = std::get_if<std::vector<std::int64_t>>(&v)) return *p;
  throw Error("", {}, "attribute '" + name + "' is not a list of integers");
}

const std::string& Attrs::get_string(const std::string& name) const {
  const AttrValue& v = get(name);
  if (auto p = std::get_if<std::string>(&v)) return *p;
  throw Error("", {}, "attribute '" + name + "' is not a string");
}

std::string attr_value_str(const AttrValue& v) {
  struct Visitor {
    std::string operator()(std::int64_t x) const { return std::to_string(x); }
    std::string operator()(double x) const {
      std::ostringstream os;
      os.precision(17);
      os << x;
      return os.str();
    }
    std::string operator()(bool x) const { return x ? "true" : "false"; }
    std::string operator()(const std::vector<std::int64_t>& xs) const {
      std::string s;
      for (std::size_t i = 0; i < xs.size(); ++i) s += (i ? "," : "") + std::to_string(xs[i]);
      return s.empty() ? "\"\"" : s;
    }
    std::string operator()(const std::string& x) const { return x; }
  };
  return std::visit(Visitor{}, v);
}

std::string Attrs::str() const {
  std::string s;
  for (const auto& [k, v] : values_) s += (s.empty() ? "" : " ") + k + "=" + attr_value_str(v);
  return s;
}

namespace {

std::int64_t parse_int(const std::string& text, const std::string& op, const std::string& name) {
  std::int64_t x = 0;
  const char* b = text.data();
  const char* e = b + text.size();
  auto [p, ec] = std::from_chars(b, e, x);
  if (ec != std::errc() || p != e || text.empty())
    throw Error(op, {}, "attribute " + name + ": '" + text + "' is not an integer");
  return x;
}

}  // namespace

AttrValue parse_attr_value(const AttrSpec& spec, const std::string& text, const std::string& op) {
  switch (spec.type) {
    case AttrType::integer:
      return parse_int(text, op, spec.name);
    case AttrType::real: {
      // strtod accepts "inf", "nan" and hex floats, as NumPy's float() does.
      if (text.empty()) throw Error(op, {}, "attribute " + spec.name + ": empty value");
      char* end = nullptr;
      double x = std::strtod(text.c_str(), &end);
      if (end != text.c_str() + text.size())
        throw Error(op, {}, "attribute " + spec.name + ": '" + text + "' is not a number");
      return x;
    }
    case AttrType::boolean:
      if (text == "true" || text == "1" || text == "True") return true;
      if (text == "false" || text == "0" || text == "False") return false;
      throw Error(op, {}, "attribute " + spec.name + ": '" + text + "' is not true/false");
    case AttrType::ints: {
      std::vector<std::int64_t> xs;
      if (text.empty() || text == "\"\"" || text == "()" || text == "[]") return xs;
      std::string t = text;
      if ((t.front() == '(' && t.back() == ')') || (t.front() == '[' && t.back() == ']'))
        t = t.substr(1, t.size() - 2);
      std::size_t pos = 0;
      while (pos <= t.size()) {
        std::size_t comma = t.find(',', pos);
        std::string item =
            t.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
        while (!item.empty() && item.front() == ' ') item.erase(item.begin());
        while (!item.empty() && item.back() == ' ') item.pop_back();
        if (!(item.empty() && comma == std::string::npos && !xs.empty()))
          xs.push_back(parse_int(item, op, spec.name));
        if (comma == std::string::npos) break;
        pos = comma + 1;
      }
      return xs;
    }
    case AttrType::string:
      return text;
  }
  throw Error(op, {}, "attribute " + spec.name + ": unknown type");
}

Attrs validate_attrs(const std::vector<AttrSpec>& schema, const Attrs& given,
                     const std::string& op) {
  Attrs out;
  for (const auto& entry : given.values()) {
    // Named references, not a structured binding: clang 14 cannot capture bindings in a lambda.
    const std::string& name = entry.first;
    const AttrValue& value = entry.second;
    const AttrSpec* s = nullptr;
    for (const AttrSpec& a : schema)
      if (a.name == name) s = &a;
    if (!s) {
      std::string known;
      for (const AttrSpec& a : schema) known += (known.empty() ? "" : ", ") + a.name;
      throw Error(op, {},
                  "unknown attribute '" + name + "'" +
                      (known.empty() ? " (this op takes none)" : " (known: " + known + ")"));
    }
    AttrValue v = value;
    // Accept an integer where a real is declared; a string where anything is (CLI text).
    if (s->type == AttrType::real && std::holds_alternative<std::int64_t>(v))
      v = static_cast<double>(std::get<std::int64_t>(v));
    if (s->type != AttrType::string && std::holds_alternative<std::string>(v))
      v = parse_attr_value(*s, std::get<std::string>(v), op);
    bool ok = (s->type == AttrType::integer && std::holds_alternative<std::int64_t>(v)) ||
              (s->type == AttrType::real && std::holds_alternative<double>(v)) ||
              (s->type == AttrType::boolean && std::holds_alternative<bool>(v)) ||
              (s->type == AttrType::ints && std::holds_alternative<std::vector<std::int64_t>>(v)) ||
              (s->type == AttrType::string && std::holds_alternative<std::string>(v));
    if (!ok) throw Error(op, {}, "attribute '" + name + "' has the wrong type");
    auto check_range = [&](double x) {
      if ((s->min && x < *s->min) || (s->max && x > *s->max))
        throw Error(op, {},
                    "attribute " + name + "=" + attr_value_str(v) + " is out of range [" +
                        (s->min ? attr_value_str(*s->min) : "-inf") + ", " +
                        (s->max ? attr_value_str(*s->max) : "inf") + "]");
    };
    if (auto p = std::get_if<std::int64_t>(&v)) check_range(static_cast<double>(*p));
    if (auto p = std::get_if<double>(&v))
      if (s->min || s->max) {
        if (std::isnan(*p)) throw Error(op, {}, "attribute " + name + " is NaN");
        check_range(*p);
      }
    if (auto p = std::get_if<std::vector<std::int64_t>>(&v))
      for (std::int64_t x : *p) check_range(static_cast<double>(x));
    if (auto p = std::get_if<std::string>(&v); p && !s->choices.empty()) {
      bool found = false;
      std::string list;
      for (const std::string& c : s->choices) {
        found |= c == *p;
        if (!list.empty()) list += ", ";
        list += c;
      }
      if (!found) throw Error(op, {}, "attribute " + name + "='" + *p + "' is not one of " + list);
    }
    out.set(name, v);
  }
  for (const AttrSpec& s : schema) {
    if (out.has(s.name)) continue;
    if (!s.default_value) throw Error(op, {}, "missing required attribute '" + s.name + "'");
    out.set(s.name, *s.default_value);
  }
  return out;
}

}  // namespace vt
