// tests/npy.cpp — unit tests of core/npy (the .npy reader and writer).
// What it is: round trips of every dtype and layout; files written by NumPy (/usr/bin/python3)
// at test time in formats 1.0/2.0/3.0, C and Fortran order, read here; our files read back by
// NumPy; byte-for-byte equality with np.save; a table of malformed images, each rejected with a
// message naming the file and the problem; atomic, leftover-free writing.
// What it is not: a fuzzer (fuzz/ drives parse_npy with random bytes) or a test of Tensor views
// (tests/tensor.cpp).
#include "core/npy.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

namespace fs = std::filesystem;
using namespace std::string_literals;
using vt::DType;
using vt::Shape;
using vt::Tensor;

namespace {

constexpr const char* kPython = "/usr/bin/python3";

/// A fresh directory under the system temp dir, removed with everything in it afterwards.
struct TempDir {
  fs::path path;
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "vt-npy-test-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string operator/(const std::string& leaf) const { return (path / leaf).string(); }
  /// Names of the entries in the directory, sorted.
  std::vector<std::string> listing(const fs::path& sub = {}) const {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(sub.empty() ? path : path / sub))
      out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
  }
};

/// Runs a Python script with /usr/bin/python3; returns its exit status (-1 if it did not run).
int run_python(const TempDir& dir, const std::string& script) {
  const std::string file = dir / "script.py";
  std::ofstream(file) << script;
  const std::string cmd = std::string(kPython) + " " + file;
  const int rc = std::system(cmd.c_str());
  return rc != -1 && WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

bool have_numpy() {
  static const bool ok = [] {
    const std::string cmd = std::string(kPython) + " -c 'import numpy' >/dev/null 2>&1";
    return std::system(cmd.c_str()) == 0;
  }();
  if (!ok)
    BOOST_TEST_MESSAGE("SKIPPED: " << kPython
                                   << " cannot import numpy (install python3-numpy); the "
                                      "NumPy interoperability checks did not run");
  return ok;
}

std::vector<std::byte> file_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::vector<char> c((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  std::vector<std::byte> out(c.size());
  if (!c.empty()) std::memcpy(out.data(), c.data(), c.size());
  return out;
}

std::vector<std::byte> to_bytes(std::string_view s) {
  std::vector<std::byte> out(s.size());
  if (!s.empty()) std::memcpy(out.data(), s.data(), s.size());
  return out;
}

template <class T>
std::vector<std::byte> bytes_of(const std::vector<T>& v) {
  std::vector<std::byte> out(v.size() * sizeof(T));
  if (!v.empty()) std::memcpy(out.data(), v.data(), out.size());
  return out;
}
std::vector<std::byte> bytes_of(const std::vector<bool>& v) {
  std::vector<std::byte> out;
  for (bool b : v) out.push_back(std::byte{b ? std::uint8_t{1} : std::uint8_t{0}});
  return out;
}

/// The elements of t in row-major logical order, as raw bytes, walking strides directly (not
/// through contiguous(), which tests/tensor.cpp tests separately).
std::vector<std::byte> logical_bytes(const Tensor& t) {
  std::vector<std::byte> out;
  const auto isz = static_cast<std::int64_t>(vt::itemsize(t.dtype()));
  vt::for_each_index(t.shape(), [&](const std::vector<std::int64_t>& idx) {
    std::int64_t off = 0;
    for (std::size_t k = 0; k < idx.size(); ++k) off += idx[k] * t.strides()[k];
    const std::byte* p = t.raw() + off * isz;
    out.insert(out.end(), p, p + isz);
  });
  return out;
}

/// Asserts that f throws a vt::Error whose message names `name` and contains `phrase`.
template <class F>
void expect_error(F&& f, const std::string& name, const std::string& phrase) {
  try {
    f();
    BOOST_ERROR("no vt::Error for " << name << " (expected \"" << phrase << "\")");
  } catch (const vt::Error& e) {
    const std::string msg = e.what();
    BOOST_TEST(msg.find(name) != std::string::npos, "message lacks the file name: " << msg);
    BOOST_TEST(msg.find(phrase) != std::string::npos,
               "message lacks \"" << phrase << "\": " << msg);
  }
}

/// A .npy image: magic, version, little-endian header length and `header` exactly as given.
std::string raw_npy(int major, int minor, const std::string& header, const std::string& data) {
  std::string s = "\x93NUMPY";
  s += static_cast<char>(major);
  s += static_cast<char>(minor);
  const std::size_t n = header.size();
  const int len_bytes = major == 1 ? 2 : 4;
  for (int k = 0; k < len_bytes; ++k) s += static_cast<char>((n >> (8 * k)) & 0xff);
  return s + header + data;
}

/// A .npy image whose header is `dict` padded with spaces and '\n' so the data starts at a
/// multiple of `align` (as NumPy does with 64).
std::string make_npy(const std::string& dict, const std::string& data, int major = 1,
                     std::size_t align = 64) {
  const std::size_t prefix = major == 1 ? 10 : 12;
  std::size_t total = prefix + dict.size() + 1;
  const std::size_t pad = (align - total % align) % align;
  return raw_npy(major, 0, dict + std::string(pad, ' ') + "\n", data);
}

std::string f32_data(std::initializer_list<float> v) {
  std::string s(v.size() * 4, '\0');
  std::memcpy(s.data(), std::data(v), s.size());
  return s;
}

Tensor parse(const std::string& image, const std::string& name) {
  // A separate heap block of exactly the image's size, so that a sanitizer build would catch
  // any read past its end.
  const std::vector<std::byte> bytes = to_bytes(image);
  return vt::parse_npy(bytes, name);
}

void check_same(const Tensor& got, const Tensor& want) {
  BOOST_TEST(static_cast<int>(got.dtype()) == static_cast<int>(want.dtype()));
  BOOST_TEST(got.shape() == want.shape(), vt::shape_str(got.shape())
                                              << " vs " << vt::shape_str(want.shape()));
  BOOST_TEST((logical_bytes(got) == logical_bytes(want)), "element bytes differ");
}

// ---- tensors used by several tests -----------------------------------------------------------

float f32_bits(std::uint32_t b) {
  float f;
  std::memcpy(&f, &b, 4);
  return f;
}
double f64_bits(std::uint64_t b) {
  double d;
  std::memcpy(&d, &b, 8);
  return d;
}

std::vector<std::pair<std::string, Tensor>> sample_tensors() {
  using L32 = std::numeric_limits<float>;
  using L64 = std::numeric_limits<double>;
  std::vector<std::pair<std::string, Tensor>> v;
  v.emplace_back(
      "f32", Tensor::from<float>(
                 {2, 5}, {0.0f, -0.0f, 1.5f, -2.25f, L32::infinity(), -L32::infinity(),
                          f32_bits(0x7fc01234u), L32::denorm_min(), L32::max(), L32::lowest()}));
  v.emplace_back(
      "f64", Tensor::from<double>(
                 {5}, {-0.0, L64::denorm_min(), f64_bits(0xfff8000000000abcull), L64::max(), 0.1}));
  v.emplace_back(
      "i64", Tensor::from<std::int64_t>({2, 2}, {std::numeric_limits<std::int64_t>::min(),
                                                 std::numeric_limits<std::int64_t>::max(), 0, -1}));
  v.emplace_back("i32",
                 Tensor::from<std::int32_t>({3}, {std::numeric_limits<std::int32_t>::min(), 7,
                                                  std::numeric_limits<std::int32_t>::max()}));
  v.emplace_back("i8", Tensor::from<std::int8_t>({4}, {-128, -1, 0, 127}));
  v.emplace_back("u8", Tensor::from<std::uint8_t>({2, 2}, {0, 1, 128, 255}));
  v.emplace_back("bool", Tensor::from<bool>({3}, {true, false, true}));
  return v;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(npy)

// ---- round trips -----------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(round_trip_every_dtype) {
  for (const auto& [label, t] : sample_tensors()) {
    BOOST_TEST_CONTEXT(label) {
      const std::vector<std::byte> image = vt::serialize_npy(t);
      // Data starts at a multiple of 64, as NumPy writes; format 1.0.
      const std::size_t header_len =
          static_cast<std::size_t>(image[8]) | (static_cast<std::size_t>(image[9]) << 8);
      BOOST_TEST(static_cast<int>(image[6]) == 1);
      BOOST_TEST((10 + header_len) % 64 == 0u);
      BOOST_TEST(image.size() ==
                 10 + header_len + static_cast<std::size_t>(t.numel()) * vt::itemsize(t.dtype()));
      const Tensor back = vt::parse_npy(image, label + ".npy");
      check_same(back, t);
      BOOST_TEST(back.is_contiguous());
    }
  }
}

BOOST_AUTO_TEST_CASE(round_trip_0d_empty_and_noncontiguous) {
  const Tensor base = Tensor::from<double>({3, 4}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});
  struct Case {
    std::string label;
    Tensor t;
    std::vector<double> logical;  // expected row-major content
  };
  const std::vector<Case> cases = {
      {"0-d", Tensor::from<double>({}, {3.5}), {3.5}},
      {"empty (0,)", Tensor::empty({0}, DType::f64), {}},
      {"empty (2,0,3)", Tensor::empty({2, 0, 3}, DType::f64), {}},
      {"transposed", base.transpose(0, 1), {0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11}},
      {"negative step", base.slice(1, -1, -100, -2), {3, 1, 7, 5, 11, 9}},
      {"row slice (contiguous, offset)", base.slice(0, 1, 3), {4, 5, 6, 7, 8, 9, 10, 11}},
      {"column slice", base.slice(1, 1, 3), {1, 2, 5, 6, 9, 10}},
      {"broadcast", Tensor::from<double>({3}, {1, 2, 3}).expand({2, 3}), {1, 2, 3, 1, 2, 3}},
      {"empty slice", base.slice(0, 2, 2), {}},
  };
  for (const Case& c : cases) {
    BOOST_TEST_CONTEXT(c.label) {
      const Tensor back = vt::parse_npy(vt::serialize_npy(c.t), "x.npy");
      BOOST_TEST(back.shape() == c.t.shape());
      BOOST_TEST((logical_bytes(back) == bytes_of(c.logical)));
    }
  }
  // A non-contiguous int and bool view too.
  const Tensor ib = Tensor::from<std::int32_t>({2, 3}, {1, 2, 3, 4, 5, 6}).transpose(0, 1);
  BOOST_TEST((logical_bytes(vt::parse_npy(vt::serialize_npy(ib), "i.npy")) ==
              bytes_of(std::vector<std::int32_t>{1, 4, 2, 5, 3, 6})));
  const Tensor bb = Tensor::from<bool>({4}, {true, false, false, true}).slice(0, -1, -5, -1);
  BOOST_TEST((logical_bytes(vt::parse_npy(vt::serialize_npy(bb), "b.npy")) ==
              bytes_of(std::vector<bool>{true, false, false, true})));
}

BOOST_AUTO_TEST_CASE(header_needing_format_2) {
  // 30000 axes of size 1: "(1, 1, …)" is ~90000 characters, past format 1.0's 65535.
  const Shape shape(30000, 1);
  const Tensor t = Tensor::from<float>(shape, {2.5f});
  const std::vector<std::byte> image = vt::serialize_npy(t);
  BOOST_TEST(static_cast<int>(image[6]) == 2);
  BOOST_TEST(static_cast<int>(image[7]) == 0);
  const std::size_t header_len =
      static_cast<std::size_t>(image[8]) | (static_cast<std::size_t>(image[9]) << 8) |
      (static_cast<std::size_t>(image[10]) << 16) | (static_cast<std::size_t>(image[11]) << 24);
  BOOST_TEST(header_len > 65535u);
  BOOST_TEST((12 + header_len) % 64 == 0u);
  const Tensor back = vt::parse_npy(image, "wide.npy");
  BOOST_TEST(back.shape() == shape);
  BOOST_TEST(back.data<float>()[0] == 2.5f);
}

BOOST_AUTO_TEST_CASE(float128_cannot_be_written) {
  const Tensor h = Tensor::empty({2}, DType::hp);
  expect_error([&] { vt::serialize_npy(h); }, "serialize_npy", "float128");
  TempDir dir;
  expect_error([&] { vt::write_npy(dir / "h.npy", h); }, dir / "h.npy", "float128");
  BOOST_TEST(dir.listing().empty());
}

// ---- the accepted header variants ------------------------------------------------------------

BOOST_AUTO_TEST_CASE(accepted_header_variants) {
  const std::string d3 = f32_data({1.0f, 2.0f, 3.0f});
  const std::vector<std::pair<std::string, std::string>> ok = {
      {"numpy style", make_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", d3)},
      {"double quotes",
       make_npy("{\"descr\": \"<f4\", \"fortran_order\": False, \"shape\": (3,)}", d3)},
      {"other key order", make_npy("{'shape': (3,), 'descr': '<f4', 'fortran_order': False}", d3)},
      {"tabs and no spaces", make_npy("{'descr':'<f4',\t'fortran_order':False,'shape':(3, )}", d3)},
      {"16-byte alignment",
       make_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", d3, 1, 16)},
      {"native byte order",
       make_npy("{'descr': '=f4', 'fortran_order': False, 'shape': (3,), }", d3)},
      {"format 2.0", make_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", d3, 2)},
      {"format 3.0", make_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", d3, 3)},
      {"fortran 1-d", make_npy("{'descr': '<f4', 'fortran_order': True, 'shape': (3,), }", d3)},
      {"(3) inside a tuple",
       make_npy("{'descr': '<f4', 'fortran_order': False, 'shape': ((3),), }", d3)},
  };
  for (const auto& [label, image] : ok) {
    BOOST_TEST_CONTEXT(label) {
      Tensor t;
      BOOST_CHECK_NO_THROW(t = parse(image, "ok.npy"));
      if (t.defined()) {
        BOOST_TEST(t.shape() == Shape{3});
        BOOST_TEST((logical_bytes(t) == to_bytes(d3)));
      }
    }
  }
  // One-byte types with any byte-order marker; 0-d and empty shapes.
  for (const char* d : {"|i1", "<i1", "=i1", ">i1"}) {
    const Tensor t = parse(
        make_npy(std::string("{'descr': '") + d + "', 'fortran_order': False, 'shape': (2,), }",
                 "\x80\x7f"),
        "i1.npy");
    BOOST_TEST(static_cast<int>(t.dtype()) == static_cast<int>(DType::i8));
    BOOST_TEST(t.data<std::int8_t>()[0] == -128);
    BOOST_TEST(t.data<std::int8_t>()[1] == 127);
  }
  const Tensor u =
      parse(make_npy("{'descr': '|u1', 'fortran_order': False, 'shape': (), }", "\xff"), "u1.npy");
  BOOST_TEST(u.shape() == Shape{});
  BOOST_TEST(int{u.data<std::uint8_t>()[0]} == 255);
  const Tensor b =
      parse(make_npy("{'descr': '|b1', 'fortran_order': False, 'shape': (0, 4), }", ""), "b1.npy");
  BOOST_TEST(b.shape() == (Shape{0, 4}));
  BOOST_TEST(static_cast<int>(b.dtype()) == static_cast<int>(DType::boolean));
  const Tensor i4 = parse(make_npy("{'descr': '=i4', 'fortran_order': False, 'shape': (1,), }",
                                   std::string("\xfe\xff\xff\xff", 4)),
                          "i4.npy");
  BOOST_TEST(i4.data<std::int32_t>()[0] == -2);
  const Tensor i8 = parse(make_npy("{'descr': '<i8', 'fortran_order': False, 'shape': (1,), }",
                                   std::string("\x00\x00\x00\x00\x00\x00\x00\x80", 8)),
                          "i8.npy");
  BOOST_TEST(i8.data<std::int64_t>()[0] == std::numeric_limits<std::int64_t>::min());
}

BOOST_AUTO_TEST_CASE(fortran_order_gives_fortran_strides) {
  // Shape (2, 3) in Fortran order: the file holds columns one after the other.
  const Tensor t = parse(make_npy("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }",
                                  f32_data({1, 4, 2, 5, 3, 6})),
                         "f.npy");
  BOOST_TEST(t.shape() == (Shape{2, 3}));
  BOOST_TEST(t.strides() == (vt::Strides{1, 2}));
  BOOST_TEST(!t.is_contiguous());
  BOOST_TEST((logical_bytes(t) == bytes_of(std::vector<float>{1, 2, 3, 4, 5, 6})));
  // And written back it is C order with the same logical content.
  const Tensor back = vt::parse_npy(vt::serialize_npy(t), "back.npy");
  BOOST_TEST(back.strides() == (vt::Strides{3, 1}));
  BOOST_TEST((logical_bytes(back) == logical_bytes(t)));
}

// ---- malformed images ------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(truncated_at_every_byte) {
  const Tensor t = Tensor::from<double>({2, 3}, {1, 2, 3, 4, 5, 6});
  const std::vector<std::byte> image = vt::serialize_npy(t);
  BOOST_TEST_REQUIRE(image.size() == 128u + 48u);
  for (std::size_t n = 0; n < image.size(); ++n) {
    BOOST_TEST_CONTEXT("prefix of " << n << " bytes") {
      const std::vector<std::byte> prefix(image.begin(), image.begin() + n);  // own heap block
      const std::string name = "cut" + std::to_string(n) + ".npy";
      expect_error([&] { vt::parse_npy(prefix, name); }, name, "truncated");
      // The precise reason for each region of the file.
      if (n >= 10 && n < 128)
        expect_error([&] { vt::parse_npy(prefix, name); }, name,
                     "header length 118 runs past the end of the file");
      if (n >= 128)
        expect_error([&] { vt::parse_npy(prefix, name); }, name,
                     "data has " + std::to_string(n - 128) + " bytes");
    }
  }
  BOOST_CHECK_NO_THROW(vt::parse_npy(image, "whole.npy"));
}

BOOST_AUTO_TEST_CASE(malformed_table) {
  const std::string d3 = f32_data({1, 2, 3});
  const auto dict = [](const std::string& descr, const std::string& fortran,
                       const std::string& shape) {
    return "{'descr': " + descr + ", 'fortran_order': " + fortran + ", 'shape': " + shape + ", }";
  };
  const std::string good = dict("'<f4'", "False", "(3,)");
  struct Bad {
    std::string image;
    std::string phrase;
  };
  std::string wrong_align = raw_npy(1, 0, good + std::string(10, ' ') + "\n", d3);
  const std::vector<Bad> table = {
      // Preamble.
      {"", "file is truncated (0 bytes"},
      {"\x93NUMP", "file is truncated (5 bytes"},
      {"\x93NUMPY\x01"s, "file is truncated (7 bytes"},
      {"\x93NUMPY\x01\x00\x10"s, "file is truncated (9 bytes"},
      {"\x93NUMPY\x02\x00\x10\x00\x00"s, "file is truncated (11 bytes"},
      {"\x93NUMPX\x01\x00"s + std::string(200, ' '), "bad magic"},
      {"PK\x03\x04 this is a zip archive", "bad magic"},
      {"\x92NUMPY", "bad magic"},
      {make_npy(good, d3).replace(6, 1, "\x04"), "unsupported .npy format version 4.0"},
      {make_npy(good, d3).replace(7, 1, "\x01"), "unsupported .npy format version 1.1"},
      {make_npy(good, d3).replace(6, 1, std::string(1, '\0')),
       "unsupported .npy format version 0.0"},
      // Header length.
      {raw_npy(1, 0, "", "").replace(8, 2, "\xff\xff") + good,
       "header length 65535 runs past the end of the file"},
      {raw_npy(2, 0, "", "").replace(8, 4, "\xff\xff\xff\xff") + good,
       "header length 4294967295 runs past the end of the file"},
      // Encoding.
      {make_npy(dict("'<f4\xc3\xa9'", "False", "(3,)"), d3), "header is not ASCII (byte 0xC3"},
      {make_npy(dict("'<f4\xc3\xa9'", "False", "(3,)"), d3, 2), "header is not ASCII"},
      {make_npy(dict("'<f4\xc3\x28'", "False", "(3,)"), d3, 3), "header is not valid UTF-8"},
      {make_npy(dict("'<f4\xc0\xaf'", "False", "(3,)"), d3, 3), "header is not valid UTF-8"},
      {make_npy(dict("'<f4\xed\xa0\x80'", "False", "(3,)"), d3, 3), "header is not valid UTF-8"},
      {make_npy(dict("'<f4\xf4\x90\x80\x80'", "False", "(3,)"), d3, 3),
       "header is not valid UTF-8"},
      {make_npy(dict("'<f4\xe2\x82'", "False", "(3,)"), d3, 3), "header is not valid UTF-8"},
      {make_npy(dict("'<f4\xc3\xa9'", "False", "(3,)"), d3, 3), "unsupported dtype '<f4\xc3\xa9'"},
      // Termination, padding and alignment.
      {raw_npy(1, 0, good + std::string(53, ' '), d3), "header is not terminated by '\\n'"},
      {raw_npy(1, 0, good + std::string(52, ' ') + "\n\n", d3), "contains a '\\n' before its end"},
      {make_npy("{'descr': '<f4',\n'fortran_order': False, 'shape': (3,)}", d3),
       "contains a '\\n' before its end"},
      {raw_npy(1, 0, good + std::string(50, ' ') + "\t\t\n", d3), "not padded with spaces"},
      {raw_npy(1, 0, good + std::string(50, ' ') + "x \n", d3), "not padded with spaces"},
      {wrong_align, "not padded to a multiple of 16 bytes"},
      {raw_npy(1, 0, "\n", ""), "does not start with '{'"},
      // Not a dict literal.
      {make_npy("[1, 2]", ""), "header is not a Python dict literal: it does not start with '{'"},
      {make_npy(" " + good, d3), "does not start with '{'"},
      {make_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (3,)", d3),
       "expected ',' or '}'"},
      {make_npy("{'descr': '<f4' 'fortran_order': False, 'shape': (3,)}", d3),
       "expected ',' or '}'"},
      {make_npy("{'descr' '<f4', 'fortran_order': False, 'shape': (3,)}", d3), "expected ':'"},
      {make_npy("{'descr: '<f4', 'fortran_order': False, 'shape': (3,)}", d3), "expected ':'"},
      {make_npy("{'descr", d3), "unterminated string"},
      {make_npy("{'descr': '<f\\x34', 'fortran_order': False, 'shape': (3,)}", d3),
       "escape sequences"},
      {make_npy("{1: 2}", d3), "a dict key is an integer, not a string"},
      {make_npy("{'descr': '<f4', 'fortran_order': false, 'shape': (3,)}", d3),
       "unexpected name 'false'"},
      {make_npy(dict("'<f4'", "False", "(3,,)"), d3), "unexpected character \",\""},
      {make_npy(dict("'<f4'", "False", "(3 4)"), d3), "expected ',' or ')'"},
      {make_npy(dict("'<f4'", "False", "(-)"), d3), "expected a number after the sign"},
      {make_npy("{'descr': \0'<f4', 'fortran_order': False, 'shape': (3,)}"s, d3),
       "unexpected character \"\\x00\""},
      {make_npy(dict("'<f4'", "False", std::string(40, '(') + "3" + std::string(40, ')')), d3),
       "nests deeper than 32 levels"},
      // Keys.
      {make_npy("{'descr': '<f4', 'shape': (3,)}", d3), "header lacks key 'fortran_order'"},
      {make_npy("{'fortran_order': False, 'shape': (3,)}", d3), "header lacks key 'descr'"},
      {make_npy("{}", d3), "header lacks key"},
      {make_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), 'extra': 1}", d3),
       "header has unexpected key \"extra\""},
      {make_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), 'shape': (3,)}", d3),
       "header repeats key 'shape'"},
      // descr.
      {make_npy(dict("'<f2'", "False", "(3,)"), d3), "unsupported dtype '<f2'"},
      {make_npy(dict("'<c8'", "False", "(3,)"), d3), "unsupported dtype '<c8'"},
      {make_npy(dict("'<U3'", "False", "(3,)"), d3), "unsupported dtype '<U3'"},
      {make_npy(dict("'<u4'", "False", "(3,)"), d3), "unsupported dtype '<u4'"},
      {make_npy(dict("'f4'", "False", "(3,)"), d3), "unsupported dtype 'f4'"},
      {make_npy(dict("''", "False", "(3,)"), d3), "unsupported dtype ''"},
      {make_npy(dict("'>f4'", "False", "(3,)"), d3), "big-endian dtype '>f4' is not supported"},
      {make_npy(dict("'>f8'", "False", "(3,)"), d3), "big-endian dtype '>f8' is not supported"},
      {make_npy(dict("'>i4'", "False", "(3,)"), d3), "big-endian dtype '>i4' is not supported"},
      {make_npy(dict("'|f4'", "False", "(3,)"), d3), "dtype '|f4' has no byte order"},
      {make_npy(dict("[('a', '<f4')]", "False", "(3,)"), d3),
       "structured dtypes are not supported"},
      {make_npy(dict("('<f4', (2,))", "False", "(3,)"), d3), "structured dtypes are not supported"},
      {make_npy(dict("'|O'", "False", "(3,)"), d3), "object arrays (descr '|O') are not supported"},
      {make_npy(dict("'|O8'", "False", "(3,)"), d3), "object arrays (descr '|O8')"},
      {make_npy(dict("'O'", "False", "(3,)"), d3), "object arrays (descr 'O')"},
      {make_npy(dict("5", "False", "(3,)"), d3), "'descr' is an integer, not a dtype string"},
      // fortran_order.
      {make_npy(dict("'<f4'", "0", "(3,)"), d3),
       "'fortran_order' is an integer, not True or False"},
      {make_npy(dict("'<f4'", "'False'", "(3,)"), d3), "'fortran_order' is a string"},
      {make_npy(dict("'<f4'", "None", "(3,)"), d3), "'fortran_order' is None"},
      // shape.
      {make_npy(dict("'<f4'", "False", "(-1,)"), d3), "shape entry -1 is negative"},
      {make_npy(dict("'<f4'", "False", "(3, -2)"), d3), "shape entry -2 is negative"},
      {make_npy(dict("'<f4'", "False", "(2.5,)"), d3),
       "shape entry 2.5 is not a non-negative integer"},
      {make_npy(dict("'<f4'", "False", "(3.0,)"), d3),
       "shape entry 3.0 is not a non-negative integer"},
      {make_npy(dict("'<f4'", "False", "(1e3,)"), d3),
       "shape entry 1e3 is not a non-negative integer"},
      {make_npy(dict("'<f4'", "False", "(03,)"), d3),
       "shape entry 03 is not a non-negative integer"},
      {make_npy(dict("'<f4'", "False", "(3L,)"), d3),
       "shape entry 3L is not a non-negative integer"},
      {make_npy(dict("'<f4'", "False", "('a',)"), d3),
       "shape entry 'a' is not a non-negative integer"},
      {make_npy(dict("'<f4'", "False", "(True,)"), d3),
       "shape entry True is not a non-negative integer"},
      {make_npy(dict("'<f4'", "False", "(None,)"), d3), "shape entry None is not a non-negative"},
      {make_npy(dict("'<f4'", "False", "((3,),)"), d3),
       "shape entry a tuple is not a non-negative"},
      {make_npy(dict("'<f4'", "False", "[3]"), d3), "'shape' is a list, not a tuple"},
      {make_npy(dict("'<f4'", "False", "(3)"), d3), "'shape' is an integer, not a tuple"},
      {make_npy(dict("'<f4'", "False", "'(3,)'"), d3), "'shape' is a string, not a tuple"},
      {make_npy(dict("'<f4'", "False", "(99999999999999999999,)"), d3),
       "shape entry 99999999999999999999 overflows int64"},
      {make_npy(dict("'<f4'", "False", "(9223372036854775808,)"), d3),
       "shape entry 9223372036854775808 overflows int64"},
      {make_npy(dict("'<f4'", "False", "(4294967296, 4294967296)"), d3),
       "element count of shape (4294967296, 4294967296) of dtype <f4 overflows int64"},
      {make_npy(dict("'<f8'", "False", "(2305843009213693952,)"), d3),
       "byte size of shape (2305843009213693952,) of dtype <f8 overflows int64"},
      {make_npy(dict("'<f4'", "False", "(0, 4611686018427387904, 4611686018427387904)"), ""),
       "strides overflow int64"},
      // Data size.
      {make_npy(good, d3.substr(0, 8)),
       "file is truncated: data has 8 bytes, shape (3,) of dtype "
       "<f4 needs 12"},
      {make_npy(good, d3 + std::string(4, '\0')), "4 trailing bytes after the data"},
      {make_npy(good, d3 + "x"), "1 trailing bytes after the data"},
      {make_npy(dict("'<f4'", "False", "(0,)"), std::string(1, '\0')),
       "1 trailing bytes after the data"},
      {make_npy(dict("'<f4'", "False", "()"), ""),
       "data has 0 bytes, shape () of dtype <f4 needs 4"},
      {make_npy(dict("'|b1'", "False", "(3,)"), std::string("\x01\x00\x02", 3)),
       "bool data holds byte 0x02 at element 2"},
  };
  for (std::size_t i = 0; i < table.size(); ++i) {
    const std::string name = "bad" + std::to_string(i) + ".npy";
    BOOST_TEST_CONTEXT(name << " expecting \"" << table[i].phrase << "\"") {
      expect_error([&] { parse(table[i].image, name); }, name, table[i].phrase);
    }
  }
  // The same images are accepted once the one defect is removed (the table tests the defect).
  BOOST_CHECK_NO_THROW(parse(make_npy(good, d3), "good.npy"));
  BOOST_CHECK_NO_THROW(parse(make_npy(good, d3, 3), "good3.npy"));
  BOOST_CHECK_NO_THROW(parse(raw_npy(1, 0, good + std::string(60, ' ') + "\n", d3), "g.npy"));
  BOOST_CHECK_NO_THROW(
      parse(make_npy(dict("'|b1'", "False", "(3,)"), std::string("\x01\x00\x01", 3)), "b.npy"));
}

