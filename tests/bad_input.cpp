// tests/bad_input.cpp — the bad-input corpus (tests/bad-input/), run as a user meets it.
// What it is: for every case of tests/bad-input/cases.json, runs $VERITENSOR_BIN with the case's
// arguments ({dir}: the committed files in tests/bad-input/files, {out}: a fresh, empty output
// directory) and checks the exit code; for an error (exit 2): exactly one line on stderr that
// contains the case's phrase and names the file or op; always: nothing left in {out} but what
// the case declares (no partial output, no temporary file), and no sanitizer report on stderr
// ("Sanitizer", "runtime error") — so the ASan build's run of this suite is the "no sanitizer
// report on bad input" check. Valid inputs (Fortran order, NaN/inf) exit 0 and their outputs
// are checked against NumPy (/usr/bin/python3), an independent implementation.
// What it is not: the unit tests of the .npy parser (tests/npy.cpp) or of the CLI (tests/cli.cpp).
#include <boost/test/unit_test.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <sys/wait.h>

namespace fs = std::filesystem;

namespace {

const fs::path kCorpus = "tests/bad-input";  // CTest runs the suite in the source tree

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (std::size_t pos = 0; (pos = s.find(from, pos)) != std::string::npos; pos += to.size())
    s.replace(pos, from.size(), to);
  return s;
}

/// Single-quoted for /bin/sh.
std::string quote(const std::string& s) { return "'" + replace_all(s, "'", "'\\''") + "'"; }

std::set<std::string> listing(const fs::path& dir) {
  std::set<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    out.insert(fs::relative(e.path(), dir).string());
  return out;
}

std::string join(const std::set<std::string>& s) {
  std::string out;
  for (const std::string& x : s) out += (out.empty() ? "" : ", ") + x;
  return "{" + out + "}";
}

struct Scratch {
  fs::path root;
  Scratch() {
    std::string tmpl = (fs::temp_directory_path() / "vt-bad-input-XXXXXX").string();
    BOOST_REQUIRE(::mkdtemp(tmpl.data()));
    root = tmpl;
    fs::create_directory(root / "out");
  }
  ~Scratch() {
    std::error_code ec;
    fs::remove_all(root, ec);
  }
  fs::path out() const { return root / "out"; }
};

nlohmann::json load_cases() {
  const std::string text = slurp(kCorpus / "cases.json");
  BOOST_REQUIRE_MESSAGE(!text.empty(), "cannot read " << (kCorpus / "cases.json"));
  return nlohmann::json::parse(text);
}

void run_case(const nlohmann::json& c) {
  const char* bin = std::getenv("VERITENSOR_BIN");
  BOOST_REQUIRE_MESSAGE(bin, "VERITENSOR_BIN is not set (run through CTest)");
  Scratch s;
  const std::string dir = fs::absolute(kCorpus / "files").string();
  const auto subst = [&](const std::string& a) {
    return replace_all(replace_all(a, "{dir}", dir), "{out}", s.out().string());
  };
  // Setup inside {out}: directories and regular files the case needs to exist.
  for (const auto& d : c.value("mkdir", nlohmann::json::array()))
    fs::create_directories(s.out() / d.get<std::string>());
  for (const auto& f : c.value("touch", nlohmann::json::array()))
    std::ofstream(s.out() / f.get<std::string>()) << "not a .npy file\n";
  std::set<std::string> expected = listing(s.out());
  for (const auto& f : c.value("outputs", nlohmann::json::array()))
    expected.insert(f.get<std::string>());

  std::string cmd = quote(bin);
  for (const auto& a : c.at("args")) cmd += " " + quote(subst(a.get<std::string>()));
  cmd += " >" + quote((s.root / "stdout").string()) + " 2>" + quote((s.root / "stderr").string());
  const int status = std::system(cmd.c_str());
  const int rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  const std::string err = slurp(s.root / "stderr");

  BOOST_TEST(rc == c.at("exit").get<int>(), "exit code " << rc << "; stderr: " << err);
  BOOST_TEST(err.find("Sanitizer") == std::string::npos, "sanitizer report: " << err);
  BOOST_TEST(err.find("runtime error") == std::string::npos, "UBSan report: " << err);
  if (c.at("exit").get<int>() == 2) {
    const std::size_t newlines = static_cast<std::size_t>(std::count(err.begin(), err.end(), '\n'));
    BOOST_TEST((newlines == 1 && err.back() == '\n'), "not exactly one line: " << err);
    const std::string phrase = c.at("phrase").get<std::string>();
    BOOST_TEST(err.find(phrase) != std::string::npos, "'" << phrase << "' not in: " << err);
    const std::string names = subst(c.at("names").get<std::string>());
    BOOST_TEST(err.find(names) != std::string::npos, "'" << names << "' not named in: " << err);
  } else {
    BOOST_TEST(err.empty(), "stderr: " << err);
  }
  const std::set<std::string> left = listing(s.out());
  BOOST_TEST((left == expected), "{out} holds " << join(left) << ", expected " << join(expected));

  if (c.contains("numpy")) {
    // The check runs in Debian's Python with NumPy; `d` and `o` are the two directories.
    const fs::path script = s.root / "check.py";
    std::ofstream(script) << "import numpy as np\nd = "
                          << "'" << dir << "'\no = '" << s.out().string() << "'\n"
                          << c.at("numpy").get<std::string>() << "\n";
    const std::string py = "/usr/bin/python3 " + quote(script.string()) + " >" +
                           quote((s.root / "py.out").string()) + " 2>&1";
    const int py_status = std::system(py.c_str());
    BOOST_TEST(py_status == 0, "NumPy check failed: " << slurp(s.root / "py.out"));
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(bad_input)

// The committed files are what make.py writes (a stale file would test something else).
BOOST_AUTO_TEST_CASE(files_are_current) {
  const std::string cmd = "/usr/bin/python3 " + (kCorpus / "make.py").string() + " --check";
  BOOST_TEST(std::system(cmd.c_str()) == 0);
}

BOOST_AUTO_TEST_CASE(every_case) {
  const nlohmann::json cases = load_cases().at("cases");
  BOOST_TEST(cases.size() >= 40u);
  std::set<std::string> names;
  for (const auto& c : cases) {
    const std::string name = c.at("name").get<std::string>();
    BOOST_TEST(names.insert(name).second, "duplicate case name " << name);
    BOOST_TEST_CONTEXT("case " << name << ": " << c.at("args").dump()) { run_case(c); }
  }
}

BOOST_AUTO_TEST_SUITE_END()
