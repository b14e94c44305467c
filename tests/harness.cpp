// tests/harness.cpp — unit tests of the harness's own rules: the per-element comparison of each
// accuracy class, vacuity, canaries and inputs-unchanged checks (through test-only planted
// implementations registered below), the ledger parser, attribute parsing and globbing.
// What it is not: op tests (detection.cpp and `veritensor verify` cover the ops).
#include "core/registry.hpp"
#include "verify/harness/compare.hpp"
#include "verify/harness/ledger.hpp"
#include "verify/harness/runner.hpp"

#include <boost/test/unit_test.hpp>

#include <cmath>
#include <cstring>
#include <limits>

using namespace vt;
using namespace vt::verify;
namespace bmp = boost::multiprecision;

namespace {

// ---- test-only planted implementations of `add`: memory-safety violations ---------------------

void run_default_add(OpCall& c) {
  Registry::instance().find("add", backend::optimized)->forward(c);
}

void add_writes_past_end(OpCall& c) {
  run_default_add(c);
  const Tensor& out = c.outputs[0];
  auto [lo, hi] = out.byte_extent();
  (void)lo;
  // One byte after the last element, when the buffer has room (the harness's canary padding).
  if (out.numel() > 0 && static_cast<std::size_t>(hi) < out.storage()->nbytes())
    out.storage()->data()[hi] = std::byte{0};
}

void add_modifies_input(OpCall& c) {
  run_default_add(c);
  for (const Tensor& in : c.inputs) {
    if (in.numel() == 0 || in.storage() == c.outputs[0].storage()) continue;
    std::memset(in.raw(), 0x7f, 1);  // corrupt one byte of an input
    return;
  }
}

void add_skips_last_element(OpCall& c) {
  Tensor& out = c.outputs[0];
  if (out.numel() < 2) return run_default_add(c);
  // Compute everything into a scratch tensor, then copy all but the last element.
  Tensor scratch = Tensor::empty(out.shape(), out.dtype());
  OpCall inner{c.inputs, c.attrs, {scratch}};
  run_default_add(inner);
  Tensor flat_out = out.reshape({-1});
  Tensor flat_in = scratch.reshape({-1});
  if (flat_out.storage() == out.storage() && flat_out.raw() == out.raw()) {
    flat_out.slice(0, 0, out.numel() - 1).copy_from(flat_in.slice(0, 0, out.numel() - 1));
  } else {
    // Non-viewable (strided) output: leave its last logical element alone.
    Tensor tmp = out.clone();
    tmp.reshape({-1}).slice(0, 0, out.numel() - 1).copy_from(flat_in.slice(0, 0, out.numel() - 1));
    out.copy_from(tmp);
  }
}

VT_REGISTER_IMPL({.op = "add",
                  .backend = backend::optimized,
                  .variant = "test_writes_past_end",
                  .dtypes = {DType::f32, DType::f64},
                  .forward = add_writes_past_end,
                  .planted_bug = true,
                  .technique = "harness self-test: writes one byte past the output"});
VT_REGISTER_IMPL({.op = "add",
                  .backend = backend::optimized,
                  .variant = "test_modifies_input",
                  .dtypes = {DType::f32, DType::f64},
                  .forward = add_modifies_input,
                  .planted_bug = true,
                  .technique = "harness self-test: corrupts an input"});
VT_REGISTER_IMPL({.op = "add",
                  .backend = backend::optimized,
                  .variant = "test_skips_last_element",
                  .dtypes = {DType::f32, DType::f64},
                  .forward = add_skips_last_element,
                  .planted_bug = true,
                  .technique = "harness self-test: leaves the last element unwritten"});

Report run_variant(const std::string& variant, std::uint64_t seed = kDefaultSeed) {
  Options o;
  o.ops = {"add"};
  o.backends = {backend::optimized};
  o.variant = variant;
  o.seed = seed;
  o.ledger_mode = Options::LedgerMode::off;
  return run_verification(o);
}

bool any_problem_mentions(const Report& rep, const std::string& phrase) {
  for (const RowResult& r : rep.rows)
    for (const CaseResult& c : r.problems)
      if (c.message.find(phrase) != std::string::npos) return true;
  return false;
}

Comparison compare_one(hp_t ref, double got, const CompareSpec& cs, hp_t bound = 0) {
  Comparison acc;
  compare_element(ref, got, bound, cs, {0}, acc);
  return acc;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(harness)

BOOST_AUTO_TEST_CASE(exact_class_is_bit_exact) {
  const CompareSpec f32{AccuracyClass::exact, 0, true, DType::f32};
  const hp_t third = hp_t(1) / 3;
  const float rounded = static_cast<float>(third);  // correctly rounded by libquadmath
  BOOST_TEST(compare_one(third, rounded, f32).failures == 0);
  BOOST_TEST(compare_one(third, std::nextafter(rounded, 1.0f), f32).failures == 1);
  BOOST_TEST(compare_one(third, std::nextafter(rounded, 0.0f), f32).failures == 1);
  // Signed zeros and NaN positions are part of "exact".
  BOOST_TEST(compare_one(hp_t(0), -0.0, f32).failures == 1);
  BOOST_TEST(compare_one(-hp_t(0), -0.0, f32).failures == 0);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  BOOST_TEST(compare_one(std::numeric_limits<hp_t>::quiet_NaN(), nan, f32).failures == 0);
  BOOST_TEST(compare_one(std::numeric_limits<hp_t>::quiet_NaN(), 0.0, f32).failures == 1);
  BOOST_TEST(compare_one(hp_t(1), nan, f32).failures == 1);
  // A finite reference that rounds to +inf in float32 accepts +inf, not FLT_MAX.
  const hp_t big = bmp::ldexp(hp_t(1), 128);
  BOOST_TEST(compare_one(big, std::numeric_limits<double>::infinity(), f32).failures == 0);
  BOOST_TEST(compare_one(big, std::numeric_limits<float>::max(), f32).failures == 1);
}

BOOST_AUTO_TEST_CASE(ulp_class_measures_in_units_of_the_target) {
  // y = 1 + 3·2^-25: float32 spacing at 1 is 2^-23, so got = 1 is 0.75 ulp away.
  const hp_t y = 1 + 3 * bmp::ldexp(hp_t(1), -25);
  const CompareSpec k1{AccuracyClass::ulp, 1.0, false, DType::f32};
  const CompareSpec k_half{AccuracyClass::ulp, 0.5, false, DType::f32};
  Comparison c = compare_one(y, 1.0, k1);
  BOOST_TEST(c.failures == 0);
  BOOST_TEST(c.max_error == 0.75, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(compare_one(y, 1.0, k_half).failures == 1);
  // Below a power of two the spacing halves: in [0.5, 1) a float32 ulp is 2^-24.
  BOOST_TEST(static_cast<double>(ulp_error(hp_t(1) - bmp::ldexp(hp_t(1), -24),
                                           hp_t(1) - bmp::ldexp(hp_t(1), -23), DType::f32)) == 1.0);
  BOOST_TEST(static_cast<double>(ulp_error(hp_t(1) + bmp::ldexp(hp_t(1), -23),
                                           hp_t(1) - bmp::ldexp(hp_t(1), -24), DType::f32)) == 3.0);
  // Subnormal range: the spacing is denorm_min.
  const hp_t tiny = bmp::ldexp(hp_t(3), -149);
  BOOST_TEST(static_cast<double>(ulp_error(bmp::ldexp(hp_t(1), -149), tiny, DType::f32)) == 2.0);
}

BOOST_AUTO_TEST_CASE(sum_bound_uses_the_given_bound) {
  const CompareSpec sb{AccuracyClass::sum_bound, 1.0, false, DType::f64};
  BOOST_TEST(compare_one(hp_t(1), 1.0 + 5e-7, sb, hp_t(1e-6)).failures == 0);
  BOOST_TEST(compare_one(hp_t(1), 1.0 + 2e-6, sb, hp_t(1e-6)).failures == 1);
  Comparison c = compare_one(hp_t(1), 1.0 + 5e-7, sb, hp_t(1e-6));
  BOOST_TEST(c.max_error == 0.5, boost::test_tools::tolerance(1e-6));
  // A zero bound admits only the exact value.
  BOOST_TEST(compare_one(hp_t(2), 2.0, sb, hp_t(0)).failures == 0);
  BOOST_TEST(compare_one(hp_t(2), std::nextafter(2.0, 3.0), sb, hp_t(0)).failures == 1);
  // In the exact regime the comparison is bitwise even though the class is sum-bound.
  const CompareSpec sb_exact{AccuracyClass::sum_bound, 1.0, true, DType::f64};
  BOOST_TEST(compare_one(hp_t(1), 1.0 + 5e-7, sb_exact, hp_t(1e-6)).failures == 1);
}

BOOST_AUTO_TEST_CASE(vacuous_data_is_detected) {
  OpSpec spec;
  spec.name = "test";
  Tensor zeros = Tensor::empty({10}, DType::hp);
  BOOST_TEST(check_vacuity(zeros, spec).vacuous);
  Tensor constant = Tensor::from<hp_t>({5}, {hp_t(3), hp_t(3), hp_t(3), hp_t(3), hp_t(3)});
  BOOST_TEST(check_vacuity(constant, spec).vacuous);
  Tensor varied = Tensor::from<hp_t>({5}, {hp_t(1), hp_t(0), hp_t(3), hp_t(0), hp_t(2)});
  BOOST_TEST(!check_vacuity(varied, spec).vacuous);
  spec.constant_output = true;
  BOOST_TEST(!check_vacuity(constant, spec).vacuous);
}

BOOST_AUTO_TEST_CASE(canary_damage_is_detected) {
  const Report rep = run_variant("test_writes_past_end");
  BOOST_TEST(verdict_name(rep.overall()) == verdict_name(Verdict::failed));
  BOOST_TEST(any_problem_mentions(rep, "outside output 0 were written"));
}

BOOST_AUTO_TEST_CASE(modified_inputs_are_detected) {
  const Report rep = run_variant("test_modifies_input");
  BOOST_TEST(verdict_name(rep.overall()) == verdict_name(Verdict::failed));
  BOOST_TEST(any_problem_mentions(rep, "was modified by the call"));
}

BOOST_AUTO_TEST_CASE(unwritten_outputs_are_detected) {
  const Report rep = run_variant("test_skips_last_element");
  BOOST_TEST(verdict_name(rep.overall()) == verdict_name(Verdict::failed));
  BOOST_TEST(any_problem_mentions(rep, "outside the exact bound"));
}

BOOST_AUTO_TEST_CASE(repro_command_reruns_one_case) {
  const Report rep = run_variant("mutant_lost_tail");
  BOOST_REQUIRE(!rep.rows.empty());
  const RowResult& row = rep.rows[0];
  BOOST_REQUIRE(!row.problems.empty());
  const CaseResult& c = row.problems[0];
  Options o;
  const std::string cmd = repro_command(row, c, o);
  BOOST_TEST(cmd.find("--regime " + std::string(regime_name(c.regime))) != std::string::npos);
  BOOST_TEST(cmd.find("--case " + std::to_string(c.index)) != std::string::npos);
  // Rerunning exactly that case reproduces the failure.
  Options one;
  one.ops = {"add"};
  one.backends = {backend::optimized};
  one.variant = "mutant_lost_tail";
  one.dtypes = {row.dtype};
  one.regime = c.regime;
  one.case_index = c.index;
  one.ledger_mode = Options::LedgerMode::off;
  const Report again = run_verification(one);
  BOOST_REQUIRE(again.rows.size() == 1);
  BOOST_TEST(again.rows[0].cases_run == 1);
  BOOST_TEST(again.rows[0].cases_failed == 1);
}

BOOST_AUTO_TEST_CASE(ledger_parses_and_rejects) {
  Ledger l =
      Ledger::parse("# comment\nexp optimized loop float32 ulp 0.52  # glibc expf\n\n", "t.txt");
  const LedgerEntry* e = l.find("exp", "optimized", "loop", "float32");
  BOOST_REQUIRE(e != nullptr);
  BOOST_TEST(e->accepted == 0.52);
  BOOST_TEST(e->note == "glibc expf");
  BOOST_TEST(l.serialize().find("# comment") != std::string::npos);
  auto rejects = [](const std::string& text, const std::string& phrase) {
    try {
      Ledger::parse(text, "bad.txt");
    } catch (const Error& err) {
      const std::string msg = err.what();
      return msg.find("bad.txt:") != std::string::npos && msg.find(phrase) != std::string::npos;
    }
    return false;
  };
  BOOST_TEST(rejects("exp optimized loop float32 ulp\n", "expected 6 fields"));
  BOOST_TEST(rejects("exp optimized loop float16 ulp 1\n", "dtype must be"));
  BOOST_TEST(rejects("exp optimized loop float32 bits 1\n", "unit must be"));
  BOOST_TEST(rejects("exp optimized loop float32 ulp -1\n", "finite number"));
  BOOST_TEST(rejects("exp optimized loop float32 ulp nan\n", "finite number"));
  BOOST_TEST(rejects("a b c float32 ulp 1\na b c float32 ulp 2\n", "duplicate"));
  BOOST_TEST(round_up_3(0.50012) == 0.501, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(round_up_3(0.0) == 0.0);
  // A rewrite keeps every accepted value: a hand-written 0.5024 is not rounded to 0.502.
  const Ledger precise = Ledger::parse("exp optimized loop float32 ulp 0.5024\n", "p.txt");
  BOOST_TEST(precise.serialize().find("0.5024") != std::string::npos);
  BOOST_TEST(Ledger::parse(precise.serialize(), "again.txt")
                 .find("exp", "optimized", "loop", "float32")
                 ->accepted == 0.5024);
}

BOOST_AUTO_TEST_CASE(attributes_parse_per_schema) {
  const std::vector<AttrSpec> schema = {
      {.name = "axis", .type = AttrType::ints, .default_value = std::vector<std::int64_t>{}},
      {.name = "keepdims", .type = AttrType::boolean, .default_value = false},
      {.name = "k", .type = AttrType::integer, .default_value = std::int64_t{1}, .min = 1}};
  Attrs given;
  given.set("axis", std::string("(0, 2)"));
  given.set("keepdims", std::string("true"));
  const Attrs a = validate_attrs(schema, given, "sum");
  BOOST_TEST((a.get_ints("axis") == std::vector<std::int64_t>{0, 2}));
  BOOST_TEST(a.get_bool("keepdims"));
  BOOST_TEST(a.get_int("k") == 1);
  Attrs unknown;
  unknown.set("axes", std::string("1"));
  BOOST_CHECK_THROW(validate_attrs(schema, unknown, "sum"), Error);
  Attrs out_of_range;
  out_of_range.set("k", std::string("0"));
  BOOST_CHECK_THROW(validate_attrs(schema, out_of_range, "sum"), Error);
  Attrs not_bool;
  not_bool.set("keepdims", std::string("yes"));
  BOOST_CHECK_THROW(validate_attrs(schema, not_bool, "sum"), Error);
}

BOOST_AUTO_TEST_CASE(globs_select_ops) {
  BOOST_TEST(glob_match("log*", "log_softmax"));
  BOOST_TEST(glob_match("log*", "log"));
  BOOST_TEST(!glob_match("log*", "softmax"));
  BOOST_TEST(glob_match("m?x", "max"));
}

BOOST_AUTO_TEST_SUITE_END()
