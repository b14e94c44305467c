#!/usr/bin/python3
"""fuzz/libfuzzer/make_seeds.py — writes the hand-made seeds of the fuzz corpora (fuzz/corpus/).

What it is: the generator of the seed files named seed-* in fuzz/corpus/<target>/: for npy,
valid .npy files of every dtype, both orders, formats 1.0/2.0/3.0, 0-d and empty arrays (NumPy's
np.save and hand-built headers) plus every malformed kind of tests/bad-input/make.py; for attrs,
ledger, cli and profile, typical and broken inputs in each target's input format
(fuzz/README.md).
Files the fuzzer found and that were kept after `-merge=1` are the other entries; this script
never deletes them. Deterministic; run with Debian's /usr/bin/python3 (NumPy 1.24).
What it is not: a fuzzer, or the test that replays the corpora (replay_main.cpp, CTest).
"""
import importlib.util
import io
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
CORPUS = os.path.join(ROOT, "fuzz", "corpus")

spec = importlib.util.spec_from_file_location(
    "bad_input_make", os.path.join(ROOT, "tests", "bad-input", "make.py"))
bad = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bad)


def saved(a) -> bytes:
    buf = io.BytesIO()
    np.save(buf, a)
    return buf.getvalue()


def npy_seeds() -> dict:
    out = {}
    rng = np.random.default_rng(6)
    for dt in ["<f4", "<f8", "<i8", "<i4", "|i1", "|u1", "|b1"]:
        a = (rng.standard_normal((2, 3)) * 3).astype(dt)
        name = dt.strip("<|")
        out[f"{name}_c.npy"] = saved(a)
        out[f"{name}_f.npy"] = saved(np.asfortranarray(a))
        out[f"{name}_0d.npy"] = saved(a[0, 0].reshape(()))
        out[f"{name}_empty.npy"] = saved(np.zeros((0, 3), dt))
    out["f8_3d_f.npy"] = saved(np.asfortranarray(np.arange(24.0).reshape(2, 3, 4)))
    out["f4_1d.npy"] = saved(np.float32([1.5, -2, np.nan, np.inf]))
    out["f8_eq.npy"] = bad.npy("=f8", "(2,)", bytes(16))
    out["f8_align16.npy"] = bad.npy("<f8", "(2,)", bytes(16), align=16)
    out["f8_v2.npy"] = bad.npy("<f8", "(1,)", bytes(8), version=(2, 0))
    out["f8_v3.npy"] = bad.npy("<f8", "(1,)", bytes(8), version=(3, 0))
    out["f8_list_shape.npy"] = bad.npy("<f8", "[2]", bytes(16))
    out["f8_dq.npy"] = bad.header_bytes('{"descr": "<f8", "fortran_order": True, "shape": (2,)}') \
        + bytes(16)
    for name, data in bad.npy_files().items():
        out["bad_" + name] = data
    return out


def attrs_seeds() -> dict:
    # op name, then one `k=v` per line, as `--attr k=v` gives them (fuzz/libfuzzer/attrs.cpp).
    lines = {
        "sum_axis.txt": "sum\naxis=1\nkeepdims=true",
        "sum_axes.txt": "sum\naxis=0,1",
        "sum_axes_paren.txt": "sum\naxis=(0, -1)",
        "sum_empty_axes.txt": 'sum\naxis=""',
        "var_ddof.txt": "var\nddof=1\naxis=-1",
        "var_ddof_neg.txt": "var\nddof=-1",
        "softmax_axis.txt": "softmax\naxis=-1",
        "softmax_axis_big.txt": "softmax\naxis=99",
        "full.txt": "full\nshape=2,3\nvalue=nan",
        "full_inf.txt": "full\nshape=()\nvalue=-inf",
        "full_hex.txt": "full\nshape=[]\nvalue=0x1p-1074",
        "arange.txt": "arange\nstart=0\nstop=10\nstep=0",
        "arange_neg.txt": "arange\nstart=5\nstop=-5\nstep=-0.5",
        "eye.txt": "eye\nn=3\nm=4\nk=-1",
        "cast.txt": "cast\ndtype=float32",
        "cast_bad.txt": "cast\ndtype=float16",
        "transpose.txt": "transpose\naxes=1,0",
        "reshape.txt": "reshape\nshape=-1,2",
        "sgd.txt": "sgd_step\nlr=0.1\nmomentum=0.9\nnesterov=True\nfirst_step=0",
        "adam.txt": "adam_step\nlr=1e-3\nbeta1=0.9\nbeta2=0.999\neps=1e-8\nstep=1",
        "loss.txt": "cross_entropy\nreduction=mean",
        "loss_bad.txt": "nll_loss\nreduction=median",
        "unknown_attr.txt": "add\naxis=1",
        "unknown_op.txt": "nosuch\nx=1",
        "no_eq.txt": "sum\naxis",
        "int_overflow.txt": "sum\naxis=99999999999999999999",
        "bool_bad.txt": "sum\nkeepdims=yes",
        "real_bad.txt": "sgd_step\nlr=1.0.0",
        "real_nan.txt": "sgd_step\nlr=nan",
        "empty.txt": "",
    }
    return {k: v.encode() for k, v in lines.items()}


