// core/dtype.cpp — dtype names. What it is not: conversions (core/tensor.cpp).
#include "core/dtype.hpp"

namespace vt {

std::string_view dtype_name(DType t) {
  switch (t) {
    case DType::f32:
      return "float32";
    case DType::f64:
      return "float64";
    case DType::hp:
      return "float128";
    case DType::i64:
      return "int64";
    case DType::i32:
      return "int32";
    case DType::i8:
      return "int8";
    case DType::u8:
      return "uint8";
    case DType::boolean:
      return "bool";
  }
  return "?";
}

DType parse_dtype(std::string_view n) {
  if (n == "float32" || n == "f32") return DType::f32;
  if (n == "float64" || n == "f64") return DType::f64;
  if (n == "float128" || n == "hp") return DType::hp;
  if (n == "int64" || n == "i64") return DType::i64;
  if (n == "int32" || n == "i32") return DType::i32;
  if (n == "int8" || n == "i8") return DType::i8;
  if (n == "uint8" || n == "u8") return DType::u8;
  if (n == "bool") return DType::boolean;
  throw Error("", {},
              "unknown dtype '" + std::string(n) +
                  "' (expected float32, float64, float128, int64, int32, int8, uint8, bool)");
}

}  // namespace vt
