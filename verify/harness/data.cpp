// verify/harness/data.cpp — deterministic case construction for the four regimes.
// What it is not: a property-test generator with shrinking (fuzz/ builds those on RapidCheck).
#include "verify/harness/data.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace vt::verify {

const char* placement_name(InputPlacement p) {
  switch (p) {
    case InputPlacement::contiguous:
      return "contiguous";
    case InputPlacement::strided:
      return "strided";
    case InputPlacement::transposed:
      return "transposed";
    case InputPlacement::reversed:
      return "reversed";
    case InputPlacement::broadcast:
      return "broadcast";
  }
  return "?";
}

const char* placement_name(OutputPlacement p) {
  switch (p) {
    case OutputPlacement::contiguous:
      return "contiguous";
    case OutputPlacement::strided:
      return "strided";
    case OutputPlacement::in_place:
      return "in-place";
  }
  return "?";
}

std::string Case::describe() const {
  std::string s = std::string(regime_name(regime)) + " #" + std::to_string(index) + " ";
  for (std::size_t i = 0; i < layout.shapes.size(); ++i)
    s += (i ? " " : "") + shape_str(layout.shapes[i]);
  if (!layout.attrs.values().empty()) s += " [" + layout.attrs.str() + "]";
  if (!layout.note.empty()) s += " {" + layout.note + "}";
  bool plain = output_placement == OutputPlacement::contiguous;
  for (InputPlacement p : input_placement) plain = plain && p == InputPlacement::contiguous;
  if (!plain) {
    s += " placement ";
    for (std::size_t i = 0; i < input_placement.size(); ++i)
      s += std::string(i ? "," : "") + placement_name(input_placement[i]);
    s += std::string("→") + placement_name(output_placement);
  }
  if (threads > 0) s += " threads=" + std::to_string(threads);
  if (parallel_threshold >= 0) s += " threshold=" + std::to_string(parallel_threshold);
  if (!value_note.empty()) s += " values: " + value_note;
  if (attempt > 0) s += " (draw " + std::to_string(attempt + 1) + ")";
  return s;
}

