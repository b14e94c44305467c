// fuzz/properties/generators.cpp — the generators of generators.hpp.
// Every generator is written with rc::gen::exec, so each value it picks (`*gen`) is a separate
// shrink point: RapidCheck shrinks the rank and dimensions first, then attributes, placements
// and values, re-running the rest of the generator after each step. Picks are arranged so that
// shrinking moves toward the plain case: no broadcasting, contiguous memory, one thread, values
// 0 (or the domain's low end).
#include "fuzz/properties/generators.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <ostream>

namespace vt::fuzz {
namespace {

using Ints = std::vector<std::int64_t>;
namespace gen = rc::gen;

/// The largest dimension drawn at each rank: rank 1 crosses several 16-float SIMD blocks, higher
/// ranks stay below ~3000 elements.
std::int64_t max_dim_for_rank(std::size_t rank) {
  static const std::int64_t limit[] = {1, 70, 20, 8, 5};
  return limit[std::min<std::size_t>(rank, 4)];
}

/// 0 (1 in 10), 1 (2 in 10) or 2…max_dim, shrinking toward 0, then 1, then small.
rc::Gen<std::int64_t> gen_dim(std::int64_t max_dim) {
  if (max_dim < 2) return gen::inRange<std::int64_t>(0, max_dim + 1);
  return gen::weightedOneOf<std::int64_t>({{1, gen::just<std::int64_t>(0)},
                                           {2, gen::just<std::int64_t>(1)},
                                           {7, gen::inRange<std::int64_t>(2, max_dim + 1)}});
}

/// One of `items` with probability proportional to its weight; shrinks toward the first.
template <typename T>
T pick_weighted(const std::vector<std::pair<unsigned, T>>& items) {
  unsigned total = 0;
  for (const auto& item : items) total += item.first;
  unsigned u = *gen::inRange(0u, total);
  for (const auto& [weight, value] : items) {
    if (u < weight) return value;
    u -= weight;
  }
  return items.back().second;
}

/// True with odds weight_true : weight_false; shrinks toward false.
bool pick(unsigned weight_true, unsigned weight_false) {
  return pick_weighted<bool>({{weight_false, false}, {weight_true, true}});
}

/// A permutation of 0…n−1 (sorted random keys), shrinking toward the identity.
Ints gen_permutation(std::size_t n) {
  const std::vector<int> keys = *gen::container<std::vector<int>>(n, gen::inRange(0, 100));
  Ints order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::int64_t a, std::int64_t b) {
    return keys[static_cast<std::size_t>(a)] < keys[static_cast<std::size_t>(b)];
  });
  return order;
}

/// An axis of a rank-r tensor, negative half the time (NumPy's counting from the end).
std::int64_t gen_axis(std::int64_t r) {
  const std::int64_t a = *gen::inRange<std::int64_t>(0, r);
  return pick(1, 2) ? a - r : a;
}

/// An operand that broadcasts to `out`: some leading dimensions dropped, some set to 1.
Shape broadcast_operand(const Shape& out) {
  const auto drop = static_cast<std::ptrdiff_t>(
      pick(1, 3) ? *gen::inRange<std::size_t>(1, out.size() + 1) : std::size_t{0});
  Shape s(out.begin() + std::min<std::ptrdiff_t>(drop, static_cast<std::ptrdiff_t>(out.size())),
          out.end());
  for (auto& d : s)
    if (pick(1, 4)) d = 1;
  return s;
}

rc::Gen<Layout> elementwise_layout() {
  return gen::exec([] {
    const Shape out = *gen_shape(0, 4);
    return Layout{{broadcast_operand(out), broadcast_operand(out)}, {}, "fuzz"};
  });
}

rc::Gen<Layout> unary_layout() {
  return gen::exec([] { return Layout{{*gen_shape(0, 4)}, {}, "fuzz"}; });
}

