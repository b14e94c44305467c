#!/usr/bin/python3
# golden/generate.py — regenerates every golden case: golden/data/<family>/<op>/*.npy and
# golden/manifest.json, from the family modules in golden/families/.
# What it is: the one command (run it with Debian's python3-numpy and python3-torch:
# /usr/bin/python3, not a pyenv python3 without NumPy) and its `--check` mode, which regenerates
# into a temporary directory and compares bytes and hashes with the committed files (exit 1 on
# any difference). Forward cases come from NumPy (and PyTorch for the ops NumPy lacks), gradient
# ("vjp") cases from torch.autograd.grad.
# What it is not: a test of our backends (that is `veritensor golden`, verify/harness/golden.cpp),
# nor the definition of any op (each family module calls NumPy or PyTorch).
#
# Reproducibility: every case's seed is crc32(case id) started from BASE_SEED, so it does not
# depend on the order of the cases; NumPy's CPU dispatch is switched off (only the SSE3 baseline
# runs, so no AVX2/AVX-512 loop of exp/log/tanh/sum/maximum answers differently on another
# x86-64 machine) and OpenBLAS is pinned to one thread and one kernel set (Prescott), and ATen
# (PyTorch) to its "default" CPU capability, before NumPy and PyTorch are imported (the script
# re-executes itself with that environment); PyTorch then runs one thread with deterministic
# algorithms.
import argparse
import filecmp
import hashlib
import importlib
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import warnings
import zlib
from pathlib import Path

sys.dont_write_bytecode = True  # no __pycache__ in the source tree

HERE = Path(__file__).resolve().parent
BASE_SEED = 20240605
FAMILIES = ["elementwise", "unary", "reduction", "matmul", "shape", "creation", "torch_forward",
            "torch_vjp"]
PINNED = "VT_GOLDEN_PINNED"


def pin_environment():
    """Re-executes this script with NumPy's dispatch, OpenBLAS's kernels and ATen's CPU
    capability pinned."""
    if os.environ.get(PINNED) == "1":
        return
    probe = subprocess.run(
        [sys.executable, "-c",
         "from numpy.core._multiarray_umath import __cpu_dispatch__ as d, __cpu_features__ as f;"
         "print(' '.join(x for x in d if f.get(x)))"],
        capture_output=True, text=True, check=True)
    env = dict(os.environ)
    env["NPY_DISABLE_CPU_FEATURES"] = probe.stdout.strip()
    env["OPENBLAS_NUM_THREADS"] = "1"
    env["OMP_NUM_THREADS"] = "1"
    env["OPENBLAS_CORETYPE"] = "Prescott"
    env["ATEN_CPU_CAPABILITY"] = "default"  # PyTorch: no AVX2/AVX-512 kernels, one code path
    env["MKL_NUM_THREADS"] = "1"
    env[PINNED] = "1"
    os.execve(sys.executable, [sys.executable, str(Path(__file__).resolve())] + sys.argv[1:], env)


def describe_environment(np):
    """One line: NumPy version, the dispatch actually active, the BLAS core; PyTorch's version,
    ATen's CPU capability (asserted "default", which ATen reports as NO AVX) and threads."""
    from numpy.core._multiarray_umath import __cpu_dispatch__, __cpu_features__
    active = [f for f in __cpu_dispatch__ if __cpu_features__.get(f)]
    assert not active, f"NumPy dispatch still active: {active}"
    core = "unknown BLAS"
    try:
        import ctypes
        lib = ctypes.CDLL("libblas.so.3")
        lib.openblas_get_corename.restype = ctypes.c_char_p
        core = "OpenBLAS core " + lib.openblas_get_corename().decode()
    except (OSError, AttributeError):
        pass
    import torch
    cap = [ln.split(":", 1)[1].strip() for ln in torch.__config__.show().splitlines()
           if "CPU capability usage" in ln]
    cap = cap[0] if cap else "unknown"
    assert cap == "NO AVX", f"ATen CPU capability still {cap}"  # what "default" reports
    return (f"NumPy {np.__version__}, dispatch off (baseline SSE3), {core}; PyTorch "
            f"{torch.__version__}, ATen CPU capability {cap}, {torch.get_num_threads()} thread")


def clean_attrs(attrs, cid):
    """Attributes as the manifest's JSON types: bool, int, float, str, list of int; a NaN or
    infinite float as the string "nan", "inf" or "-inf" (strict JSON has no spelling for them;
    the C++ reader turns them back into doubles where the attribute is a real)."""
    out = {}
    for k, v in attrs.items():
        if isinstance(v, bool) or isinstance(v, str):
            out[k] = v
        elif isinstance(v, (list, tuple)):
            assert all(isinstance(e, int) and not isinstance(e, bool) for e in v), (cid, k, v)
            out[k] = [int(e) for e in v]
        elif isinstance(v, float):
            out[k] = v if math.isfinite(v) else "nan" if math.isnan(v) else \
                "inf" if v > 0 else "-inf"
        elif isinstance(v, int):
            out[k] = int(v)
        else:
            raise TypeError(f"{cid}: attribute {k} has type {type(v).__name__}")
    return out


