// tests/tensor.cpp — unit tests of core/tensor and core/shape.
// What it is: views share storage and address the elements NumPy's semantics say (expected
// values derived by hand in comments), copies happen exactly when needed, size arithmetic
// refuses to overflow, and casts round correctly at hand-built ties.
// What it is not: a test of any op, or of .npy I/O (tests/npy.cpp).
#include "core/tensor.hpp"
#include "core/shape.hpp"

#include <boost/multiprecision/float128.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

using vt::DType;
using vt::hp_t;
using vt::Shape;
using vt::Strides;
using vt::Tensor;

namespace {

constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();

/// The elements of t in row-major logical order.
template <class T>
std::vector<T> values(const Tensor& t) {
  std::vector<T> out;
  const vt::View<T> v = t.view<T>();
  vt::for_each_index(t.shape(),
                     [&](const std::vector<std::int64_t>& idx) { out.push_back(v[idx]); });
  return out;
}

/// 0, 1, …, n-1 as int64 in the given shape.
Tensor iota(const Shape& shape) {
  std::vector<std::int64_t> v(static_cast<std::size_t>(vt::shape_numel(shape)));
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<std::int64_t>(i);
  return Tensor::from<std::int64_t>(shape, v);
}

using I = std::vector<std::int64_t>;

/// Asserts that f throws a vt::Error whose message contains `phrase`.
template <class F>
void expect_error(F&& f, const std::string& phrase) {
  try {
    f();
    BOOST_ERROR("no vt::Error (expected \"" << phrase << "\")");
  } catch (const vt::Error& e) {
    const std::string msg = e.what();
    BOOST_TEST(msg.find(phrase) != std::string::npos,
               "message lacks \"" << phrase << "\": " << msg);
  }
}

bool shares(const Tensor& a, const Tensor& b) { return a.storage() == b.storage(); }

template <class T>
T first(const Tensor& t) {
  return t.data<T>()[0];
}

}  // namespace

BOOST_AUTO_TEST_SUITE(tensor)

// ---- views -----------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(reshape_views_when_possible_and_copies_when_not) {
  const Tensor t = iota({2, 3, 4});

  const Tensor r = t.reshape({6, 4});
  BOOST_TEST(shares(r, t));
  BOOST_TEST(r.raw() == t.raw());
  BOOST_TEST(r.strides() == (Strides{4, 1}));
  BOOST_TEST(values<std::int64_t>(r) == values<std::int64_t>(t));
  BOOST_TEST(t.reshape({-1, 12}).shape() == (Shape{2, 12}));
  BOOST_TEST(t.reshape({24}).strides() == Strides{1});

  // The first two of four columns: shape (2, 3, 2), strides (12, 4, 1), t[i, j, k] =
  // 12i + 4j + k. Axes 0 and 1 still merge (12 == 4·3), so (6, 2) is a view with strides (4, 1).
  const Tensor cols = t.slice(2, 0, 2);
  const I cols_values = {0, 1, 4, 5, 8, 9, 12, 13, 16, 17, 20, 21};
  const Tensor rc = cols.reshape({6, 2});
  BOOST_TEST(shares(rc, t));
  BOOST_TEST(rc.strides() == (Strides{4, 1}));
  BOOST_TEST(values<std::int64_t>(rc) == cols_values);
  // But (2, 6) would merge axes 1 and 2 (4 ≠ 1·2): no view, so reshape copies.
  expect_error([&] { cols.view_as_shape({2, 6}); }, "do not allow a view");
  const Tensor rc2 = cols.reshape({2, 6});
  BOOST_TEST(!shares(rc2, t));
  BOOST_TEST(rc2.strides() == (Strides{6, 1}));
  BOOST_TEST(values<std::int64_t>(rc2) == cols_values);
  // Every other column is evenly spaced throughout (strides (12, 4, 2) = 2·(6, 2, 1)): any
  // reshape of it is a view.
  const Tensor even = t.slice(2, 0, 4, 2).reshape({2, 6});
  BOOST_TEST(shares(even, t));
  BOOST_TEST(even.strides() == (Strides{12, 2}));

  // Transposed (4, 3, 2) with strides (1, 4, 12): tt[i, j, k] = t[k, j, i] = 12k + 4j + i.
  // Reshape to (4, 6) merges j and k, whose strides (4, 12) are not nested: a copy, with
  // r2[i, 2j + k] = 12k + 4j + i.
  const Tensor tt = t.permute({2, 1, 0});
  const Tensor r2 = tt.reshape({4, 6});
  BOOST_TEST(!shares(r2, t));
  BOOST_TEST(values<std::int64_t>(r2) == (I{0, 12, 4, 16, 8,  20, 1, 13, 5, 17, 9,  21,
                                            2, 14, 6, 18, 10, 22, 3, 15, 7, 19, 11, 23}));
  // Splitting an axis of a transposed tensor is still a view: (4, 3, 2) → (2, 2, 3, 2).
  const Tensor r3 = tt.reshape({2, 2, 3, 2});
  BOOST_TEST(shares(r3, t));
  BOOST_TEST(r3.strides() == (Strides{2, 1, 4, 12}));

  // 0-d, size-1 and empty shapes.
  const Tensor s = Tensor::from<float>({}, {7.0f});
  BOOST_TEST(s.reshape({1, 1}).shape() == (Shape{1, 1}));
  BOOST_TEST(shares(s.reshape({1, 1}), s));
  BOOST_TEST(s.reshape({1, 1}).reshape({}).shape() == Shape{});
  BOOST_TEST(Tensor::empty({0, 3}, DType::f32).reshape({3, -1, 5}).shape() == (Shape{3, 0, 5}));

  expect_error([&] { t.reshape({5, 5}); }, "cannot reshape 24 elements into 25");
  expect_error([&] { t.reshape({-1, -1}); }, "more than one -1");
  expect_error([&] { t.reshape({-1, 5}); }, "cannot infer the -1 dimension");
  expect_error([&] { t.reshape({-2, -12}); }, "negative dimension");
}

