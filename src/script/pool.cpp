#include "mqmon/script/pool.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "mqmon/common/error.h"
#include "mqmon/io/byte_source.h"

#ifndef MQMON_LIBPYTHON
#define MQMON_LIBPYTHON "libpython3.11.so.1.0"
#endif
#ifndef MQMON_PYTHON_EXECUTABLE
#define MQMON_PYTHON_EXECUTABLE ""
#endif

namespace mqmon {

namespace fs = std::filesystem;
using namespace script;

namespace {

/// libmqmon_script.so: MQMON_SCRIPT_LIBRARY, else beside the binary or module holding this code
/// (build tree, Python package), else in ../lib/mqmon of it (installed).
std::string script_library() {
  if (const char* env = std::getenv("MQMON_SCRIPT_LIBRARY"); env && *env) return env;
  Dl_info info{};
  std::vector<fs::path> tried;
  if (::dladdr(reinterpret_cast<void*>(&script_library), &info) && info.dli_fname) {
    // The main program is named as it was started ("mqmon" from PATH): ask the kernel instead.
    std::error_code ec;
    const std::string_view name = info.dli_fname;
    fs::path self = name.find('/') == std::string_view::npos
                        ? fs::read_symlink("/proc/self/exe", ec)
                        : fs::canonical(fs::path(name), ec);
    if (ec) self = fs::read_symlink("/proc/self/exe", ec);
    const fs::path here = self.parent_path();
    for (const fs::path& p :
         {here / "libmqmon_script.so", here / ".." / "lib" / "mqmon" / "libmqmon_script.so"}) {
      if (fs::exists(p)) return p.string();
      tried.push_back(p);
    }
  }
  std::string list;
  for (const auto& p : tried) list += (list.empty() ? "" : ", ") + p.string();
  throw ConfigError(fmt::format(
      "scripts need libmqmon_script.so, which is not installed (looked at {}); build mqmon with "
      "Python's development files (libpython3-dev, pybind11-dev), or set MQMON_SCRIPT_LIBRARY",
      list));
}

/// Whether this process is a Python interpreter (the mqmon module): then workers are fresh
/// interpreters started from the same executable.
bool inside_python() {
  using IsInitialized = int (*)();
  auto f = reinterpret_cast<IsInitialized>(::dlsym(RTLD_DEFAULT, "Py_IsInitialized"));
  return f && f();
}

constexpr const char* kBootstrap =
    "import ctypes, sys\n"
    "lib = ctypes.PyDLL(sys.argv[1])\n"
    "sys.exit(lib.mqmon_script_worker_main(int(sys.argv[2]), int(sys.argv[3]), "
    "sys.argv[4].encode(), int(sys.argv[5])))\n";

using Environment = std::map<std::string, std::string>;

/// The child's half: never returns.
[[noreturn]] void become_worker(int in_fd, int out_fd, const std::string& library,
                                const std::string& script, int mode, bool python,
                                const Environment& env) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  for (const auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
  // The worker keeps its two ends, as descriptors 3 and 4, and nothing else of mqmon's: another
  // worker's pipe held open here would never see its end.
  const int high_in = ::fcntl(in_fd, F_DUPFD, 1000), high_out = ::fcntl(out_fd, F_DUPFD, 1000);
  const int in = 3, out = 4;
  ::dup2(high_in, in);
  ::dup2(high_out, out);
  ::close_range(out + 1, ~0U, 0);
  // The interpreter: this process's own executable when it is Python; else Debian's python3,
  // whose statically linked, optimised interpreter runs handlers faster than libpython3.x.so
  // (measured in bench/RESULTS.md); else libpython loaded here.
  const char* exe = python ? "/proc/self/exe" : MQMON_PYTHON_EXECUTABLE;
  if (python || (*exe && ::access(exe, X_OK) == 0)) {
    const std::string a = std::to_string(in), b = std::to_string(out), m = std::to_string(mode);
    const char* argv[] = {"python3", "-c",           kBootstrap, library.c_str(), a.c_str(),
                          b.c_str(), script.c_str(), m.c_str(),  nullptr};
    ::execv(exe, const_cast<char* const*>(argv));
    ::_exit(127);
  }
  if (!::dlopen(MQMON_LIBPYTHON, RTLD_NOW | RTLD_GLOBAL)) {
    Writer w;
    w.u8(0);
    w.str(
        fmt::format("scripts need Python ({}): {}; install it with apt-get install "
                    "libpython3.11",
                    MQMON_LIBPYTHON, ::dlerror()));
    write_frame(out, w.buffer());
    ::_exit(1);
  }
  void* lib = ::dlopen(library.c_str(), RTLD_NOW | RTLD_LOCAL);
  auto entry = lib ? reinterpret_cast<WorkerEntry>(::dlsym(lib, kWorkerEntry)) : nullptr;
  if (!entry) {
    Writer w;
    w.u8(0);
    w.str(fmt::format("cannot load {}: {}", library, ::dlerror()));
    write_frame(out, w.buffer());
    ::_exit(1);
  }
  std::fflush(stdout);
  ::_exit(entry(in, out, script.c_str(), mode));
}

struct Child {
  int pid, to, from;
};

/// The pipes' size (the system's limit for unprivileged processes, by default).
constexpr int kPipeBytes = 1 << 20;

/// Starts one worker. Its hello frame (read_hello) says whether the script loaded: several
/// workers start at once, not one after the other's interpreter.
Child start_worker(const std::string& library, const std::string& script, int mode, bool python,
                   const Environment& env) {
  int down[2], up[2];
  if (::pipe2(down, O_CLOEXEC) != 0 || ::pipe2(up, O_CLOEXEC) != 0)
    throw IoError("cannot create pipes for a script worker");
  // Pipes of a batch's size: the next batch waits in the pipe while the worker runs this one,
  // and a result leaves in few writes. (A smaller pipe, when the system refuses, only costs time.)
  for (const int fd : {down[1], up[1]}) ::fcntl(fd, F_SETPIPE_SZ, kPipeBytes);
  std::fflush(stdout);
  std::fflush(stderr);
  const pid_t pid = ::fork();
  if (pid < 0) throw IoError("cannot start a script worker process");
  if (pid == 0) become_worker(down[0], up[1], library, script, mode, python, env);
  ::close(down[0]);
  ::close(up[1]);
  return {pid, down[1], up[0]};
}

std::string read_hello(const Child& c) {
  std::string hello;
  if (!read_frame(c.from, hello)) hello.clear();
  return hello;
}

void stop_worker(const Child& c) {
  ::close(c.to);
  ::close(c.from);
  int status = 0;
  while (::waitpid(c.pid, &status, 0) < 0 && errno == EINTR) {
  }
}

/// The worker's hello: empty when the script is ready, else why not.
std::string hello_problem(const std::string& hello) {
  if (hello.empty()) return "the script worker ended before it started";
  Reader r(hello);
  const bool ok = r.u8() != 0;
  const std::string why(r.str());
  return ok ? std::string() : why;
}

}  // namespace

LocalScript::LocalScript(const std::string& path) {
  if (path.rfind("s3://", 0) != 0) {
    if (!fs::exists(path)) throw ConfigError(fmt::format("the script '{}' does not exist", path));
    path_ = fs::absolute(path).string();
    return;
  }
  const std::string body = read_whole(path);
  dir_.emplace("mqmon-script");
  path_ = (fs::path(dir_->path()) / fs::path(path).filename()).string();
  std::ofstream out(path_, std::ios::binary);
  if (!(out << body) || !out.flush())
    throw IoError(fmt::format("cannot copy the script {} to {}", path, path_));
}

ScriptPool::ScriptPool(const std::string& path, ScriptInput input, unsigned workers)
    : path_(path), script_(path) {
  const std::string library = script_library();
  const bool python = inside_python();
  if (workers == 0) workers = std::max(1u, std::thread::hardware_concurrency());
  try {
    for (unsigned i = 0; i < workers; ++i) {
      const Child c = start_worker(library, script_.path(), static_cast<int>(input), python, {});
      workers_.push_back(std::make_unique<Worker>());
      *workers_.back() = {c.pid, c.to, c.from};
    }
    for (const auto& w : workers_)
      if (const std::string why = hello_problem(read_hello({w->pid, w->to, w->from})); !why.empty())
        throw ConfigError(fmt::format("record_preprocessor_script {} cannot run:\n{}", path_, why));
  } catch (...) {
    for (const auto& w : workers_) stop_worker({w->pid, w->to, w->from});
    workers_.clear();
    throw;
  }
}

ScriptPool::~ScriptPool() {
  for (const auto& w : workers_)
    if (w->reaped) {
      ::close(w->to);
      ::close(w->from);
    } else {
      stop_worker({w->pid, w->to, w->from});
    }
}

void ScriptPool::run(const std::vector<std::string_view>& records, Results& out) const {
  Writer batch;
  size_t bytes = 4;
  for (const auto& r : records) bytes += 4 + r.size();
  batch.reserve(bytes);
  batch.u32(static_cast<uint32_t>(records.size()));
  for (const auto& r : records) batch.str(r);

  // The least loaded worker whose pipe is free. A batch sent to a busy worker waits in its pipe
  // (a batch's size) and starts the moment the current one ends. Results come back in the order
  // sent.
  std::unique_lock l(m_);
  Worker* w = nullptr;
  changed_.wait(l, [&] {
    w = nullptr;
    bool alive = false;
    for (const auto& c : workers_) {
      alive = alive || !c->dead;
      if (!c->dead && !c->sending && (!w || c->in_flight < w->in_flight)) w = c.get();
    }
    if (!alive) throw Error("the record_preprocessor_script workers have ended");
    return w != nullptr;
  });
  const uint64_t ticket = w->sent++;
  ++w->in_flight;
  w->sending = true;
  l.unlock();
  bool ok = write_frame(w->to, batch.buffer());
  l.lock();
  w->sending = false;
  changed_.notify_all();
  if (ok) {
    changed_.wait(l, [&] { return w->dead || w->received == ticket; });
    if (!w->dead) {
      l.unlock();
      ok = read_frame(w->from, out.frame);
      l.lock();
      ++w->received;
    }
  }
  --w->in_flight;
  if (!ok) w->dead = true;
  changed_.notify_all();
  if (!ok || w->dead) {
    // Its pipes closed: the worker has ended (or is ending); the first caller to see it reaps it.
    if (!w->reaped) {
      while (::waitpid(w->pid, &w->status, 0) < 0 && errno == EINTR) {
      }
      w->reaped = true;
    }
    const int status = w->status;
    throw Error(fmt::format(
        "the record_preprocessor_script worker (process {}) ended during a batch{}", w->pid,
        WIFSIGNALED(status) ? fmt::format(", killed by signal {}", WTERMSIG(status))
        : WIFEXITED(status) ? fmt::format(", with exit status {}", WEXITSTATUS(status))
                            : std::string()));
  }
  l.unlock();
  Reader in(out.frame);
  out.entries.assign(records.size(), {});
  out.row_begin.assign(1, 0);
  out.fields.clear();
  std::vector<std::string_view> previous;  // the previous row's keys, for kSameKey
  for (auto& e : out.entries) {
    e.kind = static_cast<ResultKind>(in.u8());
    if (e.kind == ResultKind::kError) {
      e.error = in.str();
    } else if (e.kind == ResultKind::kRows) {
      e.first_row = static_cast<uint32_t>(out.row_begin.size() - 1);
      e.rows = in.u32();
      for (uint32_t r = 0; r < e.rows; ++r) {
        size_t position = 0;
        for (uint32_t n = in.u32(); n > 0; --n, ++position) {
          const uint32_t size = in.u32();
          if (size == kSameKey && position >= previous.size())
            throw std::runtime_error("a script worker repeated a key it never sent");
          const std::string_view key = size == kSameKey ? previous[position] : in.bytes(size);
          if (position >= previous.size()) previous.resize(position + 1);
          previous[position] = key;
          out.fields.emplace_back(key, in.str());
        }
        out.row_begin.push_back(static_cast<uint32_t>(out.fields.size()));
      }
    }
  }
}

void run_postprocess_script(const std::string& path,
                            const std::map<std::string, std::string>& env) {
  const LocalScript script(path);
  const std::string library = script_library();
  const Child c = start_worker(library, script.path(), 1, inside_python(), env);
  const std::string hello = read_hello(c);
  stop_worker(c);
  if (const std::string why = hello_problem(hello); !why.empty())
    throw ConfigError(fmt::format("post_analytics_processor_script {} failed:\n{}", path, why));
}

}  // namespace mqmon
