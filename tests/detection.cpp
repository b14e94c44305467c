// tests/detection.cpp — the harness tests itself (DESIGN.md "Detection power"): every planted-bug
// variant must be flagged FAILED (not merely vacuous) over several seeds, and every clean
// implementation must pass over several seeds (no false alarms).
// What it is not: a test of any op's accuracy (that is `veritensor verify`, run by CTest too).
#include "core/autograd.hpp"
#include "core/registry.hpp"
#include "verify/harness/runner.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cstdlib>
#include <string>

using namespace vt;
using namespace vt::verify;

namespace {

std::vector<std::uint64_t> seeds(const char* env, int fallback) {
  int n = fallback;
  if (const char* v = std::getenv(env)) n = std::max(1, std::atoi(v));
  std::vector<std::uint64_t> s = {kDefaultSeed};
  for (int i = 1; i < n; ++i) s.push_back(static_cast<std::uint64_t>(i));
  return s;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(detection)

// The planted bugs the walking-skeleton issue names, as (op, variant).
BOOST_AUTO_TEST_CASE(required_planted_bugs_are_registered) {
  const std::pair<const char*, const char*> required[] = {
      {"sum", "mutant_dropped_last_term"},
      {"matmul", "mutant_k_off_by_one"},
      {"add", "mutant_lost_tail"},
      {"relu", "mutant_relu_nan_to_zero"},
      {"max", "mutant_max_ignores_nan"},
      {"sum", "mutant_float16_accumulation"},
      {"add", "mutant_wrong_broadcast_stride"},
      {"softmax", "mutant_no_max_subtraction"},
  };
  for (auto [op, variant] : required) {
    const Implementation* impl = Registry::instance().find(op, backend::optimized, variant);
    BOOST_TEST_CONTEXT(op << "/" << variant) {
      BOOST_REQUIRE(impl != nullptr);
      BOOST_TEST(impl->planted_bug);
    }
  }
}

BOOST_AUTO_TEST_CASE(every_planted_bug_is_flagged) {
  int mutants = 0;
  for (const Implementation* impl : Registry::instance().all()) {
    if (!impl->planted_bug || impl->caught_by != "value") continue;
    ++mutants;
    for (std::uint64_t seed : seeds("VT_DETECTION_SEEDS", 3)) {
      Options o;
      o.ops = {impl->op};
      o.backends = {impl->backend};
      o.variant = impl->variant;
      o.seed = seed;
      o.ledger_mode = Options::LedgerMode::off;
      const Report rep = run_verification(o);
      BOOST_REQUIRE(!rep.rows.empty());
      for (const RowResult& row : rep.rows) {
        if (row.verdict == Verdict::unsupported) continue;
        BOOST_TEST_CONTEXT(impl->op << "/" << impl->variant << " " << dtype_name(row.dtype)
                                    << " seed " << seed) {
          BOOST_TEST(verdict_name(row.verdict) == verdict_name(Verdict::failed));
          BOOST_TEST(row.cases_failed > 0);
        }
      }
    }
  }
  BOOST_TEST(mutants >= 8);
}

// A sum whose bits follow the thread count while it promises bitwise determinism: --bitwise
// must flag it.
BOOST_AUTO_TEST_CASE(bitwise_flags_thread_count_dependent_bits) {
  int mutants = 0;
  for (const Implementation* impl : Registry::instance().all()) {
    if (!impl->planted_bug || impl->caught_by != "bitwise") continue;
    ++mutants;
    Options o;
    o.ops = {impl->op};
    o.backends = {impl->backend};
    o.variant = impl->variant;
    o.bitwise = true;
    o.ledger_mode = Options::LedgerMode::off;
    for (const RowResult& row : run_verification(o).rows) {
      BOOST_TEST_CONTEXT(impl->op << "/" << impl->variant << " " << dtype_name(row.dtype)) {
        BOOST_TEST(verdict_name(row.verdict) == verdict_name(Verdict::failed));
        bool named = false;
        for (const CaseResult& c : row.problems)
          named = named || c.message.find("not bitwise reproducible") != std::string::npos;
        BOOST_TEST(named);
      }
    }
  }
  BOOST_TEST(mutants >= 1);
}

// Wrong VJPs (a sign, a missing broadcast reduction, output read for input): verify --grad
// must flag each.
BOOST_AUTO_TEST_CASE(grad_flags_planted_vjp_bugs) {
  int mutants = 0;
  for (const Implementation* impl : Registry::instance().all()) {
    if (!impl->planted_bug || impl->caught_by != "grad") continue;
    ++mutants;
    Options o;
    o.ops = {impl->op};
    o.backends = {impl->backend};
    o.variant = impl->variant;
    o.grad = true;
    o.ledger_mode = Options::LedgerMode::off;
    for (const RowResult& row : run_verification(o).rows)
      BOOST_TEST_CONTEXT(impl->op << "/" << impl->variant << " " << dtype_name(row.dtype)) {
        BOOST_TEST(verdict_name(row.verdict) == verdict_name(Verdict::failed));
        BOOST_TEST(row.cases_failed > 0);
      }
  }
  BOOST_TEST(mutants >= 3);
}

// A missing accumulation in the engine (a reused variable's contributions dropped): the engine
// checks of verify --grad must flag it on every program with a reused variable, and the clean
// engine must pass them all.
BOOST_AUTO_TEST_CASE(grad_flags_planted_engine_bug) {
  const auto& variants = autograd::accumulate_variants();
  BOOST_REQUIRE(std::any_of(variants.begin(), variants.end(),
                            [](const auto& v) { return v.name == "mutant_missing_accumulation"; }));
  Options o;
  o.ops = {"autograd*"};
  o.variant = "all";
  o.grad = true;
  o.ledger_mode = Options::LedgerMode::off;
  int flagged = 0, clean = 0;
  for (const RowResult& row : run_verification(o).rows)
    BOOST_TEST_CONTEXT(row.op << " " << row.variant) {
      if (!row.planted_bug) {
        ++clean;
        BOOST_TEST(verdict_name(row.verdict) == verdict_name(Verdict::passed));
      } else if (row.op != "autograd/broadcast") {  // the one program without a reused variable
        ++flagged;
        BOOST_TEST(verdict_name(row.verdict) == verdict_name(Verdict::failed));
      }
    }
  BOOST_TEST(clean >= 5);
  BOOST_TEST(flagged >= 4);
}

BOOST_AUTO_TEST_CASE(clean_implementations_pass_over_many_seeds) {
  for (std::uint64_t seed : seeds("VT_CLEAN_SEEDS", 3)) {
    if (seed == kDefaultSeed) continue;  // the default seed is CTest's `verify_default`
    Options o;
    o.seed = seed;
    o.ledger_mode = Options::LedgerMode::off;  // the class bounds still apply
    const Report rep = run_verification(o);
    for (const RowResult& row : rep.rows) {
      BOOST_TEST_CONTEXT(row.op << " " << row.backend << "/" << row.variant << " "
                                << dtype_name(row.dtype) << " seed " << seed) {
        BOOST_TEST(verdict_name(row.verdict) == verdict_name(Verdict::passed));
        if (row.verdict != Verdict::passed)
          for (const CaseResult& c : row.problems)
            BOOST_TEST_MESSAGE(c.description << ": " << c.message << "\n  "
                                             << repro_command(row, c, o));
      }
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