BOOST_AUTO_TEST_CASE(permute_and_transpose) {
  const Tensor t = iota({2, 3, 4});       // t[i, j, k] = 12i + 4j + k
  const Tensor p = t.permute({2, 0, 1});  // p[a, b, c] = t[b, c, a]
  BOOST_TEST(shares(p, t));
  BOOST_TEST(p.raw() == t.raw());
  BOOST_TEST(p.shape() == (Shape{4, 2, 3}));
  BOOST_TEST(p.strides() == (Strides{1, 12, 4}));
  BOOST_TEST(!p.is_contiguous());
  BOOST_TEST((p.view<std::int64_t>()[{3, 1, 2}] == 12 * 1 + 4 * 2 + 3));
  const Tensor q = t.permute({-1, 0, -2});
  BOOST_TEST(q.strides() == (Strides{1, 12, 4}));

  const Tensor m = iota({2, 3});
  const Tensor mt = m.transpose(0, -1);
  BOOST_TEST(shares(mt, m));
  BOOST_TEST(mt.shape() == (Shape{3, 2}));
  BOOST_TEST(values<std::int64_t>(mt) == (I{0, 3, 1, 4, 2, 5}));
  BOOST_TEST(values<std::int64_t>(mt.transpose(1, 0)) == values<std::int64_t>(m));

  expect_error([&] { t.permute({0, 0, 1}); }, "repeated axis");
  expect_error([&] { t.permute({0, 1}); }, "permutation has 2 entries for a 3-d tensor");
  expect_error([&] { t.permute({0, 1, 3}); }, "axis 3 is out of range for 3-d input");
  expect_error([&] { m.transpose(0, 2); }, "out of range");
}

