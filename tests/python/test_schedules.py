"""Monitoring schedules: a clock-driven scenario over 8 hours of captured traffic with late labels
(every execution's statistics against scikit-learn on its window), stop/start, catch-up, two
schedulers racing on one database, a scheduler killed mid-execution, max runtime, bad input, and
the SDK's flow in Python."""
import json
import re
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, f1_score, roc_auc_score

from conftest import MQMON, close, run_mqmon
from test_monitor import UTC, capture, hour_dir, iso, label, write_lines

DAY = datetime(2024, 5, 1, tzinfo=UTC)
FIRST, HOURS = 8, 8          # inferences from 08:00 to 16:00
DEGRADED = 13                # the model fails in this hour: scores inverted
OFFSETS = ["--start-time-offset", "-PT3H", "--end-time-offset", "-PT2H"]  # labels arrive within 2 h


def at(hour, minute=0, day=0):
    return DAY + timedelta(days=day, hours=hour, minutes=minute)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """Capture and ground-truth trees (labels 1 or 2 hours after their inference), a baseline's
    constraints, and every inference as (time, score, label)."""
    root = tmp_path_factory.mktemp("world")
    rng = np.random.default_rng(5)
    cap, gt = root / "capture" / "ep" / "AllTraffic", root / "ground-truth"
    rows = []
    for h in range(FIRST, FIRST + HOURS):
        for k in range(150):
            i = len(rows)
            t = at(h) + timedelta(seconds=int(rng.integers(0, 3600)))
            y = int(rng.random() < 0.4)
            score = round(float(np.clip(rng.normal(0.3 + 0.4 * y, 0.15), 0, 1)), 4)
            if h == DEGRADED:
                score = round(1 - score, 4)
            rows.append((t, score, y))
            write_lines(hour_dir(cap, t) / "capture.jsonl", [capture(i, t, score, True)])
            arrives = t + timedelta(hours=1 + int(rng.integers(0, 2)))
            write_lines(hour_dir(gt, arrives) / "labels.jsonl", [label(f"inf-{i}", y)])
    # The baseline: the healthy hours, as a CSV.
    base = root / "baseline.csv"
    base.write_text("probability,label\n" + "".join(f"{s},{y}\n" for t, s, y in rows if t.hour != DEGRADED))
    run_mqmon(["suggest-baseline", "--baseline-dataset", base, "--problem-type", "BinaryClassification",
               "--probability-attribute", "probability", "--ground-truth-attribute", "label",
               "--output", root / "baseline"])
    return dict(root=root, capture=cap, ground_truth=gt, constraints=root / "baseline" / "constraints.json",
                rows=rows)


def mq(*args, check=True):
    return run_mqmon([str(a) for a in args], check=check)


def create(world, state, name="hourly", expression="cron(0 * ? * * *)", now=at(8, 30), *extra, check=True):
    return mq("schedule", "create", name, "--schedule-expression", expression, "--capture", world["capture"],
              "--ground-truth", world["ground_truth"], "--constraints", world["constraints"],
              "--problem-type", "BinaryClassification", "--probability-attribute", "0",
              "--endpoint-name", "ep", "--output", state.parent / "out", "--state", state, "--now", iso(now),
              *OFFSETS, *extra, check=check)


def scheduler(state, now, *extra, check=True):
    return mq("scheduler", "--state", state, "--now", iso(now), *extra, check=check)


def executions(state, *extra):
    return json.loads(mq("executions", "list", "--json", "--state", state, *extra).stdout)


def expected_window(world, scheduled):
    start, end = scheduled - timedelta(hours=3), scheduled - timedelta(hours=2)
    win = [(s, y) for t, s, y in world["rows"] if start <= t < end]
    scores = np.array([s for s, _ in win])
    y = np.array([y for _, y in win])
    return y, scores


