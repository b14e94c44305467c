# golden/families/elementwise.py — golden cases of add, sub, mul, div, maximum, minimum, pow.
# What it is: NumPy's np.add … np.power on float32/float64 arrays with NumPy broadcasting, in the
# four regimes. What it is not: our definition (verify/ops/elementwise.cpp); where NumPy's
# differs — maximum/minimum at a +0/−0 tie, where NumPy returns the second operand and
# IEEE 754-2019 (our spec) returns +0 / −0 — the main cases hold no such tie and one case per
# dtype (note "NumPy differs") shows it.
import numpy as np

from .common import Case, c_order, check_dtype, fortran, mixed, one_zero_sign, small_ints, sprinkle

UFUNC = {"add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.divide,
         "maximum": np.maximum, "minimum": np.minimum, "pow": np.power}

# (shape of a, shape of b, note): same shape, broadcasting both ways, 0-d against an array.
SHAPES = [((5, 7), (5, 7), "same shape (5, 7)"),
          ((4, 1, 3), (5, 3), "broadcast (4, 1, 3) with (5, 3)"),
          ((3, 1), (1, 6), "outer broadcast (3, 1) with (1, 6)"),
          ((), (9,), "0-d lhs with (9,)")]


def apply(op, dt, a, b):
    out = UFUNC[op](a, b)
    check_dtype(dt, out)
    return out


def no_signed_zero_tie(op, rng, a, b):
    """maximum/minimum: every zero of both operands given one sign (drawn per case), so that no
    +0/−0 tie exists and NumPy agrees with IEEE 754-2019."""
    if op not in ("maximum", "minimum"):
        return a, b
    neg = bool(rng.integers(0, 2))
    return one_zero_sign(a, neg), one_zero_sign(b, neg)


def exact_inputs(op, rng, dt, sa, sb):
    """Small integers whose results are exact: sums/products of |x| ≤ 64; quotients a = q·b
    (same shapes) or a power-of-two divisor (broadcast shapes); powers of |base| ≤ 4 to integer
    exponents in [0, 6]."""
    if op == "div":
        if tuple(sa) == tuple(sb):
            b = small_ints(rng, sb, dt, 16)
            b[b == 0] = 3
            return (small_ints(rng, sa, dt, 16) * b).astype(dt), b
        b = rng.choice(np.array([-8, -4, -2, -1, -0.5, 0.25, 0.5, 1, 2, 16], dtype=dt), size=sb)
        return small_ints(rng, sa, dt, 64), b
    if op == "pow":
        base = rng.choice(np.array([-4, -3, -2, -1, 0, 1, 2, 3, 4], dtype=dt), size=sa)
        return base, rng.integers(0, 7, size=sb).astype(dt)
    return small_ints(rng, sa, dt, 64), small_ints(rng, sb, dt, 64)


def make_exact(op, sa, sb):
    def make(rng, dt):
        a, b = exact_inputs(op, rng, dt, sa, sb)
        out = apply(op, dt, a, b)
        exact = np.asarray(a, np.float64)
        ref = UFUNC[op](exact, np.asarray(b, np.float64))
        assert np.array_equal(out.astype(np.float64), ref), f"{op}: exact case is not exact"
        return {}, [a, b], [out]
    return make


def domain(op):
    # pow: base in [0.05, 4], exponent in [−6, 6] (verify/ops/elementwise.cpp); div keeps b away
    # from tiny values only by chance, as random data do.
    return ((0.05, 4.0), (-6.0, 6.0)) if op == "pow" else ((-4.0, 4.0), (-4.0, 4.0))


def make_random(op, sa, sb):
    def make(rng, dt):
        (alo, ahi), (blo, bhi) = domain(op)
        a, b = mixed(rng, sa, dt, alo, ahi), mixed(rng, sb, dt, blo, bhi)
        return {}, [a, b], [apply(op, dt, a, b)]
    return make


def make_adversarial(op, sa, sb):
    def make(rng, dt):
        (alo, ahi), (blo, bhi) = domain(op)
        a = sprinkle(rng, mixed(rng, sa, dt, alo, ahi), dt)
        b = sprinkle(rng, mixed(rng, sb, dt, blo, bhi), dt)
        a, b = no_signed_zero_tie(op, rng, a, b)
        return {}, [a, b], [apply(op, dt, a, b)]
    return make


