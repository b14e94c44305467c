// tests/dd_math.cpp — the CUDA backend's float64 exp, log and pow (cuda/core/dd_math.hpp) run
// here, on the host, against binary128 (libquadmath): they are plain IEEE double operations in a
// fixed order, compiled without contraction on both sides, so the GPU computes these same bits and
// this is their accuracy test on a machine without a GPU. Each must be within 0.5 ulp + 2^-30 ulp
// of the exact value where the result is normal (the header's analysis gives 2^-41 for exp and
// log, 2^-30 for pow) and within 1 ulp where it is subnormal; special values must equal glibc's
// (C99 Annex F), bit for bit.
// What it is not: a test of CUDA's own functions (the GPU run checks the ops that call these).
#include "cuda/core/dd_math.hpp"

#include <quadmath.h>
#include <boost/test/unit_test.hpp>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

namespace {

using vt::cuda::dd::exp_f64;
using vt::cuda::dd::log_f64;
using vt::cuda::dd::pow_f64;

/// |got − exact| in units of the double ulp at the exact value (η below the normal range).
double ulp_error(double got, __float128 exact) {
  const __float128 a = fabsq(exact);
  int e = 0;
  frexpq(a, &e);  // a = f·2^e, f ∈ [½, 1)
  const int ulp_exp = std::max(e - 53, -1074);
  const __float128 ulp = ldexpq(1, ulp_exp);
  return static_cast<double>(fabsq(static_cast<__float128>(got) - exact) / ulp);
}

bool subnormal_or_zero(__float128 v) { return fabsq(v) < ldexpq(1, -1022); }

struct Worst {
  double ulps = 0;
  double x = 0, y = 0;
};

void check(Worst& w, double got, __float128 exact, double x, double y = 0) {
  if (isinfq(exact) || fabsq(exact) > static_cast<__float128>(std::numeric_limits<double>::max())) {
    // Overflow: the correctly rounded result is inf, or DBL_MAX just below the rounding point.
    const double rounded = static_cast<double>(exact);
    BOOST_TEST_INFO("x = " << x << " y = " << y);
    BOOST_TEST(got == rounded);
    return;
  }
  const double e = ulp_error(got, exact);
  const double limit = subnormal_or_zero(exact) ? 1.0 : 0.5 + 0x1p-30;
  if (e > limit) {
    BOOST_TEST_INFO("x = " << x << " (" << std::hexfloat << x << ") y = " << y << " got " << got
                           << std::defaultfloat << " error " << e << " ulp");
    BOOST_TEST(e <= limit);
  }
  if (e > w.ulps) w = {e, x, y};
}

bool same_bits(double a, double b) {
  if (std::isnan(a) && std::isnan(b)) return true;
  return std::bit_cast<std::uint64_t>(a) == std::bit_cast<std::uint64_t>(b);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(dd_math)

BOOST_AUTO_TEST_CASE(exp_is_within_half_an_ulp) {
  std::mt19937_64 rng(20261126);
  std::uniform_real_distribution<double> wide(-746.0, 710.0), small(-60.0, 3.0);
  Worst w;
  for (int i = 0; i < 200000; ++i) {
    const double x = i % 2 ? wide(rng) : std::copysign(std::exp2(small(rng)), wide(rng));
    check(w, exp_f64(x), expq(static_cast<__float128>(x)), x);
  }
  BOOST_TEST_MESSAGE("exp_f64: worst " << w.ulps << " ulp at x = " << w.x);
  for (double x : {0.0, -0.0, 1.0, -1.0, 709.782712893384, 709.7827128933841, -745.1332191019411,
                   -745.1332191019412, -744.44007192138122, -708.39641853226408, 1e-300, -1e-300})
    check(w, exp_f64(x), expq(static_cast<__float128>(x)), x);
  for (double x :
       {std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity(),
        std::numeric_limits<double>::quiet_NaN(), 711.0, -800.0})
    BOOST_TEST(same_bits(exp_f64(x), std::exp(x)), "exp special " << x);
}

BOOST_AUTO_TEST_CASE(log_is_within_half_an_ulp) {
  std::mt19937_64 rng(20261127);
  std::uniform_real_distribution<double> expo(-1074.0, 1024.0), near(-52.0, -1.0), unit(0, 1);
  Worst w;
  for (int i = 0; i < 200000; ++i) {
    double x;
    if (i % 2) {
      x = std::exp2(expo(rng));
      if (!(x > 0) || std::isinf(x)) continue;
    } else {  // near 1, where log is ill-conditioned and the atanh series carries everything
      x = 1.0 + (unit(rng) < 0.5 ? -1 : 1) * std::exp2(near(rng));
    }
    check(w, log_f64(x), logq(static_cast<__float128>(x)), x);
  }
  BOOST_TEST_MESSAGE("log_f64: worst " << w.ulps << " ulp at x = " << w.x);
  for (double x :
       {0.0, -0.0, 1.0, -1.0, std::numeric_limits<double>::infinity(),
        -std::numeric_limits<double>::infinity(), std::numeric_limits<double>::quiet_NaN()})
    BOOST_TEST(same_bits(log_f64(x), std::log(x)), "log special " << x);
  for (double x : {std::numeric_limits<double>::denorm_min(), std::numeric_limits<double>::min(),
                   std::numeric_limits<double>::max(), 2.0, 0.5, std::nextafter(1.0, 2.0),
                   std::nextafter(1.0, 0.0)})
    check(w, log_f64(x), logq(static_cast<__float128>(x)), x);
}

BOOST_AUTO_TEST_CASE(pow_is_within_half_an_ulp) {
  std::mt19937_64 rng(20261128);
  std::uniform_real_distribution<double> base_exp(-30.0, 30.0), power(-40.0, 40.0), unit(0, 1);
  std::uniform_int_distribution<int> integer(-60, 60);
  Worst w;
  for (int i = 0; i < 200000; ++i) {
    double a = std::exp2(base_exp(rng));
    double b = power(rng);
    if (i % 4 == 1) {  // negative bases with integer powers: the sign of odd powers
      a = -a;
      b = integer(rng);
    } else if (i % 4 == 2) {  // bases near 1 with huge powers: the low part of b·log a matters
      a = 1.0 + (unit(rng) - 0.5) * 0x1p-20;
      b = (unit(rng) - 0.5) * 0x1p31;
    } else if (i % 4 == 3) {  // results over and under the double range, subnormals included
      a = std::exp2(base_exp(rng) * 30.0);
      b = power(rng) * 0.5;
    }
    check(w, pow_f64(a, b), powq(static_cast<__float128>(a), static_cast<__float128>(b)), a, b);
  }
  BOOST_TEST_MESSAGE("pow_f64: worst " << w.ulps << " ulp at a = " << w.x << ", b = " << w.y);
  const double inf = std::numeric_limits<double>::infinity(), nan = std::nan("");
  const std::vector<double> specials = {0.0, -0.0,   1.0,     -1.0,      0.5, -0.5,
                                        2.0, -2.0,   3.0,     -3.0,      inf, -inf,
                                        nan, 0x1p53, -0x1p53, 0x1p-1074, 2.5, -2.5};
  for (double a : specials)
    for (double b : specials)
      BOOST_TEST(same_bits(pow_f64(a, b), std::pow(a, b)), "pow(" << a << ", " << b << ")");
}

// The sign of an exact sum of doubles (float32 arange and clip_grad_norm decide with it): terms
// within 2^50 of each other, so their binary128 sum is exact, with cancellation forced in half.
BOOST_AUTO_TEST_CASE(exact_sum_sign_is_the_sign_of_the_exact_sum) {
  std::mt19937_64 rng(20261129);
  std::uniform_real_distribution<double> mant(-1.0, 1.0), expo(-25.0, 25.0);
  for (int i = 0; i < 100000; ++i) {
    double x[4];
    for (double& v : x) v = std::ldexp(mant(rng), static_cast<int>(expo(rng)));
    if (i % 2) x[3] = -static_cast<double>(static_cast<__float128>(x[0]) + x[1] + x[2]);
    __float128 exact = 0;
    for (double v : x) exact += v;
    const int want = exact > 0 ? 1 : exact < 0 ? -1 : 0;
    BOOST_TEST_INFO(std::hexfloat << x[0] << " " << x[1] << " " << x[2] << " " << x[3]);
    BOOST_TEST(vt::cuda::dd::exact_sum_sign(x) == want);
  }
}

BOOST_AUTO_TEST_SUITE_END()
