"""The Python API (issue 6): the SDK code of AWS's model-quality baseline page with only its imports changed, the in-memory
API against scikit-learn and against the CLI's files, errors as Python exceptions."""
import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import MQMON, ROOT, run_mqmon, without_std

PYTHON_DIR = Path(os.environ.get("MQMON_PYTHON_DIR", Path(MQMON).parent / "python"))
sys.path.insert(0, str(PYTHON_DIR))
import mqmon  # noqa: E402

from test_binary_sklearn import check as check_binary  # noqa: E402
from test_multiclass_regression_sklearn import check_multiclass, check_regression  # noqa: E402

TIME = "2024-01-01T00:00:00.000Z"

SEED_SNIPPETS = '''
from mqmon import get_execution_role, session, Session
from mqmon import ModelQualityMonitor, DatasetFormat

role = get_execution_role()
session = Session()

model_quality_monitor = ModelQualityMonitor(
    role=role,
    instance_count=1,
    instance_type='ml.m5.xlarge',
    volume_size_in_gb=20,
    max_runtime_in_seconds=1800,
    sagemaker_session=session
)

baseline_job_name = "MyBaseLineJob"
job = model_quality_monitor.suggest_baseline(
    job_name=baseline_job_name,
    baseline_dataset=baseline_dataset_uri, # The S3 location of the validation dataset.
    dataset_format=DatasetFormat.csv(header=True),
    output_s3_uri = baseline_results_uri, # The S3 location to store the results.
    problem_type='BinaryClassification',
    inference_attribute= "prediction", # The column in the dataset that contains predictions.
    probability_attribute= "probability", # The column in the dataset that contains probabilities.
    ground_truth_attribute= "label" # The column in the dataset that contains ground truth labels.
)
job.wait(logs=False)

baseline_job = model_quality_monitor.latest_baselining_job

import pandas as pd
result = pd.DataFrame(baseline_job.suggested_constraints().body_dict["binary_classification_constraints"]).T
'''


def test_the_seed_page_runs_with_only_its_imports_changed(tmp_path):
    scope = {"baseline_dataset_uri": str(ROOT / "examples" / "validation.csv"),
             "baseline_results_uri": str(tmp_path / "results")}
    exec(SEED_SNIPPETS, scope)
    frame = scope["result"]
    assert list(frame.index) == ["recall", "precision", "accuracy", "true_positive_rate", "true_negative_rate",
                                 "false_positive_rate", "false_negative_rate", "auc", "f0_5", "f1", "f2"]
    assert list(frame.columns) == ["threshold", "comparison_operator"]
    ops = frame["comparison_operator"].to_dict()
    assert ops["false_positive_rate"] == ops["false_negative_rate"] == "GreaterThanThreshold"
    assert {ops[k] for k in frame.index if k not in ("false_positive_rate", "false_negative_rate")} == \
        {"LessThanThreshold"}
    job = scope["baseline_job"]
    assert job.suggested_constraints().file_s3_uri == str(tmp_path / "results" / "constraints.json")
    stats = job.baseline_statistics().body_dict
    assert stats["dataset"]["item_count"] == 600
    assert scope["model_quality_monitor"].latest_baselining_job_name == "MyBaseLineJob"


def test_sdk_module_path_and_dataset_formats():
    from mqmon.model_monitor import DatasetFormat, ModelQualityMonitor  # noqa: F401
    assert DatasetFormat.csv(header=True) == {"csv": {"header": True, "output_columns_position": "START"}}
    assert DatasetFormat.csv(header=False, output_columns_position="END") == \
        {"csv": {"header": False, "output_columns_position": "END"}}
    assert DatasetFormat.json(lines=True) == {"json": {"lines": True}}
    assert DatasetFormat.sagemaker_capture_json() == {"sagemakerCaptureJson": {}}
    assert mqmon.get_execution_role().startswith("arn:aws:iam::")


def binary_frame(n, seed):
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.3).astype(int)
    p = np.clip(rng.normal(0.3 + 0.35 * y, 0.2), 0, 1).round(3)
    return pd.DataFrame({"label": y, "prediction": (p >= 0.5).astype(int), "probability": p})


