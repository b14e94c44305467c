// tests/cli.cpp — the `veritensor` command as a user meets it: exit codes 0/1/2, one-line errors,
// `eval` on .npy files written by NumPy (results checked by NumPy, an independent source), and
// no output file left behind on error. What it is not: a test of verification internals.
#include <boost/test/unit_test.hpp>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace fs = std::filesystem;

namespace {

struct Result {
  int rc = -1;
  std::string out, err;
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Sandbox {
  fs::path dir;
  Sandbox() {
    dir = fs::temp_directory_path() / ("vt_cli_" + std::to_string(std::rand()) + "_" +
                                       std::to_string(reinterpret_cast<std::uintptr_t>(this)));
    fs::create_directories(dir);
  }
  ~Sandbox() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  std::string path(const std::string& name) const { return (dir / name).string(); }

  Result run(const std::string& args) const {
    const char* bin = std::getenv("VERITENSOR_BIN");
    BOOST_REQUIRE_MESSAGE(bin, "VERITENSOR_BIN is not set (run through CTest)");
    const std::string cmd =
        std::string(bin) + " " + args + " >" + path("stdout") + " 2>" + path("stderr");
    Result r;
    const int status = std::system(cmd.c_str());
    r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = slurp(path("stdout"));
    r.err = slurp(path("stderr"));
    return r;
  }

  /// Runs Python with NumPy (Debian's /usr/bin/python3); returns its exit code.
  int python(const std::string& code) const {
    const fs::path script = dir / "script.py";
    std::ofstream(script) << "import numpy as np, os\nos.chdir("
                          << "'" << dir.string() << "')\n"
                          << code;
    return std::system(
               ("/usr/bin/python3 " + script.string() + " >" + path("py.out") + " 2>&1").c_str()) ==
                   0
               ? 0
               : 1;
  }
};

int count_lines(const std::string& s) {
  int n = 0;
  for (char c : s) n += c == '\n';
  return n;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(cli)

BOOST_AUTO_TEST_CASE(list_check_passes) {
  Sandbox s;
  Result r = s.run("list --check");
  BOOST_TEST(r.rc == 0);
  BOOST_TEST(r.out.find("add") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(verify_exit_codes) {
  Sandbox s;
  Result ok = s.run("verify --op add --dtype float32 --no-ledger");
  BOOST_TEST(ok.rc == 0);
  BOOST_TEST(ok.out.find("passed") != std::string::npos);
  Result bad = s.run("verify --op no_such_op");
  BOOST_TEST(bad.rc == 2);
  BOOST_TEST(count_lines(bad.err) == 1);
  BOOST_TEST(bad.err.find("no op matches") != std::string::npos);
  Result bad_dtype = s.run("verify --op add --dtype float16");
  BOOST_TEST(bad_dtype.rc == 2);
  BOOST_TEST(count_lines(bad_dtype.err) == 1);
  Result bad_json = s.run("verify --op add --json " + s.path("missing/dir/report.json"));
  BOOST_TEST(bad_json.rc == 2);
  BOOST_TEST(!fs::exists(s.path("missing")));
}

// --bitwise reruns every case; matmul promises only per-thread-count bits (OpenBLAS) and the
// report must say so, with the reason, in the text and in the JSON.
BOOST_AUTO_TEST_CASE(verify_bitwise_names_what_is_not_deterministic) {
  Sandbox s;
  Result r = s.run(
      "verify --op matmul,sum --dtype float32 --regime structural --bitwise "
      "--no-ledger --json " +
      s.path("b.json"));
  BOOST_TEST(r.rc == 0);
  BOOST_TEST(r.out.find("not bitwise across thread counts: matmul optimized/openblas") !=
             std::string::npos);
  BOOST_TEST(r.out.find("not bitwise across thread counts: sum") == std::string::npos);
  BOOST_TEST(s.python("import json\n"
                      "j = json.load(open('b.json'))\n"
                      "assert j['bitwise'] is True\n"
                      "d = {r['op']: r['determinism'] for r in j['rows']}\n"
                      "assert d == {'matmul': 'per-thread-count', 'sum': 'bitwise'}, d\n") == 0);
}

BOOST_AUTO_TEST_CASE(verify_writes_json_and_junit) {
  Sandbox s;
  Result r = s.run("verify --op add --dtype float64 --no-ledger --json " + s.path("r.json") +
                   " --junit " + s.path("r.xml"));
  BOOST_TEST(r.rc == 0);
  BOOST_TEST(s.python("import json, xml.etree.ElementTree as ET\n"
                      "j = json.load(open('r.json'))\n"
                      "assert j['verdict'] == 'passed' and j['rows'][0]['op'] == 'add'\n"
                      "assert j['rows'][0]['cases'] > 20\n"
                      "t = ET.parse('r.xml').getroot()\n"
                      "assert t.find('testsuite').get('failures') == '0'\n") == 0);
}

BOOST_AUTO_TEST_CASE(eval_matches_numpy) {
  Sandbox s;
  BOOST_REQUIRE(s.python("rng = np.random.default_rng(7)\n"
                         "np.save('a.npy', rng.standard_normal((3, 4)).astype(np.float32))\n"
                         "np.save('b.npy', rng.standard_normal(4).astype(np.float32))\n"
                         "np.save('f.npy', np.asfortranarray(rng.standard_normal((5, 3))))\n") ==
                0);
  Result r = s.run("eval --op add --backend optimized --in " + s.path("a.npy") + " " +
                   s.path("b.npy") + " --out " + s.path("c.npy"));
  BOOST_TEST(r.rc == 0);
  BOOST_TEST(r.err.empty());
  // float32 addition is one correctly rounded operation: NumPy's result is bit-identical.
  BOOST_TEST(s.python("a, b, c = np.load('a.npy'), np.load('b.npy'), np.load('c.npy')\n"
                      "assert c.dtype == np.float32 and c.shape == (3, 4)\n"
                      "assert np.array_equal(c, a + b)\n") == 0);
  // Fortran-order input, and the reference backend (float64 output rounded once from float128).
  r = s.run("eval --op neg --backend reference --in " + s.path("f.npy") + " --out " +
            s.path("g.npy"));
  BOOST_TEST(r.rc == 0);
  BOOST_TEST(s.python("f, g = np.load('f.npy'), np.load('g.npy')\n"
                      "assert g.dtype == np.float64 and np.array_equal(g, -f)\n") == 0);
}

// eval --grad-output: the VJP on the user's own files. mul's gradients are g·b and Σ(g·a) over
// the broadcast rows; NumPy computes the same in float64, each product and the two-term sums
// rounded once (float128 then float64 for the reference, float64 sums for optimized): equal.
BOOST_AUTO_TEST_CASE(eval_grad_output_matches_numpy) {
  Sandbox s;
  BOOST_REQUIRE(s.python("rng = np.random.default_rng(11)\n"
                         "np.save('a.npy', rng.integers(-8, 8, (2, 3)).astype(np.float64))\n"
                         "np.save('b.npy', rng.integers(-8, 8, 3).astype(np.float64))\n"
                         "np.save('g.npy', rng.integers(-4, 4, (2, 3)).astype(np.float64))\n") ==
                0);
  for (const char* backend : {"optimized", "reference"}) {
    Result r = s.run(std::string("eval --op mul --backend ") + backend + " --in " +
                     s.path("a.npy") + " " + s.path("b.npy") + " --grad-output " + s.path("g.npy") +
                     " --out-grads " + s.path("ga.npy") + "," + s.path("gb.npy"));
    BOOST_TEST(r.rc == 0, backend << ": " << r.err);
    BOOST_TEST(s.python("a, b, g = np.load('a.npy'), np.load('b.npy'), np.load('g.npy')\n"
                        "ga, gb = np.load('ga.npy'), np.load('gb.npy')\n"
                        "assert ga.shape == a.shape and gb.shape == b.shape\n"
                        "assert np.array_equal(ga, g * b), ga\n"
                        "assert np.array_equal(gb, (g * a).sum(axis=0)), gb\n") == 0);
  }
  // A gradient of the wrong shape: exit 2, one line, and no gradient file written.
  Result bad =
      s.run("eval --op mul --in " + s.path("a.npy") + " " + s.path("b.npy") + " --grad-output " +
            s.path("b.npy") + " --out-grads " + s.path("x.npy") + "," + s.path("y.npy"));
  BOOST_TEST(bad.rc == 2);
  BOOST_TEST(count_lines(bad.err) == 1);
  BOOST_TEST(!fs::exists(s.path("x.npy")));
  BOOST_TEST(!fs::exists(s.path("y.npy")));
}

BOOST_AUTO_TEST_CASE(bad_input_is_one_line_exit_2_and_no_output) {
  Sandbox s;
  BOOST_REQUIRE(s.python("np.save('a.npy', np.ones((3, 4), np.float32))\n"
                         "np.save('b.npy', np.ones((5,), np.float32))\n"
                         "open('bad.npy', 'wb').write(b'\\x93NUMPY\\x01\\x00\\xff\\xff')\n") == 0);
  struct Bad {
    std::string args, phrase;
  };
  const Bad cases[] = {
      {"eval --op add --in " + s.path("bad.npy") + " " + s.path("a.npy") + " --out " +
           s.path("o.npy"),
       "bad.npy"},
      {"eval --op add --in " + s.path("a.npy") + " " + s.path("b.npy") + " --out " +
           s.path("o.npy"),
       "broadcast"},
      {"eval --op add --in " + s.path("a.npy") + " --out " + s.path("o.npy"), "input"},
      {"eval --op nosuch --in " + s.path("a.npy") + " --out " + s.path("o.npy"), "unknown op"},
      {"eval --op add --attr axis=1 --in " + s.path("a.npy") + " " + s.path("a.npy") + " --out " +
           s.path("o.npy"),
       "unknown attribute"},
      {"eval --op add --in " + s.path("a.npy") + " " + s.path("missing.npy") + " --out " +
           s.path("o.npy"),
       "missing.npy"},
      {"eval --op add --in " + s.path("a.npy") + " " + s.path("a.npy") + " --out " +
           s.path("nodir/o.npy"),
       "o.npy"},
  };
  for (const Bad& b : cases) {
    BOOST_TEST_CONTEXT(b.args) {
      Result r = s.run(b.args);
      BOOST_TEST(r.rc == 2);
      BOOST_TEST(count_lines(r.err) == 1);
      BOOST_TEST(r.err.find(b.phrase) != std::string::npos, "stderr: " << r.err);
      BOOST_TEST(!fs::exists(s.path("o.npy")));
      BOOST_TEST(!fs::exists(s.path("nodir")));
    }
  }
  // NaN and inf are valid input: they propagate as IEEE says, exit 0.
  BOOST_REQUIRE(s.python("np.save('n.npy', np.array([np.nan, np.inf, -np.inf, 1.0]))\n") == 0);
  Result r = s.run("eval --op add --in " + s.path("n.npy") + " " + s.path("n.npy") + " --out " +
                   s.path("o.npy"));
  BOOST_TEST(r.rc == 0);
  BOOST_TEST(s.python("o = np.load('o.npy'); n = np.load('n.npy')\n"
                      "assert np.array_equal(o, n + n, equal_nan=True)\n") == 0);
}

// veritensor golden: a missing or malformed manifest, or a case whose file is missing, is one
// clear line and exit 2 (not a crash); a case whose golden output is wrong for the op is a failed
// case (exit 1) that names the case; a right one passes (exit 0).
BOOST_AUTO_TEST_CASE(golden_bad_input_and_wrong_goldens) {
  Sandbox s;
  fs::create_directories(s.dir / "g" / "data");
  Result r = s.run("golden --dir " + s.path("nothing"));
  BOOST_TEST(r.rc == 2);
  BOOST_TEST(r.err.find("manifest.json") != std::string::npos);
  std::ofstream(s.dir / "g" / "manifest.json") << "{\"format\": 1, \"cases\": [{\"id\": 3}]}";
  r = s.run("golden --dir " + s.path("g"));
  BOOST_TEST(r.rc == 2);
  BOOST_TEST(count_lines(r.err) == 1);
  BOOST_TEST(r.err.find("malformed manifest") != std::string::npos);
  BOOST_REQUIRE(s.python("a = np.array([1.5, -2.0, 3.25], dtype=np.float32)\n"
                         "b = np.array([0.5, 4.0, -1.0], dtype=np.float32)\n"
                         "g = np.array([0.25, -1.0, 2.0], dtype=np.float32)\n"
                         "np.save('g/data/a.npy', a); np.save('g/data/b.npy', b)\n"
                         "np.save('g/data/g.npy', g)\n"
                         "np.save('g/data/good.npy', a + b)\n"
                         "np.save('g/data/bad.npy', a - b)\n"
                         "np.save('g/data/ga.npy', g * b); np.save('g/data/gb.npy', g * a)\n"
                         "np.save('g/data/ga_flipped.npy', -(g * b))\n"
                         "np.save('g/data/nan.npy', np.full((2, 3), np.nan, np.float32))\n") == 0);
  // g/manifest.json with these cases and the sha256 of every file in g/data at this moment.
  auto manifest_of = [&](const std::string& cases) {
    std::ofstream(s.dir / "g" / "cases.json") << "[" << cases << "]";
    BOOST_REQUIRE(s.python("import hashlib, json, pathlib\n"
                           "h = {p.name: hashlib.sha256(p.read_bytes()).hexdigest()\n"
                           "     for p in pathlib.Path('g/data').glob('*.npy')}\n"
                           "m = {'format': 1, 'cases': json.load(open('g/cases.json')), "
                           "'sha256': h}\n"
                           "json.dump(m, open('g/manifest.json', 'w'))\n") == 0);
  };
  auto add_case = [](const std::string& out) {
    return "{\"id\": \"add/float32/exact/0\", \"op\": \"add\", \"attrs\": {}, \"dtype\": "
           "\"float32\", \"regime\": \"exact\", \"library\": \"numpy\", \"library_version\": "
           "\"test\", \"seed\": 1, \"inputs\": [\"a.npy\", \"b.npy\"], \"outputs\": [\"" +
           out + "\"]}";
  };
  manifest_of(add_case("good.npy"));
  r = s.run("golden --dir " + s.path("g"));
  BOOST_TEST(r.rc == 0, r.out);
  manifest_of(add_case("bad.npy"));  // a − b: outside the exact class, our backend agrees
  r = s.run("golden --dir " + s.path("g"));
  BOOST_TEST(r.rc == 0, r.out);  // the library's side: reported, not our failure
  BOOST_TEST(r.out.find("the library's side") != std::string::npos, r.out);
  manifest_of(add_case("missing.npy"));
  r = s.run("golden --dir " + s.path("g"));
  BOOST_TEST(r.rc == 1);
  BOOST_TEST(r.out.find("add/float32/exact/0") != std::string::npos, r.out);

  // A PyTorch-style VJP case of mul: inputs a, b, then the output gradient g; outputs g·b, g·a.
  auto vjp_case = [](const std::string& ga) {
    return "{\"id\": \"mul/vjp/float32/random/0\", \"op\": \"mul\", \"kind\": \"vjp\", "
           "\"attrs\": {}, \"dtype\": \"float32\", \"regime\": \"random\", \"library\": "
           "\"torch\", \"library_version\": \"test\", \"seed\": 1, \"forward_inputs\": 2, "
           "\"inputs\": [\"a.npy\", \"b.npy\", \"g.npy\"], \"outputs\": [\"" +
           ga + "\", \"gb.npy\"]}";
  };
  manifest_of(vjp_case("ga.npy"));
  r = s.run("golden --dir " + s.path("g"));
  BOOST_TEST(r.rc == 0, r.out);
  BOOST_TEST(r.out.find("mul vjp float32") != std::string::npos, r.out);
  // The gradient of a with its sign flipped: flagged, naming the case, on the library's side
  // (our backends agree with the reference VJP, as for a wrong forward golden).
  manifest_of(vjp_case("ga_flipped.npy"));
  r = s.run("golden --dir " + s.path("g"));
  BOOST_TEST(r.out.find("note: mul/vjp/float32/random/0") != std::string::npos, r.out);
  BOOST_TEST(r.out.find("golden vs reference: 3 of 6 element(s)") != std::string::npos, r.out);
  BOOST_TEST(r.out.find("the library's side") != std::string::npos, r.out);

  // An edited file: its sha256 no longer matches the manifest — a failed case naming the file.
  manifest_of(add_case("good.npy") + ", " + vjp_case("ga.npy"));
  BOOST_REQUIRE(s.python("np.save('g/data/b.npy', np.array([0.5, 4.0, -2.0], np.float32))\n") == 0);
  r = s.run("golden --dir " + s.path("g"));
  BOOST_TEST(r.rc == 1, r.out);
  BOOST_TEST(r.out.find("hash mismatch") != std::string::npos, r.out);
  BOOST_TEST(r.out.find("b.npy") != std::string::npos, r.out);
  BOOST_TEST(r.out.find("FAILED: add/float32/exact/0") != std::string::npos, r.out);
  BOOST_TEST(r.out.find("FAILED: mul/vjp/float32/random/0") != std::string::npos, r.out);

  // NaN and infinite real attributes are spelled "nan", "inf", "-inf" in the manifest.
  auto full_case = [](const std::string& value) {
    return "{\"id\": \"full/float32/adversarial/0\", \"op\": \"full\", \"attrs\": "
           "{\"shape\": [2, 3], \"value\": \"" +
           value +
           "\"}, \"dtype\": \"float32\", \"regime\": \"adversarial\", \"library\": "
           "\"numpy\", \"library_version\": \"test\", \"seed\": 1, \"inputs\": [], "
           "\"outputs\": [\"nan.npy\"]}";
  };
  manifest_of(full_case("nan"));
  r = s.run("golden --dir " + s.path("g"));
  BOOST_TEST(r.rc == 0, r.out);
  manifest_of(full_case("banana"));  // not a number: the case fails, naming the attribute
  r = s.run("golden --dir " + s.path("g"));
  BOOST_TEST(r.rc == 1, r.out);
  BOOST_TEST(r.out.find("\"value\" is a real") != std::string::npos, r.out);
}

BOOST_AUTO_TEST_SUITE_END()
