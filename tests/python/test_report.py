"""report.html in a real browser: Debian's headless Chromium driven by Selenium (chromium-driver). Each page
type is loaded from disk; the test reads the DOM and checks every number shown against the JSON files, maps
each curve's SVG points back to the curve's values, finds the violations marked, and checks that the page
made no network request and logged no console error. Screenshots (1280x900) are kept in
build/test-artifacts/report/."""
import json
import math
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from conftest import MQMON, ROOT, run_mqmon

ARTIFACTS = ROOT / "build" / "test-artifacts" / "report"
EVALUATION_TIME = "2024-06-01T00:00:00.000Z"


@pytest.fixture(scope="module")
def browser():
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,900",
                "--hide-scrollbars", "--disable-dev-shm-usage"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    yield driver
    driver.quit()


def shown(v):
    """The report's number for people (4 decimals, trailing zeros dropped)."""
    if isinstance(v, str) or math.isnan(v):
        return "undefined"
    if abs(v) >= 1000:
        return f"{v:.1f}"
    s = f"{v:.4f}".rstrip("0").rstrip(".")
    return "0" if s == "-0" else s


def value_of(v):
    return float("nan") if v == "NaN" else float(v)


def same(a, b):
    a, b = value_of(a), value_of(b)
    return (math.isnan(a) and math.isnan(b)) or a == b


def load(browser, path, name):
    """Opens the page; checks that it is not blank, loaded nothing and logged no error; keeps a
    screenshot. Returns the load time in seconds."""
    browser.get_log("browser")  # what earlier pages logged
    browser.get(Path(path).resolve().as_uri())
    timing = browser.execute_script(
        "const t = performance.getEntriesByType('navigation')[0]; return [t.loadEventEnd, t.startTime];")
    assert browser.execute_script("return document.body.innerText.trim().length") > 200, "a blank page"
    assert browser.execute_script("return performance.getEntriesByType('resource').length") == 0, \
        "the page requested something"
    errors = [e for e in browser.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]
    assert not errors, errors
    browser.save_screenshot(str(ARTIFACTS / f"{name}.png"))
    return (timing[0] - timing[1]) / 1000


def cells(browser, selector):
    return browser.execute_script(
        "return [...document.querySelectorAll(arguments[0])].map(e => "
        "({metric: e.dataset.metric, field: e.dataset.field, value: e.dataset.value, text: e.textContent}))",
        selector)


def check_metric_cells(browser, metrics):
    """Every number shown with data-metric equals statistics.json, and reads as the value rounded."""
    shown_cells = cells(browser, "td[data-metric]")
    assert shown_cells
    for c in shown_cells:
        want = metrics[c["metric"]][c["field"]]
        assert same(c["value"], want), c
        assert c["text"] == shown(value_of(want)), c
    return shown_cells


def curve_points(browser, svg_id, series_prefix="model"):
    """A chart's polyline mapped back from SVG coordinates to data values."""
    return browser.execute_script("""
        const svg = document.getElementById(arguments[0]);
        const d = svg.dataset;
        const [left, top, w, h] = [d.plotLeft, d.plotTop, d.plotWidth, d.plotHeight].map(Number);
        const [x0, x1, y0, y1] = [d.xMin, d.xMax, d.yMin, d.yMax].map(Number);
        const line = [...svg.querySelectorAll('polyline')].find(p => p.dataset.series.startsWith(arguments[1]));
        return line.getAttribute('points').trim().split(' ').map(p => {
          const [px, py] = p.split(',').map(Number);
          return [x0 + (px - left) / w * (x1 - x0), y0 + (top + h - py) / h * (y1 - y0)];
        });""", svg_id, series_prefix)


