// bench/cuda/cuda_bench.cpp — vt_cuda_bench: the CUDA backend's gated benchmarks (issue 7).
// What it is: for each workload — add of 1e8 float32, softmax of a 128×1000 float32 matrix,
// matmul float32 4096³ — the inputs come from the harness (make_case: the op's random regime,
// fixed seed), go to the GPU once, and the launcher (cuda/ops/launchers.hpp) runs on them; its
// output is verified, then timed with CUDA events (warm-up, then the median of ≥ 20 samples, each
// sample one or more back-to-back calls between two events), then the output the last timed call
// left is verified again. A workload failing either check is REJECTED: its verdict and worst
// element are reported, never a time, and the program exits 1 (DESIGN.md "Benchmarks — gated").
// Baselines in the same run: a device-to-device cudaMemcpyAsync of the add's bytes (bandwidth
// ratio, target ≥ 0.9) and cublasSgemm called directly on the same handle (TF32 off; target ≥
// 0.97); PyTorch's figures (bench/cuda_peers.py, same methodology) come from --peers FILE.
// Verification: add — bit for bit against the host's float32 add of the same inputs (IEEE 754
// addition is correctly rounded, so that is the rounded float128 reference of an exact-class op);
// softmax and matmul — the CPU gate's own check (bench/gate.hpp, CaseVerifier): softmax every
// element against the float128 reference under the spec's sum-bound; matmul the spec's
// LargeCheck (256 sampled elements against float128 dot products with their bounds, and the
// spec's random projections of the whole output), and after timing: bit-identical to the
// verified output (else the whole check again).
// What it is not: `veritensor verify --backend cuda`, which covers every regime and layout; nor
// a second implementation — the launchers are the registered implementations' kernels.
// --host-selftest runs the same gate without a GPU (host loops, cblas_sgemm, small sizes), so
// the verification, timing loop and reports are tested wherever CI runs.
#include "bench/gate.hpp"
#include "core/error.hpp"
#include "core/registry.hpp"
#include "core/tensor.hpp"
#include "cuda/core/runtime.hpp"
#include "cuda/ops/launchers.hpp"
#include "verify/harness/compare.hpp"
#include "verify/harness/data.hpp"
#include "verify/harness/runner.hpp"
#include "verify/harness/spec.hpp"

#include <cblas.h>
#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace vt::cuda_bench {
namespace {

using nlohmann::json;
using namespace vt::verify;

// ---- options -----------------------------------------------------------------------------------

struct Options {
  std::vector<std::string> workloads = {"add", "softmax", "matmul"};
  std::int64_t add_n = 100'000'000;
  std::int64_t softmax_rows = 128, softmax_cols = 1000;
  std::int64_t matmul_n = 4096;
  int warmup = 5;
  int reps = 30;               // timed samples per pass (two passes: ours/baseline twice)
  double min_sample_s = 1e-3;  // a sample is ≥ this long: short kernels run back to back
  std::uint64_t seed = kDefaultSeed;
  std::string json_path, peers_path;
  bool host_selftest = false;  // no GPU: host loops stand in for the launchers
  bool corrupt = false;        // self-test: damage one output element (must be REJECTED)
  int no_device_exit = 2;
};

// ---- engines: where the workloads run ----------------------------------------------------------

/// One buffer: device memory (GPU) or host memory (self-test). Every workload is float32.
struct Buffer {
  cuda::DeviceBuffer device;
  std::vector<float> host;
  void* ptr = nullptr;
  std::size_t bytes = 0;
};

struct Timing {
  std::vector<double> samples;  // seconds per call
  int inner = 1;                // calls per sample
  double median() const {
    std::vector<double> s = samples;
    std::sort(s.begin(), s.end());
    const std::size_t n = s.size();
    if (n == 0) return 0;
    return n % 2 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
  }
  double min() const {
    return samples.empty() ? 0 : *std::min_element(samples.begin(), samples.end());
  }
  double max() const {
    return samples.empty() ? 0 : *std::max_element(samples.begin(), samples.end());
  }
  void append(const Timing& t) {
    samples.insert(samples.end(), t.samples.begin(), t.samples.end());
    inner = t.inner;
  }
};

class Engine {
 public:
  virtual ~Engine() = default;
  virtual std::string name() const = 0;
  virtual Buffer alloc(std::size_t bytes) = 0;
  /// Fills every byte with 0xFF (a NaN pattern): an element the kernel never writes shows.
  virtual void poison(Buffer& b) = 0;
  virtual void upload(Buffer& dst, const Tensor& src) = 0;  // src contiguous, same bytes
  virtual void download(Tensor& dst, const Buffer& src) = 0;
  virtual void add(Buffer& out, const Buffer& a, const Buffer& b, std::int64_t n) = 0;
  virtual void copy(Buffer& dst, const Buffer& src) = 0;
  virtual void softmax(Buffer& out, const Buffer& x, std::int64_t rows, std::int64_t cols) = 0;
  virtual void matmul(Buffer& c, const Buffer& a, const Buffer& b, std::int64_t m, std::int64_t k,
                      std::int64_t n) = 0;
  /// The vendor GEMM called directly (cublasSgemm; cblas_sgemm in the self-test).
  virtual void matmul_vendor(Buffer& c, const Buffer& a, const Buffer& b, std::int64_t m,
                             std::int64_t k, std::int64_t n) = 0;
  virtual std::string vendor_gemm_name() const = 0;
  virtual void sync() = 0;
  /// Warm-up, then `reps` samples of `inner` back-to-back calls, inner chosen so that a sample
  /// lasts at least min_sample_s.
  Timing time(const std::function<void()>& fn, const Options& o) {
    for (int i = 0; i < o.warmup; ++i) fn();
    sync();
    const double one = elapsed(fn, 1);
    Timing t;
    t.inner = one > 0 ? static_cast<int>(std::clamp(std::ceil(o.min_sample_s / one), 1.0, 10000.0))
                      : 1000;
    for (int r = 0; r < o.reps; ++r) t.samples.push_back(elapsed(fn, t.inner) / t.inner);
    return t;
  }

