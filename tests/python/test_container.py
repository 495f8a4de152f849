"""The container mode: mqmon started as SageMaker Model Monitor's analyzer image, with the environment
the SageMaker Python SDK and the service give it, under a temporary /opt/ml (MQMON_OPT_ML_ROOT).

The environments are written out from the SDK's source (aws/sagemaker-python-sdk,
src/sagemaker/model_monitor/model_monitoring.py, commit 04071e2c):
- ModelQualityMonitor.suggest_baseline builds its job's environment with
  `self._generate_env_map(env=self.env, dataset_format=dataset_format,
  output_path=normalized_baseline_output.source, enable_cloudwatch_metrics=False,
  dataset_source_container_path=baseline_dataset_container_path,
  post_processor_script_container_path=..., analysis_type="MODEL_QUALITY", problem_type=...,
  inference_attribute=..., probability_attribute=..., ground_truth_attribute=...,
  probability_threshold_attribute=...)`, where the dataset goes to
  `/opt/ml/processing/input/baseline_dataset_input` ("dataset must be a directory"), the output
  is `/opt/ml/processing/output`, the post-analytics script
  `/opt/ml/processing/input/post_analytics_processor_script_input/<file>`, and
  `_generate_env_map` sets `env["dataset_format"] = json.dumps(dataset_format)`,
  `env["publish_cloudwatch_metrics"] = {True: "Enabled", False: "Disabled"}[...]` and each
  attribute only when it is not None.
- ModelQualityMonitor.create_monitoring_schedule(..., enable_cloudwatch_metrics=True) puts
  `self._generate_env_map(env=env, enable_cloudwatch_metrics=enable_cloudwatch_metrics)` in the job
  definition's Environment; the service adds at each execution what its container contract page
  documents (dataset_format, dataset_source, output_path, start_time, end_time,
  sagemaker_endpoint_name, sagemaker_monitoring_schedule_name, baseline_constraints, ...), and
  the problem type and attributes of the job definition under the variable names of the baseline.
"""
import json
import os
import shutil
import subprocess
from datetime import timedelta

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score, roc_auc_score

from conftest import MQMON, close, run_mqmon
from test_monitor import T0, T1, baseline_constraints, iso, world  # noqa: F401 (world is a fixture)

EVALUATION_TIME = "2024-06-01T00:00:00.000Z"


def container(env, check=False):
    """mqmon started as the image is: no arguments, the analyzer's environment."""
    clean = {"PATH": os.environ["PATH"], **{k: str(v) for k, v in env.items()}}
    return subprocess.run([str(MQMON)], env=clean, capture_output=True, text=True, check=check, timeout=300)


@pytest.fixture
def opt_ml(tmp_path):
    root = tmp_path / "opt" / "ml"
    (root / "processing" / "input" / "baseline_dataset_input").mkdir(parents=True)
    return root


def churn_dataset(folder, n=2000, seed=5):
    """The churn notebook's baseline layout: probability,prediction,label."""
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.3).astype(int)
    p = np.clip(rng.normal(0.3 + 0.45 * y, 0.2), 0.0001, 0.9999).round(6)
    pred = (p > 0.8).astype(int)
    (folder / "validation_with_predictions.csv").write_text(
        "probability,prediction,label\n" + "".join(f"{a},{b},{c}\n" for a, b, c in zip(p, pred, y)))
    return y, p, pred


def sdk_baseline_env(root, **extra):
    env = {
        "dataset_format": json.dumps({"csv": {"header": True, "output_columns_position": "START"}}),
        "dataset_source": root / "processing" / "input" / "baseline_dataset_input",
        "output_path": root / "processing" / "output",
        "publish_cloudwatch_metrics": "Disabled",
        "analysis_type": "MODEL_QUALITY",
        "problem_type": "BinaryClassification",
        "inference_attribute": "prediction",
        "probability_attribute": "probability",
        "ground_truth_attribute": "label",
        "MQMON_OPT_ML_ROOT": root,
        "MQMON_EVALUATION_TIME": EVALUATION_TIME,
    }
    env.update(extra)
    return env


