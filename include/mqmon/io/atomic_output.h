#pragma once
/// Outputs written whole or not at all: every file of a job is first written under a temporary
/// name in its destination directory, and renamed into place only when all of them are complete.

#include <string>
#include <vector>

namespace mqmon {

/// Collects a job's output files; commit() makes them all visible, the destructor of an
/// uncommitted set removes the temporaries and leaves earlier outputs untouched.
class AtomicOutputSet {
 public:
  explicit AtomicOutputSet(std::string directory);
  ~AtomicOutputSet();
  AtomicOutputSet(const AtomicOutputSet&) = delete;
  AtomicOutputSet& operator=(const AtomicOutputSet&) = delete;

  /// Writes `content` to a temporary file for `name` (fsynced). Throws IoError.
  void add(const std::string& name, const std::string& content);
  /// Registers `name` and returns the temporary path to write it to (for outputs streamed by
  /// their producer rather than held in memory).
  std::string add_streamed(const std::string& name);
  /// Renames every temporary onto its final name. Throws IoError.
  void commit();

 private:
  std::string dir_;
  std::vector<std::pair<std::string, std::string>> pending_;  // temp path, final path
};

}  // namespace mqmon
