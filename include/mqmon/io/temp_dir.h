#pragma once
/// A private local directory (mkdtemp below TMPDIR), removed with its contents when the object
/// goes.

#include <string>

namespace mqmon {

class TempDir {
 public:
  /// Creates TMPDIR/<prefix>-XXXXXX. Throws IoError.
  explicit TempDir(const std::string& prefix);
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace mqmon