rc::Gen<Layout> reduction_layout(const verify::OpSpec& spec) {
  const bool single = spec.name == "argmax";
  const bool ddof = spec.name == "var";
  return gen::exec([single, ddof] {
    const Shape s = *gen_shape(single ? 1 : 0, 4);
    const auto r = static_cast<std::int64_t>(s.size());
    Ints axes;
    if (single) {
      if (pick(3, 1)) axes.push_back(gen_axis(r));
    } else {
      for (std::int64_t k = 0; k < r; ++k)
        if (pick(1, 1)) axes.push_back(pick(1, 3) ? k - r : k);
    }
    Attrs a{{"axis", axes}, {"keepdims", pick(1, 1)}};
    if (ddof) a.set("ddof", *gen::inRange<std::int64_t>(0, 3));
    return Layout{{s}, a, "fuzz"};
  });
}

rc::Gen<Layout> softmax_layout() {
  return gen::exec([] {
    const Shape s = *gen_shape(1, 4);
    return Layout{{s}, {{"axis", gen_axis(static_cast<std::int64_t>(s.size()))}}, "fuzz"};
  });
}

rc::Gen<Layout> matmul_layout() {
  return gen::exec([] {
    const std::int64_t m = *gen_dim(24), k = *gen_dim(24), n = *gen_dim(24);
    switch (*gen::inRange(0, 4)) {
      case 1:
        return Layout{{{k}, {k, n}}, {}, "fuzz: 1-D lhs"};
      case 2:
        return Layout{{{m, k}, {k}}, {}, "fuzz: 1-D rhs"};
      case 3: {
        Shape batch = *gen::container<Shape>(*gen::inRange<std::size_t>(1, 3),
                                             gen::inRange<std::int64_t>(1, 4));
        Shape a = broadcast_operand(batch), b = broadcast_operand(batch);
        a.insert(a.end(), {m, k});
        b.insert(b.end(), {k, n});
        return Layout{{a, b}, {}, "fuzz: batched"};
      }
      default:
        return Layout{{{m, k}, {k, n}}, {}, "fuzz"};
    }
  });
}

rc::Gen<Layout> shape_op_layout(const verify::OpSpec& spec) {
  const std::string op = spec.name;
  return gen::exec([op] {
    if (op == "transpose" || op == "permute") {
      const Shape s = *gen_shape(0, 4);
      const bool reverse = op == "transpose" && pick(1, 2);
      return Layout{
          {s},
          {{op == "transpose" ? "axes" : "dims", reverse ? Ints{} : gen_permutation(s.size())}},
          "fuzz"};
    }
    if (op == "slice") {
      const Shape s = *gen_shape(1, 3);
      const std::int64_t axis = gen_axis(static_cast<std::int64_t>(s.size()));
      const std::int64_t n = s[static_cast<std::size_t>(axis < 0 ? axis + std::ssize(s) : axis)];
      auto index = [n] {  // −(n+2)…n+2, shrinking toward 0
        const std::int64_t i = *gen::inRange<std::int64_t>(0, n + 3);
        return pick(1, 2) ? -i : i;
      };
      Attrs a{{"axis", axis}, {"start", index()}};
      if (pick(1, 1)) a.set("stop", index());
      const std::int64_t step = *gen::inRange<std::int64_t>(1, 4);
      a.set("step", pick(1, 2) ? -step : step);
      return Layout{{s}, a, "fuzz"};
    }
    if (op == "concat" || op == "stack") {
      const bool stack = op == "stack";
      const Shape base = *gen_shape(stack ? 0 : 1, 3);
      const auto r = static_cast<std::int64_t>(base.size());
      const std::int64_t axis = stack ? gen_axis(r + 1) : gen_axis(r);
      const std::size_t count = *gen::inRange<std::size_t>(1, 5);
      std::vector<Shape> shapes(count, base);
      if (!stack)
        for (Shape& s : shapes)
          s[static_cast<std::size_t>(axis < 0 ? axis + r : axis)] = *gen_dim(6);
      return Layout{shapes, {{"axis", axis}}, "fuzz"};
    }
    // reshape: merge some adjacent dimensions; maybe one −1 (not with zero elements, where it
    // is ambiguous)
    const Shape s = *gen_shape(0, 4);
    Ints target;
    for (std::size_t k = 0; k < s.size(); ++k) {
      if (k > 0 && pick(1, 2))
        target.back() *= s[k];
      else
        target.push_back(s[k]);
    }
    if (!target.empty() && shape_numel(s) > 0 && pick(1, 2))
      target[*gen::inRange<std::size_t>(0, target.size())] = -1;
    return Layout{{s}, {{"shape", target}}, "fuzz"};
  });
}