 protected:
  /// Seconds taken by `calls` back-to-back calls of fn.
  virtual double elapsed(const std::function<void()>& fn, int calls) = 0;
};

const char* kOp = "vt_cuda_bench";

class CudaEngine final : public Engine {
 public:
  CudaEngine() {
    VT_CUDA_CHECK(kOp, cudaEventCreate(&start_));
    VT_CUDA_CHECK(kOp, cudaEventCreate(&stop_));
  }
  ~CudaEngine() override {
    (void)cudaEventDestroy(start_);
    (void)cudaEventDestroy(stop_);
  }
  CudaEngine(const CudaEngine&) = delete;
  CudaEngine& operator=(const CudaEngine&) = delete;
  std::string name() const override { return cuda::device_info().name; }
  Buffer alloc(std::size_t bytes) override {
    Buffer b;
    b.device = cuda::DeviceBuffer(bytes, kOp);
    b.ptr = b.device.data();
    b.bytes = bytes;
    return b;
  }
  void poison(Buffer& b) override {
    VT_CUDA_CHECK(kOp, cudaMemsetAsync(b.ptr, 0xFF, b.bytes, cuda::stream()));
    sync();
  }
  void upload(Buffer& dst, const Tensor& src) override {
    check_bytes(dst, src);
    VT_CUDA_CHECK(kOp, cudaMemcpyAsync(dst.ptr, src.raw(), dst.bytes, cudaMemcpyHostToDevice,
                                       cuda::stream()));
    sync();
  }
  void download(Tensor& dst, const Buffer& src) override {
    check_bytes(src, dst);
    VT_CUDA_CHECK(kOp, cudaMemcpyAsync(dst.raw(), src.ptr, src.bytes, cudaMemcpyDeviceToHost,
                                       cuda::stream()));
    sync();
  }
  void add(Buffer& out, const Buffer& a, const Buffer& b, std::int64_t n) override {
    cuda::add_device(DType::f32, out.ptr, a.ptr, b.ptr, n);
  }
  void copy(Buffer& dst, const Buffer& src) override {
    VT_CUDA_CHECK(kOp, cudaMemcpyAsync(dst.ptr, src.ptr, std::min(dst.bytes, src.bytes),
                                       cudaMemcpyDeviceToDevice, cuda::stream()));
  }
  void softmax(Buffer& out, const Buffer& x, std::int64_t rows, std::int64_t cols) override {
    cuda::softmax_device(DType::f32, out.ptr, x.ptr, rows, cols);
  }
  void matmul(Buffer& c, const Buffer& a, const Buffer& b, std::int64_t m, std::int64_t k,
              std::int64_t n) override {
    cuda::matmul_device(DType::f32, c.ptr, a.ptr, b.ptr, m, k, n);
  }
  void matmul_vendor(Buffer& c, const Buffer& a, const Buffer& b, std::int64_t m, std::int64_t k,
                     std::int64_t n) override {
    // Row-major C = A·B is column-major Cᵀ = Bᵀ·Aᵀ: cuBLAS sees B (n × k, ld n) times
    // A (k × m, ld k) into C (n × m, ld n). The handle is the backend's: TF32 off
    // (CUBLAS_DEFAULT_MATH), host pointer mode, on cuda::stream().
    const float one = 1.0f, zero = 0.0f;
    VT_CUBLAS_CHECK(kOp, cublasSgemm(cuda::cublas(), CUBLAS_OP_N, CUBLAS_OP_N, static_cast<int>(n),
                                     static_cast<int>(m), static_cast<int>(k), &one,
                                     static_cast<const float*>(b.ptr), static_cast<int>(n),
                                     static_cast<const float*>(a.ptr), static_cast<int>(k), &zero,
                                     static_cast<float*>(c.ptr), static_cast<int>(n)));
  }
  std::string vendor_gemm_name() const override { return "cublasSgemm"; }
  void sync() override { VT_CUDA_CHECK(kOp, cudaStreamSynchronize(cuda::stream())); }

