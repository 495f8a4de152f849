"""The mistakes a new user makes in a first hour, one row each, across the CLI, the SDK classes and
the in-memory API: each must fail with the documented exit code or exception type and a message that
names the fix (the column, the option, the suggestion). No mistake may give a number."""
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import MQMON, run_mqmon

PYTHON_DIR = Path(os.environ.get("MQMON_PYTHON_DIR", Path(MQMON).parent / "python"))
sys.path.insert(0, str(PYTHON_DIR))
import mqmon  # noqa: E402

USAGE, BAD_DATA, IO, NO_DATA = 2, 3, 4, 6
ROWS = [(1, 1, 0.9), (0, 0, 0.2), (1, 0, 0.4), (0, 1, 0.3), (1, 1, 0.8), (0, 0, 0.1)]
FRAME = pd.DataFrame(ROWS, columns=["label", "prediction", "probability"])
CSV = "label,prediction,probability\n" + "".join(f"{a},{b},{c}\n" for a, b, c in ROWS)

MISTAKES = []


def mistake(expect, *words):
    """Registers a mistake: `expect` an exit code (CLI) or an exception type (Python); `words` must
    all appear in the message."""
    def register(func):
        MISTAKES.append(pytest.param(func, expect, words, id=func.__name__))
        return func
    return register


def cli(tmp_path, *args):
    return run_mqmon(list(args), check=False, cwd=tmp_path)