@pytest.mark.parametrize("threshold", [None, "0.5", '"0.8"'])
def test_a_baseline_job_gives_the_command_lines_files(opt_ml, tmp_path, threshold):
    churn_dataset(opt_ml / "processing" / "input" / "baseline_dataset_input")
    extra = {} if threshold is None else {"probability_threshold_attribute": threshold}
    run = container(sdk_baseline_env(opt_ml, **extra))
    assert run.returncode == 0, run.stderr
    cli_out = tmp_path / "cli"
    threshold_args = [] if threshold is None else ["--probability-threshold-attribute", threshold.strip('"')]
    run_mqmon(["suggest-baseline", "--baseline-dataset", opt_ml / "processing" / "input" / "baseline_dataset_input",
               "--problem-type", "BinaryClassification", "--inference-attribute", "prediction",
               "--probability-attribute", "probability", "--ground-truth-attribute", "label", *threshold_args,
               "--output", cli_out, "--evaluation-time", EVALUATION_TIME])
    for name in ("statistics.json", "constraints.json"):
        assert (opt_ml / "processing" / "output" / name).read_bytes() == (cli_out / name).read_bytes(), name
    assert sorted(p.name for p in (opt_ml / "processing" / "output").iterdir()) == [
        "constraints.json", "report.html", "statistics.json"]
    assert not (opt_ml / "output" / "message").exists()


def test_values_that_start_with_a_dash_stay_values(world, tmp_path):
    """MQMON_MAX_LOOKBACK=-P7D (a lookback written with the offsets' sign) and an empty endpoint name:
    each reaches its option as a value."""
    root = tmp_path / "opt" / "ml"
    constraints = baseline_constraints(world["tmp"])
    env = scheduled_env(root, world, constraints, ground_truth_source=world["gt"], MQMON_MAX_LOOKBACK="-P7D")
    run = container(env)
    assert run.returncode == 0, run.stderr
    assert "--max-lookback=-P7D" in run.stderr
    assert (root / "processing" / "resultdata" / "statistics.json").exists()


def test_captured_data_without_its_ground_truth_folder_is_named(world, tmp_path):
    root = tmp_path / "opt" / "ml"  # no processing/groundtruth below it
    run = container(scheduled_env(root, world, baseline_constraints(world["tmp"])))
    assert run.returncode == 2
    words = (f"ground_truth_source '{root / 'processing' / 'groundtruth'}' does not exist (the default; set "
             "ground_truth_source to the ground truth's folder)")
    assert words in run.stderr and words in (root / "output" / "message").read_text()
    assert not (root / "processing" / "resultdata").exists()


def test_mqmon_no_report_leaves_the_report_out(opt_ml):
    churn_dataset(opt_ml / "processing" / "input" / "baseline_dataset_input")
    run = container(sdk_baseline_env(opt_ml, MQMON_NO_REPORT="true"))
    assert run.returncode == 0, run.stderr
    assert sorted(p.name for p in (opt_ml / "processing" / "output").iterdir()) == ["constraints.json",
                                                                                   "statistics.json"]


def test_mqmon_options_travel_as_variables(opt_ml):
    y, p, pred = churn_dataset(opt_ml / "processing" / "input" / "baseline_dataset_input")
    run = container(sdk_baseline_env(opt_ml, MQMON_WINDOW_SIZE="500", MQMON_ALPHA="0.05", MQMON_SEED="9"))
    assert run.returncode == 0, run.stderr
    constraints = json.loads((opt_ml / "processing" / "output" / "constraints.json").read_text())
    assert constraints["mqmon"]["window_size"] == 500 and constraints["mqmon"]["alpha"] == 0.05
    stats = json.loads((opt_ml / "processing" / "output" / "statistics.json").read_text())
    assert close(stats["binary_classification_metrics"]["accuracy"]["value"], accuracy_score(y, pred))
    assert close(stats["binary_classification_metrics"]["auc"]["value"], roc_auc_score(y, p))


