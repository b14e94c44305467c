// core/npy.cpp — the .npy reader and writer.
// What it is: a strict parser for untrusted .npy images (every read length-checked, every size
// overflow-checked, every deviation from the format a vt::Error naming the file and the problem)
// and a writer that reproduces NumPy 1.24's np.save byte for byte, via temporary file + rename.
// What it is not: a general Python-literal evaluator — it accepts exactly the dict literal the
// format describes — nor a byte-swapper: big-endian files are rejected, not converted.
//
// The format (numpy/lib/format.py, NEP 1):
//   "\x93NUMPY" major minor | header length (uint16 LE for 1.0, uint32 LE for 2.0/3.0) |
//   header: a Python dict literal {'descr': str, 'fortran_order': bool, 'shape': tuple of int}
//   followed by spaces and one final '\n', ASCII in 1.0/2.0 and UTF-8 in 3.0 | raw data.
#include "core/npy.hpp"

#include <algorithm>
#include <atomic>
#include <bit>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>
#include <system_error>
#include <utility>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace vt {

// Data is copied between the file and tensors without byte swapping; '<' (and '=', native) is
// what both sides mean only on a little-endian host.
static_assert(std::endian::native == std::endian::little,
              "core/npy.cpp assumes a little-endian host; add byte swapping to port it");

namespace {

constexpr unsigned char kMagic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};
constexpr std::size_t kMagicLen = 8;  // magic + major + minor, NumPy's MAGIC_LEN
// NumPy ≥ 1.14-era writers pad so the data starts at a multiple of 64 (ARRAY_ALIGN); older
// NumPy and other writers (cnpy, several Rust and Julia libraries) pad to 16. Reading accepts
// any multiple of 16, which includes every file NumPy writes; writing uses 64 like NumPy 1.24.
constexpr std::size_t kReadAlign = 16;
constexpr std::size_t kWriteAlign = 64;
constexpr std::size_t kGrowthAxisMaxDigits = 21;  // NumPy's GROWTH_AXIS_MAX_DIGITS
constexpr int kMaxNesting = 32;

[[noreturn]] void fail(const std::string& name, const std::string& problem) {
  throw Error("", {}, name + ": " + problem);
}

std::string errno_text(int err) { return std::error_code(err, std::generic_category()).message(); }

/// A short, printable rendering of header text for error messages.
std::string excerpt(std::string_view s) {
  constexpr std::size_t kMax = 96;
  std::string out = "\"";
  for (std::size_t i = 0; i < s.size() && i < kMax; ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '\n') {
      out += "\\n";
    } else if (c < 0x20 || c >= 0x7f) {
      static const char* hex = "0123456789abcdef";
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  if (s.size() > kMax) out += "...";
  return out + "\"";
}

std::string hex_byte(unsigned char c) {
  static const char* hex = "0123456789ABCDEF";
  return std::string("0x") + hex[c >> 4] + hex[c & 15];
}

/// Offset of the first byte that breaks strict UTF-8 (no overlongs, no surrogates, ≤ U+10FFFF),
/// or npos.
std::size_t first_invalid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t len;
    std::uint32_t cp, min;
    if ((c >> 5) == 0x6) {
      len = 2, cp = c & 0x1fu, min = 0x80;
    } else if ((c >> 4) == 0xe) {
      len = 3, cp = c & 0x0fu, min = 0x800;
    } else if ((c >> 3) == 0x1e) {
      len = 4, cp = c & 0x07u, min = 0x10000;
    } else {
      return i;
    }
    if (len > s.size() - i) return i;
    for (std::size_t k = 1; k < len; ++k) {
      const auto b = static_cast<unsigned char>(s[i + k]);
      if ((b & 0xc0) != 0x80) return i;
      cp = (cp << 6) | (b & 0x3fu);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += len;
  }
  return std::string_view::npos;
}

// ---- the header dict literal -----------------------------------------------------------------
//
// Hand-written because no Debian-packaged C++ library parses Python literals (NumPy itself uses
// ast.literal_eval). It is a small recursive-descent parser for the subset a header can hold:
// dicts, tuples and lists (only to report them), strings in single or double quotes without
// escapes, integers, True/False/None. Whitespace between tokens is spaces or tabs. Anything
// else is an error. It only reads through `at()`, which is bounds-checked, and its recursion is
// limited to kMaxNesting levels.

