// fuzz/libfuzzer/replay_main.cpp — runs a libFuzzer target over files, without libFuzzer.
// What it is: a main() linked with one target (vt_fuzz_replay_<target>) that calls
// LLVMFuzzerTestOneInput once per file of the corpus directories (or files) named on its command
// line, in sorted order, so every build — g++ release, ASan, TSan — replays the committed corpora
// as an ordinary CTest test. It fails (exit 1, naming the file) when an input throws anything:
// the targets catch vt::Error themselves, so whatever escapes is a finding; a crash or a
// sanitizer report names the file too (signal handler / sanitizer death callback).
// What it is not: a fuzzer — it generates nothing; use the vt_fuzz_<target> binaries of the
// clang-fuzz preset for that (fuzz/README.md).
#include <algorithm>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <unistd.h>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);
// Present when a sanitizer runtime is linked (ASan/UBSan/TSan builds); null otherwise.
// NOLINTNEXTLINE(bugprone-reserved-identifier): the sanitizer runtime's own name.
extern "C" void __sanitizer_set_death_callback(void (*callback)(void)) __attribute__((weak));

namespace {

namespace fs = std::filesystem;

// The file being replayed, for the crash handlers (a fixed buffer: they may not allocate).
char g_current[4096] = "";

void say_current() {
  const char head[] = "vt_fuzz_replay: crashed while replaying ";
  [[maybe_unused]] ssize_t n = ::write(2, head, sizeof head - 1);
  n = ::write(2, g_current, std::strlen(g_current));
  n = ::write(2, "\n", 1);
}

extern "C" void on_signal(int sig) {
  say_current();
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

bool replay(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "vt_fuzz_replay: cannot read %s\n", file.c_str());
    return false;
  }
  const std::vector<char> bytes{std::istreambuf_iterator<char>(in),
                                std::istreambuf_iterator<char>()};
  std::snprintf(g_current, sizeof g_current, "%s", file.c_str());
  try {
    LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "vt_fuzz_replay: %s: uncaught exception: %s\n", file.c_str(), e.what());
    return false;
  } catch (...) {
    std::fprintf(stderr, "vt_fuzz_replay: %s: uncaught non-standard exception\n", file.c_str());
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR_OR_FILE...\n", argv[0]);
    return 2;
  }
  for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT}) std::signal(sig, on_signal);
  if (__sanitizer_set_death_callback) __sanitizer_set_death_callback(say_current);

  int files = 0, failed = 0;
  for (int i = 1; i < argc; ++i) {
    const fs::path arg = argv[i];
    std::vector<fs::path> todo;
    std::error_code ec;
    if (fs::is_directory(arg, ec)) {
      for (const fs::directory_entry& e : fs::recursive_directory_iterator(arg, ec))
        if (e.is_regular_file()) todo.push_back(e.path());
      std::sort(todo.begin(), todo.end());
    } else if (fs::is_regular_file(arg, ec)) {
      todo.push_back(arg);
    } else {
      std::fprintf(stderr, "vt_fuzz_replay: %s is neither a file nor a directory\n", argv[i]);
      return 2;
    }
    if (todo.empty()) {
      std::fprintf(stderr, "vt_fuzz_replay: %s holds no files\n", argv[i]);
      return 2;
    }
    for (const fs::path& f : todo) {
      ++files;
      failed += !replay(f);
    }
  }
  std::printf("vt_fuzz_replay: %d file(s) replayed, %d failed\n", files, failed);
  return failed ? 1 : 0;
}