def test_a_post_analytics_script_runs_in_the_baseline_job(opt_ml):
    churn_dataset(opt_ml / "processing" / "input" / "baseline_dataset_input")
    scripts = opt_ml / "processing" / "input" / "post_analytics_processor_script_input"
    scripts.mkdir(parents=True)
    (scripts / "post.py").write_text(
        "import json, os\n"
        "def postprocess_handler():\n"
        "    out = os.environ['output_path']\n"
        "    stats = json.load(open(os.path.join(out, 'statistics.json')))\n"
        "    open(os.path.join(out, 'accuracy.txt'), 'w').write(\n"
        "        str(stats['binary_classification_metrics']['accuracy']['value']))\n")
    run = container(sdk_baseline_env(opt_ml, post_analytics_processor_script=scripts / "post.py"))
    assert run.returncode == 0, run.stderr
    out = opt_ml / "processing" / "output"
    stats = json.loads((out / "statistics.json").read_text())
    assert float((out / "accuracy.txt").read_text()) == stats["binary_classification_metrics"]["accuracy"]["value"]


def scheduled_env(root, world, constraints, **extra):
    env = {
        # The job definition's Environment, from the SDK (enable_cloudwatch_metrics=True).
        "publish_cloudwatch_metrics": "Enabled",
        # What the service adds at each execution (its container contract page).
        "dataset_format": json.dumps({"sagemakerCaptureJson": {"captureIndexNames": ["endpointInput",
                                                                                    "endpointOutput"]}}),
        "dataset_source": world["cap"].parent.parent,  # {endpoint}/{variant}/yyyy/mm/dd/hh below it
        "output_path": root / "processing" / "resultdata",
        "start_time": iso(T0),
        "end_time": iso(T1),
        "metric_time": iso(T1),
        "sagemaker_endpoint_name": "my-endpoint",
        "sagemaker_monitoring_schedule_name": "hourly",
        "sagemaker_endpoint_datacapture_prefix": "s3://bucket/capture",
        "baseline_constraints": constraints,
        "baseline_statistics": constraints.parent / "statistics.json",
        "analysis_type": "MODEL_QUALITY",
        "problem_type": "BinaryClassification",
        "probability_attribute": "0",
        "probability_threshold_attribute": "0.5",
        "MQMON_OPT_ML_ROOT": root,
        "MQMON_EXECUTION_TIME": iso(T1 + timedelta(hours=4)),
        "MQMON_EVALUATION_TIME": EVALUATION_TIME,
    }
    env.update(extra)
    return env


