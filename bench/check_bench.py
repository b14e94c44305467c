#!/usr/bin/python3
"""bench/check_bench.py — the CTest checks of `veritensor bench` (bench/CMakeLists.txt).

What it is: runs the command on a tiny workload and checks its exit code, its table and the JSON
it writes:
  clean   BIN JSON  exit 0, and every timed case carries a verification record whose verdict is
                    "passed" before and after timing, with seed, threads and build;
  peers   BIN JSON  with --compare numpy,torch every timed case has a ratio for both
                    (exit 77 = skipped when Debian's python3-torch is not installed);
  planted BIN JSON  the planted lost-tail add is REJECTED where its bug shows (a length that is
                    not a multiple of 16): exit 1, "REJECTED" printed, no time for it in the JSON;
  programs BIN JSON the program workloads (linear forward+backward, autograd overhead) are
                    verified and timed: exit 0, records with their parts, autograd on 1 thread;
  planted_program BIN JSON
                    a program run with a planted op (--variant op=name: mul's wrong-sign VJP in
                    (x*w).sum().backward(), Adam without bias correction in the MLP step) is
                    REJECTED: exit 1, no time, the failing part named in the record.
What it is not: a benchmark — the timing is as short as Google Benchmark allows.
"""
import json
import os
import subprocess
import sys


def run(cmd):
    print("$", " ".join(cmd), flush=True)
    p = subprocess.run(cmd, capture_output=True, text=True)
    print(p.stdout, p.stderr, sep="\n", flush=True)
    return p


def fail(msg):
    print("check_bench: FAILED:", msg)
    sys.exit(1)


def load(path):
    with open(path) as f:
        return json.load(f)


def check_record(case):
    v = case.get("verification")
    if not v:
        fail(f"{case['workload']}: a figure without a verification record")
    for when in ("before_timing", "after_timing"):
        if v.get(when, {}).get("verdict") != "passed":
            fail(f"{case['workload']}: verification {when} is {v.get(when)}")
    for key in ("seed", "threads", "build"):
        if key not in v:
            fail(f"{case['workload']}: verification record lacks {key}")
    if v["threads"] != case["threads"]:
        fail(f"{case['workload']}: record threads {v['threads']} != case threads")


