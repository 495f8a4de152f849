#include "mqmon/common/numbers.h"

#include <fast_float/fast_float.h>

#include <charconv>
#include <cmath>
#include <cstdlib>

namespace mqmon {

std::optional<double> parse_double(std::string_view text) {
  if (!text.empty() && text.front() == '+') {
    text.remove_prefix(1);
    if (!text.empty() && (text.front() == '-' || text.front() == '+')) return std::nullopt;
  }
  if (text.empty()) return std::nullopt;
  double v = 0;
  // fast_float (Debian's libfast-float-dev, the algorithm behind libstdc++'s from_chars, inlined
  // here) is locale-independent and correctly rounded; what it does not take whole as a finite
  // number goes to from_chars for the verdict.
  {
    const auto [ptr, ec] = fast_float::from_chars(text.data(), text.data() + text.size(), v);
    if (ec == std::errc() && ptr == text.data() + text.size() && std::isfinite(v)) return v;
  }
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ptr != text.data() + text.size()) return std::nullopt;
  if (ec == std::errc::result_out_of_range) {
    // Underflow to a subnormal/zero is a legitimate tiny number; overflow is not finite.
    v = std::strtod(std::string(text).c_str(), nullptr);
  } else if (ec != std::errc()) {
    return std::nullopt;
  }
  if (!std::isfinite(v)) return std::nullopt;
  return v;
}

std::string format_plain_double(double v) {
  if (v == 0) return "0";  // also folds -0
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);  // shortest round-trip
  std::string s(buf, end);
  const auto e = s.find('e');
  if (e == std::string::npos) return s;
  // Rewrite d.ddde±x as plain digits.
  const int exp = std::atoi(s.c_str() + e + 1);
  std::string mant = s.substr(0, e);
  bool neg = false;
  if (mant[0] == '-') {
    neg = true;
    mant.erase(0, 1);
  }
  std::string digits;
  int point = 0;  // digits before the decimal point in `mant`
  const auto dot = mant.find('.');
  if (dot == std::string::npos) {
    digits = mant;
    point = static_cast<int>(mant.size());
  } else {
    digits = mant.substr(0, dot) + mant.substr(dot + 1);
    point = static_cast<int>(dot);
  }
  point += exp;
  std::string out;
  if (point <= 0) {
    out = "0." + std::string(static_cast<size_t>(-point), '0') + digits;
  } else if (point >= static_cast<int>(digits.size())) {
    out = digits + std::string(static_cast<size_t>(point) - digits.size(), '0');
  } else {
    out = digits.substr(0, static_cast<size_t>(point)) + "." +
          digits.substr(static_cast<size_t>(point));
  }
  return neg ? "-" + out : out;
}

std::string format_json_double(double v) {
  std::string s = format_plain_double(v);
  if (s.find('.') == std::string::npos) s += ".0";
  return s;
}

namespace {
bool is_integer_literal(std::string_view t) {
  size_t i = (!t.empty() && (t[0] == '+' || t[0] == '-')) ? 1 : 0;
  if (i == t.size()) return false;
  for (; i < t.size(); ++i)
    if (t[i] < '0' || t[i] > '9') return false;
  return true;
}
}  // namespace

std::string canonical_label(std::string_view text) {
  if (is_integer_literal(text)) {
    // Exact integer canonicalization: ids such as 12345678901234567891 must not collapse
    // onto their neighbours through a double.
    bool neg = text[0] == '-';
    if (text[0] == '+' || text[0] == '-') text.remove_prefix(1);
    while (text.size() > 1 && text.front() == '0') text.remove_prefix(1);
    if (text == "0") return "0";
    return neg ? "-" + std::string(text) : std::string(text);
  }
  if (auto v = parse_double(text)) return format_plain_double(*v);
  return std::string(text);
}

}  // namespace mqmon
