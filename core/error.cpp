// core/error.cpp — formatting of vt::Error. What it is not: error policy (callers decide).
#include "core/error.hpp"

namespace vt {

std::string shape_str(const Shape& s) {
  std::string out = "(";
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (i) out.append(", ");
    out.append(std::to_string(s[i]));
  }
  if (s.size() == 1) out.append(",");
  out.append(")");
  return out;
}

static std::string format_error(const std::string& op, const std::vector<Shape>& shapes,
                                const std::string& reason) {
  std::string msg;
  if (!op.empty()) msg += op;
  if (!shapes.empty()) {
    msg += op.empty() ? "shapes " : " ";
    for (std::size_t i = 0; i < shapes.size(); ++i) {
      if (i) msg.append(", ");
      msg.append(shape_str(shapes[i]));
    }
  }
  if (!msg.empty()) msg.append(": ");
  msg.append(reason);
  return msg;
}

Error::Error(std::string op, std::vector<Shape> shapes, std::string reason)
    : std::runtime_error(format_error(op, shapes, reason)),
      op_(std::move(op)),
      shapes_(std::move(shapes)),
      reason_(std::move(reason)) {}

}  // namespace vt