BOOST_AUTO_TEST_CASE(slice_follows_numpy) {
  const Tensor x = iota({10});
  struct Case {
    std::int64_t start, stop, step;
    I want;  // x[start:stop:step] in NumPy, for x = arange(10)
  };
  const std::vector<Case> cases = {
      {2, 8, 2, {2, 4, 6}},
      {0, -1, -3, {}},               // stop -1 → 9; walking down from 0 never reaches 9
      {-1, -3, 1, {}},               // 9:7 with a positive step is empty
      {-1, -3, -1, {9, 8}},          //
      {-1, -11, -3, {9, 6, 3, 0}},   // stop -11 → -1 (before the start): x[::-3]
      {-1, kMin, -3, {9, 6, 3, 0}},  // the same with an extreme stop
      {8, 1, -3, {8, 5, 2}},         //
      {-2, -100, -4, {8, 4, 0}},     //
      {100, 6, -1, {9, 8, 7}},       // start past the end clamps to 9 for a negative step
      {-100, 3, 1, {0, 1, 2}},       // start before the beginning clamps to 0
      {7, 100, 1, {7, 8, 9}},        //
      {5, 5, 1, {}},                 //
      {7, 2, 1, {}},                 //
      {0, 10, 4, {0, 4, 8}},         // ceil(10 / 4) = 3 elements
      {0, 10, kMax, {0}},            // huge steps: one element, no overflow
      {9, -100, kMin, {9}},          //
      {-1, kMin, kMin + 1, {9}},     //
  };
  for (const Case& c : cases) {
    BOOST_TEST_CONTEXT("x[" << c.start << ":" << c.stop << ":" << c.step << "]") {
      const Tensor s = x.slice(0, c.start, c.stop, c.step);
      BOOST_TEST(shares(s, x));
      BOOST_TEST(s.shape() == Shape{static_cast<std::int64_t>(c.want.size())});
      BOOST_TEST(s.numel() == static_cast<std::int64_t>(c.want.size()));
      BOOST_TEST(values<std::int64_t>(s) == c.want);
    }
  }
  // Offset and stride of a negative-step view: x[8:1:-3] starts at element 8, stride -3.
  const Tensor s = x.slice(0, 8, 1, -3);
  BOOST_TEST(s.raw() == x.raw() + 8 * 8);
  BOOST_TEST(s.strides() == Strides{-3});
  // Slices of slices compose: x[::-1][2:9:3] = [7, 4, 1].
  BOOST_TEST(values<std::int64_t>(x.slice(0, -1, kMin, -1).slice(0, 2, 9, 3)) == (I{7, 4, 1}));

  // Two dimensions: m[:, ::-2] for m = arange(12).reshape(3, 4) is [[3, 1], [7, 5], [11, 9]].
  const Tensor m = iota({3, 4});
  const Tensor mc = m.slice(1, -1, kMin, -2);
  BOOST_TEST(mc.shape() == (Shape{3, 2}));
  BOOST_TEST(mc.strides() == (Strides{4, -2}));
  BOOST_TEST(values<std::int64_t>(mc) == (I{3, 1, 7, 5, 11, 9}));
  BOOST_TEST(values<std::int64_t>(m.slice(-2, 1, 3, kMax)) == (I{4, 5, 6, 7}));

  expect_error([&] { x.slice(0, 0, 5, 0); }, "step must not be zero");
  expect_error([&] { x.slice(1, 0, 5); }, "axis 1 is out of range");
}

BOOST_AUTO_TEST_CASE(expand_and_broadcast_shapes) {
  const Tensor a = Tensor::from<float>({3, 1}, {1, 2, 3});
  const Tensor e = a.expand({2, 3, 4});
  BOOST_TEST(shares(e, a));
  BOOST_TEST(e.raw() == a.raw());
  BOOST_TEST(e.shape() == (Shape{2, 3, 4}));
  BOOST_TEST(e.strides() == (Strides{0, 1, 0}));
  BOOST_TEST(e.numel() == 24);
  BOOST_TEST((e.view<float>()[{1, 2, 3}] == 3.0f));
  BOOST_TEST((e.view<float>()[{0, 1, 0}] == 2.0f));
  BOOST_TEST(e.has_internal_overlap());
  BOOST_TEST(!e.is_contiguous());
  // Size 1 may broadcast to 0 (NumPy: broadcast_to(ones(1), (0,)) is fine).
  BOOST_TEST(Tensor::from<float>({1}, {1}).expand({0}).numel() == 0);

  BOOST_TEST(a.expand({3, 2}).strides() == (Strides{1, 0}));
  expect_error([&] { a.expand({2, 2}); }, "cannot broadcast dimension 0 of size 3 to 2");
  expect_error([&] { iota({2, 3}).expand({2, 4}); }, "cannot broadcast dimension 1 of size 3 to 4");
  expect_error([&] { a.expand({4, 1}); }, "cannot broadcast dimension 0 of size 3 to 4");
  expect_error([&] { a.expand({3}); }, "fewer dimensions");
  expect_error([&] { a.expand({-1, 3, 1}); }, "negative dimension");

  BOOST_TEST(vt::broadcast_shapes({{2, 1, 4}, {3, 1}}) == (Shape{2, 3, 4}));
  BOOST_TEST(vt::broadcast_shapes({{}, {5}}) == Shape{5});
  BOOST_TEST(vt::broadcast_shapes({{0}, {1}}) == Shape{0});
  BOOST_TEST(vt::broadcast_shapes({{1, 0}, {7, 1}}) == (Shape{7, 0}));
  BOOST_TEST(vt::broadcast_shapes({{2, 3}, {1, 3}, {3}}) == (Shape{2, 3}));
  expect_error(
      [] {
        vt::broadcast_shapes({{2, 3}, {3, 2}}, "add");
      },
      "add (2, 3), (3, 2): shapes cannot be broadcast together");
  expect_error([] { vt::broadcast_shapes({{0}, {2}}); }, "cannot be broadcast");
  expect_error([] { vt::broadcast_shapes({{2}, {-1}}); }, "negative dimension");
}

