// bench/workloads.cpp — the table of workloads (bench/workloads.hpp).
// What it is: issue 8's list as far as the catalogue has the ops — creation, add/mul, matmul,
// sum, transpose, softmax/log_softmax, linear (forward), and the programs: linear
// forward+backward, the MLP training step (SGD, Adam) and the autograd overhead rows.
// What it is not: how the programs run or are verified (bench/programs.cpp).
#include "bench/workloads.hpp"

namespace vt::bench {

namespace {

using Ints = std::vector<std::int64_t>;

Workload op_row(std::string name, std::string op, std::vector<Shape> shapes, Attrs attrs,
                std::vector<DType> dtypes, std::vector<std::string> peers, double flops,
                double elements) {
  Workload w;
  w.name = std::move(name);
  w.op = std::move(op);
  w.shapes = std::move(shapes);
  w.attrs = std::move(attrs);
  w.dtypes = std::move(dtypes);
  w.cpp_peers = std::move(peers);
  w.flops = flops;
  w.elements = elements;
  return w;
}

Workload fill(const char* op, std::int64_t n, bool with_value) {
  Attrs a{{"shape", Ints{n}}};
  if (with_value) a.set("value", 1.5);
  return op_row(std::string(op) + " " + (n == 1000 ? "1e3" : "1e6"), op, {}, a, {DType::f32},
                {"loop"}, 0, static_cast<double>(n));
}

Workload binary(const char* op, const std::string& size, const Shape& s, bool copy_peer) {
  const double n = static_cast<double>(shape_numel(s));
  std::vector<std::string> peers = {"loop"};
  if (copy_peer) peers.push_back("copy");
  return op_row(std::string(op) + " " + size, op, {s, s}, {}, {DType::f32}, peers, n, 3 * n);
}

Workload matmul(std::int64_t n) {
  const double d = static_cast<double>(n);
  // Issue 8 holds n ≥ 1000 to 0.9× the measured FMA peak on 2 threads.
  std::vector<std::string> peers = {"openblas"};
  if (n >= 1000) peers.push_back("peak");
  return op_row("matmul " + std::to_string(n), "matmul", {{n, n}, {n, n}}, {},
                {DType::f32, DType::f64}, peers, 2 * d * d * d, 3 * d * d);
}

Workload sum(const std::string& what, Ints axis, double out_elems) {
  return op_row("sum 100x1000 " + what, "sum", {{100, 1000}}, {{"axis", axis}}, {DType::f32},
                {"loop"}, 1e5, 1e5 + out_elems);
}

Workload transpose(std::int64_t n) {
  const double d = static_cast<double>(n);
  return op_row("transpose " + std::to_string(n) + "x" + std::to_string(n), "transpose", {{n, n}},
                {}, {DType::f32}, {"loop"}, 0, 2 * d * d);
}

Workload softmax(const char* op) {
  return op_row(std::string(op) + " 128x1000", op, {{128, 1000}}, {{"axis", std::int64_t{1}}},
                {DType::f32}, {}, 0, 2 * 128000.0);
}

Workload linear(std::int64_t batch) {
  const double b = static_cast<double>(batch);
  return op_row("linear 784-128 b" + std::to_string(batch), "linear",
                {{batch, 784}, {128, 784}, {128}}, {}, {DType::f32}, {"openblas"},
                2 * b * 784 * 128, b * 784 + 128 * 784 + 128 + b * 128);
}

// ---- programs (bench/programs.hpp) -----------------------------------------------------------

Workload program(std::string name, std::string op, std::vector<Shape> shapes, Attrs attrs,
                 std::vector<std::string> peers, double flops, std::vector<std::string> ops,
                 ProgramFactory factory, int max_threads = 0) {
  Workload w = op_row(std::move(name), std::move(op), std::move(shapes), std::move(attrs),
                      {DType::f32}, std::move(peers), flops, 0);
  w.program = std::move(factory);
  w.program_ops = std::move(ops);
  w.max_threads = max_threads;
  return w;
}

/// linear 784→128 then sum then backward: forward 2·b·784·128 flops, x.grad and W.grad as much
/// again each (b.grad and the sum: b·128 additions each).
Workload linear_fwd_bwd(std::int64_t batch) {
  const double b = static_cast<double>(batch);
  return program("linear fwd+bwd b" + std::to_string(batch), "linear_fwd_bwd",
                 {{batch, 784}, {128, 784}, {128}}, {}, {"openblas"},
                 6 * b * 784 * 128 + 2 * b * 128, {"linear", "sum"},
                 [batch](const ProgramSetup& s) { return linear_fwd_bwd_program(batch, s); });
}

/// One training step of the 784-256-128-10 MLP at batch 100: the forward (2·B·Σ in·out), the
/// weight gradients (as much again) and the input gradients of layers 2 and 3 (x needs none).
Workload mlp(const std::string& optimizer) {
  constexpr std::int64_t B = 100;
  const double f = 2.0 * B * (784 * 256 + 256 * 128 + 128 * 10);
  const double gx = 2.0 * B * (256 * 128 + 128 * 10);
  return program("mlp 784-256-128-10 " + optimizer, "mlp_step", {{B, 784}},
                 {{"optimizer", optimizer}, {"layers", Ints{784, 256, 128, 10}}}, {}, 2 * f + gx,
                 {"linear", "relu", "cross_entropy", optimizer + "_step"},
                 [optimizer](const ProgramSetup& s) { return mlp_step_program(B, optimizer, s); });
}

}  // namespace

const std::vector<Workload>& workloads() {
  static const std::vector<Workload> w = {
      fill("zeros", 1000, false),
      fill("zeros", 1000000, false),
      fill("full", 1000, true),
      fill("full", 1000000, true),
      binary("add", "100x100", {100, 100}, false),
      // A prime length: the vector loops' scalar tails run (every size above is a multiple of 16).
      binary("add", "10007", {10007}, false),
      binary("add", "1e6", {1000000}, false),
      binary("add", "1e7", {10000000}, true),
      binary("mul", "100x100", {100, 100}, false),
      binary("mul", "10007", {10007}, false),
      binary("mul", "1e6", {1000000}, false),
      binary("mul", "1e7", {10000000}, true),
      matmul(100),
      matmul(256),
      matmul(1000),
      matmul(2048),
      sum("all", {}, 1),
      sum("axis0", {0}, 1000),
      sum("axis1", {1}, 100),
      transpose(100),
      transpose(1000),
      softmax("softmax"),
      softmax("log_softmax"),
      linear(1),
      linear(100),
      linear_fwd_bwd(1),
      linear_fwd_bwd(100),
      mlp("sgd"),
      mlp("adam"),
      // Autograd overhead: one thread only (issue 8; 10×10 is far below any parallel threshold).
      program("autograd (x*w).sum() 10x10", "autograd_mul_sum", {{10, 10}, {10, 10}}, {}, {}, 0,
              {"mul", "sum"}, autograd_mul_sum_program, 1),
      program("autograd chain100 10x10", "autograd_chain", {{10, 10}},
              {{"pairs", std::int64_t{50}}}, {}, 0, {"mul", "add", "sum"}, autograd_chain_program,
              1),
  };
  return w;
}

}  // namespace vt::bench
