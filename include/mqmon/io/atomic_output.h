#pragma once
/// Outputs written whole or not at all. Local directory: every file of a job is first written under
/// a temporary name in its destination directory, and renamed into place only when all of them are
/// complete, after a journal of the renames (.mqmon-commit) is on disk: a process killed among the
/// renames leaves the journal, and the next job writing to that folder finishes them (and removes
/// temporaries of processes that are gone), so the folder holds the old set or the new. s3://
/// prefix: outputs are held (in memory, or in a local temporary file when streamed) and PUT only at
/// commit; if one PUT fails, the objects already PUT by that commit are deleted again.

#include <optional>
#include <string>
#include <vector>

#include "mqmon/io/temp_dir.h"

namespace mqmon {

/// Collects a job's output files; commit() makes them all visible, the destructor of an
/// uncommitted set removes the temporaries and leaves earlier outputs untouched. Made before a
/// job's work, it checks an s3:// destination (URI, credentials) at once; a local directory is
/// created with the first output.
class AtomicOutputSet {
 public:
  explicit AtomicOutputSet(std::string directory);
  ~AtomicOutputSet();
  AtomicOutputSet(const AtomicOutputSet&) = delete;
  AtomicOutputSet& operator=(const AtomicOutputSet&) = delete;

  /// Writes `content` to a temporary file for `name` (fsynced). Throws IoError.
  void add(const std::string& name, const std::string& content);
  /// Registers `name` and returns the local temporary path to write it to (for outputs streamed
  /// by their producer rather than held in memory).
  std::string add_streamed(const std::string& name);
  /// Makes every output visible (renames, or PUTs). Throws IoError.
  void commit();

 private:
  struct Pending {
    std::string temp_path;  ///< local file holding the content ("" when held in memory)
    std::string final_name;
    std::string content;
  };
  std::string temp_directory();

  std::string dir_;
  bool remote_ = false;
  bool recovered_ = false;  ///< the local folder's interrupted commit finished, stale temps gone
  std::vector<Pending> pending_;
  std::optional<TempDir> scratch_;  ///< remote outputs: local directory of streamed outputs
                                    ///< (declared last: removed after the pending temporaries)
};

/// Writes one file (local path or s3:// URI) whole or not at all. Throws ConfigError for a path
/// that names no file, IoError.
void write_whole_file(const std::string& path, const std::string& content);

}  // namespace mqmon