BOOST_AUTO_TEST_CASE(squeeze_and_unsqueeze) {
  const Tensor t = iota({2, 1, 3});
  const Tensor s = t.squeeze(1);
  BOOST_TEST(shares(s, t));
  BOOST_TEST(s.shape() == (Shape{2, 3}));
  BOOST_TEST(s.strides() == (Strides{3, 1}));
  BOOST_TEST(t.squeeze(-2).shape() == (Shape{2, 3}));
  BOOST_TEST(values<std::int64_t>(s) == values<std::int64_t>(t));
  expect_error([&] { t.squeeze(0); }, "cannot squeeze axis 0 of size 2");
  expect_error([&] { t.squeeze(3); }, "out of range");

  BOOST_TEST(t.unsqueeze(0).shape() == (Shape{1, 2, 1, 3}));
  BOOST_TEST(t.unsqueeze(-1).shape() == (Shape{2, 1, 3, 1}));
  BOOST_TEST(t.unsqueeze(3).shape() == (Shape{2, 1, 3, 1}));
  BOOST_TEST(t.unsqueeze(2).shape() == (Shape{2, 1, 1, 3}));
  BOOST_TEST(shares(t.unsqueeze(2), t));
  BOOST_TEST(t.unsqueeze(2).is_contiguous());
  BOOST_TEST(values<std::int64_t>(t.unsqueeze(2)) == values<std::int64_t>(t));
  expect_error([&] { t.unsqueeze(4); }, "out of range");
  expect_error([&] { t.unsqueeze(-5); }, "out of range");

  const Tensor z = Tensor::from<double>({}, {4.5});
  BOOST_TEST(z.unsqueeze(0).shape() == Shape{1});
  BOOST_TEST(z.unsqueeze(0).squeeze(0).shape() == Shape{});
  expect_error([&] { z.squeeze(0); }, "out of range");
}

BOOST_AUTO_TEST_CASE(contiguous_copies_only_when_needed) {
  const Tensor t = iota({3, 4});
  BOOST_TEST(t.contiguous().raw() == t.raw());
  BOOST_TEST(t.slice(0, 1, 3).contiguous().raw() == t.raw() + 4 * 8);  // rows: still contiguous
  // Size-1 axes may have any stride.
  BOOST_TEST(t.slice(0, 1, 2).is_contiguous());
  BOOST_TEST(t.slice(0, 1, 2).transpose(0, 1).is_contiguous());
  BOOST_TEST(!t.slice(1, 1, 2).is_contiguous());  // a column: (3, 1) with row stride 4

  const Tensor tt = t.transpose(0, 1);
  const Tensor c = tt.contiguous();
  BOOST_TEST(!shares(c, t));
  BOOST_TEST(c.is_contiguous());
  BOOST_TEST(c.strides() == (Strides{3, 1}));
  BOOST_TEST(values<std::int64_t>(c) == (I{0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11}));
  // The copy is independent of its source.
  c.data<std::int64_t>()[0] = 99;
  BOOST_TEST(t.data<std::int64_t>()[0] == 0);

  const Tensor neg = t.slice(1, -1, kMin, -1);  // columns reversed
  BOOST_TEST(!neg.is_contiguous());
  BOOST_TEST(values<std::int64_t>(neg.contiguous()) == (I{3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8}));
  const Tensor b = Tensor::from<float>({3}, {1, 2, 3}).expand({2, 3});
  const Tensor bc = b.contiguous();
  BOOST_TEST(!shares(bc, b));
  BOOST_TEST(values<float>(bc) == (std::vector<float>{1, 2, 3, 1, 2, 3}));
  BOOST_TEST(!bc.has_internal_overlap());
}

BOOST_AUTO_TEST_CASE(copy_from_handles_aliasing) {
  // x[1:] = x[:-1] in NumPy gives [0, 0, 1, 2, 3]: the source is read before it is overwritten.
  Tensor x = iota({5});
  Tensor dst = x.slice(0, 1, 5);
  dst.copy_from(x.slice(0, 0, 4));
  BOOST_TEST(values<std::int64_t>(x) == (I{0, 0, 1, 2, 3}));
  // Non-contiguous destination and broadcast source: m[:, ::2] = [10, 20].
  Tensor m = iota({2, 4});
  Tensor md = m.slice(1, 0, 4, 2);
  md.copy_from(Tensor::from<std::int64_t>({2}, {10, 20}));
  BOOST_TEST(values<std::int64_t>(m) == (I{10, 1, 20, 3, 10, 5, 20, 7}));
  expect_error([&] { md.copy_from(iota({3})); }, "cannot broadcast");
  // x[::-1] = x gives the reversed x: element-wise copying without first reading the whole
  // source would give [4, 3, 2, 3, 4].
  Tensor y = iota({5});
  Tensor rev = y.slice(0, -1, kMin, -1);
  rev.copy_from(y);
  BOOST_TEST(values<std::int64_t>(y) == (I{4, 3, 2, 1, 0}));
}

