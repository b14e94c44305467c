// core/shape.cpp — checked shape arithmetic and NumPy broadcasting.
// What it is not: tensor storage or views (core/tensor.cpp).
#include "core/shape.hpp"

#include <algorithm>
#include <string>

namespace vt {

std::int64_t checked_mul(std::int64_t a, std::int64_t b, std::string_view what) {
  std::int64_t r;
  if (__builtin_mul_overflow(a, b, &r))
    throw Error("", {},
                std::string(what) + ": size overflows int64 (" + std::to_string(a) + " × " +
                    std::to_string(b) + ")");
  return r;
}

std::int64_t checked_add(std::int64_t a, std::int64_t b, std::string_view what) {
  std::int64_t r;
  if (__builtin_add_overflow(a, b, &r))
    throw Error("", {},
                std::string(what) + ": size overflows int64 (" + std::to_string(a) + " + " +
                    std::to_string(b) + ")");
  return r;
}

std::int64_t shape_numel(const Shape& shape) {
  // The message is built only on overflow: building it for every dimension made this
  // quadratic in the rank (seconds for the 30000-axis shapes a hostile .npy header can hold).
  std::int64_t n = 1;
  for (std::int64_t d : shape) {
    if (d < 0) throw Error("", {shape}, "negative dimension " + std::to_string(d));
    std::int64_t next;
    if (__builtin_mul_overflow(n, d, &next))
      checked_mul(n, d, "number of elements of " + shape_str(shape));  // throws
    n = next;
  }
  return n;
}

Strides contiguous_strides(const Shape& shape) {
  Strides s(shape.size());
  std::int64_t acc = 1;
  for (std::size_t k = shape.size(); k-- > 0;) {
    s[k] = acc;
    const std::int64_t d = std::max<std::int64_t>(shape[k], 1);
    std::int64_t next;
    if (__builtin_mul_overflow(acc, d, &next))
      checked_mul(acc, d, "strides of " + shape_str(shape));  // throws (message built lazily)
    acc = next;
  }
  return s;
}

Shape broadcast_shapes(const std::vector<Shape>& shapes, std::string_view op) {
  std::size_t nd = 0;
  for (const Shape& s : shapes) nd = std::max(nd, s.size());
  Shape out(nd, 1);
  for (const Shape& s : shapes) {
    for (std::size_t k = 0; k < s.size(); ++k) {
      std::size_t o = nd - s.size() + k;
      std::int64_t d = s[k];
      if (d < 0) throw Error(std::string(op), shapes, "negative dimension");
      if (d == out[o] || d == 1) continue;
      if (out[o] == 1) {
        out[o] = d;
        continue;
      }
      throw Error(std::string(op), shapes,
                  "shapes cannot be broadcast together (dimension " + std::to_string(k) + ": " +
                      std::to_string(out[o]) + " vs " + std::to_string(d) + ")");
    }
  }
  return out;
}

std::int64_t normalize_axis(std::int64_t axis, std::int64_t ndim, std::string_view op) {
  // A 0-d tensor accepts axis 0 and −1 (PyTorch's rule for single-axis ops such as softmax).
  if (ndim == 0 && (axis == 0 || axis == -1)) return 0;
  if (axis < -ndim || axis >= ndim)
    throw Error(std::string(op), {},
                "axis " + std::to_string(axis) + " is out of range for " + std::to_string(ndim) +
                    "-d input");
  return axis < 0 ? axis + ndim : axis;
}

std::vector<std::int64_t> normalize_axes(const std::vector<std::int64_t>& axes, std::int64_t ndim,
                                         std::string_view op) {
  std::vector<std::int64_t> out;
  if (axes.empty()) {
    for (std::int64_t k = 0; k < ndim; ++k) out.push_back(k);
    return out;
  }
  for (std::int64_t a : axes) {
    if (a < -ndim || a >= ndim)
      throw Error(std::string(op), {},
                  "axis " + std::to_string(a) + " is out of range for " + std::to_string(ndim) +
                      "-d input");
    out.push_back(a < 0 ? a + ndim : a);
  }
  std::sort(out.begin(), out.end());
  if (std::adjacent_find(out.begin(), out.end()) != out.end())
    throw Error(std::string(op), {}, "repeated axis in reduction");
  return out;
}

Shape reduced_shape(const Shape& in, const std::vector<std::int64_t>& axes, bool keepdims) {
  Shape out;
  for (std::size_t k = 0; k < in.size(); ++k) {
    bool reduced = std::find(axes.begin(), axes.end(), static_cast<std::int64_t>(k)) != axes.end();
    if (!reduced)
      out.push_back(in[k]);
    else if (keepdims)
      out.push_back(1);
  }
  return out;
}

}  // namespace vt
