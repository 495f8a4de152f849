#pragma once
/// The report's building blocks: escaped text, numbers, inline SVG charts with their numbers in a
/// table (for readers without the picture), and the page around them.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mqmon::report {

std::string escape(std::string_view text);

/// A number for people: 4 decimals (fewer when exact), thousands as they are; NaN as "undefined".
std::string shown(double v);
/// The value exactly (shortest round trip), for the data-value attributes a test or script reads.
std::string exact(double v);

struct Series {
  Series(std::string name_, std::string css_, std::vector<double> x_ = {},
         std::vector<double> y_ = {}, bool dashed_ = false)
      : name(std::move(name_)),
        css(std::move(css_)),
        x(std::move(x_)),
        y(std::move(y_)),
        dashed(dashed_) {}
  std::string name;
  std::string css;  ///< class: curve, reference, threshold, metric
  std::vector<double> x, y;
  bool dashed = false;
  bool line = true;  ///< false: markers only
  /// Points drawn as markers too; NaN y values break the line (a gap).
  bool markers = false;
  std::vector<std::string> point_titles;  ///< hover text per point (markers)
  std::vector<bool> flagged;              ///< points marked as violations (markers)
};

struct LineChart {
  std::string id, title, description;
  std::string x_label, y_label;
  double x_min = 0, x_max = 1, y_min = 0, y_max = 1;
  std::vector<Series> series;
  /// Tick labels of the x axis at x = 0, 1, 2, ... (a history); empty: numeric ticks.
  std::vector<std::string> x_categories;
  /// The table under the chart: column headers and rows (already shown as text).
  std::vector<std::string> table_head;
  std::vector<std::vector<std::string>> table_rows;
};

/// A <figure> with the chart (role img, <title>, <desc>) and its data table in <details>.
std::string line_chart(const LineChart& chart);

/// A confusion matrix as a heatmap table: counts, and rates of the actual class's row.
std::string confusion_heatmap(const std::vector<std::string>& labels,
                              const std::vector<std::vector<double>>& counts,
                              const std::string& caption);

/// The page: head with the content security policy (nothing loads from anywhere), the style,
/// and `body`.
std::string page(const std::string& title, const std::string& body);

}  // namespace mqmon::report
