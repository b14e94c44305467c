// verify/harness/ledger.hpp — the error ledger (DESIGN.md): the accepted maximum error of every
// op × backend × variant × dtype whose class is not `exact`, in the class's unit, one line each:
//     op  backend  variant  dtype  unit  accepted   # note
// A run whose maximum exceeds its entry fails (a regression, or a new worst case to explain).
// An entry may tighten freely; raising one needs its error analysis in the note or the spec.
// What it is not: the class bound itself — entries can never exceed it.
#pragma once

#include "verify/harness/runner.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace vt::verify {

struct LedgerEntry {
  std::string op, backend, variant, dtype, unit;
  double accepted = 0;
  std::string note;
};

class Ledger {
 public:
  /// $VERITENSOR_LEDGER, else verify/ledger.txt in the source tree this binary was built from.
  static std::string default_path();
  /// Parses ledger text; `name` appears in errors ("ledger.txt:12: …"). Throws vt::Error.
  static Ledger parse(std::string_view text, const std::string& name);
  /// Reads a ledger file (a missing file is an empty ledger that knows its path).
  static Ledger load(const std::string& path);

  const LedgerEntry* find(const std::string& op, const std::string& backend,
                          const std::string& variant, const std::string& dtype) const;
  /// Sets (or adds) the entry for a row to its observed maximum, rounded up to 3 digits.
  void record(const RowResult& row);
  std::string serialize() const;
  /// Writes back to the path it was loaded from (temporary file + rename).
  void save() const;

 private:
  struct Line {
    std::string text;  // comment or blank line, kept verbatim
    int entry = -1;    // index into entries_, or -1
  };
  std::vector<Line> lines_;
  std::vector<LedgerEntry> entries_;
  std::string path_;
};

enum class LedgerUse { check, report, update };
/// Compares a passed row with its entry; in check mode a missing or exceeded entry fails the row.
void apply_ledger(Ledger& ledger, RowResult& row, LedgerUse use);

/// 3 significant digits, rounded up (0 stays 0).
double round_up_3(double x);

}  // namespace vt::verify
