#pragma once
/// The error hierarchy of mqmon: everything that ends a job is one of these. The CLI maps each kind
/// to a documented exit code (docs/cli.md).

#include <cstdint>
#include <stdexcept>
#include <string>

namespace mqmon {

/// Base of every error that ends a job with a message a user can act on.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A file or directory could not be opened, read or written.
class IoError : public Error {
 public:
  using Error::Error;
};

/// The job's options are inconsistent or unsupported (bad flag value, unknown attribute, ...).
class ConfigError : public Error {
 public:
  using Error::Error;
};

/// The data is unusable as a whole (empty dataset, a third class in a binary problem, ...).
class DataError : public Error {
 public:
  using Error::Error;
};

/// Where a value sits in the input: file, 1-based physical line, 1-based column, attribute.
struct Location {
  std::string file;
  uint64_t line = 0;
  uint32_t column = 0;  ///< 0 when the error is about the whole record
  std::string attribute;
};

/// One bad value or record, with its location and the offending text.
class ParseError : public Error {
 public:
  ParseError(Location where, std::string reason, std::string text);

  const Location& where() const { return where_; }
  const std::string& reason() const { return reason_; }
  const std::string& text() const { return text_; }

  /// "file:line: column C (attribute 'a'): reason: 'text'" — the form every reader reports.
  static std::string describe(const Location& where, const std::string& reason,
                              const std::string& text);

 private:
  Location where_;
  std::string reason_;
  std::string text_;
};

}  // namespace mqmon
