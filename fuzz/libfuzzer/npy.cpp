// fuzz/libfuzzer/npy.cpp — libFuzzer target: the .npy reader (vt::parse_npy) on arbitrary bytes.
// What it is: parse; a vt::Error is the expected answer to bad input. On success, a round trip:
// serialize_npy → parse_npy must give the same dtype, shape and element bytes, and serializing
// that again must give the same bytes (the writer's output is a fixed point of read∘write).
// Anything else — another exception, a sanitizer report, a mismatch (abort) — is a finding.
// What it is not: a test of read_npy's file handling (open/read/stat) or of write_npy's rename.
#include "core/npy.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <span>

namespace {

[[noreturn]] void finding(const char* what) {
  std::fprintf(stderr, "vt_fuzz_npy: %s\n", what);
  std::abort();
}

/// The logical elements of `t` in row-major order, as bytes.
std::vector<std::byte> element_bytes(const vt::Tensor& t) {
  const vt::Tensor c = t.contiguous();
  const std::size_t n = static_cast<std::size_t>(c.numel()) * vt::itemsize(c.dtype());
  std::vector<std::byte> out(n);
  if (n) std::memcpy(out.data(), c.raw(), n);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data), size);
  vt::Tensor t;
  try {
    t = vt::parse_npy(bytes, "fuzz.npy");
  } catch (const vt::Error&) {
    return 0;  // rejected: the expected outcome for malformed input
  }
  // Accepted: the writer must reproduce it.
  const std::vector<std::byte> written = vt::serialize_npy(t);
  vt::Tensor back;
  try {
    back = vt::parse_npy(written, "roundtrip.npy");
  } catch (const vt::Error& e) {
    std::fprintf(stderr, "vt_fuzz_npy: %s\n", e.what());
    finding("the reader rejects what the writer wrote");
  }
  if (back.dtype() != t.dtype()) finding("round trip changed the dtype");
  if (back.shape() != t.shape()) finding("round trip changed the shape");
  if (element_bytes(back) != element_bytes(t)) finding("round trip changed the elements");
  if (vt::serialize_npy(back) != written) finding("serialize(parse(serialize(x))) != serialize(x)");
  return 0;
}
