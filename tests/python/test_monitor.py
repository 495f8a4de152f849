"""Monitoring executions: merge of captured inferences with late ground truth, constraint
checks, execution status and exit codes, metric records."""
import base64
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score, roc_auc_score

from conftest import close, run_mqmon

UTC = timezone.utc
T0 = datetime(2024, 5, 1, 10, tzinfo=UTC)  # the window is [10:00, 12:00)
T1 = T0 + timedelta(hours=2)


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def hour_dir(root, t):
    d = Path(root) / t.strftime("%Y/%m/%d/%H")
    d.mkdir(parents=True, exist_ok=True)
    return d


def capture(i, t, score, with_inference_id):
    kind = i % 3
    if kind == 0:
        out = {"observedContentType": "text/csv", "mode": "OUTPUT", "data": f"{score}", "encoding": "CSV"}
    elif kind == 1:
        out = {"observedContentType": "application/json", "mode": "OUTPUT", "data": json.dumps([score]),
               "encoding": "JSON"}
    else:
        out = {"observedContentType": "text/csv", "mode": "OUTPUT",
               "data": base64.b64encode(f"{score}".encode()).decode(), "encoding": "BASE64"}
    meta = {"eventId": f"event-{i}", "inferenceTime": iso(t)}
    if with_inference_id:
        meta["inferenceId"] = f"inf-{i}"
    return {"captureData": {"endpointInput": {"observedContentType": "text/csv", "mode": "INPUT",
                                              "data": "1,2,3", "encoding": "CSV"}, "endpointOutput": out},
            "eventMetadata": meta, "eventVersion": "0"}


def label(event_id, value):
    return {"groundTruthData": {"data": str(value), "encoding": "CSV"}, "eventMetadata": {"eventId": event_id},
            "eventVersion": "0"}


def write_lines(path, records):
    with open(path, "a") as f:
        for r in records:
            f.write(json.dumps(r) + "\n")


@pytest.fixture
def world(tmp_path):
    """A capture tree over hours 09-12 and a ground-truth tree whose labels land 1-3 hours later."""
    rng = np.random.default_rng(11)
    cap, gt = tmp_path / "capture" / "my-endpoint" / "AllTraffic", tmp_path / "ground-truth"
    expected = {}  # join key -> (score, final label) for inferences in the window that get a label
    counts = dict(inferences=0, unmatched=0)
    i = 0
    for hour in range(9, 13):
        t_hour = datetime(2024, 5, 1, hour, tzinfo=UTC)
        recs = []
        for k in range(120):
            t = t_hour + timedelta(seconds=int(rng.integers(0, 3600)))
            y = int(rng.random() < 0.35)
            score = round(float(np.clip(rng.normal(0.3 + 0.4 * y, 0.2), 0, 1)), 4)
            with_id = i % 2 == 0
            rec = capture(i, t, score, with_id)
            key = f"inf-{i}" if with_id else f"event-{i}"
            if hour == 10 and k == 0:  # filed under 10:00 but timed 09:59: outside the window
                rec["eventMetadata"]["inferenceTime"] = iso(T0 - timedelta(seconds=1))
            recs.append(rec)
            in_window = T0 <= datetime.strptime(rec["eventMetadata"]["inferenceTime"], "%Y-%m-%dT%H:%M:%SZ").replace(
                tzinfo=UTC) < T1
            # Hours 09 and 12 lie outside the window's folders; one record of 10:00 is timed 09:59.
            if hour in (10, 11) and in_window:
                counts["inferences"] += 1
            labelled = i % 10 != 3  # every tenth inference never gets a label
            if labelled:
                delay = int(rng.integers(1, 4))
                collected = t_hour + timedelta(hours=delay)
                write_lines(hour_dir(gt, collected) / "labels.jsonl", [label(key, y)])
                if in_window and hour in (10, 11):
                    expected[key] = (score, y)
            if in_window and hour in (10, 11) and not labelled:
                counts["unmatched"] += 1
            i += 1
        write_lines(hour_dir(cap, t_hour) / "capture-0001.jsonl", recs)
    # Duplicates: an identical re-send and a correction collected later (the latest wins).
    keys = sorted(expected)
    write_lines(hour_dir(gt, T1 + timedelta(hours=2)) / "resend.jsonl", [label(keys[0], expected[keys[0]][1])])
    corrected = keys[1]
    write_lines(hour_dir(gt, T1 + timedelta(hours=3)) / "fix.jsonl", [label(corrected, 1 - expected[corrected][1])])
    expected[corrected] = (expected[corrected][0], 1 - expected[corrected][1])
    write_lines(hour_dir(gt, T1 + timedelta(hours=1)) / "stray.jsonl", [label("nobody", 1)])
    return dict(cap=cap, gt=gt, expected=expected, counts=counts, tmp=tmp_path)