// ---- shape arithmetic ------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(size_arithmetic_refuses_to_overflow) {
  const std::int64_t big = std::int64_t{1} << 40;
  expect_error(
      [&] {
        vt::shape_numel({big, big});
      },
      "number of elements of (1099511627776, 1099511627776): size overflows int64");
  expect_error([&] { Tensor::empty({big, big}, DType::f32); }, "overflows int64");
  // 2^61 float64 elements: the count fits, the byte size (2^64) does not.
  expect_error([&] { Tensor::empty({std::int64_t{1} << 61}, DType::f64); },
               "bytes of (2305843009213693952,): size overflows int64");
  expect_error(
      [&] {
        vt::contiguous_strides({0, std::int64_t{1} << 62, std::int64_t{1} << 62});
      },
      "strides of");
  expect_error([&] { vt::shape_numel({3, -1}); }, "negative dimension -1");
  expect_error([&] { vt::checked_mul(kMax, 2, "m"); }, "m: size overflows int64");
  expect_error([&] { vt::checked_mul(-1, kMin, "m"); }, "overflows");
  expect_error([&] { vt::checked_add(kMax, 1, "a"); }, "a: size overflows int64");
  expect_error([&] { vt::checked_add(kMin, -1, "a"); }, "overflows");

  BOOST_TEST(vt::checked_mul(std::int64_t{1} << 31, std::int64_t{1} << 31, "m") == std::int64_t{1}
                                                                                       << 62);
  BOOST_TEST(vt::checked_mul(-(std::int64_t{1} << 31), std::int64_t{1} << 32, "m") == kMin);
  BOOST_TEST(vt::checked_add(kMax - 1, 1, "a") == kMax);
  BOOST_TEST(vt::shape_numel({}) == 1);
  BOOST_TEST(vt::shape_numel({3, 0, big}) == 0);
  BOOST_TEST(vt::shape_numel({big, 1 << 20}) == std::int64_t{1} << 60);
  BOOST_TEST(vt::contiguous_strides({2, 0, 3}) == (Strides{3, 3, 1}));
  BOOST_TEST(vt::contiguous_strides({}) == Strides{});

  // Linear in the rank: a 30000-axis shape (what a 90 kB .npy header can describe) used to take
  // seconds because the overflow message was built for every axis.
  const Shape wide(30000, 1);
  const auto t0 = std::chrono::steady_clock::now();
  BOOST_TEST(vt::shape_numel(wide) == 1);
  BOOST_TEST(vt::contiguous_strides(wide).size() == 30000u);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  BOOST_TEST(seconds < 1.0);
}

BOOST_AUTO_TEST_CASE(axes_are_normalised_and_checked) {
  BOOST_TEST(vt::normalize_axes({}, 3, "sum") == (I{0, 1, 2}));
  BOOST_TEST(vt::normalize_axes({-1, 0}, 3, "sum") == (I{0, 2}));
  BOOST_TEST(vt::normalize_axes({2, -3}, 3, "sum") == (I{0, 2}));
  BOOST_TEST(vt::normalize_axes({}, 0, "sum").empty());
  expect_error([] { vt::normalize_axes({3}, 3, "sum"); }, "sum: axis 3 is out of range for 3-d");
  expect_error([] { vt::normalize_axes({-4}, 3, "sum"); }, "axis -4 is out of range");
  expect_error([] { vt::normalize_axes({0, -3}, 3, "sum"); }, "sum: repeated axis");
  expect_error([] { vt::normalize_axes({0}, 0, "sum"); }, "out of range for 0-d");
  BOOST_TEST(vt::normalize_axis(-1, 2, "x") == 1);
  BOOST_TEST(vt::normalize_axis(1, 2, "x") == 1);
  // A 0-d tensor takes axis 0 or -1 in single-axis ops (PyTorch's rule, e.g. softmax) ...
  BOOST_TEST(vt::normalize_axis(0, 0, "x") == 0);
  BOOST_TEST(vt::normalize_axis(-1, 0, "x") == 0);
  expect_error([] { vt::normalize_axis(1, 0, "x"); }, "axis 1 is out of range for 0-d input");
  expect_error([] { vt::normalize_axis(-2, 0, "x"); }, "axis -2 is out of range for 0-d input");
  // ... but it has no dimension to index: views that address one must refuse.
  const Tensor z = Tensor::from<float>({}, {1});
  expect_error([&] { z.dim(0); }, "dim: axis 0 is out of range for 0-d input");
  expect_error([&] { z.squeeze(-1); }, "squeeze: axis -1 is out of range for 0-d input");
  expect_error([&] { z.slice(0, 0, 1); }, "slice: axis 0 is out of range for 0-d input");
  expect_error([&] { z.transpose(0, 0); }, "transpose: axis 0 is out of range for 0-d input");
  expect_error([] { vt::normalize_axis(-3, 2, "x"); }, "axis -3 is out of range");
  BOOST_TEST(vt::reduced_shape({2, 3, 4}, {0, 2}, false) == Shape{3});
  BOOST_TEST(vt::reduced_shape({2, 3, 4}, {0, 2}, true) == (Shape{1, 3, 1}));
}

