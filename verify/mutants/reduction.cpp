// verify/mutants/reduction.cpp — planted bugs in reductions (test builds only).
// What it is: wrong implementations registered as extra optimized variants to prove the harness
// flags them: a sum that drops the last term of each row, a sum accumulated in float16, a max
// that skips NaN, and a sum whose bits follow the thread count (for `verify --bitwise`). What it is
// not: anything a user should call; never linked into `veritensor` unless the build asks for
// planted bugs.
#include "core/registry.hpp"
#include "optimized/core/parallel.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace vt::mutants {
namespace {

/// The input with the reduced axes moved last, contiguous: rows of n elements, one per output.
struct Rows {
  Tensor x;
  std::int64_t rows = 0, n = 1;
};

Rows gather_rows(const OpCall& c, const char* op) {
  const Tensor& in = c.inputs.at(0);
  const std::vector<std::int64_t> axes = normalize_axes(c.attrs.get_ints("axis"), in.ndim(), op);
  std::vector<std::int64_t> order;
  Rows r;
  for (std::int64_t k = 0; k < in.ndim(); ++k)
    if (std::find(axes.begin(), axes.end(), k) == axes.end()) order.push_back(k);
  for (std::int64_t a : axes) {
    order.push_back(a);
    r.n *= in.dim(a);
  }
  r.x = in.permute(order).contiguous();
  r.rows = c.outputs.at(0).numel();
  return r;
}

/// Writes res (contiguous, one value per output in row-major order) into output 0.
void write_rows(OpCall& c, const std::vector<double>& res) {
  Tensor out = c.outputs.at(0);
  Tensor t = Tensor::empty(out.shape(), DType::f64);
  for (std::size_t j = 0; j < res.size(); ++j) t.data<double>()[j] = res[j];
  out.copy_from(t);  // each value is already representable in the output dtype
}

/// sum whose row loop stops one short: `i < n - 1` (a classic when a loop peels the last
/// element for a separate epilogue that was then forgotten).
template <class T>
void sum_dropped_last_term(OpCall& c) {
  const Rows r = gather_rows(c, "sum");
  const T* x = r.x.data<T>();
  std::vector<double> res(static_cast<std::size_t>(r.rows));
  for (std::int64_t j = 0; j < r.rows; ++j) {
    T s = 0;
    for (std::int64_t i = 0; i < r.n - 1; ++i) s += x[j * r.n + i];  // BUG: skips x[n − 1]
    res[static_cast<std::size_t>(j)] = s;
  }
  write_rows(c, res);
}

/// v rounded to IEEE binary16 (11 significant bits, subnormals down to 2^-24, overflow to ±inf at
/// 65520), ties to even. Written out because clang 14 has no _Float16 arithmetic on x86 without
/// AVX512-FP16; the value is the same as a _Float16 conversion.
double round_to_half(double v) {
  if (!std::isfinite(v)) return v;
  if (std::fabs(v) >= 65520.0) return std::copysign(HUGE_VAL, v);
  int e = 0;
  std::frexp(v, &e);                          // |v| ∈ [2^(e−1), 2^e)
  const int quantum = std::max(e - 11, -24);  // exponent of the last kept bit
  return std::nearbyint(std::ldexp(v, -quantum)) * std::ldexp(1.0, quantum);  // ties to even
}

/// sum accumulated in binary16 (11 significant bits, max 65504) — the wrong accumulator type.
template <class T>
void sum_float16_accumulation(OpCall& c) {
  const Rows r = gather_rows(c, "sum");
  const T* x = r.x.data<T>();
  std::vector<double> res(static_cast<std::size_t>(r.rows));
  for (std::int64_t j = 0; j < r.rows; ++j) {
    double s = 0;  // BUG: every partial sum rounded to half precision
    for (std::int64_t i = 0; i < r.n; ++i) s = round_to_half(s + round_to_half(x[j * r.n + i]));
    res[static_cast<std::size_t>(j)] = static_cast<double>(static_cast<T>(s));
  }
  write_rows(c, res);
}

/// max with `a > b ? a : b`: a NaN after the first element never wins the comparison.
template <class T>
void max_ignores_nan(OpCall& c) {
  const Rows r = gather_rows(c, "max");
  if (r.n == 0) throw Error("max", {c.inputs.at(0).shape()}, "max of an empty sequence");
  const T* x = r.x.data<T>();
  std::vector<double> res(static_cast<std::size_t>(r.rows));
  for (std::int64_t j = 0; j < r.rows; ++j) {
    T m = x[j * r.n];
    for (std::int64_t i = 1; i < r.n; ++i) {
      const T v = x[j * r.n + i];
      m = v > m ? v : m;  // BUG: NaN compares false and is skipped
    }
    res[static_cast<std::size_t>(j)] = m;
  }
  write_rows(c, res);
}

/// sum that splits each row into one block per thread and adds the block sums in order: no race
/// and every value inside the sum bound, but the association of the additions — hence the
/// rounding — depends on the thread count while the implementation promises the same bits with
/// any (OpenBLAS's GEMM does this, and says so). On ordinary data only `verify --bitwise` sees
/// it.
template <class T>
void sum_blocks_per_thread(OpCall& c) {
  const Rows r = gather_rows(c, "sum");
  const T* x = r.x.data<T>();
  const std::int64_t blocks = opt::num_threads();  // BUG: partition follows the thread count
  const std::int64_t block = (r.n + blocks - 1) / blocks;
  std::vector<double> res(static_cast<std::size_t>(r.rows));
  for (std::int64_t j = 0; j < r.rows; ++j) {
    std::vector<T> partial(static_cast<std::size_t>(blocks), T(0));
    opt::parallel_for(
        blocks, 1,
        [&](std::int64_t b, std::int64_t, std::int64_t) {
          T s = 0;
          for (std::int64_t i = b * block; i < std::min(r.n, (b + 1) * block); ++i)
            s += x[j * r.n + i];
          partial[static_cast<std::size_t>(b)] = s;
        },
        r.n);
    T s = 0;
    for (T p : partial) s += p;
    res[static_cast<std::size_t>(j)] = s;
  }
  write_rows(c, res);
}

template <template <class> class F>
struct Dispatch {
  static void run(OpCall& c) {
    if (c.inputs.at(0).dtype() == DType::f32)
      F<float>::run(c);
    else
      F<double>::run(c);
  }
};
template <class T>
struct DroppedLast {
  static void run(OpCall& c) { sum_dropped_last_term<T>(c); }
};
template <class T>
struct Float16Acc {
  static void run(OpCall& c) { sum_float16_accumulation<T>(c); }
};
template <class T>
struct BlocksPerThread {
  static void run(OpCall& c) { sum_blocks_per_thread<T>(c); }
};
template <class T>
struct MaxNoNan {
  static void run(OpCall& c) { max_ignores_nan<T>(c); }
};

VT_REGISTER_IMPL({.op = "sum",
                  .backend = backend::optimized,
                  .variant = "mutant_dropped_last_term",
                  .dtypes = {DType::f32, DType::f64},
                  .forward = Dispatch<DroppedLast>::run,
                  .planted_bug = true,
                  .technique = "row loop bound n − 1: the last element of each row is lost"});
VT_REGISTER_IMPL({.op = "sum",
                  .backend = backend::optimized,
                  .variant = "mutant_float16_accumulation",
                  .dtypes = {DType::f32, DType::f64},
                  .forward = Dispatch<Float16Acc>::run,
                  .planted_bug = true,
                  .technique = "accumulates in binary16 (half precision)"});
VT_REGISTER_IMPL({.op = "sum",
                  .backend = backend::optimized,
                  .variant = "mutant_blocks_per_thread",
                  .dtypes = {DType::f32, DType::f64},
                  .forward = Dispatch<BlocksPerThread>::run,
                  .planted_bug = true,
                  .caught_by = "bitwise",
                  .technique = "one block per thread, block sums added in order: bits follow "
                               "the thread count, yet it promises bitwise determinism"});
VT_REGISTER_IMPL({.op = "max",
                  .backend = backend::optimized,
                  .variant = "mutant_max_ignores_nan",
                  .dtypes = {DType::f32, DType::f64},
                  .forward = Dispatch<MaxNoNan>::run,
                  .planted_bug = true,
                  .technique = "a > b ? a : b, so a NaN after the first element is skipped"});

}  // namespace
}  // namespace vt::mutants
