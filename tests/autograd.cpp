// tests/autograd.cpp — unit tests of the autograd engine (core/autograd.hpp).
// What it is: the engine's contract on small graphs whose gradients are derived by hand in the
// comments (small integers and dyadic values, so every op is exact and the comparison is
// bitwise), closed forms evaluated independently in float128, and one error-analysis bound for
// the optimized-vs-reference comparison on random data. No expected value is the engine's own
// output. What it is not: a check of individual VJPs (`veritensor verify --grad` does that).
#include "core/autograd.hpp"

#include <boost/multiprecision/float128.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace ag = vt::autograd;
using vt::DType;
using vt::hp_t;
using vt::Shape;
using vt::Tensor;

namespace {

const ag::Backend kRef = ag::reference_backend();
const ag::Backend kOpt = ag::optimized_backend();
const std::vector<ag::Backend> kBoth = {kRef, kOpt};

ag::Variable var(const Shape& s, const std::vector<double>& v, bool requires_grad = false,
                 DType dtype = DType::f64) {
  return ag::Variable(Tensor::from<double>(s, v).to(dtype), requires_grad);
}

/// The elements of a float tensor in row-major order, as double (exact for float32/float64).
std::vector<double> values(const Tensor& t) {
  BOOST_REQUIRE(t.defined());
  const Tensor d = t.to(DType::f64);
  return std::vector<double>(d.data<double>(), d.data<double>() + d.numel());
}

void check_equal(const Tensor& got, const std::vector<double>& expected, const std::string& what) {
  BOOST_TEST_CONTEXT(what) {
    const std::vector<double> g = values(got);
    BOOST_TEST(g == expected, boost::test_tools::per_element());
  }
}

std::string name(const ag::Backend& b) { return b.name; }

bool throws_with(const std::function<void()>& f, const std::string& needle) {
  try {
    f();
  } catch (const vt::Error& e) {
    return std::string(e.what()).find(needle) != std::string::npos;
  }
  return false;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(autograd)

// d/dx Σ x·x = 2x: the two grad_inputs of the one mul node both reach x and must be added.
BOOST_AUTO_TEST_CASE(reused_variable_accumulates) {
  for (const ag::Backend& be : kBoth) {
    ag::Variable x = var({3}, {1.5, -2, 3}, true);
    ag::sum(ag::mul(x, x, be), {}, false, be).backward();
    check_equal(x.grad(), {3, -4, 6}, name(be) + ": x·x");
    // Three uses across two nodes: d/dx Σ (x·x + x) = 2x + 1.
    ag::Variable y = var({3}, {1.5, -2, 3}, true);
    ag::sum(ag::add(ag::mul(y, y, be), y, be), {}, false, be).backward();
    check_equal(y.grad(), {4, -3, 7}, name(be) + ": x·x + x");
  }
}

// The accumulation function itself: adds, takes the first contribution, rounds once.
BOOST_AUTO_TEST_CASE(accumulate_grad_adds_and_rounds_once) {
  Tensor acc;
  ag::accumulate_grad(acc, Tensor::from<double>({2}, {1, 2}));
  ag::accumulate_grad(acc, Tensor::from<double>({2}, {10, 20}));
  check_equal(acc, {11, 22}, "f64 + f64");
  // float32 acc 1 plus float128 2⁻²⁴ + 2⁻⁶⁰: the exact sum is just above the midpoint between 1
  // and 1 + 2⁻²³, so the correctly rounded float32 result is 1 + 2⁻²³. Rounding through float64
  // first would lose the 2⁻⁶⁰, land on the midpoint and round to even: 1.
  Tensor a32 = Tensor::from<float>({1}, {1.0f});
  Tensor c = Tensor::empty({1}, DType::hp);
  vt::store_hp(c, {0}, hp_t(std::ldexp(1.0, -24)) + hp_t(std::ldexp(1.0, -60)));
  ag::accumulate_grad(a32, c);
  BOOST_TEST(a32.data<float>()[0] == 1.0f + std::ldexp(1.0f, -23));
}

// L = Σ_ij C_ij (X_ij + b_j): dX = C, db_j = Σ_i C_ij (the bias was broadcast over 3 rows).
BOOST_AUTO_TEST_CASE(broadcast_add_sums_bias_grad) {
  for (const ag::Backend& be : kBoth) {
    ag::Variable X = var({3, 2}, {1, 2, 3, 4, 5, 6}, true);
    ag::Variable b = var({2}, {0.5, -0.5}, true);
    ag::Variable C = var({3, 2}, {1, -2, 3, 0.25, -4, 8});
    ag::sum(ag::mul(ag::add(X, b, be), C, be), {}, false, be).backward();
    check_equal(X.grad(), {1, -2, 3, 0.25, -4, 8}, name(be) + ": dX");
    check_equal(b.grad(), {1 + 3 - 4, -2 + 0.25 + 8}, name(be) + ": db");
    BOOST_TEST(!C.grad().defined());
  }
}

// L = Σ tanh(x²): dL/dx = 2x(1 − tanh²(x²)). The reference computes in float128 and rounds the
// leaf's gradient once to float64 (≤ ½ ulp from the true value, its own float128 error being
// ~10⁻³³ relative); the closed form below, evaluated in float128, is within ~10⁻³³ of the true
// value too, so the two differ by at most ½ ulp(g) + tiny ≤ 2⁻⁵³·|g|·(1 + 2⁻⁵⁰).
BOOST_AUTO_TEST_CASE(chain_of_ops_matches_closed_form) {
  const std::vector<double> xs = {0.3, -1.1, 0.7, 2.0};
  ag::Variable x = var({4}, xs, true);
  ag::sum(ag::tanh(ag::mul(x, x, kRef), kRef), {}, false, kRef).backward();
  const std::vector<double> g = values(x.grad());
  for (std::size_t i = 0; i < xs.size(); ++i) {
    const hp_t xi = xs[i];
    const hp_t t = boost::multiprecision::tanh(xi * xi);
    const hp_t expected = 2 * xi * (1 - t * t);
    const hp_t err = boost::multiprecision::abs(hp_t(g[i]) - expected);
    BOOST_TEST_CONTEXT("x = " << xs[i]) {
      BOOST_TEST(double(err) <= std::ldexp(std::abs(g[i]), -53) * (1 + std::ldexp(1.0, -50)));
    }
  }
  // The same chain on the optimized backend, with relu in place of tanh so it is exact:
  // L = Σ relu(x² − 1): dL/dx = 2x where x² > 1, else 0 → (0, −2.2, 0, 4).
  ag::Variable y = var({4}, xs, true);
  ag::Variable one = var({}, {1.0});
  ag::sum(ag::relu(ag::sub(ag::mul(y, y, kOpt), one, kOpt), kOpt), {}, false, kOpt).backward();
  check_equal(y.grad(), {0, 2 * -1.1, 0, 4}, "relu(x² − 1)");
}

// Diamond through a non-leaf: h = x², a = h + x, b = 3h, L = Σ a·b = Σ 3x⁴ + 3x³,
// dL/dx = 12x³ + 9x². h feeds two nodes, so its pending gradient must be accumulated too.
BOOST_AUTO_TEST_CASE(diamond_graph) {
  for (const ag::Backend& be : kBoth) {
    ag::Variable x = var({3}, {1, -2, 0.5}, true);
    ag::Variable three = var({}, {3.0});
    ag::Variable h = ag::mul(x, x, be);
    ag::Variable a = ag::add(h, x, be);
    ag::Variable b = ag::mul(h, three, be);
    ag::sum(ag::mul(a, b, be), {}, false, be).backward();
    // x = 1: 12 + 9 = 21; x = −2: −96 + 36 = −60; x = ½: 1.5 + 2.25 = 3.75.
    check_equal(x.grad(), {21, -60, 3.75}, name(be));
    BOOST_TEST(!h.is_leaf());
    BOOST_TEST(!h.grad().defined());  // only leaves keep a gradient
  }
}

// y = x ⊙ c with an explicit output gradient G: dx = G ⊙ c.
BOOST_AUTO_TEST_CASE(backward_with_given_output_gradient) {
  for (const ag::Backend& be : kBoth) {
    ag::Variable x = var({2, 2}, {1, 2, 3, 4}, true);
    ag::Variable c = var({2, 2}, {-1, 0.5, 2, 3});
    ag::Variable y = ag::mul(x, c, be);
    const Tensor G = Tensor::from<double>({2, 2}, {10, 20, -1, 0.25});
    y.backward(G);
    check_equal(x.grad(), {-10, 10, -2, 0.75}, name(be));
    check_equal(G, {10, 20, -1, 0.25}, name(be) + ": G unchanged");
    // A non-scalar without a gradient, and a gradient of the wrong shape, are errors.
    ag::Variable z = ag::mul(x, c, be);
    BOOST_TEST(throws_with([&] { z.backward(); }, "one-element"));
    BOOST_TEST(throws_with([&] { z.backward(Tensor::from<double>({2}, {1, 1})); }, "shape"));
  }
}

// Gradients accumulate over passes until zero_grad: 2x, then 4x, then 0, then 2x.
BOOST_AUTO_TEST_CASE(zero_grad_resets_accumulation) {
  ag::Variable x = var({2}, {1, -3}, true);
  auto pass = [&] { ag::sum(ag::mul(x, x)).backward(); };
  pass();
  check_equal(x.grad(), {2, -6}, "one pass");
  pass();
  check_equal(x.grad(), {4, -12}, "two passes");
  x.zero_grad();
  check_equal(x.grad(), {0, 0}, "zeroed");
  pass();
  check_equal(x.grad(), {2, -6}, "after zero_grad");
  ag::zero_grad({x});
  check_equal(x.grad(), {0, 0}, "free zero_grad");
}

BOOST_AUTO_TEST_CASE(no_grad_records_nothing) {
  ag::Variable x = var({2}, {1, 2}, true);
  BOOST_TEST(ag::grad_enabled());
  {
    ag::NoGradGuard outer;
    BOOST_TEST(!ag::grad_enabled());
    {
      ag::NoGradGuard inner;
      BOOST_TEST(!ag::grad_enabled());
    }
    BOOST_TEST(!ag::grad_enabled());  // the inner guard restores "off", not "on"
    ag::Variable y = ag::sum(ag::mul(x, x));
    BOOST_TEST(!y.requires_grad());
    BOOST_TEST(y.is_leaf());
    check_equal(y.value(), {5}, "the forward still runs");
    BOOST_TEST(throws_with([&] { y.backward(); }, "does not require grad"));
  }
  BOOST_TEST(ag::grad_enabled());
  BOOST_TEST(!x.grad().defined());
}

// L = Σ detach(x)·x: only the second factor carries a gradient, dL/dx = x (not 2x).
BOOST_AUTO_TEST_CASE(detach_stops_gradients) {
  ag::Variable x = var({3}, {2, -1, 0.5}, true);
  ag::Variable d = x.detach();
  BOOST_TEST(!d.requires_grad());
  BOOST_TEST(d.is_leaf());
  BOOST_TEST(d.value().raw() == x.value().raw());  // shares storage, no copy
  ag::sum(ag::mul(d, x)).backward();
  check_equal(x.grad(), {2, -1, 0.5}, "d/dx Σ detach(x)·x");
  BOOST_TEST(!d.grad().defined());
}

BOOST_AUTO_TEST_CASE(retain_graph) {
  for (const ag::Backend& be : kBoth) {
    ag::Variable x = var({2}, {3, -1}, true);
    ag::Variable L = ag::sum(ag::mul(x, x, be), {}, false, be);
    L.backward();
    check_equal(x.grad(), {6, -2}, name(be) + ": first pass");
    BOOST_TEST(throws_with([&] { L.backward(); },
                           "graph already freed: call backward(retain_graph=true) the first time"));
    check_equal(x.grad(), {6, -2}, name(be) + ": a failed pass changes nothing");

    ag::Variable y = var({2}, {3, -1}, true);
    ag::Variable M = ag::sum(ag::mul(y, y, be), {}, false, be);
    M.backward(Tensor(), true);
    M.backward(Tensor(), true);
    check_equal(y.grad(), {12, -4}, name(be) + ": retained twice → 2·2x");
    M.backward();  // frees it
    check_equal(y.grad(), {18, -6}, name(be) + ": third pass");
    BOOST_TEST(throws_with([&] { M.backward(); }, "graph already freed"));
  }
}

// A shared subgraph freed by one root is reported when another root reaches it.
BOOST_AUTO_TEST_CASE(shared_subgraph_freed_by_another_root) {
  ag::Variable x = var({2}, {1, 2}, true);
  ag::Variable h = ag::mul(x, x);
  ag::Variable L1 = ag::sum(h);
  ag::Variable L2 = ag::sum(ag::add(h, x));
  L1.backward();
  BOOST_TEST(throws_with([&] { L2.backward(); }, "graph already freed"));
  check_equal(x.grad(), {2, 4}, "only the first pass counted");
}

// L = Σ x·c + Σ y: c does not require grad and gets none; y gets ones; a graph built only from
// variables that need no gradient records nothing.
BOOST_AUTO_TEST_CASE(requires_grad_false_inputs_get_no_grad) {
  for (const ag::Backend& be : kBoth) {
    ag::Variable x = var({2}, {1, 2}, true);
    ag::Variable c = var({2}, {5, 7});
    ag::Variable y = var({2}, {9, 9}, true);
    ag::Variable L =
        ag::add(ag::sum(ag::mul(x, c, be), {}, false, be), ag::sum(y, {}, false, be), be);
    L.backward();
    check_equal(x.grad(), {5, 7}, name(be) + ": dx = c");
    check_equal(y.grad(), {1, 1}, name(be) + ": dy = 1");
    BOOST_TEST(!c.grad().defined());
    ag::Variable k = ag::mul(c, c, be);
    BOOST_TEST(!k.requires_grad());
    BOOST_TEST(k.is_leaf());
  }
  ag::Variable i(Tensor::from<std::int64_t>({2}, {1, 2}));
  BOOST_TEST(throws_with([&] { i.set_requires_grad(true); }, "only float variables"));
}

// The version counter: assign() after a value was saved makes backward refuse, before any VJP.
BOOST_AUTO_TEST_CASE(assign_after_use_is_detected) {
  ag::Variable x = var({2}, {1, 2}, true);
  ag::Variable L = ag::sum(ag::mul(x, x));
  BOOST_TEST(x.version() == 0u);
  {
    ag::NoGradGuard ng;  // an optimizer-style update
    x.assign(Tensor::from<double>({2}, {10, 20}));
  }
  BOOST_TEST(x.version() == 1u);
  BOOST_TEST(throws_with([&] { L.backward(); }, "modified by assign()"));
  BOOST_TEST(!x.grad().defined());
  // A forward recorded after the assignment differentiates at the new value: 2·(10, 20).
  ag::sum(ag::mul(x, x)).backward();
  check_equal(x.grad(), {20, 40}, "after re-recording");
  // Assigning through a detach() shares the counter; assigning a computed output is seen by the
  // node that saved it.
  ag::Variable y = var({2}, {1, 2}, true);
  ag::Variable h = ag::exp(y);
  ag::Variable M = ag::sum(h);
  y.detach().assign(Tensor::from<double>({2}, {0, 0}));
  BOOST_TEST(throws_with([&] { M.backward(); }, "modified by assign()"));
  ag::Variable z = var({2}, {1, 2}, true);
  ag::Variable hz = ag::exp(z);
  ag::Variable N = ag::sum(hz);
  hz.assign(Tensor::from<double>({2}, {0, 0}));
  BOOST_TEST(throws_with([&] { N.backward(); }, "modified by assign()"));
}

BOOST_AUTO_TEST_CASE(dtypes_of_values_and_grads) {
  ag::Variable x = var({2}, {1, 2}, true, DType::f32);
  ag::Variable r = ag::mul(x, x, kRef);
  BOOST_TEST((r.dtype() == DType::hp));  // the reference computes in float128
  ag::Variable o = ag::mul(x, x, kOpt);
  BOOST_TEST((o.dtype() == DType::f32));
  ag::sum(ag::add(r, ag::mul(x, x, kOpt), kRef), {}, false, kRef).backward();
  BOOST_TEST((x.grad().dtype() == DType::f32));  // grads have the variable's dtype
  check_equal(x.grad(), {4, 8}, "two paths, mixed backends: 2·2x");
  ag::Variable d = var({2}, {1, 2}, false, DType::f64);
  BOOST_TEST(throws_with([&] { ag::mul(x, d, kOpt); }, "different dtypes"));
}

// A small MLP, L = Σ_nj C_nj·(relu(X·W1 + b1)·W2 + b2)_nj, with small-integer X, W1, W2, C and
// half-integer b1 (so no pre-activation is 0, the relu kink): every value and gradient is a
// dyadic rational of a few bits, exact in float32 and float64 and on both backends. Gradients by
// hand (Z = X·W1 + b1, H = relu(Z), M = (Z > 0)):
//   dW2 = Hᵀ·C, db2_j = Σ_n C_nj, dH = C·W2ᵀ, dZ = dH ⊙ M, db1_k = Σ_n dZ_nk,
//   dW1 = Xᵀ·dZ, dX = dZ·W1ᵀ — evaluated below with plain loops.
BOOST_AUTO_TEST_CASE(mlp_both_backends_exact) {
  const int N = 4, K = 3, Hn = 5, J = 2;
  const std::vector<double> X = {1, -2, 3, 0, 2, -1, -3, 1, 1, 2, 2, -2};
  const std::vector<double> W1 = {1, -1, 2, 0, 3, -2, 1, 1, -1, 2, 0, 3, -3, 2, 1};
  const std::vector<double> b1 = {0.5, -0.5, 1.5, -1.5, 0.5};
  const std::vector<double> W2 = {1, -2, 2, 1, -1, 3, 0, -1, 2, 2};
  const std::vector<double> b2 = {0.25, -1};
  const std::vector<double> C = {1, 2, -1, 3, 2, -2, 0.5, 1};
  std::vector<double> Z(N * Hn), H(N * Hn), M(N * Hn);
  for (int n = 0; n < N; ++n)
    for (int k = 0; k < Hn; ++k) {
      double z = b1[k];
      for (int i = 0; i < K; ++i) z += X[n * K + i] * W1[i * Hn + k];
      Z[n * Hn + k] = z;
      M[n * Hn + k] = z > 0;
      H[n * Hn + k] = z > 0 ? z : 0;
      BOOST_REQUIRE(z != 0);
    }
  std::vector<double> dW2(Hn * J, 0), db2(J, 0), dZ(N * Hn, 0), db1(Hn, 0), dW1(K * Hn, 0),
      dX(N * K, 0);
  for (int n = 0; n < N; ++n)
    for (int j = 0; j < J; ++j) {
      db2[j] += C[n * J + j];
      for (int k = 0; k < Hn; ++k) dW2[k * J + j] += H[n * Hn + k] * C[n * J + j];
    }
  for (int n = 0; n < N; ++n)
    for (int k = 0; k < Hn; ++k) {
      double dh = 0;
      for (int j = 0; j < J; ++j) dh += C[n * J + j] * W2[k * J + j];
      dZ[n * Hn + k] = dh * M[n * Hn + k];
      db1[k] += dZ[n * Hn + k];
    }
  for (int i = 0; i < K; ++i)
    for (int k = 0; k < Hn; ++k)
      for (int n = 0; n < N; ++n) dW1[i * Hn + k] += X[n * K + i] * dZ[n * Hn + k];
  for (int n = 0; n < N; ++n)
    for (int i = 0; i < K; ++i)
      for (int k = 0; k < Hn; ++k) dX[n * K + i] += dZ[n * Hn + k] * W1[i * Hn + k];

  for (DType dt : {DType::f32, DType::f64})
    for (const ag::Backend& be : kBoth) {
      const std::string what = name(be) + " " + std::string(vt::dtype_name(dt));
      ag::Variable vX = var({N, K}, X, true, dt), vW1 = var({K, Hn}, W1, true, dt),
                   vb1 = var({Hn}, b1, true, dt), vW2 = var({Hn, J}, W2, true, dt),
                   vb2 = var({J}, b2, true, dt), vC = var({N, J}, C, false, dt);
      ag::Variable h = ag::relu(ag::add(ag::matmul(vX, vW1, be), vb1, be), be);
      ag::Variable out = ag::add(ag::matmul(h, vW2, be), vb2, be);
      ag::sum(ag::mul(out, vC, be), {}, false, be).backward();
      check_equal(vX.grad(), dX, what + ": dX");
      check_equal(vW1.grad(), dW1, what + ": dW1");
      check_equal(vb1.grad(), db1, what + ": db1");
      check_equal(vW2.grad(), dW2, what + ": dW2");
      check_equal(vb2.grad(), db2, what + ": db2");
    }
}

// The same MLP (with C = 1, L = Σ out) on random float64 data: the optimized gradients against
// the reference's (float128, rounded once to float64), under a bound from error analysis.
// u = 2⁻⁵³, γ_m = m·u/(1 − m·u); every γ bound below holds for any summation order (BLAS
// blocking, chunked sums). With A = |X|·|W1| + |b1| (N×H) and S_k = Σ_j |W2_kj|:
//   forward  |Ẑ − Z| ≤ γ_{K+1}·A (K products + the bias add); the test requires |Ẑ| > 2γ_{K+1}A
//            so both backends see the same relu mask; then |Ĥ − H| ≤ γ_{K+1}·A.
//   db2 = N (exact on both); dH_nk = Σ_j W2_kj: |err| ≤ γ_J·S_k; dZ = dH ⊙ M, no new error.
//   dW2_kj = Σ_n Ĥ_nk:          ≤ γ_N·Σ|Ĥ| + Σ|ΔH| ≤ (γ_N(1 + γ_{K+1}) + γ_{K+1})·Σ_n A_nk
//   db1_k  = Σ_n dẐ_nk:          ≤ (γ_N(1 + γ_J) + γ_J)·N·S_k
//   dW1_ik = Σ_n X_ni dẐ_nk:     ≤ (γ_N(1 + γ_J) + γ_J)·(Σ_n |X_ni|)·S_k
//   dX_ni  = Σ_k dẐ_nk W1_ik:    ≤ (γ_H(1 + γ_J) + γ_J)·Σ_k S_k |W1_ik|
// plus ½ ulp for the reference's final rounding, ≤ u·(the same magnitude). Since
// γ_a(1 + γ_b) + γ_b + u ≤ γ_{a+b+1}, the coefficients are γ_{N+K+2}, γ_{N+J+1} and γ_{H+J+1}.
BOOST_AUTO_TEST_CASE(mlp_optimized_vs_reference_random) {
  const int N = 7, K = 6, Hn = 5, J = 3;
  std::mt19937_64 rng(20261126);
  std::uniform_real_distribution<double> uni(-1, 1);
  auto draw = [&](int n) {
    std::vector<double> v(n);
    for (double& e : v) e = uni(rng);
    return v;
  };
  const std::vector<double> X = draw(N * K), W1 = draw(K * Hn), b1 = draw(Hn), W2 = draw(Hn * J),
                            b2 = draw(J);
  const double u = std::ldexp(1.0, -53);
  auto gamma = [u](int m) { return m * u / (1 - m * u); };

  std::vector<std::vector<Tensor>> grads;
  std::vector<double> Zhat;
  for (const ag::Backend& be : kBoth) {
    ag::Variable vX = var({N, K}, X, true), vW1 = var({K, Hn}, W1, true), vb1 = var({Hn}, b1, true),
                 vW2 = var({Hn, J}, W2, true), vb2 = var({J}, b2, true);
    ag::Variable z = ag::add(ag::matmul(vX, vW1, be), vb1, be);
    if (be.name == kOpt.name) Zhat = values(z.value());
    ag::Variable out = ag::add(ag::matmul(ag::relu(z, be), vW2, be), vb2, be);
    ag::sum(out, {}, false, be).backward();
    grads.push_back({vX.grad(), vW1.grad(), vb1.grad(), vW2.grad(), vb2.grad()});
  }
  std::vector<double> A(N * Hn, 0), S(Hn, 0), colX(K, 0);
  for (int n = 0; n < N; ++n)
    for (int k = 0; k < Hn; ++k) {
      double a = std::abs(b1[k]);
      for (int i = 0; i < K; ++i) a += std::abs(X[n * K + i]) * std::abs(W1[i * Hn + k]);
      A[n * Hn + k] = a;
      BOOST_REQUIRE_MESSAGE(std::abs(Zhat[n * Hn + k]) > 2 * gamma(K + 1) * a,
                            "test data: a pre-activation is within rounding of the relu kink");
    }
  for (int k = 0; k < Hn; ++k)
    for (int j = 0; j < J; ++j) S[k] += std::abs(W2[k * J + j]);
  for (int i = 0; i < K; ++i)
    for (int n = 0; n < N; ++n) colX[i] += std::abs(X[n * K + i]);

  std::vector<double> bX(N * K, 0), bW1(K * Hn), bb1(Hn), bW2(Hn * J), bb2(J, 0);
  for (int n = 0; n < N; ++n)
    for (int i = 0; i < K; ++i)
      for (int k = 0; k < Hn; ++k)
        bX[n * K + i] += gamma(Hn + J + 1) * S[k] * std::abs(W1[i * Hn + k]);
  for (int i = 0; i < K; ++i)
    for (int k = 0; k < Hn; ++k) bW1[i * Hn + k] = gamma(N + J + 1) * colX[i] * S[k];
  for (int k = 0; k < Hn; ++k) bb1[k] = gamma(N + J + 1) * N * S[k];
  for (int k = 0; k < Hn; ++k) {
    double colA = 0;
    for (int n = 0; n < N; ++n) colA += A[n * Hn + k];
    for (int j = 0; j < J; ++j) bW2[k * J + j] = gamma(N + K + 2) * colA;
  }
  const std::vector<std::vector<double>> bounds = {bX, bW1, bb1, bW2, bb2};
  const char* names[] = {"dX", "dW1", "db1", "dW2", "db2"};
  for (std::size_t p = 0; p < bounds.size(); ++p) {
    const std::vector<double> ref = values(grads[0][p]), opt = values(grads[1][p]);
    bool nonzero = false;
    double worst = 0;  // largest error / bound, shown with --log_level=message
    for (std::size_t e = 0; e < ref.size(); ++e) {
      nonzero = nonzero || ref[e] != 0;
      if (bounds[p][e] > 0) worst = std::max(worst, std::abs(opt[e] - ref[e]) / bounds[p][e]);
      BOOST_TEST_CONTEXT(names[p] << "[" << e << "] ref " << ref[e] << " opt " << opt[e]) {
        BOOST_TEST(std::abs(opt[e] - ref[e]) <= bounds[p][e]);
      }
    }
    BOOST_TEST(nonzero, names[p] << " is all zeros: vacuous test data");
    BOOST_TEST_MESSAGE(names[p] << ": worst error / bound = " << worst);
  }
}

// ---- grad() and second order (create_graph) ------------------------------------------------

// grad() returns d out/d inputs without touching leaves' grad(); an unreached input gives an
// undefined Variable. f = Σ a·b: df/da = b, df/db = a (small integers: exact).
BOOST_AUTO_TEST_CASE(grad_returns_gradients_and_leaves_grad_untouched) {
  for (const ag::Backend& be : kBoth) {
    ag::Variable a = var({3}, {1, -2, 3}, true), b = var({3}, {4, 5, -6}, true);
    ag::Variable c = var({3}, {7, 7, 7}, true);  // not used by f
    ag::Variable f = ag::sum(ag::mul(a, b, be), {}, false, be);
    std::vector<ag::Variable> g = ag::grad(f, {a, b, c});
    check_equal(g[0].value(), {4, 5, -6}, "df/da " + name(be));
    check_equal(g[1].value(), {1, -2, 3}, "df/db " + name(be));
    BOOST_TEST(!g[2].defined());
    BOOST_TEST(!a.grad().defined());
    BOOST_TEST(!g[0].requires_grad());  // no create_graph: plain values
  }
}

// f = Σ x²·y. With create_graph, gx = 2xy is itself a graph (the mul VJPs and their sum);
// then d/dx Σ gx·w = 2yw and d/dy Σ gx·w = 2xw. Small integers: every op is exact.
BOOST_AUTO_TEST_CASE(second_order_through_mul_and_reuse) {
  for (const ag::Backend& be : kBoth) {
    ag::Variable x = var({4}, {1, -2, 3, 0.5}, true), y = var({4}, {3, 1, -1, 4}, true);
    ag::Variable w = var({4}, {1, 2, -3, 4});
    ag::Variable f = ag::sum(ag::mul(ag::mul(x, x, be), y, be), {}, false, be);
    std::vector<ag::Variable> g = ag::grad(f, {x, y}, Tensor(), /*create_graph=*/true);
    BOOST_TEST(g[0].requires_grad());
    check_equal(g[0].value(), {6, -4, -6, 4}, "gx = 2xy " + name(be));
    check_equal(g[1].value(), {1, 4, 9, 0.25}, "gy = x² " + name(be));
    ag::Variable s = ag::sum(ag::mul(g[0], w, be), {}, false, be);
    std::vector<ag::Variable> h = ag::grad(s, {x, y});
    check_equal(h[0].value(), {6, 4, 6, 32}, "d/dx Σ gx·w = 2yw " + name(be));
    check_equal(h[1].value(), {2, -8, -18, 4}, "d/dy Σ gx·w = 2xw " + name(be));
  }
}

// L = Σ (A·B) ⊙ C: gA = C·Bᵀ. d/dB Σ gA ⊙ W = Wᵀ·C, d/dC Σ gA ⊙ W = W·B — through matmul's
// double backward. Derivation: ⟨W, C Bᵀ⟩ = Σ W_ik C_ij B_kj. Small integers: exact.
BOOST_AUTO_TEST_CASE(second_order_through_matmul) {
  const std::vector<double> A = {1, 2, -1, 0, 3, 1}, B = {2, -1, 0, 1, 1, 3}, C = {1, -2, 2, 1},
                            W = {1, 0, 2, -1, 1, 1};
  // (2×3)·(3×2) = 2×2; C 2×2; W 2×3.
  std::vector<double> WtC(6, 0), WB(4, 0);
  for (int k = 0; k < 3; ++k)
    for (int j = 0; j < 2; ++j)
      for (int i = 0; i < 2; ++i) WtC[k * 2 + j] += W[i * 3 + k] * C[i * 2 + j];
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 2; ++j)
      for (int k = 0; k < 3; ++k) WB[i * 2 + j] += W[i * 3 + k] * B[k * 2 + j];
  for (const ag::Backend& be : kBoth) {
    ag::Variable a = var({2, 3}, A, true), b = var({3, 2}, B, true), c = var({2, 2}, C, true);
    ag::Variable L = ag::sum(ag::mul(ag::matmul(a, b, be), c, be), {}, false, be);
    ag::Variable gA = ag::grad(L, {a}, Tensor(), true)[0];
    ag::Variable s = ag::sum(ag::mul(gA, var({2, 3}, W), be), {}, false, be);
    std::vector<ag::Variable> h = ag::grad(s, {a, b, c});
    check_equal(h[0].value(), std::vector<double>(6, 0.0), "gA = C·Bᵀ does not depend on A");
    check_equal(h[1].value(), WtC, "d/dB = Wᵀ·C " + name(be));
    check_equal(h[2].value(), WB, "d/dC = W·B " + name(be));
  }
}

// f = Σ tanh(x): the Hessian is diagonal, f''(x) = −2·tanh(x)·(1 − tanh²(x)); checked in
// float128 against that closed form (reference backend, relative 1e-30: a handful of binary128
// roundings, ε = 1.9e-34).
BOOST_AUTO_TEST_CASE(hessian_vector_product_of_tanh_closed_form) {
  const std::vector<double> X = {-1.5, -0.25, 0.5, 2}, Wv = {1, -2, 0.5, 3};
  ag::Variable x = var({4}, X, true);
  ag::Variable f = ag::sum(ag::tanh(x, kRef), {}, false, kRef);
  ag::Variable g = ag::grad(f, {x}, Tensor(), true)[0];
  ag::Variable hv = ag::grad(ag::sum(ag::mul(g, var({4}, Wv), kRef), {}, false, kRef), {x})[0];
  for (std::size_t i = 0; i < X.size(); ++i) {
    const hp_t t = boost::multiprecision::tanh(hp_t(X[i]));
    const hp_t expected = -2 * t * (1 - t * t) * hp_t(Wv[i]);
    const hp_t got = vt::load_hp(hv.value(), {static_cast<std::int64_t>(i)});
    BOOST_TEST(static_cast<double>(boost::multiprecision::abs(got - expected)) <=
               1e-30 * static_cast<double>(boost::multiprecision::abs(expected)));
  }
}

// The clear errors: an op without a double backward, and a third order.
BOOST_AUTO_TEST_CASE(second_order_errors_are_clear) {
  ag::Variable x = var({3}, {1, 2, 3}, true);
  ag::Variable f = ag::sum(ag::softmax(x), {}, false);
  ag::Variable g = ag::grad(f, {x}, Tensor(), true)[0];
  BOOST_TEST(throws_with([&] { ag::grad(ag::sum(g), {x}); }, "no second-order VJP"));
  ag::Variable f2 = ag::sum(ag::mul(ag::mul(x, x), x));
  ag::Variable g2 = ag::grad(f2, {x}, Tensor(), true)[0];
  BOOST_TEST(throws_with([&] { ag::grad(ag::sum(g2), {x}, Tensor(), true); }, "third-order"));
}

// pow's VJP for a negative base and an even exponent too large for b − 1 to be exact in the
// compute type: ∂(a^b)/∂a = b·a^(b−1) with b − 1 odd, so at a = −1 it is −b, whatever b − 1
// rounds to. Found by `veritensor fuzz` (pow/vjp_agrees_with_reference): the float128 reference
// computed pow(−1, b − 1) with b − 1 rounded back to the even b, i.e. +b. Expected values: −b·g
// by the formula (b and g exact, the product exact: g = 1/2).
BOOST_AUTO_TEST_CASE(pow_vjp_negative_base_huge_even_exponent) {
  const double huge[] = {std::numeric_limits<double>::max(), 0x1p60, 0x1p120};
  for (const double b_value : huge)
    for (const ag::Backend& be : kBoth)
      for (DType dt : {DType::f64, DType::f32}) {
        if (dt == DType::f32 && b_value > 0x1p127) continue;
        ag::Variable a = var({}, {-1.0}, true, dt);
        ag::Variable b = var({}, {b_value}, false, dt);
        ag::Variable y = ag::apply("pow", {a, b}, {}, {{Shape{}, std::nullopt}}, be).at(0);
        y.backward(Tensor::from<double>({}, {0.5}).to(dt));
        check_equal(
            a.grad(), {-0.5 * b_value},
            name(be) + " " + std::string(vt::dtype_name(dt)) + " b = " + std::to_string(b_value));
      }
}

BOOST_AUTO_TEST_SUITE_END()