BOOST_AUTO_TEST_CASE(for_each_index_order) {
  std::vector<I> seen;
  vt::for_each_index({2, 3}, [&](const I& idx) { seen.push_back(idx); });
  BOOST_TEST(seen.size() == 6u);
  BOOST_TEST(seen.front() == (I{0, 0}));
  BOOST_TEST(seen[1] == (I{0, 1}));
  BOOST_TEST(seen[3] == (I{1, 0}));
  BOOST_TEST(seen.back() == (I{1, 2}));
  int calls = 0;
  vt::for_each_index({}, [&](const I& idx) { calls += 1 + static_cast<int>(idx.size()); });
  BOOST_TEST(calls == 1);
  vt::for_each_index({3, 0, 2}, [&](const I&) { ++calls; });
  BOOST_TEST(calls == 1);
}

// ---- conversions -----------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(float64_to_float32_rounds_to_nearest_even) {
  using std::ldexp;
  const double tie_even = 1 + ldexp(1.0, -24);  // halfway between 1 and 1 + 2^-23
  const double above = 1 + ldexp(1.0, -24) + ldexp(1.0, -52);
  const double below = 1 + ldexp(1.0, -24) - ldexp(1.0, -52);
  const double tie_odd = 1 + 3 * ldexp(1.0, -24);         // between 1 + 2^-23 and 1 + 2^-22
  const double fmax = std::numeric_limits<float>::max();  // 2^128 - 2^104
  const double over_tie = fmax + ldexp(1.0, 103);         // halfway to 2^128: rounds to inf
  const double under_tie = fmax + ldexp(1.0, 103) - ldexp(1.0, 75);
  const double sub_tie = ldexp(1.0, -150);  // halfway between 0 and 2^-149
  const double sub_above = ldexp(1.0, -150) + ldexp(1.0, -200);
  const double sub_tie_odd = 3 * ldexp(1.0, -150);  // between 2^-149 and 2^-148
  const Tensor d =
      Tensor::from<double>({13}, {tie_even, above, below, tie_odd, -tie_even, -above, fmax,
                                  over_tie, under_tie, sub_tie, sub_above, sub_tie_odd, -0.0});
  const std::vector<float> f = values<float>(d.to(DType::f32));
  const float one = 1.0f;
  BOOST_TEST(f[0] == one);
  BOOST_TEST(f[1] == 1 + std::ldexp(1.0f, -23));
  BOOST_TEST(f[2] == one);
  BOOST_TEST(f[3] == 1 + std::ldexp(1.0f, -22));
  BOOST_TEST(f[4] == -one);
  BOOST_TEST(f[5] == -(1 + std::ldexp(1.0f, -23)));
  BOOST_TEST(f[6] == std::numeric_limits<float>::max());
  BOOST_TEST(f[7] == std::numeric_limits<float>::infinity());
  BOOST_TEST(f[8] == std::numeric_limits<float>::max());
  BOOST_TEST(f[9] == 0.0f);
  BOOST_TEST(f[10] == std::numeric_limits<float>::denorm_min());
  BOOST_TEST(f[11] == std::ldexp(1.0f, -148));
  BOOST_TEST((f[12] == 0.0f && std::signbit(f[12])));
  const Tensor n = Tensor::from<double>({1}, {std::numeric_limits<double>::quiet_NaN()});
  BOOST_TEST(std::isnan(first<float>(n.to(DType::f32))));
}

