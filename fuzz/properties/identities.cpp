// fuzz/properties/identities.cpp — properties whose expected value needs no reference: algebraic
// identities and invariants of each op family, checked on the backend under test alone.
// Where an identity holds exactly in IEEE arithmetic (x + (−0) = x, a − b = −(b − a), A·I = A,
// relu(relu(x)) = relu(x), max over all = max of the maxima over axis 0) it is checked bit for
// bit. Where it holds only for exact values (AB)ᵀ = BᵀAᵀ, Σ softmax = 1, exp(log x) = x, sum
// over all = sum of partial sums, VJP(g₁ + g₂) = VJP(g₁) + VJP(g₂)), each side is one or more
// computations of the op, each within its class bound of its exact value, so the two sides may
// differ by the sum of those bounds (written at each property). The bounds are the spec's own
// functions, sized with the reference's outputs; the reference gives a bound's size, never the
// value a property expects.
// What it is not: the differential properties (properties.cpp) or verify's own identities.
#include "fuzz/properties/properties.hpp"

#include <boost/multiprecision/float128.hpp>

#include <cmath>
#include <map>
#include <sstream>

namespace vt::fuzz {
namespace {

namespace gen = rc::gen;
using Ints = std::vector<std::int64_t>;
using Index = std::vector<std::int64_t>;

const verify::OpSpec& spec_of(const std::string& op) {
  const verify::OpSpec* s = verify::SpecRegistry::instance().find(op);
  if (!s) throw Error(op, {}, "fuzz: no such op in the catalogue");
  return *s;
}

/// A drawn instance of `op` for the target's implementation, as a harness case.
verify::Case draw_case(const std::string& op, const std::vector<ValueRegime>& regimes = {}) {
  const verify::OpSpec& spec = spec_of(op);
  return to_case(spec, *gen_op_draw(spec, float_dtypes(target().impl(op)), regimes), 1);
}

/// One input tensor for `op` (its domain and exact range at default attributes) of rank
/// min_rank…4, placed in memory as drawn.
Tensor draw_tensor(const std::string& op, int min_rank, const std::vector<ValueRegime>& regimes) {
  const verify::OpSpec& spec = spec_of(op);
  const DType dtype = *gen::elementOf(float_dtypes(target().impl(op)));
  const ValueRegime regime = *gen::elementOf(regimes);
  const Layout layout{{*gen_shape(min_rank, 4)}, validate_attrs(spec.attrs, {}, op), "fuzz"};
  const std::vector<double> v = *gen_values(
      spec, layout, 0, static_cast<std::size_t>(shape_numel(layout.shapes[0])), regime, dtype);
  const auto placement = *gen::element(InputPlacement::contiguous, InputPlacement::strided,
                                       InputPlacement::transposed, InputPlacement::reversed);
  verify::Rng rng(1);
  return verify::place_input(make_tensor(layout.shapes[0], dtype, v), placement, rng);
}

/// Runs the target's implementation of `op` on `in`; returns every output (contiguous).
std::vector<Tensor> run_all(const std::string& op, const std::vector<Tensor>& in,
                            const Attrs& given) {
  const verify::OpSpec& spec = spec_of(op);
  const Attrs attrs = validate_attrs(spec.attrs, given, op);
  std::vector<Shape> shapes;
  for (const Tensor& t : in) shapes.push_back(t.shape());
  const DType dtype = in.empty() ? DType::f32 : in[0].dtype();
  OpCall call{in, attrs, {}};
  for (const verify::OutputDesc& d : spec.shape_rule(shapes, attrs))
    call.outputs.push_back(Tensor::empty(d.shape, verify::output_dtype(d, dtype, attrs)));
  target().impl(op).forward(call);
  return call.outputs;
}
Tensor run(const std::string& op, const std::vector<Tensor>& in, const Attrs& attrs = {}) {
  return run_all(op, in, attrs).at(0);
}

/// The spacing of `dtype` at |v| (the subnormal spacing below the normal range).
hp_t ulp_at(hp_t v, DType dtype) {
  const verify::Precision p = verify::precision_of(dtype);
  const double a = std::abs(static_cast<double>(v));
  if (!std::isfinite(a)) return hp_t(0);
  int e = 0;
  std::frexp(a, &e);  // a = m·2^e, m in [0.5, 1)
  const hp_t spacing = boost::multiprecision::ldexp(hp_t(1), e - p.digits);
  return spacing > p.denorm_min ? spacing : p.denorm_min;
}

/// Output `o` of op's forward class bound, absolute, per element (float128): half an ulp for the
/// exact class, k ulp for ulp(k), the spec's bound function for sum-bound — sized at the
/// reference output for the same float inputs.
Tensor class_bound(const std::string& op, const std::vector<Tensor>& in, const Attrs& given,
                   std::size_t o = 0) {
  const verify::OpSpec& spec = spec_of(op);
  const Attrs attrs = validate_attrs(spec.attrs, given, op);
  const DType dtype = in.at(0).dtype();
  std::vector<Tensor> in_hp;
  std::vector<Shape> shapes;
  for (const Tensor& t : in) {
    in_hp.push_back(is_float(t.dtype()) ? t.to(DType::hp) : t.contiguous());
    shapes.push_back(t.shape());
  }
  OpCall ref{in_hp, attrs, {}};
  for (const verify::OutputDesc& d : spec.shape_rule(shapes, attrs))
    ref.outputs.push_back(Tensor::empty(d.shape, verify::output_dtype(d, DType::hp, attrs)));
  Registry::instance().find(op, backend::reference)->forward(ref);
  Tensor bound = Tensor::empty(ref.outputs.at(o).shape(), DType::hp);
  const verify::Accuracy& acc = spec.accuracy;
  if (acc.cls == verify::AccuracyClass::sum_bound && (o == 0 || acc.bounds_every_output)) {
    verify::BoundArgs args{in_hp, ref.outputs, attrs, verify::precision_of(dtype), bound, o};
    acc.bound(args);
  } else {
    const double k = acc.cls == verify::AccuracyClass::ulp
                         ? (dtype == DType::f32 ? acc.ulp_f32 : acc.ulp_f64)
                         : 0.5;
    for_each_index(bound.shape(), [&](const Index& i) {
      store_hp(bound, i, hp_t(k) * ulp_at(load_hp(ref.outputs[o], i), dtype));
    });
  }
  return bound;
}

std::string index_str(const Index& i) {
  std::string s = "(";
  for (std::size_t k = 0; k < i.size(); ++k) s += (k ? ", " : "") + std::to_string(i[k]);
  return s + ")";
}

std::string num(hp_t v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", static_cast<double>(v));
  return buf;
}

/// How two tensors that hold the same quantity must agree.
struct Agreement {
  Tensor bound;                  // absolute, per element of `a` (undefined: bit for bit)
  bool zero_sign = true;         // bit for bit: +0 and −0 differ
  const Tensor* mask = nullptr;  // elements where it is 0 are not compared
};

/// Checks a against b element by element: NaN where the other is NaN, equal infinities, and
/// otherwise |a − b| ≤ bound (or identical bits). Fails the property with the worst element.
void expect_agree(const Tensor& a, const Tensor& b, const Agreement& how, const std::string& what,
                  const std::string& op, const Attrs& attrs, const std::vector<Tensor>& inputs) {
  if (a.shape() != b.shape())
    fail(what + ": shapes differ, " + shape_str(a.shape()) + " vs " + shape_str(b.shape()), op,
         attrs, inputs);
  std::string problem;
  for_each_index(a.shape(), [&](const Index& i) {
    if (!problem.empty() || (how.mask && load_hp(*how.mask, i) == 0)) return;
    const hp_t x = load_hp(a, i), y = load_hp(b, i);
    const double xd = static_cast<double>(x), yd = static_cast<double>(y);
    std::string why;
    if (std::isnan(xd) || std::isnan(yd)) {
      if (std::isnan(xd) != std::isnan(yd)) why = "NaN on one side only";
    } else if (std::isinf(xd) || std::isinf(yd)) {
      if (xd != yd) why = "infinity on one side";
    } else if (!how.bound.defined()) {
      if (xd != yd || (how.zero_sign && std::signbit(xd) != std::signbit(yd)))
        why = "not identical";
    } else {
      const hp_t err = boost::multiprecision::abs(x - y), bound = load_hp(how.bound, i);
      if (err > bound) why = "difference " + num(err) + " > bound " + num(bound);
    }
    if (!why.empty())
      problem = what + ": at " + index_str(i) + " " + num(x) + " vs " + num(y) + " (" + why + ")";
  });
  if (!problem.empty()) {
    std::ostringstream os;
    os << problem << "\n  " << op << " "
       << dtype_name(inputs.empty() ? a.dtype() : inputs[0].dtype()) << ", backend "
       << target().backend << ", inputs";
    for (const Tensor& t : inputs) os << " " << shape_str(t.shape());
    if (!attrs.values().empty()) os << ", attrs " << attrs.str();
    fail(os.str(), op, attrs, inputs);
  }
}

Tensor add_hp(const Tensor& a, const Tensor& b) {
  Tensor s = Tensor::empty(a.shape(), DType::hp);
  for_each_index(a.shape(), [&](const Index& i) { store_hp(s, i, load_hp(a, i) + load_hp(b, i)); });
  return s;
}

Tensor filled(const Shape& s, DType dtype, double v) {
  return make_tensor(s, dtype, std::vector<double>(static_cast<std::size_t>(shape_numel(s)), v));
}

Tensor neg_of(const Tensor& x) { return run("neg", {x}); }

const std::vector<ValueRegime> kFinite = {ValueRegime::exact, ValueRegime::random};

// ---- elementwise -----------------------------------------------------------------------------

/// op(a, b) computed on broadcast views equals op on the same operands materialized at the
/// output's shape, bit for bit: broadcasting only re-indexes, it never changes an operation.
Property broadcast_matches_materialized(const std::string& op) {
  return {op + "/broadcast_matches_materialized", op,
          "op(a, b) on broadcast views = op on copies expanded to the output shape, bit for bit",
          [op] {
            verify::Case c = draw_case(op);
            const Tensor y = run(op, c.inputs);
            const Tensor a = c.inputs[0].expand(y.shape()).clone();
            const Tensor b = c.inputs[1].expand(y.shape()).clone();
            expect_agree(y, run(op, {a, b}), {}, op + "(a, b) vs on materialized operands", op, {},
                         c.inputs);
          }};
}

Property commutes(const std::string& op) {
  return {op + "/commutes", op, "op(a, b) = op(b, a) bit for bit (IEEE: the operation commutes)",
          [op] {
            verify::Case c = draw_case(op);
            expect_agree(run(op, {c.inputs[0], c.inputs[1]}), run(op, {c.inputs[1], c.inputs[0]}),
                         {}, op + "(a, b) vs " + op + "(b, a)", op, {}, c.inputs);
          }};
}

/// x ∘ e = x bit for bit for the neutral element e (x + (−0), x·1, x/1): every element of the
/// output is written, including the SIMD tails.
Property neutral_element(const std::string& op, double e, const std::string& e_name) {
  return {op + "/neutral_" + e_name, op,
          "op(x, " + e_name + ") = x bit for bit, for every x (NaN stays NaN, −0 stays −0)",
          [op, e] {
            verify::Case c = draw_case(op);
            const Tensor x = c.inputs[0];
            const Tensor ev = filled(c.inputs[1].shape(), x.dtype(), e);
            const Tensor y = run(op, {x, ev});
            expect_agree(y, x.expand(y.shape()), {}, op + "(x, e) vs x", op, {}, {c.inputs[0], ev});
          }};
}

Property sub_antisymmetric() {
  return {"sub/antisymmetric", "sub", "a − b = −(b − a) (IEEE, round to nearest; 0 = −0 here)", [] {
            verify::Case c = draw_case("sub");
            Agreement how;
            how.zero_sign = false;  // a − a = +0 while −(a − a) = −0
            expect_agree(run("sub", {c.inputs[0], c.inputs[1]}),
                         neg_of(run("sub", {c.inputs[1], c.inputs[0]})), how, "a − b vs −(b − a)",
                         "sub", {}, c.inputs);
          }};
}

// ---- unary -----------------------------------------------------------------------------------

Property relu_invariants() {
  return {"relu/nonnegative_idempotent_keeps_nan", "relu",
          "relu(x) ≥ 0, NaN exactly where x is NaN, and relu(relu(x)) = relu(x) bit for bit", [] {
            verify::Case c = draw_case("relu", {ValueRegime::adversarial});
            const Tensor x = c.inputs[0], y = run("relu", {x});
            for_each_index(x.shape(), [&](const Index& i) {
              const double xv = static_cast<double>(load_hp(x, i));
              const double yv = static_cast<double>(load_hp(y, i));
              if (std::isnan(xv) != std::isnan(yv) || yv < 0)
                fail("relu(" + num(xv) + ") = " + num(yv) + " at " + index_str(i) +
                         " (want ≥ 0, NaN iff x is NaN)",
                     "relu", {}, c.inputs);
            });
            expect_agree(run("relu", {y}), y, {}, "relu(relu(x)) vs relu(x)", "relu", {}, c.inputs);
          }};
}

Property involution(const std::string& op) {
  return {op + "/involution", op, "op(op(x)) = x bit for bit", [op] {
            verify::Case c = draw_case(op);
            expect_agree(run(op, {run(op, {c.inputs[0]})}), c.inputs[0], {}, "op(op(x)) vs x", op,
                         {}, c.inputs);
          }};
}

Property abs_even() {
  return {"abs/even", "abs", "abs(−x) = abs(x) bit for bit", [] {
            verify::Case c = draw_case("abs");
            expect_agree(run("abs", {neg_of(c.inputs[0])}), run("abs", {c.inputs[0]}), {},
                         "abs(−x) vs abs(x)", "abs", {}, c.inputs);
          }};
}

/// f(−x) = −f(x) for odd f: the two sides are two evaluations of f, each within its class
/// bound b of the exact value, so they differ by at most b(x) + b(−x).
Property odd_function(const std::string& op) {
  return {op + "/odd", op, "op(−x) = −op(x) within the op's bound at x plus at −x", [op] {
            verify::Case c = draw_case(op);
            const Tensor x = c.inputs[0], nx = neg_of(x);
            Agreement how;
            how.bound = add_hp(class_bound(op, {x}, {}), class_bound(op, {nx}, {}));
            expect_agree(run(op, {nx}), neg_of(run(op, {x})), how, "op(−x) vs −op(x)", op, {},
                         c.inputs);
          }};
}

/// sigmoid(x) + sigmoid(−x) = 1: the sum (formed in float128, exactly) differs from 1 by at most
/// the two evaluations' bounds.
Property sigmoid_complement() {
  return {"sigmoid/complement", "sigmoid", "sigmoid(x) + sigmoid(−x) = 1 within the two bounds",
          [] {
            verify::Case c = draw_case("sigmoid");
            const Tensor x = c.inputs[0], nx = neg_of(x);
            const Tensor total =
                add_hp(run("sigmoid", {x}).to(DType::hp), run("sigmoid", {nx}).to(DType::hp));
            Agreement how;
            how.bound = add_hp(class_bound("sigmoid", {x}, {}), class_bound("sigmoid", {nx}, {}));
            Tensor one = Tensor::empty(x.shape(), DType::hp);  // NaN where x is NaN
            for_each_index(x.shape(), [&](const Index& i) {
              const hp_t xv = load_hp(x, i);
              store_hp(one, i, std::isnan(static_cast<double>(xv)) ? xv : hp_t(1));
            });
            expect_agree(total, one, how, "sigmoid(x) + sigmoid(−x) vs 1", "sigmoid", {}, c.inputs);
          }};
}

/// exp(log x) = x for finite x > 0. log's result l̂ is within b_log of log x, so exp(l̂) is
/// within x·expm1(b_log) of x; exp adds its own bound b_exp at l̂:
///   |exp̂(l̂) − x| ≤ x·expm1(b_log) + b_exp.
Property exp_inverts_log() {
  return {"exp/inverts_log", "exp", "exp(log x) = x within x·expm1(b_log) + b_exp", [] {
            verify::Case c = draw_case("log", {ValueRegime::random});
            const Tensor x = c.inputs[0];
            const Tensor l = run("log", {x});
            const Tensor e = run("exp", {l});
            const Tensor b_log = class_bound("log", {x}, {}), b_exp = class_bound("exp", {l}, {});
            Tensor bound = Tensor::empty(x.shape(), DType::hp);
            Tensor mask = Tensor::empty(x.shape(), DType::f64);
            for_each_index(x.shape(), [&](const Index& i) {
              const hp_t xv = load_hp(x, i);
              const bool ok = xv > 0 && std::isfinite(static_cast<double>(xv));
              store_hp(mask, i, ok ? 1 : 0);
              store_hp(bound, i,
                       xv * boost::multiprecision::expm1(load_hp(b_log, i)) + load_hp(b_exp, i));
            });
            Agreement how;
            how.bound = bound;
            how.mask = &mask;
            expect_agree(e, x, how, "exp(log x) vs x", "exp", {}, c.inputs);
          }};
}

// ---- reductions ------------------------------------------------------------------------------

/// sum over every axis = sum over axis 0, then over the rest. Each of the three sums is within
/// its bound of its exact value; the partial sums P_j carry errors e_j ≤ b_P,j into the second
/// stage, so |S_all − S_2| ≤ b_all + Σ_j b_P,j + b_2 (finite data: different groupings of
/// near-overflow values may overflow differently).
Property sum_axis_split() {
  return {"sum/axis_split", "sum", "sum(x) = sum(sum(x, axis 0)) within b_all + Σ b_P + b_2", [] {
            const Tensor x = draw_tensor("sum", 2, kFinite);
            const Attrs all{{"axis", Ints{}}}, first{{"axis", Ints{0}}};
            const Tensor s_all = run("sum", {x}, all);
            const Tensor p = run("sum", {x}, first);
            const Tensor s2 = run("sum", {p}, all);
            hp_t width = load_hp(class_bound("sum", {x}, all), {}) +
                         load_hp(class_bound("sum", {p}, all), {});
            const Tensor b_p = class_bound("sum", {x}, first);
            for_each_index(b_p.shape(), [&](const Index& i) { width += load_hp(b_p, i); });
            Agreement how;
            how.bound = Tensor::empty({}, DType::hp);
            store_hp(how.bound, {}, width);
            expect_agree(s_all, s2, how, "sum(x) vs sum(sum(x, axis 0))", "sum", all, {x});
          }};
}

/// max/min over everything is NaN when any element is NaN; otherwise it is an element, and no
/// element is beyond it (IEEE 754-2019 maximum/minimum).
Property extremum_over_all(const std::string& op) {
  const bool is_max = op == "max";
  return {op + "/nan_propagates_and_bounds", op,
          "over all axes: NaN iff some element is NaN, else an element that bounds every element",
          [op, is_max] {
            verify::Case c = draw_case(op, {ValueRegime::adversarial, ValueRegime::random});
            const Tensor x = c.inputs[0];
            RC_PRE(x.numel() > 0);
            const Attrs all{{"axis", Ints{}}};
            const double y = static_cast<double>(load_hp(run(op, {x}, all), {}));
            bool any_nan = false, member = false, bounds = true;
            for_each_index(x.shape(), [&](const Index& i) {
              const double v = static_cast<double>(load_hp(x, i));
              any_nan = any_nan || std::isnan(v);
              member = member || v == y;
              bounds = bounds && (std::isnan(v) || (is_max ? v <= y : v >= y));
            });
            const bool ok = any_nan ? std::isnan(y) : (!std::isnan(y) && member && bounds);
            if (!ok)
              fail(op + " over all axes gave " + num(y) +
                       (any_nan ? " but an element is NaN" : "") +
                       (!any_nan && !member ? ", which is no element" : "") +
                       (!any_nan && !bounds ? ", which some element exceeds" : ""),
                   op, all, c.inputs);
          }};
}

/// max over all axes = max over the maxima along axis 0, bit for bit (IEEE maximum is
/// associative and commutative, ±0 included).
Property extremum_two_stage(const std::string& op) {
  return {op + "/two_stage", op, "op over all axes = op of op along axis 0, bit for bit", [op] {
            const Tensor x = draw_tensor(op, 2, {ValueRegime::adversarial, ValueRegime::random});
            RC_PRE(x.numel() > 0);
            const Attrs all{{"axis", Ints{}}}, first{{"axis", Ints{0}}};
            expect_agree(run(op, {x}, all), run(op, {run(op, {x}, first)}, all), {},
                         op + "(x) vs " + op + "(" + op + "(x, axis 0))", op, all, {x});
          }};
}

// ---- softmax ---------------------------------------------------------------------------------

/// A row along `axis`: the index with that axis removed.
Index row_key(Index i, std::int64_t axis) {
  i.erase(i.begin() + axis);
  return i;
}

struct RowSum {
  hp_t sum = 0, width = 0;  // Σ term value, Σ term width (float128)
  bool finite = true;       // every input of the row is finite
};

/// Per row of x along `axis`: the sums of term(ŷ, b) = (value, width) over the row's elements.
template <class Term>
std::map<Index, RowSum> row_sums(const Tensor& x, const Tensor& y, const Tensor& b,
                                 std::int64_t axis, Term term) {
  std::map<Index, RowSum> rows;
  for_each_index(x.shape(), [&](const Index& i) {
    RowSum& r = rows[row_key(i, axis)];
    r.finite = r.finite && std::isfinite(static_cast<double>(load_hp(x, i)));
    const auto [value, width] = term(load_hp(y, i), load_hp(b, i));
    r.sum += value;
    r.width += width;
  });
  return rows;
}

/// Σ_j softmax(x)_j = 1 along the axis, for rows of finite inputs: the sum of the outputs
/// (formed in float128, exactly) is within Σ_j b_j of the exact sum 1; and 0 ≤ softmax ≤ 1.
Property softmax_rows_sum_to_one() {
  return {"softmax/rows_sum_to_one", "softmax",
          "rows of finite inputs sum to 1 within Σ of the bounds; every output in [0, 1]", [] {
            verify::Case c = draw_case("softmax");
            const Tensor x = c.inputs[0];
            const Attrs& attrs = c.layout.attrs;
            const Tensor y = run("softmax", {x}, attrs);
            const Tensor b = class_bound("softmax", {x}, attrs);
            std::int64_t axis = attrs.get_int("axis");
            if (axis < 0) axis += x.ndim();
            std::map<Index, RowSum> rows = row_sums(x, y, b, axis, [](hp_t v, hp_t bv) {
              return std::pair{v, bv};
            });
            for_each_index(x.shape(), [&](const Index& i) {
              const hp_t yv = load_hp(y, i);
              const double yd = static_cast<double>(yv);
              if (rows[row_key(i, axis)].finite && !(yd >= 0 && yd <= 1))
                fail("softmax output " + num(yv) + " at " + index_str(i) + " is outside [0, 1]",
                     "softmax", attrs, c.inputs);
            });
            for (const auto& [key, r] : rows)
              if (r.finite && boost::multiprecision::abs(r.sum - 1) > r.width)
                fail("softmax row " + index_str(key) + " (axis " + std::to_string(axis) +
                         ") sums to " + num(r.sum) + ", |Σ − 1| = " +
                         num(boost::multiprecision::abs(r.sum - 1)) + " > Σ bounds " + num(r.width),
                     "softmax", attrs, c.inputs);
          }};
}

// ---- matmul ----------------------------------------------------------------------------------

/// (AB)ᵀ = BᵀAᵀ: both sides are matmuls of the same products, each within its bound
/// γ_K·(|A||B|) of the exact value, so they differ by at most the sum of the two bounds. The
/// transposes are strided views: the backend sees a different memory layout for the same data.
Property matmul_transpose() {
  return {
      "matmul/transpose_identity", "matmul", "(AB)ᵀ = BᵀAᵀ within the two bounds", [] {
        verify::Case c = draw_case("matmul", kFinite);
        const Tensor a = c.inputs[0], b = c.inputs[1];
        RC_PRE(a.ndim() == 2 && b.ndim() == 2);
        const Tensor at = a.transpose(0, 1), bt = b.transpose(0, 1);
        const Tensor ab_t = run("matmul", {a, b}).transpose(0, 1);
        Agreement how;
        how.bound = add_hp(class_bound("matmul", {a, b}, {}).transpose(0, 1),
                           class_bound("matmul", {bt, at}, {}));
        expect_agree(ab_t, run("matmul", {bt, at}), how, "(AB)ᵀ vs BᵀAᵀ", "matmul", {}, c.inputs);
      }};
}

/// A·I = A bit for bit for finite A: each output element is one product a_ik·1 plus zeros,
/// whatever the summation order (−0 becomes +0, so signs of zeros are not compared). A may be
/// batched: I broadcasts over the batch.
Property matmul_identity() {
  return {"matmul/identity_is_neutral", "matmul", "A·I = A bit for bit (finite A, any batch)", [] {
            verify::Case c = draw_case("matmul", kFinite);
            const Tensor a = c.inputs[0];
            RC_PRE(a.ndim() >= 2);
            const std::int64_t k = a.dim(-1);
            std::vector<double> eye(static_cast<std::size_t>(k * k), 0.0);
            for (std::int64_t i = 0; i < k; ++i) eye[static_cast<std::size_t>(i * k + i)] = 1.0;
            const Tensor id = make_tensor({k, k}, a.dtype(), eye);
            Agreement how;
            how.zero_sign = false;
            expect_agree(run("matmul", {a, id}), a, how, "A·I vs A", "matmul", {}, {a, id});
          }};
}

// ---- shape ops -------------------------------------------------------------------------------

/// Shape ops only move elements: undoing one gives back its input bit for bit.
Property permute_inverse(const std::string& op) {
  const std::string key = op == "permute" ? "dims" : "axes";
  return {op + "/inverse_restores", op, "op with the inverse permutation gives x back, bit for bit",
          [op, key] {
            verify::Case c = draw_case(op);
            const Tensor x = c.inputs[0];
            Ints order = c.layout.attrs.get_ints(key);
            if (order.empty())  // transpose's default: reverse the axes
              for (std::int64_t k = x.ndim() - 1; k >= 0; --k) order.push_back(k);
            Ints inverse(order.size());
            for (std::size_t i = 0; i < order.size(); ++i)
              inverse[static_cast<std::size_t>(order[i] < 0 ? order[i] + x.ndim() : order[i])] =
                  static_cast<std::int64_t>(i);
            const Tensor y = run(op, {x}, c.layout.attrs);
            expect_agree(run(op, {y}, {{key, inverse}}), x, {}, op + " then its inverse vs x", op,
                         c.layout.attrs, c.inputs);
          }};
}

Property reshape_round_trip() {
  return {"reshape/round_trip", "reshape", "reshape to the old shape gives x back, bit for bit",
          [] {
            verify::Case c = draw_case("reshape");
            const Tensor x = c.inputs[0];
            const Tensor y = run("reshape", {x}, c.layout.attrs);
            expect_agree(run("reshape", {y}, {{"shape", Ints(x.shape().begin(), x.shape().end())}}),
                         x, {}, "reshape there and back vs x", "reshape", c.layout.attrs, c.inputs);
          }};
}

/// concat / stack, then slicing each input's part back out, gives the inputs bit for bit.
Property joined_slices(const std::string& op) {
  return {
      op + "/slices_give_back_inputs", op,
      "slicing the result along the axis gives back each input, bit for bit", [op] {
        verify::Case c = draw_case(op);
        const Tensor y = run(op, c.inputs, c.layout.attrs);
        std::int64_t axis = c.layout.attrs.get_int("axis");
        if (axis < 0) axis += y.ndim();
        std::int64_t at = 0;
        for (std::size_t k = 0; k < c.inputs.size(); ++k) {
          const Tensor& x = c.inputs[k];
          const std::int64_t len = op == "stack" ? 1 : x.dim(axis);
          Tensor part =
              run("slice", {y}, {{"axis", axis}, {"start", at}, {"stop", at + len}, {"step", 1}});
          if (op == "stack")
            part = run("reshape", {part}, {{"shape", Ints(x.shape().begin(), x.shape().end())}});
          expect_agree(part, x, {}, op + " then slice: input " + std::to_string(k), op,
                       c.layout.attrs, c.inputs);
          at += len;
        }
      }};
}

// ---- creation --------------------------------------------------------------------------------

/// float32 → float64 → float32 is the identity (widening is exact, narrowing an exact value
/// returns it), NaN included.
Property cast_round_trip() {
  return {"cast/round_trip_through_float64", "cast",
          "cast(cast(x, float64), float32) = x bit for bit for float32 x", [] {
            const verify::Case c = draw_case("cast");
            RC_PRE(c.dtype == DType::f32);
            const Tensor wide = run("cast", {c.inputs[0]}, {{"dtype", std::string("float64")}});
            expect_agree(run("cast", {wide}, {{"dtype", std::string("float32")}}), c.inputs[0], {},
                         "cast to float64 and back vs x", "cast", {}, c.inputs);
          }};
}

// ---- linear, losses, optimizers --------------------------------------------------------------

/// linear(x, W, b) = x·Wᵀ + b: linear's result is within β_lin of the exact value; matmul's
/// within β_mm, and adding b rounds once more (half an ulp of the sum, add's exact class), so
/// the two sides differ by at most β_lin + β_mm + β_add.
Property linear_matches_matmul() {
  return {"linear/matches_matmul_plus_bias", "linear",
          "linear(x, W, b) = matmul(x, Wᵀ) + b within β_linear + β_matmul + β_add", [] {
            verify::Case c = draw_case("linear", kFinite);
            const Tensor& x = c.inputs[0];
            const Tensor wt = c.inputs[1].transpose(0, 1);
            const Tensor y = run("linear", c.inputs, c.layout.attrs);
            Tensor z = run("matmul", {x, wt});
            Tensor bound = add_hp(class_bound("linear", c.inputs, c.layout.attrs),
                                  class_bound("matmul", {x, wt}, {}));
            if (c.inputs.size() == 3) {
              bound = add_hp(bound, class_bound("add", {z, c.inputs[2]}, {}));
              z = run("add", {z, c.inputs[2]});
            }
            Agreement how;
            how.bound = bound;
            expect_agree(y, z, how, "linear vs matmul + bias", "linear", c.layout.attrs, c.inputs);
          }};
}

/// mse_loss(x, x) = 0 exactly: every difference is 0, so is every square, sum and mean.
Property mse_zero_at_target() {
  return {"mse_loss/zero_at_target", "mse_loss",
          "mse_loss(x, x) = 0 for finite x, any reduction (the empty mean aside)", [] {
            verify::Case c = draw_case("mse_loss", kFinite);
            // The mean over no element is 0/0 = NaN (PyTorch's too): not this property's case.
            const bool empty_mean =
                c.inputs[0].numel() == 0 && c.layout.attrs.get_string("reduction") == "mean";
            RC_PRE(!empty_mean);
            const Tensor y = run("mse_loss", {c.inputs[0], c.inputs[0]}, c.layout.attrs);
            for_each_index(y.shape(), [&](const Index& i) {
              if (load_hp(y, i) != 0)
                fail("mse_loss(x, x) = " + num(load_hp(y, i)) + " at " + index_str(i), "mse_loss",
                     c.layout.attrs, {c.inputs[0], c.inputs[0]});
            });
          }};
}

/// Σ_j exp(log_softmax(x)_j) = 1 on rows of finite inputs: ŷ_j within b_j of y_j puts exp(y_j)
/// in [exp(ŷ_j − b_j), exp(ŷ_j + b_j)], and the exact exps sum to 1.
Property log_softmax_exp_sums_to_one() {
  return {"log_softmax/exp_rows_sum_to_one", "log_softmax",
          "Σ exp(log_softmax) = 1 on finite rows within Σ exp(ŷ + b) − exp(ŷ − b)", [] {
            verify::Case c = draw_case("log_softmax");
            const Tensor x = c.inputs[0];
            const Attrs& attrs = c.layout.attrs;
            const Tensor y = run("log_softmax", {x}, attrs);
            const Tensor b = class_bound("log_softmax", {x}, attrs);
            std::int64_t axis = attrs.get_int("axis");
            if (axis < 0) axis += x.ndim();
            // ŷ = −inf is admissible only where y itself is below the float range, and then
            // exp(y) is 0 to within far less than any width here; otherwise exp(y) lies in
            // [exp(ŷ − b), exp(ŷ + b)] (no 0·inf where exp(ŷ) underflows).
            const std::map<Index, RowSum> rows = row_sums(x, y, b, axis, [](hp_t v, hp_t bv) {
              namespace bmp = boost::multiprecision;
              if (bmp::isinf(v) && v < 0) return std::pair{hp_t(0), hp_t(0)};
              return std::pair{bmp::exp(v), bmp::exp(v + bv) - bmp::exp(v - bv)};
            });
            for (const auto& [key, r] : rows)
              if (r.finite && !(boost::multiprecision::abs(r.sum - 1) <= r.width))
                fail("Σ exp(log_softmax) over row " + index_str(key) + " is " + num(r.sum) +
                         ", |Σ − 1| > " + num(r.width),
                     "log_softmax", attrs, c.inputs);
          }};
}

/// An optimizer step with lr = 0 leaves the parameter as it is: the update is multiplied by 0
/// (AdamW's decay factor is 1 − 0·wd = 1), and p − (±0) = p (signs of zeros aside).
Property zero_lr_keeps_params(const std::string& op) {
  return {op + "/zero_lr_keeps_params", op, "lr = 0: the new parameter equals the old, bit for bit",
          [op] {
            verify::Case c = draw_case(op, kFinite);
            Attrs attrs = c.layout.attrs;
            attrs.set("lr", 0.0);
            Agreement how;
            how.zero_sign = false;
            expect_agree(run(op, c.inputs, attrs), c.inputs[0], how, op + " with lr = 0 vs p", op,
                         attrs, c.inputs);
          }};
}

// ---- VJPs ------------------------------------------------------------------------------------

bool differentiable(const verify::OpSpec& spec, std::size_t i, const Tensor& t) {
  if (!is_float(t.dtype())) return false;
  return spec.grad.inputs.empty() || (i < spec.grad.inputs.size() && spec.grad.inputs[i]);
}

/// The target's VJP of op at inputs `in` for output gradients `g` (one per output).
std::vector<Tensor> vjp(const verify::OpSpec& spec, const std::vector<Tensor>& in,
                        const Attrs& attrs, const std::vector<Tensor>& g) {
  const Implementation& impl = target().impl(spec.name);
  std::vector<Tensor> outs = run_all(spec.name, in, attrs);
  OpCall call{in, attrs, outs};
  std::vector<Tensor> grads;
  for (std::size_t i = 0; i < in.size(); ++i)
    grads.push_back(differentiable(spec, i, in[i]) ? Tensor::empty(in[i].shape(), in[i].dtype())
                                                   : Tensor());
  BackwardCall bc{&call, g, grads};
  impl.backward(bc);
  return bc.grad_inputs;
}

/// The gradient class bound of input i's VJP for output gradients g, absolute per element
/// (half an ulp, k ulp, or the spec's gradient bound), sized at the reference VJP.
Tensor grad_bound(const verify::OpSpec& spec, const std::vector<Tensor>& in, const Attrs& attrs,
                  const std::vector<Tensor>& g, std::size_t input) {
  const DType dtype = in.at(0).dtype();
  std::vector<Tensor> in_hp, g_hp;
  std::vector<Shape> shapes;
  for (const Tensor& t : in) {
    in_hp.push_back(is_float(t.dtype()) ? t.to(DType::hp) : t.contiguous());
    shapes.push_back(t.shape());
  }
  for (const Tensor& t : g) g_hp.push_back(t.to(DType::hp));
  const Implementation& ref = *Registry::instance().find(spec.name, backend::reference);
  OpCall call{in_hp, attrs, {}};
  for (const verify::OutputDesc& d : spec.shape_rule(shapes, attrs))
    call.outputs.push_back(Tensor::empty(d.shape, verify::output_dtype(d, DType::hp, attrs)));
  ref.forward(call);
  std::vector<Tensor> grads(in.size());
  grads[input] = Tensor::empty(in[input].shape(), DType::hp);
  BackwardCall bc{&call, g_hp, grads};
  ref.backward(bc);
  Tensor bound = Tensor::empty(in[input].shape(), DType::hp);
  if (spec.grad.cls == verify::AccuracyClass::sum_bound) {
    verify::GradBoundArgs args{
        in_hp, call.outputs,          g_hp, attrs, verify::precision_of(dtype),
        input, bc.grad_inputs[input], bound};
    spec.grad.bound(args);
  } else {
    const double k = spec.grad.cls == verify::AccuracyClass::ulp
                         ? (dtype == DType::f32 ? spec.grad.ulp_f32 : spec.grad.ulp_f64)
                         : 0.5;
    for_each_index(bound.shape(), [&](const Index& i) {
      store_hp(bound, i, hp_t(k) * ulp_at(load_hp(bc.grad_inputs[input], i), dtype));
    });
  }
  return bound;
}

/// Output gradients of small integers times 2^-3 (so that g₁ + g₂ and 2^s·g are exact).
std::vector<Tensor> draw_output_grads(const std::vector<Tensor>& outs, DType dtype) {
  std::vector<Tensor> g;
  for (const Tensor& o : outs) {
    if (!is_float(o.dtype())) {
      g.emplace_back();
      continue;
    }
    std::vector<double> v = *gen::container<std::vector<double>>(
        static_cast<std::size_t>(o.numel()),
        gen::map(gen::inRange(-32, 33), [](int k) { return std::ldexp(k, -3); }));
    g.push_back(make_tensor(o.shape(), dtype, v));
  }
  return g;
}

/// VJP(x, g₁ + g₂) = VJP(x, g₁) + VJP(x, g₂): the VJP is linear in the output gradient. g₁ + g₂
/// is exact; each of the three VJPs is within its gradient bound of its exact value and the
/// right-hand sum is formed in float128, so the sides differ by at most b(g₁+g₂) + b(g₁) + b(g₂).
Property vjp_additive(const verify::OpSpec& spec) {
  return {spec.name + "/vjp_additive", spec.name,
          "VJP(x, g₁ + g₂) = VJP(x, g₁) + VJP(x, g₂) within the three gradient bounds",
          [&spec] {
            verify::Case c = draw_case(spec.name, kFinite);
            const Attrs& attrs = c.layout.attrs;
            const std::vector<Tensor> outs = run_all(spec.name, c.inputs, attrs);
            const std::vector<Tensor> g1 = draw_output_grads(outs, c.dtype);
            const std::vector<Tensor> g2 = draw_output_grads(outs, c.dtype);
            std::vector<Tensor> g12;
            for (std::size_t o = 0; o < g1.size(); ++o)
              g12.push_back(g1[o].defined() ? run("add", {g1[o], g2[o]}) : Tensor());
            const auto v12 = vjp(spec, c.inputs, attrs, g12);
            const auto v1 = vjp(spec, c.inputs, attrs, g1), v2 = vjp(spec, c.inputs, attrs, g2);
            for (std::size_t i = 0; i < v12.size(); ++i) {
              if (!v12[i].defined()) continue;
              // Only where all three are finite: with ddof = n, var's VJP is ±inf, and
              // inf + (−inf) on the right is NaN although the left is inf.
              Tensor mask = Tensor::empty(v12[i].shape(), DType::f64);
              for_each_index(mask.shape(), [&](const Index& k) {
                const bool finite = std::isfinite(static_cast<double>(load_hp(v12[i], k))) &&
                                    std::isfinite(static_cast<double>(load_hp(v1[i], k))) &&
                                    std::isfinite(static_cast<double>(load_hp(v2[i], k)));
                store_hp(mask, k, finite ? 1 : 0);
              });
              Agreement how;
              how.mask = &mask;
              how.bound = add_hp(add_hp(grad_bound(spec, c.inputs, attrs, g12, i),
                                        grad_bound(spec, c.inputs, attrs, g1, i)),
                                 grad_bound(spec, c.inputs, attrs, g2, i));
              expect_agree(v12[i], add_hp(v1[i].to(DType::hp), v2[i].to(DType::hp)), how,
                           "VJP(g₁ + g₂) vs VJP(g₁) + VJP(g₂) for input " + std::to_string(i),
                           spec.name, attrs, c.inputs);
            }
          },
          true};
}

/// VJP(x, 2^s·g) = 2^s·VJP(x, g) bit for bit: every rounding in a VJP is of a quantity linear
/// in g, and scaling by a power of two commutes with rounding while nothing overflows or leaves
/// the normal range — elements whose results are not normal (or whose scaled results would not
/// be) are not compared.
Property vjp_homogeneous(const verify::OpSpec& spec) {
  return {spec.name + "/vjp_homogeneous", spec.name,
          "VJP(x, 2^s·g) = 2^s·VJP(x, g) bit for bit where the results are normal",
          [&spec] {
            verify::Case c = draw_case(spec.name, kFinite);
            const Attrs& attrs = c.layout.attrs;
            const std::vector<Tensor> outs = run_all(spec.name, c.inputs, attrs);
            const std::vector<Tensor> g = draw_output_grads(outs, c.dtype);
            const int s = *gen::element(-3, -2, -1, 1, 2, 3);
            std::vector<Tensor> gs;
            for (const Tensor& t : g)
              gs.push_back(t.defined() ? run("mul", {t, filled({}, c.dtype, std::ldexp(1.0, s))})
                                       : Tensor());
            const auto v = vjp(spec, c.inputs, attrs, g), vs = vjp(spec, c.inputs, attrs, gs);
            const verify::Precision p = verify::precision_of(c.dtype);
            const double min_normal =
                static_cast<double>(p.denorm_min) * std::ldexp(1.0, p.digits - 1);
            for (std::size_t i = 0; i < v.size(); ++i) {
              if (!v[i].defined()) continue;
              Tensor scaled = Tensor::empty(v[i].shape(), DType::hp);
              Tensor mask = Tensor::empty(v[i].shape(), DType::f64);
              for_each_index(v[i].shape(), [&](const Index& k) {
                const double a = static_cast<double>(load_hp(v[i], k));
                const double lo = std::abs(a) * std::ldexp(1.0, std::min(s, 0));
                const double hi = std::abs(a) * std::ldexp(1.0, std::max(s, 0));
                const double max = c.dtype == DType::f32 ? 3.4e38 : 1.7e308;
                store_hp(mask, k, std::isfinite(a) && lo >= min_normal && hi < max ? 1 : 0);
                store_hp(scaled, k, load_hp(v[i], k) * boost::multiprecision::ldexp(hp_t(1), s));
              });
              Agreement how;
              how.mask = &mask;
              expect_agree(vs[i], scaled, how,
                           "VJP(2^" + std::to_string(s) + "·g) vs 2^" + std::to_string(s) +
                               "·VJP(g) for input " + std::to_string(i),
                           spec.name, attrs, c.inputs);
            }
          },
          true};
}

}  // namespace

std::vector<Property> identity_properties() {
  std::vector<Property> p;
  for (const char* op : {"add", "sub", "mul", "div", "maximum", "minimum", "pow"})
    p.push_back(broadcast_matches_materialized(op));
  for (const char* op : {"add", "mul", "maximum", "minimum"}) p.push_back(commutes(op));
  p.push_back(neutral_element("add", -0.0, "minus_zero"));
  p.push_back(neutral_element("mul", 1.0, "one"));
  p.push_back(neutral_element("div", 1.0, "one"));
  p.push_back(sub_antisymmetric());
  p.push_back(relu_invariants());
  p.push_back(involution("neg"));
  p.push_back(abs_even());
  p.push_back(odd_function("tanh"));
  p.push_back(sigmoid_complement());
  p.push_back(exp_inverts_log());
  p.push_back(sum_axis_split());
  for (const char* op : {"max", "min"}) {
    p.push_back(extremum_over_all(op));
    p.push_back(extremum_two_stage(op));
  }
  p.push_back(softmax_rows_sum_to_one());
  p.push_back(matmul_transpose());
  p.push_back(matmul_identity());
  p.push_back(log_softmax_exp_sums_to_one());
  p.push_back(permute_inverse("permute"));
  p.push_back(permute_inverse("transpose"));
  p.push_back(reshape_round_trip());
  p.push_back(joined_slices("concat"));
  p.push_back(joined_slices("stack"));
  p.push_back(cast_round_trip());
  p.push_back(linear_matches_matmul());
  p.push_back(mse_zero_at_target());
  for (const char* op : {"sgd_step", "adam_step", "adamw_step"})
    p.push_back(zero_lr_keeps_params(op));
  for (const verify::OpSpec* s : verify::SpecRegistry::instance().all())
    if (s->differentiable) {
      p.push_back(vjp_additive(*s));
      p.push_back(vjp_homogeneous(*s));
    }
  return p;
}

}  // namespace vt::fuzz