def test_a_scheduled_execution_merges_checks_and_leaves_cloudwatch_records(world, tmp_path):
    root = tmp_path / "opt" / "ml"
    shutil.copytree(world["gt"], root / "processing" / "groundtruth")  # the default ground_truth_source
    constraints = baseline_constraints(world["tmp"])
    run = container(scheduled_env(root, world, constraints))
    # Violations are found, and the job completed: exit 0 for SageMaker Processing.
    assert run.returncode == 0, run.stderr
    out = root / "processing" / "resultdata"
    stats = json.loads((out / "statistics.json").read_text())["binary_classification_metrics"]
    keys = sorted(world["expected"])
    score = np.array([world["expected"][k][0] for k in keys])
    y = np.array([world["expected"][k][1] for k in keys])
    pred = (score >= 0.5).astype(int)
    for name, value in {"accuracy": accuracy_score(y, pred), "recall": recall_score(y, pred),
                        "precision": precision_score(y, pred), "f1": f1_score(y, pred),
                        "auc": roc_auc_score(y, score)}.items():
        assert close(stats[name]["value"], value), name

    # The same execution from the command line: the same statistics and violations, byte for byte.
    cli = tmp_path / "cli"
    proc = run_mqmon(["monitor", "--capture", world["cap"].parent.parent, "--ground-truth", world["gt"],
                      "--start", iso(T0), "--end", iso(T1), "--execution-time", iso(T1 + timedelta(hours=4)),
                      "--problem-type", "BinaryClassification", "--probability-attribute", "0",
                      "--constraints", constraints, "--output", cli, "--endpoint-name", "my-endpoint",
                      "--monitoring-schedule-name", "hourly", "--evaluation-time", EVALUATION_TIME], check=False)
    assert proc.returncode == 5, proc.stderr  # CompletedWithViolations on the command line
    for name in ("statistics.json", "constraint_violations.json"):
        assert (out / name).read_bytes() == (cli / name).read_bytes(), name
    violations = json.loads((out / "constraint_violations.json").read_text())["violations"]
    assert violations and json.loads((out / "execution.json").read_text())["status"] == "CompletedWithViolations"
    assert "data-baseline=" in (out / "report.html").read_text()  # baseline_statistics beside the window

    records = [json.loads(line) for line in
               (root / "output" / "metrics" / "cloudwatch" / "cloudwatch_metrics.jsonl").read_text().splitlines()]
    scalars = {k: v["value"] for k, v in stats.items() if isinstance(v, dict) and isinstance(v.get("value"), float)}
    assert [r["MetricName"] for r in records] == list(scalars)
    for r in records:
        assert r["Value"] == scalars[r["MetricName"]]
        assert r["Timestamp"].startswith(T1.strftime("%Y-%m-%dT%H:%M:%S"))
        assert r["Dimensions"] == [{"Name": "Endpoint", "Value": "my-endpoint"},
                                   {"Name": "MonitoringSchedule", "Value": "hourly"}]


def test_without_cloudwatch_metrics_no_records_are_left(world, tmp_path):
    root = tmp_path / "opt" / "ml"
    constraints = baseline_constraints(world["tmp"])
    run = container(scheduled_env(root, world, constraints, publish_cloudwatch_metrics="Disabled",
                                  ground_truth_source=world["gt"]))
    assert run.returncode == 0, run.stderr
    assert (root / "processing" / "resultdata" / "statistics.json").exists()
    assert not (root / "output" / "metrics").exists()


def test_a_batch_dataset_that_carries_its_labels_is_a_window(opt_ml, tmp_path):
    """Batch transform output joined with its labels: the dataset is the window; the metric records
    have the schedule's dimension only."""
    y, p, pred = churn_dataset(opt_ml / "processing" / "input" / "baseline_dataset_input", seed=8)
    constraints = baseline_constraints(tmp_path)
    env = {"analysis_type": "MODEL_QUALITY", "dataset_format": json.dumps({"csv": {"header": True}}),
           "dataset_source": opt_ml / "processing" / "input" / "baseline_dataset_input",
           "output_path": opt_ml / "processing" / "output", "problem_type": "BinaryClassification",
           "probability_attribute": "probability", "ground_truth_attribute": "label",
           "baseline_constraints": constraints, "start_time": iso(T0), "end_time": iso(T1),
           "sagemaker_monitoring_schedule_name": "batch-schedule", "publish_cloudwatch_metrics": "Enabled",
           "MQMON_OPT_ML_ROOT": opt_ml}
    run = container(env)
    assert run.returncode == 0, run.stderr
    stats = json.loads((opt_ml / "processing" / "output" / "statistics.json").read_text())
    assert close(stats["binary_classification_metrics"]["auc"]["value"], roc_auc_score(y, p))
    assert stats["dataset"]["item_count"] == len(y)
    records = [json.loads(line) for line in
               (opt_ml / "output" / "metrics" / "cloudwatch" / "cloudwatch_metrics.jsonl").read_text().splitlines()]
    assert records and all(r["Dimensions"] == [{"Name": "MonitoringSchedule", "Value": "batch-schedule"}]
                           for r in records)
    # The execution's own metric records take the batch shape too: no Endpoint dimension or label.
    emf = json.loads((opt_ml / "processing" / "output" / "cloudwatch_metrics.json").read_text())
    directive = emf["_aws"]["CloudWatchMetrics"][0]
    assert directive["Namespace"] == "aws/sagemaker/ModelMonitoring/model-metrics"
    assert directive["Dimensions"] == [["MonitoringSchedule"]] and "Endpoint" not in emf
    prom = (opt_ml / "processing" / "output" / "metrics.prom").read_text()
    assert 'mqmon_auc{MonitoringSchedule="batch-schedule"} ' in prom and "Endpoint=" not in prom


