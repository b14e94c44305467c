// bench/peers.cpp — the C++ peers and the Python helper's process (bench/peers.hpp).
// What it is: OpenBLAS called directly, plain loops written the way perf-baselines.md measured
// them (noinline, __restrict, -O3 -march=native, no fast-math), memcpy for the copy bandwidth,
// and a fork/exec of /usr/bin/python3 with two pipes. What it is not: anything our own
// figures depend on.
#include "bench/peers.hpp"

#include "core/error.hpp"
#include "optimized/core/parallel.hpp"

#include <cblas.h>
#include <immintrin.h>

#include <algorithm>
#include <csignal>
#include <cstring>
#include <memory>

#include <sys/wait.h>
#include <unistd.h>

namespace vt::bench {

namespace {

// ---- bare loops: one thread, the compiler's vectorizer, nothing else --------------------------

template <class T>
__attribute__((noinline)) void loop_fill(T* __restrict p, std::int64_t n, T v) {
  for (std::int64_t i = 0; i < n; ++i) p[i] = v;
}

template <class T>
__attribute__((noinline)) void loop_add(const T* __restrict a, const T* __restrict b,
                                        T* __restrict c, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) c[i] = a[i] + b[i];
}

template <class T>
__attribute__((noinline)) void loop_mul(const T* __restrict a, const T* __restrict b,
                                        T* __restrict c, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) c[i] = a[i] * b[i];
}

/// Σ x over n elements with 64 independent accumulators (vectorizes without fast-math; the
/// "64-accumulator loop" of perf-baselines.md).
template <class T>
__attribute__((noinline)) T loop_sum(const T* __restrict x, std::int64_t n) {
  constexpr int L = 64;
  T acc[L] = {};
  std::int64_t i = 0;
  for (; i + L <= n; i += L)
    for (int j = 0; j < L; ++j) acc[j] += x[i + j];
  T s = 0;
  for (; i < n; ++i) s += x[i];
  for (int j = 0; j < L; ++j) s += acc[j];
  return s;
}

/// out[j] = Σ_r x[r, j] (rows r of length cols): row-by-row accumulation, vectorized over j.
template <class T>
__attribute__((noinline)) void loop_sum_axis0(const T* __restrict x, T* __restrict out,
                                              std::int64_t rows, std::int64_t cols) {
  for (std::int64_t j = 0; j < cols; ++j) out[j] = 0;
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t j = 0; j < cols; ++j) out[j] += x[r * cols + j];
}

template <class T>
__attribute__((noinline)) void loop_sum_axis1(const T* __restrict x, T* __restrict out,
                                              std::int64_t rows, std::int64_t cols) {
  for (std::int64_t r = 0; r < rows; ++r) out[r] = loop_sum(x + r * cols, cols);
}

/// y = xᵀ, x (rows, cols) row-major: the naive loop (unit-stride writes).
template <class T>
__attribute__((noinline)) void loop_transpose(const T* __restrict x, T* __restrict y,
                                              std::int64_t rows, std::int64_t cols) {
  for (std::int64_t j = 0; j < cols; ++j)
    for (std::int64_t i = 0; i < rows; ++i) y[j * rows + i] = x[i * cols + j];
}

/// The measured FMA peak (perf-baselines.md's microkernel: 12 independent accumulators of
/// AVX-512 fused multiply-adds, no memory traffic): `iters` iterations of 12 × (64 / sizeof(T))
/// fused multiply-adds, the result folded into *sink so that nothing is optimised away.
template <class T>
__attribute__((noinline)) void fma_peak_kernel(std::int64_t iters, T* sink) {
#if defined(__AVX512F__)
  if constexpr (std::is_same_v<T, float>) {
    __m512 acc[12];
    for (int j = 0; j < 12; ++j) acc[j] = _mm512_set1_ps(static_cast<float>(j) * 1e-3f);
    const __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
    for (std::int64_t i = 0; i < iters; ++i)
      for (int j = 0; j < 12; ++j) acc[j] = _mm512_fmadd_ps(acc[j], a, b);
    alignas(64) float lanes[16];
    for (int j = 1; j < 12; ++j) acc[0] = _mm512_add_ps(acc[0], acc[j]);
    _mm512_store_ps(lanes, acc[0]);
    for (float x : lanes) *sink += x;
  } else {
    __m512d acc[12];
    for (int j = 0; j < 12; ++j) acc[j] = _mm512_set1_pd(static_cast<double>(j) * 1e-3);
    const __m512d a = _mm512_set1_pd(0.999999), b = _mm512_set1_pd(1e-7);
    for (std::int64_t i = 0; i < iters; ++i)
      for (int j = 0; j < 12; ++j) acc[j] = _mm512_fmadd_pd(acc[j], a, b);
    alignas(64) double lanes[8];
    for (int j = 1; j < 12; ++j) acc[0] = _mm512_add_pd(acc[0], acc[j]);
    _mm512_store_pd(lanes, acc[0]);
    for (double x : lanes) *sink += x;
  }
#else
  (void)iters;
  (void)sink;
#endif
}

