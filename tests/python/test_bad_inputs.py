"""The bad-input corpus: each case is a malformed file or option a user meets, and asserts the exact
message (file, line or record, attribute, value), the exit code, and that no output was left
(a monitoring execution that fails leaves only its execution.json, which says why). Runs on the
sanitizer build too."""
import gzip
import json
import os

import pytest

from conftest import run_mqmon

B = ["--problem-type", "BinaryClassification", "--ground-truth-attribute", "label", "--inference-attribute", "prediction", "--probability-attribute", "probability"]
R = ["--problem-type", "Regression", "--ground-truth-attribute", "label", "--inference-attribute", "prediction"]
JL = ["--dataset-format", '{"json": {"lines": true}}']
CAP = ["--dataset-format", '{"sagemakerCaptureJson": {}}']
H = "label,prediction,probability\n"
def cap(i, out, truth='1', enc="CSV"):
    r = {"captureData": {"endpointInput": {"data": "1,2", "encoding": "CSV"}, "endpointOutput": {"data": out, "encoding": enc}},
         "eventMetadata": {"eventId": f"e{i}", "inferenceTime": "2024-05-01T10:00:00Z"}, "eventVersion": "0"}
    if truth is not None:
        r["groundTruthData"] = {"data": truth, "encoding": "CSV"}
    return json.dumps(r)
