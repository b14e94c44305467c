// core/npy.hpp — reading and writing NumPy .npy files (format versions 1.0, 2.0 and 3.0).
// What it is: a strict parser of untrusted .npy images into vt::Tensor and a writer that emits
// exactly the bytes NumPy 1.24's np.save writes for the same array.
// What it is not: .npz archives, memory mapping, pickled (object) arrays, structured dtypes or
// big-endian data — all of these are rejected with a vt::Error, never guessed at.
#pragma once

#include "core/tensor.hpp"

#include <cstddef>
#include <span>
#include <string>
#include <vector>

namespace vt {

/// Parses a whole .npy image held in memory; `name` (a file name) appears in every error.
/// Accepts versions 1.0/2.0/3.0; dtypes <f4 <f8 <i8 <i4 (also with '=') and |i1 |u1 |b1, mapped
/// to f32, f64, i64, i32, i8, u8, boolean; C order gives a contiguous tensor, Fortran order a
/// tensor with Fortran strides (a transposed view of the file's bytes). The header must be
/// exactly what the format specifies (see core/npy.cpp); the data must have exactly
/// shape × itemsize bytes. Never reads outside `bytes`. Throws vt::Error otherwise.
Tensor parse_npy(std::span<const std::byte> bytes, const std::string& name);

/// Reads the file at `path` and calls parse_npy on it.
Tensor read_npy(const std::string& path);

/// Serialises as .npy format 1.0 (2.0 when the header needs it), C order, little endian: the
/// logical content of `t` in row-major order whatever its strides (0-d, empty, transposed,
/// negative-stride and broadcast tensors included). float128 tensors are an error.
std::vector<std::byte> serialize_npy(const Tensor& t);

/// Writes to a temporary file in the same directory and renames it over `path`: no partial
/// output file is ever left behind (the temporary is removed on any failure).
/// A symbolic link at `path` is replaced by the file, not written through.
void write_npy(const std::string& path, const Tensor& t);

}  // namespace vt