def binary_data(folder, n, seed=1, distinct=False):
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.3).astype(int)
    p = np.clip(rng.normal(0.3 + 0.4 * y, 0.2), 0, 1)
    p = p if distinct else p.round(3)
    path = folder / f"binary-{n}.csv"
    path.write_text("label,prediction,probability\n" +
                    "".join(f"{a},{int(b >= 0.5)},{b!r}\n" for a, b in zip(y, p)))
    return path


def baseline(dataset, out, problem="BinaryClassification", *extra):
    attrs = ["--inference-attribute", "prediction", "--ground-truth-attribute", "label"]
    if problem == "BinaryClassification":
        attrs += ["--probability-attribute", "probability"]
    run_mqmon(["suggest-baseline", "--baseline-dataset", dataset, "--problem-type", problem, *attrs,
               "--output", out, "--evaluation-time", EVALUATION_TIME, *extra])
    return json.loads((out / "statistics.json").read_text())


def test_binary_baseline_page(browser, tmp_path):
    stats = baseline(binary_data(tmp_path, 5000), tmp_path / "out")
    metrics = stats["binary_classification_metrics"]
    load(browser, tmp_path / "out" / "report.html", "binary-baseline")
    check_metric_cells(browser, metrics)
    constraints = json.loads((tmp_path / "out" / "constraints.json").read_text())
    thresholds = browser.execute_script(
        "return [...document.querySelectorAll('td[data-threshold]')].map(e => [e.dataset.threshold, "
        "e.dataset.operator, e.textContent])")
    assert len(thresholds) == len(constraints["binary_classification_constraints"])
    for name, op, text in thresholds:
        c = constraints["binary_classification_constraints"][name]
        assert op == c["comparison_operator"]
        assert text == f"violated {'below' if op == 'LessThanThreshold' else 'above'} {shown(c['threshold'])}"
    assert browser.find_element("css selector", "[data-window-size]").text == str(constraints["mqmon"]["window_size"])
    # The curves' points are the statistics' curves.
    roc = metrics["receiver_operating_characteristic_curve"]
    got = curve_points(browser, "baseline-roc")
    assert len(got) == len(roc["false_positive_rates"])
    for (x, y), fx, ty in zip(got, roc["false_positive_rates"], roc["true_positive_rates"]):
        assert abs(x - fx) < 1e-4 and abs(y - ty) < 1e-4
    pr = metrics["precision_recall_curve"]
    got = curve_points(browser, "baseline-pr")
    for (x, y), r, p in zip(got, pr["recalls"], pr["precisions"]):
        assert abs(x - r) < 1e-4 and abs(y - p) < 1e-4
    ap = sum((pr["recalls"][i] - pr["recalls"][i - 1]) * pr["precisions"][i] for i in range(1, len(pr["recalls"])))
    assert f"average precision {shown(ap)}" in browser.find_element("id", "baseline-pr").get_attribute("textContent")
    # Every chart is described, and its numbers are in a table.
    for svg in browser.find_elements("css selector", "svg"):
        assert svg.get_attribute("role") == "img"
        assert svg.find_element("css selector", "title").get_attribute("textContent")
        assert svg.find_element("css selector", "desc").get_attribute("textContent")
    pdf = browser.execute_cdp_cmd("Page.printToPDF", {"printBackground": False})["data"]
    assert len(pdf) > 10_000  # it prints (the print style drops the data tables)
    rows = browser.execute_script("return document.querySelectorAll('figure details tbody tr').length")
    assert rows == len(roc["false_positive_rates"]) + len(pr["recalls"])
    # The confusion matrix's counts.
    cm = metrics["confusion_matrix"]
    for cell in browser.execute_script("return [...document.querySelectorAll('td[data-count]')].map(e => "
                                       "[e.dataset.actual, e.dataset.predicted, e.dataset.count])"):
        assert float(cell[2]) == cm[cell[0]][cell[1]]


