// cli/main.cpp — the `veritensor` command's main(): exit codes and the one-line error.
// What it is: parse (cli/app.hpp), run, and map the outcome to an exit code — 0 everything
// passed, 1 verification failed, 2 bad usage or bad input (one line on stderr).
// What it is not: the subcommands or their options (cli/app.cpp).
#include "cli/app.hpp"

#include <cstdio>
#include <exception>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  try {
    const vt::cli::Invocation inv =
        vt::cli::parse_command_line(std::vector<std::string>(argv, argv + argc));
    if (inv.exit_code) {  // --help, --version, or a usage error CLI11 reported
      std::fputs(inv.out.c_str(), stdout);
      std::fputs(inv.err.c_str(), stderr);
      return *inv.exit_code;
    }
    return vt::cli::execute(inv);
  } catch (const std::exception& e) {  // vt::Error and anything else: one line, exit 2
    std::fprintf(stderr, "veritensor: error: %s\n", e.what());
    return 2;
  }
}