def test_in_memory_binary_matches_sklearn_and_the_cli(tmp_path):
    """The values equal the command line's on the same rows in a file; the deviations differ, as
    in-memory rows are keyed by their index and a file's by their byte offsets."""
    df = binary_frame(5000, 1)
    stats = mqmon.compute_statistics("BinaryClassification", df.label.to_numpy(), df.prediction.to_numpy(),
                                     df.probability.to_numpy(), curve_points=0, evaluation_time=TIME)
    check_binary(stats, df.label.astype(str).tolist(), df.prediction.astype(str).tolist(),
                 df.probability.to_numpy(), "1", check_std=True)
    df.to_csv(tmp_path / "d.csv", index=False)
    run_mqmon(["suggest-baseline", "--baseline-dataset", tmp_path / "d.csv", "--problem-type",
               "BinaryClassification", "--ground-truth-attribute", "label", "--inference-attribute", "prediction",
               "--probability-attribute", "probability", "--curve-points", "0", "--evaluation-time", TIME,
               "--output", tmp_path / "o"])
    assert without_std(json.loads((tmp_path / "o" / "statistics.json").read_text())) == without_std(stats)
    # A DataFrame by attribute names, and a strided (copied) array, give the same.
    assert mqmon.compute_statistics("BinaryClassification", data=df, curve_points=0, evaluation_time=TIME) == stats
    strided = np.repeat(df.probability.to_numpy(), 2)[::2]
    assert not strided.flags["C_CONTIGUOUS"]
    assert mqmon.compute_statistics("BinaryClassification", df.label, df.prediction, strided, curve_points=0,
                                    evaluation_time=TIME) == stats


def test_in_memory_multiclass_and_regression(tmp_path):
    rng = np.random.default_rng(2)
    n = 4000
    y = np.array(["cat", "dog", "eel", "fox"])[rng.zipf(1.6, n) % 4]
    p = np.where(rng.random(n) < 0.6, y, np.array(["cat", "dog", "eel", "gnu"])[rng.integers(0, 4, n)])
    stats = mqmon.compute_statistics("MulticlassClassification", y, p, evaluation_time=TIME)
    check_multiclass(stats, y.tolist(), p.tolist(), check_std=True)
    pd.DataFrame({"label": y, "prediction": p}).to_csv(tmp_path / "m.csv", index=False)
    run_mqmon(["suggest-baseline", "--baseline-dataset", tmp_path / "m.csv", "--problem-type",
               "MulticlassClassification", "--ground-truth-attribute", "label", "--inference-attribute",
               "prediction", "--evaluation-time", TIME, "--output", tmp_path / "mo"])
    assert without_std(json.loads((tmp_path / "mo" / "statistics.json").read_text())) == without_std(stats)

    t = 1e9 + rng.normal(0, 2, n)
    f = t + rng.normal(0, 1, n)
    stats = mqmon.compute_statistics("Regression", t, f, evaluation_time=TIME)
    check_regression(stats, t, f, check_std=True)
    pd.DataFrame({"label": t, "prediction": f}).to_csv(tmp_path / "r.csv", index=False, float_format="%.17g")
    run_mqmon(["suggest-baseline", "--baseline-dataset", tmp_path / "r.csv", "--problem-type", "Regression",
               "--ground-truth-attribute", "label", "--inference-attribute", "prediction",
               "--evaluation-time", TIME, "--output", tmp_path / "ro"])
    assert without_std(json.loads((tmp_path / "ro" / "statistics.json").read_text())) == without_std(stats)


def test_labels_of_any_python_type_are_canonical():
    as_ints = mqmon.compute_statistics("MulticlassClassification", [1, 0, 1, 1], [1, 1, 0, 1],
                                       evaluation_time=TIME)
    as_floats = mqmon.compute_statistics("MulticlassClassification", np.array([1.0, 0.0, 1.0, 1.0]),
                                         ["1", "1", "0", "1.00"], evaluation_time=TIME)
    assert as_ints == as_floats
    assert list(as_ints["multiclass_classification_metrics"]["confusion_matrix"]) == ["0", "1"]


