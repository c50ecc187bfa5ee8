#include "build/copy_layer.hpp"

#include "build/add_source.hpp"
#include "runtime/user.hpp"
#include "storage/tmp_entry.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"

#include <fcntl.h>
#include <fnmatch.h>
#include <sys/stat.h>

#include <algorithm>
#include <set>

namespace build {
namespace fs = std::filesystem;
namespace {

// One source after globbing: its path relative to the context and its resolved location.
struct Source {
  std::string rel;
  fs::path path;
  struct stat st {};
};

bool has_glob(std::string_view s) { return s.find_first_of("*?[") != std::string_view::npos; }

std::string join_rel(const std::string& a, std::string_view b) { return a.empty() ? std::string(b) : util::cat(a, "/", b); }

// Expands a relative glob one component at a time, as Go's filepath.Glob does.
std::vector<std::string> glob(const fs::path& root, const std::string& pattern) {
  std::vector<std::string> found{""};
  for (const auto& part : util::split(pattern, '/')) {
    std::vector<std::string> next;
    for (const auto& base : found) {
      if (!has_glob(part)) {
        struct stat st {};
        if (::lstat((root / join_rel(base, part)).c_str(), &st) == 0)
          next.push_back(join_rel(base, part));
        continue;
      }
      std::error_code ec;
      for (const auto& entry : fs::directory_iterator(root / (base.empty() ? "." : base), ec)) {
        auto name = entry.path().filename().string();
        if (::fnmatch(part.c_str(), name.c_str(), 0) == 0)
          next.push_back(join_rel(base, name));
      }
    }
    found = std::move(next);
  }
  std::sort(found.begin(), found.end());
  return found;
}

Source confined(const Context& ctx, const std::string& rel, std::string_view written) {
  std::error_code ec;
  fs::path real = fs::canonical(ctx.dir / rel, ec);
  if (ec)
    throw util::Error(util::cat("COPY ", util::quote(written), ": ", rel, ": no such file or directory in the build context"));
  auto text = real.string(), root = ctx.dir.string();
  if (text != root && text.compare(0, root.size() + 1, root + "/") != 0)
    throw util::Error(util::cat("COPY ", util::quote(written), ": ", rel, " resolves to ", util::quote(text),
                                ", outside the build context"));
  Source s{rel, real, {}};
  if (::stat(real.c_str(), &s.st) < 0)
    util::throw_errno(util::cat("stat ", util::quote(text)));
  return s;
}

std::vector<Source> resolve(const Context& ctx, const CopyPlan& plan) {
  std::vector<Source> out;
  for (const auto& written : plan.sources) {
    auto rel = clean_path(written);
    if (plan.from_rootfs && rel[0] == '/')
      rel = rel == "/" ? "." : rel.substr(1);
    else if (!written.empty() && written[0] == '/')
      throw util::Error(util::cat("COPY ", util::quote(written), ": absolute source paths are not allowed; "
                                  "sources are relative to the build context"));
    if (rel == ".." || rel.compare(0, 3, "../") == 0)
      throw util::Error(util::cat("COPY ", util::quote(written), ": outside the build context"));
    if (rel == ".")
      rel.clear();
    auto matches = has_glob(rel) ? glob(ctx.dir, rel) : std::vector<std::string>{rel};
    std::size_t before = out.size();
    for (const auto& m : matches)
      if (m.empty() || !ctx.ignore.ignored(m))
        out.push_back(confined(ctx, m, written));
    if (out.size() == before)
      throw util::Error(util::cat("COPY ", util::quote(written), ": no source files were specified",
                                  matches.empty() ? "" : " (all excluded by the ignore file)"));
  }
  return out;
}

EntryMeta meta_for(const CopyPlan& plan, const struct stat& st) {
  EntryMeta m;
  m.uid = plan.uid.value_or(plan.keep_owners ? st.st_uid : 0);
  m.gid = plan.gid.value_or(plan.keep_owners ? st.st_gid : 0);
  m.mode = plan.mode.value_or(st.st_mode & 07777);
  m.mtime = st.st_mtime;
  return m;
}

// Writes the directories above `path` (relative, "a/b/c") that the image does not have yet.
void write_parents(const CopyPlan& plan, const std::string& path, LayerSink& tar, std::set<std::string>& done) {
  std::string prefix;
  auto parts = util::split(path, '/');
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
    prefix = join_rel(prefix, parts[i]);
    if (done.insert(prefix).second && !(plan.lower_has && plan.lower_has(prefix)))
      tar.add_dir(prefix, EntryMeta{0, 0, 0755, 0});
  }
}

void write_entry(const Context& ctx, const CopyPlan& plan, const fs::path& from, const std::string& rel,
                 const std::string& to, LayerSink& tar);

void write_tree(const Context& ctx, const CopyPlan& plan, const fs::path& dir, const std::string& rel,
                const std::string& to, LayerSink& tar) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir))
    names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  for (const auto& name : names) {
    auto child_rel = join_rel(rel, name);
    if (ctx.ignore.ignored(child_rel) && !ctx.ignore.has_exceptions())
      continue;
    write_entry(ctx, plan, dir / name, child_rel, join_rel(to, name), tar);
  }
}

