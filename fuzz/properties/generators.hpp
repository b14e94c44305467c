// fuzz/properties/generators.hpp — tensor-aware RapidCheck generators: dtype, shape (0- and
// 1-sized dimensions included), memory placement (contiguous, transposed, sliced with a step,
// reversed, broadcast), values from the three data regimes, and whole op instances (shapes and
// attributes valid for the op, one value vector per input) that shrink together toward a
// minimal failing case.
// What it is: plain data (OpDraw) plus the generators that draw it, and the step that turns a
// draw into the harness's Case (verify/harness/data.hpp) so that every check verify has —
// canaries, untouched inputs, the op's accuracy class — runs on it unchanged.
// What it is not: the properties themselves (properties.cpp, identities.cpp), nor verify's own
// seeded case streams (data.cpp), which enumerate layouts instead of searching them.
#pragma once

#include "verify/harness/runner.hpp"

#include <rapidcheck.h>

#include <iosfwd>
#include <string>
#include <vector>

namespace vt::fuzz {

using verify::InputPlacement;
using verify::Layout;
using verify::OutputPlacement;

/// The value regimes of DESIGN.md "Test data" that need no layout enumeration: exact (small
/// integers times a power of two, so accumulating ops must match bit for bit), random (the op's
/// domain, uniform and log-scaled magnitudes), adversarial (NaN, ±inf, ±0, ±max, subnormals
/// mixed in). The structural regime's part — placements, empty and size-1 shapes — is drawn for
/// every regime here.
enum class ValueRegime { exact, random, adversarial };
const char* regime_name(ValueRegime r);

/// One drawn instance of an op. Shrinking order: dtype and regime, then the layout (shapes and
/// attributes: smaller ranks and dimensions), then placements and threads, then each value
/// toward 0 (or the domain's low end) and each special value toward +0.
struct OpDraw {
  std::string op;
  DType dtype = DType::f32;
  ValueRegime regime = ValueRegime::random;
  Layout layout;                          // shapes and attributes (validated by to_case)
  std::vector<InputPlacement> placement;  // one per input
  OutputPlacement output = OutputPlacement::contiguous;
  int threads = 1;
  std::vector<std::vector<double>> values;  // one per input, row-major in its logical shape
};
/// RapidCheck prints counterexamples with this (found by argument-dependent lookup).
void showValue(const OpDraw& d, std::ostream& os);

/// A shape of rank in [min_rank, max_rank]; dimensions are 0 (rarely), 1 (often) or up to a
/// limit that falls with the rank so that an instance stays below a few thousand elements.
/// Rank-1 shapes reach 70: past the 16-float SIMD blocks, with tails of every length.
rc::Gen<Shape> gen_shape(int min_rank, int max_rank);

/// Shapes and attributes valid for the op. Families with their own generator: elementwise
/// (broadcast pairs), unary, reduction (axis subsets, keepdims, ddof), softmax (axis), matmul
/// (1-D, 2-D and batched with broadcast batch dimensions), shape ops (permutations, slices with
/// any step, regrouped reshapes, concat/stack of up to four inputs). Other ops (linear, losses,
/// optimizer steps, creation, cast) draw one of the spec's own layouts, shrinking toward the
/// first.
rc::Gen<Layout> gen_layout(const verify::OpSpec& spec);

/// Values of `n` elements for input `input` of the op in `regime`. Exact values are integers
/// times 2^-exact_shift, one shift for every input of a case (the spec's exact range assumes
/// it); integer-valued domains (class indices) keep shift 0.
rc::Gen<std::vector<double>> gen_values(const verify::OpSpec& spec, const Layout& layout,
                                        std::size_t input, std::size_t n, ValueRegime regime,
                                        DType dtype, int exact_shift = 0);

/// A whole instance of the op in one of `dtypes`. `regimes` restricts the value regimes (empty:
/// all three).
rc::Gen<OpDraw> gen_op_draw(const verify::OpSpec& spec, const std::vector<DType>& dtypes,
                            const std::vector<ValueRegime>& regimes = {});

/// A contiguous tensor of `dtype` holding `values` rounded once to it.
Tensor make_tensor(const Shape& shape, DType dtype, const std::vector<double>& values);

/// The draw as a harness case: attributes validated against the spec (defaults filled), inputs
/// built with make_tensor and placed in memory as the draw says (unused bytes hold NaN).
/// Throws vt::Error when the attributes are invalid (a generator bug, reported as such).
verify::Case to_case(const verify::OpSpec& spec, const OpDraw& d, std::uint64_t seed);

}  // namespace vt::fuzz