def labels_read(gt, until):
    n = 0
    for f in Path(gt).rglob("*.jsonl"):
        hour = datetime.strptime("/".join(f.parts[-5:-1]), "%Y/%m/%d/%H").replace(tzinfo=UTC)
        if T0 <= hour + timedelta(hours=1) and hour <= until:
            n += sum(1 for _ in open(f))
    return n


def test_merge_counts_and_records(world):
    execution = T1 + timedelta(hours=4)
    out = world["tmp"] / "merged"
    proc = run_mqmon(["merge", "--capture", world["cap"], "--ground-truth", world["gt"], "--start", iso(T0),
                      "--end", iso(T1), "--execution-time", iso(execution), "--output", out])
    report = json.loads((out / "merge_report.json").read_text())
    c, expected = world["counts"], world["expected"]
    assert report["inferences"] == c["inferences"]
    assert report["inferences_outside_window"] == 1  # the mis-filed record (hour 09 is not read)
    assert report["matched"] == len(expected)
    assert report["unmatched_inferences"] == c["unmatched"]
    assert report["labels"] == labels_read(world["gt"], execution)
    assert report["duplicate_labels"] == 2 and report["conflicting_duplicate_labels"] == 1
    assert report["labels_without_inference"] == report["labels"] - report["duplicate_labels"] - report["matched"]
    assert close(report["label_coverage"], len(expected) / c["inferences"])
    assert "matched" in proc.stdout and "label coverage" in proc.stdout
    merged = [json.loads(l) for l in (out / "merged.jsonl").read_text().splitlines()]
    assert len(merged) == len(expected)
    for rec in merged:
        meta = rec["eventMetadata"]
        key = meta.get("inferenceId", meta["eventId"])
        assert rec["groundTruthData"]["data"] == str(expected[key][1])  # the correction won
        assert rec["captureData"]["endpointOutput"]["mode"] == "OUTPUT"


def test_labels_collected_after_the_execution_time_are_not_used(world):
    early = T1 + timedelta(minutes=30)  # most labels are still to come
    out = world["tmp"] / "early"
    run_mqmon(["merge", "--capture", world["cap"], "--ground-truth", world["gt"], "--start", iso(T0), "--end",
               iso(T1), "--execution-time", iso(early), "--output", out])
    report = json.loads((out / "merge_report.json").read_text())
    assert report["labels"] == labels_read(world["gt"], early)
    assert report["matched"] < len(world["expected"])


def test_max_lookback_ignores_older_labels(world):
    execution = T1 + timedelta(hours=4)  # 16:00; labels were collected from 11:00 on
    out = world["tmp"] / "lookback"
    run_mqmon(["merge", "--capture", world["cap"], "--ground-truth", world["gt"], "--start", iso(T0), "--end",
               iso(T1), "--execution-time", iso(execution), "--max-lookback", "PT3H", "--output", out])
    report = json.loads((out / "merge_report.json").read_text())
    # Only hour folders from 13:00 (16:00 - 3 h) on are read.
    n = 0
    for f in Path(world["gt"]).rglob("*.jsonl"):
        hour = datetime.strptime("/".join(f.parts[-5:-1]), "%Y/%m/%d/%H").replace(tzinfo=UTC)
        if execution - timedelta(hours=3) < hour + timedelta(hours=1) and hour <= execution:
            n += sum(1 for _ in open(f))
    assert report["labels"] == n
    assert report["labels"] < labels_read(world["gt"], execution)


def baseline_constraints(tmp, method="baseline"):
    rng = np.random.default_rng(3)
    n = 3000
    y = (rng.random(n) < 0.35).astype(int)
    p = np.clip(rng.normal(0.3 + 0.4 * y, 0.2), 0, 1).round(4)
    path = tmp / "baseline.csv"
    path.write_text("label,probability\n" + "".join(f"{a},{b}\n" for a, b in zip(y, p)))
    run_mqmon(["suggest-baseline", "--baseline-dataset", path, "--problem-type", "BinaryClassification",
               "--ground-truth-attribute", "label", "--probability-attribute", "probability",
               "--threshold-method", method, "--output", tmp / f"baseline-{method}"])
    return tmp / f"baseline-{method}" / "constraints.json"