struct PyValue {
  enum class Kind { string, integer, non_integer_number, boolean, none, tuple, list, dict };
  Kind kind = Kind::none;
  std::string text;               // string contents, or a number's spelling
  bool flag = false;              // boolean value
  std::vector<PyValue> items;     // tuple/list elements, dict values
  std::vector<std::string> keys;  // dict keys (strings only)
};

std::string_view kind_name(PyValue::Kind k) {
  switch (k) {
    case PyValue::Kind::string:
      return "a string";
    case PyValue::Kind::integer:
      return "an integer";
    case PyValue::Kind::non_integer_number:
      return "a non-integer number";
    case PyValue::Kind::boolean:
      return "a bool";
    case PyValue::Kind::none:
      return "None";
    case PyValue::Kind::tuple:
      return "a tuple";
    case PyValue::Kind::list:
      return "a list";
    case PyValue::Kind::dict:
      return "a dict";
  }
  return "?";
}

class HeaderParser {
 public:
  HeaderParser(std::string_view text, const std::string& name) : s_(text), name_(name) {}

  /// Parses the dict at the start of the text; returns it and leaves pos() after its '}'.
  PyValue parse_top() {
    if (at(0) != '{') syntax("it does not start with '{'");
    return parse_dict(0);
  }
  std::size_t pos() const { return pos_; }

 private:
  std::string_view s_;
  const std::string& name_;
  std::size_t pos_ = 0;

  /// The character at pos_ + k, or '\0' past the end (the header never contains a NUL that
  /// could be confused with it: NUL is an error wherever it appears).
  char at(std::size_t k) const { return pos_ + k < s_.size() ? s_[pos_ + k] : '\0'; }
  bool eof() const { return pos_ >= s_.size(); }

  [[noreturn]] void syntax(const std::string& what) const {
    fail(name_, "header is not a Python dict literal: " + what + " (at header offset " +
                    std::to_string(pos_) + " of " + excerpt(s_) + ")");
  }

  void skip_ws() {
    while (!eof() && (s_[pos_] == ' ' || s_[pos_] == '\t')) ++pos_;
  }

  static bool is_word_char(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  }