def test_multiclass_page_names_the_20_largest_classes(browser, tmp_path):
    rng = np.random.default_rng(4)
    classes = [f"class-{i:02d}" for i in range(25)]
    weights = np.linspace(3, 0.2, 25)
    y = rng.choice(25, size=4000, p=weights / weights.sum())
    pred = np.where(rng.random(4000) < 0.7, y, rng.integers(0, 25, 4000))
    path = tmp_path / "mc.csv"
    path.write_text("label,prediction\n" + "".join(f"{classes[a]},{classes[b]}\n" for a, b in zip(y, pred)))
    stats = baseline(path, tmp_path / "out", "MulticlassClassification")
    metrics = stats["multiclass_classification_metrics"]
    load(browser, tmp_path / "out" / "report.html", "multiclass-baseline")
    check_metric_cells(browser, metrics)
    heat = browser.execute_script("return [...document.querySelectorAll('td[data-count]')].map(e => "
                                  "[e.dataset.actual, e.dataset.predicted, Number(e.dataset.count)])")
    names = sorted({a for a, _, _ in heat})
    assert len(names) == 21 and "other" in names
    support = {c: sum(metrics["confusion_matrix"].get(c, {}).values()) for c in classes}
    largest = sorted(classes, key=lambda c: -support[c])[:20]
    assert set(names) - {"other"} == set(largest)
    assert sum(c for _, _, c in heat) == stats["dataset"]["item_count"]
    for a, p, c in heat:
        if a != "other" and p != "other":
            assert c == metrics["confusion_matrix"].get(a, {}).get(p, 0)


def test_regression_page(browser, tmp_path):
    rng = np.random.default_rng(2)
    y = rng.normal(100, 10, 3000)
    pred = y + rng.normal(0, 3, 3000)
    path = tmp_path / "rg.csv"
    path.write_text("label,prediction\n" + "".join(f"{a!r},{b!r}\n" for a, b in zip(y, pred)))
    stats = baseline(path, tmp_path / "out", "Regression")
    load(browser, tmp_path / "out" / "report.html", "regression-baseline")
    got = check_metric_cells(browser, stats["regression_metrics"])
    assert {c["metric"] for c in got} == {"mae", "mse", "rmse", "r2"}


def test_execution_page_marks_violations(browser, tmp_path):
    base = baseline(binary_data(tmp_path, 3000, seed=3), tmp_path / "base", "BinaryClassification",
                    "--threshold-method", "baseline")
    # A worse window: the labels of a third of the rows flipped.
    window = binary_data(tmp_path, 800, seed=9)
    lines = window.read_text().splitlines()
    flipped = [lines[0]] + [(("1" if l[0] == "0" else "0") + l[1:]) if i % 3 == 0 else l
                            for i, l in enumerate(lines[1:])]
    window.write_text("\n".join(flipped) + "\n")
    out = tmp_path / "exec"
    proc = run_mqmon(["monitor", "--dataset", window, "--problem-type", "BinaryClassification",
                      "--inference-attribute", "prediction", "--probability-attribute", "probability",
                      "--ground-truth-attribute", "label", "--constraints", tmp_path / "base" / "constraints.json",
                      "--baseline-statistics", tmp_path / "base" / "statistics.json", "--output", out,
                      "--evaluation-time", EVALUATION_TIME], check=False)
    assert proc.returncode == 5, proc.stderr
    stats = json.loads((out / "statistics.json").read_text())["binary_classification_metrics"]
    violations = json.loads((out / "constraint_violations.json").read_text())["violations"]
    load(browser, out / "report.html", "execution-violations")
    check_metric_cells(browser, stats)
    assert "CompletedWithViolations" in browser.find_element("id", "status").text
    marked = browser.execute_script(
        "return [...document.querySelectorAll('#checks tr.violated th')].map(e => e.textContent)")
    assert sorted(marked) == sorted(v["metric_name"] for v in violations) and marked
    results = browser.execute_script("return [...document.querySelectorAll('#checks [data-result]')]"
                                     ".map(e => [e.dataset.result, e.textContent])")
    assert all(text.startswith("✗") if r == "violation" else text.startswith("✓") for r, text in results)
    baseline_cells = browser.execute_script("return [...document.querySelectorAll('td[data-baseline]')]"
                                            ".map(e => [e.dataset.baseline, e.dataset.value])")
    for name, value in baseline_cells:
        assert same(value, base["binary_classification_metrics"][name]["value"])


