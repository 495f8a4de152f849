#include "mqmon/readers/json_path.h"

#include <fmt/format.h>

#include "mqmon/common/error.h"

namespace mqmon {

namespace {
void append_segment(std::string& pointer, std::string_view name) {
  pointer += '/';
  for (char c : name) {
    if (c == '~')
      pointer += "~0";
    else if (c == '/')
      pointer += "~1";
    else
      pointer += c;
  }
}
}  // namespace

std::string json_pointer(std::string_view path) {
  auto fail = [&](size_t at, const char* what) -> std::string {
    throw ConfigError(
        fmt::format("JSONPath '{}': {} at position {} (supported: $.a.b, $.a[0], a.b, $['a b'])",
                    path, what, at + 1));
  };
  std::string pointer;
  size_t i = 0;
  if (path.empty()) fail(0, "empty path");
  bool need_name = true;  // without '$', the path starts with a member name
  if (path[0] == '$') {
    i = 1;
    need_name = false;
  }
  while (i < path.size() || need_name) {
    if (need_name || path[i] == '.') {
      if (!need_name) ++i;
      need_name = false;
      const size_t start = i;
      while (i < path.size() && path[i] != '.' && path[i] != '[') ++i;
      if (i == start) return fail(start, "expected a member name");
      append_segment(pointer, path.substr(start, i - start));
    } else if (path[i] == '[') {
      ++i;
      if (i < path.size() && (path[i] == '\'' || path[i] == '"')) {
        const char quote = path[i++];
        std::string name;
        while (i < path.size() && path[i] != quote) {
          if (path[i] == '\\' && i + 1 < path.size()) ++i;
          name += path[i++];
        }
        if (i >= path.size()) return fail(i, "unterminated quoted name");
        ++i;
        append_segment(pointer, name);
      } else {
        const size_t start = i;
        while (i < path.size() && path[i] >= '0' && path[i] <= '9') ++i;
        if (i == start) return fail(start, "expected an array index or a quoted name");
        append_segment(pointer, path.substr(start, i - start));
      }
      if (i >= path.size() || path[i] != ']') return fail(i, "expected ']'");
      ++i;
    } else {
      return fail(i, "expected '.' or '['");
    }
  }
  return pointer;
}

}  // namespace mqmon