def monitor(world, constraints, *extra, check=False):
    out = world["tmp"] / "execution"
    proc = run_mqmon(["monitor", "--capture", world["cap"], "--ground-truth", world["gt"], "--start", iso(T0),
                      "--end", iso(T1), "--execution-time", iso(T1 + timedelta(hours=4)),
                      "--problem-type", "BinaryClassification", "--probability-attribute", "0",
                      "--constraints", constraints, "--output", out, "--endpoint-name", "my-endpoint",
                      "--monitoring-schedule-name", "hourly", *extra], check=check)
    return proc, out


def test_monitor_execution_end_to_end(world):
    constraints = baseline_constraints(world["tmp"])
    proc, out = monitor(world, constraints)
    execution = json.loads((out / "execution.json").read_text())
    stats = json.loads((out / "statistics.json").read_text())["binary_classification_metrics"]
    violations = json.loads((out / "constraint_violations.json").read_text())["violations"]

    keys = sorted(world["expected"])
    score = np.array([world["expected"][k][0] for k in keys])
    y = np.array([world["expected"][k][1] for k in keys])
    pred = (score >= 0.5).astype(int)
    want = {"accuracy": accuracy_score(y, pred), "recall": recall_score(y, pred),
            "precision": precision_score(y, pred), "f1": f1_score(y, pred), "auc": roc_auc_score(y, score)}
    for name, value in want.items():
        assert close(stats[name]["value"], value), name
    assert execution["item_count"] == len(keys)
    assert execution["merge"]["matched"] == len(keys)

    # Baseline-method thresholds are the baseline values: recompute every violation independently.
    cons = json.loads(constraints.read_text())["binary_classification_constraints"]
    expected_violations = []
    for name, c in cons.items():
        v = stats[name]["value"]
        fired = v < c["threshold"] if c["comparison_operator"] == "LessThanThreshold" else v > c["threshold"]
        if fired:
            expected_violations.append(name)
    assert [v["metric_name"] for v in violations] == expected_violations
    assert expected_violations  # this window is small and noisy: the baseline rule fires
    assert proc.returncode == 5 and execution["status"] == "CompletedWithViolations"
    first = violations[0]
    assert first["constraint_check_type"] == cons[first["metric_name"]]["comparison_operator"]
    assert first["description"].startswith(f"Metric {first['metric_name']} with ")
    assert f"was {first['constraint_check_type']} '" in first["description"]


def test_window_thresholds_follow_the_window_size(world):
    """The same window, checked against window-method constraints: thresholds are recomputed at the
    window's size (~200 rows), wider than the 3000-row baseline's, so chance dips do not fire."""
    constraints = baseline_constraints(world["tmp"], method="window")
    proc, out = monitor(world, constraints)
    violations = json.loads((out / "constraint_violations.json").read_text())["violations"]
    assert proc.returncode == 0, violations
    assert json.loads((out / "execution.json").read_text())["status"] == "Completed"
    # Without the mqmon block the same thresholds stay at the baseline's size, and chance fires them.
    strict = json.loads(constraints.read_text())
    del strict["mqmon"]
    (world["tmp"] / "strict.json").write_text(json.dumps(strict))
    proc, _ = monitor(world, world["tmp"] / "strict.json")
    assert proc.returncode == 5
    # Edited by hand, a threshold is kept as written.
    c = json.loads(constraints.read_text())
    c["binary_classification_constraints"]["accuracy"]["threshold"] = 0.99
    edited = world["tmp"] / "edited.json"
    edited.write_text(json.dumps(c))
    proc, out = monitor(world, edited)
    assert proc.returncode == 5
    assert [v["metric_name"] for v in json.loads((out / "constraint_violations.json").read_text())["violations"]] \
        == ["accuracy"]