def make_cancellation(op):
    """Huge operands that cancel or overflow: ±max, ±max/2, 2^k ± 1 ulp, and their pairings."""
    def make(rng, dt):
        fi = np.finfo(dt)
        big = np.array([fi.max, -fi.max, fi.max / 2, 2.0 ** (fi.maxexp - 2), 1 + fi.eps,
                        1 - fi.epsneg, 3.0, -0.0, 0.0, fi.tiny, fi.smallest_subnormal], dtype=dt)
        a = rng.choice(big, size=(6, 8))
        b = (rng.choice(big, size=(6, 8)) * rng.choice([-1, 1, 0.5, 2], size=(6, 8))).astype(dt)
        a, b = no_signed_zero_tie(op, rng, a, b)
        return {}, [a, b], [apply(op, dt, a, b)]
    return make


def make_pow_table():
    """C99 Annex F special cases of pow, one per element."""
    def make(rng, dt):
        inf, nan = np.inf, np.nan
        pairs = [(-8, 1 / 3), (0, -1), (-0.0, -1), (-0.0, -2), (0, -2), (0, 3), (-0.0, 3),
                 (-0.0, 2), (-1, inf), (-1, -inf), (1, nan), (nan, 0), (nan, -0.0), (0.5, inf),
                 (2, inf), (0.5, -inf), (2, -inf), (-inf, 3), (-inf, -3), (-inf, 2), (-inf, -2),
                 (inf, 0.5), (inf, -0.5), (-inf, 0.5), (2, 0.5), (-2, 2), (-2, 3), (-2, -1),
                 (2, 1024), (2, -1075), (10, -40), (1, -inf), (-1, 3), (nan, 1), (1.5, nan)]
        a = np.array([p[0] for p in pairs], dtype=dt)
        b = np.array([p[1] for p in pairs], dtype=dt)
        return {}, [a, b], [apply("pow", dt, a, b)]
    return make


def make_signed_zero_tie(op):
    """Documents a definition difference: NumPy's maximum/minimum return the second operand at
    a +0/−0 tie; IEEE 754-2019 (our spec) returns +0 for maximum and −0 for minimum."""
    def make(rng, dt):
        a = np.array([0.0, -0.0, 0.0, -0.0, 1.0, -1.0], dtype=dt)
        b = np.array([-0.0, 0.0, 0.0, -0.0, -0.0, 0.0], dtype=dt)
        return {}, [a, b], [apply(op, dt, a, b)]
    return make


def make_structural(op, sa, sb, fort_a=False, fort_b=False):
    def make(rng, dt):
        (alo, ahi), (blo, bhi) = domain(op)
        a, b = mixed(rng, sa, dt, alo, ahi), mixed(rng, sb, dt, blo, bhi)
        a = fortran(a) if fort_a else a
        b = fortran(b) if fort_b else b
        return {}, [a, b], [c_order(apply(op, dt, a, b))]
    return make


STRUCTURAL = [((9, 17), (9, 17), True, True, "both Fortran-order (9, 17)"),
              ((16, 33), (16, 33), True, False, "Fortran-order lhs, C-order rhs (16, 33)"),
              ((7, 5, 3), (5, 1), True, False, "Fortran-order 3-d lhs, broadcast rhs (5, 1)"),
              ((31,), (31,), False, False, "length 31 (SIMD tail)"),
              ((65,), (1,), False, False, "length 65 with a size-1 rhs"),
              ((129,), (129,), False, False, "length 129"),
              ((0,), (0,), False, False, "empty"),
              ((3, 0), (1,), False, False, "empty 2-d with a broadcast (1,)"),
              ((1, 1), (1,), False, False, "size 1"),
              ((), (), False, False, "0-d with 0-d")]


def cases():
    out = []
    for op in UFUNC:
        for sa, sb, note in SHAPES[:3]:
            out.append(Case(op, "exact", "small integers, exact results; " + note,
                            make_exact(op, sa, sb)))
        for sa, sb, note in SHAPES:
            out.append(Case(op, "random", note, make_random(op, sa, sb)))
        for sa, sb, note in SHAPES[:3]:
            out.append(Case(op, "adversarial", "specials (30%); " + note +
                            ("; no +0/−0 tie" if op in ("maximum", "minimum") else ""),
                            make_adversarial(op, sa, sb)))
        if op == "pow":
            out.append(Case(op, "adversarial", "C99 Annex F special cases", make_pow_table()))
        else:
            out.append(Case(op, "adversarial", "huge and tiny operands: cancellation, overflow",
                            make_cancellation(op)))
        if op in ("maximum", "minimum"):
            out.append(Case(op, "adversarial",
                            "NumPy differs: at a +0/−0 tie NumPy returns the second operand, "
                            "IEEE 754-2019 (our spec) " + ("+0" if op == "maximum" else "−0"),
                            make_signed_zero_tie(op)))
        for sa, sb, fa, fb, note in STRUCTURAL:
            out.append(Case(op, "structural", note, make_structural(op, sa, sb, fa, fb)))
    return out
