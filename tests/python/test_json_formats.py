"""JSON Lines and data-capture inputs: the same data as CSV, JSON Lines and capture JSON Lines gives
the same statistics.json byte for byte; probability arrays; label canonicalization; JSON errors."""
import base64
import gzip
import json

import numpy as np
import pandas as pd
import pytest

from conftest import run_mqmon, without_std

TIME = ["--evaluation-time", "2024-01-01T00:00:00.000Z"]
JSONL = '{"json": {"lines": true}}'
CAPTURE = '{"sagemakerCaptureJson": {}}'


def mqmon(path, out, problem, *args, check=True):
    proc = run_mqmon(["suggest-baseline", "--baseline-dataset", path, "--problem-type", problem,
                      "--output", out, *TIME, *args], check=check)
    return proc if not check else (out / "statistics.json").read_text()


def capture_record(i, output_fields, truth):
    """A capture record whose output payload is CSV, JSON or BASE64 depending on i."""
    if i % 3 == 0:
        out = {"observedContentType": "text/csv", "mode": "OUTPUT", "encoding": "CSV",
               "data": ",".join(str(f) for f in output_fields)}
    elif i % 3 == 1:
        out = {"observedContentType": "application/json", "mode": "OUTPUT", "encoding": "JSON",
               "data": json.dumps(output_fields)}
    else:
        out = {"observedContentType": "text/csv", "mode": "OUTPUT", "encoding": "BASE64",
               "data": base64.b64encode(",".join(str(f) for f in output_fields).encode()).decode()}
    return {"captureData": {"endpointInput": {"observedContentType": "text/csv", "mode": "INPUT",
                                              "data": "5,1.5,a", "encoding": "CSV"},
                            "endpointOutput": out},
            "eventMetadata": {"eventId": f"ev-{i}", "inferenceTime": "2024-01-01T00:00:00Z"},
            "eventVersion": "0",
            "groundTruthData": {"data": str(truth), "encoding": "CSV"}}


def write_jsonl(path, records, compress=False):
    text = "".join(json.dumps(r) + "\n" for r in records)
    if compress:
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text)
    return path


@pytest.mark.parametrize("problem", ["BinaryClassification", "MulticlassClassification", "Regression"])
def test_csv_jsonl_and_capture_give_identical_statistics(tmp_path, problem):
    """The same values from every format (the deviations' subsamples follow the records' bytes)."""
    rng = np.random.default_rng(5)
    n = 1500
    if problem == "Regression":
        y = rng.normal(50, 10, n).round(3)
        pred = (y + rng.normal(0, 3, n)).round(3)
        prob = None
    elif problem == "MulticlassClassification":
        y = rng.integers(0, 5, n)
        pred = np.where(rng.random(n) < 0.7, y, rng.integers(0, 5, n))
        prob = None
    else:
        y = (rng.random(n) < 0.3).astype(int)
        prob = np.clip(rng.normal(0.3 + 0.4 * y, 0.2), 0, 1).round(4)
        pred = (prob >= 0.5).astype(int)
    y, pred = y.tolist(), pred.tolist()

    cols = {"label": y, "prediction": pred}
    if prob is not None:
        cols["probability"] = prob.tolist()
    pd.DataFrame(cols).to_csv(tmp_path / "d.csv", index=False)
    attrs = ["--ground-truth-attribute", "label", "--inference-attribute", "prediction"]
    if prob is not None:
        attrs += ["--probability-attribute", "probability"]
    want = mqmon(tmp_path / "d.csv", tmp_path / "csv", problem, *attrs)

    nested = [{"truth": {"label": y[i]}, "model": {"outputs": [pred[i]] + ([prob[i]] if prob is not None else [])},
               "id": i} for i in range(n)]
    jattrs = ["--dataset-format", JSONL, "--ground-truth-attribute", "$.truth.label", "--inference-attribute",
              "$.model.outputs[0]"] + (["--probability-attribute", "model.outputs[1]"] if prob is not None else [])
    jsonl = mqmon(write_jsonl(tmp_path / "d.jsonl", nested), tmp_path / "jsonl", problem, *jattrs)
    assert without_std(jsonl) == without_std(want)
    (tmp_path / "z").mkdir()
    assert mqmon(write_jsonl(tmp_path / "z" / "d.jsonl.gz", nested, compress=True), tmp_path / "gz", problem,
                 *jattrs) == jsonl

    captured = [capture_record(i, [pred[i]] + ([prob[i]] if prob is not None else []), y[i]) for i in range(n)]
    cattrs = ["--dataset-format", CAPTURE, "--inference-attribute", "0"] + \
        (["--probability-attribute", "1"] if prob is not None else [])
    assert without_std(mqmon(write_jsonl(tmp_path / "c.jsonl", captured), tmp_path / "cap", problem,
                             *cattrs)) == without_std(want)


