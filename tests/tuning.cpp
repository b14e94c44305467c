// tests/tuning.cpp — the per-family parallel parameters and the tuning profile
// (optimized/core/parallel.hpp, optimized/core/tuning.hpp) and `veritensor tune` end to end.
// What it is: in-process checks of the parser (every malformed-profile reason names the JSON
// path and leaves the parameters as they were), of serialize → parse, of apply/load and of the
// global override; then the command: a malformed profile at start gives one line on stderr and
// the defaults; a one-iteration tune on tiny sizes writes a profile, a JSONL history and a
// markdown table, and a `veritensor` started with that profile reports it and uses its values.
// What it is not: the bad-input corpus's `tune --check` cases (tests/bad-input/cases.json), the
// planted-bug refusal (bench/CMakeLists.txt, tune_rejects_planted_bug) or the fuzz target
// (fuzz/libfuzzer/profile.cpp).
#include "optimized/core/tuning.hpp"
#include "core/error.hpp"
#include "optimized/core/parallel.hpp"

#include <boost/test/unit_test.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <sys/wait.h>

namespace fs = std::filesystem;
using namespace vt::opt;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void spit(const fs::path& p, const std::string& s) { std::ofstream(p, std::ios::binary) << s; }

std::string quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

struct Scratch {
  fs::path root;
  Scratch() {
    std::string tmpl = (fs::temp_directory_path() / "vt-tuning-XXXXXX").string();
    BOOST_REQUIRE(::mkdtemp(tmpl.data()));
    root = tmpl;
  }
  ~Scratch() {
    std::error_code ec;
    fs::remove_all(root, ec);
  }
};

struct Run {
  int rc = -1;
  std::string out, err;
};

/// $VERITENSOR_BIN with `args`, VERITENSOR_PROFILE set to `profile`.
Run run_cli(const Scratch& s, const std::string& profile, const std::string& args) {
  const char* bin = std::getenv("VERITENSOR_BIN");
  BOOST_REQUIRE_MESSAGE(bin, "VERITENSOR_BIN is not set (run through CTest)");
  const std::string cmd =
      "env -u VERITENSOR_PARALLEL_THRESHOLD VERITENSOR_PROFILE=" + quote(profile) + " " +
      quote(bin) + " " + args + " >" + quote((s.root / "stdout").string()) + " 2>" +
      quote((s.root / "stderr").string());
  const int status = std::system(cmd.c_str());
  Run r;
  r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = slurp(s.root / "stdout");
  r.err = slurp(s.root / "stderr");
  return r;
}

/// Every family's threshold and grain in force.
std::vector<std::int64_t> snapshot() {
  std::vector<std::int64_t> v;
  for (Family f : kFamilies) {
    v.push_back(parallel_threshold(f));
    v.push_back(grain(f));
  }
  return v;
}

/// Restores the built-in defaults and no override around a test.
struct Defaults {
  std::int64_t saved = parallel_threshold();
  Defaults() {
    set_parallel_threshold(-1);
    reset_parameters();
  }
  ~Defaults() {
    reset_parameters();
    set_parallel_threshold(saved);
  }
};

struct Bad {
  const char* text;
  const char* where;  // the JSON path the message must name
  const char* why;
};