/// The spec's own layouts (and structural layouts), one picked; shrinks toward the first.
rc::Gen<Layout> spec_layouts(const verify::OpSpec& spec) {
  verify::Rng rng(verify::mix_seed(verify::kDefaultSeed, spec.name + "/fuzz-layouts"));
  std::vector<Layout> all;
  for (const auto* source : {&spec.layouts, &spec.structural_layouts})
    if (*source)
      for (Layout& l : (*source)(rng)) {
        std::int64_t n = 0;
        for (const Shape& s : l.shapes) n += shape_numel(s);
        if (n <= 20000) all.push_back(std::move(l));  // large-size checks are verify's job
      }
  if (all.empty()) throw Error(spec.name, {}, "fuzz: the spec has no layout to draw from");
  return gen::map(gen::inRange<std::size_t>(0, all.size()),
                  [all](std::size_t i) { return all[i]; });
}

/// The adversarial values of dt, +0 first (what a special value shrinks toward).
std::vector<double> specials(DType dt) {
  const bool f32 = dt == DType::f32;
  const double max = f32 ? std::numeric_limits<float>::max() : std::numeric_limits<double>::max();
  const double tiny = f32 ? std::numeric_limits<float>::min() : std::numeric_limits<double>::min();
  const double sub =
      f32 ? std::numeric_limits<float>::denorm_min() : std::numeric_limits<double>::denorm_min();
  const double inf = std::numeric_limits<double>::infinity();
  return {0.0,   -0.0, 1.0,  -1.0,     std::numeric_limits<double>::quiet_NaN(),
          inf,   -inf, max,  -max,     tiny,
          -tiny, sub,  -sub, sub * 77, max / 3};
}

/// One value of the random regime in domain d: uniform (3 in 4) or log-scaled magnitudes from
/// 2^-20 (2^-12 for float32) up to the domain's edge; integers where the domain says so.
double random_value(const verify::Domain& d, DType dt) {
  constexpr double kSteps = 1 << 20;
  const double t = static_cast<double>(*gen::inRange(0, 1 << 20)) / kSteps;
  const bool signed_domain = d.lo < 0 && d.hi > 0;
  double x;
  if (pick(1, 3)) {
    const double top = std::log2(std::max(std::abs(d.lo), std::abs(d.hi)));
    const double emin = dt == DType::f32 ? -12 : -20;
    x = std::exp2(emin + (top - emin) * t);
    if (signed_domain && pick(1, 1)) x = -x;
    x = std::clamp(x, d.lo, d.hi);
  } else if (signed_domain) {
    x = pick(1, 1) ? d.lo * t : d.hi * t;  // shrinks toward 0
  } else {
    x = d.lo + (d.hi - d.lo) * t;  // shrinks toward the low end
  }
  return d.integer_valued ? std::clamp(std::round(x), std::ceil(d.lo), std::floor(d.hi)) : x;
}

}  // namespace

const char* regime_name(ValueRegime r) {
  switch (r) {
    case ValueRegime::exact:
      return "exact";
    case ValueRegime::random:
      return "random";
    case ValueRegime::adversarial:
      return "adversarial";
  }
  return "?";
}

