// core/error.hpp — the one exception type of the library.
// What it is: vt::Error carrying the op, the input shapes and the reason, formatted as one line.
// What it is not: a verification failure — a numerical mismatch is a verdict, not an exception.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace vt {

using Shape = std::vector<std::int64_t>;

/// "(2, 3)" — NumPy's spelling, "()" for a scalar.
std::string shape_str(const Shape& s);

class Error : public std::runtime_error {
 public:
  /// op may be empty (e.g. a file error); shapes are the inputs' shapes when known.
  Error(std::string op, std::vector<Shape> shapes, std::string reason);
  const std::string& op() const { return op_; }
  const std::vector<Shape>& shapes() const { return shapes_; }
  const std::string& reason() const { return reason_; }

 private:
  std::string op_;
  std::vector<Shape> shapes_;
  std::string reason_;
};

}  // namespace vt
