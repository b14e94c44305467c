// core/error.hpp — the one exception type of the library.
// What it is: vt::Error carrying the op, the input shapes and the reason, formatted as one line.
// What it is not: a verification failure — a numerical mismatch is a verdict, not an exception.
#pragma once

// GCC 12 reports false -Wstringop-overflow/-overread inside Boost.Container's memmove/memcpy when
// it inlines small_vector's copy and growth paths (the inline buffer is seen as "size 0" or as
// read past its 48 bytes on the heap branch); the pragma covers the header's own lines only, our
// code keeps the warnings.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wstringop-overflow"
#pragma GCC diagnostic ignored "-Wstringop-overread"
#endif
#include <boost/container/small_vector.hpp>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace vt {

/// Dimensions, outermost first. A small vector with room for 6 dimensions inline: tensors are
/// copied into every OpCall, node and view, and with std::vector each copy of a shape and its
/// strides cost two heap allocations — most of the engine's per-op overhead on small tensors
/// (issue 8: 150 of 262 allocations in one (x·w).sum() backward on 10×10).
using Shape = boost::container::small_vector<std::int64_t, 6>;

/// "(2, 3)" — NumPy's spelling, "()" for a scalar.
std::string shape_str(const Shape& s);
/// Attributes hold dimension lists as std::vector (core/attrs.hpp); these convert at the seam.
inline Shape to_shape(const std::vector<std::int64_t>& dims) {
  return Shape(dims.begin(), dims.end());
}
inline std::vector<std::int64_t> to_ints(const Shape& s) {
  return std::vector<std::int64_t>(s.begin(), s.end());
}

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
