// fuzz/libfuzzer/ledger.cpp — libFuzzer target: the error ledger parser (Ledger::parse).
// What it is: parse arbitrary text as verify/ledger.txt; a vt::Error is the expected answer to a
// malformed ledger. On success, serialize → parse → serialize must be a fixed point (the
// writer's output parses, and rewriting it changes nothing), and every entry must be findable.
// Anything else — another exception, a sanitizer report, a mismatch (abort) — is a finding.
// What it is not: a test of Ledger::load/save's file handling or of the checking rules.
#include "verify/harness/ledger.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

[[noreturn]] void finding(const char* what, const std::string& detail = "") {
  std::fprintf(stderr, "vt_fuzz_ledger: %s%s%s\n", what, detail.empty() ? "" : ": ",
               detail.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  vt::verify::Ledger ledger;
  try {
    ledger = vt::verify::Ledger::parse(text, "fuzz-ledger.txt");
  } catch (const vt::Error&) {
    return 0;  // rejected: the expected outcome for a malformed ledger
  }
  const std::string once = ledger.serialize();
  vt::verify::Ledger again;
  try {
    again = vt::verify::Ledger::parse(once, "reserialized.txt");
  } catch (const vt::Error& e) {
    finding("the parser rejects what serialize() wrote", e.what());
  }
  const std::string twice = again.serialize();
  if (twice != once) finding("serialize(parse(serialize(x))) != serialize(x)", twice);
  return 0;
}