BOOST_AUTO_TEST_CASE(float128_rounds_correctly) {
  using boost::multiprecision::ldexp;
  const hp_t one = 1;
  const hp_t tie_even = one + ldexp(one, -53);     // halfway between 1 and 1 + 2^-52
  const hp_t above = tie_even + ldexp(one, -112);  // the next float128 above the tie
  const hp_t below = tie_even - ldexp(one, -112);
  const hp_t tie_odd = one + 3 * ldexp(one, -53);
  const hp_t sub_tie = ldexp(one, -1075);  // halfway between 0 and 2^-1074
  const hp_t sub_above = ldexp(one, -1075) + ldexp(one, -1100);
  const hp_t dmax = std::numeric_limits<double>::max();  // 2^1024 - 2^971
  const hp_t over_tie = dmax + ldexp(one, 970);
  const hp_t under_tie = over_tie - ldexp(one, 911);  // one float128 ulp below the tie
  // 1 + 2^-24 + 2^-60 is just above a float32 tie; rounding through float64 first would land
  // exactly on the tie (2^-60 is below float64's half-ulp) and then round down to 1: wrong.
  const hp_t double_rounding_trap = one + ldexp(one, -24) + ldexp(one, -60);
  const Tensor h = Tensor::from<hp_t>({10}, {tie_even, above, below, tie_odd, sub_tie, sub_above,
                                             dmax, over_tie, under_tie, double_rounding_trap});
  const std::vector<double> d = values<double>(h.to(DType::f64));
  BOOST_TEST(d[0] == 1.0);
  BOOST_TEST(d[1] == 1 + std::ldexp(1.0, -52));
  BOOST_TEST(d[2] == 1.0);
  BOOST_TEST(d[3] == 1 + std::ldexp(1.0, -51));
  BOOST_TEST(d[4] == 0.0);
  BOOST_TEST(d[5] == std::numeric_limits<double>::denorm_min());
  BOOST_TEST(d[6] == std::numeric_limits<double>::max());
  BOOST_TEST(d[7] == std::numeric_limits<double>::infinity());
  BOOST_TEST(d[8] == std::numeric_limits<double>::max());
  // 1 + 2^-24 + 2^-60 needs 61 bits; float64 rounds the 2^-60 away, leaving 1 + 2^-24.
  BOOST_TEST(d[9] == 1 + std::ldexp(1.0, -24));

  const std::vector<float> f = values<float>(h.to(DType::f32));
  BOOST_TEST(f[9] == 1 + std::ldexp(1.0f, -23));
  BOOST_TEST(f[0] == 1.0f);  // 1 + 2^-53 is far below float32's tie
  // store_hp rounds the same way.
  const Tensor out = Tensor::empty({1}, DType::f32);
  vt::store_hp(out, {0}, double_rounding_trap);
  BOOST_TEST(first<float>(out) == 1 + std::ldexp(1.0f, -23));
  // And widening is exact: float64 → float128 → float64 is the identity.
  const Tensor w = Tensor::from<double>({2}, {0.1, -std::ldexp(1.0, -1074)}).to(DType::hp);
  BOOST_TEST((vt::load_hp(w, {0}) == hp_t(0.1)));
  BOOST_TEST(values<double>(w.to(DType::f64)) ==
             (std::vector<double>{0.1, -std::ldexp(1.0, -1074)}));
}

BOOST_AUTO_TEST_CASE(float_to_int_rejects_non_integers) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  for (double bad : {2.5, -0.5, nan, inf, -inf, 2147483648.0, -2147483649.0}) {
    BOOST_TEST_CONTEXT(bad) {
      expect_error(
          [&] {
            Tensor::from<double>({2}, {1.0, bad}).to(DType::i32);
          },
          "cannot convert a non-integral or out-of-range value to int32");
    }
  }
  expect_error([&] { Tensor::from<float>({1}, {0x1p63f}).to(DType::i64); }, "int64");
  expect_error([&] { Tensor::from<double>({1}, {256.0}).to(DType::u8); }, "uint8");
  expect_error([&] { Tensor::from<double>({1}, {-1.0}).to(DType::u8); }, "uint8");
  expect_error([&] { Tensor::from<hp_t>({1}, {hp_t(1) / 3}).to(DType::i64); }, "non-integral");
  BOOST_TEST(
      values<std::int32_t>(
          Tensor::from<double>({4}, {3.0, -0.0, 2147483647.0, -2147483648.0}).to(DType::i32)) ==
      (std::vector<std::int32_t>{3, 0, 2147483647, -2147483647 - 1}));
  BOOST_TEST(first<std::int64_t>(Tensor::from<float>({1}, {-0x1p63f}).to(DType::i64)) == kMin);
  // Integer narrowing is range-checked too; int64 → float32 rounds to nearest even.
  expect_error([&] { Tensor::from<std::int64_t>({1}, {300}).to(DType::i8); },
               "integer value out of range for int8");
  expect_error([&] { Tensor::from<std::int64_t>({1}, {-1}).to(DType::u8); }, "out of range");
  BOOST_TEST(values<float>(
                 Tensor::from<std::int64_t>({2}, {(1 << 24) + 1, (1 << 24) + 3}).to(DType::f32)) ==
             (std::vector<float>{16777216.0f, 16777220.0f}));
  // To bool: nonzero (NaN included) is true, ±0 false — NumPy's astype(bool).
  BOOST_TEST(values<bool>(Tensor::from<double>({4}, {0.5, nan, -0.0, 0.0}).to(DType::boolean)) ==
             (std::vector<bool>{true, true, false, false}));
}

