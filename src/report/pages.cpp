// The report's pages, from the JSON files. The only translation unit of the report that parses
// JSON.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "mqmon/common/error.h"
#include "mqmon/report/report.h"
#include "svg.h"

namespace mqmon::report {

namespace {

using json = nlohmann::ordered_json;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr const char* kBest = "_best_constant_classifier";
/// Executions a history page shows (the latest).
constexpr size_t kHistoryShown = 200;
/// Classes shown by name in a multiclass confusion matrix; the rest are "other".
constexpr size_t kClassesShown = 20;

json parse(const std::string& text, const char* what) {
  try {
    return json::parse(text);
  } catch (const json::exception& e) {
    throw ConfigError(fmt::format("the {} is not valid JSON: {}", what, e.what()));
  }
}

/// A number as the files write it: a JSON number, or "NaN" / "Infinity" as text.
double number(const json& v) {
  if (v.is_number()) return v.get<double>();
  if (v.is_string()) {
    const std::string s = v.get<std::string>();
    if (s == "Infinity") return std::numeric_limits<double>::infinity();
    if (s == "-Infinity") return -std::numeric_limits<double>::infinity();
    try {
      return std::stod(s);
    } catch (...) {
    }
  }
  return kNaN;
}

std::vector<double> numbers(const json& v) {
  std::vector<double> out;
  if (v.is_array())
    for (const auto& x : v) out.push_back(number(x));
  return out;
}

struct Metric {
  double value = kNaN, deviation = kNaN;
};

struct Statistics {
  std::string problem;  ///< binary_classification, multiclass_classification, regression
  std::string problem_name;
  json metrics;
  std::vector<std::pair<std::string, Metric>> scalars;  ///< in the file's order
  double item_count = kNaN;
  std::string evaluation_time;