def test_clock_driven_hourly_schedule(world, tmp_path):
    state = tmp_path / "mqmon.db"
    out = create(world, state)
    assert "first execution due at 2024-05-01T09:00:00Z" in out.stdout
    described = json.loads(mq("schedule", "describe", "hourly", "--json", "--state", state,
                              "--now", iso(at(8, 30))).stdout)
    assert described["MonitoringScheduleName"] == "hourly"
    assert described["MonitoringScheduleStatus"] == "Scheduled"
    assert described["next_scheduled_time"] == "2024-05-01T09:00:00Z"
    assert "LastMonitoringExecutionSummary" not in described

    # 12:10 with every missed time run: 09:00 and 10:00 have no traffic in their windows yet.
    scheduler(state, at(12, 10), "--catch-up", "all")
    runs = executions(state)
    assert [r["ScheduledTime"] for r in runs] == [iso(at(h)) for h in (9, 10, 11, 12)]
    assert [r["MonitoringExecutionStatus"] for r in runs] == ["Failed", "Failed", "Completed", "Completed"]
    assert runs[0]["FailureReason"].startswith("no captured inferences in the window 2024-05-01T06:00:00Z")
    assert runs[2]["window_start"] == "2024-05-01T08:00:00Z" and runs[2]["window_end"] == "2024-05-01T09:00:00Z"

    # Stopped: nothing runs. Started at 15:30: from then on.
    mq("schedule", "stop", "hourly", "--state", state, "--now", iso(at(12, 20)))
    scheduler(state, at(15, 10))
    assert len(executions(state)) == 4
    mq("schedule", "start", "hourly", "--state", state, "--now", iso(at(15, 30)))
    scheduler(state, at(16, 10))
    # A gap: at 18:10 only the latest missed time (18:00) runs; 17:00 is skipped.
    scheduler(state, at(18, 10))
    runs = executions(state)
    assert [r["ScheduledTime"] for r in runs][4:] == [iso(at(16)), iso(at(18))]
    # 16:00 looks at 13:00-14:00, the degraded hour; 18:00 at 15:00-16:00.
    assert runs[4]["MonitoringExecutionStatus"] == "CompletedWithViolations"
    assert runs[5]["MonitoringExecutionStatus"] == "Completed"
    for r in runs:
        if r["MonitoringExecutionStatus"] == "Failed":
            assert not os.path.exists(os.path.join(r["output"], "statistics.json"))
            continue
        scheduled = datetime.strptime(r["ScheduledTime"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        assert r["output"] == f"{tmp_path}/out/ep/hourly/{scheduled:%Y/%m/%d/%H}/"
        y, scores = expected_window(world, scheduled)
        stats = json.loads(open(os.path.join(r["output"], "statistics.json")).read())
        metrics = stats["binary_classification_metrics"]
        assert stats["dataset"]["item_count"] == len(y) == r["item_count"]
        assert close(metrics["accuracy"]["value"], accuracy_score(y, scores >= 0.5))
        assert close(metrics["f1"]["value"], f1_score(y, scores >= 0.5))
        assert close(metrics["auc"]["value"], roc_auc_score(y, scores))
        assert close(r["metrics"]["auc"]["value"], metrics["auc"]["value"])
        assert r["label_coverage"] == 1.0
        violations = json.loads(open(os.path.join(r["output"], "constraint_violations.json")).read())["violations"]
        assert len(violations) == r["violation_count"]
        assert (r["MonitoringExecutionStatus"] == "CompletedWithViolations") == bool(violations)

    # The history of a metric, in order, with its threshold.
    history = json.loads(mq("history", "--schedule", "hourly", "--metric", "auc", "--json", "--state", state).stdout)
    assert [h["ScheduledTime"] for h in history] == [iso(at(h)) for h in (11, 12, 16, 18)]
    assert all("threshold" in h for h in history)
    assert [h["violation"] for h in history] == [False, False, True, False]
    csv = mq("history", "--schedule", "hourly", "--metric", "auc", "--csv", "--state", state).stdout.splitlines()
    assert csv[0].startswith("scheduled_time,status,metric,value") and len(csv) == 5
    wrong = mq("history", "--schedule", "hourly", "--metric", "acuracy", "--state", state, check=False)
    assert wrong.returncode == 2 and "(did you mean 'accuracy'?)" in wrong.stderr

    described = json.loads(mq("schedule", "describe", "hourly", "--json", "--state", state,
                              "--now", iso(at(18, 10))).stdout)
    summary = described["LastMonitoringExecutionSummary"]
    assert summary["ScheduledTime"] == iso(at(18)) and summary["MonitoringExecutionStatus"] == "Completed"
    assert described["next_scheduled_time"] == iso(at(19))
    one = json.loads(mq("executions", "describe", str(runs[0]["execution_id"]), "--json", "--state", state).stdout)
    assert one["ProcessingJobStatus"] == "Failed" and one["FailureReason"] == runs[0]["FailureReason"]
    assert one["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"] == runs[0]["output"]
    since = executions(state, "--since", iso(at(12)))
    assert [r["ScheduledTime"] for r in since] == [iso(at(h)) for h in (12, 16, 18)]
    (listed,) = json.loads(mq("schedule", "list", "--json", "--state", state, "--now", iso(at(18, 10))).stdout)
    assert listed["MonitoringScheduleName"] == "hourly" and listed["next_scheduled_time"] == iso(at(19))
    # Enabled by default: the CloudWatch records of every completed execution.
    assert os.path.exists(os.path.join(runs[2]["output"], "cloudwatch_metrics.json"))
    text = mq("executions", "list", "--schedule", "hourly", "--status", "CompletedWithViolations",
              "--state", state).stdout
    assert len(text.splitlines()) == 2 and "auc=" in text

    # Each completed execution's report.html, and the schedule's history view.
    for r in runs:
        if r["MonitoringExecutionStatus"] != "Failed":
            page = open(os.path.join(r["output"], "report.html")).read()
            assert f'class="banner {r["MonitoringExecutionStatus"]}"' in page
    mq("report", "--history", "--schedule", "hourly", "--state", state, "--output", tmp_path / "history.html")
    page = (tmp_path / "history.html").read_text()
    assert re.findall(r'<tr data-status="(\w+)">', page) == [r["MonitoringExecutionStatus"] for r in runs]
    assert 'id="history-auc"' in page and page.count('data-violation="true"') >= 1
    wrong = mq("report", "--history", "--schedule", "hourli", "--state", state, "--output", tmp_path / "x.html",
               check=False)
    assert wrong.returncode == 2 and "hourly" in wrong.stderr and not (tmp_path / "x.html").exists()


def test_two_schedulers_run_every_execution_exactly_once(world, tmp_path):
    state = tmp_path / "mqmon.db"
    create(world, state, "a", now=at(8, 30))
    create(world, state, "b", "cron(0 0/2 ? * * *)", now=at(8, 30))
    ran = 0
    for now in (at(11, 5), at(14, 5), at(19, 5)):
        procs = [subprocess.Popen([MQMON, "scheduler", "--state", str(state), "--now", iso(now), "--catch-up", "all"],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
        for p in procs:
            stdout, stderr = p.communicate(timeout=300)
            assert p.returncode == 0, stderr
            ran += int(stdout.strip().splitlines()[-1].split()[1])
    runs = executions(state)
    keys = [(r["MonitoringScheduleName"], r["ScheduledTime"]) for r in runs]
    expected = [("a", iso(at(h))) for h in range(9, 20)] + [("b", iso(at(h))) for h in (10, 12, 14, 16, 18)]
    assert sorted(keys) == sorted(expected)
    assert ran == len(expected)  # each run by one of the two
    assert all(r["MonitoringExecutionStatus"] in ("Completed", "CompletedWithViolations", "Failed") for r in runs)


class SilentStore:
    """An 'S3 endpoint' that accepts connections and never answers: an execution reading from it
    runs until something stops it."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.conns = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                self.conns.append(self.sock.accept()[0])
            except OSError:
                return

    @property
    def env(self):
        return dict(os.environ, AWS_ENDPOINT_URL_S3=f"http://127.0.0.1:{self.sock.getsockname()[1]}",
                    AWS_ACCESS_KEY_ID="AKIDEXAMPLE", AWS_SECRET_ACCESS_KEY="secret", AWS_REGION="us-east-1",
                    MQMON_S3_READ_TIMEOUT="600", HTTP_PROXY="", HTTPS_PROXY="", http_proxy="", https_proxy="")


def stalled_schedule(world, state, *extra):
    store = SilentStore()
    subprocess.run([MQMON, "schedule", "create", "stalled", "--schedule-expression", "cron(0 * ? * * *)",
                    "--capture", "s3://bucket/capture", "--ground-truth", str(world["ground_truth"]),
                    "--constraints", str(world["constraints"]), "--problem-type", "BinaryClassification",
                    "--probability-attribute", "0", "--output", str(state.parent / "out"), "--state", str(state),
                    "--now", iso(at(8, 30)), *extra], check=True, env=store.env, capture_output=True)
    return store


def wait_for_status(state, status, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        runs = executions(state)
        if runs and runs[-1]["MonitoringExecutionStatus"] == status:
            return runs[-1]
        time.sleep(0.2)
    raise AssertionError(f"no execution became {status}")


def test_a_scheduler_killed_mid_execution_leaves_a_resolved_orphan(world, tmp_path):
    state = tmp_path / "mqmon.db"
    store = stalled_schedule(world, state)
    proc = subprocess.Popen([MQMON, "scheduler", "--state", str(state), "--now", iso(at(9, 5))], env=store.env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    running = wait_for_status(state, "InProgress")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    # The execution's own process dies with its scheduler.
    time.sleep(0.5)
    pgrep = subprocess.run(["pgrep", "-f", "--", f"--state {state}"], capture_output=True, text=True)
    assert pgrep.returncode == 1 and pgrep.stdout == "", pgrep
    report = scheduler(state, at(9, 6)).stdout
    assert "1 orphan resolved" in report
    (run,) = executions(state)
    assert run["MonitoringExecutionStatus"] == "Failed"
    assert run["FailureReason"].startswith("the runner stopped during the execution")
    assert not os.path.exists(running["output"])  # no half-written outputs


def test_an_execution_over_its_max_runtime_is_stopped(world, tmp_path):
    state = tmp_path / "mqmon.db"
    store = stalled_schedule(world, state, "--max-runtime-in-seconds", "2")
    started = time.time()
    subprocess.run([MQMON, "scheduler", "--state", str(state), "--now", iso(at(9, 5))], env=store.env, check=True,
                   capture_output=True, timeout=60)
    assert time.time() - started < 30
    (run,) = executions(state)
    assert run["MonitoringExecutionStatus"] == "Failed"
    assert run["FailureReason"] == "the execution ran longer than max_runtime_in_seconds (2 s) and was stopped"
    assert not os.path.exists(run["output"])


@pytest.mark.parametrize("expression, words", [
    ("cron(15 * ? * * *)", "minutes must be 0"),
    ("cron(0 * 1 * ? *)", "day-of-month, month, day-of-week and year must be '?' or '*'"),
    ("rate(1 hour)", "rate expressions are not accepted"),
    ("cron(0 0/25 ? * * *)", "the rate '25' is not a whole number of hours from 1 to 24"),
    ("cron(0 0/0 ? * * *)", "the rate '0' is not a whole number of hours from 1 to 24"),
    ("NOW", "a NOW schedule needs --data-analysis-start-time and --data-analysis-end-time"),
])
def test_invalid_expressions_are_refused_naming_the_accepted_forms(world, tmp_path, expression, words):
    run = create(world, tmp_path / "mqmon.db", "s", expression, check=False)
    assert run.returncode == 2 and words in run.stderr, run.stderr
    if expression != "NOW":
        assert "the accepted forms are cron(0 * ? * * *) (hourly)" in run.stderr


def test_bad_schedules_and_databases_are_refused(world, tmp_path):
    state = tmp_path / "mqmon.db"
    run = create(world, state, "s", "NOW", at(8, 30), "--data-analysis-start-time", "-PT25H",
                 "--data-analysis-end-time", "-PT0H", check=False)
    assert run.returncode == 2 and "more than 24 hours apart" in run.stderr
    missing = tmp_path / "nope.json"
    run = mq("schedule", "create", "s", "--schedule-expression", "cron(0 * ? * * *)", "--capture", world["capture"],
             "--ground-truth", world["ground_truth"], "--constraints", missing, "--problem-type",
             "BinaryClassification", "--probability-attribute", "0", "--output", tmp_path / "out",
             "--state", state, check=False)
    assert run.returncode == 4 and f"cannot read '{missing}'" in run.stderr
    create(world, state, "s")
    run = create(world, state, "s", check=False)
    assert run.returncode == 2 and "a schedule named 's' exists already" in run.stderr
    run = mq("schedule", "describe", "hourlly", "--state", state, check=False)
    assert run.returncode == 2 and "there is no schedule named 'hourlly'" in run.stderr
    # Not SQLite, or from a newer mqmon: refused, left byte for byte as it was.
    notes = tmp_path / "notes.db"
    notes.write_text("not a database\n")
    run = mq("schedule", "list", "--state", notes, check=False)
    assert run.returncode == 4 and "is not an mqmon state database" in run.stderr
    assert notes.read_text() == "not a database\n"
    newer = tmp_path / "newer.db"
    subprocess.run(["/usr/bin/python3", "-c", f"import sqlite3; c = sqlite3.connect('{newer}'); "
                    "c.execute('PRAGMA user_version = 7'); c.commit()"], check=True)
    before = newer.read_bytes()
    run = mq("schedule", "list", "--state", newer, check=False)
    assert run.returncode == 4 and "written by a newer mqmon (schema version 7" in run.stderr
    assert newer.read_bytes() == before


def test_a_now_schedule_runs_once_over_its_window(world, tmp_path):
    state = tmp_path / "mqmon.db"
    create(world, state, "once", "NOW", at(12, 0), "--data-analysis-start-time", "-PT3H",
           "--data-analysis-end-time", "-PT1H")
    scheduler(state, at(12, 5))
    scheduler(state, at(18, 5))
    (run,) = executions(state)
    assert (run["window_start"], run["window_end"]) == (iso(at(9)), iso(at(11)))
    assert run["item_count"] == sum(1 for t, _, _ in world["rows"] if at(9) <= t < at(11))


def test_the_sdk_flow_continues_in_python(world, tmp_path):
    script = f"""
import json, sys
sys.path.insert(0, {str(os.path.join(os.path.dirname(MQMON), "python"))!r})
from mqmon import ModelQualityMonitor, DatasetFormat, EndpointInput, CronExpressionGenerator, Session
monitor = ModelQualityMonitor(role="r", instance_count=1, instance_type="ml.m5.xlarge", max_runtime_in_seconds=1800,
                              sagemaker_session=Session(state={str(tmp_path / 'mqmon.db')!r}))
job = monitor.suggest_baseline(baseline_dataset={str(world['root'] / 'baseline.csv')!r},
                               dataset_format=DatasetFormat.csv(header=True), problem_type="BinaryClassification",
                               probability_attribute="probability", ground_truth_attribute="label",
                               output_s3_uri={str(tmp_path / 'baseline')!r})
job.wait(logs=False)
schedule = monitor.create_monitoring_schedule(
    endpoint_input=EndpointInput(endpoint_name="ep", destination="/opt/ml/processing/input_data",
                                 start_time_offset="-PT3H", end_time_offset="-PT2H", probability_attribute="0",
                                 probability_threshold_attribute=0.5),
    ground_truth_input={str(world['ground_truth'])!r}, problem_type="BinaryClassification",
    output_s3_uri={str(tmp_path / 'out')!r}, constraints=monitor.suggested_constraints(),
    monitor_schedule_name="py-hourly", schedule_cron_expression=CronExpressionGenerator.hourly(),
    enable_cloudwatch_metrics=True, data_capture_s3_uri={str(world['capture'])!r}, now="2024-05-01T08:30:00Z")
ran = monitor.run_due_executions(now="2024-05-01T16:05:00Z")
last = monitor.list_executions()[-1]
d = last.describe()
last.wait(logs=False)
v = last.constraint_violations()
again = ModelQualityMonitor.attach("py-hourly", sagemaker_session=Session(state={str(tmp_path / 'mqmon.db')!r}))
again.update_monitoring_schedule(schedule_cron_expression=CronExpressionGenerator.daily_every_x_hours(6, 2),
                                 endpoint_input=EndpointInput("ep", start_time_offset="-PT4H"))
updated = again.describe_schedule()["MonitoringScheduleConfig"]
assert updated["ScheduleConfig"]["ScheduleExpression"] == "cron(0 2/6 ? * * *)", updated
assert updated["MonitoringJobDefinition"]["ModelQualityJobInput"]["EndpointInput"]["StartTimeOffset"] == "-PT4H"
assert updated["MonitoringJobDefinition"]["StoppingCondition"]["MaxRuntimeInSeconds"] == 1800
again.stop_monitoring_schedule()
reports = dict(baseline=job.report(), execution=last.report(), inline=last._repr_html_()[:40],
               history=again.history_report(output={str(tmp_path / 'history.html')!r}))
print(json.dumps(dict(ran=len(ran), schedule=schedule["MonitoringScheduleStatus"], describe=d, reports=reports,
                      violations=v.body_dict["violations"], status=again.describe_schedule()["MonitoringScheduleStatus"],
                      count=len(again.list_executions()))))
"""
    out = subprocess.run(["/usr/bin/python3", "-c", script], capture_output=True, text=True, check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["schedule"] == "Scheduled" and result["ran"] == 1 and result["count"] == 1
    reports = result["reports"]
    assert reports["baseline"] == str(tmp_path / "baseline" / "report.html")
    assert "Model quality baseline" in open(reports["baseline"]).read()
    assert reports["execution"].endswith("/report.html") and os.path.exists(reports["execution"])
    assert reports["inline"].startswith('<iframe style="width: 100%')
    assert '<tr data-status="' in open(reports["history"]).read()
    d = result["describe"]
    assert d["ScheduledTime"] == iso(at(16)) and d["MonitoringExecutionStatus"] == "CompletedWithViolations"
    assert d["ProcessingJobStatus"] == "Completed" and d["ProcessingJobName"].startswith("mqmon-execution-")
    assert d["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"] == f"{tmp_path}/out/ep/py-hourly/2024/05/01/16/"
    assert result["violations"] and result["status"] == "Stopped"


def test_the_long_running_scheduler_runs_what_is_due_and_stops_on_sigterm(world, tmp_path):
    state = tmp_path / "mqmon.db"
    # A NOW schedule made at the real time is due at once.
    mq("schedule", "create", "now", "--schedule-expression", "NOW", "--capture", world["capture"],
       "--ground-truth", world["ground_truth"], "--constraints", world["constraints"], "--problem-type",
       "BinaryClassification", "--probability-attribute", "0", "--output", tmp_path / "out", "--state", state,
       "--data-analysis-start-time", "-PT2H", "--data-analysis-end-time", "-PT1H")
    proc = subprocess.Popen([MQMON, "scheduler", "--state", str(state)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    run = wait_for_status(state, "Failed")  # no traffic in the last hours of the real clock
    assert run["FailureReason"].startswith("no captured inferences in the window")
    proc.send_signal(signal.SIGTERM)
    stdout, stderr = proc.communicate(timeout=10)
    assert proc.returncode == 0, stderr
    assert "scheduler running on" in stdout and f"execution {run['execution_id']} of now" in stdout


def test_update_changes_what_is_given_and_delete_keeps_or_purges_history(world, tmp_path):
    state = tmp_path / "mqmon.db"
    create(world, state)
    mq("schedule", "update", "hourly", "--schedule-expression", "cron(0 5 ? * * *)", "--start-time-offset", "-PT4H",
       "--state", state)
    d = json.loads(mq("schedule", "describe", "hourly", "--json", "--state", state, "--now", iso(at(8, 30))).stdout)
    config = d["MonitoringScheduleConfig"]
    assert config["ScheduleConfig"]["ScheduleExpression"] == "cron(0 5 ? * * *)"
    endpoint = config["MonitoringJobDefinition"]["ModelQualityJobInput"]["EndpointInput"]
    assert (endpoint["StartTimeOffset"], endpoint["EndTimeOffset"]) == ("-PT4H", "-PT2H")  # end kept
    assert endpoint["ProbabilityAttribute"] == "0"
    assert d["next_scheduled_time"] == iso(at(5, day=1))
    run = mq("schedule", "update", "hourly", "--schedule-expression", "cron(0 5/30 ? * * *)", "--state", state,
             check=False)
    assert run.returncode == 2 and "the rate '30'" in run.stderr
    # Delete keeps the history and the outputs; --purge removes both.
    scheduler(state, at(5, 10, day=1))
    (execution,) = executions(state)
    assert os.path.exists(execution["output"])
    mq("schedule", "delete", "hourly", "--state", state)
    assert len(executions(state)) == 1 and os.path.exists(execution["output"])
    create(world, state, "other", "cron(0 * ? * * *)", at(8, 30), "--disable-cloudwatch-metrics")
    scheduler(state, at(11, 10), "--catch-up", "all")  # 11:00 looks at 08:00-09:00
    purged = executions(state, "--schedule", "other")
    assert purged and all(os.path.exists(r["output"]) for r in purged)
    # Disabled: no CloudWatch records beside the statistics.
    completed = [r["output"] for r in purged if r["MonitoringExecutionStatus"] != "Failed"]
    assert completed and all(os.path.exists(os.path.join(o, "statistics.json")) and
                             not os.path.exists(os.path.join(o, "cloudwatch_metrics.json")) for o in completed)
    mq("schedule", "delete", "other", "--purge", "--state", state)
    assert [r["MonitoringScheduleName"] for r in executions(state)] == ["hourly"]
    assert not any(os.path.exists(r["output"]) for r in purged)