def test_failed_executions(world):
    constraints = baseline_constraints(world["tmp"])
    empty = world["tmp"] / "empty-capture"
    empty.mkdir()
    proc = run_mqmon(["monitor", "--capture", empty, "--ground-truth", world["gt"], "--start", iso(T0), "--end",
                      iso(T1), "--problem-type", "BinaryClassification", "--probability-attribute", "0",
                      "--constraints", constraints, "--output", world["tmp"] / "f1"], check=False)
    assert proc.returncode == 6
    ex = json.loads((world["tmp"] / "f1" / "execution.json").read_text())
    assert ex["status"] == "Failed" and ex["failure_reason"].startswith("no captured inferences in the window")
    assert sorted(p.name for p in (world["tmp"] / "f1").iterdir()) == ["execution.json", "report.html"]

    proc = run_mqmon(["monitor", "--capture", world["cap"], "--ground-truth", world["gt"], "--start", iso(T0),
                      "--end", iso(T1), "--execution-time", iso(T0), "--problem-type", "BinaryClassification",
                      "--probability-attribute", "0", "--constraints", constraints,
                      "--output", world["tmp"] / "f2"], check=False)
    assert proc.returncode == 6
    ex = json.loads((world["tmp"] / "f2" / "execution.json").read_text())
    assert ex["failure_reason"].startswith("nothing merged: none of the window's")
    assert "Failed: nothing merged" in proc.stderr

    # A corrupt capture record fails the execution with its location.
    bad = hour_dir(world["cap"], T0) / "zz-broken.jsonl"
    bad.write_text('{"captureData": {"endpointOutput": \n')
    proc, out = monitor(world, constraints)
    assert proc.returncode == 3
    ex = json.loads((out / "execution.json").read_text())
    assert ex["status"] == "Failed" and f"{bad}:1: invalid JSON" in ex["failure_reason"]


def test_scheduled_time_and_offsets(world):
    constraints = baseline_constraints(world["tmp"])
    out = world["tmp"] / "sched"
    run_mqmon(["monitor", "--capture", world["cap"], "--ground-truth", world["gt"],
               "--scheduled-time", iso(T1 + timedelta(days=1)), "--start-time-offset", "-P1DT2H",
               "--end-time-offset", "-P1D", "--execution-time", iso(T1 + timedelta(hours=4)),
               "--problem-type", "BinaryClassification", "--probability-attribute", "0",
               "--constraints", constraints, "--output", out], check=False)
    ex = json.loads((out / "execution.json").read_text())
    assert (ex["start_time"], ex["end_time"]) == (iso(T0), iso(T1))
    assert ex["item_count"] == len(world["expected"])


def hand_dataset(tmp):
    # 8 rows: TP=3 FN=1 TN=3 FP=1 -> recall = precision = accuracy = tnr = 0.75, fpr = fnr = 0.25.
    rows = [(1, 1)] * 3 + [(1, 0)] + [(0, 0)] * 3 + [(0, 1)]
    path = tmp / "window.csv"
    path.write_text("label,prediction\n" + "".join(f"{a},{b}\n" for a, b in rows))
    return path


@pytest.mark.parametrize("metric, op, threshold, fires", [
    ("accuracy", "LessThanThreshold", "0.75", False),               # equal: not below
    ("accuracy", "LessThanThreshold", "7.5000001E-1", True),
    ("recall", "LessThanOrEqualToThreshold", "0.75", True),         # equal counts
    ("recall", "LessThanOrEqualToThreshold", "0.7499999", False),
    ("false_positive_rate", "GreaterThanThreshold", "2.5e-1", False),
    ("false_positive_rate", "GreaterThanThreshold", "0.2", True),
    ("false_negative_rate", "GreaterThanOrEqualToThreshold", "25E-2", True),
    ("false_negative_rate", "GreaterThanOrEqualToThreshold", "0.26", False),
])
def test_hand_written_constraints(tmp_path, metric, op, threshold, fires):
    constraints = tmp_path / "constraints.json"
    # Written by hand, with the number exactly as given (scientific notation included).
    constraints.write_text('{"version": 0, "binary_classification_constraints": {"%s": {"threshold": %s, '
                           '"comparison_operator": "%s"}}}' % (metric, threshold, op))
    out = tmp_path / "o"
    proc = run_mqmon(["monitor", "--dataset", hand_dataset(tmp_path), "--problem-type", "BinaryClassification",
                      "--ground-truth-attribute", "label", "--inference-attribute", "prediction",
                      "--constraints", constraints, "--start", "2024-01-01T00:00:00Z", "--end",
                      "2024-01-01T01:00:00Z", "--output", out], check=False)
    violations = json.loads((out / "constraint_violations.json").read_text())["violations"]
    assert proc.returncode == (5 if fires else 0), proc.stderr
    if fires:
        value = "0.75" if metric in ("accuracy", "recall") else "0.25"
        assert violations == [{"metric_name": metric, "constraint_check_type": op,
                               "description": f"Metric {metric} with {value} was {op} "
                                              f"'{float(threshold)!r}'".replace("'0.7500000100000001'",
                                                                                 "'0.75000001'")}]
    else:
        assert violations == []