def test_probability_arrays(tmp_path):
    rng = np.random.default_rng(6)
    n, k = 2000, 4
    probs = rng.dirichlet(np.ones(k), n).round(6)
    names = ["cat", "dog", "eel", "fox"]
    y = [names[i] for i in rng.integers(0, k, n)]
    argmax = [names[i] for i in probs.argmax(axis=1)]
    pd.DataFrame({"label": y, "prediction": argmax}).to_csv(tmp_path / "d.csv", index=False)
    want = mqmon(tmp_path / "d.csv", tmp_path / "csv", "MulticlassClassification",
                 "--ground-truth-attribute", "label", "--inference-attribute", "prediction")
    recs = [{"label": y[i], "probabilities": probs[i].tolist()} for i in range(n)]
    got = mqmon(write_jsonl(tmp_path / "m.jsonl", recs), tmp_path / "m", "MulticlassClassification",
                "--dataset-format", JSONL, "--ground-truth-attribute", "label",
                "--probability-attribute", "$.probabilities", "--class-labels", ",".join(names))
    assert without_std(got) == without_std(want)

    # Binary: the positive class's entry of [p(no), p(yes)] is the score.
    yb = (rng.random(n) < 0.4).astype(int)
    p1 = np.clip(rng.normal(0.3 + 0.4 * yb, 0.2), 0, 1).round(5)
    pd.DataFrame({"label": np.where(yb, "yes", "no"), "p": p1}).to_csv(tmp_path / "b.csv", index=False)
    want = mqmon(tmp_path / "b.csv", tmp_path / "bcsv", "BinaryClassification", "--ground-truth-attribute",
                 "label", "--probability-attribute", "p", "--positive-label", "yes", "--negative-label", "no")
    recs = [{"label": "yes" if yb[i] else "no", "scores": [round(1 - p1[i], 5), p1[i]]} for i in range(n)]
    got = mqmon(write_jsonl(tmp_path / "b.jsonl", recs), tmp_path / "bj", "BinaryClassification",
                "--dataset-format", JSONL, "--ground-truth-attribute", "label", "--probability-attribute",
                "scores", "--positive-label", "yes", "--negative-label", "no", "--class-labels", "no,yes")
    assert without_std(got) == without_std(want)


def test_numeric_label_spellings_are_one_class(tmp_path):
    recs = [{"y": 1, "p": "1"}, {"y": 1.0, "p": "1.0"}, {"y": "1", "p": 1}, {"y": 0, "p": "0.0"},
            {"y": "0", "p": 1e0}]
    stats = json.loads(mqmon(write_jsonl(tmp_path / "l.jsonl", recs), tmp_path / "o", "MulticlassClassification",
                             "--dataset-format", JSONL, "--ground-truth-attribute", "y",
                             "--inference-attribute", "p"))
    assert stats["multiclass_classification_metrics"]["confusion_matrix"] == {"0": {"0": 1, "1": 1},
                                                                             "1": {"0": 0, "1": 3}}