// ---- files ----------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(read_errors_name_the_file) {
  TempDir dir;
  expect_error([&] { vt::read_npy(dir / "missing.npy"); }, dir / "missing.npy",
               "cannot open for reading: No such file or directory");
  expect_error([&] { vt::read_npy(dir.path.string()); }, dir.path.string(), "is a directory");
  std::ofstream(dir / "text.npy") << "just text";
  expect_error([&] { vt::read_npy(dir / "text.npy"); }, dir / "text.npy", "bad magic");
}

BOOST_AUTO_TEST_CASE(write_then_read_file) {
  TempDir dir;
  for (const auto& [label, t] : sample_tensors()) {
    const std::string p = dir / (label + ".npy");
    vt::write_npy(p, t);
    check_same(vt::read_npy(p), t);
    BOOST_TEST((file_bytes(p) == vt::serialize_npy(t)));
  }
  BOOST_TEST(dir.listing().size() == sample_tensors().size());  // no temporaries left over
}

BOOST_AUTO_TEST_CASE(write_into_missing_directory) {
  TempDir dir;
  const std::string p = dir / "missing/out.npy";
  expect_error([&] { vt::write_npy(p, Tensor::from<float>({1}, {1.0f})); }, p,
               "cannot create a temporary file");
  BOOST_TEST(dir.listing().empty());
  BOOST_TEST(!fs::exists(dir.path / "missing"));
}