  const Metric* find(const std::string& name) const {
    for (const auto& [n, m] : scalars)
      if (n == name) return &m;
    return nullptr;
  }
};

Statistics read_statistics(const std::string& text) {
  const json doc = parse(text, "statistics file");
  Statistics s;
  for (const auto& [key, name] : {std::pair{"binary_classification", "BinaryClassification"},
                                  {"multiclass_classification", "MulticlassClassification"},
                                  {"regression", "Regression"}})
    if (doc.contains(std::string(key) + "_metrics")) {
      s.problem = key;
      s.problem_name = name;
      s.metrics = doc[std::string(key) + "_metrics"];
    }
  if (s.problem.empty() || !s.metrics.is_object())
    throw ConfigError(
        "the statistics file has no binary_classification_metrics, "
        "multiclass_classification_metrics or regression_metrics: not a model-quality "
        "statistics.json");
  for (const auto& [name, v] : s.metrics.items())
    if (v.is_object() && v.contains("value"))
      s.scalars.push_back(
          {name,
           {number(v["value"]),
            v.contains("standard_deviation") ? number(v["standard_deviation"]) : kNaN}});
  if (doc.contains("dataset") && doc["dataset"].is_object()) {
    const json& d = doc["dataset"];
    if (d.contains("item_count")) s.item_count = number(d["item_count"]);
    if (d.contains("evaluation_time") && d["evaluation_time"].is_string())
      s.evaluation_time = d["evaluation_time"].get<std::string>();
  }
  return s;
}

struct Threshold {
  double value = kNaN;
  std::string op;
};

struct Constraints {
  std::map<std::string, Threshold> thresholds;
  std::vector<std::string> order;
  json method;  ///< mqmon's block, when there
};

void add_thresholds(Constraints& c, const json& block) {
  for (const auto& [name, t] : block.items()) {
    if (!t.is_object()) continue;
    if (!c.thresholds.count(name)) c.order.push_back(name);
    c.thresholds[name] = {t.contains("threshold") ? number(t["threshold"]) : kNaN,
                          t.value("comparison_operator", std::string())};
  }
}

Constraints read_constraints(const std::string& text) {
  Constraints c;
  if (text.empty()) return c;
  const json doc = parse(text, "constraints file");
  for (const auto& [key, v] : doc.items())
    if (key.size() > 12 && key.substr(key.size() - 12) == "_constraints" && v.is_object())
      add_thresholds(c, v);
  if (doc.contains("mqmon")) c.method = doc["mqmon"];
  return c;
}

/// The thresholds an execution applied (mqmon's execution.json), else those of `constraints`.
Constraints applied_constraints(const std::string& constraints, const json& execution) {
  if (execution.is_object() && execution.contains("thresholds") &&
      execution["thresholds"].is_object()) {
    Constraints c;
    add_thresholds(c, execution["thresholds"]);
    if (!constraints.empty()) c.method = read_constraints(constraints).method;
    return c;
  }
  return read_constraints(constraints);
}

std::map<std::string, std::string> read_violations(const std::string& text) {
  std::map<std::string, std::string> out;  // metric -> description
  if (text.empty()) return out;
  const json doc = parse(text, "constraint violations file");
  if (doc.contains("violations") && doc["violations"].is_array())
    for (const auto& v : doc["violations"])
      if (v.is_object() && v.contains("metric_name"))
        out[v["metric_name"].get<std::string>()] = v.value("description", std::string());
  return out;
}

std::string operator_text(const std::string& op) {
  if (op == "LessThanThreshold") return "below";
  if (op == "GreaterThanThreshold") return "above";
  return op;
}

/// "violated when below 0.8123"
std::string threshold_text(const Threshold& t) {
  return fmt::format("violated {} {}", operator_text(t.op), shown(t.value));
}

std::string value_cell(const std::string& metric, const char* field, double v) {
  return fmt::format("<td data-metric=\"{}\" data-field=\"{}\" data-value=\"{}\">{}</td>",
                     escape(metric), field, exact(v), shown(v));
}

std::string summary(const std::vector<std::pair<std::string, std::string>>& items) {
  std::string out = "<dl class=\"summary\">";
  for (const auto& [k, v] : items)
    if (!v.empty()) out += "<dt>" + escape(k) + "</dt><dd>" + escape(v) + "</dd>";
  return out + "</dl>";
}

std::string rows_text(double n) { return std::isnan(n) ? "" : fmt::format("{:.0f}", n); }

/// The metric table: value, deviation, best constant, threshold (`threshold_head`).
std::string metric_table(const Statistics& s, const Constraints& c,
                         const char* threshold_head = "suggested threshold") {
  std::string out = fmt::format(
      "<table id=\"metrics\"><thead><tr><th scope=\"col\">metric</th><th scope=\"col\">value</th>"
      "<th scope=\"col\">± standard deviation</th><th scope=\"col\">best constant "
      "classifier</th><th scope=\"col\">{}</th></tr></thead><tbody>",
      threshold_head);
  for (const auto& [name, m] : s.scalars) {
    if (name.size() > std::string(kBest).size() &&
        name.substr(name.size() - std::string(kBest).size()) == kBest)
      continue;
    out += "<tr><th scope=\"row\">" + escape(name) + "</th>";
    out += value_cell(name, "value", m.value);
    out += value_cell(name, "standard_deviation", m.deviation);
    if (const Metric* best = s.find(name + kBest))
      out += value_cell(name + kBest, "value", best->value);
    else
      out += "<td></td>";
    const auto t = c.thresholds.find(name);
    out += t == c.thresholds.end()
               ? "<td></td>"
               : fmt::format("<td data-threshold=\"{}\" data-operator=\"{}\">{}</td>", escape(name),
                             escape(t->second.op), escape(threshold_text(t->second)));
    out += "</tr>";
  }
  return out + "</tbody></table>";
}

/// How the thresholds were made; `window_rows` (an execution's) when they were recomputed for it.
std::string method_note(const Constraints& c, double window_rows = kNaN) {
  const json& m = c.method;
  if (!m.is_object() || !m.contains("threshold_method")) return "";
  const std::string method =
      m["threshold_method"].is_string() ? m["threshold_method"].get<std::string>() : "";
  const bool execution = m.contains("alpha_scope") && m["alpha_scope"] == "execution";
  if (method == "window" && m.contains("window_size") && m.contains("alpha"))
    return fmt::format(
        "<p class=\"note\" id=\"threshold-method\">Thresholds by the window method: a healthy "
        "model "
        "crosses {3} on a window of <span data-window-size=\"{0}\">{0}</span> rows with "
        "probability <span data-alpha=\"{1}\">{1}</span> ({4}); "
        "{2}</p>",
        rows_text(number(m["window_size"])), exact(number(m["alpha"])),
        std::isnan(window_rows)
            ? "mqmon recomputes them at each window's size."
            : fmt::format("the thresholds below were recomputed for this window's {} rows.",
                          rows_text(window_rows)),
        execution ? "any of them" : "each one",
        execution ? "the false-alarm rate per execution" : "the false-alarm rate per metric");
  if (method == "baseline")
    return "<p class=\"note\" id=\"threshold-method\">Thresholds by the baseline method: the "
           "baseline's own values.</p>";
  return "";
}

/// Points a report draws of one curve at most: a statistics file written with --curve-points 0
/// may hold millions, and a report stays under 1 MB.
constexpr size_t kCurvePointsDrawn = 1000;

/// The curve as drawn: every point when it has few, else every k-th and the last (the thinned
/// curves of statistics.json draw each group at its last threshold too).
void thin(std::vector<double>& x, std::vector<double>& y) {
  if (x.size() <= kCurvePointsDrawn + 2) return;
  const size_t step = (x.size() + kCurvePointsDrawn - 1) / kCurvePointsDrawn;
  std::vector<double> tx{x.front()}, ty{y.front()};
  for (size_t i = step; i < x.size(); i += step) {
    tx.push_back(x[i]);
    ty.push_back(y[i]);
  }
  if (tx.back() != x.back() || ty.back() != y.back()) {
    tx.push_back(x.back());
    ty.push_back(y.back());
  }
  x = std::move(tx);
  y = std::move(ty);
}

/// " (drawn through N of them)" when thinned.
std::string drawn_note(size_t all, size_t drawn) {
  return all == drawn ? "" : fmt::format(" (drawn through {} of them)", drawn);
}

/// A curve of a statistics file: its two arrays, which must be of equal length.
std::pair<std::vector<double>, std::vector<double>> read_curve(const json& curve, const char* x_key,
                                                               const char* y_key) {
  auto x = numbers(curve.value(x_key, json::array()));
  auto y = numbers(curve.value(y_key, json::array()));
  if (x.size() != y.size())
    throw ConfigError(
        fmt::format("the statistics file's {} and {} are of unequal lengths", x_key, y_key));
  return {std::move(x), std::move(y)};
}

/// A curve's chart on [0, 1]², drawn and tabulated through at most kCurvePointsDrawn of its
/// points (x and y are thinned in place); `series` names the model's line, "{}" its point count.
LineChart curve_chart(std::vector<double>& x, std::vector<double>& y, std::string id,
                      std::string title, std::string x_label, std::string y_label,
                      const std::string& series, const std::string& description) {
  const size_t all = x.size();
  thin(x, y);
  LineChart c;
  c.id = std::move(id);
  c.title = std::move(title);
  c.x_label = x_label;
  c.y_label = y_label;
  c.description = fmt::format(fmt::runtime(description), all, drawn_note(all, x.size()));
  c.table_head = {std::move(x_label), std::move(y_label)};
  for (size_t i = 0; i < x.size(); ++i) c.table_rows.push_back({exact(x[i]), exact(y[i])});
  c.series.push_back({series, "curve", x, y});
  return c;
}

/// ROC and precision-recall charts of a binary statistics file.
std::string curves(const Statistics& s, const std::string& id) {
  const json& m = s.metrics;
  std::string out = "<div class=\"charts\">";
  if (m.contains("receiver_operating_characteristic_curve")) {
    auto [x, y] = read_curve(m["receiver_operating_characteristic_curve"], "false_positive_rates",
                             "true_positive_rates");
    const Metric* auc = s.find("auc");
    const std::string shown_auc = auc ? shown(auc->value) : "undefined";
    LineChart c =
        curve_chart(x, y, id + "-roc", "ROC curve", "false positive rate", "true positive rate",
                    fmt::format("model (AUC {})", shown_auc),
                    "The model's ROC curve through {} points{}, AUC " + shown_auc +
                        "; the dashed diagonal is the best constant classifier (AUC 0.5).");
    c.series.push_back({"best constant classifier", "reference", {0, 1}, {0, 1}, true});
    out += line_chart(c);
  }
  if (m.contains("precision_recall_curve")) {
    auto [recall, precision] = read_curve(m["precision_recall_curve"], "recalls", "precisions");
    // Average precision: the step area under the whole curve, sum of (R_n - R_n-1) * P_n.
    double ap = 0;
    for (size_t i = 1; i < recall.size(); ++i) ap += (recall[i] - recall[i - 1]) * precision[i];
    const Metric* base = s.find(std::string("precision") + kBest);
    LineChart c = curve_chart(
        recall, precision, id + "-pr", "Precision–recall curve", "recall", "precision",
        fmt::format("model (average precision {})", shown(ap)),
        "The model's precision-recall curve through {} points{}, average precision " + shown(ap) +
            "; the dashed line is the best constant classifier's precision (the positive rate, " +
            (base ? shown(base->value) : "unknown") + ").");
    if (base)
      c.series.push_back(
          {"best constant classifier", "reference", {0, 1}, {base->value, base->value}, true});
    out += line_chart(c);
  }
  return out + "</div>";
}

/// The confusion matrix, the largest classes by name and the rest as "other".
std::string confusion(const Statistics& s) {
  if (!s.metrics.contains("confusion_matrix") || !s.metrics["confusion_matrix"].is_object())
    return "";
  const json& cm = s.metrics["confusion_matrix"];
  std::vector<std::string> labels;
  std::set<std::string> seen;
  for (const auto& [actual, row] : cm.items()) {
    if (seen.insert(actual).second) labels.push_back(actual);
    if (row.is_object())
      for (const auto& [predicted, v] : row.items())
        if (seen.insert(predicted).second) labels.push_back(predicted);
  }
  auto count = [&](const std::string& a, const std::string& p) {
    if (!cm.contains(a) || !cm[a].is_object() || !cm[a].contains(p)) return 0.0;
    const double v = number(cm[a][p]);
    return std::isnan(v) ? 0.0 : v;
  };
  std::map<std::string, double> support;
  for (const auto& l : labels)
    for (const auto& p : labels) support[l] += count(l, p);
  std::vector<std::string> shown_labels = labels;
  bool other = false;
  if (labels.size() > kClassesShown) {
    std::stable_sort(shown_labels.begin(), shown_labels.end(),
                     [&](const auto& a, const auto& b) { return support[a] > support[b]; });
    shown_labels.resize(kClassesShown);
    // Kept in the file's order, the largest classes.
    std::vector<std::string> ordered;
    for (const auto& l : labels)
      if (std::find(shown_labels.begin(), shown_labels.end(), l) != shown_labels.end())
        ordered.push_back(l);
    shown_labels = ordered;
    other = true;
  }
  auto index = [&](const std::string& l) -> size_t {
    const auto it = std::find(shown_labels.begin(), shown_labels.end(), l);
    return it == shown_labels.end() ? shown_labels.size()
                                    : static_cast<size_t>(it - shown_labels.begin());
  };
  const size_t n = shown_labels.size() + (other ? 1 : 0);
  std::vector<std::vector<double>> counts(n, std::vector<double>(n, 0));
  for (const auto& a : labels)
    for (const auto& p : labels) counts[index(a)][index(p)] += count(a, p);
  std::vector<std::string> names = shown_labels;
  if (other) names.push_back("other");
  return confusion_heatmap(
      names, counts,
      other ? fmt::format("Confusion matrix: the {} largest of {} classes, the rest as other",
                          kClassesShown, labels.size())
            : "Confusion matrix");
}

std::string footer(const std::string& version, const std::string& what) {
  return fmt::format(
      "<footer>Rendered by {} from {}. Every number is the file's; the charts' numbers are in the "
      "tables under them.</footer>",
      escape(version.empty() ? "mqmon" : version), escape(what));
}

std::string baseline_page(const Statistics& s, const Constraints& c, const JobFiles& f) {
  std::string body = "<header><h1>Model quality baseline</h1>";
  body += summary({{"problem type", s.problem_name},
                   {"rows", rows_text(s.item_count)},
                   {"dataset", f.dataset},
                   {"evaluated", s.evaluation_time},
                   {"mqmon", f.version}});
  body += "</header><h2>Metrics</h2>" + method_note(c) + metric_table(s, c);
  if (s.problem == "binary_classification") body += "<h2>Curves</h2>" + curves(s, "baseline");
  if (s.problem != "regression") body += "<h2>Confusion matrix</h2>" + confusion(s);
  body += footer(f.version, "statistics.json and constraints.json");
  return page("mqmon baseline report", body);
}

std::string status_symbol(bool violated) {
  return violated ? "<span class=\"fail\" data-result=\"violation\">✗ violation</span>"
                  : "<span class=\"pass\" data-result=\"pass\">✓ pass</span>";
}

/// A bar of the value on the metric's scale with the threshold marked.
std::string bar(double value, const Threshold& t, bool violated) {
  const double hi =
      std::max({1.0, std::isfinite(value) ? value : 0.0, std::isfinite(t.value) ? t.value : 0.0});
  auto at = [&](double v) { return std::clamp(std::isfinite(v) ? v / hi : 0.0, 0.0, 1.0) * 100; };
  return fmt::format(
      "<div class=\"bar\" role=\"img\" aria-label=\"{} against the threshold {}\"><div "
      "class=\"fill "
      "{}\" style=\"width: {:.1f}%\"></div><div class=\"mark\" style=\"left: "
      "{:.1f}%\"></div></div>",
      shown(value), shown(t.value), violated ? "fail" : "pass", at(value), at(t.value));
}

std::string execution_page(const std::optional<Statistics>& window, const JobFiles& f) {
  const auto violations = read_violations(f.violations);
  json execution = f.execution.empty() ? json::object() : parse(f.execution, "execution file");
  const Constraints c = applied_constraints(f.constraints, execution);
  std::string status = execution.value("status", std::string());
  if (status.empty()) status = violations.empty() ? "Completed" : "CompletedWithViolations";
  std::string body = "<header><h1>Model quality monitoring execution</h1>";
  body += fmt::format(
      "<div class=\"banner {0}\" role=\"status\" id=\"status\">{1} {0}{2}</div>", escape(status),
      status == "Completed" ? "✓"
      : status == "Failed"  ? "✗"
                            : "⚠",
      status == "CompletedWithViolations"
          ? fmt::format(": {} of {} constraints violated", violations.size(), c.thresholds.size())
          : "");
  if (execution.contains("failure_reason"))
    body += "<p id=\"failure-reason\">" + escape(execution["failure_reason"].get<std::string>()) +
            "</p>";
  if (!window) {  // a failed execution: no statistics
    body += summary({{"problem type", execution.value("problem_type", "")},
                     {"window", execution.contains("start_time")
                                    ? fmt::format("{} to {}", execution.value("start_time", ""),
                                                  execution.value("end_time", ""))
                                    : ""},
                     {"mqmon", f.version}});
    body += "</header>" + footer(f.version, "execution.json");
    return page("mqmon monitoring execution report", body);
  }
  const Statistics& s = *window;
  body += summary({{"problem type", s.problem_name},
                   {"window", execution.contains("start_time")
                                  ? fmt::format("{} to {}", execution.value("start_time", ""),
                                                execution.value("end_time", ""))
                                  : ""},
                   {"rows", rows_text(s.item_count)},
                   {"dataset", f.dataset.empty() ? execution.value("dataset", "") : f.dataset},
                   {"evaluated", s.evaluation_time},
                   {"mqmon", f.version}});
  body += "</header>";
  if (execution.contains("merge") && execution["merge"].is_object()) {
    const json& m = execution["merge"];
    body += "<h2>Labels</h2><table id=\"merge\"><tbody>";
    for (const auto& [k, v] : m.items()) {
      if (!v.is_number()) continue;
      const double x = number(v);
      body += fmt::format(
          "<tr><th scope=\"row\">{}</th><td data-merge=\"{}\" data-value=\"{}\">{}</td></tr>",
          escape(k), escape(k), exact(x),
          k == "label_coverage" ? fmt::format("{:.1f} %", 100 * x) : shown(x));
    }
    body += "</tbody></table>";
  }
  Statistics baseline;
  const bool with_baseline = !f.baseline_statistics.empty();
  if (with_baseline) baseline = read_statistics(f.baseline_statistics);
  body += "<h2>Constraints</h2>" + method_note(c, s.item_count) +
          "<table id=\"checks\"><thead><tr><th scope=\"col\">metric</th><th "
          "scope=\"col\">window</th>";
  if (with_baseline) body += "<th scope=\"col\">baseline</th>";
  body +=
      "<th scope=\"col\">threshold</th><th scope=\"col\">value against threshold</th><th "
      "scope=\"col\">result</th></tr></thead><tbody>";
  for (const auto& name : c.order) {
    const Threshold& t = c.thresholds.at(name);
    const Metric* m = s.find(name);
    const double v = m ? m->value : kNaN;
    const auto found = violations.find(name);
    const bool violated = found != violations.end();
    body += fmt::format("<tr{}><th scope=\"row\">{}</th>", violated ? " class=\"violated\"" : "",
                        escape(name));
    body += value_cell(name, "value", v);
    if (with_baseline) {
      const Metric* b = baseline.find(name);
      body += fmt::format("<td data-baseline=\"{}\" data-value=\"{}\">{}</td>", escape(name),
                          exact(b ? b->value : kNaN), shown(b ? b->value : kNaN));
    }
    body += fmt::format(
        "<td data-threshold=\"{}\" data-operator=\"{}\">{}</td><td>{}</td><td{}>{}</td></tr>",
        escape(name), escape(t.op), escape(threshold_text(t)), bar(v, t, violated),
        violated ? fmt::format(" title=\"{}\"", escape(found->second)) : "",
        status_symbol(violated));
  }
  body += "</tbody></table>";
  if (!violations.empty()) {
    body += "<ul id=\"violations\">";
    for (const auto& [metric, description] : violations)
      body += fmt::format("<li data-violation=\"{}\">{}</li>", escape(metric), escape(description));
    body += "</ul>";
  }
  body += "<h2>Metrics of the window</h2>" + metric_table(s, c, "threshold");
  if (s.problem == "binary_classification") body += "<h2>Curves</h2>" + curves(s, "window");
  if (s.problem != "regression") body += "<h2>Confusion matrix</h2>" + confusion(s);
  body += footer(f.version, "statistics.json, constraint_violations.json and execution.json");
  return page("mqmon monitoring execution report", body);
}

}  // namespace

void check_statistics(const std::string& text) { read_statistics(text); }

std::string render_job(const JobFiles& f) {
  if (!f.violations.empty() || !f.execution.empty())
    return execution_page(
        f.statistics.empty() ? std::nullopt : std::optional(read_statistics(f.statistics)), f);
  if (f.statistics.empty()) throw ConfigError("a report needs a statistics.json");
  return baseline_page(read_statistics(f.statistics), read_constraints(f.constraints), f);
}

HistoryEntry history_entry(std::string statistics, std::string violations, std::string execution) {
  const json e = parse(execution, "execution file");
  if (!e.is_object() || !e.contains("status") || !e["status"].is_string())
    throw ConfigError("the execution file has no status: not mqmon's execution.json");
  HistoryEntry h;
  h.status = e["status"].get<std::string>();
  h.failure_reason = e.value("failure_reason", std::string());
  h.time = e.value("end_time", e.value("evaluation_time", std::string()));
  h.statistics = std::move(statistics);
  h.violations = std::move(violations);
  h.execution = std::move(execution);
  return h;
}

std::string render_history(const std::string& title, const std::vector<HistoryEntry>& all,
                           const std::string& version) {
  // The latest executions only: a page stays under 1 MB however long the schedule has run.
  const std::vector<HistoryEntry> entries(
      all.size() > kHistoryShown ? all.end() - static_cast<std::ptrdiff_t>(kHistoryShown)
                                 : all.begin(),
      all.end());
  std::string body = "<header><h1>" + escape(title) + "</h1>";
  size_t failed = 0, violated = 0;
  for (const auto& e : entries) {
    failed += e.status == "Failed";
    violated += e.status == "CompletedWithViolations";
  }
  body +=
      summary({{"executions", all.size() > entries.size()
                                  ? fmt::format("the latest {} of {}", entries.size(), all.size())
                                  : std::to_string(entries.size())},
               {"with violations", std::to_string(violated)},
               {"failed", std::to_string(failed)},
               {"from", entries.empty() ? "" : entries.front().time},
               {"to", entries.empty() ? "" : entries.back().time},
               {"mqmon", version}});
  body += "</header>";
  // Each execution's statistics, thresholds and violations.
  struct Point {
    std::optional<Statistics> stats;
    Constraints constraints;
    std::map<std::string, std::string> violations;
  };
  std::vector<Point> points;
  std::vector<std::string> metrics;  // constrained ones, in first-seen order
  for (const auto& e : entries) {
    Point p;
    if (!e.statistics.empty()) p.stats = read_statistics(e.statistics);
    p.constraints = applied_constraints(
        e.constraints, e.execution.empty() ? json::object() : parse(e.execution, "execution file"));
    p.violations = read_violations(e.violations);
    for (const auto& name : p.constraints.order)
      if (std::find(metrics.begin(), metrics.end(), name) == metrics.end()) metrics.push_back(name);
    points.push_back(std::move(p));
  }
  // The x axis: hours and minutes when every execution is of one day, else month-day and hour.
  bool one_day = !entries.empty();
  for (const auto& e : entries)
    one_day = one_day && e.time.size() >= 16 &&
              e.time.substr(0, 10) == entries.front().time.substr(0, 10);
  std::vector<std::string> times;
  for (const auto& e : entries)
    times.push_back(e.time.size() < 16 ? e.time
                    : one_day          ? e.time.substr(11, 5)
                                       : e.time.substr(5, 5) + " " + e.time.substr(11, 2) + "h");
  body += "<h2>Metrics over time</h2><div class=\"charts\">";
  for (const auto& name : metrics) {
    LineChart c;
    c.id = "history-" + name;
    c.title = name + " over time";
    c.x_label = one_day ? fmt::format("execution, {} (UTC)", entries.front().time.substr(0, 10))
                        : "execution (UTC)";
    c.y_label = name;
    c.x_categories = times;
    c.x_min = -0.5;
    c.x_max = static_cast<double>(entries.size()) - 0.5;
    Series value{name, "metric"}, threshold{"threshold", "threshold"},
        gaps{"failed execution", "failed"};
    value.markers = true;
    threshold.dashed = true;
    double lo = std::numeric_limits<double>::infinity(), hi = -lo;
    c.table_head = {"execution", "status", name, "threshold", "result"};
    for (size_t i = 0; i < entries.size(); ++i) {
      const Point& p = points[i];
      const Metric* m = p.stats ? p.stats->find(name) : nullptr;
      const double v = m ? m->value : kNaN;
      const auto t = p.constraints.thresholds.find(name);
      const double th = t == p.constraints.thresholds.end() ? kNaN : t->second.value;
      const bool flag = p.violations.count(name) != 0;
      value.x.push_back(static_cast<double>(i));
      value.y.push_back(v);
      value.flagged.push_back(flag);
      value.point_titles.push_back(
          fmt::format("{}: {} {}{}", entries[i].time, name, shown(v), flag ? " — violation" : ""));
      threshold.x.push_back(static_cast<double>(i));
      threshold.y.push_back(th);
      for (double x : {v, th})
        if (std::isfinite(x)) {
          lo = std::min(lo, x);
          hi = std::max(hi, x);
        }
      c.table_rows.push_back({entries[i].time, entries[i].status, exact(v), exact(th),
                              entries[i].status == "Failed" ? "failed"
                              : flag                        ? "violation"
                                                            : "pass"});
    }
    if (!std::isfinite(lo)) lo = 0, hi = 1;
    const double pad = std::max((hi - lo) * 0.08, 1e-6);
    c.y_min = lo - pad;
    c.y_max = hi + pad;
    for (size_t i = 0; i < entries.size(); ++i)
      if (entries[i].status == "Failed") {
        gaps.x.push_back(static_cast<double>(i));
        gaps.y.push_back(c.y_min + pad / 2);
        gaps.point_titles.push_back(
            fmt::format("{}: Failed: {}", entries[i].time, entries[i].failure_reason));
      }
    gaps.markers = true;
    gaps.line = false;
    c.description = fmt::format(
        "{} over {} executions with its threshold (dashed); triangles mark violations, points at "
        "the bottom failed executions (no value).",
        name, entries.size());
    c.series.push_back(std::move(value));
    c.series.push_back(std::move(threshold));
    if (!gaps.x.empty()) c.series.push_back(std::move(gaps));
    body += line_chart(c);
  }
  body +=
      "</div><h2>Executions</h2><table id=\"executions\"><thead><tr><th "
      "scope=\"col\">time</th><th scope=\"col\">status</th><th scope=\"col\">violations</th><th "
      "scope=\"col\">reason</th></tr></thead><tbody>";
  for (size_t i = 0; i < entries.size(); ++i) {
    std::string names;
    for (const auto& [metric, d] : points[i].violations)
      names += (names.empty() ? "" : ", ") + metric;
    body += fmt::format(
        "<tr data-status=\"{0}\"><td>{1}</td><td>{2}{0}</td><td>{3}</td><td>{4}</td></tr>",
        escape(entries[i].status), escape(entries[i].time),
        entries[i].status == "Completed" ? "✓ "
        : entries[i].status == "Failed"  ? "✗ "
                                         : "⚠ ",
        escape(names), escape(entries[i].failure_reason));
  }
  body += "</tbody></table>" + footer(version, "the executions' files");
  return page(title, body);
}

}  // namespace mqmon::report