  PyValue parse_value(int depth) {
    if (depth > kMaxNesting)
      syntax("it nests deeper than " + std::to_string(kMaxNesting) + " levels");
    skip_ws();
    if (eof()) syntax("unexpected end of header");
    const char c = s_[pos_];
    if (c == '\'' || c == '"') return parse_string();
    if (c == '(') return parse_sequence(')', PyValue::Kind::tuple, depth);
    if (c == '[') return parse_sequence(']', PyValue::Kind::list, depth);
    if (c == '{') return parse_dict(depth);
    if ((c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.') return parse_number();
    if (is_word_char(c)) {
      std::size_t start = pos_;
      while (!eof() && is_word_char(s_[pos_])) ++pos_;
      std::string_view word = s_.substr(start, pos_ - start);
      PyValue v;
      if (word == "True" || word == "False") {
        v.kind = PyValue::Kind::boolean;
        v.flag = word == "True";
      } else if (word == "None") {
        v.kind = PyValue::Kind::none;
      } else {
        pos_ = start;
        syntax("unexpected name '" + std::string(word) + "'");
      }
      return v;
    }
    syntax("unexpected character " + excerpt(s_.substr(pos_, 1)));
  }

  PyValue parse_string() {
    const char quote = s_[pos_++];
    std::size_t start = pos_;
    while (true) {
      if (eof() || s_[pos_] == '\n') syntax("unterminated string");
      if (s_[pos_] == '\\') syntax("escape sequences in strings are not supported");
      if (s_[pos_] == '\0') syntax("NUL byte in a string");
      if (s_[pos_] == quote) break;
      ++pos_;
    }
    PyValue v;
    v.kind = PyValue::Kind::string;
    v.text = std::string(s_.substr(start, pos_ - start));
    ++pos_;  // closing quote
    return v;
  }

  /// A numeric literal: an optional sign and a run of digits, letters, '_' and '.' (plus a sign
  /// after an exponent marker). Only plain decimal integers are kept as integers; the rest
  /// (2.5, 1e3, 0x10, 1_000, 007) are reported as non-integers by whoever expected an int.
  PyValue parse_number() {
    std::size_t start = pos_;
    if (at(0) == '-' || at(0) == '+') ++pos_;
    std::size_t digits_start = pos_;
    while (!eof()) {
      char c = s_[pos_];
      if (is_word_char(c) || c == '.') {
        ++pos_;
      } else if ((c == '-' || c == '+') && pos_ > digits_start &&
                 (s_[pos_ - 1] == 'e' || s_[pos_ - 1] == 'E')) {
        ++pos_;
      } else {
        break;
      }
    }
    std::string_view digits = s_.substr(digits_start, pos_ - digits_start);
    if (digits.empty()) syntax("expected a number after the sign");
    bool all_digits = true;
    for (char c : digits) all_digits = all_digits && c >= '0' && c <= '9';
    PyValue v;
    v.text = std::string(s_.substr(start, pos_ - start));
    v.kind = all_digits && (digits.size() == 1 || digits[0] != '0')
                 ? PyValue::Kind::integer
                 : PyValue::Kind::non_integer_number;
    return v;
  }

  /// '(' or '[' … ')' or ']'. "(x)" without a comma is just x, as in Python.
  PyValue parse_sequence(char close, PyValue::Kind kind, int depth) {
    ++pos_;  // opening bracket
    PyValue v;
    v.kind = kind;
    bool comma = false;
    skip_ws();
    if (at(0) == close) {
      ++pos_;
      return v;
    }
    while (true) {
      v.items.push_back(parse_value(depth + 1));
      skip_ws();
      if (at(0) == ',') {
        comma = true;
        ++pos_;
        skip_ws();
        if (at(0) == close) {
          ++pos_;
          break;
        }
      } else if (at(0) == close) {
        ++pos_;
        break;
      } else {
        syntax(std::string("expected ',' or '") + close + "'");
      }
    }
    if (kind == PyValue::Kind::tuple && v.items.size() == 1 && !comma) {
      PyValue inner = std::move(v.items[0]);
      return inner;
    }
    return v;
  }

  PyValue parse_dict(int depth) {
    ++pos_;  // '{'
    PyValue v;
    v.kind = PyValue::Kind::dict;
    skip_ws();
    if (at(0) == '}') {
      ++pos_;
      return v;
    }
    while (true) {
      skip_ws();
      std::size_t key_pos = pos_;
      PyValue key = parse_value(depth + 1);
      if (key.kind != PyValue::Kind::string) {
        pos_ = key_pos;
        syntax("a dict key is " + std::string(kind_name(key.kind)) + ", not a string");
      }
      skip_ws();
      if (at(0) != ':') syntax("expected ':' after a dict key");
      ++pos_;
      v.keys.push_back(std::move(key.text));
      v.items.push_back(parse_value(depth + 1));
      skip_ws();
      if (at(0) == ',') {
        ++pos_;
        skip_ws();
        if (at(0) == '}') {
          ++pos_;
          break;
        }
      } else if (at(0) == '}') {
        ++pos_;
        break;
      } else {
        syntax("expected ',' or '}'");
      }
    }
    return v;
  }
};

// ---- dtypes ----------------------------------------------------------------------------------

constexpr std::string_view kSupported = "<f4, <f8, <i8, <i4, |i1, |u1, |b1";

DType parse_descr(const std::string& d, const std::string& name) {
  const std::string shown = "'" + d + "'";
  // 'O', '|O', '|O8' (older NumPy): pickled Python objects.
  const std::size_t code_at =
      !d.empty() && std::string_view("<>=|").find(d[0]) != std::string_view::npos ? 1 : 0;
  if (d.size() > code_at && d[code_at] == 'O')
    fail(name, "object arrays (descr " + shown + ") are not supported");
  if (d.size() >= 2) {
    const char order = d[0];
    const std::string_view code = std::string_view(d).substr(1);
    if (order == '<' || order == '>' || order == '=' || order == '|') {
      // One-byte types have no byte order: NumPy writes '|', and any marker means the same.
      if (code == "i1") return DType::i8;
      if (code == "u1") return DType::u8;
      if (code == "b1") return DType::boolean;
      std::optional<DType> multi;
      if (code == "f4") multi = DType::f32;
      if (code == "f8") multi = DType::f64;
      if (code == "i8") multi = DType::i64;
      if (code == "i4") multi = DType::i32;
      if (multi) {
        if (order == '<' || order == '=') return *multi;  // '=' is native: little (see above)
        if (order == '>')
          fail(name,
               "big-endian dtype " + shown +
                   " is not supported (convert it in NumPy: a.astype(a.dtype.newbyteorder('<')))");
        fail(name,
             "dtype " + shown + " has no byte order ('|' is only meaningful for one-byte types)");
      }
    }
  }
  fail(name, "unsupported dtype " + shown + " (supported: " + std::string(kSupported) + ")");
}

std::string descr_of(DType t) {
  switch (t) {
    case DType::f32:
      return "<f4";
    case DType::f64:
      return "<f8";
    case DType::i64:
      return "<i8";
    case DType::i32:
      return "<i4";
    case DType::i8:
      return "|i1";
    case DType::u8:
      return "|u1";
    case DType::boolean:
      return "|b1";
    case DType::hp:
      break;
  }
  throw Error("serialize_npy", {},
              "float128 tensors cannot be written to .npy: NumPy has no IEEE binary128 dtype "
              "(its '<f16' is the x87 80-bit long double); convert with to(DType::f64) first");
}

/// A shape entry: a non-negative decimal integer that fits int64.
std::int64_t shape_entry(const PyValue& v, const std::string& name) {
  if (v.kind == PyValue::Kind::integer) {
    std::string_view t = v.text;
    bool negative = false;
    if (t[0] == '-' || t[0] == '+') {
      negative = t[0] == '-';
      t.remove_prefix(1);
    }
    std::int64_t n = 0;
    for (char c : t) {
      if (__builtin_mul_overflow(n, std::int64_t{10}, &n) ||
          __builtin_add_overflow(n, std::int64_t{c - '0'}, &n))
        fail(name, "shape entry " + v.text + " overflows int64");
    }
    if (negative && n != 0) fail(name, "shape entry " + v.text + " is negative");
    return n;
  }
  const std::string shown = v.kind == PyValue::Kind::non_integer_number ? v.text
                            : v.kind == PyValue::Kind::string           ? "'" + v.text + "'"
                            : v.kind == PyValue::Kind::boolean ? (v.flag ? "True" : "False")
                                                               : std::string(kind_name(v.kind));
  fail(name, "shape entry " + shown + " is not a non-negative integer");
}

}  // namespace

// ---- reading ---------------------------------------------------------------------------------

Tensor parse_npy(std::span<const std::byte> bytes, const std::string& name) {
  const std::size_t size = bytes.size();
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(bytes[i]); };

