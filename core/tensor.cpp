// core/tensor.cpp — storage, views and conversions of vt::Tensor.
// What it is not: fast kernels. Copies here walk indices generically (memcpy when both sides are
// contiguous and of one dtype); the optimized backend has its own copy and transpose kernels.
#include "core/tensor.hpp"

#include "core/sanitizers.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <optional>
#include <utility>

namespace vt {

// ---- storage -------------------------------------------------------------------------------

Storage::Storage(std::size_t nbytes, bool zero) : nbytes_(nbytes) {
  // 64-byte alignment: one cache line, and the widest (AVX-512) vector load.
  // Small buffers come from malloc with 64 bytes of slack, aligned by hand: glibc's memalign
  // path bypasses its per-thread cache and was a third of the autograd engine's per-op time on
  // 10×10 tensors (issue 8); large ones use aligned_alloc (mmap'd either way). Under ASan every
  // buffer is aligned_alloc'd: the hand-aligned slack before data_ would be addressable, and an
  // underflowing read would go unreported instead of hitting ASan's redzone.
  std::size_t alloc = (std::max<std::size_t>(nbytes, 1) + 63) / 64 * 64;
  constexpr std::size_t kSmall = 16384;
  if (!VT_ASAN && alloc <= kSmall) {
    block_ = std::malloc(alloc + 64);
    const auto address = reinterpret_cast<std::uintptr_t>(block_);
    data_ = static_cast<std::byte*>(block_) + ((64 - address % 64) % 64);
  } else {
    block_ = std::aligned_alloc(64, alloc);
    data_ = static_cast<std::byte*>(block_);
  }
  if (!block_) throw Error("", {}, "out of memory allocating " + std::to_string(nbytes) + " bytes");
  if (zero) std::memset(data_, 0, alloc);
  // The rounding slack past nbytes is not the tensor's: under ASan a kernel that reads or writes
  // there (an unmasked vector tail) is reported, not silently served from the padding.
  asan_poison(data_ + nbytes, alloc - nbytes);
}

Storage::~Storage() {
  asan_unpoison(data_, (std::max<std::size_t>(nbytes_, 1) + 63) / 64 * 64);
  std::free(block_);
}

// ---- dtype visiting ------------------------------------------------------------------------

namespace {

template <class F>
decltype(auto) visit_any(DType t, F&& f) {
  switch (t) {
    case DType::f32:
      return f(float{});
    case DType::f64:
      return f(double{});
    case DType::hp:
      return f(hp_t{});
    case DType::i64:
      return f(std::int64_t{});
    case DType::i32:
      return f(std::int32_t{});
    case DType::i8:
      return f(std::int8_t{});
    case DType::u8:
      return f(std::uint8_t{});
    case DType::boolean:
      return f(bool{});
  }
  throw Error("", {}, "corrupt dtype");
}

/// normalize_axis for an axis that indexes the tensor's own dimensions. normalize_axis lets a
/// 0-d tensor take axis 0 or −1 (for single-axis ops such as softmax), but a 0-d tensor has no
/// dimension to index: dim/transpose/slice/squeeze of it must throw, not read shape_[0].
std::size_t dim_index(std::int64_t axis, std::int64_t ndim, std::string_view op) {
  if (ndim == 0)
    throw Error(std::string(op), {},
                "axis " + std::to_string(axis) + " is out of range for 0-d input");
  return static_cast<std::size_t>(normalize_axis(axis, ndim, op));
}

template <class T>
constexpr bool is_floating_v =
    std::is_same_v<T, float> || std::is_same_v<T, double> || std::is_same_v<T, hp_t>;

/// Converts one value; float→float rounds to nearest-even (exact when the target is wider),
/// float→integer requires an integral value in range.
template <class Dst, class Src>
Dst convert_value(Src v) {
  if constexpr (std::is_same_v<Dst, Src>) {
    return v;
  } else if constexpr (is_floating_v<Dst> && is_floating_v<Src>) {
    return static_cast<Dst>(v);  // hp→double/float: libquadmath's correctly rounded conversion
  } else if constexpr (is_floating_v<Dst>) {
    return static_cast<Dst>(v);  // integer or bool → float: exact or correctly rounded
  } else if constexpr (std::is_same_v<Dst, bool>) {
    return v != Src(0);
  } else {
    // → integer: only integral values in range convert.
    if constexpr (is_floating_v<Src>) {
      const hp_t h = static_cast<hp_t>(v);
      if (boost::multiprecision::isnan(h) || h != boost::multiprecision::trunc(h) ||
          h < hp_t(std::numeric_limits<Dst>::min()) || h > hp_t(std::numeric_limits<Dst>::max()))
        throw Error("", {},
                    "cannot convert a non-integral or out-of-range value to " +
                        std::string(dtype_name(dtype_of_v<Dst>)));
      return static_cast<Dst>(static_cast<long long>(h));
    } else if constexpr (std::is_same_v<Src, bool>) {
      return static_cast<Dst>(v ? 1 : 0);
    } else {
      if (!std::in_range<Dst>(v))
        throw Error("", {},
                    "integer value out of range for " + std::string(dtype_name(dtype_of_v<Dst>)));
      return static_cast<Dst>(v);
    }
  }
}

}  // namespace

// ---- construction and bounds ---------------------------------------------------------------

Tensor Tensor::empty(const Shape& shape, DType dtype) { return allocate(shape, dtype, true); }

Tensor Tensor::uninitialized(const Shape& shape, DType dtype) {
  return allocate(shape, dtype, false);
}

Tensor Tensor::allocate(const Shape& shape, DType dtype, bool zero) {
  Tensor t;
  t.numel_ = shape_numel(shape);
  std::int64_t nbytes;  // the message is built only on overflow: empty() is on every op's path
  if (__builtin_mul_overflow(t.numel_, static_cast<std::int64_t>(itemsize(dtype)), &nbytes))
    checked_mul(t.numel_, static_cast<std::int64_t>(itemsize(dtype)),
                "bytes of " + shape_str(shape));  // throws
  t.storage_ = std::make_shared<Storage>(static_cast<std::size_t>(nbytes), zero);
  t.dtype_ = dtype;
  t.shape_ = shape;
  t.strides_ = contiguous_strides(shape);
  t.offset_ = 0;
  return t;
}

Tensor Tensor::from_storage(std::shared_ptr<Storage> storage, DType dtype, Shape shape,
                            Strides strides, std::int64_t offset) {
  if (shape.size() != strides.size())
    throw Error("", {shape}, "from_storage: shape and strides differ in length");
  Tensor t;
  t.storage_ = std::move(storage);
  t.dtype_ = dtype;
  t.numel_ = shape_numel(shape);
  t.shape_ = std::move(shape);
  t.strides_ = std::move(strides);
  t.offset_ = offset;
  t.validate_bounds();
  return t;
}

std::pair<std::int64_t, std::int64_t> Tensor::byte_extent() const {
  if (numel_ == 0) return {0, 0};
  std::int64_t lo = offset_, hi = offset_;
  for (std::size_t k = 0; k < shape_.size(); ++k) {
    std::int64_t span = checked_mul(shape_[k] - 1, strides_[k], "tensor extent");
    if (span < 0)
      lo = checked_add(lo, span, "tensor extent");
    else
      hi = checked_add(hi, span, "tensor extent");
  }
  std::int64_t isz = static_cast<std::int64_t>(itemsize(dtype_));
  return {checked_mul(lo, isz, "tensor extent"),
          checked_add(checked_mul(hi, isz, "tensor extent"), isz, "tensor extent")};
}

void Tensor::validate_bounds() const {
  auto [lo, hi] = byte_extent();
  if (numel_ > 0 && (lo < 0 || hi > static_cast<std::int64_t>(storage_->nbytes())))
    throw Error("", {shape_},
                "view addresses bytes [" + std::to_string(lo) + ", " + std::to_string(hi) +
                    ") outside its storage of " + std::to_string(storage_->nbytes()) + " bytes");
}

std::int64_t Tensor::dim(std::int64_t axis) const { return shape_[dim_index(axis, ndim(), "dim")]; }

bool Tensor::is_contiguous() const {
  std::int64_t expected = 1;
  for (std::size_t k = shape_.size(); k-- > 0;) {
    if (shape_[k] == 1) continue;
    if (shape_[k] == 0) return true;
    if (strides_[k] != expected) return false;
    expected *= shape_[k];
  }
  return true;
}

std::byte* Tensor::raw() const {
  if (!storage_) throw Error("", {}, "access to an undefined tensor");
  return storage_->data() + offset_ * static_cast<std::int64_t>(itemsize(dtype_));
}

// ---- views ---------------------------------------------------------------------------------

Tensor Tensor::permute(const std::vector<std::int64_t>& order) const {
  if (static_cast<std::int64_t>(order.size()) != ndim())
    throw Error("permute", {shape_},
                "permutation has " + std::to_string(order.size()) + " entries for a " +
                    std::to_string(ndim()) + "-d tensor");
  std::vector<bool> seen(order.size(), false);
  Tensor t = *this;
  for (std::size_t k = 0; k < order.size(); ++k) {
    std::int64_t a = normalize_axis(order[k], ndim(), "permute");
    if (seen[static_cast<std::size_t>(a)]) throw Error("permute", {shape_}, "repeated axis");
    seen[static_cast<std::size_t>(a)] = true;
    t.shape_[k] = shape_[static_cast<std::size_t>(a)];
    t.strides_[k] = strides_[static_cast<std::size_t>(a)];
  }
  return t;
}

Tensor Tensor::transpose(std::int64_t a, std::int64_t b) const {
  std::vector<std::int64_t> order(static_cast<std::size_t>(ndim()));
  for (std::size_t k = 0; k < order.size(); ++k) order[k] = static_cast<std::int64_t>(k);
  std::swap(order[dim_index(a, ndim(), "transpose")], order[dim_index(b, ndim(), "transpose")]);
  return permute(order);
}

Tensor Tensor::slice(std::int64_t axis, std::int64_t start, std::int64_t stop,
                     std::int64_t step) const {
  std::size_t a = dim_index(axis, ndim(), "slice");
  if (step == 0) throw Error("slice", {shape_}, "step must not be zero");
  const std::int64_t n = shape_[a];
  // NumPy's PySlice_AdjustIndices.
  auto adjust = [&](std::int64_t i, bool is_start) {
    if (i < 0) {
      i += n;
      if (i < 0) i = step < 0 ? -1 : 0;
    } else if (i >= n) {
      i = step < 0 ? n - 1 : n;
    }
    (void)is_start;
    return i;
  };
  start = adjust(start, true);
  stop = adjust(stop, false);
  // PySlice_AdjustIndices' length formula: unlike ceil((stop - start) / step) written as
  // (stop - start + step - 1) / step it cannot overflow for steps near ±2^63 (and -step is
  // never formed for step = INT64_MIN, where every slice has at most one element).
  std::int64_t len = 0;
  if (step > 0 && stop > start) len = (stop - start - 1) / step + 1;
  if (step < 0 && start > stop)
    len = (step == std::numeric_limits<std::int64_t>::min() ? 0 : (start - stop - 1) / -step) + 1;
  Tensor t = *this;
  if (len > 0) t.offset_ = checked_add(offset_, checked_mul(start, strides_[a], "slice"), "slice");
  t.shape_[a] = len;
  // A dimension of length ≤ 1 never steps: keep its stride instead of forming stride·step,
  // which can overflow for a huge step although the view itself is valid (x[::2**62]).
  t.strides_[a] = len > 1 ? checked_mul(strides_[a], step, "slice") : strides_[a];
  t.numel_ = shape_numel(t.shape_);
  return t;
}

Tensor Tensor::expand(const Shape& shape) const {
  if (shape.size() < shape_.size())
    throw Error("expand", {shape_, shape}, "target has fewer dimensions than the tensor");
  Tensor t = *this;
  std::size_t lead = shape.size() - shape_.size();
  t.shape_ = shape;
  t.strides_.assign(shape.size(), 0);
  for (std::size_t k = 0; k < shape.size(); ++k) {
    if (k < lead) {
      if (shape[k] < 0) throw Error("expand", {shape_, shape}, "negative dimension");
      continue;
    }
    std::int64_t d = shape_[k - lead];
    if (d == shape[k]) {
      t.strides_[k] = strides_[k - lead];
    } else if (d == 1 && shape[k] >= 0) {
      t.strides_[k] = 0;
    } else {
      throw Error("expand", {shape_, shape},
                  "cannot broadcast dimension " + std::to_string(k - lead) + " of size " +
                      std::to_string(d) + " to " + std::to_string(shape[k]));
    }
  }
  t.numel_ = shape_numel(shape);
  return t;
}

Tensor Tensor::squeeze(std::int64_t axis) const {
  std::size_t a = dim_index(axis, ndim(), "squeeze");
  if (shape_[a] != 1)
    throw Error(
        "squeeze", {shape_},
        "cannot squeeze axis " + std::to_string(axis) + " of size " + std::to_string(shape_[a]));
  Tensor t = *this;
  t.shape_.erase(t.shape_.begin() + static_cast<std::ptrdiff_t>(a));
  t.strides_.erase(t.strides_.begin() + static_cast<std::ptrdiff_t>(a));
  return t;
}

Tensor Tensor::unsqueeze(std::int64_t axis) const {
  std::size_t a = static_cast<std::size_t>(normalize_axis(axis, ndim() + 1, "unsqueeze"));
  Tensor t = *this;
  std::int64_t stride = a < shape_.size() ? strides_[a] * std::max<std::int64_t>(shape_[a], 1) : 1;
  t.shape_.insert(t.shape_.begin() + static_cast<std::ptrdiff_t>(a), 1);
  t.strides_.insert(t.strides_.begin() + static_cast<std::ptrdiff_t>(a), stride);
  return t;
}

namespace {

Shape infer_shape(const Shape& requested, std::int64_t numel, const Shape& from) {
  Shape out = requested;
  std::int64_t known = 1;
  int infer = -1;
  for (std::size_t k = 0; k < out.size(); ++k) {
    if (out[k] == -1) {
      if (infer >= 0) throw Error("reshape", {from, requested}, "more than one -1 in the shape");
      infer = static_cast<int>(k);
    } else if (out[k] < 0) {
      throw Error("reshape", {from, requested}, "negative dimension");
    } else {
      known = checked_mul(known, out[k], "reshape");
    }
  }
  if (infer >= 0) {
    if (known == 0 || numel % known != 0)
      throw Error("reshape", {from, requested}, "cannot infer the -1 dimension");
    out[static_cast<std::size_t>(infer)] = numel / known;
  } else if (known != numel) {
    throw Error(
        "reshape", {from, requested},
        "cannot reshape " + std::to_string(numel) + " elements into " + std::to_string(known));
  }
  return out;
}

// PyTorch's computeStride: strides for `shape` that address the same elements in the same
// row-major order as (old_shape, old_strides), or nothing when no such strides exist.
std::optional<Strides> view_strides(const Shape& old_shape, const Strides& old_strides,
                                    const Shape& shape, std::int64_t numel) {
  Strides out(shape.size(), 0);
  if (numel == 0 || old_shape.empty()) return contiguous_strides(shape);
  std::int64_t view_d = static_cast<std::int64_t>(shape.size()) - 1;
  std::int64_t chunk_base = old_strides.back();
  std::int64_t tensor_numel = 1, view_numel = 1;
  for (std::int64_t td = static_cast<std::int64_t>(old_shape.size()) - 1; td >= 0; --td) {
    tensor_numel *= old_shape[static_cast<std::size_t>(td)];
    if (td == 0 || (old_shape[static_cast<std::size_t>(td - 1)] != 1 &&
                    old_strides[static_cast<std::size_t>(td - 1)] != tensor_numel * chunk_base)) {
      while (view_d >= 0 &&
             (view_numel < tensor_numel || shape[static_cast<std::size_t>(view_d)] == 1)) {
        out[static_cast<std::size_t>(view_d)] = view_numel * chunk_base;
        view_numel *= shape[static_cast<std::size_t>(view_d)];
        --view_d;
      }
      if (view_numel != tensor_numel) return std::nullopt;
      if (td > 0) {
        chunk_base = old_strides[static_cast<std::size_t>(td - 1)];
        tensor_numel = 1;
        view_numel = 1;
      }
    }
  }
  if (view_d != -1) return std::nullopt;
  return out;
}

}  // namespace

Tensor Tensor::view_as_shape(const Shape& shape) const {
  Shape s = infer_shape(shape, numel_, shape_);
  auto strides = view_strides(shape_, strides_, s, numel_);
  if (!strides)
    throw Error("view", {shape_, s}, "the strides of the input do not allow a view; use reshape");
  Tensor t = *this;
  t.shape_ = s;
  t.strides_ = *strides;
  return t;
}

Tensor Tensor::reshape(const Shape& shape) const {
  Shape s = infer_shape(shape, numel_, shape_);
  if (view_strides(shape_, strides_, s, numel_)) return view_as_shape(s);
  return contiguous().view_as_shape(s);
}

// ---- copies and conversion -----------------------------------------------------------------

Tensor Tensor::contiguous() const {
  if (is_contiguous()) return *this;
  return clone();
}

Tensor Tensor::clone() const {
  Tensor t = empty(shape_, dtype_);
  t.copy_from(*this);
  return t;
}

Tensor Tensor::to(DType dtype) const {
  Tensor t = empty(shape_, dtype);
  t.copy_from(*this);
  return t;
}

void Tensor::copy_from(const Tensor& src_in) {
  Tensor src = src_in.expand(shape_);
  if (src.dtype_ == dtype_ && src.is_contiguous() && is_contiguous() && numel_ > 0) {
    std::memmove(raw(), src.raw(), static_cast<std::size_t>(numel_) * itemsize(dtype_));
    return;
  }
  if (numel_ > 0 && overlaps(src)) {
    copy_from(src.clone());  // aliasing source: read everything before writing anything
    return;
  }
  visit_any(dtype_, [&](auto d) {
    using D = decltype(d);
    visit_any(src.dtype_, [&](auto s) {
      using S = decltype(s);
      View<D> out = view<D>();
      View<S> in = src.view<S>();
      for_each_index(shape_, [&](const auto& idx) { out[idx] = convert_value<D, S>(in[idx]); });
    });
  });
}

bool Tensor::overlaps(const Tensor& other) const {
  if (!storage_ || !other.storage_ || storage_ != other.storage_) return false;
  if (numel_ == 0 || other.numel_ == 0) return false;
  auto [a0, a1] = byte_extent();
  auto [b0, b1] = other.byte_extent();
  return a0 < b1 && b0 < a1;
}

bool Tensor::has_internal_overlap() const {
  // Sufficient test for injectivity: sorted by |stride|, each stride exceeds the span of all
  // smaller ones. Conservative: a few exotic injective layouts are reported as overlapping.
  if (numel_ == 0) return false;  // no element, so no two indices can share one
  std::vector<std::pair<std::int64_t, std::int64_t>> dims;  // (|stride|, size)
  for (std::size_t k = 0; k < shape_.size(); ++k)
    if (shape_[k] > 1) dims.emplace_back(std::abs(strides_[k]), shape_[k]);
  std::sort(dims.begin(), dims.end());
  std::int64_t span = 0;
  for (auto [stride, size] : dims) {
    if (stride <= span) return true;
    span += stride * (size - 1);
  }
  return false;
}

hp_t load_hp(const Tensor& t, const std::vector<std::int64_t>& idx) {
  return visit_any(t.dtype(), [&](auto d) -> hp_t {
    using D = decltype(d);
    return convert_value<hp_t, D>(t.view<D>()[idx]);
  });
}

void store_hp(const Tensor& t, const std::vector<std::int64_t>& idx, hp_t v) {
  visit_any(t.dtype(), [&](auto d) {
    using D = decltype(d);
    t.view<D>()[idx] = convert_value<D, hp_t>(v);
  });
}

}  // namespace vt