// Every reason a profile is refused (tuning.hpp), with the path and phrase the message carries.
const std::vector<Bad> kBad = {
    {"", "/", "not valid JSON"},
    {R"({"veritensor_profile": 1, "families": {"elementwise": {"parallel_threshold": 65)", "/",
     "not valid JSON"},
    {"[1, 2]", "/", "not a JSON object"},
    {"17", "/", "not a JSON object"},
    {R"({"families": {}})", "/veritensor_profile", "missing"},
    {R"({"veritensor_profile": 2})", "/veritensor_profile", "version 2 is not supported"},
    {R"({"veritensor_profile": "1"})", "/veritensor_profile", "is not supported"},
    {R"({"veritensor_profile": 1, "extra": 1})", "/extra", "unknown field"},
    {R"({"veritensor_profile": 1, "machine": 3})", "/machine", "not a JSON object"},
    {R"({"veritensor_profile": 1, "families": []})", "/families", "not a JSON object"},
    {R"({"veritensor_profile": 1, "families": {"elementwize": {}}})", "/families/elementwize",
     "unknown family"},
    {R"({"veritensor_profile": 1, "families": {"shape": 4096}})", "/families/shape",
     "not a JSON object"},
    {R"({"veritensor_profile": 1, "families": {"loss": {"threshold": 1}}})",
     "/families/loss/threshold", "unknown field"},
    {R"({"veritensor_profile": 1, "families": {"reduction": {"parallel_threshold": -5}}})",
     "/families/reduction/parallel_threshold", "-5 is negative"},
    {R"({"veritensor_profile": 1, "families": {"reduction": {"parallel_threshold": 1.5}}})",
     "/families/reduction/parallel_threshold", "is not an integer"},
    {R"({"veritensor_profile": 1, "families": {"reduction": {"parallel_threshold": "always"}}})",
     "/families/reduction/parallel_threshold", "is not an integer"},
    {R"({"veritensor_profile": 1, "families": {"optim": {"parallel_threshold": 18446744073709551615}}})",
     "/families/optim/parallel_threshold", "is larger than"},
    {R"({"veritensor_profile": 1, "families": {"elementwise": {"grain": 100}}})",
     "/families/elementwise/grain", "100 is not a multiple of 64"},
    {R"({"veritensor_profile": 1, "families": {"elementwise": {"grain": 0}}})",
     "/families/elementwise/grain", "0 is too small"},
    {R"({"veritensor_profile": 1, "families": {"elementwise": {"grain": -64}}})",
     "/families/elementwise/grain", "is negative"},
    {R"({"veritensor_profile": 1, "families": {"reduction": {"grain": 4398046511168}}})",
     "/families/reduction/grain", "is larger than"},
    {R"({"veritensor_profile": 1, "families": {"softmax": {"grain": 4096}}})",
     "/families/softmax/grain", "has no runtime grain"},
};

}  // namespace

BOOST_AUTO_TEST_SUITE(tuning)

BOOST_AUTO_TEST_CASE(defaults_and_setters) {
  Defaults d;
  for (Family f : kFamilies) {
    BOOST_TEST(parallel_threshold(f) == default_parallel_threshold(f));
    BOOST_TEST(grain(f) == kDefaultGrain);
    BOOST_TEST((parse_family(family_name(f)) == std::optional<Family>(f)));
  }
  BOOST_TEST(!parse_family("elementwize").has_value());
  set_parallel_threshold(Family::reduction, 4096);
  set_grain(Family::elementwise, 8192);
  BOOST_TEST(parallel_threshold(Family::reduction) == 4096);
  BOOST_TEST(parallel_threshold(Family::elementwise) == kDefaultParallelThreshold);
  BOOST_TEST(grain(Family::elementwise) == 8192);
  BOOST_CHECK_THROW(set_grain(Family::elementwise, 100), vt::Error);
  BOOST_CHECK_THROW(set_grain(Family::softmax, 4096), vt::Error);
  BOOST_TEST(grain(Family::elementwise) == 8192);
}

// The global setter sets every family, and setting back what parallel_threshold() returned
// restores the per-family values (verify/harness/runner.cpp and gradcheck.cpp do exactly that).
BOOST_AUTO_TEST_CASE(global_override_saves_and_restores) {
  Defaults d;
  set_parallel_threshold(Family::softmax, 8192);
  const std::int64_t saved = parallel_threshold();
  BOOST_TEST(saved == -1);
  set_parallel_threshold(1);
  for (Family f : kFamilies) BOOST_TEST(parallel_threshold(f) == 1);
  set_parallel_threshold(saved);
  BOOST_TEST(parallel_threshold(Family::softmax) == 8192);
  BOOST_TEST(parallel_threshold(Family::elementwise) == kDefaultParallelThreshold);
}

