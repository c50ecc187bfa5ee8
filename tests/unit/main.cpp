// doctest main for cove's unit binaries: each run works in a private scratch directory (under
// $TMPDIR) that is removed on success and kept on failure for inspection.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

int main(int argc, char** argv) {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = std::string(tmp != nullptr ? tmp : "/tmp") + "/cove-unit-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr || ::chdir(pattern.c_str()) != 0) {
    std::perror("cove unit tests: scratch directory");
    return 1;
  }
  doctest::Context context(argc, argv);
  int rc = context.run();
  if (::chdir("/") == 0 && rc == 0) {
    std::error_code ec;
    std::filesystem::remove_all(pattern, ec);
  } else if (rc != 0) {
    std::fprintf(stderr, "cove unit tests: scratch directory kept at %s\n", pattern.c_str());
  }
  return rc;
}