 protected:
  double elapsed(const std::function<void()>& fn, int calls) override {
    VT_CUDA_CHECK(kOp, cudaEventRecord(start_, cuda::stream()));
    for (int i = 0; i < calls; ++i) fn();
    VT_CUDA_CHECK(kOp, cudaEventRecord(stop_, cuda::stream()));
    VT_CUDA_CHECK(kOp, cudaEventSynchronize(stop_));
    VT_CUDA_CHECK(kOp, cudaGetLastError());
    float ms = 0;
    VT_CUDA_CHECK(kOp, cudaEventElapsedTime(&ms, start_, stop_));
    return ms * 1e-3;
  }

 private:
  static void check_bytes(const Buffer& b, const Tensor& t) {
    if (!t.is_contiguous() || static_cast<std::size_t>(t.numel()) * itemsize(t.dtype()) != b.bytes)
      throw Error(kOp, {}, "internal: a transfer between buffers of different sizes");
  }
  cudaEvent_t start_ = nullptr, stop_ = nullptr;
};

/// The self-test's stand-in for the GPU: plain host loops, cblas_sgemm for both GEMMs. Its
/// times mean nothing; it exercises everything around them. With `corrupt`, each op damages its
/// output the way a kernel bug would (a lost last element, a perturbed element), and every
/// workload must then be REJECTED.
class HostEngine final : public Engine {
 public:
  explicit HostEngine(bool corrupt) : corrupt_(corrupt) {}
  std::string name() const override { return "host self-test (no GPU)"; }
  Buffer alloc(std::size_t bytes) override {
    Buffer b;
    b.host.resize((bytes + sizeof(float) - 1) / sizeof(float));
    b.ptr = b.host.data();
    b.bytes = bytes;
    return b;
  }
  void poison(Buffer& b) override { std::memset(b.ptr, 0xFF, b.bytes); }
  void upload(Buffer& dst, const Tensor& src) override {
    std::memcpy(dst.ptr, src.raw(), dst.bytes);
  }
  void download(Tensor& dst, const Buffer& src) override {
    std::memcpy(dst.raw(), src.ptr, src.bytes);
  }
  void add(Buffer& out, const Buffer& a, const Buffer& b, std::int64_t n) override {
    float* o = static_cast<float*>(out.ptr);
    const float* x = static_cast<const float*>(a.ptr);
    const float* y = static_cast<const float*>(b.ptr);
    const std::int64_t end = corrupt_ && n > 0 ? n - 1 : n;  // the lost tail
    for (std::int64_t i = 0; i < end; ++i) o[i] = x[i] + y[i];
  }
  void copy(Buffer& dst, const Buffer& src) override {
    std::memcpy(dst.ptr, src.ptr, std::min(dst.bytes, src.bytes));
  }
  void softmax(Buffer& out, const Buffer& x, std::int64_t rows, std::int64_t cols) override {
    float* o = static_cast<float*>(out.ptr);
    const float* in = static_cast<const float*>(x.ptr);
    for (std::int64_t r = 0; r < rows; ++r) {
      const float* row = in + r * cols;
      float m = -std::numeric_limits<float>::infinity();
      for (std::int64_t j = 0; j < cols; ++j) m = std::max(m, row[j]);
      double s = 0;
      for (std::int64_t j = 0; j < cols; ++j) s += std::exp(double(row[j]) - m);
      for (std::int64_t j = 0; j < cols; ++j)
        o[r * cols + j] = static_cast<float>(std::exp(double(row[j]) - m) / s);
    }
    if (corrupt_ && rows * cols > 0) o[rows * cols - 1] *= 1.001f;
  }
  void matmul(Buffer& c, const Buffer& a, const Buffer& b, std::int64_t m, std::int64_t k,
              std::int64_t n) override {
    matmul_vendor(c, a, b, m, k, n);
    if (corrupt_ && m * n > 0) static_cast<float*>(c.ptr)[m * n - 1] += 0.5f;
  }
  void matmul_vendor(Buffer& c, const Buffer& a, const Buffer& b, std::int64_t m, std::int64_t k,
                     std::int64_t n) override {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(m), static_cast<int>(n),
                static_cast<int>(k), 1.0f, static_cast<const float*>(a.ptr), static_cast<int>(k),
                static_cast<const float*>(b.ptr), static_cast<int>(n), 0.0f,
                static_cast<float*>(c.ptr), static_cast<int>(n));
  }
  std::string vendor_gemm_name() const override { return "cblas_sgemm"; }
  void sync() override {}

 protected:
  double elapsed(const std::function<void()>& fn, int calls) override {
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < calls; ++i) fn();
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }

 private:
  bool corrupt_;
};

// ---- verification ------------------------------------------------------------------------------

// The checks are the CPU gate's (bench/gate.hpp): CaseVerifier against the float128 reference
// under the spec's bound (or its LargeCheck), its Record, worst-element line and JSON.
using bench::Record;

bool passed(const Record& r) { return r.verdict == Verdict::passed; }