BOOST_AUTO_TEST_CASE(malformed_profiles_name_the_field_and_change_nothing) {
  Defaults d;
  set_parallel_threshold(Family::shape, 12345);
  const std::vector<std::int64_t> before = snapshot();
  for (const Bad& b : kBad) {
    BOOST_TEST_CONTEXT("profile text: " << b.text) {
      try {
        parse_profile(b.text, "t.json");
        BOOST_ERROR("accepted");
      } catch (const vt::Error& e) {
        const std::string msg = e.what();
        BOOST_TEST(msg.find("profile t.json: " + std::string(b.where) + ": ") == 0u, msg);
        BOOST_TEST(msg.find(b.why) != std::string::npos, msg);
        BOOST_TEST(msg.find('\n') == std::string::npos, msg);
      }
    }
  }
  // A valid family before an invalid one: nothing of it is applied (all or nothing).
  Scratch s;
  spit(s.root / "half.json", R"({"veritensor_profile": 1, "families": {
        "elementwise": {"parallel_threshold": 64}, "reduction": {"grain": 65}}})");
  BOOST_CHECK_THROW(load_profile((s.root / "half.json").string()), vt::Error);
  // Too large: refused before it is read.
  spit(s.root / "big.json", std::string(kMaxProfileBytes + 1, ' '));
  try {
    read_profile((s.root / "big.json").string());
    BOOST_ERROR("a profile over 1 MiB was accepted");
  } catch (const vt::Error& e) {
    BOOST_TEST(std::string(e.what()).find("more than the 1 MiB") != std::string::npos);
  }
  BOOST_CHECK_THROW(read_profile((s.root / "missing.json").string()), vt::Error);
  BOOST_CHECK_THROW(read_profile(s.root.string()), vt::Error);  // a directory
  BOOST_TEST(snapshot() == before);
}

BOOST_AUTO_TEST_CASE(serialize_parse_round_trip_and_load) {
  Defaults d;
  Profile p;
  p.machine = R"({"cpu":"test","threads":2})";
  p.families[Family::elementwise] = {65536, 16384};
  p.families[Family::reduction] = {kNeverParallel, std::nullopt};
  p.families[Family::softmax] = {0, std::nullopt};
  const std::string text = serialize_profile(p);
  BOOST_TEST(text.find("\"never\"") != std::string::npos);
  BOOST_TEST((parse_profile(text, "x") == p));
  Scratch s;
  spit(s.root / "p.json", text);
  BOOST_TEST((load_profile((s.root / "p.json").string()) == p));
  BOOST_TEST(parallel_threshold(Family::elementwise) == 65536);
  BOOST_TEST(grain(Family::elementwise) == 16384);
  BOOST_TEST(parallel_threshold(Family::reduction) == kNeverParallel);
  BOOST_TEST(grain(Family::reduction) == kDefaultGrain);
  BOOST_TEST(parallel_threshold(Family::softmax) == 0);
  BOOST_TEST(parallel_threshold(Family::shape) == kDefaultParallelThreshold);
  BOOST_TEST(profile_status().find("profile " + (s.root / "p.json").string()) == 0u);
}

// At start: a malformed profile is one line on stderr and the defaults stay in force.
BOOST_AUTO_TEST_CASE(malformed_profile_at_start_keeps_the_defaults) {
  Scratch s;
  const std::string bad = (s.root / "bad.json").string();
  spit(bad, R"({"veritensor_profile": 1, "families": {"elementwise": {"grain": 100}}})");
  Run r = run_cli(s, bad, "tune --show");
  BOOST_TEST(r.rc == 0, r.err);
  BOOST_TEST(r.err == "veritensor: profile " + bad +
                          ": /families/elementwise/grain: 100 is not a multiple of 64 (a grain is "
                          "a multiple of 64 elements, from 64 to 2^40); using the defaults\n");
  BOOST_TEST(r.out.find("elementwise  262144             32768") != std::string::npos, r.out);
  // A profile that does not exist is malformed too (it was asked for by name).
  r = run_cli(s, (s.root / "nope.json").string(), "list");
  BOOST_TEST(r.rc == 0);
  BOOST_TEST(std::count(r.err.begin(), r.err.end(), '\n') == 1, r.err);
  BOOST_TEST(r.err.find("does not exist); using the defaults") != std::string::npos, r.err);
  r = run_cli(s, "none", "list");
  BOOST_TEST(r.err.empty(), r.err);
  BOOST_TEST(
      r.out.find("parallel parameters: no profile: VERITENSOR_PROFILE=none") != std::string::npos,
      r.out);
}