@pytest.mark.parametrize("content, code, words", [
    (None, 4, "cannot read '{path}': No such file or directory"),
    ('{"version": 0.0}', 2, "--baseline-statistics {path}: the statistics file has no binary_classification_metrics"),
])
def test_a_bad_baseline_statistics_file_is_named_before_the_execution(tmp_path, content, code, words):
    base = tmp_path / "base"
    baseline(binary_data(tmp_path, 300), base)
    path = tmp_path / "b.json"
    if content is not None:
        path.write_text(content)
    proc = run_mqmon(["monitor", "--dataset", binary_data(tmp_path, 300, seed=4), "--problem-type",
                      "BinaryClassification", "--inference-attribute", "prediction", "--probability-attribute",
                      "probability", "--ground-truth-attribute", "label", "--constraints", base / "constraints.json",
                      "--baseline-statistics", path, "--output", tmp_path / "exec"], check=False)
    assert proc.returncode == code, proc.stderr
    assert words.format(path=path) in proc.stderr
    assert not (tmp_path / "exec").exists()


def test_a_failed_execution_page_shows_its_reason(browser, tmp_path):
    out = tmp_path / "exec"
    constraints = tmp_path / "c.json"
    constraints.write_text('{"regression_constraints": {"mae": {"threshold": 1, "comparison_operator": '
                           '"GreaterThanThreshold"}}}')
    window = binary_data(tmp_path, 300)
    proc = run_mqmon(["monitor", "--dataset", window, "--problem-type", "BinaryClassification",
                      "--inference-attribute", "prediction", "--ground-truth-attribute", "label",
                      "--constraints", constraints, "--output", out], check=False)
    assert proc.returncode == 2
    load(browser, out / "report.html", "execution-failed")
    assert "Failed" in browser.find_element("id", "status").text
    reason = json.loads((out / "execution.json").read_text())["failure_reason"]
    assert browser.find_element("id", "failure-reason").text == reason


def test_history_of_12_executions(browser, tmp_path):
    base = tmp_path / "base"
    baseline(binary_data(tmp_path, 3000, seed=3), base, "BinaryClassification", "--threshold-method", "baseline")
    folder = tmp_path / "executions"
    expected = []
    for hour in range(12):
        out = folder / f"2024/05/01/{hour:02d}"
        end = f"2024-05-01T{hour + 1:02d}:00:00Z" if hour < 11 else "2024-05-01T12:00:00Z"
        start = f"2024-05-01T{hour:02d}:00:00Z"
        window = binary_data(tmp_path, 400 + 10 * hour, seed=100 + hour)
        if hour == 7:  # a failed execution: its dataset is empty
            window.write_text("label,prediction,probability\n")
        args = ["monitor", "--dataset", window, "--problem-type", "BinaryClassification",
                "--inference-attribute", "prediction", "--probability-attribute", "probability",
                "--ground-truth-attribute", "label", "--constraints", base / "constraints.json", "--output", out,
                "--start", start, "--end", end, "--evaluation-time", EVALUATION_TIME]
        run_mqmon(args, check=False)
        expected.append(json.loads((out / "execution.json").read_text()))
    assert [e["status"] for e in expected].count("Failed") == 1
    report = tmp_path / "history.html"
    run_mqmon(["report", "--history", "--executions", folder, "--output", report])
    load(browser, report, "history")
    constraints = json.loads((base / "constraints.json").read_text())["binary_classification_constraints"]
    charts = browser.execute_script("return [...document.querySelectorAll('svg[id^=history-]')].map(e => e.id)")
    assert sorted(charts) == sorted(f"history-{m}" for m in constraints)
    violations = {}
    for hour, e in enumerate(expected):
        out = folder / f"2024/05/01/{hour:02d}"
        if e["status"] != "Failed":
            for v in json.loads((out / "constraint_violations.json").read_text())["violations"]:
                violations.setdefault(v["metric_name"], []).append(hour)
    assert violations  # the baseline method fires on small windows
    for metric in constraints:
        svg = f"history-{metric}"
        marked = browser.execute_script(
            "return document.querySelectorAll('#' + arguments[0] + ' [data-violation]').length", svg)
        assert marked == len(violations.get(metric, [])), metric
        failed = browser.execute_script(
            "return document.querySelectorAll('#' + arguments[0] + ' circle.failed').length", svg)
        assert failed == 1
        # The metric's line maps back to each completed execution's value; the failure is a gap.
        lines = browser.execute_script(
            "return [...document.querySelectorAll('#' + arguments[0] + ' polyline.metric')].length", svg)
        assert lines == 2
    rows = browser.execute_script("return [...document.querySelectorAll('#executions tr[data-status]')]"
                                  ".map(e => e.dataset.status)")
    assert rows == [e["status"] for e in expected]


