// verify/harness/compare.cpp — the per-element pass rules of the accuracy classes.
// What it is not: the bounds themselves (each sum-bound op's spec computes its own).
#include "verify/harness/compare.hpp"

#include <cmath>
#include <cstring>
#include <limits>
#include <set>

namespace vt::verify {

namespace bmp = boost::multiprecision;

double Comparison::rms() const {
  return elements ? std::sqrt(sum_sq_error / static_cast<double>(elements)) : 0.0;
}

hp_t ulp_error(hp_t x, hp_t y, DType target) {
  const Precision p = precision_of(target);
  const int emin = target == DType::f32 ? -126 : -1022;
  hp_t ulp;
  if (y == 0) {
    ulp = p.denorm_min;
  } else {
    int e = 0;
    bmp::frexp(y, &e);  // |y| = m·2^e, m ∈ [0.5, 1): floor(log2|y|) = e − 1
    ulp = bmp::ldexp(hp_t(1), std::max(e - 1, emin) - p.digits + 1);
  }
  return bmp::abs(x - y) / ulp;
}

namespace {

hp_t round_to_target(hp_t r, DType t) {
  return t == DType::f32 ? hp_t(static_cast<float>(r)) : hp_t(static_cast<double>(r));
}

bool same_bits(double a, double b, DType t) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  if (t == DType::f32) {
    float fa = static_cast<float>(a), fb = static_cast<float>(b);
    // Bits are the point: +0 and −0 must differ (NaN was handled above).
    return std::memcmp(&fa, &fb, sizeof fa) == 0;  // NOLINT(bugprone-suspicious-memory-comparison)
  }
  return std::memcmp(&a, &b, sizeof a) == 0;  // NOLINT(bugprone-suspicious-memory-comparison)
}

}  // namespace

void compare_element(hp_t r, double got, hp_t bound, const CompareSpec& cs,
                     const std::vector<std::int64_t>& index, Comparison& acc) {
  const double inf = std::numeric_limits<double>::infinity();
  const hp_t rr_hp = round_to_target(r, cs.target);
  const double rr = static_cast<double>(rr_hp);
  ElementReport e;
  e.got = got;
  e.expected = rr;
  bool pass;
  double error;
  double budget;
  const bool r_finite = bmp::isfinite(r);
  const bool g_finite = std::isfinite(got);

  if (cs.cls == AccuracyClass::sum_bound)
    budget = 1.0;
  else if (cs.cls == AccuracyClass::ulp)
    budget = cs.ulp_k;
  else
    budget = 0.5;

  if (!r_finite || !g_finite) {
    // Non-finite on either side: only an identical special value (or the reference's finite
    // value overflowing to the same infinity when rounded) is right.
    pass = same_bits(got, rr, cs.target) || (std::isnan(got) && bmp::isnan(r)) ||
           (!g_finite && !std::isnan(got) && rr == got);
    if (cs.bitwise) pass = same_bits(got, rr, cs.target);
    error = pass ? 0.0 : inf;
    if (!pass)
      e.reason =
          bmp::isnan(r) ? "NaN expected" : (std::isnan(got) ? "unexpected NaN" : "wrong infinity");
  } else {
    const hp_t diff = bmp::abs(hp_t(got) - r);
    if (cs.cls == AccuracyClass::sum_bound) {
      // The reference rounded to the target is always admissible (below), so the bound in
      // effect is max(bound, |fl(r) − r|): a correctly rounded value uses at most all of it.
      const hp_t effective = std::isfinite(rr) ? std::max(bound, bmp::abs(rr_hp - r)) : bound;
      error = effective > 0 ? static_cast<double>(diff / effective) : (diff == 0 ? 0.0 : inf);
    } else {
      error = static_cast<double>(ulp_error(hp_t(got), r, cs.target));
    }
    if (cs.bitwise) {
      pass = same_bits(got, rr, cs.target);
      if (!pass) e.reason = got == rr ? "sign of zero" : "not the correctly rounded value";
    } else if (cs.cls == AccuracyClass::sum_bound) {
      pass = diff <= bound;
      // The reference rounded to the target is always admissible (a backend cannot do better).
      pass = pass || same_bits(got, rr, cs.target);
    } else {
      pass = error <= budget || same_bits(got, rr, cs.target);
    }
  }
  e.index = index;
  e.error = error;
  e.bound = cs.cls == AccuracyClass::sum_bound ? 1.0 : budget;
  if (cs.bitwise) e.bound = cs.cls == AccuracyClass::sum_bound ? 0.0 : 0.5;
  ++acc.elements;
  acc.sum_sq_error += std::isfinite(error) ? error * error : 0.0;
  // The worst element: the largest failing error if anything failed, else the largest error.
  if (!pass) {
    if (acc.failures == 0 || error > acc.worst.error) acc.worst = e;
    acc.has_worst = true;
    ++acc.failures;
  } else if (acc.failures == 0 && (!acc.has_worst || error > acc.worst.error)) {
    acc.worst = e;
    acc.has_worst = true;
  }
  acc.max_error = std::max(acc.max_error, error);
}