def test_native_errors_are_python_exceptions_with_the_cli_message(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("probability,prediction,label\n0.5,1,1\nabc,0,0\n")
    monitor = mqmon.ModelQualityMonitor()
    with pytest.raises(mqmon.ParseError) as err:
        monitor.suggest_baseline(baseline_dataset=str(bad), dataset_format=mqmon.DatasetFormat.csv(),
                                 problem_type="BinaryClassification", inference_attribute="prediction",
                                 probability_attribute="probability", ground_truth_attribute="label",
                                 output_s3_uri=str(tmp_path / "o"))
    cli = run_mqmon(["suggest-baseline", "--baseline-dataset", bad, "--problem-type", "BinaryClassification",
                     "--ground-truth-attribute", "label", "--inference-attribute", "prediction",
                     "--probability-attribute", "probability", "--output", tmp_path / "o2"], check=False)
    assert cli.stderr == f"mqmon: error: {err.value}\n"
    assert f"{bad}:3: column 1 (attribute 'probability') not a finite number: 'abc'" == str(err.value)
    with pytest.raises(mqmon.ConfigError, match="ground truth attribute 'truth' is not a column"):
        monitor.suggest_baseline(baseline_dataset=str(bad), dataset_format=mqmon.DatasetFormat.csv(),
                                 problem_type="BinaryClassification", inference_attribute="prediction",
                                 ground_truth_attribute="truth", output_s3_uri=str(tmp_path / "o"))
    assert issubclass(mqmon.ConfigError, ValueError) and issubclass(mqmon.IoError, OSError)
    with pytest.raises(mqmon.IoError, match="does not exist"):
        monitor.suggest_baseline(baseline_dataset=str(tmp_path / "nope.csv"), dataset_format=mqmon.DatasetFormat.csv(),
                                 problem_type="BinaryClassification", inference_attribute="prediction",
                                 ground_truth_attribute="label", output_s3_uri=str(tmp_path / "o"))
    with pytest.raises(mqmon.ParseError, match=r"<arrays>:3: \(attribute 'label'\) label '2' is a third class"):
        mqmon.compute_statistics("BinaryClassification", [0, 1, 2], [0, 1, 1])
    with pytest.raises(mqmon.ParseError, match=r"<arrays>:2: \(attribute 'probability'\) not a finite number"):
        mqmon.compute_statistics("BinaryClassification", [0, 1], probability=[0.5, np.nan])
    with pytest.raises(mqmon.ConfigError, match="'s3://b_/data.csv': 'b_' is not a valid S3 bucket name"):
        monitor.suggest_baseline(baseline_dataset="s3://b_/data.csv", dataset_format=mqmon.DatasetFormat.csv(),
                                 problem_type="BinaryClassification", inference_attribute="prediction",
                                 ground_truth_attribute="label")


def test_the_gil_is_released_while_computing():
    n = 3_000_000
    rng = np.random.default_rng(4)
    y = (rng.random(n) < 0.3).astype(np.int8)
    p = rng.random(n)
    # Prepare in this thread, so that the worker runs native code only.
    from mqmon import _mqmon
    from mqmon.in_memory import _label_codes
    truth = _label_codes(y)
    options = {"problem_type": "BinaryClassification", "ground_truth_attribute": "label",
               "probability_attribute": "probability"}
    started, done = threading.Event(), threading.Event()
    ticks = 0

    def work():
        started.set()
        _mqmon.compute_statistics(options, truth, None, p, "")
        done.set()

    t = threading.Thread(target=work)
    t.start()
    started.wait()
    while not done.is_set():  # a Python loop runs only while the native code does not hold the GIL
        ticks += 1
    t.join()
    # Released: tens of millions of iterations here; held: about 10^5 (switch intervals only).
    assert ticks > 5_000_000


def test_monitoring_execution_shaped_like_the_sdk(tmp_path):
    df = binary_frame(3000, 5)
    df.to_csv(tmp_path / "baseline.csv", index=False)
    monitor = mqmon.ModelQualityMonitor(role=mqmon.get_execution_role(), instance_count=2)
    monitor.suggest_baseline(baseline_dataset=str(tmp_path / "baseline.csv"),
                             dataset_format=mqmon.DatasetFormat.csv(header=True), problem_type="BinaryClassification",
                             inference_attribute="prediction", probability_attribute="probability",
                             ground_truth_attribute="label", output_s3_uri=str(tmp_path / "baseline"),
                             threshold_method="baseline")
    window = binary_frame(400, 6)
    window.loc[:150, "prediction"] = 1 - window.loc[:150, "prediction"]  # a degraded model
    window.to_csv(tmp_path / "window.csv", index=False)
    execution = monitor.run_monitoring(constraints=monitor.suggested_constraints(), problem_type="BinaryClassification",
                                       dataset=str(tmp_path / "window.csv"), inference_attribute="prediction",
                                       probability_attribute="probability", ground_truth_attribute="label",
                                       start_time="2024-05-01T10:00:00Z", end_time="2024-05-01T11:00:00Z",
                                       output_s3_uri=str(tmp_path / "execution"))
    assert execution.describe()["MonitoringExecutionStatus"] == "CompletedWithViolations"
    violated = {v["metric_name"] for v in execution.constraint_violations().body_dict["violations"]}
    assert "accuracy" in violated
    assert execution.statistics().body_dict["dataset"]["item_count"] == 400
    assert monitor.list_executions() == [execution]
    assert monitor.latest_monitoring_constraint_violations().body_dict == execution.constraint_violations().body_dict


def test_alpha_scope_through_the_sdk_shape_and_the_monitor_recomputes_at_the_window_size(tmp_path):
    """alpha_scope="execution" as a keyword of suggest_baseline, recorded in constraints.json; a
    monitoring run on a healthy window of another size checks thresholds recomputed for it, the
    same as a baseline suggested at that size (same seed, same draws)."""
    df = binary_frame(3000, 5)
    df.to_csv(tmp_path / "baseline.csv", index=False)
    monitor = mqmon.ModelQualityMonitor(role=mqmon.get_execution_role())
    kw = dict(baseline_dataset=str(tmp_path / "baseline.csv"), dataset_format=mqmon.DatasetFormat.csv(header=True),
              problem_type="BinaryClassification", inference_attribute="prediction",
              probability_attribute="probability", ground_truth_attribute="label")
    monitor.suggest_baseline(output_s3_uri=str(tmp_path / "b"), alpha_scope="execution", alpha=0.05, **kw)
    c = monitor.suggested_constraints().body_dict
    assert c["mqmon"]["alpha_scope"] == "execution" and c["mqmon"]["alpha"] == 0.05
    assert len({t["level"] for t in c["mqmon"]["thresholds"].values()}) == 1
    note = (tmp_path / "b" / "report.html").read_text()
    assert "crosses any of them" in note and "the false-alarm rate per execution" in note
    at_400 = mqmon.ModelQualityMonitor(role=mqmon.get_execution_role())
    at_400.suggest_baseline(output_s3_uri=str(tmp_path / "b400"), alpha_scope="execution", alpha=0.05,
                            window_size=400, **kw)
    expected = at_400.suggested_constraints().body_dict["binary_classification_constraints"]
    binary_frame(400, 9).to_csv(tmp_path / "window.csv", index=False)
    execution = monitor.run_monitoring(constraints=monitor.suggested_constraints(), problem_type="BinaryClassification",
                                       dataset=str(tmp_path / "window.csv"), inference_attribute="prediction",
                                       probability_attribute="probability", ground_truth_attribute="label",
                                       start_time="2024-05-01T10:00:00Z", end_time="2024-05-01T11:00:00Z",
                                       output_s3_uri=str(tmp_path / "execution"))
    assert execution.statistics().body_dict["dataset"]["item_count"] == 400
    # execution.json records the thresholds the window was checked against: the 400-row ones.
    applied = json.loads((tmp_path / "execution" / "execution.json").read_text())["thresholds"]
    assert applied == expected
    assert applied != c["binary_classification_constraints"]
    with pytest.raises(Exception, match="alpha scope 'both' is not one of"):
        monitor.suggest_baseline(output_s3_uri=str(tmp_path / "x"), alpha_scope="both", **kw)


def test_pip_installs_the_package_without_network(tmp_path):
    source = tmp_path / "src"
    shutil.copytree(ROOT / "python", source, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    env = dict(os.environ, MQMON_BUILD_DIR=str(Path(MQMON).parent))
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-build-isolation", "--no-deps", "--no-index",
                    "--target", tmp_path / "site", source], check=True, capture_output=True, env=env)
    out = subprocess.run([sys.executable, "-c", "import mqmon; print(mqmon.__file__); "
                          "print(mqmon.compute_statistics('Regression', [1.0, 2.0], [1.0, 3.0])['regression_metrics']"
                          "['mae']['value'])"], env=dict(env, PYTHONPATH=str(tmp_path / "site")), check=True,
                         capture_output=True, text=True, cwd=tmp_path).stdout.split()
    assert out[0].startswith(str(tmp_path / "site"))
    assert out[1] == "0.5"