// ---- overlap ---------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(internal_overlap) {
  const Tensor t = iota({3, 4});
  BOOST_TEST(!t.has_internal_overlap());
  BOOST_TEST(!t.transpose(0, 1).has_internal_overlap());
  BOOST_TEST(!t.slice(1, -1, kMin, -2).has_internal_overlap());
  BOOST_TEST(!t.slice(0, 0, 3, 2).has_internal_overlap());
  BOOST_TEST(Tensor::from<float>({3}, {1, 2, 3}).expand({2, 3}).has_internal_overlap());
  BOOST_TEST(!Tensor::from<float>({1}, {1}).expand({1, 1}).has_internal_overlap());
  // Hand-built views of a 12-element buffer.
  const auto& storage = t.storage();
  // Sliding windows: (3, 3) with strides (1, 1) reads element 1 as [0, 1] and [1, 0].
  BOOST_TEST(Tensor::from_storage(storage, DType::i64, {3, 3}, {1, 1}, 0).has_internal_overlap());
  // Rows of 3 with a row stride of 2: [0, 2] and [1, 0] are both element 2.
  BOOST_TEST(Tensor::from_storage(storage, DType::i64, {2, 3}, {2, 1}, 0).has_internal_overlap());
  BOOST_TEST(!Tensor::from_storage(storage, DType::i64, {2, 3}, {3, 1}, 0).has_internal_overlap());
  BOOST_TEST(!Tensor::from_storage(storage, DType::i64, {2, 3}, {-6, 2}, 6).has_internal_overlap());
  // An empty tensor has no two elements, whatever its strides.
  BOOST_TEST(!Tensor::from<float>({1, 0}, {}).expand({2, 0}).has_internal_overlap());
  expect_error(
      [&] {
        Tensor::from_storage(storage, DType::i64, {2, 3}, {6, 1}, 4);
      },
      "outside its storage of 96 bytes");
  expect_error([&] { Tensor::from_storage(storage, DType::i64, {3}, {-1}, 1); },
               "outside its storage");
}

BOOST_AUTO_TEST_CASE(overlaps_between_tensors) {
  const Tensor x = iota({10});
  const Tensor lo = x.slice(0, 0, 5), hi = x.slice(0, 5, 10), mid = x.slice(0, 4, 6);
  BOOST_TEST(!lo.overlaps(hi));
  BOOST_TEST(!hi.overlaps(lo));
  BOOST_TEST(lo.overlaps(mid));
  BOOST_TEST(hi.overlaps(mid));
  BOOST_TEST(x.overlaps(x));
  BOOST_TEST(x.slice(0, -1, kMin, -1).overlaps(lo));  // reversed view of the same bytes
  BOOST_TEST(!x.overlaps(iota({10})));                // same values, other storage
  BOOST_TEST(!x.slice(0, 3, 3).overlaps(x));          // empty
  BOOST_TEST(!x.slice(0, 9, 10).overlaps(x.slice(0, 0, 9)));
  const auto [b0, b1] = x.slice(0, 8, 1, -3).byte_extent();  // elements 8, 5, 2
  BOOST_TEST(b0 == 2 * 8);
  BOOST_TEST(b1 == 9 * 8);
}

BOOST_AUTO_TEST_CASE(construction_checks) {
  expect_error([] { Tensor::from<float>({2, 2}, {1, 2, 3}); }, "3 values for 4 elements");
  const Tensor t = Tensor::from<float>({1}, {1});
  expect_error([&] { t.data<double>(); }, "tensor has dtype float32, accessed as float64");
  expect_error([] { Tensor().raw(); }, "undefined tensor");
  expect_error([&] { t.dim(1); }, "out of range");
  BOOST_TEST(iota({2, 5}).dim(-1) == 5);
  // Storage is 64-byte aligned and zero-filled.
  const Tensor z = Tensor::empty({3}, DType::f64);
  BOOST_TEST(reinterpret_cast<std::uintptr_t>(z.raw()) % 64 == 0u);
  BOOST_TEST(values<double>(z) == (std::vector<double>{0, 0, 0}));
}

BOOST_AUTO_TEST_SUITE_END()