  // Magic and version.
  for (std::size_t i = 0; i < sizeof kMagic && i < size; ++i)
    if (byte(i) != kMagic[i])
      fail(name, "not a .npy file (bad magic: it must start with \\x93NUMPY)");
  if (size < kMagicLen)
    fail(name,
         "file is truncated (" + std::to_string(size) + " bytes, shorter than the .npy preamble)");
  const unsigned major = byte(6), minor = byte(7);
  if (!((major == 1 || major == 2 || major == 3) && minor == 0))
    fail(name, "unsupported .npy format version " + std::to_string(major) + "." +
                   std::to_string(minor) + " (supported: 1.0, 2.0, 3.0)");

  // Header length.
  const std::size_t len_bytes = major == 1 ? 2 : 4;
  if (size < kMagicLen + len_bytes)
    fail(name,
         "file is truncated (" + std::to_string(size) + " bytes, shorter than the .npy preamble)");
  std::uint64_t header_len = 0;
  for (std::size_t k = 0; k < len_bytes; ++k)
    header_len |= static_cast<std::uint64_t>(byte(kMagicLen + k)) << (8 * k);
  const std::uint64_t header_start = kMagicLen + len_bytes;
  if (header_len > size - header_start)
    fail(name, "file is truncated: header length " + std::to_string(header_len) +
                   " runs past the end of the file (" + std::to_string(size) + " bytes)");
  const std::size_t data_start = header_start + header_len;
  const std::string_view header(reinterpret_cast<const char*>(bytes.data()) + header_start,
                                static_cast<std::size_t>(header_len));