template <class T>
std::vector<CppPeer> typed_peers(const Workload& w, int threads, const std::vector<Tensor>& in) {
  std::vector<CppPeer> out;
  const bool f32 = std::is_same_v<T, float>;
  auto want = [&](const char* p) {
    return std::find(w.cpp_peers.begin(), w.cpp_peers.end(), p) != w.cpp_peers.end();
  };
  // Contiguous copies, so every peer reads plain arrays; outputs are its own.
  std::vector<Tensor> x;
  for (const Tensor& t : in) x.push_back(t.clone());
  auto buffer = [](std::int64_t n) { return Tensor::empty({n}, dtype_of_v<T>); };

  if (want("openblas") && w.op == "matmul") {
    const int m = static_cast<int>(w.shapes[0][0]), k = static_cast<int>(w.shapes[0][1]),
              n = static_cast<int>(w.shapes[1][1]);
    Tensor c = buffer(static_cast<std::int64_t>(m) * n);
    out.push_back(
        {"openblas", f32 ? "cblas_sgemm(RowMajor, N, N)" : "cblas_dgemm(RowMajor, N, N)",
         [x, c, m, k, n] {
           if constexpr (std::is_same_v<T, float>)
             cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0f,
                         x[0].data<float>(), k, x[1].data<float>(), n, 0.0f, c.data<float>(), n);
           else
             cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0,
                         x[0].data<double>(), k, x[1].data<double>(), n, 0.0, c.data<double>(), n);
         }});
  }
  if (want("openblas") && w.op == "linear") {
    // y = x·Wᵀ + b: b copied into every row of y, then gemm with beta = 1.
    const int b = static_cast<int>(w.shapes[0][0]), k = static_cast<int>(w.shapes[0][1]),
              n = static_cast<int>(w.shapes[1][0]);
    Tensor y = buffer(static_cast<std::int64_t>(b) * n);
    out.push_back({"openblas",
                   f32 ? "bias rows + cblas_sgemm(RowMajor, N, T, beta=1)" : "cblas_dgemm",
                   [x, y, b, k, n] {
                     T* py = y.data<T>();
                     const T* bias = x[2].data<T>();
                     for (int r = 0; r < b; ++r) std::memcpy(py + r * n, bias, sizeof(T) * n);
                     if constexpr (std::is_same_v<T, float>)
                       cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, b, n, k, 1.0f,
                                   x[0].data<float>(), k, x[1].data<float>(), k, 1.0f, py, n);
                     else
                       cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, b, n, k, 1.0,
                                   x[0].data<double>(), k, x[1].data<double>(), k, 1.0, py, n);
                   }});
  }
  if (want("openblas") && w.op == "linear_fwd_bwd") {
    // The program by hand: y = x·Wᵀ + b (bias rows + gemm, beta = 1), L = Σ y, then for the
    // output gradient g = ones: x.grad = g·W, W.grad = gᵀ·x (two gemms), b.grad = column sums
    // of g. Every buffer is its own and allocated once (g filled each call, as the engine does).
    const int b = static_cast<int>(w.shapes[0][0]), k = static_cast<int>(w.shapes[0][1]),
              n = static_cast<int>(w.shapes[1][0]);
    Tensor y = buffer(static_cast<std::int64_t>(b) * n),
           g = buffer(static_cast<std::int64_t>(b) * n);
    Tensor gx = buffer(static_cast<std::int64_t>(b) * k),
           gw = buffer(static_cast<std::int64_t>(n) * k), gb = buffer(n), loss = buffer(1);
    out.push_back(
        {"openblas",
         std::string(f32 ? "cblas_sgemm" : "cblas_dgemm") +
             " ×3 (y = x·Wᵀ + b; x.grad = g·W; W.grad = gᵀ·x) + loops (Σy, g = 1, b.grad)",
         [x, y, g, gx, gw, gb, loss, b, k, n] {
           T* py = y.data<T>();
           T* pg = g.data<T>();
           const T* px = x[0].data<T>();
           const T* pw = x[1].data<T>();
           const T* bias = x[2].data<T>();
           for (int r = 0; r < b; ++r) std::memcpy(py + r * n, bias, sizeof(T) * n);
           T* pgx = gx.data<T>();
           T* pgw = gw.data<T>();
           if constexpr (std::is_same_v<T, float>)
             cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, b, n, k, 1.0f, px, k, pw, k, 1.0f,
                         py, n);
           else
             cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, b, n, k, 1.0, px, k, pw, k, 1.0,
                         py, n);
           loss.data<T>()[0] = loop_sum(py, static_cast<std::int64_t>(b) * n);
           loop_fill(pg, static_cast<std::int64_t>(b) * n, T(1));
           if constexpr (std::is_same_v<T, float>) {
             cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, b, k, n, 1.0f, pg, n, pw, k,
                         0.0f, pgx, k);
             cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, n, k, b, 1.0f, pg, n, px, k, 0.0f,
                         pgw, k);
           } else {
             cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, b, k, n, 1.0, pg, n, pw, k, 0.0,
                         pgx, k);
             cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, n, k, b, 1.0, pg, n, px, k, 0.0,
                         pgw, k);
           }
           loop_sum_axis0(pg, gb.data<T>(), b, n);
         }});
  }
  if (want("loop")) {
    if (w.op == "zeros" || w.op == "full") {
      const std::vector<std::int64_t>& dims = w.attrs.get_ints("shape");
      const std::int64_t n = shape_numel(Shape(dims.begin(), dims.end()));
      const T v = w.op == "full" ? static_cast<T>(w.attrs.get_real("value")) : T(0);
      Tensor c = buffer(n);
      out.push_back({"loop", "for i: p[i] = v", [c, n, v] { loop_fill(c.data<T>(), n, v); }});
    } else if (w.op == "add" || w.op == "mul") {
      const std::int64_t n = x[0].numel();
      Tensor c = buffer(n);
      const bool add = w.op == "add";
      out.push_back(
          {"loop", add ? "for i: c[i] = a[i] + b[i]" : "for i: c[i] = a[i] * b[i]", [x, c, n, add] {
             if (add)
               loop_add(x[0].data<T>(), x[1].data<T>(), c.data<T>(), n);
             else
               loop_mul(x[0].data<T>(), x[1].data<T>(), c.data<T>(), n);
           }});
    } else if (w.op == "sum") {
      const std::int64_t rows = w.shapes[0][0], cols = w.shapes[0][1];
      const std::vector<std::int64_t>& axis = w.attrs.get_ints("axis");
      Tensor c = buffer(std::max(rows, cols));
      if (axis.empty())
        out.push_back({"loop", "64 accumulators", [x, c, rows, cols] {
                         c.data<T>()[0] = loop_sum(x[0].data<T>(), rows * cols);
                       }});
      else if (axis[0] == 0)
        out.push_back({"loop", "out[j] += x[r, j], row by row", [x, c, rows, cols] {
                         loop_sum_axis0(x[0].data<T>(), c.data<T>(), rows, cols);
                       }});
      else
        out.push_back({"loop", "64 accumulators per row", [x, c, rows, cols] {
                         loop_sum_axis1(x[0].data<T>(), c.data<T>(), rows, cols);
                       }});
    } else if (w.op == "transpose") {
      const std::int64_t rows = w.shapes[0][0], cols = w.shapes[0][1];
      Tensor c = buffer(rows * cols);
      out.push_back({"loop", "naive: y[j, i] = x[i, j]", [x, c, rows, cols] {
                       loop_transpose(x[0].data<T>(), c.data<T>(), rows, cols);
                     }});
    }
  }