/// add is exact-class: each element must be the correctly rounded a + b, which IEEE 754's float32
/// addition on the host is; compared bit for bit (a NaN matches any NaN).
Record check_bits(const Tensor& expected, const Tensor& got, const std::string& what) {
  Record r;
  r.cls = class_name(AccuracyClass::exact);
  r.unit = class_unit(AccuracyClass::exact);
  r.method = what;
  const float* e = expected.data<float>();
  const float* g = got.data<float>();
  const std::int64_t n = got.numel();
  r.elements = n;
  std::int64_t bad = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    std::uint32_t eb, gb;
    std::memcpy(&eb, e + i, 4);
    std::memcpy(&gb, g + i, 4);
    if (eb == gb || (std::isnan(e[i]) && std::isnan(g[i]))) continue;
    if (bad++ == 0) {
      const double err = std::isfinite(g[i]) && std::isfinite(e[i])
                             ? static_cast<double>(ulp_error(hp_t(g[i]), hp_t(e[i]), DType::f32))
                             : std::numeric_limits<double>::infinity();
      r.worst = ElementReport{{i}, g[i], e[i], err, 0.0, "bits differ"};
      r.max_error = err;
    }
  }
  if (bad) {
    r.verdict = Verdict::failed;
    r.message = std::to_string(bad) + " of " + std::to_string(n) + " element(s) differ";
  }
  return r;
}

// ---- workloads
// -----------------------------------------------------------------------------------

/// One timed figure: seconds per call and the work one call does (bytes moved or flops).
struct Figure {
  std::string name;
  Timing timing;
  double work = 0;
  json to_json() const {
    return {{"name", name},
            {"median_s", timing.median()},
            {"min_s", timing.min()},
            {"max_s", timing.max()},
            {"samples", timing.samples.size()},
            {"calls_per_sample", timing.inner},
            {"work", work},
            {"rate", rate()}};
  }
  double rate() const { return timing.median() > 0 ? work / timing.median() : 0; }
};

struct Result {
  std::string workload, shape, label;
  std::string metric;            // "bandwidth" (bytes/s), "time", "flops" (flop/s)
  std::string status = "timed";  // timed, REJECTED, error
  std::string why;               // REJECTED: "before timing"/"after timing"; error: the message
  std::optional<Record> before, after;
  std::optional<Figure> ours, baseline;
  std::string target_against;  // "baseline" or "pytorch"
  double target = 0;           // ratio of rates (ours / theirs) to reach
  std::string target_text;
  std::vector<std::string> notes;
  std::optional<Figure> peer;  // PyTorch, from --peers
  std::string peer_note;
};

/// A progress line on stderr, stamped with the seconds since the program started.
void progress(const char* fmt, const std::string& a) {
  static const auto t0 = std::chrono::steady_clock::now();
  const double t = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::fprintf(stderr, "[%7.2f s] ", t);
  std::fprintf(stderr, fmt, a.c_str());
  std::fflush(stderr);
}

const OpSpec& spec_of(const std::string& op) {
  const OpSpec* s = SpecRegistry::instance().find(op);
  if (!s) throw Error(op, {}, "vt_cuda_bench: no spec is registered for this op");
  return *s;
}

/// The harness's random regime over one layout (index 0: contiguous placement), so the values
/// come from the op's domain exactly as `verify` and the CPU gate draw them.
Case one_case(const OpSpec& spec, const std::vector<Shape>& shapes, std::uint64_t seed) {
  OpSpec one = spec;
  const Layout layout{shapes, {}, "vt_cuda_bench"};
  one.layouts = [layout](Rng&) { return std::vector<Layout>{layout}; };
  Case c = make_case(one, DType::f32, Regime::random, 0, seed, 0);
  for (Tensor& t : c.inputs) t = t.contiguous();
  return c;
}

/// Times ours and the baseline twice each, alternating, so drift of the clocks hits both.
void time_pair(Engine& e, const Options& o, Figure& ours, const std::function<void()>& run_ours,
               Figure* base, const std::function<void()>& run_base) {
  for (int pass = 0; pass < 2; ++pass) {
    ours.timing.append(e.time(run_ours, o));
    if (base) base->timing.append(e.time(run_base, o));
  }
}

std::string shape_str(const std::vector<std::int64_t>& dims) {
  std::string s;
  for (std::size_t i = 0; i < dims.size(); ++i) s += (i ? "x" : "") + std::to_string(dims[i]);
  return s;
}

