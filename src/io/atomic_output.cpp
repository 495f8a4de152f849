#include "mqmon/io/atomic_output.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "mqmon/common/error.h"
#include "mqmon/io/s3_client.h"

namespace mqmon {

namespace fs = std::filesystem;

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
  } else {
    for (auto& p : pending_) {
      const std::string final_path = (fs::path(dir_) / p.final_name).string();
      if (std::rename(p.temp_path.c_str(), final_path.c_str()) != 0)
        throw IoError(fmt::format("cannot write '{}': {}", final_path, std::strerror(errno)));
      p.temp_path.clear();
    }
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