rc::Gen<Shape> gen_shape(int min_rank, int max_rank) {
  return gen::mapcat(gen::inRange(min_rank, max_rank + 1), [](int r) {
    const auto rank = static_cast<std::size_t>(r);
    return gen::container<Shape>(rank, gen_dim(max_dim_for_rank(rank)));
  });
}

rc::Gen<Layout> gen_layout(const verify::OpSpec& spec) {
  if (spec.family == "elementwise") return elementwise_layout();
  if (spec.family == "unary") return unary_layout();
  if (spec.family == "reduction") return reduction_layout(spec);
  if (spec.family == "softmax") return softmax_layout();
  if (spec.family == "matmul") return matmul_layout();
  if (spec.family == "shape") return shape_op_layout(spec);
  return spec_layouts(spec);
}

rc::Gen<std::vector<double>> gen_values(const verify::OpSpec& spec, const Layout& layout,
                                        std::size_t input, std::size_t n, ValueRegime regime,
                                        DType dtype, int exact_shift) {
  const verify::Domain d = verify::domain_of(spec, input);
  double exact_limit = 0;
  if (regime == ValueRegime::exact)
    exact_limit = std::max(1.0, std::floor(spec.exact_range(layout, dtype)));
  return gen::exec([d, n, regime, dtype, exact_limit, exact_shift] {
    std::vector<double> v(n);
    switch (regime) {
      case ValueRegime::exact: {
        // Integers in [−R, R] (R from the spec's error analysis: every partial result stays
        // representable) times 2^-shift, which keeps them exact.
        const int shift = d.integer_valued ? 0 : exact_shift;
        const auto R = static_cast<std::int64_t>(exact_limit);
        for (double& x : v) {
          x = std::ldexp(static_cast<double>(*gen::inRange<std::int64_t>(0, R + 1)), -shift);
          if (d.lo < 0 && pick(1, 1)) x = -x;
        }
        break;
      }
      case ValueRegime::random:
        for (double& x : v) x = random_value(d, dtype);
        break;
      case ValueRegime::adversarial: {
        const std::vector<double> pool = specials(dtype);
        for (double& x : v)
          x = pick(1, 3) ? pool[*gen::inRange<std::size_t>(0, pool.size())]
                         : random_value(d, dtype);
        break;
      }
    }
    return v;
  });
}

rc::Gen<OpDraw> gen_op_draw(const verify::OpSpec& spec, const std::vector<DType>& dtypes,
                            const std::vector<ValueRegime>& regimes) {
  std::vector<ValueRegime> allowed;
  for (ValueRegime r : {ValueRegime::random, ValueRegime::exact, ValueRegime::adversarial}) {
    const bool wanted = regimes.empty() || std::count(regimes.begin(), regimes.end(), r);
    if (wanted && (r != ValueRegime::exact || spec.exact_range)) allowed.push_back(r);
  }
  if (allowed.empty() || dtypes.empty())
    throw Error(spec.name, {}, "fuzz: no dtype or value regime left to draw");
  // Only layouts the op accepts: e.g. max over an empty axis has no identity and is rejected
  // by the shape rule (that rejection is bad-input behaviour, tested in tests/bad_input.cpp).
  const rc::Gen<Layout> layouts = gen::suchThat(gen_layout(spec), [&spec](const Layout& l) {
    try {
      spec.shape_rule(l.shapes, validate_attrs(spec.attrs, l.attrs, spec.name));
      return true;
    } catch (const Error&) {
      return false;
    }
  });
  return gen::exec([&spec, dtypes, allowed, layouts] {
    OpDraw d;
    d.op = spec.name;
    d.dtype = *gen::elementOf(dtypes);
    d.regime = *gen::elementOf(allowed);
    d.layout = *layouts;
    const std::size_t n_in = d.layout.shapes.size();
    std::vector<std::pair<unsigned, InputPlacement>> placements = {{6, InputPlacement::contiguous},
                                                                   {1, InputPlacement::strided},
                                                                   {1, InputPlacement::transposed},
                                                                   {1, InputPlacement::reversed}};
    if (spec.broadcast_inputs) placements.push_back({1, InputPlacement::broadcast});
    for (std::size_t i = 0; i < n_in; ++i) d.placement.push_back(pick_weighted(placements));
    std::vector<std::pair<unsigned, OutputPlacement>> outputs = {{4, OutputPlacement::contiguous},
                                                                 {1, OutputPlacement::strided}};
    if (spec.inplace) outputs.push_back({1, OutputPlacement::in_place});
    d.output = pick_weighted(outputs);
    d.threads = *gen::inRange(1, 4);
    const int shift = d.regime == ValueRegime::exact ? *gen::inRange(0, 4) : 0;
    for (std::size_t i = 0; i < n_in; ++i)
      d.values.push_back(*gen_values(spec, d.layout, i,
                                     static_cast<std::size_t>(shape_numel(d.layout.shapes[i])),
                                     d.regime, d.dtype, shift));
    return d;
  });
}

