#pragma once
/// "Did you mean ...?" for mistyped names: options on the command line, keyword arguments and
/// option dictionaries in Python, so one mistake gets one suggestion everywhere.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mqmon {

/// The candidate nearest to `word` by edit distance (insertions, deletions, substitutions and
/// swaps of neighbours each count 1, case ignored), when it is near enough to be the intended
/// name: at most 1 edit for words up to 4 characters, 2 up to 8, else 3. Ties: the first. Else,
/// for words of 4 or more characters, the one candidate that begins with the word
/// (`probability_threshold` means `probability_threshold_attribute`; none when several do), or
/// the longest candidate that begins the word (`--output-dir` means `--output`).
std::optional<std::string> closest_name(std::string_view word,
                                        const std::vector<std::string>& candidates);

/// " (did you mean 'NAME'?)" or "", with `quote` around NAME ("'" or "").
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates,
                         std::string_view quote = "'");

/// "WHAT 'TEXT' is not one of A, B, C (did you mean B?)": the message for a value outside a
/// fixed set of choices.
std::string not_one_of(std::string_view what, std::string_view text,
                       const std::vector<std::string>& choices);

}  // namespace mqmon