SERVICE_STATISTICS = """{
  "version" : 0.0,
  "dataset" : {
    "item_count" : 4,
    "evaluation_time" : "2023-03-30T21:08:34.729Z"
  },
  "binary_classification_metrics" : {
    "confusion_matrix" : {
      "0" : {
        "0" : 1,
        "1" : 2
      },
      "1" : {
        "0" : 0,
        "1" : 1
      }
    },
    "recall" : {
      "value" : 1.0,
      "standard_deviation" : "NaN"
    },
    "precision" : {
      "value" : 0.3333333333333333,
      "standard_deviation" : "NaN"
    },
    "accuracy" : {
      "value" : 0.5,
      "standard_deviation" : "NaN"
    },
    "recall_best_constant_classifier" : {
      "value" : 1.0,
      "standard_deviation" : "NaN"
    },
    "precision_best_constant_classifier" : {
      "value" : 0.25,
      "standard_deviation" : "NaN"
    },
    "accuracy_best_constant_classifier" : {
      "value" : 0.25,
      "standard_deviation" : "NaN"
    },
    "true_positive_rate" : {
      "value" : 1.0,
      "standard_deviation" : "NaN"
    },
    "true_negative_rate" : {
      "value" : 0.33333333333333337,
      "standard_deviation" : "NaN"
    },
    "false_positive_rate" : {
      "value" : 0.6666666666666666,
      "standard_deviation" : "NaN"
    },
    "false_negative_rate" : {
      "value" : 0.0,
      "standard_deviation" : "NaN"
    },
    "receiver_operating_characteristic_curve" : {
      "false_positive_rates" : [ 0.0, 0.0, 0.3333333333333333, 0.6666666666666666, 1.0, 1.0 ],
      "true_positive_rates" : [ 0.0, 1.0, 1.0, 1.0, 1.0, 1.0 ]
    },
    "precision_recall_curve" : {
      "precisions" : [ 1.0, 1.0, 0.5, 0.3333333333333333, 0.25 ],
      "recalls" : [ 0.0, 1.0, 1.0, 1.0, 1.0 ]
    },
    "auc" : {
      "value" : 1.0,
      "standard_deviation" : "NaN"
    },
    "f0_5" : {
      "value" : 0.3846153846153846,
      "standard_deviation" : "NaN"
    },
    "f1" : {
      "value" : 0.5,
      "standard_deviation" : "NaN"
    },
    "f2" : {
      "value" : 0.7142857142857143,
      "standard_deviation" : "NaN"
    },
    "f0_5_best_constant_classifier" : {
      "value" : 0.29411764705882354,
      "standard_deviation" : "NaN"
    },
    "f1_best_constant_classifier" : {
      "value" : 0.4,
      "standard_deviation" : "NaN"
    },
    "f2_best_constant_classifier" : {
      "value" : 0.625,
      "standard_deviation" : "NaN"
    }
  }
}
"""