  // Encoding.
  if (major < 3) {
    for (std::size_t i = 0; i < header.size(); ++i)
      if (static_cast<unsigned char>(header[i]) >= 0x80)
        fail(name, "header is not ASCII (byte " + hex_byte(static_cast<unsigned char>(header[i])) +
                       " at header offset " + std::to_string(i) + "; format " +
                       std::to_string(major) + ".0 headers must be ASCII)");
  } else if (std::size_t bad = first_invalid_utf8(header); bad != std::string_view::npos) {
    fail(name, "header is not valid UTF-8 (at header offset " + std::to_string(bad) + ")");
  }

  // Termination: one '\n', the last byte.
  if (header.empty() || header.back() != '\n')
    fail(name, "header is not terminated by '\\n' (header: " + excerpt(header) + ")");
  if (header.find('\n') != header.size() - 1)
    fail(name, "header contains a '\\n' before its end (header: " + excerpt(header) + ")");

  // The dict, then padding of spaces only, then alignment.
  HeaderParser parser(header.substr(0, header.size() - 1), name);
  const PyValue dict = parser.parse_top();
  for (std::size_t i = parser.pos(); i + 1 < header.size(); ++i)
    if (header[i] != ' ')
      fail(name, "header is not padded with spaces after the dict (found " +
                     excerpt(header.substr(i, 1)) + " at header offset " + std::to_string(i) + ")");
  if (data_start % kReadAlign != 0)
    fail(name, "header is not padded to a multiple of " + std::to_string(kReadAlign) +
                   " bytes (data starts at offset " + std::to_string(data_start) +
                   "; NumPy pads to " + std::to_string(kWriteAlign) + ")");

  // Keys: exactly 'descr', 'fortran_order', 'shape'.
  const PyValue* descr = nullptr;
  const PyValue* fortran = nullptr;
  const PyValue* shape_v = nullptr;
  for (std::size_t i = 0; i < dict.keys.size(); ++i) {
    const std::string& k = dict.keys[i];
    const PyValue** slot = k == "descr"           ? &descr
                           : k == "fortran_order" ? &fortran
                           : k == "shape"         ? &shape_v
                                                  : nullptr;
    if (!slot)
      fail(name, "header has unexpected key " + excerpt(k) +
                     " (expected exactly 'descr', 'fortran_order', 'shape')");
    if (*slot) fail(name, "header repeats key '" + k + "'");
    *slot = &dict.items[i];
  }
  for (auto [p, key] : {std::pair{descr, "descr"}, std::pair{fortran, "fortran_order"},
                        std::pair{shape_v, "shape"}})
    if (!p)
      fail(name, std::string("header lacks key '") + key +
                     "' (expected exactly 'descr', 'fortran_order', 'shape')");

  // Values.
  if (descr->kind == PyValue::Kind::list || descr->kind == PyValue::Kind::tuple)
    fail(name, "structured dtypes are not supported ('descr' is " +
                   std::string(kind_name(descr->kind)) + ")");
  if (descr->kind != PyValue::Kind::string)
    fail(name, "'descr' is " + std::string(kind_name(descr->kind)) + ", not a dtype string");
  const DType dtype = parse_descr(descr->text, name);
  if (fortran->kind != PyValue::Kind::boolean)
    fail(name,
         "'fortran_order' is " + std::string(kind_name(fortran->kind)) + ", not True or False");
  const bool fortran_order = fortran->flag;
  if (shape_v->kind != PyValue::Kind::tuple)
    fail(name, "'shape' is " + std::string(kind_name(shape_v->kind)) + ", not a tuple");
  Shape shape;
  for (const PyValue& e : shape_v->items) shape.push_back(shape_entry(e, name));

