// cuda/ops/creation.cu — float32/float64 zeros, ones, full, arange, eye (forward) and cast
// (forward + VJP) on the GPU.
// Shaped this way because: creation is a store-bound loop, so one grid-stride kernel per op writes
// value(i) for the row-major index i through the output's strides (TensorArg::offset: a strided
// output needs no temporary); cast is one conversion per element over the merged dimensions of
// DeviceCall::map_args. Checks and error messages are those of optimized/ops/creation.cpp.
// Accuracy (verify/ops/creation.cpp): exact — every element is one correctly rounded value:
//  - full rounds its double attribute to T once, on the host (as the CPU does);
//  - arange float64: fma(i, step, start), one rounding of the exact start + i·step (i < 2^53);
//  - arange float32: d = fma(i, step, start) = RN53(v) of the exact v, then made round-to-odd —
//    d itself when v = d or d's last bit is odd, else d's neighbour towards v — and rounded once
//    to float (__double2float_rn). Rounding to odd at 53 bits then to nearest at ≤ 51 bits (float32
//    and its subnormals) is the correct rounding of v (Boldo & Melquiond 2008; the reference does
//    the same in binary128). Whether v > d, v = d or v < d is decided exactly: v − d =
//    start + p_hi + p_lo − d with p_hi = RN(i·step) and p_lo = fma(i, step, −p_hi) exact (i is an
//    integer, so i·step is a multiple of 2^-1074 and its low part is representable), and the sign
//    of that four-term sum comes from an exact nonoverlapping expansion (Shewchuk's
//    Grow-Expansion; TwoSum is exact even in the subnormal range). |d| ≥ 2^128 or a non-finite
//    p_hi means |v| is far past float32's overflow threshold: (float)d = ±inf is then correct.
//  - eye writes 0 and 1; cast float64 → float32 is __double2float_rn (nearest-even, overflow to
//    ±inf), float32 → float64 and same-dtype casts are exact; the VJP converts g to x's dtype the
//    same way.
// What it is not: a random-number creator (the sampling family).
#include "cuda/core/dd_math.hpp"
#include "cuda/core/device_call.hpp"
#include "cuda/core/map.cuh"

#include <cstdint>
#include <string>
#include <vector>

