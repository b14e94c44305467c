#!/usr/bin/python3
"""tests/bad-input/make.py — writes the committed bad-input .npy files of tests/bad-input/.

What it is: the documented generator of every binary file cases.json refers to — malformed
.npy images built byte by byte (the format: numpy/lib/format.py), plus the few valid files the
cases need (Fortran order, NaN/inf, operands). Deterministic: rerunning it rewrites the same
bytes (`make.py --check` says whether the committed files are current).
What it is not: the test — tests/bad_input.cpp runs `veritensor` on these files as cases.json
says. fuzz/libfuzzer/make_seeds.py imports npy_files() to seed the npy fuzz corpus too.

Run with Debian's /usr/bin/python3 (NumPy 1.24): /usr/bin/python3 tests/bad-input/make.py
"""
import io
import os
import struct
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def header_bytes(header: str, version=(1, 0), align=64, length=None) -> bytes:
    """Magic, version, header length and the header padded with spaces and '\\n' to `align`."""
    lenfmt = "<H" if version[0] == 1 else "<I"
    pre = 8 + struct.calcsize(lenfmt)
    body = header.encode("utf-8" if version[0] == 3 else "latin1")
    total = len(body) + 1
    pad = (-(pre + total)) % align
    body = body + b" " * pad + b"\n"
    n = len(body) if length is None else length
    return b"\x93NUMPY" + bytes(version) + struct.pack(lenfmt, n) + body


def npy(descr: str, shape: str, data: bytes, fortran=False, **kw) -> bytes:
    h = "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }" % (descr, fortran, shape)
    return header_bytes(h, **kw) + data


def saved(a, **kw) -> bytes:
    buf = io.BytesIO()
    np.save(buf, a, **kw)
    return buf.getvalue()


def npy_files() -> dict:
    """name → bytes: the bad (and the few valid) .npy files the bad-input cases use."""
    f8 = struct.pack("<6d", 1, 2, 3, 4, 5, 6)
    good = npy("<f8", "(2, 3)", f8)
    return {
        # --- malformed: each must be refused with one line naming the file
        "empty.npy": b"",
        "truncated_preamble.npy": b"\x93NUMPY\x01",
        "truncated_data.npy": good[:-5],
        "bad_magic.npy": b"\x93NUMPZ" + good[6:],
        "not_npy.npy": b"a,b,c\n1,2,3\n",
        "header_longer_than_file.npy": good[:8] + struct.pack("<H", 0xFFF0) + good[10:],
        "version_9.npy": b"\x93NUMPY\x09\x00" + good[8:],
        "non_dict_header.npy": header_bytes("[('descr', '<f8'), ('shape', (2, 3))]") + f8,
        "header_not_python.npy": header_bytes("descr=<f8 shape=2,3") + f8,
        "missing_shape_key.npy": header_bytes("{'descr': '<f8', 'fortran_order': False, }") + f8,
        "unknown_dtype.npy": npy("<c16", "(2,)", bytes(32)),
        "unicode_dtype.npy": saved(np.array(["ab", "cd"])),
        "structured_dtype.npy": saved(np.zeros(2, dtype=[("a", "<f4"), ("b", "<i4")])),
        "float16.npy": saved(np.ones(3, np.float16)),
        "big_endian.npy": saved(np.arange(6, dtype=">f8").reshape(2, 3)),
        "object.npy": saved(np.array([1, "a", None], dtype=object), allow_pickle=True),
        "negative_shape.npy": npy("<f8", "(-2, 3)", f8),
        "overflowing_shape.npy": npy("<f8", "(99999999999999999999, 3)", f8),
        "overflowing_product.npy": npy("<f8", "(4294967296, 4294967296)", f8),
        "overflowing_bytes.npy": npy("<f8", "(1152921504606846976, 2)", f8),
        "shape_larger_than_file.npy": npy("<f8", "(1000, 1000)", f8),
        "trailing_bytes.npy": good + b"\0" * 8,
        "non_integer_shape.npy": npy("<f8", "(2.0, 3)", f8),
        "bool_byte_2.npy": npy("|b1", "(3,)", b"\x00\x01\x02"),
        "int_input.npy": saved(np.arange(6, dtype=np.int32).reshape(2, 3)),
        # --- valid: must load and give the right answer
        "fortran.npy": saved(np.asfortranarray(np.arange(6, dtype=np.float64).reshape(2, 3) - 2.5)),
        "c_order.npy": saved(np.arange(6, dtype=np.float64).reshape(2, 3) - 2.5),
        "specials.npy": saved(np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0, -1.0, 1e308])),
        "specials_b.npy": saved(np.array([1.0, -np.inf, np.inf, -0.0, np.nan, np.inf, 0.0, 1e308])),
        "a34.npy": saved(np.ones((3, 4), np.float32)),
        "b5.npy": saved(np.ones((5,), np.float32)),
        "a34_f64.npy": saved(np.ones((3, 4), np.float64)),
        "v3_unicode_header.npy": header_bytes(
            "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }", version=(3, 0)) + f8,
        "v2.npy": header_bytes(
            "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }", version=(2, 0)) + f8,
    }


