// verify/harness/report.hpp — verification reports: the terminal table, failure details with a
// repro command each, JSON and JUnit XML. What it is not: running anything.
#pragma once

#include "verify/harness/runner.hpp"

#include <cstdio>
#include <string>

namespace vt::verify {

/// The table header, one row, and the closing summary (printed as rows arrive).
void print_table_header(std::FILE* out);
void print_row(std::FILE* out, const RowResult& row);
/// Every failed or vacuous case: op, backend, variant, dtype, shapes, seed, the worst element with
/// error and bound, and the command that reruns it.
void print_problems(std::FILE* out, const Report& rep, const Options& opts);
void print_summary(std::FILE* out, const Report& rep);

void write_json(const std::string& path, const Report& rep, const Options& opts);
void write_junit(const std::string& path, const Report& rep, const Options& opts);

/// Writes `content` to path through a temporary file and a rename (never a partial file).
void write_file_atomic(const std::string& path, const std::string& content);

}  // namespace vt::verify