Result run_add(Engine& e, const Options& o) {
  Result r;
  r.workload = "add";
  const std::int64_t n = o.add_n;
  r.shape = shape_str({n});
  r.label = "add " + r.shape + " f32";
  r.metric = "bandwidth";
  r.target_against = "baseline";
  r.target = 0.9;
  r.target_text = "≥ 0.90 of the D2D copy's bandwidth";
  progress("add: drawing %s inputs …\n", r.shape);
  const Case c = one_case(spec_of("add"), {{n}, {n}}, o.seed);
  const Tensor& a = c.inputs[0];
  const Tensor& b = c.inputs[1];
  Tensor expected = Tensor::empty({n}, DType::f32);
  {
    const float* x = a.data<float>();
    const float* y = b.data<float>();
    float* z = expected.data<float>();
    for (std::int64_t i = 0; i < n; ++i) z[i] = x[i] + y[i];
  }
  const std::size_t bytes = static_cast<std::size_t>(n) * sizeof(float);
  Buffer da = e.alloc(bytes), db = e.alloc(bytes), dout = e.alloc(bytes), dcopy = e.alloc(bytes);
  e.upload(da, a);
  e.upload(db, b);
  e.poison(dout);
  e.poison(dcopy);
  const char* method =
      "every element bit for bit against the host's float32 a + b (IEEE 754 "
      "addition is correctly rounded: the rounded float128 reference)";
  auto run_ours = [&] { e.add(dout, da, db, n); };
  auto run_copy = [&] { e.copy(dcopy, da); };
  Tensor got = Tensor::empty({n}, DType::f32);
  progress("add: verifying %s …\n", r.shape);
  run_ours();
  e.sync();
  e.download(got, dout);
  r.before = check_bits(expected, got, method);
  if (!passed(*r.before)) {
    r.status = "REJECTED";
    r.why = "before timing";
    return r;
  }
  r.ours = Figure{"add_device", {}, 3.0 * static_cast<double>(bytes)};
  r.baseline = Figure{"cudaMemcpyAsync D2D", {}, 2.0 * static_cast<double>(bytes)};
  progress("add: timing %s …\n", r.shape);
  time_pair(e, o, *r.ours, run_ours, &*r.baseline, run_copy);
  e.download(got, dout);
  r.after = check_bits(expected, got, method);
  if (!passed(*r.after)) {
    r.status = "REJECTED";
    r.why = "after timing";
  }
  // The copy is a baseline, not ours; checked anyway so that its figure is of a real copy.
  e.download(got, dcopy);
  if (std::memcmp(got.raw(), a.raw(), bytes) != 0)
    r.notes.push_back("the D2D copy's destination differs from its source");
  return r;
}

Result run_softmax(Engine& e, const Options& o) {
  Result r;
  r.workload = "softmax";
  const std::int64_t rows = o.softmax_rows, cols = o.softmax_cols;
  r.shape = shape_str({rows, cols});
  r.label = "softmax " + r.shape + " f32";
  r.metric = "time";
  r.target_against = "pytorch";
  r.target = 1.0;
  r.target_text = "no slower than PyTorch";
  const OpSpec& spec = spec_of("softmax");
  const Case c = one_case(spec, {{rows, cols}}, o.seed);
  progress("softmax: float128 reference of %s …\n", r.shape);
  const bench::CaseVerifier verifier(spec, c, o.seed, "vt_cuda_bench/softmax");
  const std::size_t bytes = static_cast<std::size_t>(rows * cols) * sizeof(float);
  Buffer dx = e.alloc(bytes), dout = e.alloc(bytes);
  e.upload(dx, c.inputs[0]);
  e.poison(dout);
  auto run_ours = [&] { e.softmax(dout, dx, rows, cols); };
  Tensor got = Tensor::empty({rows, cols}, DType::f32);
  run_ours();
  e.sync();
  e.download(got, dout);
  r.before = verifier.check({got});
  if (!passed(*r.before)) {
    r.status = "REJECTED";
    r.why = "before timing";
    return r;
  }
  r.ours = Figure{"softmax_device", {}, 2.0 * static_cast<double>(bytes)};
  progress("softmax: timing %s …\n", r.shape);
  time_pair(e, o, *r.ours, run_ours, nullptr, {});
  e.download(got, dout);
  r.after = verifier.check({got});
  if (!passed(*r.after)) {
    r.status = "REJECTED";
    r.why = "after timing";
  }
  return r;
}

Result run_matmul(Engine& e, const Options& o) {
  Result r;
  r.workload = "matmul";
  const std::int64_t n = o.matmul_n;
  r.shape = shape_str({n, n, n});
  r.label = "matmul " + r.shape + " f32";
  r.metric = "flops";
  r.target_against = "baseline";
  r.target = 0.97;
  r.target_text = "≥ 0.97 of " + e.vendor_gemm_name() + " (TF32 off)";
  const OpSpec& spec = spec_of("matmul");
  progress("matmul: drawing %s inputs …\n", r.shape);
  const Case c = one_case(spec, {{n, n}, {n, n}}, o.seed);
  progress("matmul: float128 samples of %s …\n", r.shape);
  const bench::CaseVerifier verifier(spec, c, o.seed, "vt_cuda_bench/matmul");
  const std::size_t bytes = static_cast<std::size_t>(n * n) * sizeof(float);
  Buffer da = e.alloc(bytes), db = e.alloc(bytes), dc = e.alloc(bytes), dv = e.alloc(bytes);
  e.upload(da, c.inputs[0]);
  e.upload(db, c.inputs[1]);
  e.poison(dc);
  e.poison(dv);
  auto run_ours = [&] { e.matmul(dc, da, db, n, n, n); };
  auto run_vendor = [&] { e.matmul_vendor(dv, da, db, n, n, n); };
  Tensor verified = Tensor::empty({n, n}, DType::f32);
  run_ours();
  e.sync();
  e.download(verified, dc);
  progress("matmul: verifying %s (samples + projections) …\n", r.shape);
  r.before = verifier.check({verified});
  if (!passed(*r.before)) {
    r.status = "REJECTED";
    r.why = "before timing";
    return r;
  }
  const double flops =
      2.0 * static_cast<double>(n) * static_cast<double>(n) * static_cast<double>(n);
  r.ours = Figure{"matmul_device", {}, flops};
  r.baseline = Figure{e.vendor_gemm_name(), {}, flops};
  progress("matmul: timing %s …\n", r.shape);
  time_pair(e, o, *r.ours, run_ours, &*r.baseline, run_vendor);
  Tensor got = Tensor::empty({n, n}, DType::f32);
  e.download(got, dc);
  if (std::memcmp(got.raw(), verified.raw(), bytes) == 0) {
    r.after = *r.before;
    r.after->method = "bit-identical to the output verified before timing";
  } else {
    r.notes.push_back("the timed calls' output differs in bits from the first call's");
    r.after = verifier.check({got});
  }
  if (!passed(*r.after)) {
    r.status = "REJECTED";
    r.why = "after timing";
  }
  Tensor vendor = Tensor::empty({n, n}, DType::f32);
  e.download(vendor, dv);
  r.notes.push_back(std::string("bit-identical to ") + e.vendor_gemm_name() + "'s output: " +
                    (std::memcmp(vendor.raw(), got.raw(), bytes) == 0 ? "yes" : "no"));
  return r;
}

