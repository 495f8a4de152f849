// nlohmann/json's second translation unit (after dataset_format.cpp): constraints files are read
// by key, in any number notation.
#include "mqmon/constraints/check.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <set>

#include "mqmon/common/closest_name.h"
#include "mqmon/common/error.h"
#include "mqmon/common/numbers.h"
#include "mqmon/io/byte_source.h"
#include "mqmon/output/json_writer.h"

namespace mqmon {

ComparisonOperator parse_comparison_operator(const std::string& s, const std::string& where) {
  if (s == "LessThanThreshold") return ComparisonOperator::kLessThan;
  if (s == "LessThanOrEqualToThreshold") return ComparisonOperator::kLessThanOrEqualTo;
  if (s == "GreaterThanThreshold") return ComparisonOperator::kGreaterThan;
  if (s == "GreaterThanOrEqualToThreshold") return ComparisonOperator::kGreaterThanOrEqualTo;
  throw ConfigError(
      fmt::format("{}: {}", where,
                  not_one_of("comparison_operator", s,
                             {"LessThanThreshold", "LessThanOrEqualToThreshold",
                              "GreaterThanThreshold", "GreaterThanOrEqualToThreshold"})));
}

namespace {

using json = nlohmann::ordered_json;  // constraints are checked in file order

double number_at(const json& j, const char* key, const std::string& where) {
  const auto it = j.find(key);
  if (it == j.end()) throw ConfigError(fmt::format("{}: missing '{}'", where, key));
  if (it->is_number()) return it->get<double>();
  if (it->is_string()) {  // hand-written files sometimes quote numbers
    if (auto v = parse_double(it->get<std::string>())) return *v;
  }
  throw ConfigError(fmt::format("{}: '{}' must be a number, not {}", where, key, it->dump()));
}

uint64_t count_at(const json& j, const char* key, const std::string& where) {
  const double v = number_at(j, key, where);
  if (v < 0 || v != std::floor(v))
    throw ConfigError(fmt::format("{}: '{}' must be a count", where, key));
  return static_cast<uint64_t>(v);
}

/// b[key], or a ConfigError saying the block predates it (written by an older mqmon).
const json& needed(const json& b, const char* key, const std::string& where) {
  const auto it = b.find(key);
  if (it == b.end())
    throw ConfigError(fmt::format(
        "{}: the baseline has no '{}', which the window thresholds are recomputed from (a file "
        "written by an older mqmon): run suggest-baseline again, or delete the mqmon block to "
        "keep the thresholds as written",
        where, key));
  return *it;
}

/// The baseline quantities of the "mqmon" block as statistics the suggestion functions take.
AnyStatistics baseline_of(ProblemType problem, const json& b, const std::string& where) {
  const uint64_t n = count_at(b, "item_count", where);
  switch (problem) {
    case ProblemType::kBinaryClassification: {
      BinaryStatistics s;
      const auto& c = b.at("confusion_counts");
      s.counts = {count_at(c, "true_negatives", where), count_at(c, "false_positives", where),
                  count_at(c, "false_negatives", where), count_at(c, "true_positives", where)};
      s.item_count = n;
      const auto& auc = b.at("auc");
      const double a = auc.is_number() ? auc.get<double>() : NAN;
      const auto v = binary_scalars(s.counts, a);
      for (int m = 0; m < kBinaryScalarCount; ++m) s.metrics[m].value = v[m];
      if (!std::isnan(a)) {
        for (const auto& m : kAucPlacementMoments) {
          const auto& by_class = needed(b, m.key, where);
          s.*m.positives = number_at(by_class, "positives", where);
          s.*m.negatives = number_at(by_class, "negatives", where);
        }
      }
      return s;
    }
    case ProblemType::kMulticlassClassification: {
      MulticlassStatistics s;
      const auto& cells = b.at("confusion_counts");
      for (const auto& [a, row] : cells.items()) {
        s.labels.push_back(a);
        for (const auto& [p, count] : row.items()) s.labels.push_back(p);
      }
      std::sort(s.labels.begin(), s.labels.end(), label_less);
      s.labels.erase(std::unique(s.labels.begin(), s.labels.end()), s.labels.end());
      auto index = [&](const std::string& l) {
        return static_cast<uint32_t>(
            std::lower_bound(s.labels.begin(), s.labels.end(), l, label_less) - s.labels.begin());
      };
      for (const auto& [a, row] : cells.items())
        for (const auto& [p, count] : row.items())
          s.confusion[{index(a), index(p)}] = count.get<uint64_t>();
      s.item_count = n;
      const auto v = multiclass_scalars(s.confusion, s.labels.size());
      for (int m = 0; m < kMulticlassScalarCount; ++m) s.metrics[m].value = v[m];
      return s;
    }
    case ProblemType::kRegression: {
      RegressionStatistics s;
      s.item_count = n;
      s.mean_abs_error = number_at(b, "mean_absolute_error", where);
      s.mean_squared_error = number_at(b, "mean_squared_error", where);
      s.mean_fourth_power_error = number_at(b, "mean_fourth_power_error", where);
      s.truth_variance = number_at(b, "truth_variance", where);
      s.metrics[kMae].value = s.mean_abs_error;
      s.metrics[kMse].value = s.mean_squared_error;
      s.metrics[kRmse].value = std::sqrt(s.mean_squared_error);
      s.metrics[kR2].value =
          s.truth_variance > 0 ? 1 - s.mean_squared_error / s.truth_variance : NAN;
      const auto& sample = needed(b, "sample", where);
      const auto& abs_error = sample.at("absolute_error");
      const auto& truth = sample.at("truth");
      if (!abs_error.is_array() || !truth.is_array() || abs_error.size() != truth.size() ||
          abs_error.empty() || abs_error.size() > std::min<uint64_t>(n, kRegressionSampleRows))
        throw ConfigError(fmt::format(
            "{}: the sample needs absolute_error and truth arrays of the same length, 1 to {}",
            where, std::min<uint64_t>(n, kRegressionSampleRows)));
      for (size_t i = 0; i < abs_error.size(); ++i) {
        if (!abs_error[i].is_number() || !truth[i].is_number() || abs_error[i].get<double>() < 0)
          throw ConfigError(fmt::format("{}: sample row {} is not a number pair with |error| >= 0",
                                        where, i + 1));
        s.sample.emplace_back(abs_error[i].get<double>(), truth[i].get<double>());
      }
      return s;
    }
  }
  throw ConfigError(where + ": unknown problem type");
}

}  // namespace

ConstraintSet read_constraints(const std::string& path, ProblemType expected) {
  ConstraintSet set = read_constraints(path);
  if (set.problem_type != expected)
    throw ConfigError(fmt::format("{} holds {} constraints, but the problem type is {}", path,
                                  problem_type_name(set.problem_type),
                                  problem_type_name(expected)));
  return set;
}

ConstraintSet read_constraints(const std::string& path) {
  std::string text;
  try {
    text = read_whole(path);
  } catch (const IoError& e) {
    throw IoError(fmt::format("cannot read the constraints: {}", e.what()));
  }
  json doc;
  // A key given twice in one object (JSON allows it, the last would silently win): the object's
  // own key, and the repeated one.
  std::vector<std::pair<std::string, std::set<std::string>>> objects;  // open objects
  std::string last_key = "the top level", repeated, repeated_in;
  const auto on_event = [&](int, json::parse_event_t event, json& parsed) {
    if (event == json::parse_event_t::object_start) {
      objects.emplace_back(last_key, std::set<std::string>());
    } else if (event == json::parse_event_t::object_end) {
      objects.pop_back();
    } else if (event == json::parse_event_t::key) {
      last_key = parsed.get<std::string>();
      if (!objects.back().second.insert(last_key).second && repeated.empty()) {
        repeated = last_key;
        repeated_in = objects.back().first;
      }
    }
    return true;
  };
  try {
    doc = json::parse(text, on_event);
  } catch (const json::exception& e) {  // a syntax error, or a number out of range
    throw ConfigError(fmt::format("{}: not valid JSON: {}", path, e.what()));
  }
  if (!repeated.empty())
    throw ConfigError(fmt::format(
        "{}: '{}' holds the key '{}' twice; which one counts would be a guess: keep one", path,
        repeated_in, repeated));
  static const std::pair<const char*, ProblemType> kBlocks[] = {
      {"binary_classification_constraints", ProblemType::kBinaryClassification},
      {"multiclass_classification_constraints", ProblemType::kMulticlassClassification},
      {"regression_constraints", ProblemType::kRegression}};
  ConstraintSet set;
  const json* block = nullptr;
  for (const auto& [key, problem] : kBlocks) {
    if (doc.is_object() && doc.contains(key)) {
      if (block)
        throw ConfigError(
            fmt::format("{}: holds constraints for more than one problem type", path));
      block = &doc[key];
      set.problem_type = problem;
    }
  }
  if (!block || !block->is_object())
    throw ConfigError(fmt::format(
        "{}: no binary_classification_constraints, multiclass_classification_constraints "
        "or regression_constraints object",
        path));
  std::vector<std::string> metrics;
  auto add_names = [&](const auto& names) { metrics.assign(names.begin(), names.end()); };
  switch (set.problem_type) {
    case ProblemType::kBinaryClassification:
      add_names(kBinaryScalarNames);
      break;
    case ProblemType::kMulticlassClassification:
      add_names(kMulticlassScalarNames);
      break;
    case ProblemType::kRegression:
      add_names(kRegressionScalarNames);
      break;
  }
  for (const auto& [metric, entry] : block->items()) {
    const std::string where = fmt::format("{}: constraint '{}'", path, metric);
    if (std::find(metrics.begin(), metrics.end(), metric) == metrics.end())
      throw ConfigError(fmt::format("{} is not a {} metric{}", where,
                                    problem_type_name(set.problem_type),
                                    did_you_mean(metric, metrics)));
    if (!entry.is_object()) throw ConfigError(where + " must be an object");
    const auto op = entry.find("comparison_operator");
    if (op == entry.end() || !op->is_string())
      throw ConfigError(where + ": missing 'comparison_operator'");
    set.constraints.push_back({metric, number_at(entry, "threshold", where),
                               parse_comparison_operator(*op, where), "", 0});
  }
  if (doc.contains("mqmon")) {
    const json& m = doc["mqmon"];
    const std::string where = fmt::format("{}: mqmon block", path);
    try {
      ConstraintSet::Window w;
      const std::string method = m.at("threshold_method").get<std::string>();
      if (method != "window" && method != "baseline")
        throw ConfigError(
            fmt::format("{}: threshold_method '{}' is not window or baseline", where, method));
      w.options.method = method == "window" ? ThresholdMethod::kWindow : ThresholdMethod::kBaseline;
      w.options.alpha = number_at(m, "alpha", where);
      if (m.contains("alpha_scope")) try {
          w.options.scope = parse_alpha_scope(m.at("alpha_scope").get<std::string>());
        } catch (const ConfigError& e) {
          throw ConfigError(fmt::format("{}: {}", where, e.what()));
        }
      w.options.window_size = count_at(m, "window_size", where);
      w.options.replicates = static_cast<int>(count_at(m, "replicates", where));
      w.options.seed = m.at("seed").get<uint64_t>();
      w.baseline = baseline_of(set.problem_type, m.at("baseline"), where);
      set.window = std::move(w);
    } catch (const json::exception& e) {
      throw ConfigError(fmt::format("{}: {}", where, e.what()));
    }
  }
  return set;
}

std::vector<Constraint> thresholds_for_window(const ConstraintSet& set, uint64_t rows) {
  std::vector<Constraint> out = set.constraints;
  if (!set.window || set.window->options.method != ThresholdMethod::kWindow || rows == 0)
    return out;
  const auto as_written = suggest_constraints(set.window->baseline, set.window->options);
  SuggestOptions here = set.window->options;
  here.window_size = rows;
  const auto at_window = suggest_constraints(set.window->baseline, here);
  for (auto& c : out) {
    for (size_t i = 0; i < as_written.size(); ++i) {
      if (as_written[i].metric != c.metric) continue;
      // Recompute only what the window method made: an edited threshold is the user's choice.
      const double t = as_written[i].threshold;
      if (std::fabs(t - c.threshold) <= 1e-12 * std::max(1.0, std::fabs(t)))
        c.threshold = at_window[i].threshold;
    }
  }
  return out;
}

std::vector<Violation> check_constraints(const std::vector<Constraint>& constraints,
                                         ProblemType problem, const Evaluation& ev,
                                         const CheckOptions& options) {
  const auto scalars = ev.scalars();
  if (ev.problem_type() != problem)
    throw ConfigError(fmt::format("the constraints are for {}, the monitored problem is not",
                                  problem_type_name(problem)));
  std::vector<Violation> out;
  for (const auto& c : constraints) {
    const auto it = std::find_if(scalars.begin(), scalars.end(),
                                 [&](const auto& s) { return s.first == c.metric; });
    if (it == scalars.end())
      throw ConfigError(fmt::format("constraint on '{}', which is not a {} metric", c.metric,
                                    problem_type_name(problem)));
    const MetricValue& m = it->second;
    const char* op = operator_name(c.op);
    if (std::isnan(m.value)) {
      if (options.report_undefined)
        out.push_back(
            {c.metric, op,
             fmt::format("Metric {} is undefined on this window (e.g. only one class present), so "
                         "{} '{}' cannot be checked",
                         c.metric, op, format_plain_double(c.threshold))});
      continue;
    }
    if (!violates(c.op, m.value, c.threshold)) continue;
    const std::string spread =
        std::isnan(m.standard_deviation) ? "" : " +/- " + format_plain_double(m.standard_deviation);
    out.push_back(
        {c.metric, op,
         fmt::format("Metric {} with {}{} was {} '{}'", c.metric, format_plain_double(m.value),
                     spread, op, format_plain_double(c.threshold))});
  }
  return out;
}

std::string write_violations(const std::vector<Violation>& violations) {
  JsonWriter w;
  w.begin_object();
  w.key("violations").begin_array();
  for (const auto& v : violations) {
    w.begin_object();
    w.key("metric_name").value(v.metric_name);
    w.key("constraint_check_type").value(v.constraint_check_type);
    w.key("description").value(v.description);
    w.end_object();
  }
  w.end_array();
  w.end_object();
  return w.finish();
}

}  // namespace mqmon