namespace vt::cuda {
namespace {

constexpr int kThreads = 256;

// ---- fills, eye ---------------------------------------------------------------------------------

template <class T>
__global__ void fill_kernel(TensorArg out, T value) {
  const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
  T* const o = out.ptr<T>();
  for (std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
       i < out.numel; i += stride)
    o[out.offset(i)] = value;
}

// out: (n, m); out[r, c] = 1 where c − r = k, else 0.
template <class T>
__global__ void eye_kernel(TensorArg out, std::int64_t k) {
  const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
  const std::int64_t m = out.shape[1];
  T* const o = out.ptr<T>();
  for (std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
       i < out.numel; i += stride) {
    const std::int64_t r = i / m, col = i % m;
    o[out.offset(i)] = col - r == k ? T(1) : T(0);
  }
}

/// Runs f.template operator()<T>() for the output's dtype after constructing the call.
template <class F>
void creation_call(OpCall& c, const char* op, F&& f) {
  DeviceCall dc(c, op);
  const Tensor& out = c.outputs.at(0);
  dispatch_float(out.dtype(), op, [&]<class T>() {
    if (out.numel() > 0) f.template operator()<T>(dc, out);
  });
  dc.finish();
}

void fill(OpCall& c, const char* op, double value) {
  creation_call(c, op, [&]<class T>(DeviceCall& dc, const Tensor& out) {
    const T v = static_cast<T>(value);  // double → float rounds to nearest-even (host)
    const TensorArg a = dc.arg(out);
    fill_kernel<T><<<grid_for(a.numel, kThreads), kThreads, 0, dc.stream()>>>(a, v);
    check_launch(op, "fill_kernel");
  });
}

void zeros_forward(OpCall& c) { fill(c, "zeros", 0.0); }
void ones_forward(OpCall& c) { fill(c, "ones", 1.0); }
void full_forward(OpCall& c) { fill(c, "full", c.attrs.get_real("value")); }

void eye_forward(OpCall& c) {
  const std::int64_t k = c.attrs.get_int("k");
  creation_call(c, "eye", [&]<class T>(DeviceCall& dc, const Tensor& out) {
    if (out.ndim() != 2) throw Error("eye", {out.shape()}, "the output must be 2-d");
    const TensorArg a = dc.arg(out);
    eye_kernel<T><<<grid_for(a.numel, kThreads), kThreads, 0, dc.stream()>>>(a, k);
    check_launch("eye", "eye_kernel");
  });
}

// ---- arange -------------------------------------------------------------------------------------

/// start + i·step correctly rounded to float32 (see the header).
__device__ float arange_f32(double start, double step, std::int64_t i) {
  const double id = static_cast<double>(i);  // exact: i < 2^53
  const double d = fma(id, step, start);
  if (!(fabs(d) < 0x1p128)) return __double2float_rn(d);  // ±inf for float32 (or d = ±inf)
  const double p_hi = __dmul_rn(id, step);
  if (!(fabs(p_hi) <= 0x1.fffffffffffffp1023)) return __double2float_rn(d);
  const double p_lo = fma(id, step, -p_hi);  // exact: i·step − p_hi
  const double terms[4] = {start, p_hi, p_lo, -d};
  const int side = dd::exact_sum_sign(terms);  // sign of v − d
  const long long bits = __double_as_longlong(d);
  double odd = d;
  if (side != 0 && (bits & 1) == 0) {
    if (d == 0) {
      odd = side > 0 ? 0x1p-1074 : -0x1p-1074;  // the odd neighbours of ±0
    } else {
      // d ≠ 0 with an even last bit: its neighbour towards v has an odd one; the encoding ± 1
      // moves the magnitude up (away from zero) or down.
      const bool away_from_zero = (side > 0) == (d > 0);
      odd = __longlong_as_double(away_from_zero ? bits + 1 : bits - 1);
    }
  }
  return __double2float_rn(odd);
}

template <class T>
__global__ void arange_kernel(TensorArg out, double start, double step) {
  const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
  T* const o = out.ptr<T>();
  for (std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
       i < out.numel; i += stride) {
    if constexpr (sizeof(T) == 8)
      o[out.offset(i)] = fma(static_cast<double>(i), step, start);
    else
      o[out.offset(i)] = arange_f32(start, step, i);
  }
}

void arange_forward(OpCall& c) {
  const double start = c.attrs.get_real("start"), step = c.attrs.get_real("step");
  creation_call(c, "arange", [&]<class T>(DeviceCall& dc, const Tensor& out) {
    const TensorArg a = dc.arg(out);
    arange_kernel<T><<<grid_for(a.numel, kThreads), kThreads, 0, dc.stream()>>>(a, start, step);
    check_launch("arange", "arange_kernel");
  });
}

// ---- cast ---------------------------------------------------------------------------------------

template <class Dst, class Src>
__device__ __forceinline__ Dst convert(Src x) {
  if constexpr (sizeof(Dst) == 4 && sizeof(Src) == 8)
    return __double2float_rn(x);  // nearest-even, overflow to ±inf, NaN stays NaN
  else
    return static_cast<Dst>(x);  // exact: widening or the same type
}

// out, in: the merged dimensions of map_args (same shape).
template <class Dst, class Src>
__global__ void cast_kernel(TensorArg out, TensorArg in) {
  const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
  Dst* const o = out.ptr<Dst>();
  const Src* const p = in.ptr<const Src>();
  for (std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
       i < out.numel; i += stride)
    o[out.offset(i)] = convert<Dst, Src>(p[in.offset(i)]);
}

/// out = in converted (same shape; in already cloned if it overlapped out). Both declared in dc.
void convert_call(DeviceCall& dc, const char* op, const Tensor& out, const Tensor& in,
                  const char* what) {
  const DType src = in.dtype(), dst = out.dtype();
  const bool src_ok = src == DType::f32 || src == DType::f64;
  const bool dst_ok = dst == DType::f32 || dst == DType::f64;
  if (!src_ok || !dst_ok)
    throw Error(op, {in.shape()},
                std::string(what) + " converts between float32 and float64, not " +
                    std::string(dtype_name(src)) + " → " + std::string(dtype_name(dst)));
  const std::vector<TensorArg> args = dc.map_args(out, {in});
  const TensorArg& o = args.at(0);
  const TensorArg& i = args.at(1);
  const unsigned grid = grid_for(o.numel, kThreads);
  if (src == DType::f32 && dst == DType::f32)
    cast_kernel<float, float><<<grid, kThreads, 0, dc.stream()>>>(o, i);
  else if (src == DType::f32 && dst == DType::f64)
    cast_kernel<double, float><<<grid, kThreads, 0, dc.stream()>>>(o, i);
  else if (src == DType::f64 && dst == DType::f32)
    cast_kernel<float, double><<<grid, kThreads, 0, dc.stream()>>>(o, i);
  else
    cast_kernel<double, double><<<grid, kThreads, 0, dc.stream()>>>(o, i);
  check_launch(op, "cast_kernel");
}

// x, out: same shape; out's dtype is the "dtype" attribute.
void cast_forward(OpCall& c) {
  DeviceCall dc(c, "cast");
  const Tensor& out = c.outputs.at(0);
  Tensor in = c.inputs.at(0);
  if (out.numel() == 0) return;
  if (out.has_internal_overlap() && out.numel() > 1)
    throw Error("cast", {in.shape()}, "the output has overlapping elements (an expanded view?)");
  if (in.shape() != out.shape())
    throw Error("cast", {in.shape(), out.shape()}, "the output does not match the input");
  if (out.overlaps(in)) {  // read everything before writing anything
    in = in.clone();
    dc.read(in);
  }
  convert_call(dc, "cast", out, in, "the cuda cast");
  dc.finish();
}

// VJP: gx = g converted to x's dtype (PyTorch's grad.to(x.dtype)): one IEEE conversion per
// element, exact like the forward. g, gx: same shape; either may be float32 or float64, strided.
void cast_backward(BackwardCall& b) {
  const Tensor& gx = b.grad_inputs.at(0);
  if (!gx.defined() || gx.numel() == 0) return;
  if (gx.has_internal_overlap() && gx.numel() > 1)
    throw Error("cast", {gx.shape()}, "the input gradient has overlapping elements");
  Tensor g = b.grad_outputs.at(0);
  if (!g.defined()) {  // undefined: zero (on the host: nothing to compute)
    Tensor(gx).copy_from(Tensor::empty({}, gx.dtype()));
    return;
  }
  if (g.shape() != gx.shape())
    throw Error("cast", {gx.shape(), g.shape()}, "gradient does not match the input");
  DeviceCall dc("cast");
  dc.write(gx);
  if (gx.overlaps(g)) g = g.clone();  // read everything before writing anything
  dc.read(g);
  convert_call(dc, "cast", gx, g, "the cuda cast VJP");
  dc.finish();
}

#define VT_CUDA_CREATION(name, how) VT_REGISTER_CUDA(name, "grid-stride", name##_forward, how)

VT_CUDA_CREATION(zeros, "grid-stride fill through the output's strides");
VT_CUDA_CREATION(ones, "grid-stride fill through the output's strides");
VT_CUDA_CREATION(full, "grid-stride fill of the value rounded once on the host");
VT_CUDA_CREATION(arange,
                 "fma(i, step, start); float32 rounded to odd at 53 bits (exact expansion sign) "
                 "then to nearest");
VT_CUDA_CREATION(eye, "one pass: 1 where col − row = k, else 0, through the strides");
VT_REGISTER_CUDA_VJP(cast, "grid-stride", cast_forward, cast_backward,
                     "conversion kernel over merged dimensions (__double2float_rn); "
                     "VJP: the same kernel converting g to x's dtype");

}  // namespace
}  // namespace vt::cuda