// tune → profile → a new process started with it reports it and uses its values.
BOOST_AUTO_TEST_CASE(tune_writes_a_profile_that_loads) {
  Scratch s;
  const std::string prof = (s.root / "profile.json").string();
  const std::string hist = (s.root / "history.jsonl").string();
  const std::string md = (s.root / "table.md").string();
  Run r = run_cli(s, "none",
                  "tune --family elementwise,reduction --threads 2 --max-iterations 1 --sizes "
                  "1000,4099 --min-time 0.0005 --profile-out " +
                      quote(prof) + " --history " + quote(hist) + " --markdown " + quote(md));
  BOOST_TEST_REQUIRE(r.rc == 0, r.out << r.err);
  BOOST_TEST(r.out.find("iteration limit") != std::string::npos, r.out);
  const Profile p = read_profile(prof);  // valid
  BOOST_TEST(p.families.size() == 2u);
  BOOST_TEST(p.families.count(Family::elementwise) == 1u);
  BOOST_TEST(p.families.at(Family::elementwise).grain.has_value());
  BOOST_TEST(nlohmann::json::parse(p.machine).at("threads") == 2);
  // History: per family the default (iteration 0) and one candidate.
  std::istringstream lines(slurp(hist));
  int rows = 0;
  for (std::string line; std::getline(lines, line); ++rows) {
    const nlohmann::json j = nlohmann::json::parse(line);
    BOOST_TEST(j.contains("speedup_vs_default"));
    BOOST_TEST(j.at("median_s").size() >= 2u);
    BOOST_TEST(j.at("verdicts").size() >= 2u);
  }
  BOOST_TEST(rows == 4);
  BOOST_TEST(slurp(md).find("| family | op | size | default | tuned | speedup |") !=
             std::string::npos);
  // Leaves no temporary file beside the profile.
  for (const auto& e : fs::directory_iterator(s.root))
    BOOST_TEST(e.path().filename().string().find(".tmp") == std::string::npos);

  // Started with it: `tune --show` and `list` report it, and the values are in force.
  r = run_cli(s, prof, "tune --show");
  BOOST_TEST(r.rc == 0);
  BOOST_TEST(r.err.empty(), r.err);
  BOOST_TEST(r.out.find("profile " + prof + " (2 families)") == 0u, r.out);
  const FamilyParameters& e = p.families.at(Family::elementwise);
  const std::string t = *e.parallel_threshold >= kNeverParallel
                            ? std::string("never")
                            : std::to_string(*e.parallel_threshold);
  BOOST_TEST(r.out.find("elementwise  " + t) != std::string::npos, r.out);
  r = run_cli(s, prof, "list");
  BOOST_TEST(r.out.find("parallel parameters: profile " + prof) != std::string::npos, r.out);
  // VERITENSOR_PARALLEL_THRESHOLD still overrides the profile.
  const char* bin = std::getenv("VERITENSOR_BIN");
  const std::string cmd = "VERITENSOR_PARALLEL_THRESHOLD=77 VERITENSOR_PROFILE=" + quote(prof) +
                          " " + quote(bin) + " tune --show >" + quote((s.root / "o").string());
  BOOST_TEST(std::system(cmd.c_str()) == 0);
  const std::string o = slurp(s.root / "o");
  BOOST_TEST(o.find("overridden to 77 (VERITENSOR_PARALLEL_THRESHOLD)") != std::string::npos, o);
  BOOST_TEST(o.find("reduction    77") != std::string::npos, o);
}

BOOST_AUTO_TEST_SUITE_END()