std::string fmt(const char* f, double x) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, x);
  return buf;
}

// ---- peers (bench/cuda_peers.py's JSON) --------------------------------------------------------

struct Peers {
  std::string label = "PyTorch";  // "PyTorch 2.11.0+cu130"
  json workloads = json::object();
  std::string error;
};

Peers load_peers(const std::string& path) {
  Peers p;
  std::ifstream in(path);
  if (!in) {
    p.error = "cannot read " + path;
    return p;
  }
  try {
    const json j = json::parse(in);
    if (j.contains("torch")) p.label = "PyTorch " + j["torch"].get<std::string>();
    if (j.contains("error")) p.error = j["error"].get<std::string>();
    if (j.contains("workloads")) p.workloads = j["workloads"];
  } catch (const std::exception& e) {
    p.error = path + ": " + e.what();
  }
  return p;
}

void attach_peer(Result& r, const Peers& p) {
  if (!p.error.empty()) {
    r.peer_note = p.error;
    return;
  }
  if (!p.workloads.contains(r.workload)) {
    r.peer_note = "no figure in the peers file";
    return;
  }
  const json& w = p.workloads[r.workload];
  if (w.contains("error")) {
    r.peer_note = w["error"].get<std::string>();
    return;
  }
  if (w.value("shape", std::string()) != r.shape) {
    r.peer_note =
        "the peers file timed shape " + w.value("shape", std::string("?")) + ", not " + r.shape;
    return;
  }
  Figure f;
  f.name = p.label;
  f.work = w.value("work", 0.0);
  f.timing.inner = w.value("calls_per_sample", 1);
  f.timing.samples = w.value("samples_s", std::vector<double>{});
  if (f.timing.samples.empty()) f.timing.samples = {w.value("median_s", 0.0)};
  r.peer = f;
  // add: PyTorch's own copy_ beside its add, the ratio the 0.9 target is about.
  if (r.workload == "add" && p.workloads.contains("copy")) {
    const json& c = p.workloads["copy"];
    const double t = c.value("median_s", 0.0), work = c.value("work", 0.0);
    if (t > 0 && f.rate() > 0)
      r.notes.push_back(fmt("PyTorch's D2D copy_: %.3f TB/s", work / t / 1e12) +
                        fmt(", its add at %.3f of it", f.rate() / (work / t)));
  }
}

// ---- reporting ---------------------------------------------------------------------------------

std::string fmt_time(double s) {
  if (!(s > 0)) return "—";
  if (s < 1e-3) return fmt("%.2f µs", s * 1e6);
  if (s < 1) return fmt("%.3f ms", s * 1e3);
  return fmt("%.3f s", s);
}

/// The figure in the workload's unit: TB/s, µs or TFLOP/s.
std::string fmt_figure(const Result& r, const Figure& f) {
  if (r.metric == "bandwidth") return fmt("%.3f TB/s", f.rate() / 1e12);
  if (r.metric == "flops") return fmt("%.2f TFLOP/s", f.rate() / 1e12);
  return fmt_time(f.timing.median());
}

std::optional<double> ratio(const Figure* ours, const Figure* other) {
  if (!ours || !other || !(other->rate() > 0)) return std::nullopt;
  return ours->rate() / other->rate();
}

/// "met", "MISSED" or "n/a (…)" for the workload's target.
std::string target_status(const Result& r) {
  if (r.status != "timed") return "n/a";
  const Figure* other = r.target_against == "pytorch" ? (r.peer ? &*r.peer : nullptr)
                                                      : (r.baseline ? &*r.baseline : nullptr);
  const std::optional<double> q = ratio(r.ours ? &*r.ours : nullptr, other);
  if (!q) return "n/a (no PyTorch figure)";
  return *q >= r.target ? "met" : "MISSED";
}

std::string verification_cell(const Result& r) {
  if (r.status == "error") return "error";
  const Record* c = r.after ? &*r.after : (r.before ? &*r.before : nullptr);
  if (!c) return "—";
  std::string s = c->cls + " " + verdict_name(c->verdict);
  if (c->cls != class_name(AccuracyClass::exact)) s += fmt(" (%.2g of bound)", c->max_error);
  return s;
}

