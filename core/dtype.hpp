// core/dtype.hpp — element types veritensor knows, and the reference's high-precision scalar.
// What it is: the DType enum, its names and sizes, and the map from C++ types to DTypes.
// What it is not: arithmetic or conversion between tensors (see core/tensor.hpp).
#pragma once

#include <boost/multiprecision/float128.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace vt {

/// The reference's scalar: IEEE binary128 (113 significand bits) through libquadmath.
/// Chosen by measurement (README, "Reference precision"): fastest of the ≥113-bit types here,
/// and 113 ≥ 2·53 + 2, so a +, −, ×, ÷ or sqrt evaluated in it and then rounded to float64
/// (or float32) is correctly rounded (Figueroa, "When is double rounding innocuous?", 1995).
using hp_t = boost::multiprecision::float128;

enum class DType : std::uint8_t { f32, f64, hp, i64, i32, i8, u8, boolean };

constexpr std::size_t itemsize(DType t) {
  switch (t) {
    case DType::f32:
      return 4;
    case DType::f64:
      return 8;
    case DType::hp:
      return 16;
    case DType::i64:
      return 8;
    case DType::i32:
      return 4;
    case DType::i8:
      return 1;
    case DType::u8:
      return 1;
    case DType::boolean:
      return 1;
  }
  return 0;
}

constexpr bool is_float(DType t) { return t == DType::f32 || t == DType::f64 || t == DType::hp; }

/// "float32", "float64", "float128", "int64", "int32", "int8", "uint8", "bool".
std::string_view dtype_name(DType t);
/// Inverse of dtype_name; also accepts "f32", "f64", "hp". Throws vt::Error on anything else.
DType parse_dtype(std::string_view name);

template <class T>
struct dtype_of;
template <>
struct dtype_of<float> {
  static constexpr DType value = DType::f32;
};
template <>
struct dtype_of<double> {
  static constexpr DType value = DType::f64;
};
template <>
struct dtype_of<hp_t> {
  static constexpr DType value = DType::hp;
};
template <>
struct dtype_of<std::int64_t> {
  static constexpr DType value = DType::i64;
};
template <>
struct dtype_of<std::int32_t> {
  static constexpr DType value = DType::i32;
};
template <>
struct dtype_of<std::int8_t> {
  static constexpr DType value = DType::i8;
};
template <>
struct dtype_of<std::uint8_t> {
  static constexpr DType value = DType::u8;
};
template <>
struct dtype_of<bool> {
  static constexpr DType value = DType::boolean;
};
template <class T>
constexpr DType dtype_of_v = dtype_of<T>::value;

/// Calls f(T{}) with T the C++ type of a floating dtype (float, double, hp_t).
template <class F>
decltype(auto) dispatch_float(DType t, F&& f);

}  // namespace vt

#include "core/error.hpp"

namespace vt {
template <class F>
decltype(auto) dispatch_float(DType t, F&& f) {
  switch (t) {
    case DType::f32:
      return f(float{});
    case DType::f64:
      return f(double{});
    case DType::hp:
      return f(hp_t{});
    default:
      break;
  }
  throw Error("", {}, "unsupported dtype " + std::string(dtype_name(t)) + " (expected a float)");
}
}  // namespace vt