GOOD = H + "".join(f"{i % 2},{i % 2},0.{i % 9}5\n" for i in range(300))
# id: (files {relative: text|bytes|special}, command, args, code)
CASES = {
 "csv_empty_file": ({"d.csv": ""}, "baseline", B, 6),
 "csv_header_only": ({"d.csv": H + "\n\n"}, "baseline", B, 6),
 "csv_duplicate_header": ({"d.csv": "label,prediction,label,probability\n1,1,1,0.5\n"}, "baseline", B, 2),
 "csv_unknown_attribute": ({"d.csv": "y,prediction,probability\n1,1,0.5\n"}, "baseline", B, 2),
 "csv_probability_not_a_number": ({"d.csv": H + "1,1,0.5\n0,0,n/a\n"}, "baseline", B, 3),
 "csv_probability_out_of_range": ({"d.csv": H + "1,1,0.5\n0,0,1.5\n"}, "baseline", B, 3),
 "csv_probability_nan": ({"d.csv": H + "1,1,0.5\n0,0,nan\n"}, "baseline", B, 3),
 "csv_extra_field": ({"d.csv": H + "1,1,0.5\n0,0,0.25,oops\n"}, "baseline", B, 3),
 "csv_missing_field": ({"d.csv": H + "1,1,0.5\n0,0\n"}, "baseline", B, 3),
 "csv_unclosed_quote": ({"d.csv": H + "1,1,0.5\n0,\"0,0.25\n"}, "baseline", B, 3),
 "csv_labels_are_probabilities": ({"d.csv": H + "0.73,1,0.5\n0.21,0,0.1\n0.9,1,0.8\n"}, "baseline", B, 3),
 "csv_third_label": ({"d.csv": H + "1,1,0.5\n0,0,0.1\n2,1,0.7\n"}, "baseline", B, 3),
 "csv_no_positive_label": ({"d.csv": H.replace("label", "label") + "yes,yes,0.5\nno,no,0.1\n"}, "baseline", B, 3),
 "csv_empty_label": ({"d.csv": H + "1,1,0.5\n,0,0.1\n"}, "baseline", B, 3),
 "csv_gigabyte_line": ({"d.csv": ("sparse", 1 << 30)}, "baseline", B, 3),
 "csv_no_header_named_attribute": ({"d.csv": "1,1,0.5\n"}, "baseline", B + ["--no-header"], 2),
 "csv_too_many_bad_rows": ({"d.csv": H + "1,1,0.5\n0,0,x\n1,1,y\n"}, "baseline", B + ["--max-bad-rows", "1"], 3),
 "regression_truth_not_a_number": ({"d.csv": "label,prediction\n1.5,1.25\nabc,2\n"}, "baseline", R, 3),
 "regression_infinite_prediction": ({"d.csv": "label,prediction\n1.5,1.25\n2,inf\n"}, "baseline", R, 3),
 "gzip_truncated": ({"d.csv.gz": ("gzip_truncated", GOOD)}, "baseline", B, 4),
 "dir_with_fifo": ({"data/a.csv": GOOD, "data/pipe": ("fifo",)}, "baseline_dir", B, 4),
 "dir_with_broken_symlink": ({"data/a.csv": GOOD, "data/link": ("symlink", "missing.csv")}, "baseline_dir", B, 4),
 "dataset_missing": ({}, "baseline", B, 4),
 "dir_empty": ({"data/": ("dir",)}, "baseline_dir", B, 4),
 "jsonl_invalid_json": ({"d.jsonl": '{"label": 1, "prediction": 1, "probability": 0.5}\n{"label": 0, "prediction": 0, "probability": }\n'}, "baseline", B + JL, 3),
 "jsonl_array_file": ({"d.jsonl": '[{"label": 1, "prediction": 1, "probability": 0.5}]\n'}, "baseline", B + JL, 3),
 "jsonl_path_not_found": ({"d.jsonl": '{"label": 1, "prediction": 1, "probability": 0.5}\n{"label": 0, "prediction": 0}\n'}, "baseline", B + JL, 3),
 "jsonl_malformed_path": ({"d.jsonl": '{"label": 1, "prediction": 1, "probability": 0.5}\n'}, "baseline", ["--problem-type", "BinaryClassification", "--ground-truth-attribute", "$.label[", "--inference-attribute", "prediction"] + JL, 2),
 "jsonl_object_for_number": ({"d.jsonl": '{"label": 1, "prediction": 1, "probability": {"p": 0.5}}\n'}, "baseline", B + JL, 3),
 "jsonl_array_index_out_of_range": ({"d.jsonl": '{"label": 1, "scores": [0.5]}\n'}, "baseline", ["--problem-type", "BinaryClassification", "--ground-truth-attribute", "label", "--probability-attribute", "scores"] + JL, 3),
 "capture_no_endpoint_output": ({"c.jsonl": json.dumps({"captureData": {"endpointInput": {"data": "1", "encoding": "CSV"}}, "groundTruthData": {"data": "1", "encoding": "CSV"}, "eventMetadata": {"eventId": "e0"}}) + "\n"}, "baseline", ["--problem-type", "BinaryClassification", "--probability-attribute", "0"] + CAP, 3),
 "capture_bad_base64": ({"c.jsonl": cap(0, "!!not base64!!", enc="BASE64") + "\n"}, "baseline", ["--problem-type", "BinaryClassification", "--probability-attribute", "0"] + CAP, 3),
 "capture_payload_field_missing": ({"c.jsonl": cap(0, "0.7") + "\n"}, "baseline", ["--problem-type", "BinaryClassification", "--probability-attribute", "0", "--inference-attribute", "3"] + CAP, 3),
 "ground_truth_invalid_json": ({"cap/2024/05/01/10/c.jsonl": cap(0, "0.7", truth=None) + "\n", "gt/2024/05/01/11/g.jsonl": '{"groundTruthData": {"data": "1", "encoding": "CSV"}, "eventMetadata": {"eventId": "e0"}, "eventVersion": "0"}\n{"groundTruthData": \n'}, "monitor_capture", ["--problem-type", "BinaryClassification", "--probability-attribute", "0"], 3),
 "ground_truth_none_in_window": ({"cap/2024/05/01/10/c.jsonl": cap(0, "0.7", truth=None) + "\n", "gt/2024/05/01/11/g.jsonl": '{"groundTruthData": {"data": "1", "encoding": "CSV"}, "eventMetadata": {"eventId": "other"}, "eventVersion": "0"}\n'}, "monitor_capture", ["--problem-type", "BinaryClassification", "--probability-attribute", "0"], 6),
 "constraints_unknown_metric": ({"c.json": ("constraints", {"f7": {"threshold": 0.5, "comparison_operator": "LessThanThreshold"}})}, "monitor", B, 2),
 "constraints_string_threshold": ({"c.json": ("constraints", {"f1": {"threshold": "high", "comparison_operator": "LessThanThreshold"}})}, "monitor", B, 2),
 "constraints_duplicate_key": ({"c.json": ('{"version": 0.0, "binary_classification_constraints": {"f1": {"threshold": 0.5, "comparison_operator": "LessThanThreshold"}, "f1": {"threshold": 0.1, "comparison_operator": "LessThanThreshold"}}}',)}, "monitor", B, 2),
 "constraints_number_overflow": ({"c.json": ('{"version": 0.0, "binary_classification_constraints": {"f1": {"threshold": 1e999, "comparison_operator": "LessThanThreshold"}}}',)}, "monitor", B, 2),
 "constraints_other_problem_type": ({"c.json": ('{"version": 0.0, "regression_constraints": {"mae": {"threshold": 1, "comparison_operator": "GreaterThanThreshold"}}}',)}, "monitor", B, 2),
 "constraints_missing_operator": ({"c.json": ("constraints", {"f1": {"threshold": 0.5}})}, "monitor", B, 2),
 "constraints_unknown_operator": ({"c.json": ("constraints", {"f1": {"threshold": 0.5, "comparison_operator": "LessThanThreshhold"}})}, "monitor", B, 2),
 "constraints_not_json": ({"c.json": ("{not json",)}, "monitor", B, 2),
 "option_dataset_format_not_json": ({"d.csv": GOOD}, "baseline", B + ["--dataset-format", "{csv"], 2),
 "option_dataset_format_unknown": ({"d.csv": GOOD}, "baseline", B + ["--dataset-format", '{"cvs": {}}'], 2),
 "option_max_bad_rows": ({"d.csv": GOOD}, "baseline", B + ["--max-bad-rows", "many"], 2),
 "option_label_type": ({"d.csv": GOOD}, "baseline", B + ["--label-type", "numbr"], 2),
 "option_problem_type": ({"d.csv": GOOD}, "baseline", ["--problem-type", "BinaryClasification", "--ground-truth-attribute", "label", "--inference-attribute", "prediction"], 2),
 "option_duration_overflow": ({"d.csv": GOOD, "c.json": ("constraints", {})}, "monitor_window", B + ["--scheduled-time", "2024-05-01T12:00:00Z", "--start-time-offset", "-PT99999999999H"], 2),
 "option_bad_timestamp": ({"d.csv": GOOD, "c.json": ("constraints", {})}, "monitor_window", B + ["--scheduled-time", "2024-13-01T00:00:00Z"], 2),
 "option_shard": ({"d.csv": GOOD}, "partial", B + ["--shard", "5/3"], 2),
}