def test_label_type_string_keeps_leading_zeros_and_number_rejects_text(tmp_path):
    pd.DataFrame({"y": ["01", "1", "A1", "01"], "p": ["01", "01", "A1", "1"]}).to_csv(
        tmp_path / "d.csv", index=False)
    base = ["--ground-truth-attribute", "y", "--inference-attribute", "p"]
    auto = json.loads(mqmon(tmp_path / "d.csv", tmp_path / "a", "MulticlassClassification", *base))
    assert list(auto["multiclass_classification_metrics"]["confusion_matrix"]) == ["1", "A1"]
    text = json.loads(mqmon(tmp_path / "d.csv", tmp_path / "s", "MulticlassClassification", *base,
                            "--label-type", "string"))
    assert list(text["multiclass_classification_metrics"]["confusion_matrix"]) == ["01", "1", "A1"]
    proc = mqmon(tmp_path / "d.csv", tmp_path / "n", "MulticlassClassification", *base, "--label-type", "number",
                 check=False)
    assert proc.returncode == 3
    assert f"{tmp_path / 'd.csv'}:4: column 1 (attribute 'y') label is not a number (--label-type number): 'A1'" \
        in proc.stderr


@pytest.mark.parametrize("line, problem, expected", [
    ('{"y": 1, "p": 0.5', "BinaryClassification", ":2: invalid JSON ("),
    ('{"y": 1, "q": 0.5}', "BinaryClassification", ":2: (attribute '$.p') not found in the record: '{\"y\": 1, \"q\": 0.5}'"),
    ('{"y": {"a": 1}, "p": 0.5}', "BinaryClassification", ":2: (attribute 'y') expected a label, found an object"),
    ('{"y": 1, "p": "high"}', "BinaryClassification", ":2: (attribute '$.p') not a finite number: 'high'"),
    ('{"y": 1, "p": [0.1, "x"]}', "BinaryClassification", ":2: (attribute '$.p') array of probabilities holds"),
    ('{"y": "abc", "p": 0.5}', "Regression", ":2: (attribute 'y') not a finite number: 'abc'"),
    ('{"y": null, "p": 0.5}', "Regression", ":2: (attribute 'y') expected a number, found null: 'null'"),
])
def test_bad_json_is_located(tmp_path, line, problem, expected):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"y": 0, "p": 0.25}\n' + line + "\n")
    prob = ["--probability-attribute", "$.p"] if problem != "Regression" else ["--inference-attribute", "$.p"]
    proc = mqmon(path, tmp_path / "o", problem, "--dataset-format", JSONL, "--ground-truth-attribute", "y", *prob,
                 check=False)
    assert proc.returncode == 3, proc.stderr
    assert f"mqmon: error: {path}{expected}" in proc.stderr, proc.stderr


def test_bad_capture_records_are_located(tmp_path):
    good = capture_record(0, [0.7], 1)
    no_truth = capture_record(1, [0.2], 0)
    del no_truth["groundTruthData"]
    bad_b64 = capture_record(2, [0.2], 0)
    bad_b64["captureData"]["endpointOutput"]["data"] = "@@@"
    for i, (rec, expected) in enumerate([
        (no_truth, "the capture record has no groundTruthData (merge the ground truth in first)"),
        (bad_b64, "the endpoint output holds invalid base64 data"),
        ({"foo": 1}, "not a data-capture record: no captureData.endpointOutput"),
    ]):
        path = write_jsonl(tmp_path / f"c{i}.jsonl", [good, rec])
        proc = mqmon(path, tmp_path / "o", "BinaryClassification", "--dataset-format", CAPTURE,
                     "--probability-attribute", "0", check=False)
        assert proc.returncode == 3
        assert f"{path}:2: " in proc.stderr and expected in proc.stderr, proc.stderr


def test_bad_jsonpath_is_a_usage_error(tmp_path):
    path = write_jsonl(tmp_path / "d.jsonl", [{"y": 1, "p": 0.5}])
    proc = mqmon(path, tmp_path / "o", "BinaryClassification", "--dataset-format", JSONL,
                 "--ground-truth-attribute", "$.y[", "--probability-attribute", "p", check=False)
    assert proc.returncode == 2
    assert "JSONPath '$.y[': expected an array index or a quoted name at position 5" in proc.stderr
