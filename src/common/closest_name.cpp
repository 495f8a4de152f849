#include "mqmon/common/closest_name.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cctype>

namespace mqmon {

namespace {

/// Optimal string alignment distance (Damerau–Levenshtein without repeated edits of a substring).
size_t edit_distance(std::string_view a, std::string_view b) {
  auto lower = [](char c) {
    return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  };
  const size_t n = a.size(), m = b.size();
  std::vector<size_t> prev2(m + 1), prev(m + 1), cur(m + 1);
  for (size_t j = 0; j <= m; ++j) prev[j] = j;
  for (size_t i = 1; i <= n; ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= m; ++j) {
      const bool same = lower(a[i - 1]) == lower(b[j - 1]);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (same ? 0 : 1)});
      if (i > 1 && j > 1 && lower(a[i - 1]) == lower(b[j - 2]) &&
          lower(a[i - 2]) == lower(b[j - 1]))
        cur[j] = std::min(cur[j], prev2[j - 2] + 1);
    }
    std::swap(prev2, prev);
    std::swap(prev, cur);
  }
  return prev[m];
}

}  // namespace

std::optional<std::string> closest_name(std::string_view word,
                                        const std::vector<std::string>& candidates) {
  const size_t allowed = word.size() <= 4 ? 1 : word.size() <= 8 ? 2 : 3;
  std::optional<std::string> best;
  size_t best_distance = allowed + 1;
  for (const auto& c : candidates) {
    const size_t d = edit_distance(word, c);
    if (d < best_distance) {
      best_distance = d;
      best = c;
    }
  }
  if (best || word.size() < 4) return best;
  // A shortened name (probability_threshold for probability_threshold_attribute), when only one
  // candidate begins with it; else a lengthened one (--output-directory): the longest candidate
  // that begins the word.
  size_t extending = 0;
  for (const auto& c : candidates)
    if (c.size() > word.size() && c.compare(0, word.size(), word) == 0) {
      ++extending;
      best = c;
    }
  if (extending > 1) return std::nullopt;
  if (best) return best;
  for (const auto& c : candidates)
    if (c.size() >= 4 && c.size() < word.size() && word.compare(0, c.size(), c) == 0 &&
        (!best || c.size() > best->size()))
      best = c;
  return best;
}

std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates,
                         std::string_view quote) {
  const auto name = closest_name(word, candidates);
  return name ? fmt::format(" (did you mean {}{}{}?)", quote, *name, quote) : std::string();
}

std::string not_one_of(std::string_view what, std::string_view text,
                       const std::vector<std::string>& choices) {
  return fmt::format("{} '{}' is not one of {}{}", what, text, fmt::join(choices, ", "),
                     did_you_mean(text, choices, ""));
}

}  // namespace mqmon