BOOST_AUTO_TEST_CASE(write_under_a_regular_file) {
  // Tests run as root, so a read-only directory would not stop them: a path whose "directory"
  // is a regular file fails for everyone (ENOTDIR).
  TempDir dir;
  std::ofstream(dir / "plain") << "x";
  const std::string p = dir / "plain/out.npy";
  expect_error([&] { vt::write_npy(p, Tensor::from<float>({1}, {1.0f})); }, p, "Not a directory");
  BOOST_TEST((dir.listing() == std::vector<std::string>{"plain"}));
}

BOOST_AUTO_TEST_CASE(rename_failure_removes_the_temporary) {
  // The target is a non-empty directory: the temporary is written, then rename() fails.
  TempDir dir;
  fs::create_directory(dir.path / "target.npy");
  std::ofstream(dir / "target.npy/keep") << "x";
  const std::string p = dir / "target.npy";
  expect_error(
      [&] {
        vt::write_npy(p, Tensor::from<float>({2}, {1.0f, 2.0f}));
      },
      p, "cannot rename");
  BOOST_TEST((dir.listing() == std::vector<std::string>{"target.npy"}));
  BOOST_TEST((dir.listing("target.npy") == std::vector<std::string>{"keep"}));
  expect_error([&] { vt::write_npy(dir.path.string() + "/", Tensor::empty({1}, DType::f32)); },
               dir.path.string() + "/", "names a directory");
}