std::uint64_t mix_seed(std::uint64_t seed, const std::string& salt) {
  // FNV-1a over the salt, then splitmix64 with the seed: stable across platforms and runs.
  std::uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : salt) h = (h ^ c) * 1099511628211ULL;
  std::uint64_t z = seed + 0x9E3779B97F4A7C15ULL * (h | 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

namespace {

std::vector<Layout> regime_layouts(const OpSpec& spec, Regime regime, std::uint64_t seed) {
  Rng rng(mix_seed(seed, spec.name + "/layouts/" + regime_name(regime)));
  if (regime == Regime::structural && spec.structural_layouts) return spec.structural_layouts(rng);
  if (spec.layouts) return spec.layouts(rng);
  return {};
}

struct Limits {
  double max, min_normal, denorm_min;
};
Limits limits_of(DType t) {
  if (t == DType::f32)
    return {std::numeric_limits<float>::max(), std::numeric_limits<float>::min(),
            std::numeric_limits<float>::denorm_min()};
  return {std::numeric_limits<double>::max(), std::numeric_limits<double>::min(),
          std::numeric_limits<double>::denorm_min()};
}

double round_to(double x, DType t) {
  return t == DType::f32 ? static_cast<double>(static_cast<float>(x)) : x;
}

double clamp_domain(double x, const Domain& d) {
  if (std::isnan(x)) return x;
  return std::min(std::max(x, d.lo), d.hi);
}

/// One value of the random regime, distribution chosen per (case, input).
double random_value(Rng& rng, const Domain& d, int distribution) {
  std::uniform_real_distribution<double> u01(0.0, 1.0);
  double x;
  switch (distribution % 4) {
    case 0:
      x = d.lo + (d.hi - d.lo) * u01(rng);
      break;
    case 1: {
      std::normal_distribution<double> n((d.lo + d.hi) / 2, (d.hi - d.lo) / 6);
      x = clamp_domain(n(rng), d);
      break;
    }
    case 2: {
      // Log-uniform magnitude over 30 binades below the domain's largest magnitude.
      double top = std::max(std::abs(d.lo), std::abs(d.hi));
      double mag = top * std::exp2(-30.0 * u01(rng));
      bool negative = d.lo < 0 && (d.hi <= 0 || u01(rng) < 0.5);
      x = clamp_domain(negative ? -mag : mag, d);
      if (x < d.lo || x > d.hi) x = d.lo + (d.hi - d.lo) * u01(rng);
      break;
    }
    default: {
      // Values clustered near one point (many close, distinct values).
      double c = d.lo + (d.hi - d.lo) * u01(rng);
      x = clamp_domain(c + (d.hi - d.lo) * 1e-3 * (u01(rng) - 0.5), d);
      break;
    }
  }
  if (d.integer_valued) x = std::round(x);
  return x;
}

double special_value(Rng& rng, DType t) {
  const Limits L = limits_of(t);
  std::uniform_real_distribution<double> u01(0.0, 1.0);
  const double sub = L.min_normal * u01(rng);  // a random subnormal
  const double values[] = {0.0,
                           -0.0,
                           std::numeric_limits<double>::infinity(),
                           -std::numeric_limits<double>::infinity(),
                           std::numeric_limits<double>::quiet_NaN(),
                           L.denorm_min,
                           -L.denorm_min,
                           sub,
                           -sub,
                           L.max,
                           -L.max,
                           L.max * (0.5 + 0.5 * u01(rng)),
                           L.min_normal,
                           -L.min_normal * (1 + 3 * u01(rng)),
                           1.0,
                           -1.0};
  std::uniform_int_distribution<std::size_t> pick(0, std::size(values) - 1);
  return values[pick(rng)];
}

/// Fills a contiguous float tensor with the values of one input.
void fill_values(Tensor& t, const OpSpec& spec, const Layout& layout, std::size_t input,
                 Regime regime, int index, Rng& rng, std::string& note) {
  const Domain& d = domain_of(spec, input);
  const DType dt = t.dtype();
  const std::int64_t n = t.numel();
  std::vector<double> v(static_cast<std::size_t>(n));
  std::uniform_real_distribution<double> u01(0.0, 1.0);
  const Limits L = limits_of(dt);

  switch (regime) {
    case Regime::exact: {
      const double R = std::max(1.0, std::floor(spec.exact_range(layout, dt)));
      const int shift = index % 4;  // integers × 2^-shift stay exact
      const std::int64_t lo = d.lo >= 0 ? 0 : -static_cast<std::int64_t>(R);
      std::uniform_int_distribution<std::int64_t> ints(lo, static_cast<std::int64_t>(R));
      for (auto& x : v) x = std::ldexp(static_cast<double>(ints(rng)), -shift);
      note = "integers in [" + std::to_string(lo) + ", " +
             std::to_string(static_cast<std::int64_t>(R)) + "] × 2^-" + std::to_string(shift);
      break;
    }
    case Regime::random: {
      const int dist = (index + static_cast<int>(input)) % 4;
      // A one-element operand is broadcast against the others: drawn from the middle quarter of
      // the domain so that, e.g., minimum(x, c) is not constant.
      Domain mid = d;
      if (n == 1) {
        mid.lo = d.lo + (d.hi - d.lo) * 3 / 8;
        mid.hi = d.hi - (d.hi - d.lo) * 3 / 8;
      }
      for (auto& x : v) x = random_value(rng, mid, dist);
      static const char* names[] = {"uniform", "normal", "log-uniform", "clustered"};
      note += (note.empty() ? "" : ",") + std::string(names[dist]);
      break;
    }
    case Regime::structural: {
      Domain mid = d;  // a broadcast scalar from the middle quarter, as in the random regime
      if (n == 1) {
        mid.lo = d.lo + (d.hi - d.lo) * 3 / 8;
        mid.hi = d.hi - (d.hi - d.lo) * 3 / 8;
      }
      for (auto& x : v) x = random_value(rng, mid, 0);
      break;
    }
    case Regime::adversarial: {
      // The pattern is chosen by input 0's domain and applied to every input whose own domain
      // lists it; the others keep ordinary values (e.g. mul scales one factor: scaling both
      // towards underflow would make every product 0).
      const std::vector<Adversarial>& pats = domain_of(spec, 0).adversarial;
      const Adversarial pat = pats.empty() ? Adversarial::specials
                                           : pats[static_cast<std::size_t>(index) % pats.size()];
      if (std::find(d.adversarial.begin(), d.adversarial.end(), pat) == d.adversarial.end()) {
        for (auto& x : v) x = random_value(rng, d, 0);
        break;
      }
      switch (pat) {
        case Adversarial::specials: {
          // A special value in a one-element input (a broadcast scalar) would make the whole
          // output special, which tests one value; those inputs keep ordinary values.
          // Density falls with size (about 16 specials per input) so that rows of a
          // reduction are not all NaN, while small inputs still get several.
          const double p_special = n <= 1 ? 0.0 : std::min(0.3, 16.0 / static_cast<double>(n));
          for (auto& x : v)
            x = u01(rng) < p_special ? special_value(rng, dt) : random_value(rng, d, 0);
          note += (note.empty() ? "" : ",") + std::string("specials");
          break;
        }
        case Adversarial::cancellation:
          for (auto& x : v) {
            double r = u01(rng);
            x = r < 0.5 ? (u01(rng) < 0.5 ? -1 : 1) * std::exp2(10 + 10 * u01(rng))
                        : random_value(rng, d, 0);
            if (d.lo >= 0) x = std::abs(x);
          }
          note += (note.empty() ? "" : ",") + std::string("cancellation");
          break;
        case Adversarial::scale_overflow: {
          // Largest |x| ~ max / 8 per element: sums of a few overflow, products overflow.
          const double scale = L.max / 8 / std::max(std::abs(d.lo), std::abs(d.hi));
          for (auto& x : v) x = random_value(rng, d, 0) * scale;
          note += (note.empty() ? "" : ",") + std::string("near-overflow");
          break;
        }
        case Adversarial::scale_underflow: {
          // Magnitudes from 16 × min_normal down into the subnormals.
          const double scale = 16 * L.min_normal / std::max(std::abs(d.lo), std::abs(d.hi));
          for (auto& x : v) x = random_value(rng, d, 2) * scale;
          note += (note.empty() ? "" : ",") + std::string("near-underflow");
          break;
        }
        case Adversarial::shift_exp_overflow: {
          // exp overflows above log(max): 88.7 in float32, 709.8 in float64.
          const double shift = std::log(L.max) + 2;
          for (auto& x : v) x = random_value(rng, d, 0) + shift;
          note += (note.empty() ? "" : ",") + std::string("shifted past exp overflow");
          break;
        }
      }
      break;
    }
  }
  if (dt == DType::f32) {
    float* p = t.data<float>();
    for (std::int64_t i = 0; i < n; ++i) p[i] = static_cast<float>(v[static_cast<std::size_t>(i)]);
  } else {
    double* p = t.data<double>();
    for (std::int64_t i = 0; i < n; ++i) p[i] = round_to(v[static_cast<std::size_t>(i)], dt);
  }
}

}  // namespace

Tensor place_input(const Tensor& logical, InputPlacement p, Rng& rng) {
  const Shape& s = logical.shape();
  const std::int64_t nd = logical.ndim();
  auto nan_fill = [](Tensor& t) {
    if (t.dtype() == DType::f32) {
      std::fill_n(t.data<float>(), t.numel(), std::numeric_limits<float>::quiet_NaN());
    } else if (t.dtype() == DType::f64) {
      std::fill_n(t.data<double>(), t.numel(), std::numeric_limits<double>::quiet_NaN());
    }
  };
  switch (p) {
    case InputPlacement::contiguous:
      return logical;
    case InputPlacement::strided: {
      if (nd == 0) return logical;
      Shape big = s;
      for (auto& d : big) d = 2 * d + 1;
      Tensor buf = Tensor::empty(big, logical.dtype());
      nan_fill(buf);
      Tensor view = buf;
      for (std::int64_t k = 0; k < nd; ++k)
        view = view.slice(k, 1, 2 * s[static_cast<std::size_t>(k)] + 1, 2);
      view.copy_from(logical);
      return view;
    }
    case InputPlacement::transposed: {
      if (nd < 2) return logical;
      std::vector<std::int64_t> order(static_cast<std::size_t>(nd));
      for (std::int64_t k = 0; k < nd; ++k) order[static_cast<std::size_t>(k)] = nd - 1 - k;
      Tensor buf = Tensor::empty(logical.permute(order).shape(), logical.dtype());
      Tensor view = buf.permute(order);  // reversing is its own inverse
      view.copy_from(logical);
      return view;
    }
    case InputPlacement::reversed: {
      Tensor buf = Tensor::empty(s, logical.dtype());
      Tensor view = buf;
      for (std::int64_t k = 0; k < nd; ++k)
        if (s[static_cast<std::size_t>(k)] > 1) {
          view = view.slice(k, -1, -s[static_cast<std::size_t>(k)] - 1, -1);
          break;
        }
      view.copy_from(logical);
      return view;
    }
    case InputPlacement::broadcast: {
      // Repeat one slice along one dimension; 1-d inputs would become constant, so they get
      // the strided placement instead.
      if (nd < 2) return place_input(logical, InputPlacement::strided, rng);
      std::vector<std::int64_t> candidates;
      for (std::int64_t k = 0; k < nd; ++k)
        if (s[static_cast<std::size_t>(k)] > 1) candidates.push_back(k);
      // With a single non-unit dimension the repeated slice is one value: the whole input would
      // be constant. Such inputs get the strided placement instead.
      if (candidates.size() < 2) return place_input(logical, InputPlacement::strided, rng);
      std::uniform_int_distribution<std::size_t> pick(0, candidates.size() - 1);
      const std::int64_t k = candidates[pick(rng)];
      Tensor row = logical.slice(k, 0, 1).clone();  // keep one slice, repeat it along k
      return row.expand(s);
    }
  }
  return logical;
}

const Domain& domain_of(const OpSpec& spec, std::size_t input) {
  static const Domain fallback{};
  if (spec.domains.empty()) return fallback;
  return spec.domains[std::min(input, spec.domains.size() - 1)];
}

int regime_case_count(const OpSpec& spec, Regime regime, int cases_per_regime, std::uint64_t seed) {
  if (regime == Regime::exact && !spec.exact_range) return 0;
  if (cases_per_regime > 0) return cases_per_regime;
  return static_cast<int>(regime_layouts(spec, regime, seed).size());
}

Case make_case(const OpSpec& spec, DType dtype, Regime regime, int index, std::uint64_t seed,
               int cases_per_regime, int attempt) {
  (void)cases_per_regime;
  Case c;
  c.op = spec.name;
  c.dtype = dtype;
  c.regime = regime;
  c.index = index;
  c.seed = seed;
  std::vector<Layout> layouts = regime_layouts(spec, regime, seed);
  if (layouts.empty()) throw Error(spec.name, {}, "spec has no layouts");
  c.layout = layouts[static_cast<std::size_t>(index) % layouts.size()];
  c.layout.attrs = validate_attrs(spec.attrs, c.layout.attrs, spec.name);
  c.exact = regime == Regime::exact;

  c.attempt = attempt;
  Rng rng(mix_seed(seed, spec.name + "/" + std::string(dtype_name(dtype)) + "/" +
                             regime_name(regime) + "/" + std::to_string(index) +
                             (attempt ? "/attempt" + std::to_string(attempt) : "")));
  const std::size_t n_in = c.layout.shapes.size();
  // Placement: only the structural and (partly) random regimes move data off the plain layout.
  static const InputPlacement cycle[] = {InputPlacement::contiguous, InputPlacement::strided,
                                         InputPlacement::transposed, InputPlacement::reversed,
                                         InputPlacement::broadcast};
  c.input_placement.assign(n_in, InputPlacement::contiguous);
  if (regime == Regime::structural) {
    const int kind = index % 6;
    for (std::size_t i = 0; i < n_in; ++i) {
      if (kind == 5)
        c.input_placement[i] =
            cycle[(i + static_cast<std::size_t>(index)) % (spec.broadcast_inputs ? 4 : 3) + 1];
      else if (kind == 4)
        c.input_placement[i] =
            i == 0 && spec.broadcast_inputs ? InputPlacement::broadcast : InputPlacement::strided;
      else
        c.input_placement[i] = cycle[kind];
    }
    static const OutputPlacement outs[] = {OutputPlacement::contiguous, OutputPlacement::strided,
                                           OutputPlacement::in_place};
    c.output_placement = outs[(index + index / 6) % 3];
    c.threads = 1 + index % 3;
    c.parallel_threshold = index % 2 == 0 ? 1 : -1;
  } else if (regime == Regime::random) {
    if (index % 5 == 3) c.input_placement.assign(n_in, InputPlacement::transposed);
    if (index % 5 == 4) c.input_placement.assign(n_in, InputPlacement::strided);
  }

  for (std::size_t i = 0; i < n_in; ++i) {
    Tensor logical = Tensor::empty(c.layout.shapes[i], dtype);
    fill_values(logical, spec, c.layout, i, regime, index, rng, c.value_note);
    c.inputs.push_back(place_input(logical, c.input_placement[i], rng));
  }
  return c;
}

}  // namespace vt::verify
