// fuzz/libfuzzer/cli.cpp — libFuzzer target: the `veritensor` argument parser.
// Input format: the arguments after the program name, separated by NUL bytes (a trailing NUL
// ends the last one); "veritensor" is argv[0]. The target calls vt::cli::parse_command_line only
// — nothing is ever executed, read or written (the parser at most checks that a --json/--junit
// directory exists). vt::Error is the expected answer to bad arguments, and CLI11's own usage
// errors come back as an exit code. Anything else — another exception (e.g. a std::
// invalid_argument escaping a number conversion), a sanitizer report — is a finding, as is an
// Invocation that is neither finished (exit_code) nor names a subcommand.
// What it is not: a test of what the subcommands do (tests/cli.cpp, tests/bad_input.cpp).
#include "cli/app.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<std::string> args{"veritensor"};
  std::string cur;
  for (std::size_t i = 0; i < size; ++i) {
    if (data[i] == 0) {
      args.push_back(std::move(cur));
      cur.clear();
    } else {
      cur.push_back(static_cast<char>(data[i]));
    }
  }
  if (!cur.empty()) args.push_back(std::move(cur));
  try {
    const vt::cli::Invocation inv = vt::cli::parse_command_line(args);
    if (!inv.exit_code && inv.command == vt::cli::Command::none) {
      std::fprintf(stderr, "vt_fuzz_cli: parsed, but neither finished nor a subcommand\n");
      std::abort();
    }
    if (inv.exit_code && *inv.exit_code != 0 && *inv.exit_code != 2) {
      std::fprintf(stderr, "vt_fuzz_cli: exit code %d\n", *inv.exit_code);
      std::abort();
    }
  } catch (const vt::Error&) {
  }
  return 0;
}
