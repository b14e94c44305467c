// verify/harness/layouts.cpp — shape lists shared by specs. What it is not: value generation.
#include "verify/harness/layouts.hpp"

#include <algorithm>

namespace vt::verify {

const std::vector<std::int64_t>& structural_sizes() {
  static const std::vector<std::int64_t> sizes = {
      0,  1,  2,  3,  4,   5,   7,   8,   9,   13,   15,   16,   17,    31,    32,    33,
      63, 64, 65, 97, 127, 128, 129, 255, 257, 1021, 1024, 1031, 32767, 32768, 32769, 65537};
  return sizes;
}

std::vector<std::int64_t> structural_sizes_sample(Rng& rng, std::size_t count) {
  std::vector<std::int64_t> s = structural_sizes();
  std::shuffle(s.begin(), s.end(), rng);
  s.resize(std::min(count, s.size()));
  return s;
}

Shape random_shape(Rng& rng, int ndim, std::int64_t lo, std::int64_t hi) {
  std::uniform_int_distribution<std::int64_t> d(lo, hi);
  Shape s(static_cast<std::size_t>(ndim));
  for (auto& x : s) x = d(rng);
  return s;
}

std::vector<Layout> unary_layouts(Rng& rng) {
  std::vector<Layout> out = {
      {{{}}, {}, "scalar"},     {{{37}}, {}, "vector"},      {{{16, 33}}, {}, "matrix"},
      {{{3, 5, 7}}, {}, "3-d"}, {{{2, 3, 4, 5}}, {}, "4-d"},
  };
  for (int i = 0; i < 3; ++i)
    out.push_back({{random_shape(rng, 1 + i, 1, 40)}, {}, "random shape"});
  return out;
}

std::vector<Layout> unary_structural_layouts(Rng& rng) {
  std::vector<Layout> out;
  for (std::int64_t n : structural_sizes()) out.push_back({{{n}}, {}, "size " + std::to_string(n)});
  out.push_back({{{0, 5}}, {}, "empty 2-d"});
  out.push_back({{{7, 1, 13}}, {}, "unit dim"});
  out.push_back({{random_shape(rng, 2, 1, 70)}, {}, "random 2-d"});
  return out;
}

std::vector<Layout> binary_layouts(Rng& rng) {
  std::vector<Layout> out = {
      {{{}, {}}, {}, "scalar ⊕ scalar"},
      {{{41}, {41}}, {}, "vector ⊕ vector"},
      {{{16, 33}, {16, 33}}, {}, "matrix ⊕ matrix"},
      {{{29}, {}}, {}, "vector ⊕ scalar"},
      {{{}, {29}}, {}, "scalar ⊕ vector"},
      {{{7, 1}, {1, 9}}, {}, "column ⊕ row"},
      {{{3, 4, 5}, {5}}, {}, "rank promotion"},
      {{{2, 1, 6}, {3, 1}}, {}, "two-sided broadcast"},
      {{{4, 1, 3}, {4, 5, 3}}, {}, "middle broadcast"},
  };
  for (int i = 0; i < 3; ++i) {
    Shape a = random_shape(rng, 1 + i, 1, 24);
    Shape b = a;
    std::uniform_int_distribution<int> coin(0, 2);
    for (auto& d : b)
      if (coin(rng) == 0) d = 1;
    out.push_back({{a, b}, {}, "random broadcast"});
  }
  return out;
}

std::vector<Layout> binary_structural_layouts(Rng& rng) {
  std::vector<Layout> out;
  for (std::int64_t n : structural_sizes())
    out.push_back({{{n}, {n}}, {}, "size " + std::to_string(n)});
  for (std::int64_t n : structural_sizes_sample(rng, 8)) {
    out.push_back({{{n}, {}}, {}, "size " + std::to_string(n) + " ⊕ scalar"});
    out.push_back({{{3, n}, {3, 1}}, {}, "(3, " + std::to_string(n) + ") ⊕ column"});
  }
  out.push_back({{{0, 4}, {4}}, {}, "empty broadcast"});
  out.push_back({{{5, 0}, {1, 1}}, {}, "empty ⊕ (1, 1)"});
  return out;
}

}  // namespace vt::verify
