#pragma once
/// Script workers: processes that embed CPython and run a record_preprocessor_script's handler on
/// batches of records, or a post_analytics_processor_script's postprocess_handler once. mqmon's
/// own process never loads libpython: a CLI worker is a forked child that loads it with the
/// script library; a worker of the Python module is a fresh interpreter that loads the library.

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mqmon/io/temp_dir.h"
#include "mqmon/script/protocol.h"

namespace mqmon {

/// What the worker calls the handler with.
enum class ScriptInput { kLine = 0, kCaptureRecord = 2 };

/// A script as a local file a worker can read: the path itself, or a copy of an s3:// object
/// (under its own name, for tracebacks) in a private folder removed with this object.
class LocalScript {
 public:
  /// Throws ConfigError when a local script does not exist, IoError when it cannot be fetched.
  explicit LocalScript(const std::string& path);
  const std::string& path() const { return path_; }

 private:
  std::optional<TempDir> dir_;
  std::string path_;
};

class ScriptPool {
 public:
  /// Starts `workers` processes (0: one per core) with the script at `path` (local, or s3://,
  /// fetched first). A script that cannot be read, does not compile or defines no
  /// preprocess_handler is a ConfigError with Python's message, before any data is read.
  ScriptPool(const std::string& path, ScriptInput input, unsigned workers);
  ~ScriptPool();
  ScriptPool(const ScriptPool&) = delete;
  ScriptPool& operator=(const ScriptPool&) = delete;

  /// The handler's results for `records`, in order. Thread-safe: each call queues its batch on
  /// the least loaded worker, so with more callers than workers a worker's next batch waits in
  /// its pipe while it runs the current one. Throws Error when a worker dies.
  void run(const std::vector<std::string_view>& records, script::Results& out) const;

  size_t workers() const { return workers_.size(); }
  const std::string& path() const { return path_; }

 private:
  /// Batches a worker holds at once: the one it runs and the next, waiting in its pipe.
  static constexpr unsigned kBatchesInFlight = 1;

  struct Worker {
    int pid = -1, to = -1, from = -1;
    unsigned in_flight = 0;  ///< batches sent whose results are not read yet
    uint64_t sent = 0;       ///< batches sent; a batch's ticket is its number
    uint64_t received = 0;   ///< results read: the ticket whose result is next
    bool sending = false;    ///< a batch is being written to the pipe
    bool dead = false;       ///< a write or read failed
    bool reaped = false;     ///< dead, and its process reaped: `status` is its end
    int status = 0;
  };
  std::string path_;
  LocalScript script_;
  std::vector<std::unique_ptr<Worker>> workers_;
  mutable std::mutex m_;
  mutable std::condition_variable changed_;
};

/// Runs a post_analytics_processor_script's postprocess_handler() once in a worker with `env`
/// added to its environment; what it prints goes to mqmon's stdout. Throws ConfigError with the
/// script's traceback when it fails.
void run_postprocess_script(const std::string& path, const std::map<std::string, std::string>& env);

}  // namespace mqmon