#if defined(__AVX512F__)
  if (want("peak") && w.flops > 0) {
    // The time the measured FMA peak needs for this workload's flops on `threads` threads, so
    // that the ratio (peak time / our time) is the fraction of the peak we reach.
    constexpr std::size_t lanes = 64 / sizeof(T);  // one zmm register of T
    constexpr double flops_per_iter = 12.0 * 2 * static_cast<double>(lanes);
    const std::int64_t iters =
        std::max<std::int64_t>(1, static_cast<std::int64_t>(w.flops / flops_per_iter / threads));
    auto sink = std::make_shared<std::vector<T>>(static_cast<std::size_t>(threads) * 8, T(0));
    out.push_back({"peak",
                   "AVX-512 FMA microkernel, 12 accumulators, the workload's flops on " +
                       std::to_string(threads) + " thread(s)",
                   [iters, sink, threads] {
                     opt::parallel_for(
                         threads, 1,
                         [&](std::int64_t, std::int64_t b, std::int64_t) {
                           fma_peak_kernel<T>(iters, sink->data() + 8 * b);
                         },
                         std::int64_t{1} << 40);
                   }});
  }
#endif
  if (want("copy")) {
    // The machine's copy bandwidth for this workload's traffic: memcpy of elements/2 elements
    // (elements/2 read + elements/2 written = the workload's bytes), split over `threads`.
    const std::int64_t bytes =
        static_cast<std::int64_t>(w.elements / 2) * static_cast<std::int64_t>(sizeof(T));
    auto src = std::make_shared<std::vector<char>>(static_cast<std::size_t>(bytes), 1);
    auto dst = std::make_shared<std::vector<char>>(static_cast<std::size_t>(bytes), 0);
    out.push_back({"copy", "memcpy of the same bytes on " + std::to_string(threads) + " thread(s)",
                   [src, dst, bytes, threads] {
                     const std::int64_t part = (bytes + threads - 1) / threads;
                     opt::parallel_for(
                         threads, 1,
                         [&](std::int64_t, std::int64_t b, std::int64_t) {
                           const std::int64_t lo = b * part, hi = std::min(bytes, lo + part);
                           if (hi > lo)
                             std::memcpy(dst->data() + lo, src->data() + lo,
                                         static_cast<std::size_t>(hi - lo));
                         },
                         bytes);
                   }});
  }
  return out;
}

}  // namespace

