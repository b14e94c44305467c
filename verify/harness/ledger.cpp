// verify/harness/ledger.cpp — parsing, checking and rewriting the error ledger.
// Hand-written because the format is a plain whitespace table meant to be read and diffed by
// people (with comments), which no Debian library parses better than a dozen lines do.
#include "verify/harness/ledger.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#ifndef VT_SOURCE_DIR
#define VT_SOURCE_DIR "."
#endif

namespace vt::verify {

std::string Ledger::default_path() {
  if (const char* p = std::getenv("VERITENSOR_LEDGER"); p && *p) return p;
  return std::string(VT_SOURCE_DIR) + "/verify/ledger.txt";
}

double round_up_3(double x) {
  if (!(x > 0)) return 0;
  const double e = std::floor(std::log10(x)) - 2;
  const double q = std::pow(10.0, e);
  return std::ceil(x / q - 1e-9) * q;
}

Ledger Ledger::parse(std::string_view text, const std::string& name) {
  Ledger l;
  l.path_ = name;
  std::size_t pos = 0;
  int lineno = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string line(text.substr(pos, end - pos));
    pos = end + 1;
    ++lineno;
    std::string body = line, note;
    if (std::size_t hash = line.find('#'); hash != std::string::npos) {
      body = line.substr(0, hash);
      note = line.substr(hash + 1);
      while (!note.empty() && note.front() == ' ') note.erase(note.begin());
    }
    auto where = name + ":" + std::to_string(lineno) + ": ";
    std::istringstream in(body);
    std::vector<std::string> f;
    for (std::string w; in >> w;) f.push_back(w);
    if (f.empty()) {
      l.lines_.push_back({line, -1});
      continue;
    }
    // A NUL (or another control byte) inside a field is no spelling of an op or a backend, and
    // serialize() could not write it back (found by fuzz/libfuzzer/ledger.cpp).
    for (const std::string& w : f)
      for (char c : w)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
          char hex[8];
          std::snprintf(hex, sizeof hex, "0x%02X", static_cast<unsigned char>(c));
          throw Error("", {}, where + "control byte " + hex + " in an entry");
        }
    if (f.size() != 6)
      throw Error("", {},
                  where + "expected 6 fields (op backend variant dtype unit accepted), found " +
                      std::to_string(f.size()));
    if (f[3] != "float32" && f[3] != "float64")
      throw Error("", {}, where + "dtype must be float32 or float64, not '" + f[3] + "'");
    if (f[4] != "ulp" && f[4] != "bound")
      throw Error("", {}, where + "unit must be ulp or bound, not '" + f[4] + "'");
    char* endp = nullptr;
    const double v = std::strtod(f[5].c_str(), &endp);
    if (endp != f[5].c_str() + f[5].size() || !std::isfinite(v) || v < 0)
      throw Error("", {}, where + "accepted maximum '" + f[5] + "' is not a finite number ≥ 0");
    if (l.find(f[0], f[1], f[2], f[3]))
      throw Error("", {},
                  where + "duplicate entry for " + f[0] + " " + f[1] + " " + f[2] + " " + f[3]);
    l.entries_.push_back({f[0], f[1], f[2], f[3], f[4], v, note});
    l.lines_.push_back({"", static_cast<int>(l.entries_.size() - 1)});
  }
  return l;
}

Ledger Ledger::load(const std::string& path) {
  // A directory opens as an empty stream: it would pass for an empty ledger.
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw Error("", {}, path + ": is a directory, not a ledger file");
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (std::filesystem::exists(path, ec))
      throw Error("", {}, path + ": cannot open the ledger for reading");
    Ledger l;
    l.path_ = path;
    return l;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw Error("", {}, path + ": cannot read the ledger");
  Ledger l = parse(ss.str(), path);
  l.path_ = path;
  return l;
}

const LedgerEntry* Ledger::find(const std::string& op, const std::string& backend,
                                const std::string& variant, const std::string& dtype) const {
  for (const LedgerEntry& e : entries_)
    if (e.op == op && e.backend == backend && e.variant == variant && e.dtype == dtype) return &e;
  return nullptr;
}

void Ledger::record(const RowResult& row) {
  const std::string dt(dtype_name(row.dtype));
  const double v = round_up_3(row.max_error);
  for (LedgerEntry& e : entries_)
    if (e.op == row.op && e.backend == row.backend && e.variant == row.variant && e.dtype == dt) {
      e.accepted = v;
      return;
    }
  entries_.push_back({row.op, row.backend, row.variant, dt, class_unit(row.cls), v, ""});
  lines_.push_back({"", static_cast<int>(entries_.size() - 1)});
}

std::string Ledger::serialize() const {
  std::string out;
  char buf[32];
  for (const Line& l : lines_) {
    if (l.entry < 0) {
      out += l.text + "\n";
      continue;
    }
    const LedgerEntry& e = entries_[static_cast<std::size_t>(l.entry)];
    // Columns padded as "%-12s %-10s %-14s %-8s %-6s %-10.3g" would, but without a fixed
    // buffer: a field of any length is written whole.
    const auto column = [](const std::string& v, std::size_t width) {
      return v.size() >= width ? v : v + std::string(width - v.size(), ' ');
    };
    // The shortest spelling (3 significant digits or more) that reads back as the same value:
    // recorded entries have 3 digits; a hand-written 0.5024 must not come back as 0.502.
    for (int digits = 3; digits <= 17; ++digits) {
      std::snprintf(buf, sizeof buf, "%.*g", digits, e.accepted);
      if (std::strtod(buf, nullptr) == e.accepted) break;
    }
    std::string line = column(e.op, 12) + " " + column(e.backend, 10) + " " +
                       column(e.variant, 14) + " " + column(e.dtype, 8) + " " + column(e.unit, 6) +
                       " " + column(buf, 10);
    if (!e.note.empty()) line += " # " + e.note;
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

void Ledger::save() const {
  namespace fs = std::filesystem;
  const std::string tmp = path_ + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw Error("", {}, "cannot write the ledger " + path_);
    out << serialize();
    if (!out) {
      std::remove(tmp.c_str());
      throw Error("", {}, "cannot write the ledger " + path_);
    }
  }
  fs::rename(tmp, path_);
}

void apply_ledger(Ledger& ledger, RowResult& row, LedgerUse use) {
  if (use == LedgerUse::update) {
    ledger.record(row);
    row.ledger_max = round_up_3(row.max_error);
    return;
  }
  const LedgerEntry* e =
      ledger.find(row.op, row.backend, row.variant, std::string(dtype_name(row.dtype)));
  std::string problem;
  if (!e) {
    problem =
        "no ledger entry (record one with `veritensor verify --update-ledger` and justify it)";
  } else {
    row.ledger_max = e->accepted;
    if (e->accepted > row.budget)
      problem = "the ledger's accepted " + std::to_string(e->accepted) +
                " exceeds the class bound " + std::to_string(row.budget);
    else if (row.max_error > e->accepted)
      problem = "max error " + std::to_string(row.max_error) + " is above the ledger's accepted " +
                std::to_string(e->accepted) + " (a regression, or a new worst case to explain)";
  }
  if (problem.empty()) return;
  row.message = problem;
  if (use == LedgerUse::check) row.verdict = Verdict::failed;
}

}  // namespace vt::verify
