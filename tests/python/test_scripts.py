"""record_preprocessor_script and post_analytics_processor_script: the service's contract, run by
worker processes that embed CPython (mqmon's own process never loads libpython)."""
import json
import os
import subprocess
import time

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, f1_score, roc_auc_score

from conftest import MQMON, close, run_mqmon, without_std

SEED_SCRIPT = '''import csv

def fix_scientific_notation(col):
    try:
        return format(float(col), "f")
    except:
        return col

def preprocess_handler(csv_line):
    reader = csv.reader([csv_line])
    csv_record = next(reader)
    #skip baseline header, change HEADER_NAME to the first column's name
    if csv_record[0] == "probability":
       return []
    return { str(i).zfill(20) : fix_scientific_notation(d) for i, d in enumerate(csv_record)}
'''
BASELINE = ["--problem-type", "BinaryClassification", "--inference-attribute", "prediction",
            "--probability-attribute", "probability", "--ground-truth-attribute", "label",
            "--evaluation-time", "2024-01-01T00:00:00.000Z"]


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("scripts")
    rng = np.random.default_rng(3)
    y = (rng.random(400) < 0.35).astype(int)
    p = np.clip(rng.normal(0.3 + 0.4 * y, 0.2), 0.0001, 0.9999)
    pred = (p >= 0.5).astype(int)
    plain = root / "plain.csv"
    plain.write_text("probability,prediction,label\n" + "".join(f"{a!r},{b},{c}\n" for a, b, c in zip(p, pred, y)))
    scientific = root / "scientific.csv"
    scientific.write_text("probability,prediction,label\n" +
                          "".join(f"{a:.6E},{b},{c}\n" for a, b, c in zip(p, pred, y)))
    script = root / "seed.py"
    script.write_text(SEED_SCRIPT)
    return dict(root=root, plain=plain, scientific=scientific, script=script, y=y, p=p, pred=pred)


def baseline(dataset, out, *extra, check=True):
    return run_mqmon(["suggest-baseline", "--baseline-dataset", dataset, *BASELINE, "--output", out, *extra],
                     check=check)


