#include "build/cache.hpp"
#include "build/tar_writer.hpp"
#include "util/temp_dir.hpp"

#include <doctest/doctest.h>

#include <fcntl.h>
#include <unistd.h>

#include <fstream>
#include <string>

TEST_SUITE_BEGIN("build");

using namespace build;

namespace {
Instruction instruction(const std::string& original) {
  Instruction ins;
  ins.original = original;
  ins.keyword = original.substr(0, original.find(' '));
  ins.body = Run{};
  return ins;
}

std::string hash_file(const std::string& path, const std::string& content, const EntryMeta& meta) {
  { std::ofstream(path) << content; }
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  REQUIRE(fd >= 0);
  HashSink sink;
  sink.add_file("f", fd, static_cast<std::int64_t>(content.size()), meta);
  ::close(fd);
  return sink.finish();
}
} // namespace

TEST_CASE("cache: a step key covers the parent, the instruction, the args and the inputs") {
  auto run = instruction("RUN make");
  Vars args{{"V", "1"}};
  auto key = step_key("sha256:base", run, args, "");
  CHECK(key.size() == 64);
  CHECK(key == step_key("sha256:base", run, args, ""));
  CHECK(key != step_key("sha256:other", run, args, ""));
  CHECK(key != step_key("sha256:base", instruction("RUN make all"), args, ""));
  CHECK(key != step_key("sha256:base", run, Vars{{"V", "2"}}, ""));
  CHECK(key != step_key("sha256:base", run, Vars{}, ""));
  CHECK(key != step_key("sha256:base", run, args, "abc"));
  // name/value boundaries are part of the key
  CHECK(step_key("p", run, Vars{{"A", "B=C"}}, "") != step_key("p", run, Vars{{"A=B", "C"}}, ""));
}

TEST_CASE("cache: copied content is hashed by content, owner and mode, not mtime") {
  util::TempDir dir(std::filesystem::temp_directory_path(), "cove-unit-cache");
  auto path = (dir.path() / "f").string();
  EntryMeta meta{0, 0, 0644, 1000};
  auto base = hash_file(path, "hello", meta);
  EntryMeta later = meta;
  later.mtime = 2000;
  CHECK(hash_file(path, "hello", later) == base);
  CHECK(hash_file(path, "hellO", meta) != base);
  EntryMeta owned = meta;
  owned.uid = 1000;
  CHECK(hash_file(path, "hello", owned) != base);
  EntryMeta mode = meta;
  mode.mode = 0600;
  CHECK(hash_file(path, "hello", mode) != base);
}

TEST_SUITE_END();
