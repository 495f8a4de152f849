#include "svg.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "mqmon/common/markup.h"
#include "mqmon/common/numbers.h"

namespace mqmon::report {

namespace {

// The plot area inside each chart's view box.
constexpr double kWidth = 480, kHeight = 340;
constexpr double kLeft = 62, kRight = 18, kTop = 18, kBottom = 52;

constexpr const char* kStyle = R"CSS(
:root { --bg: #ffffff; --fg: #1b1b1b; --muted: #4d4d4d; --grid: #d9d9d9; --panel: #f4f5f7;
  --curve: #1f5fbf; --reference: #6b6b6b; --threshold: #8a4b00; --pass: #1b6e2d; --fail: #b3261e;
  --h0: #eef3fb; --h1: #cddcf3; --h2: #9fbde8; --h3: #3f73c4; --h4: #1d4f9e;
  --h0-text: #1b1b1b; --h1-text: #1b1b1b; --h2-text: #1b1b1b; --h3-text: #ffffff; --h4-text: #ffffff;
  --banner-ok: #e3f1e6; --banner-warn: #fbe9e7; --banner-fail: #fdecea; }
@media (prefers-color-scheme: dark) {
  :root { --bg: #141414; --fg: #ececec; --muted: #b8b8b8; --grid: #3a3a3a; --panel: #1f2126;
    --curve: #7fb0ff; --reference: #a8a8a8; --threshold: #ffb45c; --pass: #7fd890; --fail: #ff8a80;
    --h0: #1c2433; --h1: #22375a; --h2: #2f5590; --h3: #4d7fd0; --h4: #8fb4f0;
    --h0-text: #ececec; --h1-text: #ececec; --h2-text: #ececec; --h3-text: #111111; --h4-text: #111111;
    --banner-ok: #1d3323; --banner-warn: #3d2220; --banner-fail: #3d1f1f; } }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1180px; padding: 24px; background: var(--bg); color: var(--fg);
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
h1 { font-size: 1.6em; margin: 0 0 4px; } h2 { font-size: 1.25em; margin: 28px 0 10px; }
.muted, figcaption, .note { color: var(--muted); }
dl.summary { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 12px 0; }
dl.summary dt { color: var(--muted); } dl.summary dd { margin: 0; }
table { border-collapse: collapse; margin: 8px 0; }
th, td { padding: 4px 10px; border-bottom: 1px solid var(--grid); text-align: right; }
th:first-child, td:first-child { text-align: left; }
thead th { border-bottom: 2px solid var(--fg); }
.charts { display: flex; flex-wrap: wrap; gap: 24px; }
figure { margin: 0; background: var(--panel); border-radius: 8px; padding: 12px; flex: 0 1 508px; }
.table-figure { flex: 1 1 100%; overflow-x: auto; }
figure svg { width: 480px; max-width: 100%; height: auto; display: block; }
figure details { margin-top: 6px; max-height: 260px; overflow: auto; }
svg text { fill: var(--fg); font-size: 12px; }
svg .axis { stroke: var(--fg); stroke-width: 1; } svg .grid { stroke: var(--grid); stroke-width: 1; }
svg .curve { stroke: var(--curve); fill: none; stroke-width: 2; }
svg .reference { stroke: var(--reference); fill: none; stroke-width: 1.5; }
svg .threshold { stroke: var(--threshold); fill: none; stroke-width: 1.5; }
svg .metric { stroke: var(--curve); fill: none; stroke-width: 2; }
svg .point { fill: var(--curve); } svg .violation { fill: var(--fail); }
svg .failed { fill: var(--muted); }
.legend span { margin-right: 14px; white-space: nowrap; }
.swatch { display: inline-block; width: 18px; height: 3px; vertical-align: middle; margin-right: 4px; }
.banner { padding: 12px 16px; border-radius: 8px; margin: 12px 0; font-weight: 600; }
.banner.Completed { background: var(--banner-ok); }
.banner.CompletedWithViolations { background: var(--banner-warn); }
.banner.Failed { background: var(--banner-fail); }
.pass { color: var(--pass); font-weight: 600; } .fail { color: var(--fail); font-weight: 600; }
.bar { position: relative; width: 220px; height: 14px; background: var(--grid); border-radius: 3px; }
.bar .fill { position: absolute; left: 0; top: 0; bottom: 0; border-radius: 3px; }
.bar .fill.pass { background: var(--pass); } .bar .fill.fail { background: var(--fail); }
.bar .mark { position: absolute; top: -3px; bottom: -3px; width: 2px; background: var(--fg); }
table.heat td { text-align: center; min-width: 62px; }
table.heat td small { display: block; color: inherit; }
.h0 { background: var(--h0); color: var(--h0-text); } .h1 { background: var(--h1); color: var(--h1-text); }
.h2 { background: var(--h2); color: var(--h2-text); } .h3 { background: var(--h3); color: var(--h3-text); }
.h4 { background: var(--h4); color: var(--h4-text); }
footer { margin-top: 36px; color: var(--muted); font-size: 0.9em; }
@media print { body { max-width: none; padding: 0; } details { display: none; }
  figure { break-inside: avoid; } .charts { gap: 12px; } }
)CSS";

double px_x(const LineChart& c, double x) {
  return kLeft + (x - c.x_min) / (c.x_max - c.x_min) * (kWidth - kLeft - kRight);
}
double px_y(const LineChart& c, double y) {
  return kHeight - kBottom - (y - c.y_min) / (c.y_max - c.y_min) * (kHeight - kTop - kBottom);
}

/// Round values from lo to hi, about five intervals.
std::vector<double> ticks(double lo, double hi) {
  const double raw = (hi - lo) / 5;
  if (!(raw > 0) || !std::isfinite(raw)) return {lo};
  const double mag = std::pow(10, std::floor(std::log10(raw)));
  const double f = raw / mag;
  const double step = (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * mag;
  std::vector<double> t;
  for (double k = std::ceil(lo / step - 1e-9); k * step <= hi + step * 1e-9; ++k)
    t.push_back(k * step);
  return t;
}

}  // namespace

std::string escape(std::string_view text) { return escape_markup(text); }

std::string shown(double v) {
  if (std::isnan(v)) return "undefined";
  if (std::isinf(v)) return v > 0 ? "∞" : "−∞";
  if (std::fabs(v) >= 1000) return fmt::format("{:.1f}", v);
  std::string s = fmt::format("{:.4f}", v);
  while (s.size() > 1 && s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s == "-0" ? "0" : s;
}

std::string exact(double v) {
  if (std::isnan(v)) return "NaN";
  return format_plain_double(v);
}

std::string line_chart(const LineChart& c) {
  std::string svg = fmt::format(
      "<svg role=\"img\" aria-labelledby=\"{0}-title {0}-desc\" viewBox=\"0 0 {1} {2}\" "
      "id=\"{0}\" data-plot-left=\"{3}\" data-plot-top=\"{4}\" data-plot-width=\"{5}\" "
      "data-plot-height=\"{6}\" data-x-min=\"{7}\" data-x-max=\"{8}\" data-y-min=\"{9}\" "
      "data-y-max=\"{10}\"><title id=\"{0}-title\">{11}</title><desc id=\"{0}-desc\">{12}</desc>",
      c.id, kWidth, kHeight, kLeft, kTop, kWidth - kLeft - kRight, kHeight - kTop - kBottom,
      exact(c.x_min), exact(c.x_max), exact(c.y_min), exact(c.y_max), escape(c.title),
      escape(c.description));
  // Grid and ticks.
  const double bottom = kHeight - kBottom, right = kWidth - kRight;
  if (c.x_categories.empty()) {
    for (const double v : ticks(c.x_min, c.x_max)) {
      const double x = px_x(c, v);
      svg += fmt::format(
          "<line class=\"grid\" x1=\"{0:.2f}\" y1=\"{1}\" x2=\"{0:.2f}\" y2=\"{2}\"/>"
          "<text x=\"{0:.2f}\" y=\"{3}\" text-anchor=\"middle\">{4}</text>",
          x, kTop, bottom, bottom + 16, shown(v));
    }
  } else {
    const size_t n = c.x_categories.size();
    const size_t every = std::max<size_t>(1, (n + 5) / 6);  // at most six labels
    for (size_t i = 0; i < n; ++i) {
      const double x = px_x(c, static_cast<double>(i));
      svg +=
          fmt::format("<line class=\"grid\" x1=\"{0:.2f}\" y1=\"{1}\" x2=\"{0:.2f}\" y2=\"{2}\"/>",
                      x, kTop, bottom);
      if (i % every == 0)
        svg += fmt::format("<text x=\"{:.2f}\" y=\"{}\" text-anchor=\"middle\">{}</text>", x,
                           bottom + 16, escape(c.x_categories[i]));
    }
  }
  for (const double v : ticks(c.y_min, c.y_max)) {
    const double y = px_y(c, v);
    svg += fmt::format(
        "<line class=\"grid\" x1=\"{0}\" y1=\"{1:.2f}\" x2=\"{2}\" y2=\"{1:.2f}\"/>"
        "<text x=\"{3}\" y=\"{4:.2f}\" text-anchor=\"end\">{5}</text>",
        kLeft, y, right, kLeft - 6, y + 4, shown(v));
  }
  svg += fmt::format(
      "<line class=\"axis\" x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\"/>"
      "<line class=\"axis\" x1=\"{0}\" y1=\"{3}\" x2=\"{0}\" y2=\"{1}\"/>"
      "<text x=\"{4}\" y=\"{5}\" text-anchor=\"middle\">{6}</text>"
      "<text transform=\"translate(14 {7}) rotate(-90)\" text-anchor=\"middle\">{8}</text>",
      kLeft, bottom, right, kTop, (kLeft + right) / 2, kHeight - 10, escape(c.x_label),
      (kTop + bottom) / 2, escape(c.y_label));
  // Series: a polyline per unbroken run of points; markers with their hover titles.
  for (const auto& s : c.series) {
    std::string points;
    auto flush = [&] {
      if (!points.empty() && s.line)
        svg += fmt::format("<polyline class=\"{}\" data-series=\"{}\"{} points=\"{}\"/>", s.css,
                           escape(s.name), s.dashed ? " stroke-dasharray=\"6 4\"" : "", points);
      points.clear();
    };
    for (size_t i = 0; i < s.x.size(); ++i) {
      if (!std::isfinite(s.y[i])) {
        flush();
        continue;
      }
      points += fmt::format("{}{:.2f},{:.2f}", points.empty() ? "" : " ", px_x(c, s.x[i]),
                            px_y(c, s.y[i]));
    }
    flush();
    if (s.markers)
      for (size_t i = 0; i < s.x.size(); ++i) {
        if (!std::isfinite(s.y[i])) continue;
        const bool flag = i < s.flagged.size() && s.flagged[i];
        const std::string title = i < s.point_titles.size() ? s.point_titles[i] : shown(s.y[i]);
        const double x = px_x(c, s.x[i]), y = px_y(c, s.y[i]);
        if (flag)  // a violation: a triangle, not colour alone
          svg += fmt::format(
              "<path class=\"violation\" data-violation=\"true\" d=\"M{:.2f},{:.2f} l6,10 l-12,0 "
              "z\"><title>{}</title></path>",
              x, y - 7, escape(title));
        else
          svg += fmt::format(
              "<circle class=\"{}\" cx=\"{:.2f}\" cy=\"{:.2f}\" r=\"3.5\"><title>{}</title>"
              "</circle>",
              s.css == "failed" ? "failed" : "point", x, y, escape(title));
      }
  }
  svg += "</svg>";
  std::string legend = "<div class=\"legend\">";
  for (const auto& s : c.series)
    legend += fmt::format(
        "<span><span class=\"swatch\" style=\"background: var(--{})\"></span>{}{}</span>",
        s.css == "metric"   ? "curve"
        : s.css == "failed" ? "muted"
                            : s.css,
        escape(s.name), s.dashed ? " (dashed)" : "");
  for (const auto& s : c.series)
    if (std::find(s.flagged.begin(), s.flagged.end(), true) != s.flagged.end()) {
      legend += "<span><span class=\"fail\">▲</span> violation</span>";
      break;
    }
  legend += "</div>";
  std::string table = "<details><summary>The numbers</summary><table><thead><tr>";
  for (const auto& h : c.table_head) table += "<th>" + escape(h) + "</th>";
  table += "</tr></thead><tbody>";
  for (const auto& row : c.table_rows) {
    table += "<tr>";
    for (const auto& cell : row) table += "<td>" + escape(cell) + "</td>";
    table += "</tr>";
  }
  table += "</tbody></table></details>";
  return fmt::format("<figure>{}<figcaption>{}</figcaption>{}{}</figure>", svg, escape(c.title),
                     legend, table);
}

std::string confusion_heatmap(const std::vector<std::string>& labels,
                              const std::vector<std::vector<double>>& counts,
                              const std::string& caption) {
  std::string out = fmt::format(
      "<figure class=\"table-figure\"><table class=\"heat\" "
      "id=\"confusion-matrix\"><caption>{}</caption><thead><tr>"
      "<th scope=\"col\">actual ↓ predicted →</th>",
      escape(caption));
  for (const auto& l : labels) out += "<th scope=\"col\">" + escape(l) + "</th>";
  out += "</tr></thead><tbody>";
  for (size_t r = 0; r < labels.size(); ++r) {
    double row_total = 0;
    for (double v : counts[r]) row_total += v;
    out += "<tr><th scope=\"row\">" + escape(labels[r]) + "</th>";
    for (size_t c = 0; c < labels.size(); ++c) {
      const double v = counts[r][c];
      const double rate = row_total > 0 ? v / row_total : 0;
      // The heat is the row rate in five steps, each a solid colour with a text colour that
      // keeps 4.5:1 against it in either scheme.
      out += fmt::format(
          "<td class=\"h{}\" data-actual=\"{}\" data-predicted=\"{}\" data-count=\"{}\">{}"
          "<small>{}</small></td>",
          std::min(4, static_cast<int>(rate * 5)), escape(labels[r]), escape(labels[c]), exact(v),
          shown(v), row_total > 0 ? fmt::format("{:.1f} %", 100 * rate) : "–");
    }
    out += "</tr>";
  }
  out +=
      "</tbody></table><figcaption>Counts, and in small type the share of the actual class's "
      "rows.</figcaption></figure>";
  return out;
}

std::string page(const std::string& title, const std::string& body) {
  return fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src "
      "'unsafe-inline'; img-src data:\">"
      "<meta name=\"color-scheme\" content=\"light dark\">"
      "<title>{}</title><style>{}</style></head><body>{}</body></html>\n",
      escape(title), kStyle, body);
}

}  // namespace mqmon::report
