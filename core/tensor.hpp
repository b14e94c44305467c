// core/tensor.hpp — the strided tensor shared by every backend.
// What it is: dtype + shape + strides + offset over reference-counted, 64-byte-aligned storage;
// views without copies (reshape where possible, permute/transpose, slice with step,
// expand/broadcast_to, squeeze/unsqueeze), contiguous(), exact or correctly rounded casts.
// What it is not: an op library (ops live in reference/ and optimized/) or autograd.
#pragma once

#include "core/dtype.hpp"
#include "core/error.hpp"
#include "core/shape.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace vt {

/// Owning, aligned, zero-initialised byte buffer.
class Storage {
 public:
  /// zero: fill with zero bytes (Tensor::empty); false leaves the bytes as the allocator gave them
  /// (Tensor::uninitialized).
  explicit Storage(std::size_t nbytes, bool zero = true);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
  std::byte* data() const { return data_; }
  std::size_t nbytes() const { return nbytes_; }

 private:
  std::byte* data_ = nullptr;  // 64-byte aligned, inside block_
  void* block_ = nullptr;      // what the allocator returned (free() takes this)
  std::size_t nbytes_ = 0;
};

/// Typed, non-owning strided view for element access in loops: x[idx] with idx a multi-index.
template <class T>
struct View {
  T* base = nullptr;  // element at index (0, …, 0)
  Shape shape;
  Strides strides;

  std::int64_t ndim() const { return static_cast<std::int64_t>(shape.size()); }
  std::int64_t offset_of(const std::vector<std::int64_t>& idx) const {
    std::int64_t off = 0;
    for (std::size_t k = 0; k < idx.size(); ++k) off += idx[k] * strides[k];
    return off;
  }
  T& operator[](const std::vector<std::int64_t>& idx) const { return base[offset_of(idx)]; }
};

class Tensor {
 public:
  Tensor() = default;

  /// New contiguous tensor, zero-filled.
  static Tensor empty(const Shape& shape, DType dtype);
  /// New contiguous tensor whose elements are not initialised: for buffers every element of which
  /// is written before it is read — the outputs the autograd engine hands to implementations,
  /// which `veritensor verify` proves write every element (its outputs are canary-filled).
  /// Skipping the zero fill matters for large gradients written once (a 128×784 weight gradient:
  /// 400 KB of memset per backward).
  static Tensor uninitialized(const Shape& shape, DType dtype);
  /// Wraps existing storage (used by the harness to place canaries around an output).
  static Tensor from_storage(std::shared_ptr<Storage> storage, DType dtype, Shape shape,
                             Strides strides, std::int64_t offset);
  /// Contiguous copy of a host vector, e.g. Tensor::from<float>({2, 2}, {1, 2, 3, 4}).
  template <class T>
  static Tensor from(const Shape& shape, const std::vector<T>& values);

  bool defined() const { return storage_ != nullptr; }
  DType dtype() const { return dtype_; }
  const Shape& shape() const { return shape_; }
  const Strides& strides() const { return strides_; }
  std::int64_t offset() const { return offset_; }
  std::int64_t ndim() const { return static_cast<std::int64_t>(shape_.size()); }
  std::int64_t dim(std::int64_t axis) const;
  std::int64_t numel() const { return numel_; }
  bool is_contiguous() const;
  const std::shared_ptr<Storage>& storage() const { return storage_; }

  /// Pointer to element (0, …, 0); checks that T matches the dtype.
  template <class T>
  T* data() const;
  template <class T>
  View<T> view() const {
    return View<T>{data<T>(), shape_, strides_};
  }
  /// Byte address of element (0, …, 0).
  std::byte* raw() const;

  // ---- views (never copy) ----
  Tensor permute(const std::vector<std::int64_t>& order) const;
  Tensor transpose(std::int64_t a, std::int64_t b) const;
  /// Elements start, start+step, … < stop (NumPy semantics; negative indices count from the end,
  /// step ≠ 0, a negative step walks backwards). Out-of-range bounds are clamped like NumPy.
  Tensor slice(std::int64_t axis, std::int64_t start, std::int64_t stop,
               std::int64_t step = 1) const;
  /// NumPy broadcast_to: size-1 (or missing leading) dims become stride 0.
  Tensor expand(const Shape& shape) const;
  Tensor squeeze(std::int64_t axis) const;
  Tensor unsqueeze(std::int64_t axis) const;
  /// A view with the new shape when the strides allow it (one -1 entry is inferred);
  /// an error otherwise. reshape() copies in that case instead.
  Tensor view_as_shape(const Shape& shape) const;
  Tensor reshape(const Shape& shape) const;

  // ---- copies ----
  Tensor contiguous() const;  // *this when already contiguous
  Tensor clone() const;       // always a new contiguous buffer
  /// Converted copy: exact where the target holds every value; float128→float64/float32 and
  /// float64→float32 are correctly rounded to nearest-even; float→int rejects non-integers.
  Tensor to(DType dtype) const;
  /// Copies src (broadcast to this shape) into *this, converting dtypes as `to` does.
  void copy_from(const Tensor& src);

  /// True when some element of *this and some element of other share bytes.
  bool overlaps(const Tensor& other) const;
  /// True when two distinct indices address the same element (e.g. expanded views).
  bool has_internal_overlap() const;
  /// [lowest, highest] byte range touched, relative to storage begin; empty tensors → {0,0}.
  std::pair<std::int64_t, std::int64_t> byte_extent() const;

 private:
  std::shared_ptr<Storage> storage_;
  DType dtype_ = DType::f32;
  Shape shape_;
  Strides strides_;
  std::int64_t offset_ = 0;  // in elements
  std::int64_t numel_ = 0;
  void validate_bounds() const;
  static Tensor allocate(const Shape& shape, DType dtype, bool zero);
};

template <class T>
T* Tensor::data() const {
  if (dtype_ != dtype_of_v<T>)
    throw Error("", {shape_},
                "tensor has dtype " + std::string(dtype_name(dtype_)) + ", accessed as " +
                    std::string(dtype_name(dtype_of_v<T>)));
  return reinterpret_cast<T*>(raw());
}

template <class T>
Tensor Tensor::from(const Shape& shape, const std::vector<T>& values) {
  Tensor t = empty(shape, dtype_of_v<T>);
  if (static_cast<std::int64_t>(values.size()) != t.numel())
    throw Error("", {shape},
                "from(): " + std::to_string(values.size()) + " values for " +
                    std::to_string(t.numel()) + " elements");
  T* p = t.data<T>();
  for (std::size_t i = 0; i < values.size(); ++i) p[i] = values[i];
  return t;
}

/// Reads element idx of a float tensor as hp_t (exact for f32/f64/ints).
hp_t load_hp(const Tensor& t, const std::vector<std::int64_t>& idx);
/// Stores v at idx, rounding to the tensor's dtype (correctly rounded for floats).
void store_hp(const Tensor& t, const std::vector<std::int64_t>& idx, hp_t v);

}  // namespace vt
