// fuzz/properties/properties.hpp — the property suites and `veritensor fuzz`.
// What it is: the list of properties (per op, the differential property "the backend agrees with
// the reference under the op's class" for forwards and VJPs, and identities that need no
// reference value: (AB)ᵀ = BᵀAᵀ within bound, softmax rows sum to 1, relu(relu(x)) = relu(x),
// exp(log x) ≈ x, VJPs linear in the output gradient, …), the helpers those bodies share, and the
// runner: rounds of RapidCheck checks under a time budget, RapidCheck's reproduce string, a
// `veritensor fuzz` command that replays a failure, and the shrunk inputs saved as .npy.
// What it is not: the generators (generators.hpp) or the verification suite (verify/).
#pragma once

#include "fuzz/properties/generators.hpp"

#include <cstdio>
#include <functional>
#include <string>
#include <vector>

namespace vt::fuzz {

/// What the properties run against: a backend and, for the ops that have it, a variant (a
/// mutant, to prove that a property catches it); other ops use their default variant.
struct Target {
  std::string backend = "optimized";
  std::string variant;
  /// Throws vt::Error when the op has no implementation on the backend.
  const Implementation& impl(const std::string& op) const;
};
/// The target of the check in progress (set by run_fuzz).
const Target& target();

/// The dtypes an implementation computes in that the generators can fill (float32/float64).
std::vector<DType> float_dtypes(const Implementation& impl);

struct Property {
  std::string name;            // "<op>/<what>", unique: `--property` selects by it
  std::string op;              // the op it exercises: `--op` selects by it
  std::string summary;         // one line
  std::function<void()> body;  // draws with *gen, fails with RC_FAIL / fail()
  bool needs_vjp = false;      // not applicable to an implementation without a VJP
};

/// Every property: the differential ones generated from the catalogue, then the identities
/// (identities.cpp).
std::vector<Property> all_properties();
std::vector<Property> identity_properties();

/// Fails the property in progress with `message`. With --save DIR, first writes `inputs` as
/// DIR/<property>/in<i>.npy and adds to the message a `veritensor eval` line that runs the op on
/// them (the last failure written is the shrunk one: RapidCheck's last failing run).
[[noreturn]] void fail(const std::string& message, const std::string& op, const Attrs& attrs,
                       const std::vector<Tensor>& inputs);

struct FuzzOptions {
  std::vector<std::string> ops;         // globs over Property::op (empty: all)
  std::vector<std::string> properties;  // globs over Property::name (empty: all)
  Target target;
  std::uint64_t seed = verify::kDefaultSeed;
  int cases = 100;        // RapidCheck's max_success per property and round
  double seconds = 0;     // > 0: further rounds, fresh seeds, until the budget is spent
  std::string reproduce;  // RapidCheck's "reproduce=…" string: replay exactly those failures
  std::string save_dir;   // --save: write shrunk failing inputs as .npy
  bool list = false;      // print the properties and exit
  bool verbose = false;   // a line per property and round
  std::string program = "veritensor";
};

/// Runs the selected properties. Returns 0 when every property held, 1 when one failed; throws
/// vt::Error for bad options (no property selected, unknown backend, bad reproduce string).
int run_fuzz(const FuzzOptions& opts, std::FILE* out);

}  // namespace vt::fuzz
