# golden/families/matmul.py — golden cases of matmul.
# What it is: np.matmul on float32/float64 — 1-d operands promoted and the added dimension
# removed, batch dimensions broadcast — over the four regimes; no attributes. With the
# environment golden/generate.py pins, NumPy calls OpenBLAS (one thread, Prescott kernels) for
# the BLAS-able cases and its own loops otherwise. What it is not: our definition
# (verify/ops/matmul.cpp), which takes the same shapes.
import numpy as np

from .common import Case, c_order, check_dtype, fortran, mixed, small_ints, sprinkle

SHAPES = [((5, 7), (7, 3), "small primes"),
          ((17, 33), (33, 15), "around 16/32"),
          ((7,), (7,), "vector · vector"),
          ((13,), (13, 5), "vector @ matrix"),
          ((6, 13), (13,), "matrix @ vector"),
          ((4, 5, 6), (4, 6, 3), "batched"),
          ((2, 1, 5, 7), (3, 7, 4), "broadcast batch dims (2, 1) × (3)"),
          ((5, 7), (3, 7, 4), "matrix @ batched")]


def apply(dt, a, b):
    y = np.asarray(np.matmul(a, b))
    check_dtype(dt, y)
    return c_order(y)


def make(shape_a, shape_b, data_a, data_b, fort_a=False, fort_b=False):
    def mk(rng, dt):
        a, b = data_a(rng, dt, shape_a), data_b(rng, dt, shape_b)
        a = fortran(a) if fort_a else a
        b = fortran(b) if fort_b else b
        return {}, [a, b], [apply(dt, a, b)]
    return mk


def ints(rng, dt, shape):
    """|x| ≤ 16: products ≤ 256, every partial sum ≤ 256·K < 2^24 (K ≤ 33 here): exact."""
    return small_ints(rng, shape, dt, 16)


def rnd(rng, dt, shape):
    return mixed(rng, shape, dt)


def with_specials(rng, dt, shape):
    """Specials in A only, at 10%, so that rows of the short products are not all NaN."""
    return sprinkle(rng, mixed(rng, shape, dt), dt, 0.1)


def cancellation(rng, dt, shape):
    top = 20 if dt == np.float64 else 10
    big = np.exp2(rng.integers(top // 2, top + 1, size=shape)) * rng.choice([-1.0, 1.0], shape)
    return np.where(rng.random(shape) < 0.5, big, rng.uniform(-1, 1, shape)).astype(dt)


STRUCTURAL = [((9, 17), (17, 11), True, False, "Fortran-order A"),
              ((9, 17), (17, 11), False, True, "Fortran-order B"),
              ((16, 16), (16, 16), True, True, "both Fortran-order 16 × 16"),
              ((3, 5, 7), (7, 4), True, False, "Fortran-order batched A"),
              ((63, 1), (1, 32), False, False, "outer product (K = 1)"),
              ((1, 65), (65, 1), False, False, "inner product as matrices"),
              ((3, 0), (0, 4), False, False, "K = 0: zeros"),
              ((0, 5), (5, 3), False, False, "M = 0"),
              ((4, 5), (5, 0), False, False, "N = 0"),
              ((1, 1), (1, 1), False, False, "1 × 1"),
              ((31, 64), (64, 65), False, False, "31 × 64 @ 64 × 65"),
              ((33,), (4, 33, 17), False, False, "vector @ batch"),
              ((4, 17, 33), (33,), False, False, "batch @ vector"),
              ((65,), (65,), False, False, "dot of 65")]


def cases():
    out = []
    for sa, sb, note in SHAPES[:6]:
        out.append(Case("matmul", "exact", "integers |x| ≤ 16: exact; " + note,
                        make(sa, sb, ints, ints)))
    for sa, sb, note in SHAPES:
        out.append(Case("matmul", "random", note, make(sa, sb, rnd, rnd)))
    for sa, sb, note in ((( 6, 5), (5, 7), "6 × 5 @ 5 × 7"), ((9,), (9, 4), "vector @ matrix"),
                         ((2, 4, 3), (3, 5), "batched")):
        out.append(Case("matmul", "adversarial", "specials in A (10%); " + note,
                        make(sa, sb, with_specials, rnd)))
    out.append(Case("matmul", "adversarial", "cancellation: ±2^k and O(1) values in A and B",
                    make((8, 24), (24, 6), cancellation, cancellation)))
    for sa, sb, fa, fb, note in STRUCTURAL:
        out.append(Case("matmul", "structural", note, make(sa, sb, rnd, rnd, fa, fb)))
    return out