def main():
    mode, binary, out = sys.argv[1], sys.argv[2], sys.argv[3]
    if os.path.exists(out):
        os.remove(out)
    tiny = ["--min-time", "0.01", "--json", out]
    if mode == "clean":
        p = run([binary, "bench", "--op", "add 100x100,sum 100x1000 all,matmul 100",
                 "--threads", "1,2"] + tiny)
        if p.returncode != 0:
            fail(f"exit {p.returncode}, expected 0")
        cases = load(out)["cases"]
        if len(cases) != 2 * (1 + 1 + 2):
            fail(f"{len(cases)} cases, expected 8")
        for c in cases:
            if c["status"] != "timed" or not c["time"]["median_s"] > 0:
                fail(f"{c['workload']}: not timed ({c['status']})")
            check_record(c)
    elif mode == "peers":
        probe = subprocess.run(["/usr/bin/python3", "-c", "import numpy, torch"],
                               capture_output=True, text=True)
        if probe.returncode != 0:
            print("check_bench: SKIPPED: NumPy/PyTorch not importable by /usr/bin/python3 "
                  "(Debian python3-numpy, python3-torch):", probe.stderr.strip().splitlines()[-1:])
            sys.exit(77)
        p = run([binary, "bench", "--op", "add 100x100", "--threads", "1",
                 "--compare", "numpy,torch"] + tiny)
        if p.returncode != 0:
            fail(f"exit {p.returncode}, expected 0")
        cases = load(out)["cases"]
        for c in cases:
            check_record(c)
            for peer in ("numpy", "torch"):
                r = c["peers"].get(peer, {}).get("ratio")
                if not (isinstance(r, float) and r > 0):
                    fail(f"{c['workload']}: no {peer} ratio: {c['peers'].get(peer)}")
        if "ratio" not in p.stdout and "×" not in p.stdout:
            fail("the table shows no ratio")
    elif mode == "planted":
        # The lost tail only shows where n % 16 != 0: "add 10007" must be REJECTED; the other add
        # workloads (multiples of 16) are computed correctly by the mutant on the timed buffers,
        # so they pass the gate and are timed — the gate judges the buffers it times.
        p = run([binary, "bench", "--op", "add", "--variant", "mutant_lost_tail",
                 "--threads", "1"] + tiny)
        if p.returncode != 1:
            fail(f"exit {p.returncode}, expected 1")
        if "REJECTED" not in p.stdout:
            fail("the table does not say REJECTED")
        cases = load(out)["cases"]
        rejected = [c for c in cases if c["status"] == "REJECTED"]
        if [c["workload"] for c in rejected] != ["add 10007"]:
            fail(f"rejected: {[c['workload'] for c in rejected]}, expected ['add 10007']")
        for c in rejected:
            if "time" in c or "peers" in c:
                fail(f"{c['workload']}: a planted bug has a figure")
            before = c["verification"]["before_timing"]
            if before["verdict"].lower() != "failed" or "worst" not in before:
                fail(f"{c['workload']}: verdict {before}")
        for c in cases:
            if c["status"] == "timed":
                check_record(c)
    elif mode == "programs":
        p = run([binary, "bench", "--op", "autograd*,linear fwd+bwd b1", "--threads", "1,2"]
                + tiny)
        if p.returncode != 0:
            fail(f"exit {p.returncode}, expected 0")
        cases = load(out)["cases"]
        got = sorted((c["workload"], c["threads"]) for c in cases)
        want = sorted([("autograd (x*w).sum() 10x10", 1), ("autograd chain100 10x10", 1),
                       ("linear fwd+bwd b1", 1), ("linear fwd+bwd b1", 2)])
        if got != want:
            fail(f"cases {got}, expected {want} (autograd runs on 1 thread only)")
        for c in cases:
            if c["status"] != "timed" or c.get("kind") != "program":
                fail(f"{c['workload']}: {c['status']}, kind {c.get('kind')}")
            check_record(c)
            parts = c["verification"]["after_timing"].get("parts", [])
            if len(parts) < 2 or any(q["verdict"] != "passed" for q in parts):
                fail(f"{c['workload']}: parts {parts}")
    elif mode == "planted_program":
        runs = [(["--op", "autograd (x*w)*", "--variant", "mul=mutant_vjp_wrong_sign"],
                 "autograd (x*w).sum() 10x10", "grad w = x"),
                (["--op", "mlp*adam", "--variant", "adam_step=mutant_adam_no_bias_correction"],
                 "mlp 784-256-128-10 adam", "loss, parameters, state")]
        for args, workload, part in runs:
            p = run([binary, "bench", "--threads", "1"] + args + tiny)
            if p.returncode != 1:
                fail(f"{workload}: exit {p.returncode}, expected 1")
            if "REJECTED" not in p.stdout:
                fail(f"{workload}: the table does not say REJECTED")
            cases = load(out)["cases"]
            if [(c["workload"], c["status"]) for c in cases] != [(workload, "REJECTED")]:
                fail(f"cases {[(c['workload'], c['status']) for c in cases]}")
            c = cases[0]
            if "time" in c or "peers" in c or not c["planted_bug"]:
                fail(f"{workload}: a planted bug has a figure or is not marked planted")
            before = c["verification"]["before_timing"]
            failed = [q["name"] for q in before.get("parts", []) if q["verdict"] != "passed"]
            if before["verdict"].lower() != "failed" or part not in failed:
                fail(f"{workload}: expected part '{part}' to fail, got {before}")
    else:
        fail(f"unknown mode {mode}")
    print("check_bench: passed")


if __name__ == "__main__":
    main()
