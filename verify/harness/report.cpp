// verify/harness/report.cpp — formatting of verification results.
// JUnit XML is written by hand: it is five element types, and no Debian C++ library targets it.
#include "verify/harness/report.hpp"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>

namespace vt::verify {

namespace {

std::string fmt_err(double e) {
  if (std::isinf(e)) return "inf";
  char b[32];
  std::snprintf(b, sizeof b, "%.3g", e);
  return b;
}

std::string class_label(const RowResult& r) {
  if (!r.class_label.empty()) return r.class_label;
  char b[48];
  switch (r.cls) {
    case AccuracyClass::ulp:
      std::snprintf(b, sizeof b, "ulp(%g)", r.budget);
      return b;
    case AccuracyClass::sum_bound:
      return "sum-bound";
    default:
      return class_name(r.cls);
  }
}

std::string worst_label(const RowResult& r) {
  if (!r.worst) return "-";
  std::string s = std::string(regime_name(r.worst->regime)) + "#" + std::to_string(r.worst->index);
  if (!r.worst->shapes.empty()) s += " " + shape_str(r.worst->shapes[0]);
  return s;
}

std::string xml_escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    switch (c) {
      case '&':
        o += "&amp;";
        break;
      case '<':
        o += "&lt;";
        break;
      case '>':
        o += "&gt;";
        break;
      case '"':
        o += "&quot;";
        break;
      case '\'':
        o += "&apos;";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t')
          o += ' ';
        else
          o += c;
    }
  }
  return o;
}

}  // namespace

void print_table_header(std::FILE* out) {
  std::fprintf(out, "%-12s %-10s %-30s %-8s %-10s %6s %10s %10s %-6s %-24s %s\n", "op", "backend",
               "variant", "dtype", "class", "cases", "max err", "rms err", "unit", "worst case",
               "verdict");
}

void print_row(std::FILE* out, const RowResult& r) {
  std::string verdict = verdict_name(r.verdict);
  if (r.ledger_max && r.verdict == Verdict::passed)
    verdict += " (ledger " + fmt_err(*r.ledger_max) + ")";
  if (r.cases_failed) verdict += " " + std::to_string(r.cases_failed) + " failed";
  if (r.cases_vacuous) verdict += " " + std::to_string(r.cases_vacuous) + " vacuous";
  if (!r.message.empty() && (r.verdict != Verdict::passed || !r.ledger_max))
    verdict += ": " + r.message;
  std::fprintf(out, "%-12s %-10s %-30s %-8s %-10s %6d %10s %10s %-6s %-24s %s\n", r.op.c_str(),
               r.backend.c_str(), (r.variant + (r.planted_bug ? " †" : "")).c_str(),
               std::string(dtype_name(r.dtype)).c_str(), class_label(r).c_str(), r.cases_run,
               fmt_err(r.max_error).c_str(), fmt_err(r.rms_error).c_str(), class_unit(r.cls),
               worst_label(r).c_str(), verdict.c_str());
  std::fflush(out);
}

void print_problems(std::FILE* out, const Report& rep, const Options& opts) {
  int shown = 0;
  for (const RowResult& r : rep.rows) {
    for (const CaseResult& c : r.problems) {
      if (++shown > 50) {
        std::fprintf(out, "… more problems omitted; see --json for all of them\n");
        return;
      }
      std::fprintf(out, "\n%s: %s %s/%s %s — %s\n", verdict_name(c.verdict), r.op.c_str(),
                   r.backend.c_str(), r.variant.c_str(), std::string(dtype_name(r.dtype)).c_str(),
                   c.message.c_str());
      std::fprintf(out, "  case:   %s\n", c.description.c_str());
      std::fprintf(out, "  seed:   %llu\n", static_cast<unsigned long long>(rep.seed));
      if (c.comparison.has_worst) {
        const ElementReport& w = c.comparison.worst;
        std::string idx = "(";
        for (std::size_t k = 0; k < w.index.size(); ++k)
          idx += (k ? ", " : "") + std::to_string(w.index[k]);
        idx += ")";
        std::fprintf(
            out,
            "  worst:  output %d element %s got %.17g expected %.17g error %s %s (bound %s)%s%s\n",
            c.output, idx.c_str(), w.got, w.expected, fmt_err(w.error).c_str(), class_unit(r.cls),
            fmt_err(w.bound).c_str(), w.reason.empty() ? "" : " — ", w.reason.c_str());
      }
      if (!c.saved.empty()) std::fprintf(out, "  saved:  %s\n", c.saved.c_str());
      std::fprintf(out, "  repro:  %s\n", repro_command(r, c, opts).c_str());
    }
    if (r.problems.empty() && r.verdict == Verdict::failed && !r.message.empty())
      std::fprintf(out, "\nFAILED: %s %s/%s %s — %s\n", r.op.c_str(), r.backend.c_str(),
                   r.variant.c_str(), std::string(dtype_name(r.dtype)).c_str(), r.message.c_str());
  }
}