Tensor make_tensor(const Shape& shape, DType dtype, const std::vector<double>& values) {
  Tensor t = Tensor::empty(shape, dtype);
  if (static_cast<std::int64_t>(values.size()) != t.numel())
    throw Error("fuzz", {shape}, "value count does not match the shape");
  if (dtype == DType::f32) {
    float* p = t.data<float>();
    for (std::size_t i = 0; i < values.size(); ++i) p[i] = static_cast<float>(values[i]);
  } else if (dtype == DType::f64) {
    std::copy(values.begin(), values.end(), t.data<double>());
  } else {
    throw Error("fuzz", {shape}, "make_tensor: float32 or float64 only");
  }
  return t;
}

verify::Case to_case(const verify::OpSpec& spec, const OpDraw& d, std::uint64_t seed) {
  verify::Case c;
  c.op = spec.name;
  c.dtype = d.dtype;
  c.regime = d.regime == ValueRegime::exact    ? verify::Regime::exact
             : d.regime == ValueRegime::random ? verify::Regime::random
                                               : verify::Regime::adversarial;
  c.seed = seed;
  c.layout = d.layout;
  c.layout.attrs = validate_attrs(spec.attrs, d.layout.attrs, spec.name);
  c.exact = d.regime == ValueRegime::exact;
  c.input_placement = d.placement;
  c.output_placement = d.output;
  c.threads = d.threads;
  c.parallel_threshold = 1;  // small fuzz inputs still take the threaded paths
  c.value_note = std::string("fuzz ") + regime_name(d.regime);
  verify::Rng rng(seed);
  for (std::size_t i = 0; i < d.layout.shapes.size(); ++i)
    c.inputs.push_back(verify::place_input(make_tensor(d.layout.shapes[i], d.dtype, d.values[i]),
                                           d.placement[i], rng));
  return c;
}

void showValue(const OpDraw& d, std::ostream& os) {
  os << d.op << " " << dtype_name(d.dtype) << ", " << regime_name(d.regime) << " values, ";
  for (std::size_t i = 0; i < d.layout.shapes.size(); ++i)
    os << (i ? " ⊕ " : "") << shape_str(d.layout.shapes[i]) << " "
       << verify::placement_name(d.placement[i]);
  os << " → " << verify::placement_name(d.output) << ", " << d.threads << " thread(s)";
  if (!d.layout.attrs.values().empty()) os << ", attrs " << d.layout.attrs.str();
  for (std::size_t i = 0; i < d.values.size(); ++i) {
    os << "\n    input " << i << ": [";
    const std::size_t shown = std::min<std::size_t>(d.values[i].size(), 48);
    char buf[32];
    for (std::size_t k = 0; k < shown; ++k) {
      std::snprintf(buf, sizeof buf, "%.17g", d.values[i][k]);
      os << (k ? ", " : "") << buf;
    }
    if (shown < d.values[i].size()) os << ", … (" << d.values[i].size() << " values)";
    os << "]";
  }
}

}  // namespace vt::fuzz