Comparison compare_outputs(const Tensor& ref, const Tensor& got, const Tensor& bound,
                           const CompareSpec& cs) {
  Comparison acc;
  if (ref.shape() != got.shape())
    throw Error("", {ref.shape(), got.shape()}, "reference and backend output shapes differ");
  const bool integer = ref.dtype() == DType::i64;
  if (integer) {
    if (got.dtype() != DType::i64)
      throw Error("", {got.shape()},
                  "expected an int64 output, got " + std::string(dtype_name(got.dtype())));
    View<std::int64_t> r = ref.view<std::int64_t>(), g = got.view<std::int64_t>();
    for_each_index(ref.shape(), [&](const auto& i) {
      ++acc.elements;
      const std::int64_t d = g[i] - r[i];
      if (d != 0) {
        ElementReport e{i,
                        static_cast<double>(g[i]),
                        static_cast<double>(r[i]),
                        std::abs(static_cast<double>(d)),
                        0,
                        "wrong index"};
        if (acc.failures == 0) acc.worst = e;
        acc.has_worst = true;
        ++acc.failures;
        acc.max_error = std::max(acc.max_error, e.error);
        acc.sum_sq_error += e.error * e.error;
      }
    });
    return acc;
  }
  for_each_index(ref.shape(), [&](const auto& i) {
    const hp_t b = bound.defined() ? load_hp(bound, i) : hp_t(0);
    compare_element(load_hp(ref, i), static_cast<double>(load_hp(got, i)), b, cs, i, acc);
  });
  return acc;
}

Vacuity check_vacuity(const Tensor& reference, const OpSpec& spec) {
  Vacuity v;
  const std::int64_t n = reference.numel();
  if (spec.constant_output || n == 0) return v;
  std::int64_t zeros = 0;
  std::set<double> distinct;  // NaN counts as one value, kept apart (it is unordered)
  bool saw_nan = false;
  for_each_index(reference.shape(), [&](const auto& i) {
    const hp_t x = load_hp(reference, i);
    if (x == 0) ++zeros;
    if (bmp::isnan(x))
      saw_nan = true;
    else if (static_cast<int>(distinct.size()) < spec.min_distinct)
      distinct.insert(static_cast<double>(x));
  });
  const std::size_t n_distinct = distinct.size() + (saw_nan ? 1 : 0);
  // Fewer than four outputs say too little to judge the data by (a relu of one negative number
  // is legitimately 0); the rule applies to every larger output.
  if (n < 4) return v;
  const double zf = static_cast<double>(zeros) / static_cast<double>(n);
  if (zf > spec.max_zero_fraction) {
    v.vacuous = true;
    v.reason = std::to_string(static_cast<int>(zf * 100)) + "% of the outputs are zero (limit " +
               std::to_string(static_cast<int>(spec.max_zero_fraction * 100)) + "%)";
  } else if (static_cast<int>(n_distinct) < spec.min_distinct) {
    v.vacuous = true;
    v.reason = "only " + std::to_string(n_distinct) + " distinct output value(s)";
  }
  return v;
}

}  // namespace vt::verify