def test_a_report_of_the_services_statistics(browser, tmp_path):
    """The service's layout, with its documented 4-row values ("NaN" deviations)."""
    (tmp_path / "statistics.json").write_text(SERVICE_STATISTICS)
    run_mqmon(["report", "--statistics", tmp_path / "statistics.json", "--output", tmp_path / "service.html"])
    load(browser, tmp_path / "service.html", "service-statistics")
    metrics = json.loads(SERVICE_STATISTICS)["binary_classification_metrics"]
    got = check_metric_cells(browser, metrics)
    assert all(c["text"] == "undefined" for c in got if c["field"] == "standard_deviation")


def test_a_large_baselines_report_is_small_and_quick(browser, tmp_path):
    """Curves are thinned to 1000 thresholds, so a report's size does not grow with the rows once the
    scores are all distinct: 200000 distinct scores give the largest report a 10^7-row baseline can
    (bench/RESULTS.md has the 10^7-row figure)."""
    baseline(binary_data(tmp_path, 200_000, distinct=True), tmp_path / "out")
    report = tmp_path / "out" / "report.html"
    assert report.stat().st_size < 1_000_000
    seconds = load(browser, report, "large-baseline")
    assert seconds < 2, seconds


def test_curves_kept_whole_are_drawn_through_1000_of_their_points(browser, tmp_path):
    """--curve-points 0 keeps every distinct score in statistics.json; the report draws (and tabulates)
    about 1000 of them, each a point of the curve, the ends kept, and stays under 1 MB."""
    stats = baseline(binary_data(tmp_path, 200_000, distinct=True), tmp_path / "out", "BinaryClassification",
                     "--curve-points", "0")
    roc = stats["binary_classification_metrics"]["receiver_operating_characteristic_curve"]
    assert len(roc["false_positive_rates"]) > 100_000
    report = tmp_path / "out" / "report.html"
    assert report.stat().st_size < 1_000_000
    load(browser, report, "curve-points-0")
    got = curve_points(browser, "baseline-roc")
    assert 1000 <= len(got) <= 1002
    points = list(zip(roc["false_positive_rates"], roc["true_positive_rates"]))
    assert abs(got[0][0] - points[0][0]) < 1e-4 and abs(got[-1][1] - points[-1][1]) < 1e-4
    step = -(-len(points) // 1000)
    for i, (x, y) in enumerate(got[1:-1], start=1):
        fx, ty = points[i * step]
        assert abs(x - fx) < 1e-4 and abs(y - ty) < 1e-4
    assert f"through {len(points)} points (drawn through {len(got)} of them)" in \
        browser.find_element("id", "baseline-roc").get_attribute("textContent")


def test_a_long_history_shows_its_latest_200_executions(tmp_path):
    base = tmp_path / "base"
    baseline(binary_data(tmp_path, 3000, seed=3), base, "BinaryClassification", "--threshold-method", "baseline")
    one = tmp_path / "one"
    run_mqmon(["monitor", "--dataset", binary_data(tmp_path, 400, seed=5), "--problem-type", "BinaryClassification",
               "--inference-attribute", "prediction", "--probability-attribute", "probability",
               "--ground-truth-attribute", "label", "--constraints", base / "constraints.json", "--output", one,
               "--start", "2024-05-01T00:00:00Z", "--end", "2024-05-01T01:00:00Z"], check=False)
    execution = json.loads((one / "execution.json").read_text())
    folder = tmp_path / "executions"
    for i in range(250):  # ten days of hourly executions, copies of one
        out = folder / f"{i:03d}"
        shutil.copytree(one, out)
        execution["end_time"] = f"2024-05-{1 + i // 24:02d}T{i % 24:02d}:00:00Z"
        (out / "execution.json").write_text(json.dumps(execution))
    report = tmp_path / "history.html"
    run_mqmon(["report", "--history", "--executions", folder, "--output", report])
    page = report.read_text()
    assert report.stat().st_size < 1_000_000
    assert "the latest 200 of 250" in page
    rows = re.findall(r'<tr data-status="\w+"><td>([^<]+)</td>', page)
    assert len(rows) == 200 and rows[0] == "2024-05-03T02:00:00Z" and rows[-1] == "2024-05-11T09:00:00Z"


def test_report_command_errors(tmp_path):
    proc = run_mqmon(["report", "--output", tmp_path / "r.html"], check=False)
    assert proc.returncode == 2 and "give --statistics (or --history)" in proc.stderr
    (tmp_path / "s.json").write_text('{"version": 0.0}')
    proc = run_mqmon(["report", "--statistics", tmp_path / "s.json", "--output", tmp_path / "r.html"], check=False)
    assert proc.returncode == 2 and "not a model-quality statistics.json" in proc.stderr
    assert not (tmp_path / "r.html").exists()
    proc = run_mqmon(["report", "--history", "--executions", tmp_path, "--output", tmp_path / "r.html"], check=False)
    assert proc.returncode == 6 and "no execution.json below" in proc.stderr


def rgba(text):
    parts = [float(x) for x in re.findall(r"[\d.]+", text)]
    return parts + [1.0] * (4 - len(parts))


def blend(top, bottom):
    a = top[3]
    return [top[i] * a + bottom[i] * (1 - a) for i in range(3)] + [1.0]


def luminance(c):
    def channel(v):
        v /= 255
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(v) for v in c[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a, b):
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_text_meets_wcag_aa_contrast(browser, tmp_path, scheme):
    """Every text element against the background it is drawn on (the page, a panel, a banner, a heatmap
    cell with its translucent colour), in the light and the dark scheme: at least 4.5:1."""
    base = tmp_path / "base"
    baseline(binary_data(tmp_path, 3000, seed=3), base, "BinaryClassification", "--threshold-method", "baseline")
    window = binary_data(tmp_path, 500, seed=21)
    out = tmp_path / "exec"
    run_mqmon(["monitor", "--dataset", window, "--problem-type", "BinaryClassification", "--inference-attribute",
               "prediction", "--probability-attribute", "probability", "--ground-truth-attribute", "label",
               "--constraints", base / "constraints.json", "--output", out], check=False)
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia",
                            {"features": [{"name": "prefers-color-scheme", "value": scheme}]})
    try:
        for page, name in ((base / "report.html", "baseline"), (out / "report.html", "execution")):
            load(browser, page, f"{name}-{scheme}")
            pairs = browser.execute_script("""
                const out = [];
                const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
                while (walker.nextNode()) {
                  const node = walker.currentNode;
                  if (!node.textContent.trim()) continue;
                  const el = node.parentElement;
                  if (el.closest('svg') || el.closest('details:not([open])') && el.closest('table')) continue;
                  const layers = [];
                  for (let e = el; e; e = e.parentElement) layers.push(getComputedStyle(e).backgroundColor);
                  layers.push(getComputedStyle(document.documentElement).backgroundColor);
                  out.push([node.textContent.trim().slice(0, 30), getComputedStyle(el).color, layers]);
                }
                return out;""")
            assert pairs
            page_background = rgba(browser.execute_script("return getComputedStyle(document.body).backgroundColor"))
            for text, color, layers in pairs:
                background = page_background
                for layer in reversed(layers):
                    c = rgba(layer)
                    if c[3] > 0:
                        background = blend(c, background)
                ratio = contrast(rgba(color), background)
                assert ratio >= 4.5, (scheme, name, text, color, background, ratio)
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})
