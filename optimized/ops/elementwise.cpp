// optimized/ops/elementwise.cpp — float32/float64 binary elementwise ops with broadcasting, and
// their VJPs (partials per output element, folded onto broadcast inputs; section "VJPs") and
// second-order VJPs (section "Second order").
// Shaped this way because: a scalar functor per op plugged into one loop engine
// (optimized/core/loops.hpp) whose unit-stride and scalar-operand loops GCC vectorizes
// (-O3 -march=native: 512-bit for add/sub/mul/div/maximum/minimum; pow calls libm per element).
// Accuracy: add/sub/mul/div are single IEEE operations (exact class); maximum/minimum follow
// IEEE 754-2019 maximum/minimum; pow is glibc's pow/powf (< 1 ulp).
#include "optimized/core/broadcast_grad.hpp"
#include "optimized/core/loops.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <type_traits>
#include <utility>
#include <vector>

namespace vt::opt {
namespace {

template <class T>
struct Add {
  T operator()(T a, T b) const { return a + b; }
};
template <class T>
struct Sub {
  T operator()(T a, T b) const { return a - b; }
};
template <class T>
struct Mul {
  T operator()(T a, T b) const { return a * b; }
};
template <class T>
struct Div {
  T operator()(T a, T b) const { return a / b; }
};
// IEEE 754-2019 maximum/minimum: NaN in either operand gives NaN (a + b is NaN then);
// for a == b the operands differ at most in the sign of zero, and +0 > −0.
template <class T>
struct Maximum {
  T operator()(T a, T b) const {
    if (a != a || b != b) return a + b;
    if (a == b) return std::signbit(a) ? b : a;
    return a > b ? a : b;
  }
};
template <class T>
struct Minimum {
  T operator()(T a, T b) const {
    if (a != a || b != b) return a + b;
    if (a == b) return std::signbit(a) ? a : b;
    return a < b ? a : b;
  }
};
template <class T>
struct Pow {
  T operator()(T a, T b) const { return std::pow(a, b); }
};

// ---- VJPs ---------------------------------------------------------------------------------------
// Each input's gradient is an output-shaped partial product, written straight into grad_inputs[i]
// (strided or not) when that input has the output's shape, and otherwise into a contiguous
// temporary that sum_to_shape folds (float64 sums in g's order: thread-count independent). The
// one- and two-operand partials (add, sub, mul, div's ∂a) go through the loop engine's vectorized
// unit-stride and scalar-operand paths; the rest through elementwise with 3–5 operands. Error
// analyses: verify/ops/elementwise.cpp.

template <class T>
struct Copy {
  T operator()(T g) const { return g; }
};
template <class T>
struct Negate {
  T operator()(T g) const { return -g; }
};

// −g·a/b². float32: g·a and b·b are exact in double and nothing over/underflows there (|g·a|,
// b² ∈ [2^-298, 2^256]), so one double division and one rounding to float. float64: (g·a)/(b·b)
// in double when both and the quotient are normal (three roundings); otherwise (over/underflow,
// zeros, infinities, NaN) in long double, whose exponent range holds every such product, rounded
// once — with the same IEEE special values as the reference's −g·a/(b·b).
template <class T>
struct DivGradB;
template <>
struct DivGradB<float> {
  float operator()(float g, float a, float b) const {
    const double bd = b;
    return static_cast<float>(-(static_cast<double>(g) * static_cast<double>(a)) / (bd * bd));
  }
};
inline bool is_normal_finite(double v) {
  const double m = std::fabs(v);
  return m >= std::numeric_limits<double>::min() && m <= std::numeric_limits<double>::max();
}
template <>
struct DivGradB<double> {
  double operator()(double g, double a, double b) const {
    const double num = g * a, den = b * b, q = num / den;
    if (is_normal_finite(num) && is_normal_finite(den) && is_normal_finite(q)) [[likely]]
      return -q;
    using L = long double;
    return static_cast<double>(-(L(g) * L(a)) / (L(b) * L(b)));
  }
};

// maximum/minimum: g to the selected input, g/2 to each on a tie (a == b, +0 == −0), g to both
// when an operand is NaN (neither comparison holds) — PyTorch's convention; g·½ is g/2 exactly
// rounded.
template <class T>
struct MaximumGradA {
  T operator()(T g, T a, T b) const { return a == b ? g * T(0.5) : (a < b ? T(0) : g); }
};
template <class T>
struct MaximumGradB {
  T operator()(T g, T a, T b) const { return a == b ? g * T(0.5) : (b < a ? T(0) : g); }
};
template <class T>
struct MinimumGradA {
  T operator()(T g, T a, T b) const { return a == b ? g * T(0.5) : (a > b ? T(0) : g); }
};
template <class T>
struct MinimumGradB {
  T operator()(T g, T a, T b) const { return a == b ? g * T(0.5) : (b > a ? T(0) : g); }
};

// pow: ∂a = where(b == 0, 0, g·b·a^(b−1)), ∂b = where(a == 0 ∧ b ≥ 0, 0, g·a^b·log a).
// float32: in double and rounded once (b − 1 is exact in double unless |b| < 2^-29, where its
// rounding moves a^(b−1) by ≤ |log a|·2^-53 ≤ 2^-46 relative); the float output is not read, a
// double pow is more accurate than it. float64: a^(b−1) = ŷ/a from the forward output ŷ (glibc
// pow, < 1 ulp), which avoids pow(a, b − 1)'s rounding of b − 1 (amplified by |log a|, up to 745
// ulp), and ∂b reads ŷ; any non-normal intermediate (a = 0, ŷ over/underflowed, infinities, NaN,
// a negative base) sends the element to long double (powl/logl; b − 1 exact there for
// |b| ≥ 2^-11, else ≤ 745·2^-64 relative), rounded once.
/// a^(b − k), k = 1 or 2, with the sign of a negative base from b's parity: b − k rounds back
/// to b once |b| reaches 2^(digits of C) (every binary64 above 2^53 is even), which would flip
/// the sign (as the reference's pow_minus, reference/ops/elementwise.hpp).
template <class C>
C pow_minus(C a, C b, int k) {
  if (!(a < 0) || std::floor(b) != b) return std::pow(a, b - C(k));
  const bool b_odd = std::fmod(b, C(2)) != 0;
  const C magnitude = std::pow(-a, b - C(k));
  return b_odd != (k % 2 == 1) ? -magnitude : magnitude;
}

template <class T>
struct PowGradA;
template <>
struct PowGradA<float> {
  float operator()(float g, float a, float b, float) const {
    if (b == 0.0f) return 0.0f;
    const double bd = b;
    return static_cast<float>(static_cast<double>(g) *
                              (bd * pow_minus(static_cast<double>(a), bd, 1)));
  }
};
template <>
struct PowGradA<double> {
  double operator()(double g, double a, double b, double y) const {
    if (b == 0.0) return 0.0;
    const double p = y / a, bp = b * p, r = g * bp;
    if (is_normal_finite(y) && is_normal_finite(a) && is_normal_finite(p) && is_normal_finite(bp) &&
        is_normal_finite(r)) [[likely]]
      return r;
    using L = long double;
    return static_cast<double>(L(g) * (L(b) * pow_minus(L(a), L(b), 1)));
  }
};
template <class T>
struct PowGradB;
template <>
struct PowGradB<float> {
  float operator()(float g, float a, float b, float) const {
    if (a == 0.0f && b >= 0.0f) return 0.0f;
    const double ad = a;
    return static_cast<float>(static_cast<double>(g) *
                              (std::pow(ad, static_cast<double>(b)) * std::log(ad)));
  }
};
template <>
struct PowGradB<double> {
  double operator()(double g, double a, double b, double y) const {
    if (a == 0.0 && b >= 0.0) return 0.0;
    const double la = std::log(a), yl = y * la, r = g * yl;
    if (is_normal_finite(y) && is_normal_finite(la) && is_normal_finite(yl) && is_normal_finite(r))
        [[likely]]
      return r;
    using L = long double;
    return static_cast<double>(L(g) * (std::pow(L(a), L(b)) * std::log(L(a))));
  }
};

// Folding the partials of div and pow: a single partial can exceed the type's range where the
// folded sum does not (g/b for b subnormal next to g/(−0) = −inf; −g·a/b² near overflow), and
// inf − inf would turn a finite or infinite sum into NaN. So for a broadcast input these two ops
// compute each partial in a wider type W (double for float32, long double for float64: both hold
// every such partial of float operands), add them in W in g's row-major order (as sum_to_shape
// does) and round once.
template <class T>
using Wide = std::conditional_t<std::is_same_v<T, float>, double, long double>;

template <class T>
void fold_wide(const Tensor& grad, const Tensor& g, const Tensor& a_t, const Tensor& b_t,
               Wide<T> (*partial)(Wide<T>, Wide<T>, Wide<T>)) {
  using W = Wide<T>;
  const Shape& os = g.shape();
  const Shape& is = grad.shape();
  const std::size_t lead = os.size() - is.size();
  const Strides cs = contiguous_strides(is);
  std::vector<W> acc(static_cast<std::size_t>(grad.numel()), W(0));
  const View<const T> gv{g.data<T>(), os, g.strides()};
  const Tensor a = a_t.expand(os), b = b_t.expand(os);
  const View<const T> av{a.data<T>(), os, a.strides()}, bv{b.data<T>(), os, b.strides()};
  for_each_index(os, [&](const auto& i) {
    std::int64_t k = 0;
    for (std::size_t d = 0; d < is.size(); ++d)
      if (is[d] != 1) k += i[lead + d] * cs[d];
    acc[static_cast<std::size_t>(k)] += partial(W(gv[i]), W(av[i]), W(bv[i]));
  });
  const View<T> out = grad.view<T>();
  std::size_t k = 0;
  for_each_index(is, [&](const auto& i) { out[i] = static_cast<T>(acc[k++]); });
}

template <class W>
W div_partial_a(W g, W, W b) {
  return g / b;
}
template <class W>
W div_partial_b(W g, W a, W b) {
  return -(g * a) / (b * b);
}
template <class W>
W pow_partial_a(W g, W a, W b) {
  return b == 0 ? W(0) : g * (b * std::pow(a, b - 1));
}
template <class W>
W pow_partial_b(W g, W a, W b) {
  return a == 0 && b >= 0 ? W(0) : g * (std::pow(a, b) * std::log(a));
}

// The partial products of each op: Partials::run<T>(k, dst, g, a, b, y) writes input k's
// output-shaped partial into dst; ops with wide_fold set fold broadcast inputs with fold_wide.
struct AddPartials {
  template <class T>
  static void run(std::size_t, const Tensor& dst, const Tensor& g, const Tensor&, const Tensor&,
                  const Tensor&) {
    elementwise<T, 1>(dst, {g}, Copy<T>{});
  }
};
struct SubPartials {
  template <class T>
  static void run(std::size_t k, const Tensor& dst, const Tensor& g, const Tensor&, const Tensor&,
                  const Tensor&) {
    if (k == 0)
      elementwise<T, 1>(dst, {g}, Copy<T>{});
    else
      elementwise<T, 1>(dst, {g}, Negate<T>{});
  }
};
struct MulPartials {
  template <class T>
  static void run(std::size_t k, const Tensor& dst, const Tensor& g, const Tensor& a,
                  const Tensor& b, const Tensor&) {
    elementwise<T, 2>(dst, {g, k == 0 ? b : a}, Mul<T>{});
  }
};
struct DivPartials {
  static constexpr bool wide_fold = true;
  template <class W>
  static constexpr W (*wide[2])(W, W, W) = {div_partial_a<W>, div_partial_b<W>};
  template <class T>
  static void run(std::size_t k, const Tensor& dst, const Tensor& g, const Tensor& a,
                  const Tensor& b, const Tensor&) {
    if (k == 0)
      elementwise<T, 2>(dst, {g, b}, Div<T>{});
    else
      elementwise<T, 3>(dst, {g, a, b}, DivGradB<T>{});
  }
};
template <template <class> class FA, template <class> class FB>
struct SelectPartials {
  template <class T>
  static void run(std::size_t k, const Tensor& dst, const Tensor& g, const Tensor& a,
                  const Tensor& b, const Tensor&) {
    if (k == 0)
      elementwise<T, 3>(dst, {g, a, b}, FA<T>{});
    else
      elementwise<T, 3>(dst, {g, a, b}, FB<T>{});
  }
};
using MaximumPartials = SelectPartials<MaximumGradA, MaximumGradB>;
using MinimumPartials = SelectPartials<MinimumGradA, MinimumGradB>;
struct PowPartials {
  static constexpr bool wide_fold = true;
  template <class W>
  static constexpr W (*wide[2])(W, W, W) = {pow_partial_a<W>, pow_partial_b<W>};
  template <class T>
  static void run(std::size_t k, const Tensor& dst, const Tensor& g, const Tensor& a,
                  const Tensor& b, const Tensor& y) {
    if (k == 0)
      elementwise<T, 4>(dst, {g, a, b, y}, PowGradA<T>{});
    else
      elementwise<T, 4>(dst, {g, a, b, y}, PowGradB<T>{});
  }
};

template <class P>
constexpr bool has_wide_fold() {
  if constexpr (requires { P::wide_fold; })
    return P::wide_fold;
  else
    return false;
}

template <class T, class P>
void partial_and_fold(std::size_t k, const Tensor& grad, const Tensor& g, const Tensor& a,
                      const Tensor& b, const Tensor& y) {
  if (grad.shape() == y.shape()) {
    P::template run<T>(k, grad, g, a, b, y);
  } else if constexpr (has_wide_fold<P>()) {
    fold_wide<T>(grad, g, a, b, P::template wide<Wide<T>>[k]);
  } else {
    const Tensor dst = Tensor::empty(y.shape(), grad.dtype());
    P::template run<T>(k, dst, g, a, b, y);
    sum_to_shape(dst, grad);
  }
}

/// grad_inputs[k] for every defined one: the partial written directly when input k has the
/// output's shape, else into a temporary folded by sum_to_shape (or fold_wide). An undefined g
/// means zero.
template <class P>
void binary_vjp(BackwardCall& bc) {
  const OpCall& c = *bc.forward;
  const Tensor& y = c.outputs.at(0);
  const Tensor& g = bc.grad_outputs.at(0);
  for (std::size_t k = 0; k < 2; ++k) {
    Tensor& grad = bc.grad_inputs.at(k);
    if (!grad.defined()) continue;
    if (!g.defined()) {
      grad.copy_from(Tensor::empty({}, grad.dtype()));  // zero
      continue;
    }
    switch (grad.dtype()) {
      case DType::f32:
        partial_and_fold<float, P>(k, grad, g, c.inputs.at(0), c.inputs.at(1), y);
        break;
      case DType::f64:
        partial_and_fold<double, P>(k, grad, g, c.inputs.at(0), c.inputs.at(1), y);
        break;
      default:
        throw Error("", {grad.shape()},
                    "optimized backend supports float32 and float64, not " +
                        std::string(dtype_name(grad.dtype())));
    }
  }
}

// ---- Second order
// -------------------------------------------------------------------------------- Formulas:
// reference/ops/elementwise.hpp ("Second order"); the same expressions, operation for operation, so
// that zeros, infinities and NaN come out where the reference's do. add and sub: h = wa ± wb is one
// IEEE operation in T on the loop engine (exact), and ta = tb = 0. The others evaluate each element
// in a wider type C and round once to T: C = double for float32 (holds every product and quotient
// of up to four float operands without over- or underflow, so no intermediate leaves the range
// where the reference's is finite, and one operation then rounding is correctly rounded: 53 ≥ 2·24
// + 2), C = long double for float64 (same range argument, 64-bit significand); pow in long double
// for both (a^(b−2) of float operands already overflows double, and 0·inf there would be NaN where
// the reference has 0). A broadcast input's result is summed in C in the output's row-major order
// and rounded once (thread-count independent). Error analyses: verify/ops/elementwise.cpp ("Second
// order").

template <class C>
C zero_c(C, C, C, C, C) {
  return C(0);
}
template <class C>
C max_part(C g, C a, C b, bool first) {  // maximum's first-order partial, g·m
  if (a == b) return g * C(0.5);
  return (first ? a < b : b < a) ? C(0) : g;
}
template <class C>
C min_part(C g, C a, C b, bool first) {
  if (a == b) return g * C(0.5);
  return (first ? a > b : b > a) ? C(0) : g;
}
template <class C>
C c_pow(C a, C b) {
  return std::pow(a, b);
}
template <class C>
C c_log(C a) {
  return std::log(a);
}

struct MulSecond {
  template <class C>
  static C jvp(C, C a, C b, C wa, C wb) {
    return wa * b + wb * a;
  }
  template <class C>
  static C hvp_a(C v, C, C, C, C wb) {
    return v * wb;
  }
  template <class C>
  static C hvp_b(C v, C, C, C wa, C) {
    return v * wa;
  }
};
struct DivSecond {
  template <class C>
  static C jvp(C, C a, C b, C wa, C wb) {
    return wa / b + -wb * a / (b * b);
  }
  template <class C>
  static C hvp_a(C v, C, C b, C, C wb) {
    return -v * wb / (b * b);
  }
  template <class C>
  static C hvp_b(C v, C a, C b, C wa, C wb) {
    return v * (2 * wb * a / b - wa) / (b * b);
  }
};
struct MaximumSecond {
  template <class C>
  static C jvp(C, C a, C b, C wa, C wb) {
    return max_part(wa, a, b, true) + max_part(wb, a, b, false);
  }
  template <class C>
  static C hvp_a(C, C, C, C, C) {
    return C(0);
  }
  template <class C>
  static C hvp_b(C, C, C, C, C) {
    return C(0);
  }
};
struct MinimumSecond {
  template <class C>
  static C jvp(C, C a, C b, C wa, C wb) {
    return min_part(wa, a, b, true) + min_part(wb, a, b, false);
  }
  template <class C>
  static C hvp_a(C, C, C, C, C) {
    return C(0);
  }
  template <class C>
  static C hvp_b(C, C, C, C, C) {
    return C(0);
  }
};
struct PowSecond {
  static constexpr bool long_double = true;
  template <class C>
  static C jvp(C, C a, C b, C wa, C wb) {
    const C ga = b == 0 ? C(0) : wa * (b * pow_minus(a, b, 1));
    const C gb = a == 0 && b >= 0 ? C(0) : wb * c_pow(a, b) * c_log(a);
    return ga + gb;
  }
  template <class C>
  static C hvp_a(C v, C a, C b, C wa, C wb) {
    const C from_ga = b == 0 ? C(0) : wa * (b * (b - 1) * pow_minus(a, b, 2));
    const C from_gb = a == 0 && b >= 0 ? C(0) : wb * (pow_minus(a, b, 1) * (1 + b * c_log(a)));
    return v * (from_ga + from_gb);
  }
  template <class C>
  static C hvp_b(C v, C a, C b, C wa, C wb) {
    const C from_ga = b == 0 ? C(0) : wa * (pow_minus(a, b, 1) * (1 + b * c_log(a)));
    const C from_gb = a == 0 && b >= 0 ? C(0) : wb * (c_pow(a, b) * (c_log(a) * c_log(a)));
    return v * (from_ga + from_gb);
  }
};

/// Whether an op's second order asks for long double (S::long_double exists). A trait rather
/// than a requires-expression inside the alias: clang 14 cannot mangle the latter.
template <class S, class = void>
struct WantsLongDouble : std::false_type {};
template <class S>
struct WantsLongDouble<S, std::void_t<decltype(S::long_double)>> : std::true_type {};

/// The compute type of an op's second order for target T.
template <class S, class T>
using Compute = std::conditional_t<WantsLongDouble<S>::value, long double, Wide<T>>;

/// dst = round_T(f(v, a, b, wa, wb)) per output element (f in C), or — for a broadcast input
/// (dst's shape is not the output's) — Σ f(…) over the broadcast dimensions, in C in the output's
/// row-major order, rounded once. in = {v, a, b, wa, wb}, each broadcastable to `os`.
template <class T, class C, class F>
void second_apply(const Tensor& dst, const Shape& os, const std::array<Tensor, 5>& in, F f) {
  if (dst.shape() == os) {
    elementwise<T, 5>(dst, in, [f](T v, T a, T b, T wa, T wb) {
      return static_cast<T>(f(C(v), C(a), C(b), C(wa), C(wb)));
    });
    return;
  }
  const Shape& is = dst.shape();
  const std::size_t lead = os.size() - is.size();
  const Strides cs = contiguous_strides(is);
  std::vector<C> acc(static_cast<std::size_t>(dst.numel()), C(0));
  std::array<View<T>, 5> x;
  for (std::size_t k = 0; k < 5; ++k) x[k] = in[k].expand(os).template view<T>();
  for_each_index(os, [&](const auto& i) {
    std::int64_t k = 0;
    for (std::size_t d = 0; d < is.size(); ++d)
      if (is[d] != 1) k += i[lead + d] * cs[d];
    acc[static_cast<std::size_t>(k)] +=
        f(C(x[0][i]), C(x[1][i]), C(x[2][i]), C(x[3][i]), C(x[4][i]));
  });
  const View<T> out = dst.view<T>();
  std::size_t k = 0;
  for_each_index(is, [&](const auto& i) { out[i] = static_cast<T>(acc[k++]); });
}

/// v, w_a, w_b of a DoubleBackwardCall, zeros (0-d, broadcast) where undefined.
struct SecondOperands {
  Tensor v, wa, wb;
};
SecondOperands second_operands(const DoubleBackwardCall& dc, DType t) {
  const auto given = [&](const std::vector<Tensor>& ts, std::size_t i) {
    return i < ts.size() && ts[i].defined() ? ts[i] : Tensor::empty({}, t);
  };
  return {given(dc.grad_outputs, 0), given(dc.grad_grad_inputs, 0), given(dc.grad_grad_inputs, 1)};
}

template <class T, class S>
void binary_vjp2_typed(DoubleBackwardCall& dc) {
  using C = Compute<S, T>;
  const OpCall& c = *dc.forward;
  const Shape& os = c.outputs.at(0).shape();
  const SecondOperands w = second_operands(dc, dc.forward->outputs.at(0).dtype());
  const std::array<Tensor, 5> in = {w.v, c.inputs.at(0), c.inputs.at(1), w.wa, w.wb};
  if (!dc.grad_grad_outputs.empty() && dc.grad_grad_outputs[0].defined())
    second_apply<T, C>(dc.grad_grad_outputs[0], os, in,
                       [](C v, C a, C b, C wa, C wb) { return S::jvp(v, a, b, wa, wb); });
  if (dc.grad_inputs.size() > 0 && dc.grad_inputs[0].defined())
    second_apply<T, C>(dc.grad_inputs[0], os, in,
                       [](C v, C a, C b, C wa, C wb) { return S::hvp_a(v, a, b, wa, wb); });
  if (dc.grad_inputs.size() > 1 && dc.grad_inputs[1].defined())
    second_apply<T, C>(dc.grad_inputs[1], os, in,
                       [](C v, C a, C b, C wa, C wb) { return S::hvp_b(v, a, b, wa, wb); });
}

/// add (sign = +1) and sub (−1): h = wa ± wb, one IEEE operation in T; ta = tb = 0.
template <class T, bool Subtract>
void linear_vjp2_typed(DoubleBackwardCall& dc) {
  const SecondOperands w = second_operands(dc, dc.forward->outputs.at(0).dtype());
  if (!dc.grad_grad_outputs.empty() && dc.grad_grad_outputs[0].defined()) {
    if constexpr (Subtract)
      elementwise<T, 2>(dc.grad_grad_outputs[0], {w.wa, w.wb}, Sub<T>{});
    else
      elementwise<T, 2>(dc.grad_grad_outputs[0], {w.wa, w.wb}, Add<T>{});
  }
  for (Tensor& g : dc.grad_inputs)
    if (g.defined()) g.copy_from(Tensor::empty({}, g.dtype()));  // zero
}

template <void (*F32)(DoubleBackwardCall&), void (*F64)(DoubleBackwardCall&)>
void dispatch_vjp2(DoubleBackwardCall& dc) {
  const Tensor& y = dc.forward->outputs.at(0);
  switch (y.dtype()) {
    case DType::f32:
      F32(dc);
      break;
    case DType::f64:
      F64(dc);
      break;
    default:
      throw Error("", {y.shape()},
                  "optimized backend supports float32 and float64, not " +
                      std::string(dtype_name(y.dtype())));
  }
}
template <class S>
void binary_vjp2(DoubleBackwardCall& dc) {
  dispatch_vjp2<binary_vjp2_typed<float, S>, binary_vjp2_typed<double, S>>(dc);
}
void add_vjp2(DoubleBackwardCall& dc) {
  dispatch_vjp2<linear_vjp2_typed<float, false>, linear_vjp2_typed<double, false>>(dc);
}
void sub_vjp2(DoubleBackwardCall& dc) {
  dispatch_vjp2<linear_vjp2_typed<float, true>, linear_vjp2_typed<double, true>>(dc);
}

void add_forward(OpCall& c) { elementwise_call<Add, 2>(c, "add"); }
void sub_forward(OpCall& c) { elementwise_call<Sub, 2>(c, "sub"); }
void mul_forward(OpCall& c) { elementwise_call<Mul, 2>(c, "mul"); }
void div_forward(OpCall& c) { elementwise_call<Div, 2>(c, "div"); }
void maximum_forward(OpCall& c) { elementwise_call<Maximum, 2>(c, "maximum"); }
void minimum_forward(OpCall& c) { elementwise_call<Minimum, 2>(c, "minimum"); }
void pow_forward(OpCall& c) { elementwise_call<Pow, 2>(c, "pow"); }

#define VT_OPTIMIZED_BINARY(name, partials, vjp2, how) \
  VT_REGISTER_OPTIMIZED_VJP2(name, "loop", name##_forward, binary_vjp<partials>, vjp2, how)

VT_OPTIMIZED_BINARY(add, AddPartials, add_vjp2,
                    "vectorized broadcast loop, threaded over chunks; VJP folded by sum_to_shape; "
                    "second order wa + wb on the same loop");
VT_OPTIMIZED_BINARY(sub, SubPartials, sub_vjp2,
                    "vectorized broadcast loop, threaded over chunks; VJP folded by sum_to_shape; "
                    "second order wa − wb on the same loop");
VT_OPTIMIZED_BINARY(mul, MulPartials, binary_vjp2<MulSecond>,
                    "vectorized broadcast loop, threaded over chunks; VJP folded by sum_to_shape; "
                    "second order per element in double (float32) / long double (float64)");
VT_OPTIMIZED_BINARY(div, DivPartials, binary_vjp2<DivSecond>,
                    "vectorized broadcast loop, threaded over chunks; VJP −g·a/b² via double "
                    "(float32) or with a long double fallback (float64); second order per "
                    "element in double (float32) / long double (float64)");
VT_OPTIMIZED_BINARY(maximum, MaximumPartials, binary_vjp2<MaximumSecond>,
                    "broadcast loop, IEEE 754-2019 maximum; VJP splits ties g/2; second order "
                    "wa·m_a + wb·m_b in double (float32) / long double (float64)");
VT_OPTIMIZED_BINARY(minimum, MinimumPartials, binary_vjp2<MinimumSecond>,
                    "broadcast loop, IEEE 754-2019 minimum; VJP splits ties g/2; second order "
                    "wa·m_a + wb·m_b in double (float32) / long double (float64)");
VT_OPTIMIZED_BINARY(pow, PowPartials, binary_vjp2<PowSecond>,
                    "broadcast loop over glibc pow/powf; VJP from ŷ/a and ŷ·log a (float64, long "
                    "double fallback) or in double (float32); second order per element in long "
                    "double (powl/logl)");

}  // namespace
}  // namespace vt::opt
