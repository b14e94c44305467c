// optimized/core/tuning.cpp — the per-family parallel parameters (parallel.hpp) and the tuning
// profile (tuning.hpp).
// What it is: one table of atomics, filled on first use from the defaults, the start-up profile
// and VERITENSOR_PARALLEL_THRESHOLD; the profile parser (nlohmann-json, then every field checked
// into a Profile before anything is applied); the writer. What it is not: the pool
// (parallel.cpp) or the search that writes profiles (bench/tune.cpp).
#include "optimized/core/tuning.hpp"

#include "core/error.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>

namespace vt::opt {

namespace {

using nlohmann::json;

constexpr std::size_t kN = kFamilies.size();

std::size_t idx(Family f) { return static_cast<std::size_t>(f); }

std::int64_t env_threshold() {
  const char* v = std::getenv("VERITENSOR_PARALLEL_THRESHOLD");
  if (!v || !*v) return -1;
  char* end = nullptr;
  const long long x = std::strtoll(v, &end, 10);
  if (*end != '\0' || x < 1) return -1;  // as before: ignored unless a positive integer
  return x;
}

std::string env_str(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}

/// The parameters in force. Built on first use (a function-local static: thread-safe), so the
/// start-up profile is read once, before any op runs in parallel.
struct Params {
  std::array<std::atomic<std::int64_t>, kN> threshold;
  std::array<std::atomic<std::int64_t>, kN> grain;
  std::atomic<std::int64_t> override_threshold{-1};
  std::mutex status_mutex;
  std::string status;  // profile_status() without the override note

  Params() {
    defaults();
    override_threshold.store(env_threshold());
    std::string path = env_str("VERITENSOR_PROFILE");
    if (path == "none") {
      status = "no profile: VERITENSOR_PROFILE=none (built-in defaults)";
      return;
    }
    const bool from_env = !path.empty();
    if (!from_env) {
      path = default_profile_path();
      std::error_code ec;
      if (path.empty() || !std::filesystem::exists(path, ec)) {
        status = "no profile" + (path.empty() ? std::string() : " at " + path) +
                 " (built-in defaults; `veritensor tune` writes one)";
        return;
      }
    }
    try {
      const Profile p = read_profile(path);
      apply(p);
      status = describe(path, p);
    } catch (const std::exception& e) {
      // One line, and the defaults stay: read_profile validated nothing into the table. (Any
      // exception: the parameters are first used inside ops, where a throw would name the op.)
      const std::string why = dynamic_cast<const Error*>(&e) ? std::string(e.what())
                                                             : "profile " + path + ": " + e.what();
      std::fprintf(stderr, "veritensor: %s; using the defaults\n", why.c_str());
      status = why + "; using the built-in defaults";
    }
  }

  void defaults() {
    for (std::size_t i = 0; i < kN; ++i) {
      threshold[i].store(default_parallel_threshold(kFamilies[i]));
      grain[i].store(kDefaultGrain);
    }
  }

  void apply(const Profile& p) {
    for (const auto& [f, fp] : p.families) {
      if (fp.parallel_threshold) threshold[idx(f)].store(*fp.parallel_threshold);
      if (fp.grain && grain_tunable(f)) grain[idx(f)].store(*fp.grain);
    }
  }

