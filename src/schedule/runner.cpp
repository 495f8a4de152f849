#include "mqmon/schedule/runner.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <thread>

#include "mqmon/common/error.h"
#include "mqmon/common/time.h"
#include "mqmon/schedule/expression.h"

namespace mqmon {

namespace {

std::string host_name() {
  char buf[256] = {};
  ::gethostname(buf, sizeof buf - 1);
  return buf;
}

bool is_local(const std::string& path) {
  return path.rfind("s3://", 0) != 0 && path.rfind("S3://", 0) != 0;
}

/// Removes what an execution that did not finish may have left in its (local, exclusive) output
/// folder: temporaries, or part of a commit. Its record says Failed, so the folder is absent. S3
/// outputs are uploaded only at commit, and rolled back.
void remove_unfinished_outputs(const std::string& folder) { remove_local_outputs({folder}); }

MonitorResult failed(ErrorKind kind, std::string reason) {
  MonitorResult r;
  r.status = ExecutionStatus::kFailed;
  r.failure = kind;
  r.failure_reason = std::move(reason);
  return r;
}

/// Runs the execution in a child process; its MonitorResult comes back through a pipe as JSON.
/// Returns the result and the exit code `mqmon monitor` would have had (none when stopped).
std::pair<MonitorResult, std::optional<int>> run_in_child(ScheduleStore& store,
                                                          const ExecutionRow& e,
                                                          const MonitorConfig& config,
                                                          int64_t max_runtime_ms,
                                                          int64_t lease_ms) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw IoError("cannot create a pipe for the execution");
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    throw IoError("cannot start a process for the execution");
  }
  if (pid == 0) {
    ::close(fds[0]);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // the scheduler killed: so is its execution
    if (::getppid() != parent) ::_exit(1);
    MonitorResult r;
    try {
      r = run_monitor(config);
    } catch (const Error& ex) {
      r = failed(ex.kind(), ex.what());
    } catch (const std::exception& ex) {
      r = failed(ErrorKind::kInternal, fmt::format("internal error: {}", ex.what()));
    }
    const std::string out = to_json(r);
    for (size_t done = 0; done < out.size();) {
      const ssize_t n = ::write(fds[1], out.data() + done, out.size() - done);
      if (n <= 0) ::_exit(1);
      done += static_cast<size_t>(n);
    }
    ::_exit(0);
  }
  ::close(fds[1]);
  std::string text;
  const int64_t deadline = now_millis() + max_runtime_ms;
  bool stopped = false;
  for (;;) {
    const int64_t left = deadline - now_millis();
    if (left <= 0) {
      ::kill(pid, SIGKILL);
      stopped = true;
      break;
    }
    pollfd p{fds[0], POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(std::min<int64_t>(left, lease_ms / 3)));
    if (ready < 0 && errno != EINTR) break;
    if (ready > 0) {
      char buf[65536];
      const ssize_t n = ::read(fds[0], buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;  // the child is done
      text.append(buf, static_cast<size_t>(n));
    }
    store.renew_lease(e.id, lease_ms);
  }
  ::close(fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (stopped) {
    remove_unfinished_outputs(e.output);
    return {failed(ErrorKind::kInternal,
                   fmt::format("the execution ran longer than max_runtime_in_seconds ({} s) and "
                               "was stopped",
                               max_runtime_ms / 1000)),
            std::nullopt};
  }
  if (text.empty() || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    remove_unfinished_outputs(e.output);
    const std::string how = WIFSIGNALED(status)
                                ? fmt::format("was killed by signal {}", WTERMSIG(status))
                                : fmt::format("exited with {}", WEXITSTATUS(status));
    return {failed(ErrorKind::kInternal, fmt::format("the execution's process {}", how)), 1};
  }
  MonitorResult r = monitor_result_from_json(text);
  const int code = r.status == ExecutionStatus::kCompleted ? 0
                   : r.status == ExecutionStatus::kCompletedWithViolations
                       ? 5
                       : error_kind_info(r.failure).exit_code;
  return {std::move(r), code};
}

void log_execution(const RunnerOptions& o, const ExecutionRow& e) {
  if (!o.log) return;
  std::string detail = e.status == "Failed" ? e.failure_reason
                       : e.item_count       ? fmt::format("{} rows, {} violation{}", *e.item_count,
                                                          e.violation_count.value_or(0),
                                                    e.violation_count.value_or(0) == 1 ? "" : "s")
                                            : std::string();
  o.log(fmt::format("mqmon: execution {} of {} at {}: {}{}{}; outputs in {}", e.id, e.schedule_name,
                    format_timestamp(e.scheduled_time), e.status, detail.empty() ? "" : ": ",
                    detail, e.output));
}

}  // namespace

RoundReport run_due_executions(ScheduleStore& store, int64_t now, const RunnerOptions& options) {
  RoundReport report;
  const std::string host = host_name();
  report.orphans = store.resolve_orphans(host);
  for (const auto& e : report.orphans) {
    remove_unfinished_outputs(e.output);
    log_execution(options, e);
  }
  report.planned = store.plan_due(now, options.catch_up, options.grace_ms);
  // Claim and run until nothing is Pending, on up to max_concurrent threads (the first on the
  // caller's store, the others on connections of their own); claims are transactions, so no
  // execution runs twice.
  std::mutex report_mutex;
  auto work = [&](ScheduleStore& db) {
    while (auto e = db.claim_next(host, ::getpid(), options.lease_ms)) {
      MonitorResult result;
      std::optional<int> code;
      int64_t max_runtime_ms = 3600 * 1000;
      try {
        const ScheduleRow s = db.get_schedule(e->schedule_name);
        const bool once =
            parse_schedule_expression(s.expression).kind == ScheduleExpression::Kind::kNow;
        max_runtime_ms = s.definition.max_runtime_in_seconds * 1000;
        MonitorConfig config = s.definition.monitor_config(s.name, e->scheduled_time, now, once);
        if (options.prepare) {
          std::lock_guard l(report_mutex);  // the hook is the caller's, not made for threads
          options.prepare(config);
        }
        std::tie(result, code) = run_in_child(db, *e, config, max_runtime_ms, options.lease_ms);
      } catch (const Error& ex) {
        result = failed(ex.kind(), ex.what());
        code = error_kind_info(ex.kind()).exit_code;
      }
      db.finish(e->id, result, code);
      const ExecutionRow done = db.get_execution(e->id);
      std::lock_guard l(report_mutex);
      report.finished.push_back(done);
      log_execution(options, done);
    }
  };
  std::vector<std::thread> threads;
  std::exception_ptr failure;
  for (unsigned t = 1; t < std::max(1u, options.max_concurrent); ++t)
    threads.emplace_back([&] {
      try {
        ScheduleStore own(store.path());
        work(own);
      } catch (...) {
        std::lock_guard l(report_mutex);
        if (!failure) failure = std::current_exception();
      }
    });
  try {
    work(store);
  } catch (...) {
    std::lock_guard l(report_mutex);
    if (!failure) failure = std::current_exception();
  }
  for (auto& t : threads) t.join();
  if (failure) std::rethrow_exception(failure);
  return report;
}

size_t remove_local_outputs(const std::vector<std::string>& folders) {
  size_t removed = 0;
  for (const auto& f : folders) {
    std::error_code ec;
    if (is_local(f) && std::filesystem::remove_all(f, ec) > 0) ++removed;
  }
  return removed;
}

int64_t next_due_time(ScheduleStore& store, int64_t now) {
  int64_t next = -1;
  for (const auto& s : store.list_schedules()) {
    if (s.status != "Scheduled") continue;
    const int64_t t =
        next_due_time(parse_schedule_expression(s.expression), std::max(now, s.cursor));
    if (t >= 0 && (next < 0 || t < next)) next = t;
  }
  return next;
}

void run_scheduler(ScheduleStore& store, const RunnerOptions& options,
                   const std::atomic<bool>& stop) {
  while (!stop) {
    const int64_t now = now_millis();
    run_due_executions(store, now, options);
    const int64_t next = next_due_time(store, now_millis());
    const int64_t wait = next < 0 ? 60'000 : std::clamp<int64_t>(next - now_millis(), 0, 60'000);
    for (int64_t slept = 0; slept < wait && !stop; slept += 200)
      std::this_thread::sleep_for(std::chrono::milliseconds(std::min<int64_t>(200, wait - slept)));
  }
}

}  // namespace mqmon
