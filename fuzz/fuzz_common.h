#pragma once
// Helpers for the libFuzzer targets: inputs as files without touching the disk, and the rule every
// target checks: a parser may throw mqmon::Error (a located message for bad input), never anything
// else, and never crash, hang or trip ASan/UBSan.

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>

#include "mqmon/common/error.h"

namespace fuzz {

/// An anonymous in-memory file holding `data`, named /proc/self/fd/N; closed by the destructor.
class MemFile {
 public:
  explicit MemFile(std::string_view data, const char* name = "fuzz") {
    fd_ = ::memfd_create(name, MFD_CLOEXEC);
    if (fd_ < 0) std::abort();
    for (size_t done = 0; done < data.size();) {
      const ssize_t k = ::write(fd_, data.data() + done, data.size() - done);
      if (k <= 0) std::abort();
      done += static_cast<size_t>(k);
    }
    path_ = "/proc/self/fd/" + std::to_string(fd_);
  }
  ~MemFile() { ::close(fd_); }
  MemFile(const MemFile&) = delete;
  MemFile& operator=(const MemFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  int fd_ = -1;
  std::string path_;
};

/// Runs f; an mqmon::Error is an accepted outcome (its message must not be empty), any other
/// exception is a finding.
template <typename F>
void expect_clean(F&& f) {
  try {
    f();
  } catch (const mqmon::Error& e) {
    if (std::string_view(e.what()).empty()) {
      std::fprintf(stderr, "an error without a message\n");
      std::abort();
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "not an mqmon::Error: %s\n", e.what());
    std::abort();
  }
}

/// Splits the input at its first `n` line breaks: the leading lines configure a target, the rest
/// is the data.
inline std::string_view take_line(std::string_view& in) {
  const size_t nl = in.find('\n');
  std::string_view line = in.substr(0, nl);
  in = nl == std::string_view::npos ? std::string_view() : in.substr(nl + 1);
  return line;
}

}  // namespace fuzz
