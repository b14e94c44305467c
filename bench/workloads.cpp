// bench/workloads.cpp — the table of workloads (bench/workloads.hpp).
// What it is: issue 8's list as far as the catalogue has the ops — creation, add/mul, matmul,
// sum, transpose, softmax/log_softmax and linear (forward). What it is not: forward+backward,
// the MLP training step or the autograd overhead rows (README "Benchmarks": next).
#include "bench/workloads.hpp"

namespace vt::bench {

namespace {

using Ints = std::vector<std::int64_t>;

Workload fill(const char* op, std::int64_t n, bool with_value) {
  Attrs a{{"shape", Ints{n}}};
  if (with_value) a.set("value", 1.5);
  return {std::string(op) + " " + (n == 1000 ? "1e3" : "1e6"),
          op,
          {},
          a,
          {DType::f32},
          {"loop"},
          0,
          static_cast<double>(n)};
}

Workload binary(const char* op, const std::string& size, Shape s, bool copy_peer) {
  const double n = static_cast<double>(shape_numel(s));
  std::vector<std::string> peers = {"loop"};
  if (copy_peer) peers.push_back("copy");
  return {std::string(op) + " " + size, op, {s, s}, {}, {DType::f32}, peers, n, 3 * n};
}

Workload matmul(std::int64_t n) {
  const double d = static_cast<double>(n);
  // Issue 8 holds n ≥ 1000 to 0.9× the measured FMA peak on 2 threads.
  std::vector<std::string> peers = {"openblas"};
  if (n >= 1000) peers.push_back("peak");
  return {"matmul " + std::to_string(n), "matmul", {{n, n}, {n, n}}, {},
          {DType::f32, DType::f64},      peers,    2 * d * d * d,    3 * d * d};
}

Workload sum(const std::string& what, Ints axis, double out_elems) {
  return {"sum 100x1000 " + what, "sum",    {{100, 1000}}, {{"axis", axis}},
          {DType::f32},           {"loop"}, 1e5,           1e5 + out_elems};
}

Workload transpose(std::int64_t n) {
  const double d = static_cast<double>(n);
  return {"transpose " + std::to_string(n) + "x" + std::to_string(n),
          "transpose",
          {{n, n}},
          {},
          {DType::f32},
          {"loop"},
          0,
          2 * d * d};
}

Workload softmax(const char* op) {
  return {std::string(op) + " 128x1000",
          op,
          {{128, 1000}},
          {{"axis", std::int64_t{1}}},
          {DType::f32},
          {},
          0,
          2 * 128000.0};
}

Workload linear(std::int64_t batch) {
  const double b = static_cast<double>(batch);
  return {"linear 784-128 b" + std::to_string(batch),
          "linear",
          {{batch, 784}, {128, 784}, {128}},
          {},
          {DType::f32},
          {"openblas"},
          2 * b * 784 * 128,
          b * 784 + 128 * 784 + 128 + b * 128};
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
  };
  return w;
}

}  // namespace vt::bench