  // Sizes: element count, byte size, and the strides' span (NumPy's own limit) fit int64.
  const std::string shape_text = "shape " + shape_str(shape) + " of dtype " + descr->text;
  const auto isz = static_cast<std::int64_t>(itemsize(dtype));
  std::int64_t numel = 1, span = isz, nbytes = 0;
  for (std::int64_t d : shape)
    if (__builtin_mul_overflow(numel, d, &numel))
      fail(name, "element count of " + shape_text + " overflows int64");
  if (__builtin_mul_overflow(numel, isz, &nbytes))
    fail(name, "byte size of " + shape_text + " overflows int64");
  for (std::int64_t d : shape)
    if (__builtin_mul_overflow(span, std::max<std::int64_t>(d, 1), &span))
      fail(name, shape_text + " is too large: its strides overflow int64");

  // Data: exactly nbytes.
  const std::size_t have = size - data_start;
  if (have < static_cast<std::uint64_t>(nbytes))
    fail(name, "file is truncated: data has " + std::to_string(have) + " bytes, " + shape_text +
                   " needs " + std::to_string(nbytes));
  if (have > static_cast<std::uint64_t>(nbytes))
    fail(name, std::to_string(have - static_cast<std::size_t>(nbytes)) +
                   " trailing bytes after the data (" + shape_text + " needs " +
                   std::to_string(nbytes) + " bytes, the file has " + std::to_string(have) + ")");
  const std::byte* data = bytes.data() + data_start;
  if (dtype == DType::boolean)
    for (std::int64_t i = 0; i < nbytes; ++i)
      if (const auto b = static_cast<unsigned char>(data[i]); b > 1)
        fail(name, "bool data holds byte " + hex_byte(b) + " at element " + std::to_string(i) +
                       " (expected 0 or 1)");

  // The tensor: the file's bytes in a contiguous buffer. Fortran order is the C-order array of
  // the reversed shape, transposed — a view with Fortran strides, no reordering of data.
  try {
    Shape stored = shape;
    if (fortran_order) std::reverse(stored.begin(), stored.end());
    Tensor t = Tensor::empty(stored, dtype);
    if (nbytes > 0) std::memcpy(t.raw(), data, static_cast<std::size_t>(nbytes));
    if (fortran_order && shape.size() > 1) {
      std::vector<std::int64_t> order(shape.size());
      for (std::size_t k = 0; k < order.size(); ++k)
        order[k] = static_cast<std::int64_t>(order.size() - 1 - k);
      t = t.permute(order);
    }
    return t;
  } catch (const Error& e) {
    fail(name, std::string("cannot build the tensor: ") + e.what());
  }
}

Tensor read_npy(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail(path, "cannot open for reading: " + errno_text(errno));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) fail(path, "cannot stat: " + errno_text(errno));
  if (S_ISDIR(st.st_mode)) fail(path, "is a directory, not a .npy file");
  // One byte more than a regular file's size, so that the read which sees EOF needs no growth.
  std::vector<std::byte> buf(S_ISREG(st.st_mode) ? static_cast<std::size_t>(st.st_size) + 1
                                                 : std::size_t{65536});
  std::size_t used = 0;
  while (true) {
    if (used == buf.size()) buf.resize(2 * buf.size());
    const ssize_t n = ::read(fd, buf.data() + used, buf.size() - used);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail(path, "read failed: " + errno_text(errno));
    }
    if (n == 0) break;
    used += static_cast<std::size_t>(n);
  }
  buf.resize(used);
  return parse_npy(buf, path);
}

// ---- writing ---------------------------------------------------------------------------------