std::size_t columns(const std::string& s) {  // UTF-8 code points
  std::size_t n = 0;
  for (unsigned char ch : s) n += (ch & 0xC0) != 0x80;
  return n;
}
std::string pad(const std::string& s, std::size_t w) {
  return s + std::string(w > columns(s) ? w - columns(s) : 0, ' ');
}

void print_table(std::FILE* out, const std::string& device, const std::vector<Result>& rs,
                 const std::string& peer_label) {
  std::fprintf(out, "\nvt_cuda_bench on %s — float32, median of the timed samples\n",
               device.c_str());
  const std::vector<std::size_t> w = {24, 36, 16, 34, 8, 22, 8, 8};
  const std::vector<std::string> head = {"workload", "verification", "ours",  "baseline",
                                         "ratio",    peer_label,     "ratio", "target"};
  std::string line;
  for (std::size_t i = 0; i < head.size(); ++i) line += pad(head[i], w[i]) + " ";
  std::fprintf(out, "%s\n", line.c_str());
  for (const Result& r : rs) {
    std::vector<std::string> cells(head.size(), "—");
    cells[0] = r.label;
    cells[1] = verification_cell(r);
    if (r.status != "timed") {
      cells[2] = r.status + (r.why.empty() ? "" : " (" + r.why + ")");
    } else {
      cells[2] = fmt_figure(r, *r.ours);
      if (r.baseline) {
        cells[3] = r.baseline->name + " " + fmt_figure(r, *r.baseline);
        if (auto q = ratio(&*r.ours, &*r.baseline)) cells[4] = fmt("%.3f", *q);
      }
      if (r.peer) {
        cells[5] = fmt_figure(r, *r.peer);
        if (auto q = ratio(&*r.ours, &*r.peer)) cells[6] = fmt("%.3f", *q);
      }
      cells[7] = target_status(r);
    }
    line.clear();
    for (std::size_t i = 0; i < cells.size(); ++i) line += pad(cells[i], w[i]) + " ";
    std::fprintf(out, "%s\n", line.c_str());
  }
  std::fprintf(out, "\nratio: ours ÷ theirs in work per second (> 1: ours is faster). Targets: ");
  for (std::size_t i = 0; i < rs.size(); ++i)
    std::fprintf(out, "%s%s %s", i ? "; " : "", rs[i].workload.c_str(), rs[i].target_text.c_str());
  std::fprintf(out, ".\n");
  for (const Result& r : rs) {
    const Record* bad = nullptr;
    if (r.before && !passed(*r.before)) bad = &*r.before;
    if (r.after && !passed(*r.after)) bad = &*r.after;
    if (bad) {
      std::fprintf(out, "%s REJECTED %s: %s\n", r.label.c_str(), r.why.c_str(),
                   bad->message.c_str());
      if (bad->worst) std::fprintf(out, "  %s\n", bench::worst_element_line(*bad).c_str());
    }
    if (r.status == "error") std::fprintf(out, "%s error: %s\n", r.label.c_str(), r.why.c_str());
    for (const std::string& n : r.notes) std::fprintf(out, "%s: %s\n", r.label.c_str(), n.c_str());
    if (r.status == "timed" && !r.peer_note.empty())
      std::fprintf(out, "%s: PyTorch: %s\n", r.label.c_str(), r.peer_note.c_str());
  }
}

json result_json(const Result& r) {
  json j = {{"workload", r.workload}, {"shape", r.shape},   {"dtype", "float32"},
            {"label", r.label},       {"status", r.status}, {"metric", r.metric}};
  if (!r.why.empty()) j[r.status == "error" ? "error" : "rejected"] = r.why;
  if (r.before) j["verification_before"] = bench::record_json(*r.before);
  if (r.after) j["verification_after"] = bench::record_json(*r.after);
  if (r.ours) j["ours"] = r.ours->to_json();
  if (r.baseline) j["baseline"] = r.baseline->to_json();
  if (r.peer) j["pytorch"] = r.peer->to_json();
  if (!r.peer_note.empty()) j["pytorch_note"] = r.peer_note;
  if (auto q = ratio(r.ours ? &*r.ours : nullptr, r.baseline ? &*r.baseline : nullptr))
    j["ratio_vs_baseline"] = *q;
  if (auto q = ratio(r.ours ? &*r.ours : nullptr, r.peer ? &*r.peer : nullptr))
    j["ratio_vs_pytorch"] = *q;
  j["target"] = {{"against", r.target_against},
                 {"ratio", r.target},
                 {"text", r.target_text},
                 {"status", target_status(r)}};
  j["notes"] = r.notes;
  return j;
}

json device_json(bool host) {
  if (host) return {{"name", "host self-test (no GPU)"}};
  const cuda::DeviceInfo& d = cuda::device_info();
  int runtime = 0, driver = 0, cublas = 0;
  (void)cudaRuntimeGetVersion(&runtime);
  (void)cudaDriverGetVersion(&driver);
  (void)cublasGetVersion(cuda::cublas(), &cublas);
  return {{"name", d.name},          {"sm_count", d.sm_count},
          {"cuda_runtime", runtime}, {"cuda_driver", driver},
          {"cublas", cublas},        {"cublas_math_mode", "CUBLAS_DEFAULT_MATH (TF32 off)"}};
}

