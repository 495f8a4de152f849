#pragma once
/// The JSONPath subset attributes use for JSON records: `$.a.b`, `$.a[0]`, `a.b`,
/// `$['a b']`, `$["a"][2].c`, and `$` for the whole value.

#include <string>
#include <string_view>

namespace mqmon {

/// The RFC 6901 JSON Pointer of a JSONPath ("$.a[0]" -> "/a/0"; "$" -> ""). Throws ConfigError
/// naming the path and the position of a syntax error.
std::string json_pointer(std::string_view path);

}  // namespace mqmon
