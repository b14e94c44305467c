// optimized/ops/elementwise.cpp — float32/float64 binary elementwise ops with broadcasting.
// Shaped this way because: a scalar functor per op plugged into one loop engine
// (optimized/core/loops.hpp) whose unit-stride and scalar-operand loops GCC vectorizes
// (-O3 -march=native: 512-bit for add/sub/mul/div/maximum/minimum; pow calls libm per element).
// Accuracy: add/sub/mul/div are single IEEE operations (exact class); maximum/minimum follow
// IEEE 754-2019 maximum/minimum; pow is glibc's pow/powf (< 1 ulp).
#include "optimized/core/loops.hpp"

#include <cmath>

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

void add_forward(OpCall& c) { elementwise_call<Add, 2>(c, "add"); }
void sub_forward(OpCall& c) { elementwise_call<Sub, 2>(c, "sub"); }
void mul_forward(OpCall& c) { elementwise_call<Mul, 2>(c, "mul"); }
void div_forward(OpCall& c) { elementwise_call<Div, 2>(c, "div"); }
void maximum_forward(OpCall& c) { elementwise_call<Maximum, 2>(c, "maximum"); }
void minimum_forward(OpCall& c) { elementwise_call<Minimum, 2>(c, "minimum"); }
void pow_forward(OpCall& c) { elementwise_call<Pow, 2>(c, "pow"); }

#define VT_OPTIMIZED_BINARY(name, how) VT_REGISTER_OPTIMIZED(name, "loop", name##_forward, how)

VT_OPTIMIZED_BINARY(add, "vectorized broadcast loop, threaded over chunks");
VT_OPTIMIZED_BINARY(sub, "vectorized broadcast loop, threaded over chunks");
VT_OPTIMIZED_BINARY(mul, "vectorized broadcast loop, threaded over chunks");
VT_OPTIMIZED_BINARY(div, "vectorized broadcast loop, threaded over chunks");
VT_OPTIMIZED_BINARY(maximum, "broadcast loop, IEEE 754-2019 maximum");
VT_OPTIMIZED_BINARY(minimum, "broadcast loop, IEEE 754-2019 minimum");
VT_OPTIMIZED_BINARY(pow, "broadcast loop over glibc pow/powf");

}  // namespace
}  // namespace vt::opt
