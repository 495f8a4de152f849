"""Beyond one machine: partial results from any sharding (by file, by byte range, from Dask) merge
into files equal to the single process's byte for byte; damaged, foreign or incomplete partials are
refused, each with its own message; a real Dask scheduler and two workers, one killed with SIGKILL
in the middle of a job, and workers reading s3:// data themselves."""
import gzip
import os
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import sys

import distributed
import numpy as np
import pandas as pd
import pytest

from conftest import MQMON, run_mqmon

sys.path.insert(0, str(Path(MQMON).parent / "python"))  # the package beside the binary under test
import mqmon  # noqa: E402
import mqmon.dask  # noqa: E402

TIME = "2024-01-01T00:00:00.000Z"
ATTRS = {
    "BinaryClassification": ["--ground-truth-attribute", "label", "--inference-attribute", "prediction",
                             "--probability-attribute", "probability"],
    "MulticlassClassification": ["--ground-truth-attribute", "label", "--inference-attribute", "prediction"],
    "Regression": ["--ground-truth-attribute", "label", "--inference-attribute", "prediction"],
}


def frame(problem, n, seed):
    rng = np.random.default_rng(seed)
    if problem == "BinaryClassification":
        y = (rng.random(n) < 0.35).astype(int)
        # Six decimals: well over 10^5 distinct scores, and ties among them.
        p = np.clip(rng.normal(0.3 + 0.35 * y, 0.2), 0, 1).round(6)
        return pd.DataFrame({"label": y, "prediction": (p >= 0.5).astype(int), "probability": p})
    if problem == "MulticlassClassification":
        y = rng.integers(0, 6, n)
        return pd.DataFrame({"label": y, "prediction": np.where(rng.random(n) < 0.7, y, rng.integers(0, 6, n))})
    y = rng.normal(100, 20, n).round(4)
    return pd.DataFrame({"label": y, "prediction": (y + rng.standard_t(5, n) * 4).round(4)})


def write_parts(df, folder, sizes):
    """The frame as CSV files of the given row counts below `folder` (the third one gzip)."""
    folder.mkdir(parents=True)
    start = 0
    for i, size in enumerate(sizes):
        text = df.iloc[start:start + size].to_csv(index=False)
        if i == 2:
            (folder / f"part-{i}.csv.gz").write_bytes(gzip.compress(text.encode()))
        else:
            (folder / f"part-{i}.csv").write_text(text)
        start += size


def baseline(dataset, out, problem, *extra):
    run_mqmon(["suggest-baseline", "--baseline-dataset", dataset, "--problem-type", problem, *ATTRS[problem],
               "--evaluation-time", TIME, "--no-report", "--output", out, *extra])
    return out


def partial(dataset, out, problem, where, *extra, check=True):
    return run_mqmon(["partial", *where, "--baseline-dataset", dataset, "--problem-type", problem,
                      *ATTRS[problem], "--output", out, *extra], check=check)


def combine(parts, out, *extra, check=True):
    return run_mqmon(["combine", *parts, "--evaluation-time", TIME, "--no-report", "--output", out, *extra],
                     check=check)


def same_files(a, b, names=("statistics.json", "constraints.json")):
    for name in names:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