std::vector<CppPeer> cpp_peers(const Workload& w, DType dtype, int threads,
                               const std::vector<Tensor>& inputs) {
  return dtype == DType::f32 ? typed_peers<float>(w, threads, inputs)
                             : typed_peers<double>(w, threads, inputs);
}

// ---- the Python helper ------------------------------------------------------------------------

PythonPeers::PythonPeers(const std::string& script) {
  // A helper that dies must not take the command with it (a write to its closed pipe).
  std::signal(SIGPIPE, SIG_IGN);
  int down[2], up[2];  // down: we write its stdin; up: we read its stdout
  if (::pipe(down) != 0 || ::pipe(up) != 0) {
    reason_ = "pipe() failed";
    return;
  }
  const pid_t pid = ::fork();
  if (pid < 0) {
    reason_ = "fork() failed";
    return;
  }
  if (pid == 0) {
    ::dup2(down[0], 0);
    ::dup2(up[1], 1);
    ::close(down[0]);
    ::close(down[1]);
    ::close(up[0]);
    ::close(up[1]);
    ::execl("/usr/bin/python3", "python3", script.c_str(), static_cast<char*>(nullptr));
    std::_Exit(127);
  }
  ::close(down[0]);
  ::close(up[1]);
  pid_ = pid;
  to_ = ::fdopen(down[1], "w");
  from_ = ::fdopen(up[0], "r");
  // The greeting: {"hello": {"numpy": "1.24.2", "torch": …, "torch_error": …}}.
  nlohmann::json first;
  char* line = nullptr;
  std::size_t cap = 0;
  if (::getline(&line, &cap, from_) > 0) first = nlohmann::json::parse(line, nullptr, false);
  std::free(line);
  if (!first.is_object() || !first.contains("hello")) {
    stop("/usr/bin/python3 " + script + " did not start (is /usr/bin/python3 installed?)");
    return;
  }
  hello_ = first["hello"];
}

std::optional<nlohmann::json> PythonPeers::ask(const nlohmann::json& request) {
  if (!available()) return std::nullopt;
  const std::string text = request.dump() + "\n";
  if (std::fputs(text.c_str(), to_) < 0 || std::fflush(to_) != 0) {
    stop("the Python helper closed its input");
    return std::nullopt;
  }
  char* line = nullptr;
  std::size_t cap = 0;
  const ssize_t got = ::getline(&line, &cap, from_);
  nlohmann::json answer;
  if (got > 0) answer = nlohmann::json::parse(line, nullptr, false);
  std::free(line);
  if (got <= 0 || answer.is_discarded()) {
    stop("the Python helper died or answered garbage (its stderr is above)");
    return std::nullopt;
  }
  return answer;
}

void PythonPeers::stop(const std::string& why) {
  if (reason_.empty()) reason_ = why;
  if (to_) std::fclose(to_);
  if (from_) std::fclose(from_);
  to_ = from_ = nullptr;
  if (pid_ > 0) {
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
  pid_ = -1;
}

PythonPeers::~PythonPeers() {
  if (available()) {
    std::fputs("{\"cmd\": \"quit\"}\n", to_);
    std::fflush(to_);
  }
  stop("finished");
}

}  // namespace vt::bench
