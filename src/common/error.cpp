#include "mqmon/common/error.h"

#include <fmt/format.h>

namespace mqmon {

namespace {
// Keep messages one line and bounded: a runaway field (an unterminated quote) can be megabytes.
std::string shown_text(const std::string& text) {
  constexpr size_t kMax = 80;
  std::string out;
  for (char c : text.substr(0, kMax)) {
    if (c == '\n')
      out += "\\n";
    else if (c == '\r')
      out += "\\r";
    else if (c == '\t')
      out += c;
    else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)  // NUL and the like, visible
      out += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
    else
      out += c;
  }
  if (text.size() > kMax) out += "...";
  return out;
}
}  // namespace

const ErrorKindInfo& error_kind_info(ErrorKind kind) {
  static const ErrorKindInfo kInternal{1, "Error"}, kConfig{2, "ConfigError"},
      kParse{3, "ParseError"}, kData{3, "DataError"}, kIo{4, "IoError"}, kNoData{6, "NoDataError"};
  switch (kind) {
    case ErrorKind::kConfig:
      return kConfig;
    case ErrorKind::kParse:
      return kParse;
    case ErrorKind::kData:
      return kData;
    case ErrorKind::kIo:
      return kIo;
    case ErrorKind::kNoData:
      return kNoData;
    case ErrorKind::kInternal:
      break;
  }
  return kInternal;
}

ParseError::ParseError(Location where, std::string reason, std::string text)
    : Error(describe(where, reason, text)),
      where_(std::move(where)),
      reason_(std::move(reason)),
      text_(std::move(text)) {}

std::string ParseError::describe(const Location& where, const std::string& reason,
                                 const std::string& text) {
  std::string out = where.line || !where.byte ? fmt::format("{}:{}:", where.file, where.line)
                                              : fmt::format("{}: byte {}:", where.file, where.byte);
  if (where.column > 0) out += fmt::format(" column {}", where.column);
  if (!where.attribute.empty()) out += fmt::format(" (attribute '{}')", where.attribute);
  out += fmt::format(" {}", reason);
  if (!text.empty() || where.column > 0) out += fmt::format(": '{}'", shown_text(text));
  return out;
}

}  // namespace mqmon