BOOST_AUTO_TEST_CASE(write_failure_midway_removes_the_temporary) {
  // RLIMIT_FSIZE makes write() fail with EFBIG after 4096 bytes (SIGXFSZ ignored meanwhile).
  TempDir dir;
  const std::string p = dir / "big.npy";
  rlimit old{};
  BOOST_TEST_REQUIRE(::getrlimit(RLIMIT_FSIZE, &old) == 0);
  const auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
  rlimit small = old;
  small.rlim_cur = 4096;
  BOOST_TEST_REQUIRE(::setrlimit(RLIMIT_FSIZE, &small) == 0);
  bool threw = false;
  std::string msg;
  try {
    vt::write_npy(p, Tensor::empty({100000}, DType::f64));
  } catch (const vt::Error& e) {
    threw = true;
    msg = e.what();
  }
  ::setrlimit(RLIMIT_FSIZE, &old);
  std::signal(SIGXFSZ, old_handler);
  BOOST_TEST(threw);
  BOOST_TEST(msg.find(p) != std::string::npos, msg);
  BOOST_TEST(msg.find("cannot write") != std::string::npos, msg);
  BOOST_TEST(dir.listing().empty());
}

BOOST_AUTO_TEST_CASE(write_replaces_atomically) {
  TempDir dir;
  const std::string p = dir / "x.npy";
  const Tensor a = Tensor::from<float>({3}, {1, 2, 3});
  const Tensor b = Tensor::from<std::int64_t>({2, 2}, {7, 8, 9, 10});
  vt::write_npy(p, a);
  // Hold the old file open: an in-place rewrite would change what this descriptor reads; a
  // rename leaves the old inode, and so this content, untouched.
  const int old_fd = ::open(p.c_str(), O_RDONLY);
  BOOST_TEST_REQUIRE(old_fd >= 0);
  vt::write_npy(p, b);
  check_same(vt::read_npy(p), b);
  const std::vector<std::byte> want_old = vt::serialize_npy(a);
  std::vector<std::byte> old_content(want_old.size() + 16);
  const ssize_t n = ::pread(old_fd, old_content.data(), old_content.size(), 0);
  ::close(old_fd);
  BOOST_TEST(n == static_cast<ssize_t>(want_old.size()));
  old_content.resize(static_cast<std::size_t>(std::max<ssize_t>(n, 0)));
  BOOST_TEST((old_content == want_old));
  BOOST_TEST((dir.listing() == std::vector<std::string>{"x.npy"}));
}