def test_s3_locations_through_the_sdk_shape(s3_servers, tmp_path, monkeypatch):
    """Baseline from an s3:// prefix to an s3:// output, constraints read, edited and saved back to S3,
    a monitoring execution on s3:// data with its outputs read from S3 (checked with botocore)."""
    from test_s3 import Store, binary_rows, csv_text
    for k in [k for k in os.environ if k.startswith("AWS_")]:
        monkeypatch.delenv(k)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials")
    store = Store(s3_servers["MQMON_TEST_S3_ENDPOINT"])
    y, p = binary_rows(400, 9)
    store.put("data/a.csv", csv_text(y[:200], p[:200]))
    store.put("data/b.csv", csv_text(y[200:], p[200:]))
    (tmp_path / "data").mkdir()  # a local copy of the prefix
    (tmp_path / "data" / "a.csv").write_text(csv_text(y[:200], p[:200]))
    (tmp_path / "data" / "b.csv").write_text(csv_text(y[200:], p[200:]))

    session = mqmon.Session(s3_endpoint_url=store.endpoint)
    monitor = mqmon.ModelQualityMonitor(role=mqmon.get_execution_role(), sagemaker_session=session)
    job = monitor.suggest_baseline(baseline_dataset=store.uri("data/"), dataset_format=mqmon.DatasetFormat.csv(),
                                   problem_type="BinaryClassification", inference_attribute="prediction",
                                   probability_attribute="probability", ground_truth_attribute="label",
                                   output_s3_uri=store.uri("baseline/results"), evaluation_time=TIME)
    assert job.describe()["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"] == store.uri("baseline/results")
    assert store.keys("baseline/") == ["baseline/results/constraints.json", "baseline/results/report.html",
                                       "baseline/results/statistics.json"]
    statistics = job.baseline_statistics()
    assert statistics.file_s3_uri == store.uri("baseline/results/statistics.json")
    assert statistics.body_dict == json.loads(store.get("baseline/results/statistics.json"))
    run_mqmon(["suggest-baseline", "--baseline-dataset", tmp_path / "data", "--problem-type",
               "BinaryClassification", "--ground-truth-attribute", "label", "--inference-attribute", "prediction",
               "--probability-attribute", "probability", "--evaluation-time", TIME, "--output", tmp_path / "local"])
    assert statistics.body_dict == json.loads((tmp_path / "local" / "statistics.json").read_text())

    constraints = job.suggested_constraints()
    constraints.body_dict["binary_classification_constraints"]["accuracy"]["threshold"] = 0.99
    constraints.save()
    assert json.loads(store.get("baseline/results/constraints.json"))[
        "binary_classification_constraints"]["accuracy"]["threshold"] == 0.99
    reread = mqmon.Constraints.from_s3_uri(store.uri("baseline/results/constraints.json"), sagemaker_session=session)
    assert reread.body_dict == constraints.body_dict

    execution = monitor.run_monitoring(constraints, "BinaryClassification", dataset=store.uri("data/b.csv"),
                                       dataset_format=mqmon.DatasetFormat.csv(), inference_attribute="prediction",
                                       probability_attribute="probability", ground_truth_attribute="label",
                                       start_time="2024-05-01T10:00:00Z", end_time="2024-05-01T11:00:00Z",
                                       output_s3_uri=store.uri("monitoring/1"))
    assert execution.describe()["MonitoringExecutionStatus"] == "CompletedWithViolations"
    violations = execution.constraint_violations().body_dict["violations"]
    assert "accuracy" in [v["metric_name"] for v in violations]
    assert violations == json.loads(store.get("monitoring/1/constraint_violations.json"))["violations"]
    assert execution.statistics().body_dict["dataset"]["item_count"] == 200