@pytest.mark.parametrize("change, words", [
    ({"dataset_source": None}, "the environment variable dataset_source is not set"),
    ({"output_path": None}, "the environment variable output_path is not set"),
    ({"analysis_type": "DATA_QUALITY"},
     "analysis_type 'DATA_QUALITY' is not supported: mqmon runs model-quality analyses only"),
    ({"dataset_source": "FILE"}, "is not a directory"),
    ({"dataset_format": '{"csv": {"header": tru}}'}, "dataset_format: dataset format '{\"csv\": {\"header\": tru}}' is not valid JSON"),
    ({"dataset_format": '{"xml": {}}'}, "dataset_format: dataset format '{\"xml\": {}}': unknown format 'xml'"),
    ({"problem_type": "Classification"}, "problem_type: "),
    ({"probability_threshold_attribute": "half"}, "probability_threshold_attribute 'half' is not a number"),
    ({"publish_cloudwatch_metrics": "Yes"}, "publish_cloudwatch_metrics 'Yes' must be Enabled or Disabled"),
    ({"start_time": "2024-05-01T10:00:00Z"}, "the environment variable baseline_constraints is not set"),
    ({"MQMON_WINDOW_SISE": "5"}, "MQMON_WINDOW_SISE names no option of mqmon suggest-baseline (did you mean MQMON_WINDOW_SIZE?)"),
    ({"MQMON_OUTPUT": "/tmp/x"}, "MQMON_OUTPUT: in the container, --output comes from the analyzer's variables"),
    ({"MQMON_ALPHA": "five"}, "MQMON_ALPHA: 'five' is not a valid value"),
    ({"MQMON_UNBOUNDED_SCORES": "perhaps"}, "MQMON_UNBOUNDED_SCORES 'perhaps' must be true or false"),
    ({"inference_attribute": "predicted"}, "inference attribute 'predicted' is not a column of the header"),
])
def test_a_bad_environment_is_named_and_leaves_no_outputs(opt_ml, change, words):
    churn_dataset(opt_ml / "processing" / "input" / "baseline_dataset_input")
    env = sdk_baseline_env(opt_ml)
    for k, v in change.items():
        if v is None:
            env.pop(k)
        elif v == "FILE":
            env[k] = opt_ml / "processing" / "input" / "baseline_dataset_input" / "validation_with_predictions.csv"
        else:
            env[k] = v
    run = container(env)
    assert run.returncode != 0
    assert words in run.stderr, run.stderr
    message = (opt_ml / "output" / "message").read_text()
    assert words in message and message.strip() in run.stderr
    assert not (opt_ml / "processing" / "output").exists()


def test_container_help_and_the_explicit_command(opt_ml):
    help_text = subprocess.run([str(MQMON), "container", "--help"], capture_output=True, text=True, check=True).stdout
    for variable in ("analysis_type", "dataset_format", "dataset_source", "output_path", "baseline_constraints",
                     "ground_truth_source", "publish_cloudwatch_metrics", "MQMON_OPT_ML_ROOT"):
        assert variable in help_text
    churn_dataset(opt_ml / "processing" / "input" / "baseline_dataset_input")
    env = {"PATH": os.environ["PATH"], **{k: str(v) for k, v in sdk_baseline_env(opt_ml).items()}}
    run = subprocess.run([str(MQMON), "container"], env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert (opt_ml / "processing" / "output" / "statistics.json").exists()