def ledger_seeds() -> dict:
    real = open(os.path.join(ROOT, "verify", "ledger.txt"), "rb").read()
    return {
        "ledger.txt": real,
        "one.txt": b"exp optimized loop float32 ulp 0.502 # glibc\n",
        "no_newline.txt": b"exp optimized loop float64 bound 1e-3",
        "comments.txt": b"# c\n\n   \n\t# d\n",
        "crlf.txt": b"exp optimized loop float32 ulp 0.5\r\nlog optimized loop float32 ulp 0.8\r\n",
        "dup.txt": b"exp o l float32 ulp 1\nexp o l float32 ulp 2\n",
        "five_fields.txt": b"exp optimized loop float32 ulp\n",
        "bad_unit.txt": b"exp optimized loop float32 ulps 1\n",
        "bad_dtype.txt": b"exp optimized loop float16 ulp 1\n",
        "negative.txt": b"exp optimized loop float32 ulp -1\n",
        "inf.txt": b"exp optimized loop float32 ulp inf\n",
        "hex.txt": b"exp optimized loop float32 ulp 0x1p-3\n",
        "note_hash.txt": b"exp optimized loop float32 ulp 1 # a # b  \n",
        "huge.txt": b"exp optimized loop float32 ulp 1e308\n",
        "tiny.txt": b"exp optimized loop float32 ulp 4.9e-324\n",
    }