void print_summary(std::FILE* out, const Report& rep) {
  if (rep.bitwise) {
    // Say what --bitwise could and could not require: rows whose implementation does not
    // promise the same bits with every thread count were held only to what they promise.
    std::fprintf(out,
                 "\nbitwise: every passed case was rerun (same settings; 1, 2, 3 threads) "
                 "and reproduced the bits its implementation promises.\n");
    std::string seen;
    for (const RowResult& r : rep.rows) {
      if (r.determinism == Determinism::bitwise) continue;
      const std::string key = r.op + " " + r.backend + "/" + r.variant;
      if (seen.find("|" + key + "|") != std::string::npos) continue;
      seen += "|" + key + "|";
      std::fprintf(out, "  not bitwise across thread counts: %s — promises %s: %s\n", key.c_str(),
                   determinism_name(r.determinism), r.determinism_note.c_str());
    }
  }
  for (const std::string& note : rep.notes) std::fprintf(out, "\n%s", note.c_str());
  std::fprintf(out,
               "\n%d rows: %d passed, %d failed, %d vacuous, %d unsupported, %d not run  "
               "(seed %llu, %.1f s, %s)\n",
               static_cast<int>(rep.rows.size()), rep.count(Verdict::passed),
               rep.count(Verdict::failed), rep.count(Verdict::vacuous),
               rep.count(Verdict::unsupported), rep.count(Verdict::not_run),
               static_cast<unsigned long long>(rep.seed), rep.seconds, rep.build.c_str());
}

void write_file_atomic(const std::string& path, const std::string& content) {
  namespace fs = std::filesystem;
  const fs::path target(path);
  const fs::path tmp = target.parent_path() / (target.filename().string() + ".tmp-veritensor");
  {
    std::ofstream o(tmp, std::ios::binary | std::ios::trunc);
    if (!o) throw Error("", {}, "cannot write " + path + " (missing directory or no permission)");
    o << content;
    o.flush();
    if (!o) {
      std::error_code ec;
      fs::remove(tmp, ec);
      throw Error("", {}, "cannot write " + path);
    }
  }
  std::error_code ec;
  fs::rename(tmp, target, ec);
  if (ec) {
    fs::remove(tmp, ec);
    throw Error("", {}, "cannot replace " + path + ": " + ec.message());
  }
}

void write_json(const std::string& path, const Report& rep, const Options& opts) {
  using nlohmann::json;
  json j;
  j["seed"] = rep.seed;
  j["build"] = rep.build;
  j["seconds"] = rep.seconds;
  j["verdict"] = verdict_name(rep.overall());
  j["bitwise"] = rep.bitwise;
  j["notes"] = rep.notes;
  j["rows"] = json::array();
  for (const RowResult& r : rep.rows) {
    json row = {{"op", r.op},
                {"family", r.family},
                {"backend", r.backend},
                {"variant", r.variant},
                {"planted_bug", r.planted_bug},
                {"dtype", dtype_name(r.dtype)},
                {"class", class_name(r.cls)},
                {"budget", r.budget},
                {"unit", class_unit(r.cls)},
                {"cases", r.cases_run},
                {"cases_failed", r.cases_failed},
                {"cases_vacuous", r.cases_vacuous},
                {"elements", r.elements},
                {"max_error", std::isfinite(r.max_error) ? json(r.max_error) : json("inf")},
                {"rms_error", r.rms_error},
                {"verdict", verdict_name(r.verdict)},
                {"message", r.message},
                {"determinism", determinism_name(r.determinism)},
                {"seconds", r.seconds}};
    if (!r.determinism_note.empty()) row["determinism_note"] = r.determinism_note;
    if (r.ledger_max) row["ledger_accepted"] = *r.ledger_max;
    if (r.worst) row["worst_case"] = r.worst->description;
    row["problems"] = json::array();
    for (const CaseResult& c : r.problems) {
      json p = {{"case", c.description},
                {"verdict", verdict_name(c.verdict)},
                {"message", c.message},
                {"repro", repro_command(r, c, opts)}};
      if (c.comparison.has_worst) {
        const ElementReport& w = c.comparison.worst;
        p["worst"] = {{"index", w.index},
                      {"got", std::isfinite(w.got) ? json(w.got) : json(std::to_string(w.got))},
                      {"expected", std::isfinite(w.expected) ? json(w.expected)
                                                             : json(std::to_string(w.expected))},
                      {"error", std::isfinite(w.error) ? json(w.error) : json("inf")},
                      {"bound", w.bound},
                      {"reason", w.reason}};
      }
      row["problems"].push_back(p);
    }
    j["rows"].push_back(row);
  }
  write_file_atomic(path, j.dump(2) + "\n");
}

void write_junit(const std::string& path, const Report& rep, const Options& opts) {
  std::string body;
  int failures = 0, skipped = 0;
  for (const RowResult& r : rep.rows) {
    const std::string name =
        r.op + " " + r.backend + "/" + r.variant + " " + std::string(dtype_name(r.dtype));
    char head[64];
    std::snprintf(head, sizeof head, "%.3f", r.seconds);
    body += "    <testcase classname=\"veritensor." + xml_escape(r.family) + "\" name=\"" +
            xml_escape(name) + "\" time=\"" + head + "\">\n";
    if (r.verdict == Verdict::failed || r.verdict == Verdict::vacuous) {
      ++failures;
      std::string detail = r.message;
      for (const CaseResult& c : r.problems)
        detail +=
            "\n" + c.description + ": " + c.message + "\n  repro: " + repro_command(r, c, opts);
      body += "      <failure message=\"" + xml_escape(verdict_name(r.verdict)) + "\">" +
              xml_escape(detail) + "</failure>\n";
    } else if (r.verdict != Verdict::passed) {
      ++skipped;
      body += "      <skipped message=\"" + xml_escape(r.message) + "\"/>\n";
    }
    body += "    </testcase>\n";
  }
  std::string xml =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n  <testsuite name=\"veritensor "
      "verify\" tests=\"" +
      std::to_string(rep.rows.size()) + "\" failures=\"" + std::to_string(failures) +
      "\" skipped=\"" + std::to_string(skipped) + "\">\n" + body +
      "  </testsuite>\n</testsuites>\n";
  write_file_atomic(path, xml);
}

}  // namespace vt::verify
