// verify/harness/bounds.cpp — shared pieces of the sum-bound analyses (derivations in
// bounds.hpp). What it is not: any op's bound (those live beside each spec in verify/ops/).
#include "verify/harness/bounds.hpp"

#include <limits>

namespace vt::verify {

namespace bmp = boost::multiprecision;

Precision reference_precision() {
  return {bmp::ldexp(hp_t(1), -113), std::numeric_limits<hp_t>::denorm_min(), 113};
}

std::vector<std::int64_t> reduction_axes(const Attrs& attrs, std::int64_t ndim,
                                         const std::string& op) {
  return normalize_axes(attrs.get_ints("axis"), ndim, op);
}

std::int64_t reduced_count(const Shape& in, const std::vector<std::int64_t>& axes) {
  std::int64_t n = 1;
  for (std::int64_t a : axes) n *= in[static_cast<std::size_t>(a)];
  return n;
}

void for_each_reduced_row(const Tensor& x, const std::vector<std::int64_t>& axes, const RowFn& f) {
  Shape outer = x.shape(), inner(x.shape().size(), 1);
  for (std::int64_t a : axes) {
    outer[static_cast<std::size_t>(a)] = 1;
    inner[static_cast<std::size_t>(a)] = x.shape()[static_cast<std::size_t>(a)];
  }
  std::vector<hp_t> row;
  for_each_index(outer, [&](const std::vector<std::int64_t>& o) {
    row.clear();
    std::vector<std::int64_t> idx = o;
    for_each_index(inner, [&](const std::vector<std::int64_t>& r) {
      for (std::size_t k = 0; k < idx.size(); ++k) idx[k] = o[k] + r[k];
      row.push_back(load_hp(x, idx));
    });
    f(o, row);
  });
}

void for_each_row_along(const Tensor& x, std::int64_t axis, const RowFn& f) {
  if (x.ndim() == 0) {
    f({}, {load_hp(x, {})});
    return;
  }
  const std::size_t a = static_cast<std::size_t>(axis);
  Shape outer = x.shape();
  const std::int64_t len = outer[a];
  outer[a] = 1;
  std::vector<hp_t> row;
  for_each_index(outer, [&](const std::vector<std::int64_t>& o) {
    row.clear();
    std::vector<std::int64_t> idx = o;
    for (std::int64_t k = 0; k < len; ++k) {
      idx[a] = k;
      row.push_back(load_hp(x, idx));
    }
    f(o, row);
  });
}

Tensor with_reduced_axes(const Tensor& t, const std::vector<std::int64_t>& axes, bool keepdims) {
  Tensor v = t;
  if (!keepdims)
    for (std::int64_t a : axes) v = v.unsqueeze(a);
  return v;
}

Tensor& bound_tensor(BoundArgs& a, const Shape& shape) {
  if (!a.bound.defined() || a.bound.shape() != shape || a.bound.dtype() != DType::hp)
    a.bound = Tensor::empty(shape, DType::hp);
  return a.bound;
}

SecondOrderSpec linear_second_order(const Accuracy& forward) {
  SecondOrderSpec s;
  s.promised = true;
  s.cls = forward.cls;
  s.ulp_f32 = forward.ulp_f32;
  s.ulp_f64 = forward.ulp_f64;
  if (forward.cls != AccuracyClass::sum_bound) return s;
  s.bound = [fb = forward.bound](SecondOrderBoundArgs& a) {
    const std::size_t n_in = a.inputs_hp.size();
    if (a.result < n_in) {  // ∂⟨w, F⟩/∂x: exactly zero
      a.bound = Tensor::empty(a.reference.shape(), DType::hp);
      return;
    }
    std::vector<Tensor> w;
    for (std::size_t i = 0; i < n_in; ++i)
      w.push_back(
          a.grad_grad_inputs_hp.at(i).defined() || !is_float(a.inputs_hp[i].dtype())
              ? (a.grad_grad_inputs_hp[i].defined() ? a.grad_grad_inputs_hp[i] : a.inputs_hp[i])
              : Tensor::empty(a.inputs_hp[i].shape(), DType::hp));
    std::vector<Tensor> reference(a.outputs_hp.size());
    reference.at(a.result - n_in) = a.reference;
    BoundArgs args{w, reference, a.attrs, a.precision, a.bound, a.result - n_in};
    fb(args);
  };
  return s;
}

hp_t gross_sum(const std::vector<hp_t>& row) {
  hp_t g = 0;
  for (const hp_t& v : row) g += bmp::abs(v);
  return g;
}

hp_t sum_error(std::int64_t n, hp_t gross, const Precision& p) {
  if (n <= 1) return 0;
  return gamma_n(n - 1, p) * gross;
}

ExpSum exp_sum(const std::vector<hp_t>& row, const Precision& p) {
  ExpSum e;
  if (row.empty()) return e;
  e.m = row[0];
  for (const hp_t& v : row) {
    if (bmp::isnan(v)) return e;
    if (v > e.m) e.m = v;
  }
  if (!bmp::isfinite(e.m)) return e;
  e.finite = true;
  const hp_t u = p.u;
  hp_t sum_w_a = 0, sum_a = 0;
  for (const hp_t& v : row) {
    // z rounded in binary128: the reference does the same, and its error is the binary128 term
    // of every bound built on this.
    const hp_t z = v - e.m;
    const hp_t w = bmp::exp(z);
    const hp_t a = (1 + 2 * u) * bmp::exp(z * (1 - u)) - w + p.denorm_min;
    e.z.push_back(z);
    e.w.push_back(w);
    e.a.push_back(a);
    e.S += w;
    sum_a += a;
    sum_w_a += w + a;
  }
  const std::int64_t n = static_cast<std::int64_t>(row.size());
  e.err_S = sum_a + (n > 1 ? gamma_n(n - 1, p) * sum_w_a : hp_t(0));
  return e;
}

hp_t log_sum_error(const ExpSum& e, const Precision& p) {
  if (e.err_S >= e.S) return std::numeric_limits<hp_t>::infinity();
  const hp_t lambda = e.err_S / (e.S - e.err_S);
  return lambda + 2 * p.u * (bmp::log(e.S) + lambda) + p.denorm_min;
}

}  // namespace vt::verify
