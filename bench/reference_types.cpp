// bench/reference_types.cpp — how the reference's scalar type was chosen: ns per multiply-add of a
// length-1000 dot product in each Boost.Multiprecision type with ≥ 113 significand bits (and
// double for scale). What it is not: a benchmark of any op. Run:
// build/release/bench/reference_types
#include <benchmark/benchmark.h>

#include <boost/multiprecision/cpp_bin_float.hpp>
#include <boost/multiprecision/float128.hpp>
#include <boost/multiprecision/mpfr.hpp>

#include <random>
#include <vector>

namespace {

template <class Real>
void BM_dot1000(benchmark::State& state) {
  std::mt19937_64 rng(1);
  std::uniform_real_distribution<double> u(-1, 1);
  std::vector<Real> a(1000), b(1000);
  for (std::size_t i = 0; i < a.size(); ++i) {
    a[i] = Real(u(rng));
    b[i] = Real(u(rng));
  }
  for (auto _ : state) {
    Real s = 0;
    for (std::size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
    benchmark::DoNotOptimize(s);
  }
  state.counters["ns_per_madd"] =
      benchmark::Counter(static_cast<double>(state.iterations()) * 1000.0,
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

using boost::multiprecision::cpp_bin_float_50;
using boost::multiprecision::cpp_bin_float_quad;
using boost::multiprecision::float128;
using boost::multiprecision::mpfr_float_50;

BENCHMARK(BM_dot1000<double>);
BENCHMARK(BM_dot1000<float128>);
BENCHMARK(BM_dot1000<cpp_bin_float_quad>);
BENCHMARK(BM_dot1000<cpp_bin_float_50>);
BENCHMARK(BM_dot1000<mpfr_float_50>);

}  // namespace

BENCHMARK_MAIN();
