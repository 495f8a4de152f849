#pragma once
// The schedule commands of the CLI (schedule, executions, history, scheduler): a part of the
// command line kept apart from the one-shot jobs in main.cpp.

#include <CLI/CLI.hpp>
#include <memory>
#include <optional>
#include <string>

namespace mqmon::cli {

class ScheduleCommands {
 public:
  /// Adds the commands to `app`.
  explicit ScheduleCommands(CLI::App& app);
  ~ScheduleCommands();
  /// Runs the command that was parsed, if it is one of these: its exit code. Throws mqmon::Error.
  std::optional<int> run();
  /// The usage line of a command ("schedule create"), or nullptr when it is not one of these.
  static const char* usage(const std::string& command_path);

 private:
  struct State;
  std::unique_ptr<State> s_;
};

}  // namespace mqmon::cli