std::vector<std::byte> serialize_npy(const Tensor& t) {
  if (!t.defined()) throw Error("serialize_npy", {}, "the tensor is undefined");
  const std::string descr = descr_of(t.dtype());
  const Shape& shape = t.shape();

  // NumPy 1.24's _write_array_header: sorted keys, repr() values, a trailing ", ", then room
  // for the first axis to grow to GROWTH_AXIS_MAX_DIGITS digits.
  std::string header =
      "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape_str(shape) + ", }";
  if (!shape.empty()) header.append(kGrowthAxisMaxDigits - std::to_string(shape[0]).size(), ' ');

  // _wrap_header: spaces then '\n' so that the data starts at a multiple of 64; version 1.0
  // while the header length fits 16 bits, else 2.0 (our headers are ASCII: 3.0 is never needed).
  const std::size_t hlen = header.size() + 1;
  unsigned major = 1;
  std::size_t len_bytes = 2;
  std::size_t pad = kWriteAlign - (kMagicLen + len_bytes + hlen) % kWriteAlign;
  if (hlen + pad > 0xffff) {
    major = 2;
    len_bytes = 4;
    pad = kWriteAlign - (kMagicLen + len_bytes + hlen) % kWriteAlign;
    if (hlen + pad > 0xffffffffu)
      throw Error("serialize_npy", {}, "the .npy header would exceed 4 GiB");
  }
  const std::size_t total_header = hlen + pad;

  const Tensor c = t.contiguous();
  const std::size_t nbytes = static_cast<std::size_t>(c.numel()) * itemsize(c.dtype());
  std::vector<std::byte> out;
  out.reserve(kMagicLen + len_bytes + total_header + nbytes);
  for (unsigned char m : kMagic) out.push_back(static_cast<std::byte>(m));
  out.push_back(static_cast<std::byte>(major));
  out.push_back(std::byte{0});
  for (std::size_t k = 0; k < len_bytes; ++k)
    out.push_back(static_cast<std::byte>((total_header >> (8 * k)) & 0xff));
  for (char ch : header) out.push_back(static_cast<std::byte>(ch));
  out.insert(out.end(), pad, static_cast<std::byte>(' '));
  out.push_back(static_cast<std::byte>('\n'));
  if (nbytes > 0) {
    const std::byte* p = c.raw();
    out.insert(out.end(), p, p + nbytes);
  }
  return out;
}

void write_npy(const std::string& path, const Tensor& t) {
  std::vector<std::byte> bytes;
  try {
    bytes = serialize_npy(t);
  } catch (const Error& e) {
    fail(path, e.what());
  }

  const std::size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "" : path.substr(0, slash + 1);
  const std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  if (base.empty() || base == "." || base == "..")
    fail(path, "names a directory, not a file to write");

  // The temporary lives in the target's directory so that rename() is atomic; O_EXCL with a
  // per-process counter makes it ours alone. Mode 0666 lets the umask decide, as for np.save.
  struct TempFile {
    std::string path;
    int fd = -1;
    bool keep = false;
    ~TempFile() {
      if (fd >= 0) ::close(fd);
      if (!keep && !path.empty()) ::unlink(path.c_str());
    }
  } tmp;
  static std::atomic<unsigned long> counter{0};
  for (int attempt = 0; tmp.fd < 0; ++attempt) {
    std::string candidate = dir + "." + base.substr(0, 100) + ".tmp-" + std::to_string(::getpid()) +
                            "-" + std::to_string(counter++);
    const int fd = ::open(candidate.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0) {
      tmp.path = std::move(candidate);
      tmp.fd = fd;
    } else if (errno != EEXIST || attempt >= 100) {
      fail(path, "cannot create a temporary file '" + candidate + "': " + errno_text(errno));
    }
  }

  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(tmp.fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail(path, "cannot write '" + tmp.path + "': " + errno_text(errno));
    }
    done += static_cast<std::size_t>(n);
  }
  // Flush before the rename so that a crash leaves the old file or the new one, never an empty
  // new one (EINVAL: the file system does not support syncing; nothing to wait for).
  if (::fsync(tmp.fd) != 0 && errno != EINVAL)
    fail(path, "cannot flush '" + tmp.path + "': " + errno_text(errno));
  const int fd = std::exchange(tmp.fd, -1);
  if (::close(fd) != 0) fail(path, "cannot close '" + tmp.path + "': " + errno_text(errno));
  if (::rename(tmp.path.c_str(), path.c_str()) != 0)
    fail(path, "cannot rename '" + tmp.path + "' over it: " + errno_text(errno));
  tmp.keep = true;
}

}  // namespace vt