// ---- NumPy interoperability ------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(numpy_writes_we_read) {
  if (!have_numpy()) return;
  TempDir dir;
  const std::string script =
      "import numpy as np\n"
      "from numpy.lib import format as F\n"
      "d = '" +
      dir.path.string() + "'\n" + R"PY(
def save(name, a, version=None):
    with open(d + '/' + name, 'wb') as f:
        F.write_array(f, a, version=version)
a = np.arange(24).reshape(2, 3, 4) * 0.5 - 3
for ver in [(1, 0), (2, 0), (3, 0)]:
    for dt in ['<f4', '<f8']:
        save('%s_v%d_C.npy' % (dt[1:], ver[0]), np.ascontiguousarray(a, dtype=dt), ver)
        save('%s_v%d_F.npy' % (dt[1:], ver[0]), np.asfortranarray(a, dtype=dt), ver)
b = np.arange(6).reshape(2, 3) - 3
for dt in ['<i8', '<i4', '|i1']:
    save(dt[1:] + '_C.npy', np.ascontiguousarray(b, dtype=dt))
    save(dt[1:] + '_F.npy', np.asfortranarray(b, dtype=dt))
save('u1_F.npy', np.asfortranarray(b + 253, dtype='|u1'))
save('b1_F.npy', np.asfortranarray(b % 2 == 0))
save('scalar.npy', np.array(2.5, dtype='<f4'))
save('empty.npy', np.zeros((0, 3), dtype='<f8'))
save('special.npy', np.array([np.nan, -np.inf, -0.0, 5e-324, 1.7976931348623157e308]))
# 18 axes: only the growth padding after the dict pushes the header past 128 bytes.
save('growth.npy', np.full((1,) * 18, 7.0))
assert not np.load(d + '/f8_v1_F.npy').flags.c_contiguous
)PY";
  BOOST_TEST_REQUIRE(run_python(dir, script) == 0);

  std::vector<double> a;
  for (int i = 0; i < 24; ++i) a.push_back(i * 0.5 - 3);
  for (int ver : {1, 2, 3}) {
    for (const char* order : {"C", "F"}) {
      const bool fortran = order[0] == 'F';
      for (const char* dt : {"f4", "f8"}) {
        const std::string p =
            dir / (std::string(dt) + "_v" + std::to_string(ver) + "_" + order + ".npy");
        BOOST_TEST_CONTEXT(p) {
          const std::vector<std::byte> image = file_bytes(p);
          BOOST_TEST_REQUIRE(image.size() > 8u);
          BOOST_TEST(static_cast<int>(image[6]) == ver);  // NumPy wrote the version we meant
          const Tensor t = vt::read_npy(p);
          BOOST_TEST(t.shape() == (Shape{2, 3, 4}));
          BOOST_TEST(t.strides() == (fortran ? vt::Strides{1, 2, 6} : vt::Strides{12, 4, 1}));
          if (dt[1] == '4') {
            BOOST_TEST(static_cast<int>(t.dtype()) == static_cast<int>(DType::f32));
            BOOST_TEST((logical_bytes(t) == bytes_of(std::vector<float>(a.begin(), a.end()))));
          } else {
            BOOST_TEST(static_cast<int>(t.dtype()) == static_cast<int>(DType::f64));
            BOOST_TEST((logical_bytes(t) == bytes_of(a)));
          }
          // Our writer reproduces NumPy's C-order format-1.0 file byte for byte.
          if (!fortran && ver == 1) BOOST_TEST((vt::serialize_npy(t) == image));
        }
      }
    }
  }
  const std::vector<std::int64_t> b = {-3, -2, -1, 0, 1, 2};
  for (const char* order : {"C", "F"}) {
    const vt::Strides want = order[0] == 'F' ? vt::Strides{1, 2} : vt::Strides{3, 1};
    const Tensor i8 = vt::read_npy(dir / (std::string("i8_") + order + ".npy"));
    BOOST_TEST(i8.strides() == want);
    BOOST_TEST((logical_bytes(i8) == bytes_of(b)));
    const Tensor i4 = vt::read_npy(dir / (std::string("i4_") + order + ".npy"));
    BOOST_TEST(i4.strides() == want);
    BOOST_TEST((logical_bytes(i4) == bytes_of(std::vector<std::int32_t>(b.begin(), b.end()))));
    const Tensor i1 = vt::read_npy(dir / (std::string("i1_") + order + ".npy"));
    BOOST_TEST(i1.strides() == want);
    BOOST_TEST((logical_bytes(i1) == bytes_of(std::vector<std::int8_t>(b.begin(), b.end()))));
  }
  const Tensor u1 = vt::read_npy(dir / "u1_F.npy");
  BOOST_TEST(static_cast<int>(u1.dtype()) == static_cast<int>(DType::u8));
  BOOST_TEST(
      (logical_bytes(u1) == bytes_of(std::vector<std::uint8_t>{250, 251, 252, 253, 254, 255})));
  const Tensor b1 = vt::read_npy(dir / "b1_F.npy");
  BOOST_TEST(static_cast<int>(b1.dtype()) == static_cast<int>(DType::boolean));
  BOOST_TEST(b1.strides() == (vt::Strides{1, 2}));
  BOOST_TEST(
      (logical_bytes(b1) == bytes_of(std::vector<bool>{false, true, false, true, false, true})));
  const Tensor s = vt::read_npy(dir / "scalar.npy");
  BOOST_TEST(s.shape() == Shape{});
  BOOST_TEST(s.data<float>()[0] == 2.5f);
  BOOST_TEST((vt::serialize_npy(s) == file_bytes(dir / "scalar.npy")));
  const Tensor e = vt::read_npy(dir / "empty.npy");
  BOOST_TEST(e.shape() == (Shape{0, 3}));
  BOOST_TEST((vt::serialize_npy(e) == file_bytes(dir / "empty.npy")));
  const Tensor sp = vt::read_npy(dir / "special.npy");
  BOOST_TEST((logical_bytes(sp) ==
              bytes_of(std::vector<double>{
                  f64_bits(0x7ff8000000000000ull), -std::numeric_limits<double>::infinity(), -0.0,
                  std::numeric_limits<double>::denorm_min(), std::numeric_limits<double>::max()})));
  BOOST_TEST((vt::serialize_npy(sp) == file_bytes(dir / "special.npy")));
  BOOST_TEST(file_bytes(dir / "growth.npy").size() == 192u + 8u);
  for (const char* f : {"i8_C.npy", "i4_C.npy", "i1_C.npy", "growth.npy"})
    BOOST_TEST((vt::serialize_npy(vt::read_npy(dir / f)) == file_bytes(dir / f)), f);
}

