#include "mqmon/readers/row_builder.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "mqmon/common/closest_name.h"
#include "mqmon/common/error.h"
#include "mqmon/common/numbers.h"

namespace mqmon {

LabelType parse_label_type(const std::string& text) {
  if (text == "auto") return LabelType::kAuto;
  if (text == "string") return LabelType::kString;
  if (text == "number") return LabelType::kNumber;
  throw ConfigError(not_one_of("label type", text, {"auto", "string", "number"}));
}

const std::string& attribute_of(const AttributeSpec& spec, int slot) {
  return slot == kGroundTruthSlot ? spec.ground_truth
         : slot == kInferenceSlot ? spec.inference
                                  : spec.probability;
}

namespace {

const char* kind_name(RawValue::Kind k) {
  switch (k) {
    case RawValue::Kind::kMissing:
      return "nothing";
    case RawValue::Kind::kText:
      return "a string";
    case RawValue::Kind::kNumber:
      return "a number";
    case RawValue::Kind::kBool:
      return "a boolean";
    case RawValue::Kind::kNull:
      return "null";
    case RawValue::Kind::kArray:
      return "an array";
    case RawValue::Kind::kObject:
      return "an object";
  }
  return "?";
}

std::string shown(const RawValue& v) {
  switch (v.kind) {
    case RawValue::Kind::kText:
    case RawValue::Kind::kNumber:
      return std::string(v.text);
    case RawValue::Kind::kBool:
      return v.boolean ? "true" : "false";
    case RawValue::Kind::kNull:
      return "null";
    default:
      return "";
  }
}

ValueProblem wrong_kind(int slot, const RawValue& v, const char* expected) {
  if (v.kind == RawValue::Kind::kMissing) return {slot, "missing value", ""};
  if (v.kind == RawValue::Kind::kText && v.text.empty()) return {slot, "empty value", ""};
  return {slot, fmt::format("expected {}, found {}", expected, kind_name(v.kind)), shown(v)};
}

/// A finite number from a number or numeric text.
std::optional<double> number_of(const RawValue& v) {
  if (v.kind == RawValue::Kind::kNumber) return v.number;
  if (v.kind == RawValue::Kind::kText) return parse_double(v.text);
  return std::nullopt;
}

/// The text a label value is interned under, and whether interning canonicalizes it.
struct LabelText {
  std::string_view text;
  bool canonicalize = true;
};

std::optional<ValueProblem> label_text(const AttributeSpec& spec, const RawValue& v, int slot,
                                       LabelText& out) {
  out.canonicalize = spec.label_type == LabelType::kAuto;
  switch (v.kind) {
    case RawValue::Kind::kText:
      if (v.text.empty()) return ValueProblem{slot, "empty value", ""};
      out.text = v.text;
      if (spec.label_type == LabelType::kNumber) {
        if (!parse_double(v.text))
          return ValueProblem{slot, "label is not a number (--label-type number)",
                              std::string(v.text)};
        out.canonicalize = true;
      }
      return std::nullopt;
    case RawValue::Kind::kNumber:
      out.text = v.text;  // already canonical
      out.canonicalize = false;
      return std::nullopt;
    case RawValue::Kind::kBool:
      if (spec.label_type == LabelType::kNumber)
        return ValueProblem{slot, "label is not a number (--label-type number)", shown(v)};
      out.text = v.boolean ? "true" : "false";
      return std::nullopt;
    default:
      return wrong_kind(slot, v, "a label");
  }
}

/// A probability outside [0, 1] is a bad record unless the user declared unbounded scores.
bool out_of_range(const AttributeSpec& spec, double p) {
  return !spec.unbounded_scores && !(p >= 0.0 && p <= 1.0);
}

}  // namespace

const char* const kOutOfRangeReason =
    "probability outside [0, 1] (a logit or another score? --unbounded-scores, in Python "
    "unbounded_scores=True, takes it as a "
    "score)";

std::optional<ValueProblem> append_row(const AttributeSpec& spec, Batch& batch, uint64_t position,
                                       uint64_t line, const RawValue (&values)[3]) {
  const bool has_inference = !spec.inference.empty();
  const bool has_probability = !spec.probability.empty();

  // Validate and convert everything before touching the batch: a skipped row leaves no trace
  // (not even a label in the dictionary).
  double truth = 0, prediction = 0, score = 0;
  LabelText actual, predicted;
  std::string argmax_label;
  bool predicted_from_probability = false;
  if (spec.numeric_targets) {
    for (int slot : {kGroundTruthSlot, kInferenceSlot}) {
      if (slot == kInferenceSlot && !has_inference) continue;
      const auto n = number_of(values[slot]);
      if (!n) {
        if (values[slot].kind == RawValue::Kind::kText && !values[slot].text.empty())
          return ValueProblem{slot, "not a finite number", std::string(values[slot].text)};
        return wrong_kind(slot, values[slot], "a number");
      }
      (slot == kGroundTruthSlot ? truth : prediction) = *n;
    }
  } else {
    if (auto p = label_text(spec, values[kGroundTruthSlot], kGroundTruthSlot, actual)) return p;
    if (has_inference)
      if (auto p = label_text(spec, values[kInferenceSlot], kInferenceSlot, predicted)) return p;
  }

  if (has_probability) {
    const RawValue& v = values[kProbabilitySlot];
    if (v.kind == RawValue::Kind::kArray) {
      if (!v.numbers)
        return ValueProblem{kProbabilitySlot,
                            "array of probabilities holds something other than numbers", ""};
      const auto& a = *v.numbers;
      if (a.empty()) return ValueProblem{kProbabilitySlot, "array of probabilities is empty", "[]"};
      for (double x : a)
        if (out_of_range(spec, x))
          return ValueProblem{kProbabilitySlot, kOutOfRangeReason, format_plain_double(x)};
      if (spec.probability_use == ProbabilityUse::kArgmax) {
        const size_t best = static_cast<size_t>(std::max_element(a.begin(), a.end()) - a.begin());
        if (!spec.class_labels.empty() && a.size() != spec.class_labels.size())
          return ValueProblem{
              kProbabilitySlot,
              fmt::format("array of probabilities has {} entries but --class-labels "
                          "names {}",
                          a.size(), spec.class_labels.size()),
              ""};
        argmax_label = spec.class_labels.empty() ? std::to_string(best) : spec.class_labels[best];
        predicted = {argmax_label, spec.label_type == LabelType::kAuto};
        predicted_from_probability = true;
      } else {
        if (spec.probability_entry < 0 || static_cast<size_t>(spec.probability_entry) >= a.size())
          return ValueProblem{
              kProbabilitySlot,
              spec.probability_entry < 0
                  ? std::string("an array of probabilities needs --class-labels to find the "
                                "positive label's entry")
                  : fmt::format("array of probabilities has {} entries; the positive label's "
                                "entry is {}",
                                a.size(), spec.probability_entry),
              ""};
        score = a[static_cast<size_t>(spec.probability_entry)];
      }
    } else if (spec.probability_use == ProbabilityUse::kArgmax) {
      return wrong_kind(kProbabilitySlot, v, "an array of class probabilities");
    } else if (auto n = number_of(v)) {
      if (out_of_range(spec, *n))
        return ValueProblem{kProbabilitySlot, kOutOfRangeReason, std::string(v.text)};
      score = *n;
    } else if (v.kind == RawValue::Kind::kText && !v.text.empty()) {
      return ValueProblem{kProbabilitySlot, "not a finite number", std::string(v.text)};
    } else {
      return wrong_kind(kProbabilitySlot, v, "a number");
    }
  }

  if (spec.numeric_targets) {
    batch.truth.push_back(truth);
    if (has_inference) batch.prediction.push_back(prediction);
  } else {
    batch.actual.push_back(batch.labels.intern(actual.text, position, line, LabelRole::kGroundTruth,
                                               actual.canonicalize));
    if (has_inference || predicted_from_probability)
      batch.predicted.push_back(batch.labels.intern(predicted.text, position, line,
                                                    LabelRole::kInference, predicted.canonicalize));
  }
  if (has_probability && spec.probability_use == ProbabilityUse::kScore)
    batch.score.push_back(score);
  batch.record.push_back(static_cast<uint32_t>(position));
  return std::nullopt;
}

std::optional<ValueProblem> append_text_row(const AttributeSpec& spec, Batch& batch,
                                            uint64_t position, uint64_t line,
                                            const std::string_view (&texts)[3]) {
  const bool has_inference = !spec.inference.empty();
  const bool has_probability = !spec.probability.empty();
  auto general = [&] {
    const RawValue values[3] = {RawValue::of_text(texts[0]), RawValue::of_text(texts[1]),
                                RawValue::of_text(texts[2])};
    return append_row(spec, batch, position, line, values);
  };
  double score = 0;
  if (has_probability) {
    if (spec.probability_use != ProbabilityUse::kScore) return general();
    const auto v = parse_double(texts[kProbabilitySlot]);
    if (!v || out_of_range(spec, *v)) return general();
    score = *v;
  }
  if (spec.numeric_targets) {
    const auto y = parse_double(texts[kGroundTruthSlot]);
    if (!y) return general();
    double yhat = 0;
    if (has_inference) {
      const auto v = parse_double(texts[kInferenceSlot]);
      if (!v) return general();
      yhat = *v;
    }
    batch.truth.push_back(*y);
    if (has_inference) batch.prediction.push_back(yhat);
  } else {
    if (spec.label_type == LabelType::kNumber || texts[kGroundTruthSlot].empty() ||
        (has_inference && texts[kInferenceSlot].empty()))
      return general();
    const bool canonicalize = spec.label_type == LabelType::kAuto;
    batch.actual.push_back(batch.labels.intern(texts[kGroundTruthSlot], position, line,
                                               LabelRole::kGroundTruth, canonicalize));
    if (has_inference)
      batch.predicted.push_back(batch.labels.intern(texts[kInferenceSlot], position, line,
                                                    LabelRole::kInference, canonicalize));
  }
  if (has_probability) batch.score.push_back(score);
  batch.record.push_back(static_cast<uint32_t>(position));
  return std::nullopt;
}

}  // namespace mqmon
