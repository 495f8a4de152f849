#include "mqmon/io/atomic_output.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "mqmon/common/error.h"
#include "mqmon/io/s3_client.h"

namespace mqmon {

namespace fs = std::filesystem;

namespace {

/// The commit journal of a local output folder: the renames of a commit under way, then "end".
constexpr const char* kJournal = ".mqmon-commit";

void sync_directory(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

/// A commit that a killed process left half done is finished (its renames replayed); the
/// temporaries of processes that are gone are removed.
void recover_folder(const std::string& dir) {
  const fs::path journal = fs::path(dir) / kJournal;
  if (std::ifstream in{journal}) {
    std::vector<std::pair<std::string, std::string>> moves;
    bool complete = false;
    for (std::string line; std::getline(in, line);) {
      if (line == "end") complete = true;
      const size_t tab = line.find('\t');
      if (tab != std::string::npos) moves.emplace_back(line.substr(0, tab), line.substr(tab + 1));
    }
    if (complete)  // every temporary was written: finish what the renames began
      for (const auto& [from, to] : moves)
        if (::access(from.c_str(), F_OK) == 0) std::rename(from.c_str(), to.c_str());
    sync_directory(dir);
    std::remove(journal.c_str());
  }
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    const size_t at = name.rfind(".tmp-");
    if (name.empty() || name[0] != '.' || at == std::string::npos) continue;
    const long pid = std::strtol(name.c_str() + at + 5, nullptr, 10);
    if (pid > 0 && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH)
      std::remove(entry.path().c_str());
  }
}

}  // namespace

AtomicOutputSet::AtomicOutputSet(std::string directory) : dir_(std::move(directory)) {
  remote_ = is_s3_uri(dir_);
  if (remote_) {
    S3Location loc = parse_s3_uri(dir_);  // a bad URI fails before the job's work,
    if (!loc.key.empty() && loc.key.back() != '/') loc.key += '/';
    dir_ = loc.uri();
    shared_s3_client();  // and so do missing credentials or a bad endpoint
  }
  // A local directory is made with the first output, so a job that fails leaves none behind.
}

AtomicOutputSet::~AtomicOutputSet() {
  for (auto& p : pending_)
    if (!p.temp_path.empty()) std::remove(p.temp_path.c_str());
}

std::string AtomicOutputSet::temp_directory() {
  if (!remote_) {
    std::error_code ec;
    fs::create_directories(dir_, ec);
    if (ec || !fs::is_directory(dir_))
      throw IoError(fmt::format("cannot create output directory '{}': {}", dir_,
                                ec ? ec.message() : "not a directory"));
    if (!recovered_) {
      recover_folder(dir_);
      recovered_ = true;
    }
    return dir_;
  }
  if (!scratch_) scratch_.emplace("mqmon-out");
  return scratch_->path();
}

std::string AtomicOutputSet::add_streamed(const std::string& name) {
  const std::string tmp =
      (fs::path(temp_directory()) / fmt::format(".{}.tmp-{}", name, ::getpid())).string();
  pending_.push_back({tmp, name, ""});
  return tmp;
}

void AtomicOutputSet::add(const std::string& name, const std::string& content) {
  if (remote_) {
    pending_.push_back({"", name, content});
    return;
  }
  const std::string tmp = add_streamed(name);
  const std::string final_path = (fs::path(dir_) / name).string();
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw IoError(fmt::format("cannot write '{}': {}", final_path, std::strerror(errno)));
  size_t done = 0;
  while (done < content.size()) {
    const ssize_t k = ::write(fd, content.data() + done, content.size() - done);
    if (k < 0 && errno == EINTR) continue;
    if (k < 0) {
      const int err = errno;
      ::close(fd);
      throw IoError(fmt::format("cannot write '{}': {}", final_path, std::strerror(err)));
    }
    done += static_cast<size_t>(k);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0)
    throw IoError(fmt::format("cannot write '{}': {}", final_path, std::strerror(errno)));
}

void AtomicOutputSet::commit() {
  if (remote_) {
    const S3Location loc = parse_s3_uri(dir_);
    const auto client = shared_s3_client();
    std::vector<std::string> written;
    try {
      for (const auto& p : pending_) {
        const std::string key = loc.key + p.final_name;
        if (p.temp_path.empty())
          client->put(loc.bucket, key, p.content);
        else
          client->put_file(loc.bucket, key, p.temp_path);
        written.push_back(key);
      }
    } catch (const Error&) {
      for (const auto& key : written) {
        try {
          client->remove(loc.bucket, key);
        } catch (const Error&) {  // the first failure is the one to report
        }
      }
      throw;
    }
  } else if (!pending_.empty()) {
    // The renames are journaled first: a process killed among them leaves the journal, and the
    // next job writing here finishes them, so the folder never keeps a mix of old and new files.
    const std::string journal = (fs::path(dir_) / kJournal).string();
    std::string text;
    for (const auto& p : pending_)
      text += p.temp_path + "\t" + (fs::path(dir_) / p.final_name).string() + "\n";
    text += "end\n";
    {
      const int fd = ::open(journal.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      if (fd < 0 || ::write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size()) ||
          ::fsync(fd) != 0) {
        const int err = errno;
        if (fd >= 0) ::close(fd);
        std::remove(journal.c_str());
        throw IoError(fmt::format("cannot write '{}': {}", journal, std::strerror(err)));
      }
      ::close(fd);
    }
    for (auto& p : pending_) {
      const std::string final_path = (fs::path(dir_) / p.final_name).string();
      if (std::rename(p.temp_path.c_str(), final_path.c_str()) != 0)
        throw IoError(fmt::format("cannot write '{}': {}", final_path, std::strerror(errno)));
      p.temp_path.clear();
    }
    sync_directory(dir_);
    std::remove(journal.c_str());
  }
  for (auto& p : pending_)
    if (!p.temp_path.empty()) std::remove(p.temp_path.c_str());
  pending_.clear();
}

void write_whole_file(const std::string& path, const std::string& content) {
  const std::filesystem::path p(path);
  if (p.filename().empty()) throw ConfigError(fmt::format("'{}' names no file", path));
  AtomicOutputSet out(p.has_parent_path() ? p.parent_path().string() : ".");
  out.add(p.filename().string(), content);
  out.commit();
}

}  // namespace mqmon
