#pragma once
/// The reader-independent half of every record reader: turning the values a reader found for the
/// ground truth, inference and probability attributes into a Batch row, with the same rules (label
/// canonicalization, numbers, probability arrays) for CSV, JSON Lines and capture records.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mqmon/readers/batch.h"

namespace mqmon {

/// A value as a reader found it.
struct RawValue {
  enum class Kind { kMissing, kText, kNumber, kBool, kNull, kArray, kObject };
  Kind kind = Kind::kMissing;
  std::string_view text;  ///< kText: the text; kNumber: its canonical label form
  double number = 0;      ///< kNumber
  bool boolean = false;   ///< kBool
  const std::vector<double>* numbers = nullptr;  ///< kArray of numbers (nullptr: not all numbers)

  static RawValue of_text(std::string_view t) {
    RawValue v;
    v.kind = Kind::kText;
    v.text = t;
    return v;
  }
};

/// Slots of the attributes in AttributeSpec order.
enum AttributeSlot { kGroundTruthSlot = 0, kInferenceSlot = 1, kProbabilitySlot = 2 };

/// Why a record's value is unusable: which attribute, why, and the offending text.
struct ValueProblem {
  int slot = 0;
  std::string reason;
  std::string text;
};

/// The reason given for a probability outside [0, 1].
extern const char* const kOutOfRangeReason;

/// Appends a row built from values[slot] (slots whose attribute is empty are ignored) to `batch`
/// whose record starts `position` bytes into the block and `line` lines into it, or returns why
/// it cannot.
std::optional<ValueProblem> append_row(const AttributeSpec& spec, Batch& batch, uint64_t position,
                                       uint64_t line, const RawValue (&values)[3]);

/// append_row for three texts (a CSV record's fields): the common cases (labels and numbers as
/// plain text) without building RawValues; anything else goes through append_row, so the rows
/// and the problems are the same.
std::optional<ValueProblem> append_text_row(const AttributeSpec& spec, Batch& batch,
                                            uint64_t position, uint64_t line,
                                            const std::string_view (&texts)[3]);

/// "auto", "string" or "number" (--label-type). Throws ConfigError.
LabelType parse_label_type(const std::string& text);

/// The attribute name of a slot.
const std::string& attribute_of(const AttributeSpec& spec, int slot);

}  // namespace mqmon
