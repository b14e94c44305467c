// verify/ops/creation.cpp — specs of zeros, ones, full, arange, eye and cast.
// What it is: their attributes, shape rules (arange's length is NumPy's), and the layouts that
// vary the attributes: empty and 0-d shapes, sizes straddling SIMD widths and the parallel grain,
// values that are not representable in float32, long aranges, negative steps, aranges crossing
// powers of two, and eye diagonals beyond the matrix. What it is not: the definitions
// (reference/ops/creation.hpp).
//
// Every op here is `exact`: each element is one correctly rounded value — the double attribute
// (full), start + i·step of the double start and step (arange), 0 or 1 (zeros, ones, eye), or
// the input rounded to nearest-even (cast; float32 → float64 is exact). The reference produces
// float128 values whose rounding to the dtype under test is that correctly rounded value
// (arange rounds to odd for that; see reference/ops/creation.hpp), so the backend must match it
// bit for bit, signed zeros and NaN included. cast's VJP (g converted to x's dtype) is exact
// for the same reason (see its spec).
#include "verify/harness/layouts.hpp"
#include "verify/harness/spec.hpp"

#include <cmath>
#include <cstdio>
#include <limits>

namespace vt::verify {
namespace {

const Accuracy kExact{.cls = AccuracyClass::exact};

/// Rejects negative sizes and shapes whose element or float128 byte count overflows int64.
Shape checked_shape(const char* op, const Shape& s) {
  for (std::int64_t d : s)
    if (d < 0) throw Error(op, {s}, "negative size " + std::to_string(d) + " in the shape");
  checked_mul(shape_numel(s), static_cast<std::int64_t>(itemsize(DType::hp)),
              std::string(op) + " output bytes");
  return s;
}

const AttrSpec kShapeAttr{.name = "shape",
                          .type = AttrType::ints,
                          .help = "output shape (sizes ≥ 0; empty list: 0-d)",
                          .min = 0};

OpSpec creation_spec(const char* name, const char* summary) {
  OpSpec s;
  s.name = name;
  s.family = "creation";
  s.summary = summary;
  s.min_inputs = s.max_inputs = 0;
  s.accuracy = kExact;
  s.differentiable = false;  // no inputs
  return s;
}

Layout shape_layout(const Shape& shape, std::string note, Attrs extra = {}) {
  Attrs a = std::move(extra);
  a.set("shape", to_ints(shape));
  return Layout{.shapes = {}, .attrs = std::move(a), .note = std::move(note)};
}

std::vector<Layout> fill_layouts(Rng& rng, const Attrs& extra) {
  std::vector<Layout> out = {
      shape_layout({}, "0-d", extra),
      shape_layout({0}, "empty", extra),
      shape_layout({5, 0, 3}, "empty 3-d", extra),
      shape_layout({37}, "vector", extra),
      shape_layout({3, 4}, "matrix", extra),
      shape_layout({2, 3, 4, 5}, "4-d", extra),
  };
  for (int i = 0; i < 2; ++i)
    out.push_back(shape_layout(random_shape(rng, 1 + i, 1, 40), "random shape", extra));
  return out;
}

std::vector<Layout> fill_structural_layouts(const Attrs& extra) {
  std::vector<Layout> out;
  for (std::int64_t n : structural_sizes())
    out.push_back(shape_layout({n}, "size " + std::to_string(n), extra));
  out.push_back(shape_layout({7, 1, 13}, "unit dim", extra));
  out.push_back(shape_layout({0, 5}, "empty 2-d", extra));
  return out;
}

std::vector<OutputDesc> shape_attr_rule(const char* op, const Attrs& a) {
  return {{checked_shape(op, to_shape(a.get_ints("shape"))), OutKind::same_float}};
}

// ---- zeros, ones, full -------------------------------------------------------------------------

OpSpec fill_spec(const char* name, const char* summary, bool with_value) {
  OpSpec s = creation_spec(name, summary);
  s.attrs = {kShapeAttr};
  if (with_value)
    s.attrs.push_back({.name = "value",
                       .type = AttrType::real,
                       .help = "fill value (a double; rounded correctly to the dtype)"});
  s.constant_output = true;
  const std::string op = name;
  s.shape_rule = [op](const std::vector<Shape>&, const Attrs& a) {
    return shape_attr_rule(op.c_str(), a);
  };
  if (!with_value) {
    s.layouts = [](Rng& rng) { return fill_layouts(rng, {}); };
    s.structural_layouts = [](Rng&) { return fill_structural_layouts({}); };
    return s;
  }
  s.layouts = [](Rng& rng) {
    // Values that float32 must round: 0.1, ties to even (1 + 2^-24 → 1, 1 + 3·2^-24 → 1 + 2^-22),
    // overflow to inf, subnormal results, the sign of zero, inf and NaN.
    const double values[] = {2.5,
                             0.1,
                             -0.0,
                             1 + std::ldexp(1.0, -24),
                             1 + 3 * std::ldexp(1.0, -24),
                             1e300,
                             -3.4028235677973366e38,
                             1e-40,
                             -std::numeric_limits<double>::infinity(),
                             std::numeric_limits<double>::quiet_NaN()};
    std::vector<Layout> out;
    for (double v : values) {
      char note[40];
      std::snprintf(note, sizeof note, "value %.17g", v);
      out.push_back(shape_layout({3, 5}, note, {{"value", v}}));
    }
    for (Layout& l : fill_layouts(rng, {{"value", -7.25}})) out.push_back(std::move(l));
    return out;
  };
  s.structural_layouts = [](Rng&) { return fill_structural_layouts({{"value", 0.3}}); };
  return s;
}

VT_REGISTER_SPEC(fill_spec("zeros", "a tensor of zeros", false));
VT_REGISTER_SPEC(fill_spec("ones", "a tensor of ones", false));
VT_REGISTER_SPEC(fill_spec("full", "a tensor filled with value (correctly rounded)", true));

// ---- arange ------------------------------------------------------------------------------------

/// NumPy's length: ceil((stop − start)/step) in double arithmetic, 0 when that is ≤ 0; a quotient
/// that underflows to zero while stop ≠ start counts as 1 element when positive (NumPy's
/// `arange` does the same); step = 0, non-finite bounds and lengths beyond int64 are errors.
std::int64_t arange_length(double start, double stop, double step) {
  if (!std::isfinite(start) || !std::isfinite(stop) || !std::isfinite(step))
    throw Error("arange", {}, "start, stop and step must be finite");
  if (step == 0) throw Error("arange", {}, "step must not be zero");
  const double delta = stop - start;
  const double q = delta / step;
  if (q == 0 && delta != 0) return std::signbit(q) ? 0 : 1;
  const double len = std::ceil(q);
  if (std::isnan(len) || !(len < 0x1p63) || !(len >= -0x1p63))
    throw Error("arange", {}, "the length ceil((stop − start)/step) overflows");
  return len <= 0 ? 0 : static_cast<std::int64_t>(len);
}

Layout arange_layout(double start, double stop, double step, std::string note) {
  return Layout{.shapes = {},
                .attrs = {{"start", start}, {"stop", stop}, {"step", step}},
                .note = std::move(note)};
}

std::vector<Layout> arange_layouts(Rng&) {
  const double t24 = std::ldexp(1.0, -24), t52 = std::ldexp(1.0, -52), t60 = std::ldexp(1.0, -60);
  return {
      arange_layout(0, 10, 1, "integers"),
      arange_layout(0, 1, 0.1, "step 0.1"),
      arange_layout(0, 10000.1, 0.1, "100001 elements of step 0.1"),
      arange_layout(1, -1, -0.25, "negative step"),
      arange_layout(-3, 3, 0.1, "crossing zero (start + i·step cancels)"),
      arange_layout(5, 5, 1, "empty (stop = start)"),
      arange_layout(5, 1, 1, "empty (stop below start)"),
      arange_layout(2.5, 3, 10, "one element"),
      arange_layout(0.001, 1, 0.001, "step 0.001, 999 elements"),
      arange_layout(16777200, 16777300, 0.75, "crossing 2^24 (float32 spacing 1 → 2)"),
      arange_layout(9007199254740900.0, 9007199254741100.0, 0.75,
                    "crossing 2^53 (float64 spacing 1 → 2)"),
      arange_layout(0.9, 1.3, 1.0 / 1024 / 3, "crossing 1 with a step of 1/3072"),
      arange_layout(1e10, 1e10 + 1000, 0.1, "large start, small step"),
      arange_layout(-1e-30, 1e-30, 3e-33, "tiny values around zero"),
      arange_layout(1e-45, 1e-43, 7e-47, "float32 subnormal range"),
      // start is a float32 midpoint and i·step moves the exact value just off it, by at most
      // half a float64 ulp for i ≤ 128: double rounding (float64, then float32) lands on the
      // midpoint and ties to even, wrong for those 128 elements.
      arange_layout(1 + t24, 1 + t24 + t52, t60, "float32 midpoint + tiny steps"),
      arange_layout(1 + 3 * t24, 1 + 3 * t24 - 2 * t52, -t60, "float32 midpoint − tiny steps"),
      arange_layout(3.4028235677973366e38 - 1e30, 3.4028235677973366e38 + 1e31, 1e30,
                    "across float32's overflow threshold"),
  };
}

std::vector<Layout> arange_structural_layouts(Rng&) {
  std::vector<Layout> out;
  // Length ceil((n·0.7 − 0.35)/0.7) = n, robust to the rounding of the quotient.
  for (std::int64_t n : structural_sizes())
    out.push_back(arange_layout(-1.5, -1.5 + static_cast<double>(n) * 0.7 - 0.35, 0.7,
                                "length " + std::to_string(n)));
  out.push_back(arange_layout(100, -2e5, -3.3, "long, negative step"));
  return out;
}

VT_REGISTER_SPEC([] {
  OpSpec s = creation_spec("arange", "start + i·step for i < ceil((stop − start)/step) (NumPy)");
  s.attrs = {
      {.name = "start", .type = AttrType::real, .default_value = 0.0, .help = "first value"},
      {.name = "stop", .type = AttrType::real, .help = "end, excluded"},
      {.name = "step", .type = AttrType::real, .default_value = 1.0, .help = "spacing (≠ 0)"}};
  s.shape_rule = [](const std::vector<Shape>&, const Attrs& a) {
    const std::int64_t n =
        arange_length(a.get_real("start"), a.get_real("stop"), a.get_real("step"));
    return std::vector<OutputDesc>{{checked_shape("arange", {n}), OutKind::same_float}};
  };
  s.layouts = arange_layouts;
  s.structural_layouts = arange_structural_layouts;
  return s;
}());

// ---- eye ---------------------------------------------------------------------------------------

Layout eye_layout(std::int64_t n, std::int64_t m, std::int64_t k, std::string note) {
  return Layout{.shapes = {}, .attrs = {{"n", n}, {"m", m}, {"k", k}}, .note = std::move(note)};
}

std::vector<Layout> eye_layouts(Rng&) {
  return {
      eye_layout(3, -1, 0, "square"),
      eye_layout(4, 6, 0, "wide"),
      eye_layout(6, 4, 2, "tall, k = 2"),
      eye_layout(5, -1, -2, "k = −2"),
      eye_layout(3, -1, 5, "k beyond the columns"),
      eye_layout(3, 4, -10, "k beyond the rows"),
      eye_layout(0, -1, 0, "empty"),
      eye_layout(1, -1, 0, "1 × 1"),
      eye_layout(3, 0, 0, "no columns"),
      eye_layout(33, 65, -1, "33 × 65, k = −1"),
      eye_layout(300, 257, 3, "300 × 257, k = 3"),
  };
}

std::vector<Layout> eye_structural_layouts(Rng&) {
  std::vector<Layout> out;
  for (std::int64_t n : structural_sizes()) {
    // Square up to 257; beyond, a few columns (n² elements would be too many for the reference).
    const std::int64_t m = n <= 257 ? -1 : 3;
    out.push_back(eye_layout(n, m, n % 3 - 1, "n = " + std::to_string(n)));
  }
  return out;
}

VT_REGISTER_SPEC([] {
  OpSpec s = creation_spec("eye", "n × m matrix with ones on diagonal k (NumPy eye)");
  s.attrs = {{.name = "n", .type = AttrType::integer, .help = "rows", .min = 0},
             {.name = "m",
              .type = AttrType::integer,
              .default_value = std::int64_t{-1},
              .help = "columns (−1: n)",
              .min = -1},
             {.name = "k",
              .type = AttrType::integer,
              .default_value = std::int64_t{0},
              .help = "diagonal offset (> 0 above the main diagonal)"}};
  s.constant_output = true;
  s.shape_rule = [](const std::vector<Shape>&, const Attrs& a) {
    const std::int64_t n = a.get_int("n"), m = a.get_int("m") == -1 ? n : a.get_int("m");
    if (n < 0 || m < 0) throw Error("eye", {}, "n and m must be ≥ 0 (m = −1 means n)");
    return std::vector<OutputDesc>{{checked_shape("eye", {n, m}), OutKind::same_float}};
  };
  s.layouts = eye_layouts;
  s.structural_layouts = eye_structural_layouts;
  return s;
}());

// ---- cast --------------------------------------------------------------------------------------

std::vector<Layout> with_each_dtype(const std::vector<Layout>& base) {
  std::vector<Layout> out;
  for (const char* dt : {"float32", "float64"})
    for (Layout l : base) {
      l.attrs.set("dtype", std::string(dt));
      l.note += std::string(" → ") + dt;
      out.push_back(std::move(l));
    }
  return out;
}

VT_REGISTER_SPEC([] {
  OpSpec s;
  s.name = "cast";
  s.family = "creation";
  s.summary = "convert to dtype (float64 → float32 rounds to nearest-even, overflow to ±inf)";
  s.min_inputs = s.max_inputs = 1;
  s.attrs = {{.name = "dtype",
              .type = AttrType::string,
              .help = "target dtype",
              .choices = {"float32", "float64"}}};
  s.shape_rule = [](const std::vector<Shape>& in, const Attrs&) {
    return std::vector<OutputDesc>{{in.at(0), OutKind::attr_dtype}};
  };
  s.accuracy = kExact;
  s.differentiable = true;
  // VJP: gx = g converted to x's dtype (PyTorch: grad.to(x.dtype); the rounding of the forward
  // counts as the identity). The reference VJP is g exactly; the backend performs one IEEE
  // conversion from g's dtype (the "dtype" attribute) to x's: exact when it widens or keeps the
  // dtype, correctly rounded (nearest-even, overflow to ±inf) when it narrows float64 → float32
  // — which is the reference rounded to x's dtype either way: class exact. Differentiable
  // everywhere (no kinks).
  s.grad.cls = AccuracyClass::exact;
  s.layouts = [](Rng& rng) { return with_each_dtype(unary_layouts(rng)); };
  s.structural_layouts = [](Rng& rng) { return with_each_dtype(unary_structural_layouts(rng)); };
  s.domains = {scale_free_domain()};
  // Integers up to 2^26 (times 2^-shift) are exact in float64 and include float32 ties (odd
  // integers in (2^24, 2^25]), which a truncating or round-half-up cast gets wrong.
  s.exact_range = [](const Layout&, DType t) { return t == DType::f64 ? 67108864.0 : 1048576.0; };
  return s;
}());

}  // namespace
}  // namespace vt::verify
