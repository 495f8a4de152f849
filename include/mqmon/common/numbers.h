#pragma once
/// Number parsing and printing shared by every reader and writer.

#include <optional>
#include <string>
#include <string_view>

namespace mqmon {

/// Parses a finite double written in plain or scientific notation, with an optional leading '+'.
/// The whole text must be the number (callers trim spaces first). Returns nullopt otherwise,
/// including for "nan" and "inf", which are never valid values in a dataset.
std::optional<double> parse_double(std::string_view text);

/// Shortest text that reads back as `v`, never in scientific notation (1e-5 -> "0.00001",
/// 1.5e20 -> "150000000000000000000"). Integral values get no fraction ("1"); callers that need
/// Java's "1.0" use format_json_double.
std::string format_plain_double(double v);

/// format_plain_double plus Java's ".0" on integral values: how statistics.json prints doubles.
std::string format_json_double(double v);

/// The canonical form of a label: a value that parses as a number is written in its
/// shortest form ("1.0", "1e0", "+1", "01" -> "1"; "0.50" -> "0.5"; "-0" -> "0"); integers
/// keep all their digits even beyond double precision; anything else is returned verbatim.
std::string canonical_label(std::string_view text);

}  // namespace mqmon