def test_undefined_metric_is_a_violation_unless_ignored(tmp_path):
    path = tmp_path / "one-class.csv"
    path.write_text("label,probability\n" + "1,0.9\n1,0.4\n1,0.7\n")
    constraints = tmp_path / "c.json"
    constraints.write_text(json.dumps({"version": 0.0, "binary_classification_constraints": {
        "auc": {"threshold": 0.7, "comparison_operator": "LessThanThreshold"}}}))
    args = ["monitor", "--dataset", path, "--problem-type", "BinaryClassification", "--ground-truth-attribute",
            "label", "--probability-attribute", "probability", "--constraints", constraints, "--start",
            "2024-01-01T00:00:00Z", "--end", "2024-01-01T01:00:00Z"]
    proc = run_mqmon(args + ["--output", tmp_path / "a"], check=False)
    assert proc.returncode == 5
    v = json.loads((tmp_path / "a" / "constraint_violations.json").read_text())["violations"]
    assert v[0]["metric_name"] == "auc" and "undefined on this window" in v[0]["description"]
    proc = run_mqmon(args + ["--output", tmp_path / "b", "--ignore-undefined-metrics"], check=False)
    assert proc.returncode == 0


def test_constraint_file_errors_are_usage_errors(tmp_path):
    data = hand_dataset(tmp_path)
    for body, message in [
        ('{"binary_classification_constraints": {"accuracy": {"threshold": 0.5, "comparison_operator": "Below"}}}',
         "comparison_operator 'Below' is not one of"),
        ('{"binary_classification_constraints": {"bogus": {"threshold": 0.5, '
         '"comparison_operator": "LessThanThreshold"}}}', "constraint 'bogus' is not a BinaryClassification metric"),
        ('{"regression_constraints": {"mae": {"threshold": 0.5, "comparison_operator": "GreaterThanThreshold"}}}',
         "holds Regression constraints, but the problem type is BinaryClassification"),
        ('{"version": 0.0}', "no binary_classification_constraints"),
    ]:
        (tmp_path / "c.json").write_text(body)
        proc = run_mqmon(["monitor", "--dataset", data, "--problem-type", "BinaryClassification",
                          "--ground-truth-attribute", "label", "--inference-attribute", "prediction",
                          "--constraints", tmp_path / "c.json", "--start", "2024-01-01T00:00:00Z", "--end",
                          "2024-01-01T01:00:00Z", "--output", tmp_path / "o"], check=False)
        assert proc.returncode == 2 and message in proc.stderr, proc.stderr


def test_metric_records(world):
    constraints = baseline_constraints(world["tmp"])
    _, out = monitor(world, constraints)
    stats = json.loads((out / "statistics.json").read_text())["binary_classification_metrics"]
    scalars = {k: v["value"] for k, v in stats.items() if isinstance(v, dict) and "value" in v}

    emf = [json.loads(l) for l in (out / "cloudwatch_metrics.json").read_text().splitlines()]
    assert len(emf) == 1
    doc = emf[0]
    directive = doc["_aws"]["CloudWatchMetrics"]
    assert isinstance(doc["_aws"]["Timestamp"], int)
    assert len(directive) == 1
    assert directive[0]["Namespace"] == "aws/sagemaker/Endpoints/model-metrics"
    assert directive[0]["Dimensions"] == [["Endpoint", "MonitoringSchedule"]]
    assert doc["Endpoint"] == "my-endpoint" and doc["MonitoringSchedule"] == "hourly"
    names = [m["Name"] for m in directive[0]["Metrics"]]
    assert names == [k for k, v in scalars.items() if isinstance(v, float)]
    for name in names:  # every declared metric is a top-level number equal to the statistics value
        assert doc[name] == scalars[name]

    families = {f.name: f for f in text_string_to_metric_families((out / "metrics.prom").read_text())}
    assert set(families) == {f"mqmon_{k}" for k in scalars}
    for prefixed, family in families.items():
        name = prefixed[len("mqmon_"):]
        assert family.type == "gauge"
        (sample,) = family.samples
        assert sample.labels == {"Endpoint": "my-endpoint", "MonitoringSchedule": "hourly"}
        assert sample.value == scalars[name]