BOOST_AUTO_TEST_CASE(numpy_reads_what_we_write) {
  if (!have_numpy()) return;
  TempDir dir;
  const Tensor base = Tensor::from<double>({3, 4}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});
  const std::vector<std::pair<std::string, Tensor>> ours = {
      {"f32", sample_tensors()[0].second},
      {"f64_t", base.transpose(0, 1)},
      {"f64_neg", base.slice(1, -1, -100, -3)},
      {"i64", sample_tensors()[2].second},
      {"i32_neg",
       Tensor::from<std::int32_t>({10}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}).slice(0, -1, -11, -3)},
      {"i8_bc", Tensor::from<std::int8_t>({3}, {-128, 0, 127}).expand({2, 3})},
      {"u8_0d", Tensor::from<std::uint8_t>({}, {255})},
      {"bool", Tensor::from<bool>({2, 2}, {true, false, false, true})},
      {"bool_empty", Tensor::empty({2, 0, 3}, DType::boolean)},
      {"f64_empty", Tensor::empty({0, 5}, DType::f64)},
  };
  for (const auto& [label, t] : ours) vt::write_npy(dir / (label + ".npy"), t);
  const std::string script =
      "import numpy as np, sys\n"
      "d = '" +
      dir.path.string() + "'\n" + R"PY(