def generate(out_dir):
    """Writes out_dir/data/... and out_dir/manifest.json; returns the number of cases."""
    import numpy as np
    import torch
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    np.seterr(all="ignore")  # inf/NaN/underflow are the point of the adversarial regime
    warnings.filterwarnings("ignore", category=RuntimeWarning)  # mean of empty slice, ddof ≥ n
    sys.path.insert(0, str(HERE))
    data = out_dir / "data"
    if data.exists():
        shutil.rmtree(data)
    data.mkdir(parents=True)
    cases, hashes = [], {}
    for fam in FAMILIES:
        mod = importlib.import_module(f"families.{fam}")
        library = getattr(mod, "LIBRARY", "numpy")
        version = torch.__version__ if library == "torch" else np.__version__
        counters = {}
        for c in mod.cases():
            for dt in c.dtypes:
                dname = np.dtype(dt).name
                key = (c.op, dname, c.regime, c.kind)
                k = counters.get(key, 0)
                counters[key] = k + 1
                vjp = c.kind == "vjp"
                cid = f"{c.op}/{'vjp/' if vjp else ''}{dname}/{c.regime}/{k}"
                seed = zlib.crc32(cid.encode(), BASE_SEED)
                made = c.make(np.random.default_rng(seed), dt)
                n = 4 if vjp else 3
                attrs, ins, outs = made[0], made[1], made[n - 1]
                if vjp:  # inputs: the forward inputs, then one output gradient per output
                    forward_inputs = len(ins)
                    ins = list(ins) + list(made[2])
                note = c.note + ("; " + made[n] if len(made) > n and made[n] else "")
                stem = f"{fam}/{c.op}/{dname}_{c.regime}_{k}"
                names = {"inputs": [], "outputs": []}
                for kind, arrays, tag in (("inputs", ins, "in"), ("outputs", outs, "out")):
                    for i, a in enumerate(arrays):
                        a = a if isinstance(a, np.ndarray) else np.asarray(a)
                        assert a.dtype.byteorder in "=<|", (cid, a.dtype)
                        rel = f"{stem}_{tag}{i}.npy"
                        path = data / rel
                        path.parent.mkdir(parents=True, exist_ok=True)
                        np.save(path, a, allow_pickle=False)
                        hashes[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
                        names[kind].append(rel)
                case = {
                    "id": cid, "op": c.op, "family": c.family or fam, "kind": c.kind,
                    "attrs": clean_attrs(attrs, cid), "dtype": dname, "regime": c.regime,
                    "library": library, "library_version": version, "seed": seed,
                    "inputs": names["inputs"], "outputs": names["outputs"], "note": note}
                if vjp:
                    case["forward_inputs"] = forward_inputs
                cases.append(case)
    ids = [c["id"] for c in cases]
    assert len(ids) == len(set(ids)), "duplicate case ids"
    cases.sort(key=lambda c: c["id"])
    manifest = {"format": 1, "generator": "golden/generate.py", "cases": cases,
                "sha256": dict(sorted(hashes.items()))}
    text = json.dumps(manifest, sort_keys=True, indent=1, allow_nan=False, ensure_ascii=False)
    (out_dir / "manifest.json").write_text(text + "\n", encoding="utf-8")
    return len(cases)


def check():
    """Regenerates into a temporary directory and compares with the committed files."""
    problems = []
    manifest = HERE / "manifest.json"
    if not manifest.exists():
        print("golden --check: golden/manifest.json does not exist; run golden/generate.py")
        return 1
    committed = json.loads(manifest.read_text(encoding="utf-8"))
    for rel, digest in committed["sha256"].items():
        p = HERE / "data" / rel
        if not p.exists():
            problems.append(f"missing: data/{rel}")
        elif hashlib.sha256(p.read_bytes()).hexdigest() != digest:
            problems.append(f"hash mismatch (file edited?): data/{rel}")
    with tempfile.TemporaryDirectory(prefix="vt-golden-") as tmp:
        tmp = Path(tmp)
        n = generate(tmp)
        fresh = {p.relative_to(tmp / "data").as_posix() for p in (tmp / "data").rglob("*.npy")}
        old = {p.relative_to(HERE / "data").as_posix() for p in (HERE / "data").rglob("*.npy")}
        problems += [f"not generated any more: data/{r}" for r in sorted(old - fresh)]
        problems += [f"not committed: data/{r}" for r in sorted(fresh - old)]
        problems += [f"bytes differ: data/{r}" for r in sorted(fresh & old)
                     if not filecmp.cmp(tmp / "data" / r, HERE / "data" / r, shallow=False)]
        if not filecmp.cmp(tmp / "manifest.json", manifest, shallow=False):
            problems.append("manifest.json differs from a fresh run")
    for p in problems[:50]:
        print("golden --check:", p)
    if len(problems) > 50:
        print(f"golden --check: … and {len(problems) - 50} more")
    print(f"golden --check: {n} cases regenerated, "
          f"{'identical' if not problems else f'{len(problems)} difference(s)'}")
    return 1 if problems else 0


def main():
    ap = argparse.ArgumentParser(
        description="Regenerate the NumPy and PyTorch golden cases (golden/README.md).")
    ap.add_argument("--check", action="store_true",
                    help="regenerate into a temporary directory and compare with the committed "
                         "files; exit 1 on any difference")
    args = ap.parse_args()
    pin_environment()
    import numpy as np
    print("golden:", describe_environment(np))
    if args.check:
        return check()
    n = generate(HERE)
    size = sum(p.stat().st_size for p in (HERE / "data").rglob("*.npy"))
    print(f"golden: wrote {n} cases, {size / 1e6:.2f} MB of .npy, golden/manifest.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
