#pragma once
/// The container mode: mqmon started as SageMaker Model Monitor's analyzer image. The analyzer's
/// environment (the variables the SageMaker Python SDK and the service set, and mqmon's own as
/// MQMON_... variables) becomes the command line of `mqmon suggest-baseline` or `mqmon monitor`,
/// which then runs as it always does: the same outputs as the command line, byte for byte. Kept
/// free of CLI11: the command line's options are looked up through CommandOptions.

#include <map>
#include <string>
#include <vector>

namespace mqmon::cli {

using Environment = std::map<std::string, std::string>;

/// This process's environment.
Environment current_environment();

/// What the command line offers, for the container mode to translate MQMON_... variables.
class CommandOptions {
 public:
  enum class Kind { kNone, kFlag, kValue };
  virtual ~CommandOptions() = default;
  /// `option` ("--window-size") of `command` ("suggest-baseline", "monitor") or of mqmon itself.
  virtual Kind kind(const std::string& command, const std::string& option) const = 0;
  /// Every long option `command` takes, its own and mqmon's ("--window-size", ...).
  virtual std::vector<std::string> names(const std::string& command) const = 0;
};

class ContainerMode {
 public:
  /// Whether this start is the container mode: `mqmon container`, or mqmon with no arguments
  /// and `analysis_type` in the environment.
  static bool requested(int argc, char** argv, const Environment& env);
  /// `mqmon container --help`.
  static bool help_requested(int argc, char** argv);
  static const char* help();

  /// Reads the environment. Throws ConfigError naming the variable that is missing or wrong.
  ContainerMode(Environment env, const CommandOptions& options);

  /// The command line the environment stands for, program name first.
  const std::vector<std::string>& args() const { return args_; }
  /// A message about that command line with each option named as the variable that gave it.
  std::string in_variables(std::string message) const;

  /// The exit code of the container for the command's: a run with violations completed (0). On
  /// failure, `error` is written where SageMaker Processing reads a job's failure reason.
  int finish(int exit_code, const std::string& error) const;
  /// The same for an error before there is a command line (a bad environment).
  static int fail(const Environment& env, const std::string& error, int exit_code);

 private:
  Environment env_;
  std::vector<std::string> args_;
  std::vector<std::pair<std::string, std::string>> sources_;  ///< option, variable
};

}  // namespace mqmon::cli