def f32(bits):
    return np.array(bits, dtype='<u4').view('<f4')
base = np.arange(12, dtype='<f8').reshape(3, 4)
want = {
  'f32': f32([0, 0x80000000, 0x3fc00000, 0xc0100000, 0x7f800000, 0xff800000, 0x7fc01234,
              1, 0x7f7fffff, 0xff7fffff]).reshape(2, 5),
  'f64_t': base.T,
  'f64_neg': base[:, ::-3],
  'i64': np.array([[-2**63, 2**63 - 1], [0, -1]], dtype='<i8'),
  'i32_neg': np.arange(10, dtype='<i4')[::-3],
  'i8_bc': np.broadcast_to(np.array([-128, 0, 127], dtype='|i1'), (2, 3)),
  'u8_0d': np.array(255, dtype='|u1'),
  'bool': np.array([[True, False], [False, True]]),
  'bool_empty': np.zeros((2, 0, 3), dtype=bool),
  'f64_empty': np.zeros((0, 5)),
}
bad = 0
for name, w in want.items():
    g = np.load(d + '/' + name + '.npy')
    ok = (g.dtype.str == w.dtype.str and g.shape == w.shape and g.flags.c_contiguous
          and g.tobytes() == np.ascontiguousarray(w).tobytes())
    if not ok:
        bad += 1
        print('MISMATCH', name, g.dtype.str, w.dtype.str, g.shape, w.shape, g, w)
sys.exit(1 if bad else 0)
)PY";
  BOOST_TEST(run_python(dir, script) == 0);
}

BOOST_AUTO_TEST_SUITE_END()