int run(const Options& o) {
  std::unique_ptr<Engine> engine;
  if (o.host_selftest) {
    engine = std::make_unique<HostEngine>(o.corrupt);
  } else {
    const cuda::DeviceInfo& d = cuda::device_info();
    if (!d.available) {
      std::fprintf(stderr, "vt_cuda_bench: no CUDA device is present (%s); nothing was timed\n",
                   d.reason.c_str());
      return o.no_device_exit;
    }
    engine = std::make_unique<CudaEngine>();
  }
  std::optional<Peers> peers;
  if (!o.peers_path.empty()) peers = load_peers(o.peers_path);

  std::vector<Result> results;
  for (const std::string& w : o.workloads) {
    Result r;
    try {
      if (w == "add")
        r = run_add(*engine, o);
      else if (w == "softmax")
        r = run_softmax(*engine, o);
      else
        r = run_matmul(*engine, o);
    } catch (const std::exception& e) {
      r.workload = w;
      r.label = w;
      r.status = "error";
      r.why = e.what();
    }
    if (peers) attach_peer(r, *peers);
    progress("%s: done\n", r.label + ": " + r.status);
    results.push_back(std::move(r));
  }

  const std::string device = engine->name();
  print_table(stdout, device, results, peers ? peers->label : "PyTorch");
  bool ok = true;
  for (const Result& r : results) ok = ok && r.status == "timed";
  if (!o.json_path.empty()) {
    json j = {{"tool", "vt_cuda_bench"},
              {"build", build_id()},
              {"device", device_json(o.host_selftest)},
              {"seed", o.seed},
              {"warmup", o.warmup},
              {"samples_per_pass", o.reps},
              {"passes", 2},
              {"min_sample_s", o.min_sample_s},
              {"timing", o.host_selftest ? "std::chrono::steady_clock"
                                         : "cudaEventElapsedTime around back-to-back calls"},
              {"all_verified", ok},
              {"workloads", json::array()}};
    for (const Result& r : results) j["workloads"].push_back(result_json(r));
    std::ofstream out(o.json_path);
    out << j.dump(2) << "\n";
    if (!out) throw Error(kOp, {}, "cannot write " + o.json_path);
  }
  std::fprintf(stdout, "%s\n",
               ok ? "every workload verified before and after timing"
                  : "some workload was REJECTED or failed: exit 1");
  return ok ? 0 : 1;
}

}  // namespace
}  // namespace vt::cuda_bench

int main(int argc, char** argv) {
  using vt::cuda_bench::Options;
  Options o;
  CLI::App app{
      "vt_cuda_bench — the CUDA backend's gated benchmarks: add 1e8, softmax 128x1000, "
      "matmul 4096^3 (float32), each verified before and after timing"};
  std::vector<std::string> workloads;
  app.add_option("--workload", workloads, "add, softmax, matmul (comma-separated; default: all)")
      ->delimiter(',')
      ->check(CLI::IsMember({"add", "softmax", "matmul"}));
  app.add_option("--json", o.json_path, "write the results as JSON");
  app.add_option("--peers", o.peers_path, "bench/cuda_peers.py's JSON: PyTorch's figures");
  app.add_option("--reps", o.reps, "timed samples per pass (two passes; at least 20)")
      ->check(CLI::Range(20, 100000))
      ->capture_default_str();
  app.add_option("--warmup", o.warmup, "untimed calls before each pass")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  app.add_option("--min-sample", o.min_sample_s, "seconds one sample lasts at least")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  app.add_option("--seed", o.seed, "seed of the inputs (the harness's case stream)")
      ->capture_default_str();
  app.add_option("--add-n", o.add_n, "elements of the add")->check(CLI::Range(1LL, 1LL << 31));
  app.add_option("--softmax-rows", o.softmax_rows, "rows of the softmax")
      ->check(CLI::Range(1LL, 1LL << 20));
  app.add_option("--softmax-cols", o.softmax_cols, "columns of the softmax")
      ->check(CLI::Range(1LL, 1LL << 20));
  app.add_option("--matmul-n", o.matmul_n, "M = K = N of the matmul")
      ->check(CLI::Range(1LL, 16384LL));
  app.add_flag("--host-selftest", o.host_selftest,
               "no GPU: host loops and cblas_sgemm stand in for the GPU, at small sizes unless "
               "given (tests the verification, timing and reports)");
  app.add_flag("--corrupt", o.corrupt,
               "with --host-selftest: damage one element of each output (all must be REJECTED)");
  app.add_option("--no-device-exit", o.no_device_exit,
                 "exit code when no CUDA device is present (default 2; CTest uses 77: skipped)")
      ->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  if (!workloads.empty()) o.workloads = workloads;
  if (o.corrupt && !o.host_selftest) {
    std::fprintf(stderr, "vt_cuda_bench: --corrupt needs --host-selftest\n");
    return 2;
  }
  if (o.host_selftest) {  // small sizes: the float128 checks and host loops stay fast
    if (app.count("--add-n") == 0) o.add_n = 1'000'003;
    if (app.count("--matmul-n") == 0) o.matmul_n = 256;
  }
  try {
    return vt::cuda_bench::run(o);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "vt_cuda_bench: error: %s\n", e.what());
    return 2;
  }
}