def csv_file(tmp_path, text=CSV, name="data.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def baseline_args(tmp_path, data, *extra):
    return ["suggest-baseline", "--baseline-dataset", data, "--problem-type", "BinaryClassification",
            "--ground-truth-attribute", "label", "--inference-attribute", "prediction",
            "--probability-attribute", "probability", "--output", tmp_path / "out", *extra]


def sdk_baseline(tmp_path, data=None, **kw):
    args = dict(baseline_dataset=str(data or csv_file(tmp_path)), dataset_format=mqmon.DatasetFormat.csv(),
                problem_type="BinaryClassification", inference_attribute="prediction",
                probability_attribute="probability", ground_truth_attribute="label",
                output_s3_uri=str(tmp_path / "out"))
    args.update(kw)
    return mqmon.ModelQualityMonitor(role="r").suggest_baseline(**args)


# 1. Python never guesses a column.

@mistake(mqmon.ConfigError, "inference attribute 'predicted'", "did you mean 'prediction'?",
         "'label', 'prediction', 'probability'", "inference_attribute=None")
def memory_misspelt_inference_column(tmp_path):
    mqmon.compute_statistics("BinaryClassification", data=FRAME, inference_attribute="predicted")


@mistake(mqmon.ConfigError, "probability attribute 'probabilty'", "did you mean 'probability'?")
def memory_misspelt_probability_column(tmp_path):
    mqmon.compute_statistics("BinaryClassification", data=FRAME, probability_attribute="probabilty")


@mistake(mqmon.ConfigError, "ground truth attribute 'truth' is not a column",
         "the columns are: 'label', 'prediction', 'probability'")
def memory_missing_ground_truth_column(tmp_path):
    mqmon.compute_statistics("BinaryClassification", data=FRAME, ground_truth_attribute="truth")


@mistake(mqmon.ConfigError, "probability attribute 'probability' is not a column",
         "probability_attribute=None")
def memory_default_attribute_absent(tmp_path):
    mqmon.compute_statistics("BinaryClassification", data=FRAME[["label", "prediction"]])


@mistake(mqmon.ConfigError, "MulticlassClassification in memory reads no probability")
def memory_probability_for_multiclass(tmp_path):
    mqmon.compute_statistics("MulticlassClassification", [0, 1, 2], [0, 1, 1], [0.2, 0.9, 0.4])


# 2. No unknown keyword is swallowed.

@mistake(TypeError, "suggest_baseline() got an unexpected keyword argument 'window_sise'",
         "did you mean 'window_size'?")
def sdk_misspelt_mqmon_option(tmp_path):
    sdk_baseline(tmp_path, window_sise=100, foo=1)


@mistake(TypeError, "unexpected keyword argument 'foo'")
def sdk_unknown_keyword(tmp_path):
    sdk_baseline(tmp_path, foo=1)


@mistake(TypeError, "run_monitoring() got an unexpected keyword argument 'constraint'",
         "did you mean 'constraints'?")
def sdk_misspelt_monitoring_argument(tmp_path):
    mqmon.ModelQualityMonitor(role="r").run_monitoring(constraint="c.json", problem_type="Regression")


@mistake(TypeError, "ModelQualityMonitor() got an unexpected keyword argument 'instance_typ'",
         "did you mean 'instance_type'?")
def sdk_misspelt_constructor_argument(tmp_path):
    mqmon.ModelQualityMonitor(role="r", instance_typ="ml.m5.xlarge")


@mistake(TypeError, "compute_statistics() got an unexpected keyword argument 'probability_threshold'",
         "did you mean 'probability_threshold_attribute'?")
def memory_unknown_keyword(tmp_path):
    mqmon.compute_statistics("BinaryClassification", data=FRAME, probability_threshold=0.3)


@mistake(TypeError, "monitor() got an unexpected option 'max_lookbak'", "did you mean 'max_lookback'?")
def engine_option_dictionary(tmp_path):
    mqmon._mqmon.monitor({"max_lookbak": 5})


# 3. CLI mistakes get one form and a suggestion.

BASELINE_USAGE = "usage: mqmon suggest-baseline --baseline-dataset PATH"


@mistake(USAGE, "unknown option --ouput (did you mean --output?)", BASELINE_USAGE)
def cli_misspelt_required_option(tmp_path):
    return cli(tmp_path, "suggest-baseline", "--baseline-dataset", "d.csv", "--problem-type", "Regression",
               "--ouput", "x")


@mistake(USAGE, "unknown option --aplha (did you mean --alpha?)", BASELINE_USAGE)
def cli_swapped_letters(tmp_path):
    return cli(tmp_path, *baseline_args(tmp_path, "d.csv", "--aplha", "0.05"))


@mistake(USAGE, "unknown option --window-size (--window-size is an option of mqmon suggest-baseline)",
         "usage: mqmon monitor")
def cli_option_of_another_command(tmp_path):
    return cli(tmp_path, "monitor", "--dataset", "d.csv", "--constraints", "c.json", "--problem-type",
               "Regression", "--output", "x", "--window-size", "100")


@mistake(USAGE, "unknown command 'sugest-baseline' (did you mean suggest-baseline?)", "usage: mqmon")
def cli_misspelt_command(tmp_path):
    return cli(tmp_path, "sugest-baseline", "--baseline-dataset", "d.csv")


@mistake(USAGE, "--alpha: 'five' is not a valid value", BASELINE_USAGE, "mqmon suggest-baseline --help")
def cli_value_of_the_wrong_type(tmp_path):
    return cli(tmp_path, *baseline_args(tmp_path, "d.csv", "--alpha", "five"))


@mistake(USAGE, "--probability-attribute is given more than once", BASELINE_USAGE)
def cli_option_given_twice(tmp_path):
    return cli(tmp_path, *baseline_args(tmp_path, "d.csv", "--probability-attribute", "p"))


@mistake(USAGE, "--output is required", BASELINE_USAGE)
def cli_missing_required_option(tmp_path):
    return cli(tmp_path, "suggest-baseline", "--baseline-dataset", "d.csv", "--problem-type", "Regression")


@mistake(USAGE, "problem type 'Binary' is not one of BinaryClassification, MulticlassClassification, Regression",
         "(did you mean BinaryClassification?)")
def cli_short_problem_type(tmp_path):
    return cli(tmp_path, "suggest-baseline", "--baseline-dataset", csv_file(tmp_path), "--problem-type", "Binary",
               "--ground-truth-attribute", "label", "--inference-attribute", "prediction", "--output", "out")


@mistake(mqmon.ConfigError, "problem type 'Binary' is not one of", "(did you mean BinaryClassification?)")
def memory_short_problem_type(tmp_path):
    mqmon.compute_statistics("Binary", [0, 1], [0, 1])


@mistake(mqmon.ConfigError, "label type 'nmber' is not one of auto, string, number (did you mean number?)")
def sdk_misspelt_label_type(tmp_path):
    sdk_baseline(tmp_path, label_type="nmber")


@mistake(USAGE, "threshold method 'windows' is not one of window, baseline (did you mean window?)")
def cli_misspelt_threshold_method(tmp_path):
    return cli(tmp_path, *baseline_args(tmp_path, csv_file(tmp_path), "--threshold-method", "windows"))


# 4. The CSV record with an extra field.

@mistake(BAD_DATA, "data.csv:4: the record has 4 fields, the header has 3", "unquoted comma", "quote it")
def cli_csv_record_with_extra_field(tmp_path):
    return cli(tmp_path, *baseline_args(tmp_path, csv_file(tmp_path, CSV.replace("1,0,0.4", "1,0,0,4"))))


@mistake(mqmon.ParseError, "data.csv:4: the record has 4 fields, the header has 3")
def sdk_csv_record_with_extra_field(tmp_path):
    sdk_baseline(tmp_path, csv_file(tmp_path, CSV.replace("1,0,0.4", "1,0,0,4")))


# 4. Errors that point at the fix.

YES_NO = CSV.replace("1,", "yes,").replace("0,", "no,")


@mistake(BAD_DATA, "the labels are 'yes', 'no', and none is the positive label '1'", "--positive-label yes")
def cli_yes_no_labels(tmp_path):
    return cli(tmp_path, *baseline_args(tmp_path, csv_file(tmp_path, YES_NO)))


@mistake(mqmon.ParseError, "none is the positive label '1'", 'positive_label="yes"')
def sdk_yes_no_labels(tmp_path):
    sdk_baseline(tmp_path, csv_file(tmp_path, YES_NO))


@mistake(mqmon.ParseError, "<arrays>:2: (attribute 'label') label 'no' is a second label",
         "the labels are 'yes', 'no'", 'positive_label="yes"')
def memory_yes_no_labels(tmp_path):
    mqmon.compute_statistics("BinaryClassification", ["yes", "no", "yes"], ["yes", "yes", "no"])


@mistake(BAD_DATA, "data.csv:3: column 3 (attribute 'probability') probability outside [0, 1]",
         "--unbounded-scores", "'1.7'")
def cli_logit_as_probability(tmp_path):
    return cli(tmp_path, *baseline_args(tmp_path, csv_file(tmp_path, CSV.replace("0.2", "1.7"))))


@mistake(mqmon.ParseError, "<arrays>:4: (attribute 'probability') probability outside [0, 1]",
         "unbounded_scores=True", "'-0.3'")
def memory_logit_as_probability(tmp_path):
    mqmon.compute_statistics("BinaryClassification", data=FRAME.assign(probability=[0.9, 0.2, 0.4, -0.3, 0.8, 0.1]))


@mistake(mqmon.ParseError, "<arrays>:3: (attribute 'probability') not a number: 'n/a'")
def memory_text_in_a_numeric_column(tmp_path):
    mqmon.compute_statistics("BinaryClassification", [1, 0, 1], [1, 0, 1], ["0.9", "0.1", "n/a"])


@mistake(mqmon.ParseError, "<arrays>:2: (attribute 'y') not a number: 'twelve'")
def memory_text_in_a_regression_column(tmp_path):
    mqmon.compute_statistics("Regression", data={"y": [1.0, "twelve"], "y_hat": [1.0, 2.0]},
                             ground_truth_attribute="y", inference_attribute="y_hat")


@mistake(NO_DATA, "the dataset has no rows to evaluate", "empty.csv' holds no records")
def cli_header_only_file(tmp_path):
    return cli(tmp_path, *baseline_args(tmp_path, csv_file(tmp_path, CSV.splitlines()[0] + "\n", "empty.csv")))


@mistake(NO_DATA, "the dataset has no rows to evaluate", "the 2 files of", "hold no records")
def cli_folder_of_empty_files(tmp_path):
    (tmp_path / "d").mkdir()
    csv_file(tmp_path / "d", "", "a.csv")
    csv_file(tmp_path / "d", "\n", "b.csv")
    return cli(tmp_path, *baseline_args(tmp_path, tmp_path / "d"))


@mistake(BAD_DATA, "data.json:1: this is a JSON array, not JSON Lines", "jq -c '.[]'")
def cli_json_array_as_json_lines(tmp_path):
    data = csv_file(tmp_path, '[{"label": 1, "prediction": 1, "probability": 0.9},\n'
                              ' {"label": 0, "prediction": 0, "probability": 0.1}]\n', "data.json")
    return cli(tmp_path, *baseline_args(tmp_path, data, "--dataset-format", '{"json": {"lines": true}}'))


# 5. monitor fails the same way whatever failed: execution.json with the reason, one exception type.

def monitor_args(tmp_path, constraints, *extra):
    return ["monitor", "--dataset", csv_file(tmp_path), "--problem-type", "BinaryClassification",
            "--ground-truth-attribute", "label", "--inference-attribute", "prediction",
            "--constraints", constraints, "--output", tmp_path / "exec", *extra]


def failed_execution(tmp_path, run):
    """The run's execution.json says Failed with the message the CLI printed, and nothing else is left."""
    import json
    assert sorted(p.name for p in (tmp_path / "exec").iterdir()) == ["execution.json", "report.html"], run.stderr
    execution = json.loads((tmp_path / "exec" / "execution.json").read_text())
    assert execution["status"] == "Failed" and execution["failure_reason"] in run.stderr, (execution, run.stderr)
    return run


@mistake(IO, "Failed: cannot read the constraints", "constraints.json': No such file or directory")
def cli_monitor_missing_constraints(tmp_path):
    return failed_execution(tmp_path, cli(tmp_path, *monitor_args(tmp_path, tmp_path / "constraints.json")))


@mistake(USAGE, "constraints.json")
def cli_monitor_malformed_constraints(tmp_path):
    path = csv_file(tmp_path, '{"version": 0.0, "binary_classification_constraints": {', "constraints.json")
    return failed_execution(tmp_path, cli(tmp_path, *monitor_args(tmp_path, path)))


@mistake(USAGE, "holds Regression constraints, but the problem type is BinaryClassification")
def cli_monitor_constraints_of_another_problem(tmp_path):
    path = csv_file(tmp_path, '{"version": 0.0, "regression_constraints": {"mae": '
                              '{"threshold": 1, "comparison_operator": "GreaterThanThreshold"}}}', "constraints.json")
    return failed_execution(tmp_path, cli(tmp_path, *monitor_args(tmp_path, path)))


@mistake(mqmon.IoError, "cannot read the constraints", "constraints.json': No such file or directory")
def sdk_monitor_missing_constraints(tmp_path):
    monitor = mqmon.ModelQualityMonitor(role="r")
    try:
        monitor.run_monitoring(str(tmp_path / "constraints.json"), "BinaryClassification", dataset=str(csv_file(tmp_path)),
                               inference_attribute="prediction", ground_truth_attribute="label",
                               output_s3_uri=str(tmp_path / "exec"))
    except mqmon.Error as e:
        assert e.exit_code == IO and e.reason == str(e)
        assert e.execution.describe()["MonitoringExecutionStatus"] == "Failed"
        assert monitor.list_executions() == [e.execution]
        raise


@mistake(mqmon.ParseError, "data.csv:3: column 3 (attribute 'probability') not a finite number: 'x'")
def sdk_monitor_bad_record(tmp_path):
    constraints = csv_file(tmp_path, '{"version": 0.0, "binary_classification_constraints": {}}', "c.json")
    try:
        mqmon.ModelQualityMonitor(role="r").run_monitoring(
            str(constraints), "BinaryClassification", dataset=str(csv_file(tmp_path, CSV.replace("0.2", "x"))),
            probability_attribute="probability", ground_truth_attribute="label", output_s3_uri=str(tmp_path / "exec"))
    except mqmon.Error as e:
        assert e.exit_code == BAD_DATA and e.execution.describe()["FailureReason"] == e.reason
        raise


# 6. Recorded facts are true: offsets and lengths in one spelling.

@mistake(USAGE, "--start-time-offset PT1H and --end-time-offset -PT0H give the window "
                "2024-05-01T12:00:00Z to 2024-05-01T11:00:00Z", "carries a minus sign (-PT1H)")
def cli_offset_without_its_sign(tmp_path):
    return cli(tmp_path, "monitor", "--capture", "c", "--ground-truth", "g", "--problem-type", "Regression",
               "--inference-attribute", "0", "--constraints", "c.json", "--output", "out",
               "--scheduled-time", "2024-05-01T11:00:00Z", "--start-time-offset", "PT1H")


# 8. The interpreter first on PATH is not Debian's.

@mistake(ImportError, "mqmon needs NumPy", "/usr/bin/python3", "--system-site-packages")
def python_without_numpy(tmp_path):
    # -S: no site packages, as a pyenv or conda interpreter without NumPy would be.
    run = subprocess.run(["/usr/bin/python3", "-S", "-c", "import mqmon"], capture_output=True, text=True,
                         env={"PYTHONPATH": str(PYTHON_DIR)})
    raise ImportError(run.stderr.strip().splitlines()[-1])


def test_there_are_thirty_mistakes_or_more():
    assert len(MISTAKES) >= 30


@pytest.mark.parametrize("action, expect, words", MISTAKES)
def test_a_mistake_names_its_fix(tmp_path, action, expect, words):
    if isinstance(expect, int):
        run = action(tmp_path)
        assert run.returncode == expect, run.stderr
        assert run.stderr.startswith("mqmon: error: "), run.stderr
        message = run.stderr
    else:
        with pytest.raises(expect) as caught:
            action(tmp_path)
        message = str(caught.value)
    for w in words:
        assert w in message, message
    # A failed job leaves no output behind.
    assert not (tmp_path / "out").exists()


def test_deliberately_absent_attributes_are_none():
    """The right column gives the right number, and None opts out of a column."""
    both = mqmon.compute_statistics("BinaryClassification", data=FRAME)["binary_classification_metrics"]
    assert both["accuracy"]["value"] == 4 / 6
    # Without the prediction column the prediction comes from the probability (>= 0.5).
    probs = mqmon.compute_statistics("BinaryClassification", data=FRAME[["label", "probability"]],
                                     inference_attribute=None)["binary_classification_metrics"]
    assert probs["accuracy"]["value"] == 5 / 6
    labels = mqmon.compute_statistics("BinaryClassification", data=FRAME[["label", "prediction"]],
                                      probability_attribute=None)["binary_classification_metrics"]
    assert labels["accuracy"]["value"] == 4 / 6
    # Regression reads no probability column, so its default need not exist.
    reg = mqmon.compute_statistics("Regression", data=FRAME[["label", "prediction"]].astype(float))
    assert reg["regression_metrics"]["mae"]["value"] == 2 / 6


def test_out_of_range_probabilities_are_bad_records_or_declared_scores(tmp_path):
    """A logit column is counted under --max-bad-rows, and --unbounded-scores reads it as a score:
    auc from logits equals scikit-learn's."""
    from sklearn.metrics import roc_auc_score
    logits = [2.1, -1.4, -0.3, 1.2, 1.1, -2.5]
    text = "label,prediction,probability\n" + "".join(
        f"{a},{b},{c}\n" for (a, b, _), c in zip(ROWS, logits))
    data = csv_file(tmp_path, text)
    run = cli(tmp_path, *baseline_args(tmp_path, data, "--max-bad-rows", "10"))
    assert run.returncode == BAD_DATA and "6 records, all bad and skipped" in run.stderr, run.stderr
    run = cli(tmp_path, *baseline_args(tmp_path, data, "--unbounded-scores"))
    assert run.returncode == 0, run.stderr
    import json
    stats = json.loads((tmp_path / "out" / "statistics.json").read_text())["binary_classification_metrics"]
    assert stats["auc"]["value"] == pytest.approx(roc_auc_score([r[0] for r in ROWS], logits), rel=1e-12)


def test_a_dataset_run_records_its_dataset_not_a_made_up_window(tmp_path):
    import json
    constraints = csv_file(tmp_path, '{"version": 0.0, "binary_classification_constraints": {}}', "c.json")
    run = cli(tmp_path, "monitor", "--dataset", csv_file(tmp_path), "--problem-type", "BinaryClassification",
              "--ground-truth-attribute", "label", "--inference-attribute", "prediction",
              "--constraints", constraints, "--output", tmp_path / "exec")
    assert run.returncode == 0, run.stderr
    execution = json.loads((tmp_path / "exec" / "execution.json").read_text())
    assert execution["dataset"] == str(csv_file(tmp_path)) and execution["item_count"] == 6
    assert "start_time" not in execution and "end_time" not in execution
    # A scheduled time places the same dataset in a window.
    run = cli(tmp_path, "monitor", "--dataset", csv_file(tmp_path), "--problem-type", "BinaryClassification",
              "--ground-truth-attribute", "label", "--inference-attribute", "prediction",
              "--constraints", constraints, "--output", tmp_path / "exec2", "--scheduled-time", "2024-05-01T11:00:00Z")
    execution = json.loads((tmp_path / "exec2" / "execution.json").read_text())
    assert (execution["start_time"], execution["end_time"]) == ("2024-05-01T10:00:00Z", "2024-05-01T11:00:00Z")
    # The Python API the same.
    mqmon.ModelQualityMonitor(role="r").run_monitoring(
        str(constraints), "BinaryClassification", dataset=str(csv_file(tmp_path)), inference_attribute="prediction",
        ground_truth_attribute="label", output_s3_uri=str(tmp_path / "exec3"))
    execution = json.loads((tmp_path / "exec3" / "execution.json").read_text())
    assert "start_time" not in execution and execution["dataset"] == str(csv_file(tmp_path))
