#pragma once
/// The error hierarchy of mqmon: everything that ends a job is one of these, and each has a kind
/// that decides its exit code and Python exception (docs/cli.md, docs/python.md).

#include <cstdint>
#include <stdexcept>
#include <string>

namespace mqmon {

/// What ended a job. One table (error_kind_info) gives each kind its exit code on the command line
/// and its exception class in Python, so the same failure gets the same answer everywhere.
enum class ErrorKind {
  kInternal,  ///< a bug, or a library failing (a hash function): exit 1, mqmon.Error
  kConfig,    ///< options, attributes or constraints that do not fit: exit 2, mqmon.ConfigError
  kParse,     ///< a record or value that cannot be read (located): exit 3, mqmon.ParseError
  kData,      ///< the data as a whole is unusable (a third class): exit 3, mqmon.DataError
  kIo,        ///< a file or object that cannot be read or written: exit 4, mqmon.IoError
  kNoData,    ///< nothing to evaluate (an empty dataset, nothing merged): exit 6, mqmon.NoDataError
};

struct ErrorKindInfo {
  int exit_code;
  const char* python_class;  ///< the class in the mqmon Python package
};
const ErrorKindInfo& error_kind_info(ErrorKind kind);
/// Every kind, for tables built from this one (the Python exception classes).
inline constexpr ErrorKind kErrorKinds[] = {ErrorKind::kInternal, ErrorKind::kConfig,
                                            ErrorKind::kParse,    ErrorKind::kData,
                                            ErrorKind::kIo,       ErrorKind::kNoData};

/// Base of every error that ends a job with a message a user can act on.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
  virtual ErrorKind kind() const { return ErrorKind::kInternal; }
};

/// A file or directory could not be opened, read or written.
class IoError : public Error {
 public:
  using Error::Error;
  ErrorKind kind() const override { return ErrorKind::kIo; }
};

/// The job's options are inconsistent or unsupported (bad flag value, unknown attribute, ...).
class ConfigError : public Error {
 public:
  using Error::Error;
  ErrorKind kind() const override { return ErrorKind::kConfig; }
};

/// The data is unusable as a whole (a third class in a binary problem, ...).
class DataError : public Error {
 public:
  using Error::Error;
  ErrorKind kind() const override { return ErrorKind::kData; }
};

/// There is nothing to evaluate: an empty dataset, a window without captured inferences or labels.
class NoDataError : public DataError {
 public:
  using DataError::DataError;
  ErrorKind kind() const override { return ErrorKind::kNoData; }
};

/// Where a value sits in the input: file, 1-based physical line, 1-based column, attribute.
struct Location {
  std::string file;
  uint64_t line = 0;    ///< 0: not known; `byte` locates the record instead
  uint32_t column = 0;  ///< 0 when the error is about the whole record
  std::string attribute;
  uint64_t byte = 0;
};

/// One bad value or record, with its location and the offending text.
class ParseError : public Error {
 public:
  ParseError(Location where, std::string reason, std::string text);
  ErrorKind kind() const override { return ErrorKind::kParse; }

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