  static std::string describe(const std::string& path, const Profile& p) {
    return "profile " + path + " (" + std::to_string(p.families.size()) + " famil" +
           (p.families.size() == 1 ? "y" : "ies") + ")";
  }
};

Params& params() {
  static Params p;
  return p;
}

// ---- parsing ----------------------------------------------------------------------------------

[[noreturn]] void bad(const std::string& source, const std::string& where, const std::string& why) {
  throw Error("", {}, "profile " + source + ": " + where + ": " + why);
}

/// The JSON value as shown in a message (shortened).
std::string shown(const json& v) {
  std::string s = v.dump();
  if (s.size() > 40) s = s.substr(0, 37) + "...";
  return s;
}

std::string family_list() {
  std::string s;
  for (Family f : kFamilies) s += (s.empty() ? "" : ", ") + std::string(family_name(f));
  return s;
}

/// An integer JSON value in [lo, hi], else why not.
std::optional<std::int64_t> as_int(const json& v, std::int64_t lo, std::int64_t hi,
                                   const std::string& source, const std::string& where,
                                   const std::string& what) {
  if (v.is_number_unsigned()) {
    const auto u = v.get<std::uint64_t>();
    if (lo > 0 && u < static_cast<std::uint64_t>(lo))
      bad(source, where, shown(v) + " is too small (" + what + ")");
    if (u > static_cast<std::uint64_t>(hi))
      bad(source, where, shown(v) + " is larger than " + std::to_string(hi) + " (" + what + ")");
    return static_cast<std::int64_t>(u);
  }
  if (v.is_number_integer()) {
    const auto x = v.get<std::int64_t>();
    if (x < lo)
      bad(source, where, shown(v) + (x < 0 ? " is negative" : " is too small") + " (" + what + ")");
    if (x > hi)
      bad(source, where, shown(v) + " is larger than " + std::to_string(hi) + " (" + what + ")");
    return x;
  }
  return std::nullopt;
}

FamilyParameters parse_family_entry(const json& v, Family f, const std::string& source,
                                    const std::string& where) {
  if (!v.is_object()) bad(source, where, "is " + shown(v) + ", not a JSON object");
  FamilyParameters fp;
  for (const auto& [key, val] : v.items()) {
    const std::string at = where + "/" + key;
    if (key == "parallel_threshold") {
      const char* what = "a threshold is an integer ≥ 0 (elements of work) or \"never\"";
      if (val.is_string() && val.get<std::string>() == "never") {
        fp.parallel_threshold = kNeverParallel;
      } else if (auto x = as_int(val, 0, kNeverParallel, source, at, what)) {
        fp.parallel_threshold = *x;
      } else {
        bad(source, at, shown(val) + " is not an integer or \"never\" (" + what + ")");
      }
    } else if (key == "grain") {
      if (!grain_tunable(f))
        bad(source, at,
            "family " + std::string(family_name(f)) +
                " has no runtime grain (only elementwise and reduction have)");
      const char* what = "a grain is a multiple of 64 elements, from 64 to 2^40";
      auto x = as_int(val, kGrainQuantum, kMaxGrain, source, at, what);
      if (!x) bad(source, at, shown(val) + " is not an integer (" + what + ")");
      if (*x % kGrainQuantum != 0)
        bad(source, at, shown(val) + " is not a multiple of 64 (" + what + ")");
      fp.grain = *x;
    } else {
      bad(source, at, "unknown field (a family takes parallel_threshold and grain)");
    }
  }
  return fp;
}

}  // namespace

// ---- families ---------------------------------------------------------------------------------

std::string_view family_name(Family f) {
  switch (f) {
    case Family::elementwise:
      return "elementwise";
    case Family::reduction:
      return "reduction";
    case Family::softmax:
      return "softmax";
    case Family::creation:
      return "creation";
    case Family::shape:
      return "shape";
    case Family::loss:
      return "loss";
    case Family::optim:
      return "optim";
    case Family::matmul:
      return "matmul";
  }
  return "?";
}

std::optional<Family> parse_family(std::string_view name) {
  for (Family f : kFamilies)
    if (family_name(f) == name) return f;
  return std::nullopt;
}

bool grain_tunable(Family f) { return f == Family::elementwise || f == Family::reduction; }

std::int64_t parallel_threshold(Family f) {
  Params& p = params();
  const std::int64_t o = p.override_threshold.load(std::memory_order_relaxed);
  return o >= 0 ? o : p.threshold[idx(f)].load(std::memory_order_relaxed);
}

void set_parallel_threshold(Family f, std::int64_t elements) {
  params().threshold[idx(f)].store(std::clamp<std::int64_t>(elements, 0, kNeverParallel));
}

std::int64_t grain(Family f) {
  return grain_tunable(f) ? params().grain[idx(f)].load(std::memory_order_relaxed) : kDefaultGrain;
}

void set_grain(Family f, std::int64_t g) {
  if (!grain_tunable(f))
    throw Error("", {}, "family " + std::string(family_name(f)) + " has no runtime grain");
  if (g < kGrainQuantum || g > kMaxGrain || g % kGrainQuantum != 0)
    throw Error("", {}, "grain " + std::to_string(g) + " is not a multiple of 64 from 64 to 2^40");
  params().grain[idx(f)].store(g);
}

void reset_parameters() { params().defaults(); }

std::int64_t parallel_threshold() { return params().override_threshold.load(); }
void set_parallel_threshold(std::int64_t elements) {
  params().override_threshold.store(elements < 0 ? -1 : std::min(elements, kNeverParallel));
}

// ---- the profile ------------------------------------------------------------------------------

Profile parse_profile(std::string_view text, const std::string& source) {
  if (text.size() > kMaxProfileBytes)
    bad(source, "/",
        "the file has " + std::to_string(text.size()) +
            " bytes, more than the 1 MiB a profile "
            "may have");
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {
    // parse_error, and out_of_range for a number beyond double (found by fuzz/libfuzzer/profile:
    // `1e999` escaped as an uncaught exception at start-up).
    std::string why = e.what();
    if (const std::size_t k = why.find("] ");
        why.rfind("[json.exception", 0) == 0 && k != std::string::npos)
      why = why.substr(k + 2);
    bad(source, "/", "not valid JSON (" + why + ")");
  }
  if (!j.is_object()) bad(source, "/", "is " + shown(j) + ", not a JSON object");
  if (!j.contains("veritensor_profile"))
    bad(source, "/veritensor_profile", "missing (the format version; this build reads 1)");
  Profile p;
  for (const auto& [key, val] : j.items()) {
    const std::string at = "/" + key;
    if (key == "veritensor_profile") {
      if (!val.is_number_integer() || val.get<std::int64_t>() != kProfileVersion)
        bad(source, at, "version " + shown(val) + " is not supported (this build reads 1)");
    } else if (key == "machine") {
      if (!val.is_object()) bad(source, at, "is " + shown(val) + ", not a JSON object");
      p.machine = val.dump();
    } else if (key == "families") {
      if (!val.is_object()) bad(source, at, "is " + shown(val) + ", not a JSON object");
      for (const auto& [name, entry] : val.items()) {
        const std::optional<Family> f = parse_family(name);
        if (!f) bad(source, at + "/" + name, "unknown family (" + family_list() + ")");
        p.families[*f] = parse_family_entry(entry, *f, source, at + "/" + name);
      }
    } else {
      bad(source, at, "unknown field (a profile has veritensor_profile, machine and families)");
    }
  }
  return p;
}

Profile read_profile(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (ec || !fs::exists(st)) bad(path, "/", "cannot read the file (it does not exist)");
  if (!fs::is_regular_file(st)) bad(path, "/", "is not a regular file");
  const std::uintmax_t size = fs::file_size(path, ec);
  if (ec) bad(path, "/", "cannot read the file (" + ec.message() + ")");
  if (size > kMaxProfileBytes)
    bad(path, "/",
        "the file has " + std::to_string(size) + " bytes, more than the 1 MiB a profile may have");
  std::ifstream in(path, std::ios::binary);
  if (!in) bad(path, "/", "cannot read the file");
  std::string text(static_cast<std::size_t>(size), '\0');
  in.read(text.data(), static_cast<std::streamsize>(size));
  text.resize(static_cast<std::size_t>(in.gcount()));
  return parse_profile(text, path);
}

std::string serialize_profile(const Profile& p) {
  json fams = json::object();
  for (const auto& [f, fp] : p.families) {
    json e = json::object();
    if (fp.parallel_threshold) {
      if (*fp.parallel_threshold >= kNeverParallel)
        e["parallel_threshold"] = "never";
      else
        e["parallel_threshold"] = *fp.parallel_threshold;
    }
    if (fp.grain) e["grain"] = *fp.grain;
    fams[std::string(family_name(f))] = e;
  }
  json j = {{"veritensor_profile", kProfileVersion},
            {"machine", json::parse(p.machine.empty() ? "{}" : p.machine)},
            {"families", fams}};
  return j.dump(2) + "\n";
}

void apply_profile(const Profile& p) { params().apply(p); }

Profile load_profile(const std::string& path) {
  Profile p = read_profile(path);
  Params& ps = params();
  ps.apply(p);
  std::lock_guard<std::mutex> lock(ps.status_mutex);
  ps.status = Params::describe(path, p) + ", loaded by the program";
  return p;
}

std::string profile_status() {
  Params& p = params();
  std::string s;
  {
    std::lock_guard<std::mutex> lock(p.status_mutex);
    s = p.status;
  }
  const std::int64_t o = p.override_threshold.load();
  if (o >= 0)
    s += "; every family's parallel threshold overridden to " + std::to_string(o) +
         (env_threshold() == o ? " (VERITENSOR_PARALLEL_THRESHOLD)" : "");
  return s;
}

std::string default_profile_path() {
  const std::string xdg = env_str("XDG_CONFIG_HOME");
  if (!xdg.empty()) return xdg + "/veritensor/profile.json";
  const std::string home = env_str("HOME");
  if (!home.empty()) return home + "/.config/veritensor/profile.json";
  return "";
}

}  // namespace vt::opt
