// fuzz/libfuzzer/profile.cpp — libFuzzer target: the tuning profile's parser
// (optimized/core/tuning.hpp parse_profile), which reads the file named by $VERITENSOR_PROFILE or
// ~/.config/veritensor/profile.json at the library's start.
// Input format: the raw bytes of a profile file. vt::Error is the expected answer to bad text
// (and its message must be one line naming the source). On success, serialize → parse must give
// the same profile, and serializing that again the same text. Anything else (another exception,
// a sanitizer report, a mismatch: abort) is a finding.
// What it is not: a test of the parameters in force — the target never applies a profile.
#include "core/error.hpp"
#include "optimized/core/tuning.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

[[noreturn]] void finding(const std::string& what) {
  std::fprintf(stderr, "vt_fuzz_profile: %s\n", what.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  vt::opt::Profile p;
  try {
    p = vt::opt::parse_profile(text, "fuzz.json");
  } catch (const vt::Error& e) {
    const std::string msg = e.what();
    if (msg.rfind("profile fuzz.json: /", 0) != 0) finding("an error that names no path: " + msg);
    return 0;
  }
  const std::string once = vt::opt::serialize_profile(p);
  vt::opt::Profile back;
  try {
    back = vt::opt::parse_profile(once, "serialized");
  } catch (const vt::Error& e) {
    finding(std::string("a serialized profile does not parse: ") + e.what() + "\n" + once);
  }
  if (!(back == p)) finding("serialize → parse changed the profile:\n" + once);
  if (vt::opt::serialize_profile(back) != once) finding("serializing twice differs:\n" + once);
  return 0;
}