@pytest.mark.parametrize("problem", ["BinaryClassification", "MulticlassClassification", "Regression"])
def test_any_sharding_gives_the_single_process_files(tmp_path, problem):
    n = 400_000 if problem == "BinaryClassification" else 120_000
    df = frame(problem, n, 1)
    if problem == "BinaryClassification":
        assert df.probability.nunique() > 100_000 and df.probability.duplicated().any()
    write_parts(df, tmp_path / "data", [n // 10, n // 3, n // 5, n - n // 10 - n // 3 - n // 5])
    want = baseline(tmp_path / "data", tmp_path / "single", problem)
    for count in (1, 2, 3, 7):  # by files (a plain file cut where a shard's bytes end)
        parts = [tmp_path / f"s{count}-{i}.mqp" for i in range(count)]
        for i, part in enumerate(parts):
            partial(tmp_path / "data", part, problem, ["--shard", f"{i}/{count}"])
        combine(parts[::-1], tmp_path / f"shards{count}")  # any order
        same_files(tmp_path / f"shards{count}", want)

    # Byte ranges of one file, cut in the middle of lines.
    one = tmp_path / "one.csv"
    df.to_csv(one, index=False)
    want = baseline(one, tmp_path / "one_single", problem)
    size = one.stat().st_size
    for count in (2, 3, 7):
        cuts = [0] + [size * k // count + 17 * k for k in range(1, count)] + [size]
        parts = [tmp_path / f"r{count}-{k}.mqp" for k in range(count)]
        for k, part in enumerate(parts):
            end = "" if k == count - 1 else str(cuts[k + 1])
            partial(one, part, problem, ["--byte-range", f"{cuts[k]}:{end}"])
        combine(parts, tmp_path / f"ranges{count}")
        same_files(tmp_path / f"ranges{count}", want)


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


def test_a_quoted_line_break_across_a_byte_range_is_refused(tmp_path):
    lines = ["label,prediction,probability,note"]
    for i in range(2000):
        note = '"two\nlines"' if i % 10 == 0 else "one"
        lines.append(f"{i % 2},{i % 2},0.{i % 9}5,{note}")
    path = tmp_path / "q.csv"
    path.write_text("\n".join(lines) + "\n")
    text = path.read_text()
    inside = text.index('"two\n', len(text) // 3) + 5  # a cut right after the line break inside quotes
    r = partial(path, tmp_path / "a.mqp", "BinaryClassification", ["--byte-range", f"0:{inside}"], check=False)
    assert r.returncode == 3, r.stderr
    assert f"'{path}': the shard of bytes 0:{inside} ends inside a record (a quoted field holds a line " \
           "break" in r.stderr
    assert "can be sharded by whole files only" in r.stderr and not (tmp_path / "a.mqp").exists()
    # A cut between records is fine, and the quoted line breaks stay exact.
    between = sum(len(line) + 1 for line in lines[:1001])  # where record 1000 starts
    want = baseline(path, tmp_path / "single", "BinaryClassification")
    partial(path, tmp_path / "a.mqp", "BinaryClassification", ["--byte-range", f"0:{between}"])
    partial(path, tmp_path / "b.mqp", "BinaryClassification", ["--byte-range", f"{between}:"])
    combine([tmp_path / "a.mqp", tmp_path / "b.mqp"], tmp_path / "merged")
    same_files(tmp_path / "merged", want)


@pytest.fixture
def two_parts(tmp_path):
    df = frame("BinaryClassification", 5_000, 4)
    write_parts(df, tmp_path / "data", [1000, 1000, 1000, 2000])
    parts = [tmp_path / "p0.mqp", tmp_path / "p1.mqp"]
    for i, p in enumerate(parts):
        partial(tmp_path / "data", p, "BinaryClassification", ["--shard", f"{i}/2"])
    return parts


def refused(tmp_path, parts, code=3):
    r = combine(parts, tmp_path / "out", check=False)
    assert r.returncode == code, r.stderr
    assert not (tmp_path / "out").exists()  # nothing written
    return r.stderr


def test_partials_are_refused_each_with_its_own_message(tmp_path, two_parts):
    a, b = two_parts
    data = b.read_bytes()

    other = tmp_path / "other.mqp"
    partial(tmp_path / "data", other, "BinaryClassification", ["--shard", "1/2"], "--positive-label", "0")
    assert f"'{other}' was computed with positive_label '0', the partials before it with '1'" in \
        refused(tmp_path, [a, other], code=2)

    truncated = tmp_path / "truncated.mqp"
    truncated.write_bytes(data[: len(data) // 2])
    assert f"'{truncated}' is truncated: {len(data) // 2} bytes of the {len(data)} its header announces" in \
        refused(tmp_path, [a, truncated])

    flipped = tmp_path / "flipped.mqp"
    damaged = bytearray(data)
    damaged[len(data) // 2] ^= 0x10
    flipped.write_bytes(bytes(damaged))
    assert f"'{flipped}' is damaged: its checksum does not match its content" in refused(tmp_path, [a, flipped])

    future = tmp_path / "future.mqp"
    newer = bytearray(data)
    newer[8:12] = (2).to_bytes(4, "little")
    future.write_bytes(bytes(newer))
    assert f"'{future}' is a partial result of format version 2; this mqmon reads version 1: combine it with " \
           "the newer mqmon that wrote it" in refused(tmp_path, [a, future])

    csv = tmp_path / "data" / "part-0.csv"
    assert f"'{csv}' is not an mqmon partial result (it does not start with MQMONPRT)" in refused(tmp_path, [csv])

    assert "the partial results do not cover the dataset: " in refused(tmp_path, [a])
    twice = refused(tmp_path, [a, b, a])
    assert f"'{a}' covers" in twice and "which an earlier partial covers too" in twice

    (tmp_path / "data2").mkdir()
    (tmp_path / "data2" / "x.csv").write_bytes((tmp_path / "data" / "part-0.csv").read_bytes())
    foreign = tmp_path / "foreign.mqp"
    partial(tmp_path / "data2", foreign, "BinaryClassification", ["--shard", "0/1"])
    assert f"'{foreign}' is from another dataset than the partials before it" in refused(tmp_path, [a, foreign], 2)

    combine([b, a], tmp_path / "ok")  # and the good ones still merge


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
                                          shard_size=1 << 20, evaluation_time=TIME, report=False, **BINARY_KW)
    same_files(tmp_path / "dask", want)
    assert job.baseline_statistics().body_dict["dataset"]["item_count"] == 200_000
    # The work ran as Dask tasks on the workers: one per MiB of data, merged in a tree.
    keys = [t["key"] for t in stream.data]
    size = sum(f.stat().st_size for f in (tmp_path / "data").iterdir())
    assert sum(k.startswith("mqmon-partial") for k in keys) == -(-size // (1 << 20))
    assert any(k.startswith("mqmon-merge") for k in keys)

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
                                s3_endpoint=store.endpoint, evaluation_time=TIME, report=False)
    assert store.get("baseline/statistics.json") == (want / "statistics.json").read_bytes()
    assert store.get("baseline/constraints.json") == (want / "constraints.json").read_bytes()