def cli_seeds() -> dict:
    # argv[1:] separated by NUL bytes (fuzz/libfuzzer/cli.cpp).
    cmds = {
        "list.txt": ["list"],
        "list_check.txt": ["list", "--check", "-v"],
        "help.txt": ["--help"],
        "version.txt": ["--version"],
        "verify_help.txt": ["verify", "--help"],
        "none.txt": [],
        "verify.txt": ["verify", "--op", "add,sum", "--dtype", "float32", "--seed", "7",
                       "--cases", "3", "--regime", "exact", "--case", "1", "--threads", "2"],
        "verify_json.txt": ["verify", "--op", "add", "--json", "r.json", "--junit", "r.xml",
                            "--no-ledger"],
        "verify_ledger.txt": ["verify", "--ledger", "l.txt", "--update-ledger", "--ledger-report"],
        "verify_grad.txt": ["verify", "--grad", "--grad2", "--bitwise", "--backend",
                            "optimized,cuda", "--variant", "all"],
        "verify_train.txt": ["verify", "--train", "--batch", "4", "--steps", "2", "--optimizer",
                             "adam", "--variant", "adam_step=mutant"],
        "verify_bad_dtype.txt": ["verify", "--dtype", "float16"],
        "verify_bad_backend.txt": ["verify", "--backend", "gpu"],
        "verify_bad_regime.txt": ["verify", "--regime", "chaos"],
        "verify_bad_cases.txt": ["verify", "--cases", "-1"],
        "verify_bad_threads.txt": ["verify", "--threads", "0"],
        "eval.txt": ["eval", "--op", "add", "--in", "a.npy", "b.npy", "--out", "c.npy"],
        "eval_attr.txt": ["eval", "--op", "sum", "--attr", "axis=1", "--attr", "keepdims=true",
                          "--backend", "reference", "--in", "a.npy", "--out", "o.npy"],
        "eval_grad.txt": ["eval", "--op", "exp", "--in", "a.npy", "--grad-output", "g.npy",
                          "--out-grads", "-", "--dtype", "float32"],
        "eval_no_op.txt": ["eval", "--in", "a.npy"],
        "golden.txt": ["golden", "--dir", "golden", "--op", "add,exp", "--case", "x", "-v"],
        "unknown_sub.txt": ["frobnicate"],
        "unknown_opt.txt": ["list", "--frob"],
        "two_subs.txt": ["list", "verify"],
        "eq_form.txt": ["verify", "--op=add", "--seed=3"],
        "fuzz.txt": ["fuzz", "--op", "sum,soft*", "--property", "*", "--backend", "optimized",
                     "--time", "5", "--seed", "3", "--cases", "10", "--max-size", "20", "-v"],
        "fuzz_reproduce.txt": ["fuzz", "--reproduce", "BchpbuISgQm", "--save", "d", "--list"],
        "tune.txt": ["tune", "--family", "elementwise,reduction", "--threads", "2",
                     "--max-iterations", "5", "--sizes", "1000,10000", "--min-time", "0.01",
                     "--history", "h.jsonl", "--profile-out", "p.json", "--markdown", "t.md"],
        "tune_show.txt": ["tune", "--show"],
        "tune_check.txt": ["tune", "--check", "p.json"],
        "tune_bad_family.txt": ["tune", "--family", "elementwize"],
        "tune_bad_sizes.txt": ["tune", "--sizes", "10,-1"],
    }
    return {k: b"\0".join(a.encode() for a in v) for k, v in cmds.items()}


def profile_seeds() -> dict:
    # the raw profile text (fuzz/libfuzzer/profile.cpp): valid ones and every malformed kind of
    # tests/bad-input/make.py.
    out = {
        "full.json": b'{"veritensor_profile": 1, "machine": {"cpu": "x", "threads": 2}, '
                     b'"families": {"elementwise": {"parallel_threshold": 65536, "grain": 32768}, '
                     b'"reduction": {"parallel_threshold": "never", "grain": 4096}, '
                     b'"softmax": {"parallel_threshold": 0}, "creation": {}, "shape": {}, '
                     b'"loss": {"parallel_threshold": 4611686018427387904}, "optim": {}, '
                     b'"matmul": {"parallel_threshold": 1}}}\n',
        "minimal.json": b'{"veritensor_profile": 1}',
        "no_families.json": b'{"veritensor_profile": 1, "machine": {}}',
        "nested_machine.json": b'{"veritensor_profile": 1, "machine": {"a": [1, {"b": null}], '
                               b'"c": "\\u00e9"}, "families": {}}',
        "dup_keys.json": b'{"veritensor_profile": 1, "families": {"elementwise": '
                         b'{"grain": 64, "grain": 128}}}',
        "big_int.json": b'{"veritensor_profile": 1, "families": {"optim": '
                        b'{"parallel_threshold": 99999999999999999999999}}}',
        "exp_int.json": b'{"veritensor_profile": 1, "families": {"optim": '
                        b'{"parallel_threshold": 1e3}}}',
        "neg_zero.json": b'{"veritensor_profile": 1, "families": {"optim": '
                         b'{"parallel_threshold": -0}}}',
    }
    for name, data in bad.text_files().items():
        if name.startswith("profile_"):
            out["bad_" + name] = data
    return out


def main() -> int:
    for target, seeds in [("npy", npy_seeds()), ("attrs", attrs_seeds()),
                          ("ledger", ledger_seeds()), ("cli", cli_seeds()),
                          ("profile", profile_seeds())]:
        d = os.path.join(CORPUS, target)
        os.makedirs(d, exist_ok=True)
        for name, data in seeds.items():
            with open(os.path.join(d, "seed-" + name), "wb") as f:
                f.write(data)
        print(f"fuzz/corpus/{target}: {len(seeds)} seed(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
