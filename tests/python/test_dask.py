"""mqmon's Python API for partial results (partial / merge / finalize) and Dask as the engine: a
real `dask scheduler` and two `dask worker` processes on 127.0.0.1, one killed with SIGKILL in the
middle of a job, workers reading s3:// data themselves; the files equal the single process's."""
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import distributed
import pytest

from conftest import MQMON, run_mqmon
from test_partials import ATTRS, TIME, baseline, combine, frame, partial, same_files, write_parts

sys.path.insert(0, str(Path(MQMON).parent / "python"))  # the package beside the binary under test
import mqmon  # noqa: E402
import mqmon.dask  # noqa: E402


def test_json_lines_by_byte_range_and_the_python_api(tmp_path):
    df = frame("BinaryClassification", 50_000, 2)
    path = tmp_path / "d.jsonl"
    df.to_json(path, orient="records", lines=True)
    jsonl = ["--dataset-format", '{"json": {"lines": true}}']
    want = baseline(path, tmp_path / "single", "BinaryClassification", *jsonl)
    size = path.stat().st_size
    parts = []
    for k, (a, b) in enumerate([(0, size // 3), (size // 3, size // 2), (size // 2, "")]):
        parts.append(tmp_path / f"{k}.mqp")
        partial(path, parts[-1], "BinaryClassification", ["--byte-range", f"{a}:{b}"], *jsonl)
    combine(parts, tmp_path / "merged")
    same_files(tmp_path / "merged", want)

    # The same through mqmon.partial / merge / finalize, and a partial is a partial whatever made it.
    kw = dict(problem_type="BinaryClassification", dataset_format=mqmon.DatasetFormat.json(lines=True),
              ground_truth_attribute="label", inference_attribute="prediction",
              probability_attribute="probability")
    py_parts = [mqmon.partial(path, byte_range=r, **kw) for r in [(size // 2, None), (0, size // 2)]]
    mqmon.finalize(mqmon.merge(py_parts), tmp_path / "py", evaluation_time=TIME, report=False)
    same_files(tmp_path / "py", want)
    stats = mqmon.finalize(mqmon.merge([parts[0].read_bytes(), mqmon.merge(py_parts[:1]),
                                        parts[1].read_bytes()]), evaluation_time=TIME)
    assert stats == mqmon.finalize(mqmon.merge(py_parts), evaluation_time=TIME)


def test_chunks_of_a_frame_merge_into_the_whole_frames_statistics():
    df = frame("BinaryClassification", 30_000, 3)
    whole = mqmon.compute_statistics("BinaryClassification", data=df, evaluation_time=TIME)
    cuts = [0, 1, 9_999, 20_000, 30_000]
    parts = [mqmon.partial_of_frame(df.iloc[a:b], "BinaryClassification", first_row=a)
             for a, b in zip(cuts, cuts[1:])]
    assert mqmon.finalize(mqmon.merge(parts[::-1]), evaluation_time=TIME) == whole
    with pytest.raises(mqmon.DataError, match="rows 1:9999 missing"):
        mqmon.finalize(mqmon.merge([parts[0]] + parts[2:]))


# ---- a real Dask cluster ----

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def cluster(tmp_path, s3_servers):
    """`dask scheduler` and two `dask worker` processes (no nanny: a killed worker stays dead) on
    127.0.0.1, with this mqmon importable and S3 credentials; stopped by process id."""
    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(Path(mqmon.__file__).parent.parent), AWS_ACCESS_KEY_ID="testing",
               AWS_SECRET_ACCESS_KEY="testing", AWS_SHARED_CREDENTIALS_FILE="/nonexistent",
               AWS_CONFIG_FILE="/nonexistent", AWS_EC2_METADATA_DISABLED="true", no_proxy="127.0.0.1",
               NO_PROXY="127.0.0.1")
    log = open(tmp_path / "dask.log", "w")
    procs = [subprocess.Popen(["dask", "scheduler", "--host", "127.0.0.1", "--port", str(port),
                               "--dashboard-address", ":0"], env=env, stdout=log, stderr=log)]
    address = f"tcp://127.0.0.1:{port}"
    try:
        for _ in range(2):
            procs.append(subprocess.Popen(
                ["dask", "worker", address, "--no-nanny", "--nthreads", "1", "--host", "127.0.0.1",
                 "--dashboard-address", ":0", "--memory-limit", "0"], env=env, stdout=log, stderr=log))
        client = distributed.Client(address, timeout=60)
        client.wait_for_workers(2, timeout=60)
        yield client, procs[1:]
        client.close()
    finally:
        for p in procs:
            if p.poll() is None:
                p.terminate()
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        log.close()


BINARY_KW = dict(problem_type="BinaryClassification", ground_truth_attribute="label",
                 inference_attribute="prediction", probability_attribute="probability")


def test_dask_workers_compute_the_single_process_files(tmp_path, cluster):
    client, _ = cluster
    df = frame("BinaryClassification", 200_000, 5)
    write_parts(df, tmp_path / "data", [30_000, 70_000, 40_000, 60_000])
    want = baseline(tmp_path / "data", tmp_path / "single", "BinaryClassification")
    with distributed.get_task_stream(client) as stream:
        job = mqmon.dask.suggest_baseline(client, baseline_dataset=tmp_path / "data",
                                          dataset_format=mqmon.DatasetFormat.csv(), output_s3_uri=tmp_path / "dask",
                                          shard_size=256 << 10, evaluation_time=TIME, report=False, **BINARY_KW)
    same_files(tmp_path / "dask", want)
    assert job.baseline_statistics().body_dict["dataset"]["item_count"] == 200_000
    # The work ran as Dask tasks on the workers: one per 256 KiB of data, merged by tasks of 8 until
    # 8 are left for the client.
    keys = [t["key"] for t in stream.data]
    size = sum(f.stat().st_size for f in (tmp_path / "data").iterdir())
    tasks = -(-size // (256 << 10))
    assert tasks > 8 and sum(k.startswith("mqmon-partial") for k in keys) == tasks
    assert sum(k.startswith("mqmon-merge") for k in keys) == -(-tasks // 8)

    # A monitoring execution over a window on the cluster: the files monitor --dataset writes.
    window = frame("BinaryClassification", 50_000, 6)
    window.loc[window.index % 3 == 0, "prediction"] = 1 - window.prediction  # a worse model
    window.to_csv(tmp_path / "window.csv", index=False)
    r = run_mqmon(["monitor", "--dataset", tmp_path / "window.csv", "--problem-type", "BinaryClassification",
                   *ATTRS["BinaryClassification"], "--constraints", want / "constraints.json",
                   "--evaluation-time", TIME, "--no-report", "--output", tmp_path / "cli_exec"], check=False)
    assert r.returncode == 5  # CompletedWithViolations
    execution = mqmon.dask.run_monitoring(client, dataset=tmp_path / "window.csv",
                                          constraints=want / "constraints.json", output_s3_uri=tmp_path / "exec",
                                          shard_size=256 << 10, evaluation_time=TIME, report=False, **BINARY_KW)
    assert execution.describe()["MonitoringExecutionStatus"] == "CompletedWithViolations"
    same_files(tmp_path / "exec", tmp_path / "cli_exec", ("statistics.json", "constraint_violations.json"))

    # A dask.dataframe: what compute_statistics gives for the whole frame in memory.
    import dask.dataframe as dd
    ddf = dd.from_pandas(df, npartitions=7)
    assert mqmon.dask.compute_statistics(ddf, "BinaryClassification", evaluation_time=TIME) == \
        mqmon.compute_statistics("BinaryClassification", data=df, evaluation_time=TIME)


def test_a_worker_killed_mid_job_changes_no_byte(tmp_path, cluster):
    client, workers = cluster
    df = frame("BinaryClassification", 1_000_000, 7)
    write_parts(df, tmp_path / "data", [250_000, 250_000, 1, 499_999])
    want = baseline(tmp_path / "data", tmp_path / "single", "BinaryClassification")
    done = {}

    def job():
        try:
            mqmon.dask.suggest_baseline(client, baseline_dataset=tmp_path / "data", output_s3_uri=tmp_path / "dask",
                                        shard_size=128 << 10, evaluation_time=TIME, report=False, threads=1,
                                        **BINARY_KW)
        except BaseException as e:  # noqa: BLE001  reported below
            done["error"] = e

    thread = threading.Thread(target=job)
    thread.start()

    def pending(dask_scheduler):
        return sum(str(key).startswith("mqmon-partial") and ts.state in ("waiting", "processing", "queued",
                                                                          "no-worker")
                   for key, ts in dask_scheduler.tasks.items())

    # Kill one worker once some partials are computed and others are still to come.
    total = -(-sum(f.stat().st_size for f in (tmp_path / "data").iterdir()) // (128 << 10))
    deadline = time.time() + 120
    while time.time() < deadline:
        left = client.run_on_scheduler(pending)
        if 5 <= left <= total - 3:
            break
        time.sleep(0.005)
    else:
        pytest.fail("the job never reached its middle")
    os.kill(workers[0].pid, signal.SIGKILL)
    thread.join(timeout=600)
    assert not thread.is_alive() and "error" not in done, done
    assert workers[0].wait(timeout=10) == -signal.SIGKILL
    assert len(client.scheduler_info()["workers"]) == 1  # the job finished on the other one
    same_files(tmp_path / "dask", want)


def test_workers_read_s3_data_themselves(tmp_path, cluster, s3_servers, monkeypatch):
    import test_s3
    client, _ = cluster
    for key, value in test_s3.CREDS.items():  # this process writes the outputs
        monkeypatch.setenv(key, value)
    store = test_s3.Store(s3_servers["MQMON_TEST_S3_ENDPOINT"])
    df = frame("Regression", 60_000, 8)
    write_parts(df, tmp_path / "data", [10_000, 20_000, 15_000, 15_000])
    store.upload_tree(tmp_path / "data", "train/")
    want = baseline(tmp_path / "data", tmp_path / "single", "Regression")  # a local copy, same names
    mqmon.dask.suggest_baseline(client, baseline_dataset=store.uri("train/"), problem_type="Regression",
                                ground_truth_attribute="label", inference_attribute="prediction",
                                output_s3_uri=store.uri("baseline/"), shard_size=256 << 10,
                                s3_endpoint=store.endpoint, evaluation_time=TIME, report=False, progress=True)
    assert store.get("baseline/statistics.json") == (want / "statistics.json").read_bytes()
    assert store.get("baseline/constraints.json") == (want / "constraints.json").read_bytes()