def materialize(root, files):
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            path.write_text(content)
        elif content[0] == "sparse":  # a line of NUL bytes that never ends, without using the disk
            with open(path, "wb") as f:
                f.truncate(content[1])
        elif content[0] == "gzip_truncated":
            data = gzip.compress(content[1].encode())
            path.write_bytes(data[: len(data) // 2])
        elif content[0] == "fifo":
            os.mkfifo(path)
        elif content[0] == "symlink":
            os.symlink(root / content[1], path)
        elif content[0] == "dir":
            path.mkdir(exist_ok=True)
        elif content[0] == "constraints":
            path.write_text(json.dumps({"version": 0.0, "binary_classification_constraints": content[1]}))
        else:
            path.write_text(content[0])


def command(kind, d, args):
    out = d / "out"
    dataset = d / "data" if kind == "baseline_dir" else next(
        (d / n for n in ("d.csv", "d.csv.gz", "d.jsonl", "c.jsonl") if (d / n).exists()), d / "d.csv")
    if kind in ("baseline", "baseline_dir"):
        return ["suggest-baseline", "--baseline-dataset", dataset, *args, "--output", out]
    if kind == "partial":
        return ["partial", "--baseline-dataset", dataset, *args, "--output", d / "p.mqp"]
    if kind == "monitor_capture":
        return ["monitor", "--capture", d / "cap", "--ground-truth", d / "gt", "--start", "2024-05-01T10:00:00Z",
                "--end", "2024-05-01T11:00:00Z", "--execution-time", "2024-05-01T12:00:00Z", *args,
                "--constraints", d / "c.json", "--output", out]
    if kind == "monitor_window":
        return ["monitor", "--dataset", dataset, *args, "--constraints", d / "c.json", "--output", out]
    return ["monitor", "--dataset", d / "d.csv", *args, "--constraints", d / "c.json", "--output", out]


def run_case(tmp_path, case):
    files, kind, args, _ = CASES[case]
    d = tmp_path / "case"
    d.mkdir()
    files = dict(files)
    if kind.startswith("monitor"):
        files.setdefault("d.csv", GOOD)
        files.setdefault("c.json", ("constraints", {"f1": {"threshold": 0.1, "comparison_operator": "LessThanThreshold"}}))
    materialize(d, files)
    r = run_mqmon(command(kind, d, args), check=False)
    lines = [line for line in r.stderr.splitlines() if line.startswith("mqmon: error: ")]
    message = lines[0][len("mqmon: error: "):] if lines else r.stderr
    return r, message.replace(str(d), "{d}"), d


# The messages, as reviewed: each names the file and line (or the option), the attribute and the value.
EXPECTED = {
    'csv_empty_file':
        "the dataset has no rows to evaluate: '{d}/d.csv' holds no records (a header and blank lines at most)",
    'csv_header_only':
        "the dataset has no rows to evaluate: '{d}/d.csv' holds no records (a header and blank lines at most)",
    'csv_duplicate_header':
        "{d}/d.csv:1: the header names column 'label' twice, as columns 1 and 3; rename one of them",
    'csv_unknown_attribute':
        "{d}/d.csv:1: ground truth attribute 'label' is not a column of the header; the columns are: 'y', 'prediction', 'probability'",
    'csv_probability_not_a_number':
        "{d}/d.csv:3: column 3 (attribute 'probability') not a finite number: 'n/a'",
    'csv_probability_out_of_range':
        "{d}/d.csv:3: column 3 (attribute 'probability') probability outside [0, 1] (a logit or another score? --unbounded-scores, in Python unbounded_scores=True, takes it as a score): '1.5'",
    'csv_probability_nan':
        "{d}/d.csv:3: column 3 (attribute 'probability') not a finite number: 'nan'",
    'csv_extra_field':
        "{d}/d.csv:3: the record has 4 fields, the header has 3 (a value with an unquoted comma? quote it); from field 4 on: 'oops'",
    'csv_missing_field':
        "{d}/d.csv:3: column 3 (attribute 'probability') missing value: the record has 2 fields, the header has 3: ''",
    'csv_unclosed_quote':
        '{d}/d.csv:3: column 2 (attribute \'prediction\') quoted field is not closed: \'"0,0.25\'',
    'csv_labels_are_probabilities':
        "{d}/d.csv:2: (attribute 'label') label '0.73' looks like a probability, not a class: the labels of a binary problem are classes (0/1, yes/no); is 'label' a column of scores? Give scores as --probability-attribute (Python: probability_attribute): '0.73'",
    'csv_third_label':
        "{d}/d.csv:4: (attribute 'label') label '2' is a third class: binary classification allows only the positive label '1' and one negative label, here '0' (first seen on line 3): '2'",
    'csv_no_positive_label':
        '{d}/d.csv:3: (attribute \'label\') label \'no\' is a second label: the labels are \'yes\', \'no\', and none is the positive label \'1\': name the positive class with --positive-label yes (Python: positive_label="yes"): \'no\'',
    'csv_empty_label':
        "{d}/d.csv:3: column 1 (attribute 'label') empty value: ''",
    'csv_gigabyte_line':
        "{d}/d.csv:1: a record longer than 256 MiB: no line break ends it (a binary file, or one JSON document over many lines?): '\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00'",
    'csv_no_header_named_attribute':
        'ground truth attribute \'label\' must be a 0-based column index ("0", "2", ...) because the CSV dataset has no header',
    'csv_too_many_bad_rows':
        "too many bad records (more than --max-bad-rows 1); the first: {d}/d.csv:3: column 3 (attribute 'probability') not a finite number: 'x'",
    'regression_truth_not_a_number':
        "{d}/d.csv:3: column 1 (attribute 'label') not a finite number: 'abc'",
    'regression_infinite_prediction':
        "{d}/d.csv:3: column 2 (attribute 'prediction') not a finite number: 'inf'",
    'gzip_truncated':
        "'{d}/d.csv.gz': gzip stream is truncated",
    'dir_with_fifo':
        "dataset directory '{d}/data' holds '{d}/data/pipe', which is not a regular file (a FIFO): a dataset holds data files only",
    'dir_with_broken_symlink':
        "dataset directory '{d}/data' holds '{d}/data/link', a broken symbolic link (to '{d}/missing.csv'): remove it, or restore what it points to",
    'dataset_missing':
        "dataset '{d}/d.csv' does not exist",
    'dir_empty':
        "dataset directory '{d}/data' holds no file",
    'jsonl_invalid_json':
        '{d}/d.jsonl:2: invalid JSON (The JSON document has an improper structure: missing or superfluous commas, braces, missing keys, etc.): \'{"label": 0, "prediction": 0, "probability": }\'',
    'jsonl_array_file':
        '{d}/d.jsonl:1: this is a JSON array, not JSON Lines (one object per line); convert the file with jq -c \'.[]\': \'[{"label": 1, "prediction": 1, "probability": 0.5}]\'',
    'jsonl_path_not_found':
        '{d}/d.jsonl:2: (attribute \'probability\') not found in the record: \'{"label": 0, "prediction": 0}\'',
    'jsonl_malformed_path':
        "JSONPath '$.label[': expected an array index or a quoted name at position 9 (supported: $.a.b, $.a[0], a.b, $['a b'])",
    'jsonl_object_for_number':
        "{d}/d.jsonl:1: (attribute 'probability') expected a number, found an object",
    'jsonl_array_index_out_of_range':
        "{d}/d.jsonl:1: (attribute 'scores') array of probabilities has 1 entries; the positive label's entry is 1",
    'capture_no_endpoint_output':
        '{d}/c.jsonl:1: not a data-capture record: no captureData.endpointOutput: \'{"captureData": {"endpointInput": {"data": "1", "encoding": "CSV"}}, "groundTrut...\'',
    'capture_bad_base64':
        '{d}/c.jsonl:1: the endpoint output holds invalid base64 data: \'{"captureData": {"endpointInput": {"data": "1,2", "encoding": "CSV"}, "endpointO...\'',
    'capture_payload_field_missing':
        '{d}/c.jsonl:1: (attribute \'3\') the CSV payload has 1 field: \'{"captureData": {"endpointInput": {"data": "1,2", "encoding": "CSV"}, "endpointO...\'',
    'ground_truth_invalid_json':
        'Failed: {d}/gt/2024/05/01/11/g.jsonl:2: invalid JSON (The JSON document has an improper structure: missing or superfluous commas, braces, missing keys, etc.): \'{"groundTruthData": \'',
    'ground_truth_none_in_window':
        "Failed: nothing merged: none of the window's 1 inferences has ground truth under '{d}/gt' (collected up to 2024-05-01T12:00:00Z)",
    'constraints_unknown_metric':
        "Failed: {d}/c.json: constraint 'f7' is not a BinaryClassification metric (did you mean 'f1'?)",
    'constraints_string_threshold':
        'Failed: {d}/c.json: constraint \'f1\': \'threshold\' must be a number, not "high"',
    'constraints_duplicate_key':
        "Failed: {d}/c.json: 'binary_classification_constraints' holds the key 'f1' twice; which one counts would be a guess: keep one",
    'constraints_number_overflow':
        "Failed: {d}/c.json: not valid JSON: [json.exception.out_of_range.406] number overflow parsing '1e999'",
    'constraints_other_problem_type':
        'Failed: {d}/c.json holds Regression constraints, but the problem type is BinaryClassification',
    'constraints_missing_operator':
        "Failed: {d}/c.json: constraint 'f1': missing 'comparison_operator'",
    'constraints_unknown_operator':
        "Failed: {d}/c.json: constraint 'f1': comparison_operator 'LessThanThreshhold' is not one of LessThanThreshold, LessThanOrEqualToThreshold, GreaterThanThreshold, GreaterThanOrEqualToThreshold (did you mean LessThanThreshold?)",
    'constraints_not_json':
        "Failed: {d}/c.json: not valid JSON: [json.exception.parse_error.101] parse error at line 1, column 3: syntax error while parsing object key - invalid literal; last read: '{no'; expected string literal",
    'option_dataset_format_not_json':
        "dataset format '{csv' is not valid JSON: [json.exception.parse_error.101] parse error at line 1, column 2: syntax error while parsing object key - invalid literal; last read: '{c'; expected string literal",
    'option_dataset_format_unknown':
        'dataset format \'{"cvs": {}}\': unknown format \'cvs\' (known: csv, json, sagemakerCaptureJson, parquet)',
    'option_max_bad_rows':
        "--max-bad-rows 'many' must be a count (100) or a percentage (0.5%)",
    'option_label_type':
        "label type 'numbr' is not one of auto, string, number (did you mean number?)",
    'option_problem_type':
        "problem type 'BinaryClasification' is not one of BinaryClassification, MulticlassClassification, Regression (did you mean BinaryClassification?)",
    'option_duration_overflow':
        "'-PT99999999999H' is not an ISO-8601 duration like -PT1H or -P1D: a number above 1000000000",
    'option_bad_timestamp':
        "'2024-13-01T00:00:00Z' is not a UTC timestamp like 2024-01-31T05:00:00Z",
    'option_shard':
        "--shard '5/3': i must be at least 0 and below N (0/3 .. 2/3)",
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_gets_its_located_message_and_leaves_no_output(tmp_path, case):
    r, message, d = run_case(tmp_path, case)
    assert r.returncode == CASES[case][3], r.stderr
    assert message == EXPECTED[case]
    out = d / "out"
    if CASES[case][1].startswith("monitor") and not case.startswith("option_"):
        # A failed execution is recorded, with its reason, and nothing else (a bad option stops
        # before there is an execution).
        assert sorted(p.name for p in out.iterdir()) == ["execution.json", "report.html"]
        execution = json.loads((out / "execution.json").read_text())
        assert execution["status"] == "Failed"
        assert message == "Failed: " + execution["failure_reason"].replace(str(d), "{d}")
    else:
        assert not out.exists() and not (d / "p.mqp").exists()
    assert not [p for p in d.rglob(".*.tmp-*")]  # no temporary left behind either


def test_the_corpus_is_large_enough():
    assert len(CASES) >= 40 and set(CASES) == set(EXPECTED)
