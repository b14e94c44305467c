# golden/families/common.py — what every family module shares: the case record and the data of
# the four regimes (exact, random, adversarial, structural).
# What it is: small, seeded NumPy helpers; every function takes the case's Generator, so a case's
# data depend on its seed only. What it is not: the driver (golden/generate.py writes the files
# and the manifest) or any op's definition (each family module calls NumPy for that).
import numpy as np

F32, F64 = np.float32, np.float64
INT64_MAX = 2**63 - 1  # our "to the end" / None for slice stop (reference/ops/shape.hpp)


class Case:
    """One golden case, described before its data exist.

    kind "forward": make(rng, dt) -> (attrs, inputs, outputs[, note]): attrs in our attribute
    names and JSON types, inputs as the arrays to save (Fortran-ordered ones are saved as such),
    outputs as the library computed them from those inputs in dtype dt.
    kind "vjp": make(rng, dt) -> (attrs, forward inputs, output gradients, input gradients[,
    note]): the gradient of every differentiable input, in input order.
    family: our op family (verify/ops/<family>.cpp) when it is not the module's name.
    """

    def __init__(self, op, regime, note, make, dtypes=(F32, F64), kind="forward", family=None):
        self.op, self.regime, self.note, self.make, self.dtypes = op, regime, note, make, dtypes
        self.kind, self.family = kind, family


def specials(dt):
    """The adversarial values of dt: NaN, ±inf, ±0, ±max, ±smallest normal, subnormals, ±1."""
    fi = np.finfo(dt)
    sub = fi.smallest_subnormal
    vals = [np.nan, np.inf, -np.inf, 0.0, -0.0, fi.max, -fi.max, fi.tiny, -fi.tiny, sub, -sub,
            sub * 77, -(fi.tiny / 3), 1.0, -1.0, fi.max / 3]
    return np.array(vals, dtype=dt)


def uniform(rng, shape, dt, lo=-4.0, hi=4.0):
    """Uniform in [lo, hi], drawn in float64 and rounded once to dt."""
    return rng.uniform(lo, hi, size=shape).astype(dt)


def log_uniform(rng, shape, dt, emin, emax, signed=True):
    """Magnitudes 2^e with e uniform in [emin, emax] (several binades), random signs if signed."""
    mag = np.exp2(rng.uniform(emin, emax, size=shape))
    if signed:
        mag = np.where(rng.random(size=shape) < 0.5, -mag, mag)
    return mag.astype(dt)


def mixed(rng, shape, dt, lo=-4.0, hi=4.0):
    """The random regime: half uniform in [lo, hi], half log-uniform magnitudes from 2^-20
    (2^-12 for float32) up to max(|lo|, |hi|), signed unless lo ≥ 0, clipped to [lo, hi]."""
    u = uniform(rng, shape, dt, lo, hi)
    emin = -20 if dt == F64 else -12
    top = np.log2(max(abs(lo), abs(hi)))
    lg = np.clip(log_uniform(rng, shape, F64, emin, top, signed=lo < 0), lo, hi)
    pick = rng.random(size=shape) < 0.5
    return np.where(pick, u, lg.astype(dt)).astype(dt)


def small_ints(rng, shape, dt, m):
    """Integers in [-m, m] as dt: every sum, product and quotient built from them below stays
    exactly representable (the callers bound m by the accumulation length)."""
    return rng.integers(-m, m + 1, size=shape).astype(dt)


def sprinkle(rng, x, dt, density=0.3, pool=None):
    """Replace about `density` of x's elements by values of `pool` (default specials(dt))."""
    pool = specials(dt) if pool is None else np.asarray(pool, dtype=dt)
    x = np.array(x, dtype=dt, copy=True)
    mask = rng.random(size=x.shape) < density
    x[mask] = pool[rng.integers(0, pool.size, size=int(mask.sum()))]
    return x


def one_zero_sign(x, negative):
    """Every zero of x given one sign, so that no +0/−0 tie exists (see NumPy's maximum)."""
    x = np.array(x, copy=True)
    z = x == 0
    x[z] = -0.0 if negative else 0.0
    return x


def c_order(x):
    """x as a C-order (row-major) array, 0-d kept 0-d (np.ascontiguousarray would make it 1-d)."""
    return np.array(x, order="C", copy=True)


def fortran(x):
    """x stored in Fortran (column-major) order: np.save then writes fortran_order True."""
    return np.asfortranarray(x)


def check_dtype(dt, *arrays):
    """NumPy must have computed in the case dtype (no float64 upcast)."""
    for a in arrays:
        assert a.dtype == dt, f"expected {np.dtype(dt).name}, NumPy returned {a.dtype}"
