// optimized/ops/loss.hpp — the host-side checks and attribute parsing of the loss family
// (optimized/ops/loss.cpp), shared with the CUDA backend (cuda/ops/loss.cu): one copy of the
// shape rules, the class-index reading and the error messages for both backends.
#pragma once

#include "core/registry.hpp"
#include "core/tensor.hpp"

#include <cstdint>
#include <vector>

namespace vt::opt {

/// The `reduction` attribute of the losses.
enum class Reduction { none, mean, sum };

/// The shapes of t, for error messages.
inline std::vector<Shape> shapes_of(const std::vector<Tensor>& t) {
  std::vector<Shape> s;
  for (const Tensor& x : t) s.push_back(x.shape());
  return s;
}

/// The `reduction` attribute of c (none | mean | sum); throws on anything else.
Reduction reduction_of(const OpCall& c, const char* op);

/// Throws unless t is float32 or float64; the message names `backend` (a vt::backend name).
void check_float(const Tensor& t, const char* op, const std::vector<Shape>& s, const char* backend);

/// Checks mse_loss's operands: input and target of one shape and one float dtype.
void mse_check(const OpCall& c, const char* backend);

/// Checks the shapes of nll_loss / cross_entropy; true when the target holds probabilities.
bool class_check(const OpCall& c, const char* op, bool probabilities_allowed, const char* backend);

/// Class indices of t (N), −1 for ignored rows; throws on a non-integer or out-of-range index.
std::vector<std::int64_t> read_indices(const OpCall& c, const char* op);

/// The number of rows that are not ignored (indices ≥ 0).
std::int64_t counted(const std::vector<std::int64_t>& k);

/// True when the VJP wants input gradient i.
inline bool wanted(const BackwardCall& bc, std::size_t i) {
  return bc.grad_inputs.size() > i && bc.grad_inputs[i].defined();
}

/// Row loss in float128 as the reference computes it (log_softmax, then nll or −Σ p·ls): x and
/// p (nullptr for class indices) are contiguous host rows of C, t the class index.
template <class T>
hp_t exact_row_loss(const T* x, const T* p, std::int64_t C, std::int64_t t) {
  namespace bmp = boost::multiprecision;
  hp_t m = hp_t(x[0]);
  for (std::int64_t c = 1; c < C; ++c)
    if (hp_t(x[c]) > m || bmp::isnan(hp_t(x[c]))) m = hp_t(x[c]);
  hp_t s = 0;
  for (std::int64_t c = 0; c < C; ++c) s += bmp::exp(hp_t(x[c]) - m);
  const hp_t L = bmp::log(s);
  if (!p) return -((hp_t(x[t]) - m) - L);
  hp_t acc = 0;
  for (std::int64_t c = 0; c < C; ++c) acc += hp_t(p[c]) * ((hp_t(x[c]) - m) - L);
  return -acc;
}

}  // namespace vt::opt