void write_entry(const Context& ctx, const CopyPlan& plan, const fs::path& from, const std::string& rel,
                 const std::string& to, LayerSink& tar) {
  struct stat st {};
  if (::lstat(from.c_str(), &st) < 0)
    util::throw_errno(util::cat("lstat ", util::quote(from.string())));
  bool excluded = ctx.ignore.ignored(rel);
  if (S_ISDIR(st.st_mode)) {
    if (!excluded)
      tar.add_dir(to, meta_for(plan, st));
    return write_tree(ctx, plan, from, rel, to, tar);
  }
  if (excluded)
    return;
  if (S_ISLNK(st.st_mode)) {
    auto target = fs::read_symlink(from).string();
    EntryMeta m = meta_for(plan, st);
    m.mode = 0777;
    return tar.add_symlink(to, target, m);
  }
  if (!S_ISREG(st.st_mode))
    return; // sockets, fifos and devices in a context are not copied, as Docker skips them
  util::UniqueFd fd(::open(from.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd)
    util::throw_errno(util::cat("open ", util::quote(from.string())));
  tar.add_file(to, fd.get(), st.st_size, meta_for(plan, st));
}

// ADD of a local archive: unpacked (confined) into a scratch directory, whose tree goes into the
// layer under `dest` with the owners, modes and times the archive gave. For a cache key, the
// archive's own content stands for what it holds.
void write_archive(const CopyPlan& plan, const Source& s, const std::string& dest, LayerSink& tar) {
  if (dynamic_cast<HashSink*>(&tar)) {
    util::UniqueFd fd(::open(s.path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd)
      util::throw_errno(util::cat("open ", util::quote(s.path.string())));
    return tar.add_file(util::cat(dest, "/<unpacked ", s.rel, ">"), fd.get(), s.st.st_size, meta_for(plan, s.st));
  }
  storage::TmpEntry scratch(plan.tmp_dir, "add-tar-");
  util::make_dirs(scratch.path(), 0700);
  extract_archive(s.path, scratch.path());
  CopyPlan unpacked = plan;
  unpacked.keep_owners = true;
  write_tree(Context{scratch.path(), {}}, unpacked, scratch.path(), "", dest, tar);
}

void write_fetched(const CopyPlan& plan, const CopyPlan::Fetched& f, const std::string& to, LayerSink& tar) {
  util::UniqueFd fd(::open(f.path.c_str(), O_RDONLY | O_CLOEXEC));
  struct stat st {};
  if (!fd || ::fstat(fd.get(), &st) < 0)
    util::throw_errno(util::cat("open ", util::quote(f.path.string())));
  EntryMeta m = meta_for(plan, st);
  m.mode = plan.mode.value_or(0600);
  m.mtime = f.mtime;
  tar.add_file(to, fd.get(), st.st_size, m);
}

} // namespace

Context Context::open(const fs::path& dir) {
  Context ctx;
  std::error_code ec;
  ctx.dir = fs::canonical(dir, ec);
  if (ec || !fs::is_directory(ctx.dir))
    throw util::Error(util::cat("build context ", util::quote(dir.string()), ": not a directory"));
  auto text = util::read_file_if_exists(ctx.dir / ".dockerignore");
  if (!text)
    text = util::read_file_if_exists(ctx.dir / ".containerignore");
  if (text)
    ctx.ignore = IgnoreMatcher(*text);
  return ctx;
}

void write_copy_layer(const Context& ctx, const CopyPlan& plan, LayerSink& tar) {
  auto sources = resolve(ctx, plan);
  std::string dest = clean_path(plan.dest);
  dest = dest == "/" ? "" : dest.substr(1);
  std::vector<bool> archive(sources.size());
  for (std::size_t i = 0; i < sources.size(); ++i)
    archive[i] = plan.extract_archives && S_ISREG(sources[i].st.st_mode) && is_tar_archive(sources[i].path);
  bool into_dir = plan.dest.back() == '/' ||
                  sources.size() + plan.inline_files.size() + plan.fetched.size() > 1 ||
                  (sources.size() == 1 && S_ISDIR(sources[0].st.st_mode)) ||
                  std::find(archive.begin(), archive.end(), true) != archive.end();
  std::set<std::string> done;
  if (into_dir && !dest.empty()) {
    write_parents(plan, dest + "/x", tar, done);
    if (!(plan.lower_has && plan.lower_has(dest)))
      tar.add_dir(dest, EntryMeta{plan.uid.value_or(0), plan.gid.value_or(0), 0755, 0});
  }
  for (std::size_t i = 0; i < sources.size(); ++i) {
    const auto& s = sources[i];
    if (S_ISDIR(s.st.st_mode)) {
      write_tree(ctx, plan, s.path, s.rel, dest, tar);
      continue;
    }
    if (archive[i]) {
      write_archive(plan, s, dest, tar);
      continue;
    }
    auto to = into_dir ? join_rel(dest, s.path.filename().string()) : dest;
    write_parents(plan, to, tar, done);
    util::UniqueFd fd(::open(s.path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd)
      util::throw_errno(util::cat("open ", util::quote(s.path.string())));
    tar.add_file(to, fd.get(), s.st.st_size, meta_for(plan, s.st));
  }
  for (const auto& [name, content] : plan.inline_files) {
    auto to = into_dir ? join_rel(dest, name) : dest;
    write_parents(plan, to, tar, done);
    struct stat st {};
    st.st_mode = 0644;
    tar.add_bytes(to, content, meta_for(plan, st));
  }
  for (const auto& f : plan.fetched) {
    if (into_dir && f.name.empty())
      throw util::Error(util::cat("ADD to ", plan.dest, ": cannot determine a file name from the URL"));
    auto to = into_dir ? join_rel(dest, f.name) : dest;
    write_parents(plan, to, tar, done);
    write_fetched(plan, f, to, tar);
  }
}

bool chown_has_names(std::string_view text) {
  for (const auto& part : util::split(text, ':'))
    if (!part.empty() && part.find_first_not_of("0123456789") != std::string::npos)
      return true;
  return false;
}

std::pair<uid_t, gid_t> parse_chown(std::string_view text, std::string_view passwd, std::string_view group) {
  auto colon = text.find(':');
  auto user = text.substr(0, colon);
  auto numeric = [](std::string_view part) { return part.find_first_not_of("0123456789") == std::string_view::npos; };
  if (user.empty() || (colon != std::string_view::npos && text.size() == colon + 1))
    throw util::Error(util::cat("--chown=", text, ": expected user[:group]"));
  try {
    uid_t uid = 0;
    gid_t gid = 0;
    if (numeric(user)) {
      uid = static_cast<uid_t>(util::parse_unsigned(user, "--chown uid"));
      gid = static_cast<gid_t>(uid); // Docker: a uid without a group is also the gid
    } else {
      auto resolved = runtime::resolve_user(user, passwd, group);
      uid = resolved.uid;
      gid = resolved.gid;
    }
    if (colon != std::string_view::npos) {
      auto name = text.substr(colon + 1);
      gid = numeric(name) ? static_cast<gid_t>(util::parse_unsigned(name, "--chown gid"))
                          : runtime::resolve_user(util::cat("0:", name), passwd, group).gid;
    }
    return {uid, gid};
  } catch (const util::Error&) {
    util::rethrow_with_context(util::cat("--chown=", text));
  }
}

} // namespace build
