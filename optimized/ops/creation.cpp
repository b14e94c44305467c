// optimized/ops/creation.cpp — float32/float64 zeros, ones, full, arange, eye and cast.
// Shaped this way because: creation is a store-bound loop, so one generator writes value(i) for
// the flat index i over contiguous chunks on the thread pool (the constant fills vectorize to
// plain vector stores); a strided output is generated contiguously and copied in. cast uses the
// loop engine's dimension merging (optimized/core/loops.hpp) with a unit-stride inner loop GCC
// vectorizes (vcvtpd2ps/vcvtps2pd), the hardware conversion rounding to nearest-even.
// Accuracy: every element is correctly rounded (exact class) — full rounds its double value
// once; arange computes start + i·step with one rounding (float64: one fma; float32: see
// arange_f32 below); cast is one IEEE conversion, and so is its VJP (g converted to x's dtype).
// What it is not: a random-number creator (that is the sampling family).
#include "optimized/core/loops.hpp"

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>

namespace vt::opt {
namespace {

/// out[i] = value_at(i) for the row-major flat index i. T: float or double.
template <class T, class F>
void generate(const Tensor& out, F value_at) {
  const std::int64_t n = out.numel();
  if (n == 0) return;
  if (!out.is_contiguous()) {
    Tensor tmp = Tensor::empty(out.shape(), out.dtype());
    generate<T>(tmp, value_at);
    Tensor(out).copy_from(tmp);
    return;
  }
  T* const o = out.data<T>();
  parallel_for(Family::creation, n, kElementwiseGrain,
               [&](std::int64_t, std::int64_t b, std::int64_t e) {
                 for (std::int64_t i = b; i < e; ++i) o[i] = value_at(i);
               });
}

template <class F>
void dispatch(const Tensor& out, const char* op, F f) {
  switch (out.dtype()) {
    case DType::f32:
      f(float{});
      break;
    case DType::f64:
      f(double{});
      break;
    default:
      throw Error(op, {},
                  "optimized backend supports float32 and float64, not " +
                      std::string(dtype_name(out.dtype())));
  }
}

void fill(OpCall& c, const char* op, double value) {
  dispatch(c.outputs.at(0), op, [&](auto t) {
    using T = decltype(t);
    const T v = static_cast<T>(value);  // double → float rounds to nearest-even
    generate<T>(c.outputs[0], [v](std::int64_t) { return v; });
  });
}

void zeros_forward(OpCall& c) { fill(c, "zeros", 0.0); }
void ones_forward(OpCall& c) { fill(c, "ones", 1.0); }
void full_forward(OpCall& c) { fill(c, "full", c.attrs.get_real("value")); }

// ---- arange ------------------------------------------------------------------------------------
// float64: fma(i, step, start) rounds the exact start + i·step once (i < 2^53 is exact).
//
// float32: d = fma(i, step, start) = RN53(v) for the exact v, then f = RN24(d). This double
// rounding equals RN24(v) unless d lies exactly on a float32 rounding boundary m (the midpoint
// of two adjacent floats, all of which are doubles): RN53 is monotone and fixes doubles, so
// v < m ⇒ d ≤ m and v > m ⇒ d ≥ m, and when d ≠ m it sits strictly on v's side of every
// boundary. The overflow threshold 2^128 − 2^103 is such a midpoint too. So the fast path is
// exact except when d is a float32 midpoint, or below 2^-126 (float32 subnormals: the midpoint
// test below assumes normal spacing); those rare elements take the exact path, which computes
// v rounded to odd in binary128 (i·step exact for i < 2^60, TwoSum for the addition) and
// rounds that once to float — correct because binary128 has ≥ 2 more bits than float32
// (Boldo & Melquiond 2008; same technique as reference/ops/creation.hpp).
// A double d in [2^-126, 2^128) is a float32 midpoint iff its 29 low significand bits are
// 1 followed by 28 zeros (the first bit below float precision set, nothing after it).
bool float32_uncertain(double d) {
  const std::uint64_t bits = std::bit_cast<std::uint64_t>(d);
  const int biased = static_cast<int>((bits >> 52) & 0x7ff);
  if (biased == 0x7ff) return false;     // inf (v overflowed double): float inf too
  if (biased < 1023 - 126) return true;  // |d| < 2^-126, including ±0
  return (bits & ((std::uint64_t{1} << 29) - 1)) == (std::uint64_t{1} << 28);
}

__extension__ typedef unsigned __int128 QuadBits;  // binary128's encoding as an integer

bool quad_last_bit_odd(__float128 x) {
  QuadBits b;
  std::memcpy(&b, &x, sizeof b);
  return (b & 1) != 0;  // significand LSB (x normal here: |x| ≥ 2^-1074 ≫ 2^-16382)
}

float arange_f32_exact(double start, double step, std::int64_t i) {
  const __float128 p = static_cast<__float128>(i) * step;  // exact
  const __float128 a = start;
  const __float128 s = a + p;
  const __float128 bv = s - a;
  const __float128 err = (a - (s - bv)) + (p - bv);  // TwoSum: a + p − s exactly
  __float128 odd = s;
  if (err != 0 && !quad_last_bit_odd(s)) {
    // Step one binary128 ulp towards the exact value: the neighbour with an odd last bit. For
    // s of even last bit, the integer encoding ±1 is that neighbour (s ≠ 0: err ≠ 0 means the
    // exact sum is not representable, hence not 0).
    QuadBits b;
    std::memcpy(&b, &s, sizeof b);
    const bool away_from_zero = (err > 0) == (s > 0);
    b = away_from_zero ? b + 1 : b - 1;
    std::memcpy(&odd, &b, sizeof b);
  }
  return static_cast<float>(odd);  // libgcc's binary128 → float conversion rounds correctly
}

float arange_f32(double start, double step, std::int64_t i) {
  const double d = std::fma(static_cast<double>(i), step, start);
  if (!float32_uncertain(d)) return static_cast<float>(d);
  return arange_f32_exact(start, step, i);
}

void arange_forward(OpCall& c) {
  const double start = c.attrs.get_real("start"), step = c.attrs.get_real("step");
  const Tensor& out = c.outputs.at(0);
  dispatch(out, "arange", [&](auto t) {
    using T = decltype(t);
    if constexpr (std::is_same_v<T, double>) {
      generate<double>(
          out, [=](std::int64_t i) { return std::fma(static_cast<double>(i), step, start); });
    } else {
      generate<float>(out, [=](std::int64_t i) { return arange_f32(start, step, i); });
    }
  });
}

// ---- eye ---------------------------------------------------------------------------------------
void eye_forward(OpCall& c) {
  const Tensor& out = c.outputs.at(0);  // (n, m)
  const std::int64_t k = c.attrs.get_int("k");
  dispatch(out, "eye", [&](auto t) {
    using T = decltype(t);
    generate<T>(out, [](std::int64_t) { return T(0); });
    const std::int64_t n = out.dim(0), m = out.dim(1);
    if (n == 0 || m == 0 || k >= m || k <= -n) return;  // the diagonal misses the matrix
    T* const base = out.data<T>();
    const std::int64_t s0 = out.strides()[0], s1 = out.strides()[1];
    for (std::int64_t i = std::max<std::int64_t>(0, -k); i < n && i + k < m; ++i)
      base[i * s0 + (i + k) * s1] = T(1);
  });
}

// ---- cast --------------------------------------------------------------------------------------
template <class Dst, class Src>
void convert(const Tensor& out, const Tensor& in) {
  const LoopNest<1> nest = make_loop_nest<1>(out, std::array<Tensor, 1>{in});
  Dst* const o = out.data<Dst>();
  const Src* const p = in.data<Src>();
  const std::size_t nd = nest.shape.size();
  const std::int64_t inner = nest.shape[nd - 1];
  const std::int64_t os = nest.out_strides[nd - 1], is = nest.in_strides[0][nd - 1];
  auto run_inner = [&](std::int64_t b, std::int64_t e, std::int64_t obase, std::int64_t ibase) {
    Dst* oo = o + obase;
    const Src* pp = p + ibase;
    if (os == 1 && is == 1) {
      for (std::int64_t i = b; i < e; ++i) oo[i] = static_cast<Dst>(pp[i]);
    } else {
      for (std::int64_t i = b; i < e; ++i) oo[i * os] = static_cast<Dst>(pp[i * is]);
    }
  };
  if (nd == 1) {
    parallel_for(Family::creation, inner, kElementwiseGrain,
                 [&](std::int64_t, std::int64_t b, std::int64_t e) { run_inner(b, e, 0, 0); });
    return;
  }
  std::int64_t rows = 1;
  for (std::size_t d = 0; d + 1 < nd; ++d) rows *= nest.shape[d];
  const std::int64_t grain =
      std::max<std::int64_t>(1, kElementwiseGrain / std::max<std::int64_t>(inner, 1));
  parallel_for(
      Family::creation, rows, grain,
      [&](std::int64_t, std::int64_t rb, std::int64_t re) {
        for (std::int64_t r = rb; r < re; ++r) {
          std::int64_t rem = r, obase = 0, ibase = 0;
          for (std::size_t d = nd - 1; d-- > 0;) {
            const std::int64_t idx = rem % nest.shape[d];
            rem /= nest.shape[d];
            obase += idx * nest.out_strides[d];
            ibase += idx * nest.in_strides[0][d];
          }
          run_inner(0, inner, obase, ibase);
        }
      },
      rows * inner);
}

void cast_forward(OpCall& c) {
  const Tensor& out = c.outputs.at(0);
  Tensor in = c.inputs.at(0);
  if (out.numel() == 0) return;
  if (out.has_internal_overlap() && out.numel() > 1)
    throw Error("cast", {in.shape()}, "the output has overlapping elements (an expanded view?)");
  if (out.overlaps(in)) in = in.clone();  // read everything before writing anything
  const DType src = in.dtype(), dst = out.dtype();
  if (src == DType::f32 && dst == DType::f32) return convert<float, float>(out, in);
  if (src == DType::f32 && dst == DType::f64) return convert<double, float>(out, in);
  if (src == DType::f64 && dst == DType::f32) return convert<float, double>(out, in);
  if (src == DType::f64 && dst == DType::f64) return convert<double, double>(out, in);
  throw Error("cast", {in.shape()},
              "optimized cast converts between float32 and float64, not " +
                  std::string(dtype_name(src)) + " → " + std::string(dtype_name(dst)));
}

// VJP: gx = g converted to x's dtype (PyTorch's grad.to(x.dtype)): one IEEE conversion per
// element, so exact like the forward. g has the output's dtype (the "dtype" attribute), gx the
// input's; either may be float32 or float64, and either may be strided.
// g, gx: same shape
void cast_backward(BackwardCall& b) {
  const Tensor& gx = b.grad_inputs.at(0);
  if (!gx.defined() || gx.numel() == 0) return;
  if (gx.has_internal_overlap() && gx.numel() > 1)
    throw Error("cast", {gx.shape()}, "the input gradient has overlapping elements");
  Tensor g = b.grad_outputs.at(0);
  if (!g.defined()) {  // undefined: zero
    dispatch(gx, "cast", [&](auto t) {
      using T = decltype(t);
      generate<T>(gx, [](std::int64_t) { return T(0); });
    });
    return;
  }
  if (g.shape() != gx.shape())
    throw Error("cast", {gx.shape(), g.shape()}, "gradient does not match the input");
  if (gx.overlaps(g)) g = g.clone();  // read everything before writing anything
  const DType src = g.dtype(), dst = gx.dtype();
  if (src == DType::f32 && dst == DType::f32) return convert<float, float>(gx, g);
  if (src == DType::f32 && dst == DType::f64) return convert<double, float>(gx, g);
  if (src == DType::f64 && dst == DType::f32) return convert<float, double>(gx, g);
  if (src == DType::f64 && dst == DType::f64) return convert<double, double>(gx, g);
  throw Error("cast", {gx.shape()},
              "optimized cast VJP converts between float32 and float64, not " +
                  std::string(dtype_name(src)) + " → " + std::string(dtype_name(dst)));
}

#define VT_OPTIMIZED_CREATION(name, how) VT_REGISTER_OPTIMIZED(name, "loop", name##_forward, how)

VT_OPTIMIZED_CREATION(zeros, "vectorized fill, threaded over chunks");
VT_OPTIMIZED_CREATION(ones, "vectorized fill, threaded over chunks");
VT_OPTIMIZED_CREATION(full, "vectorized fill of the correctly rounded value");
VT_OPTIMIZED_CREATION(arange, "fma(i, step, start); float32 midpoints via binary128 round-to-odd");
VT_OPTIMIZED_CREATION(eye, "zero fill, then the k-th diagonal through the strides");
VT_REGISTER_OPTIMIZED_VJP(cast, "loop", cast_forward, cast_backward,
                          "vectorized conversion loop (round to nearest-even); VJP: the same "
                          "loop converting g to x's dtype");

}  // namespace
}  // namespace vt::opt