def script(tmp_path, text, name="s.py"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_the_seeds_script_fixes_scientific_notation(data, tmp_path):
    run = baseline(data["scientific"], tmp_path / "s", "--record-preprocessor-script", data["script"])
    assert "the record_preprocessor_script dropped 1 record" in run.stderr  # the header
    baseline(data["plain"], tmp_path / "p")
    scripted = json.loads((tmp_path / "s" / "statistics.json").read_text())
    plain = json.loads((tmp_path / "p" / "statistics.json").read_text())
    m = scripted["binary_classification_metrics"]
    p = np.array([float(f"{v:.6E}") for v in data["p"]])
    assert close(m["accuracy"]["value"], accuracy_score(data["y"], data["pred"]))
    assert close(m["f1"]["value"], f1_score(data["y"], data["pred"]))
    assert close(m["auc"]["value"], roc_auc_score(data["y"], p))
    # Six significant digits in the file change no rank: the plain run's values exactly (the
    # deviations' subsamples follow the records' byte offsets, which the longer numbers move).
    assert without_std(scripted) == without_std(plain)


def test_dropped_records_are_counted_and_the_rest_evaluated(data, tmp_path):
    drop = script(tmp_path, "import zlib\n"
                  "def preprocess_handler(line):\n"
                  "    if line.startswith('probability') or zlib.crc32(line.encode()) % 10 == 0:\n"
                  "        return []\n"
                  "    p, pred, label = line.split(',')\n"
                  "    return {'probability': p, 'prediction': pred, 'label': label}\n")
    run = baseline(data["plain"], tmp_path / "o", "--record-preprocessor-script", drop)
    import zlib
    lines = data["plain"].read_text().splitlines()[1:]
    kept = [i for i, line in enumerate(lines) if zlib.crc32(line.encode()) % 10 != 0]
    assert f"dropped {len(lines) - len(kept) + 1} records" in run.stderr
    assert 20 < len(lines) - len(kept) < 70
    m = json.loads((tmp_path / "o" / "statistics.json").read_text())["binary_classification_metrics"]
    y, pred = data["y"][kept], data["pred"][kept]
    assert close(m["accuracy"]["value"], accuracy_score(y, pred))
    assert close(m["auc"]["value"], roc_auc_score(y, data["p"][kept]))


@pytest.mark.parametrize("text, code, words", [
    ("def preprocess_handler(x)\n    return {}\n", 2,
     ["record_preprocessor_script", "cannot run:", "line 1", "SyntaxError"]),
    ("def handler(x):\n    return {}\n", 2, ["defines no preprocess_handler() function"]),
    ("def preprocess_handler(x):\n    return 5\n", 3,
     ["plain.csv:1: the record_preprocessor_script failed on this record",
      "preprocess_handler returned an int; it must return a dict, a list of dicts, or [] to drop the record"]),
    ("def preprocess_handler(x):\n    return [{'a': 1}, 'b']\n", 3, ["returned a list holding a str"]),
    ("def preprocess_handler(x):\n    if not x.startswith('prob'):\n        raise ValueError('no: ' + x[:6])\n"
     "    return []\n", 3,
     ["plain.csv:2: the record_preprocessor_script failed on this record", "Traceback (most recent call last)",
      "line 3, in preprocess_handler", "ValueError: no: "]),
    ("def preprocess_handler(x):\n    return {'probability': '0.5', 'label': '1'}\n", 3,
     ["(attribute 'prediction') the preprocessor's record has no value for this attribute (its keys: "
      "'probability', 'label')"]),
])
def test_script_errors_are_located_and_leave_no_output(data, tmp_path, text, code, words):
    run = baseline(data["plain"], tmp_path / "o", "--record-preprocessor-script", script(tmp_path, text),
                   check=False)
    assert run.returncode == code, run.stderr
    for w in words:
        assert w in run.stderr, run.stderr
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_worker_that_dies_with_batches_queued_fails_the_job(data, tmp_path, workers):
    # Several 1 MiB batches, so that batches wait in the workers' pipes when one dies.
    big = tmp_path / "big.csv"
    lines = data["plain"].read_text().splitlines()
    big.write_text(lines[0] + "\n" + "\n".join(lines[1:] * 400) + "\n")
    dies = script(tmp_path, "import os\ncount = 0\ndef preprocess_handler(x):\n    global count\n"
                  "    count += 1\n    if count == 50000:\n        os._exit(7)\n"
                  "    return {'probability': '0.5', 'prediction': '1', 'label': '1'}\n")
    start = time.monotonic()
    run = baseline(big, tmp_path / "o", "--record-preprocessor-script", dies, "--script-workers", workers,
                   check=False)
    assert run.returncode == 1, run.stderr
    assert "the record_preprocessor_script worker (process " in run.stderr
    assert "ended during a batch, with exit status 7" in run.stderr
    assert time.monotonic() - start < 60
    assert not (tmp_path / "o").exists()


def test_a_missing_script_is_named_before_any_data_is_read(data, tmp_path):
    run = baseline(tmp_path / "no-such-data.csv", tmp_path / "o", "--record-preprocessor-script",
                   tmp_path / "nope.py", check=False)
    assert run.returncode == 2 and f"the script '{tmp_path / 'nope.py'}' does not exist" in run.stderr


def test_logger_records_reach_stderr(data, tmp_path):
    s = script(tmp_path, "def preprocess_handler(line, logger):\n"
               "    if line.startswith('probability'):\n"
               "        logger.warning('dropping the header')\n"
               "        return []\n"
               "    p, pred, label = line.split(',')\n"
               "    return {'probability': p, 'prediction': pred, 'label': label}\n")
    run = baseline(data["plain"], tmp_path / "o", "--record-preprocessor-script", s)
    assert "mqmon: script: WARNING: dropping the header" in run.stderr


def test_post_analytics_script_sees_the_outputs(data, tmp_path):
    post = script(tmp_path, "import json, os\n"
                  "def postprocess_handler():\n"
                  "    out = os.environ['output_path']\n"
                  "    stats = json.load(open(os.path.join(out, 'statistics.json')))\n"
                  "    open(os.path.join(out, 'post.txt'), 'w').write(\n"
                  "        os.environ['problem_type'] + ' ' + str(stats['dataset']['item_count']))\n"
                  "    print('Hello from post-proc script!')\n")
    run = baseline(data["plain"], tmp_path / "o", "--post-analytics-processor-script", post)
    assert (tmp_path / "o" / "post.txt").read_text() == "BinaryClassification 400"
    assert "Hello from post-proc script!" in run.stdout
    failing = script(tmp_path, "def postprocess_handler():\n    raise RuntimeError('boom')\n", "f.py")
    run = baseline(data["plain"], tmp_path / "o2", "--post-analytics-processor-script", failing, check=False)
    assert run.returncode == 2 and "post_analytics_processor_script" in run.stderr and "RuntimeError: boom" in run.stderr
    # The analysis outputs were complete before the script ran: they stay.
    assert (tmp_path / "o2" / "statistics.json").exists()


def test_python_is_loaded_by_the_workers_only(data, tmp_path):
    assert "libpython" not in subprocess.run(["ldd", MQMON], capture_output=True, text=True).stdout
    slow = script(tmp_path, "import time\n"
                  "def preprocess_handler(line):\n"
                  "    time.sleep(0.01)\n"
                  "    return [] if line.startswith('probability') else dict(zip(['probability', 'prediction', "
                  "'label'], line.split(',')))\n")
    proc = subprocess.Popen([MQMON, "suggest-baseline", "--baseline-dataset", str(data["plain"]), *BASELINE,
                             "--output", str(tmp_path / "o"), "--record-preprocessor-script", str(slow),
                             "--script-workers", "2"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(1.0)
    children = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True).stdout.split()
    parent_maps = open(f"/proc/{proc.pid}/maps").read()
    child_maps = [open(f"/proc/{c}/maps").read() for c in children]
    assert proc.wait(timeout=60) == 0
    assert "libpython" not in parent_maps and "libmqmon_script" not in parent_maps
    # The workers are Debian's python3 (whose interpreter is linked in) driving the script library.
    assert len(children) == 2 and all("libmqmon_script.so" in m for m in child_maps)


def capture_world(root):
    """An hour of captured inferences (CSV, JSON and BASE64 outputs) and their labels."""
    from datetime import datetime, timedelta, timezone
    from test_monitor import capture, hour_dir, label, write_lines
    rng = np.random.default_rng(9)
    t0 = datetime(2024, 5, 1, 10, tzinfo=timezone.utc)
    cap, gt = root / "capture", root / "gt"
    for i in range(300):
        t = t0 + timedelta(seconds=int(rng.integers(0, 3600)))
        y = int(rng.random() < 0.4)
        score = round(float(np.clip(rng.normal(0.3 + 0.4 * y, 0.2), 0, 1)), 4)
        write_lines(hour_dir(cap, t) / "c.jsonl", [capture(i, t, score, True)])
        write_lines(hour_dir(gt, t + timedelta(hours=1)) / "g.jsonl", [label(f"inf-{i}", y)])
    return cap, gt


def no_constraints(tmp_path):
    """A binary constraints file with no constraint: monitoring runs compare statistics only."""
    path = tmp_path / "c.json"
    path.write_text('{"version": 0.0, "binary_classification_constraints": {}}')
    return path


MONITOR = ["--problem-type", "BinaryClassification", "--start", "2024-05-01T10:00:00Z",
           "--end", "2024-05-01T11:00:00Z", "--execution-time", "2024-05-01T13:00:00Z",
           "--evaluation-time", "2024-01-01T00:00:00.000Z"]


@pytest.mark.parametrize("handler", [
    # As public scripts for the service do: the flattened merged record.
    "def preprocess_handler(inference_record):\n"
    "    output = inference_record.endpoint_output.data\n"
    "    score = json.loads(output)[0] if output.startswith('[') else float(output)\n"
    "    return {'endpointOutput_prediction': score,\n"
    "            'groundTruthData_0': inference_record.ground_truth.data}\n",
    # The spelling of AWS's samples, and a logger.
    "def preprocess_handler(inference_record, logger):\n"
    "    output = inference_record.event_data.endpointOutput.data\n"
    "    score = json.loads(output)[0] if output.startswith('[') else float(output)\n"
    "    return {'prediction': score}\n",
])
def test_a_monitoring_preprocessor_sees_the_merged_record(tmp_path, handler):
    cap, gt = capture_world(tmp_path)
    constraints = no_constraints(tmp_path)
    plain = run_mqmon(["monitor", "--capture", cap, "--ground-truth", gt, *MONITOR, "--probability-attribute", "0",
                       "--constraints", constraints, "--output", tmp_path / "plain"])
    s = script(tmp_path, "import json\n" + handler)
    scripted = run_mqmon(["monitor", "--capture", cap, "--ground-truth", gt, *MONITOR,
                          "--probability-attribute", "prediction", "--constraints", constraints,
                          "--output", tmp_path / "scripted", "--record-preprocessor-script", s])
    assert plain.returncode == scripted.returncode == 0
    a = json.loads((tmp_path / "plain" / "statistics.json").read_text())
    b = json.loads((tmp_path / "scripted" / "statistics.json").read_text())
    assert a == b and a["dataset"]["item_count"] == 300


def test_a_preprocessor_splits_requests_into_predictions_with_their_own_labels(tmp_path):
    """Each request carries several predictions; each prediction has its own label, filed under
    '<inferenceId>-<k>'. The handler returns one row per prediction with that id."""
    from datetime import datetime, timedelta, timezone
    from test_monitor import hour_dir, label, write_lines
    rng = np.random.default_rng(21)
    t0 = datetime(2024, 5, 1, 10, tzinfo=timezone.utc)
    cap, gt = tmp_path / "capture", tmp_path / "gt"
    ys, scores = [], []
    for i in range(120):
        t = t0 + timedelta(seconds=30 * i)
        preds = []
        for k in range(int(rng.integers(1, 5))):
            y = int(rng.random() < 0.4)
            s = round(float(np.clip(rng.normal(0.3 + 0.4 * y, 0.2), 0, 1)), 4)
            preds.append({"score": s})
            if k != 2:  # third predictions never get a label: left out
                write_lines(hour_dir(gt, t + timedelta(hours=1)) / "g.jsonl", [label(f"req-{i}-{k}", y)])
                ys.append(y)
                scores.append(s)
        record = {"captureData": {"endpointInput": {"observedContentType": "application/json", "mode": "INPUT",
                                                    "data": "{}", "encoding": "JSON"},
                                  "endpointOutput": {"observedContentType": "application/json", "mode": "OUTPUT",
                                                     "data": json.dumps({"predictions": preds}), "encoding": "JSON"}},
                  "eventMetadata": {"eventId": f"e-{i}", "inferenceId": f"req-{i}",
                                    "inferenceTime": t.strftime("%Y-%m-%dT%H:%M:%SZ")},
                  "eventVersion": "0"}
        write_lines(hour_dir(cap, t) / "c.jsonl", [record])
    split = script(tmp_path, "import json\n"
                   "def preprocess_handler(r):\n"
                   "    predictions = json.loads(r.endpoint_output.data)['predictions']\n"
                   "    return [{'score': p['score'], 'inferenceId': f'{r.event_metadata.inference_id}-{k}'}\n"
                   "            for k, p in enumerate(predictions)]\n")
    constraints = no_constraints(tmp_path)
    run = run_mqmon(["monitor", "--capture", cap, "--ground-truth", gt, *MONITOR, "--probability-attribute", "score",
                     "--constraints", constraints, "--output", tmp_path / "o", "--record-preprocessor-script", split])
    stats = json.loads((tmp_path / "o" / "statistics.json").read_text())
    m = stats["binary_classification_metrics"]
    assert stats["dataset"]["item_count"] == len(ys)
    y, s = np.array(ys), np.array(scores)
    assert close(m["accuracy"]["value"], accuracy_score(y, s >= 0.5))
    assert close(m["auc"]["value"], roc_auc_score(y, s))


def test_scripts_from_the_python_api(data, tmp_path):
    """From a Python process the workers are fresh interpreters: the same numbers."""
    baseline(data["scientific"], tmp_path / "cli", "--record-preprocessor-script", data["script"])
    post = script(tmp_path, "import os\ndef postprocess_handler():\n"
                  "    open(os.path.join(os.environ['output_path'], 'post.txt'), 'w').write('done')\n", "post.py")
    code = f"""
import sys
sys.path.insert(0, {str(os.path.join(os.path.dirname(MQMON), "python"))!r})
import mqmon
monitor = mqmon.ModelQualityMonitor(role="r")
monitor.suggest_baseline(baseline_dataset={str(data['scientific'])!r}, dataset_format=mqmon.DatasetFormat.csv(),
                         problem_type="BinaryClassification", inference_attribute="prediction",
                         probability_attribute="probability", ground_truth_attribute="label",
                         output_s3_uri={str(tmp_path / 'py')!r}, record_preprocessor_script={str(data['script'])!r},
                         post_analytics_processor_script={str(post)!r}, script_workers=2,
                         evaluation_time="2024-01-01T00:00:00.000Z")
try:
    monitor.suggest_baseline(baseline_dataset={str(data['plain'])!r}, dataset_format=mqmon.DatasetFormat.csv(),
                             problem_type="BinaryClassification", inference_attribute="prediction",
                             ground_truth_attribute="label", output_s3_uri={str(tmp_path / 'bad')!r},
                             record_preprocessor_script={str(tmp_path / 'missing.py')!r})
except mqmon.ConfigError as e:
    print("ConfigError:", e)
"""
    run = subprocess.run(["/usr/bin/python3", "-c", code], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "py" / "statistics.json").read_text() == (tmp_path / "cli" / "statistics.json").read_text()
    assert (tmp_path / "py" / "post.txt").read_text() == "done"
    assert "ConfigError: the script" in run.stdout and "missing.py' does not exist" in run.stdout


def test_monitoring_and_schedules_run_scripts(tmp_path):
    cap, gt = capture_world(tmp_path)
    constraints = no_constraints(tmp_path)
    pre = script(tmp_path, "import json\n"
                 "def preprocess_handler(r):\n"
                 "    out = r.endpoint_output.data\n"
                 "    return {'prediction': json.loads(out)[0] if out.startswith('[') else float(out)}\n")
    failing = script(tmp_path, "def postprocess_handler():\n    raise ValueError('no alerting today')\n", "post.py")
    run = run_mqmon(["monitor", "--capture", cap, "--ground-truth", gt, *MONITOR, "--probability-attribute",
                     "prediction", "--constraints", constraints, "--output", tmp_path / "m",
                     "--record-preprocessor-script", pre, "--post-analytics-processor-script", failing], check=False)
    assert run.returncode == 2 and "ValueError: no alerting today" in run.stderr
    execution = json.loads((tmp_path / "m" / "execution.json").read_text())
    assert execution["status"] == "Failed" and "post_analytics_processor_script" in execution["failure_reason"]
    assert (tmp_path / "m" / "statistics.json").exists()  # the analysis outputs stay

    state = tmp_path / "mqmon.db"
    common = ["schedule", "create", "s", "--schedule-expression", "cron(0 * ? * * *)", "--capture", cap,
              "--ground-truth", gt, "--constraints", constraints, "--problem-type", "BinaryClassification",
              "--probability-attribute", "prediction", "--output", tmp_path / "out", "--state", state,
              "--now", "2024-05-01T10:30:00Z", "--start-time-offset", "-PT1H"]
    refused = run_mqmon([*common, "--record-preprocessor-script", tmp_path / "missing.py"], check=False)
    assert refused.returncode == 2 and "missing.py' does not exist" in refused.stderr
    run_mqmon([*common, "--record-preprocessor-script", pre])
    run_mqmon(["scheduler", "--state", state, "--now", "2024-05-01T13:05:00Z", "--catch-up", "all"])
    runs = json.loads(run_mqmon(["executions", "list", "--json", "--state", state]).stdout)
    by_time = {r["ScheduledTime"]: r for r in runs}
    assert by_time["2024-05-01T11:00:00Z"]["MonitoringExecutionStatus"] == "Completed"
    assert by_time["2024-05-01T11:00:00Z"]["item_count"] == 300


def test_json_lines_reach_the_handler_as_text(data, tmp_path):
    """Each JSON line is the handler's str; nested fields flattened by the script."""
    lines = tmp_path / "d.jsonl"
    lines.write_text("".join(json.dumps({"out": {"p": float(p)}, "truth": int(y)}) + "\n"
                             for p, y in zip(data["p"], data["y"])))
    flatten = script(tmp_path, "import json\n"
                     "def preprocess_handler(line):\n"
                     "    r = json.loads(line)\n"
                     "    return {'probability': r['out']['p'], 'label': r['truth']}\n")
    run_mqmon(["suggest-baseline", "--baseline-dataset", lines, "--dataset-format", '{"json": {"lines": true}}',
               "--problem-type", "BinaryClassification", "--probability-attribute", "probability",
               "--ground-truth-attribute", "label", "--output", tmp_path / "o", "--record-preprocessor-script", flatten])
    m = json.loads((tmp_path / "o" / "statistics.json").read_text())["binary_classification_metrics"]
    assert close(m["auc"]["value"], roc_auc_score(data["y"], data["p"]))
    assert close(m["accuracy"]["value"], accuracy_score(data["y"], data["p"] >= 0.5))


def test_keys_of_every_kind_and_order_reach_the_attributes(data, tmp_path):
    """Rows whose keys change place, type (int keys) and count between records: each row's own
    keys find its values (the worker sends a repeated key in short form)."""
    shuffle = script(tmp_path, "def preprocess_handler(line):\n"
                     "    if line.startswith('probability'):\n"
                     "        return []\n"
                     "    p, pred, label = line.split(',')\n"
                     "    n = int(float(p) * 1000) % 3\n"
                     "    if n == 0:\n"
                     "        return {'probability': p, 'prediction': pred, 'label': label}\n"
                     "    if n == 1:\n"
                     "        return {'label': label, 'extra': 'x', 'probability': p, 'prediction': pred}\n"
                     "    return {2: label, 0: p, 1: pred, 'note': None}  # by header position\n")
    baseline(data["plain"], tmp_path / "o", "--record-preprocessor-script", shuffle)
    baseline(data["plain"], tmp_path / "p")
    assert (tmp_path / "o" / "statistics.json").read_text() == (tmp_path / "p" / "statistics.json").read_text()


def test_a_failing_capture_handler_names_the_event(tmp_path):
    cap, gt = capture_world(tmp_path)
    constraints = no_constraints(tmp_path)
    failing = script(tmp_path, "def preprocess_handler(r):\n"
                     "    if r.event_metadata.inference_id == 'inf-7':\n"
                     "        raise KeyError('no score')\n"
                     "    return {'prediction': 0.5}\n")
    run = run_mqmon(["monitor", "--capture", cap, "--ground-truth", gt, *MONITOR, "--probability-attribute",
                     "prediction", "--constraints", constraints, "--output", tmp_path / "o",
                     "--record-preprocessor-script", failing], check=False)
    assert run.returncode == 3, run.stderr
    assert "(event 'event-7', inference 'inf-7')" in run.stderr and "KeyError: 'no score'" in run.stderr


def test_a_header_name_given_twice_is_refused_only_where_a_positional_dict_needs_it(tmp_path):
    data = tmp_path / "dup.csv"
    data.write_text("label,probability,label\n1,0.9,0\n0,0.2,0\n")
    positional = script(tmp_path, "import csv\ndef preprocess_handler(line):\n    r = next(csv.reader([line]))\n"
                        "    if r[0] == 'label':\n        return []\n"
                        "    return {str(i).zfill(20): v for i, v in enumerate(r)}\n", "p.py")
    run = run_mqmon(["suggest-baseline", "--baseline-dataset", data, "--problem-type", "BinaryClassification",
                     "--ground-truth-attribute", "label", "--probability-attribute", "probability",
                     "--output", tmp_path / "o", "--record-preprocessor-script", positional], check=False)
    assert run.returncode == 2, run.stderr
    assert f"{data}:1: the header names column 'label' twice, as columns 1 and 3; rename one of them" in run.stderr
    assert not (tmp_path / "o").exists()
    named = script(tmp_path, "def preprocess_handler(line):\n    if line.startswith('label'):\n        return []\n"
                   "    a, p, b = line.split(',')\n    return {'label': a, 'probability': p}\n", "n.py")
    run = run_mqmon(["suggest-baseline", "--baseline-dataset", data, "--problem-type", "BinaryClassification",
                     "--ground-truth-attribute", "label", "--probability-attribute", "probability",
                     "--output", tmp_path / "o", "--record-preprocessor-script", named], check=False)
    assert run.returncode == 0, run.stderr