def test_jobs_report_where_their_files_are(tmp_path):
    data = tmp_path / "d.csv"
    data.write_text("label,probability\n" + "".join(f"{i % 2},{(i % 7) / 7}\n" for i in range(300)))
    monitor = mqmon.ModelQualityMonitor()
    job = monitor.suggest_baseline(baseline_dataset=str(data), dataset_format=mqmon.DatasetFormat.csv(header=True),
                                   problem_type="BinaryClassification", probability_attribute="probability",
                                   ground_truth_attribute="label", output_s3_uri=str(tmp_path / "with"))
    assert job.report() == str(tmp_path / "with" / "report.html")
    assert job._repr_html_().startswith('<iframe style="width: 100%; height: 720px; border: 0" sandbox srcdoc="')
    quiet = monitor.suggest_baseline(baseline_dataset=str(data), dataset_format=mqmon.DatasetFormat.csv(header=True),
                                     problem_type="BinaryClassification", probability_attribute="probability",
                                     ground_truth_attribute="label", output_s3_uri=str(tmp_path / "without"),
                                     report=False)
    assert not (tmp_path / "without" / "report.html").exists() and quiet._repr_html_() is None
    with pytest.raises(mqmon.IoError, match="ran with report=False"):
        quiet.report()
    execution = monitor.run_monitoring(constraints=str(tmp_path / "with" / "constraints.json"),
                                       problem_type="BinaryClassification", dataset=str(data),
                                       dataset_format=mqmon.DatasetFormat.csv(header=True),
                                       probability_attribute="probability", ground_truth_attribute="label",
                                       output_s3_uri=str(tmp_path / "exec"),
                                       baseline_statistics=str(tmp_path / "with" / "statistics.json"))
    page = open(execution.report()).read()
    assert "Model quality monitoring execution" in page and "data-baseline=" in page
