// core/attrs.hpp — op attributes (axis, keepdims, shape, value, …) and their declared schema.
// What it is: a small typed key/value map, the schema an op spec declares for it, and parsing
// of `k=v` text as the CLI receives it. What it is not: op-specific validation beyond type,
// range and presence (shape rules do the rest).
#pragma once

#include "core/error.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace vt {

using AttrValue = std::variant<std::int64_t, double, bool, std::vector<std::int64_t>, std::string>;
enum class AttrType { integer, real, boolean, ints, string };

struct AttrSpec {
  std::string name;
  AttrType type = AttrType::integer;
  std::optional<AttrValue> default_value;  // none: the attribute is required
  std::string help;
  std::optional<double> min, max;    // inclusive range for integer/real (and each entry of ints)
  std::vector<std::string> choices;  // allowed values for string attributes (empty: any)
};

class Attrs {
 public:
  Attrs() = default;
  Attrs(std::initializer_list<std::pair<const std::string, AttrValue>> init) : values_(init) {}

  void set(const std::string& name, AttrValue v) { values_[name] = std::move(v); }
  bool has(const std::string& name) const { return values_.count(name) != 0; }
  std::int64_t get_int(const std::string& name) const;
  double get_real(const std::string& name) const;  // integers are accepted and converted
  bool get_bool(const std::string& name) const;
  const std::vector<std::int64_t>& get_ints(const std::string& name) const;
  const std::string& get_string(const std::string& name) const;
  const std::map<std::string, AttrValue>& values() const { return values_; }

  /// "axis=1 keepdims=true" — the spelling `--attr` accepts, in name order.
  std::string str() const;

 private:
  const AttrValue& get(const std::string& name) const;
  std::map<std::string, AttrValue> values_;
};

/// "1", "0.5", "true", "1,2,3" (or "" for an empty list), "float32" — parsed per the schema.
AttrValue parse_attr_value(const AttrSpec& spec, const std::string& text, const std::string& op);
std::string attr_value_str(const AttrValue& v);

/// Checks names, types and ranges against the schema and fills defaults; throws vt::Error
/// naming the op and the attribute.
Attrs validate_attrs(const std::vector<AttrSpec>& schema, const Attrs& given,
                     const std::string& op);

}  // namespace vt