def text_files() -> dict:
    """name → bytes: non-.npy bad inputs (a ledger, golden manifests, tuning profiles)."""
    return {
        "ledger_wrong_fields.txt": b"# a ledger\nexp optimized loop float32 ulp\n",
        "ledger_bad_number.txt": b"exp optimized loop float32 ulp banana\n",
        "ledger_bad_dtype.txt": b"exp optimized loop float16 ulp 0.5\n",
        # found by fuzz/libfuzzer/ledger.cpp: a NUL inside a field (serialize() dropped the rest)
        "ledger_nul_in_field.txt": b"exp optimized\x00x loop float32 ulp 0.5\n",
        "golden_malformed/manifest.json": b'{"format": 1, "cases": [{"id": ',
        "golden_not_object/manifest.json": b"[1, 2, 3]\n",
        "golden_empty/.keep": b"",
        # tuning profiles (optimized/core/tuning.hpp), read by `veritensor tune --check FILE`
        'profile_empty.json': b'',
        'profile_truncated.json': b'{"veritensor_profile": 1, "families": {"elementwise": {"parallel_threshold": 65',
        'profile_not_object.json': b'[1, 2]\n',
        'profile_no_version.json': b'{"families": {}}\n',
        'profile_wrong_version.json': b'{"veritensor_profile": 2, "families": {}}\n',
        'profile_unknown_family.json': b'{"veritensor_profile": 1, "families": {"elementwize": {"parallel_threshold": 4096}}}\n',
        'profile_negative_threshold.json': b'{"veritensor_profile": 1, "families": {"reduction": {"parallel_threshold": -5}}}\n',
        'profile_fractional_threshold.json': b'{"veritensor_profile": 1, "families": {"elementwise": {"parallel_threshold": 1.5}}}\n',
        'profile_string_threshold.json': b'{"veritensor_profile": 1, "families": {"elementwise": {"parallel_threshold": "big"}}}\n',
        'profile_grain_not_multiple.json': b'{"veritensor_profile": 1, "families": {"elementwise": {"grain": 100}}}\n',
        'profile_grain_zero.json': b'{"veritensor_profile": 1, "families": {"reduction": {"grain": 0}}}\n',
        'profile_grain_not_tunable.json': b'{"veritensor_profile": 1, "families": {"softmax": {"grain": 4096}}}\n',
        'profile_family_not_object.json': b'{"veritensor_profile": 1, "families": {"shape": 4096}}\n',
        'profile_unknown_field.json': b'{"veritensor_profile": 1, "families": {"loss": {"threshold": 4096}}}\n',
        # found by fuzz/libfuzzer/profile.cpp: a number beyond double escaped as out_of_range
        'profile_number_overflow.json': b'{"veritensor_profile": 1, "families": {"optim": {"parallel_threshold": 1e999}}}\n',
        'profile_valid.json': b'{"veritensor_profile": 1, "machine": {"cpu": "test"}, "families": {"elementwise": {"parallel_threshold": 65536, "grain": 16384}, "reduction": {"parallel_threshold": "never"}}}\n',
    }


def main() -> int:
    check = "--check" in sys.argv[1:]
    stale = []
    files = {}
    files.update({os.path.join("files", k): v for k, v in npy_files().items()})
    files.update({os.path.join("files", k): v for k, v in text_files().items()})
    for rel, data in sorted(files.items()):
        path = os.path.join(HERE, rel)
        old = open(path, "rb").read() if os.path.exists(path) else None
        if old == data:
            continue
        stale.append(rel)
        if not check:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(data)
    if check and stale:
        print("tests/bad-input: stale or missing: " + ", ".join(stale))
        return 1
    print("tests/bad-input: %d file(s) %s" % (len(files), "current" if check else "written"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
