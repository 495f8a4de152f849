#include "mqmon/io/atomic_output.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "mqmon/common/error.h"

namespace mqmon {

namespace fs = std::filesystem;

AtomicOutputSet::AtomicOutputSet(std::string directory) : dir_(std::move(directory)) {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec || !fs::is_directory(dir_))
    throw IoError(fmt::format("cannot create output directory '{}': {}", dir_,
                              ec ? ec.message() : "not a directory"));
}

AtomicOutputSet::~AtomicOutputSet() {
  for (auto& [tmp, final_path] : pending_) std::remove(tmp.c_str());
}

std::string AtomicOutputSet::add_streamed(const std::string& name) {
  const std::string final_path = (fs::path(dir_) / name).string();
  const std::string tmp = (fs::path(dir_) / fmt::format(".{}.tmp-{}", name, ::getpid())).string();
  pending_.emplace_back(tmp, final_path);
  return tmp;
}

void AtomicOutputSet::add(const std::string& name, const std::string& content) {
  const std::string tmp = add_streamed(name);
  const std::string final_path = pending_.back().second;
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
  for (auto& [tmp, final_path] : pending_) {
    if (std::rename(tmp.c_str(), final_path.c_str()) != 0)
      throw IoError(fmt::format("cannot write '{}': {}", final_path, std::strerror(errno)));
    tmp.clear();
  }
  pending_.clear();
}

}  // namespace mqmon
