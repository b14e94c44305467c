// tests/cuda/detection.cpp — the planted CUDA bugs are flagged (issue 7): each mutant the value
// checks must catch (a lost tail, a dropped batch, an unsynchronised reduction) is FAILED by
// `verify` on the GPU over several seeds; the one only racecheck can see (a missing
// __syncthreads()) is checked by ci/device-check under compute-sanitizer. And the promise is
// whole: every op in the catalogue has a cuda forward, and a VJP where it is differentiable.
// What it is not: the CPU harness's own detection tests (tests/detection.cpp).
#include "core/registry.hpp"
#include "verify/harness/runner.hpp"
#include "verify/harness/spec.hpp"

#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <set>
#include <string>

using namespace vt;
using namespace vt::verify;

BOOST_AUTO_TEST_SUITE(cuda_detection)

BOOST_AUTO_TEST_CASE(every_op_has_a_cuda_forward_and_vjp) {
  for (const OpSpec* s : SpecRegistry::instance().all()) {
    const Implementation* impl = Registry::instance().find(s->name, backend::cuda);
    BOOST_TEST_CONTEXT(s->name) {
      BOOST_REQUIRE(impl != nullptr);
      BOOST_TEST(impl->forward != nullptr);
      if (s->differentiable) BOOST_TEST(impl->backward != nullptr);
    }
  }
}

BOOST_AUTO_TEST_CASE(every_planted_cuda_bug_is_flagged) {
  std::set<std::string> flagged;
  for (const Implementation* impl : Registry::instance().all()) {
    if (!impl->planted_bug || impl->backend != backend::cuda || impl->caught_by != "value")
      continue;
    for (std::uint64_t seed : {kDefaultSeed, std::uint64_t{1}, std::uint64_t{2}}) {
      Options o;
      o.ops = {impl->op};
      o.backends = {backend::cuda};
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
    flagged.insert(impl->op + "/" + impl->variant);
  }
  BOOST_TEST_INFO("flagged: " << flagged.size());
  BOOST_TEST(flagged.size() >= 3);  // lost tail, dropped last batch, unsynchronised reduction
}

BOOST_AUTO_TEST_SUITE_END()
