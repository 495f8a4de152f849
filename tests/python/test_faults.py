"""Injected faults: a full disk (a file-size limit) while the outputs are written, a file that
changes while it is read, and kill -9 at random moments of baseline, monitor and scheduler runs:
a clean, named failure, and every output folder holds its old complete set of files or the new
complete set, never a mix; the schedule store stays consistent."""
import os
import random
import re
import resource
import signal
import sqlite3
import subprocess
import time
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from conftest import MQMON, run_mqmon
from test_schedules import FIRST, at, create, executions, iso, scheduler, world  # noqa: F401

TIME = "2024-01-01T00:00:00.000Z"
B = ["--problem-type", "BinaryClassification", "--ground-truth-attribute", "label", "--inference-attribute",
     "prediction", "--probability-attribute", "probability"]


def dataset(path, n, seed):
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.35).astype(int)
    p = np.clip(rng.normal(0.3 + 0.35 * y, 0.2), 0, 1).round(6)
    pd.DataFrame({"label": y, "prediction": (p >= 0.5).astype(int), "probability": p}).to_csv(path, index=False)
    return path


def files_of(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())} if folder.exists() else {}


def test_a_full_disk_fails_the_job_by_name_and_keeps_the_earlier_result(tmp_path):
    data = dataset(tmp_path / "d.csv", 200_000, 1)
    out = tmp_path / "out"
    run_mqmon(["suggest-baseline", "--baseline-dataset", data, *B, "--evaluation-time", TIME, "--output", out])
    before = files_of(out)
    assert set(before) == {"statistics.json", "constraints.json", "report.html"}

    def limit():  # files this process writes may not grow past 20 kB: the outputs will not fit
        resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, 20_000))

    other = dataset(tmp_path / "e.csv", 100_000, 2)
    r = subprocess.run([MQMON, "suggest-baseline", "--baseline-dataset", other, *B, "--output", out],
                       capture_output=True, text=True, preexec_fn=limit, timeout=120)
    assert r.returncode == 4, r.stderr  # an I/O error, not a signal
    assert re.search(rf"cannot write '{out}/(statistics.json|constraints.json|report.html)': File too large",
                     r.stderr), r.stderr
    assert files_of(out) == before  # untouched: no new file, no temporary left
    assert not [p for p in out.iterdir() if p.name.startswith(".")]


def read_position(pid, path):
    """Where process pid's descriptor of `path` is, or None while it has none open."""
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            if os.readlink(f"/proc/{pid}/fd/{fd}") == str(path):
                with open(f"/proc/{pid}/fdinfo/{fd}") as info:
                    return int(info.readline().split()[1])
    except (FileNotFoundError, ProcessLookupError):
        pass
    return None


def test_a_file_that_shrinks_while_it_is_read_fails_the_job(tmp_path):
    data = dataset(tmp_path / "d.csv", 3_000_000, 3)  # ~60 MB, read 4 kB at a time
    size = data.stat().st_size
    out = tmp_path / "out"
    proc = subprocess.Popen([MQMON, "suggest-baseline", "--baseline-dataset", data, *B, "--threads", "1",
                             "--block-size", "4096", "--output", out], stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    while time.time() < deadline:  # cut the file once the read is under way, not before
        pos = read_position(proc.pid, data)
        if pos is not None and 0 < pos < size // 4:
            break
    else:
        proc.kill()
        raise AssertionError("the read was never caught under way")
    with open(data, "r+b") as f:
        f.truncate(size // 2)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 4, err
    assert f"'{data}' changed while it was read: {size // 2} bytes read of the {size} it had when the " \
           "dataset was listed" in err
    assert not out.exists()


def kill_at_random(cmd, seconds, rng, env=None):
    """Starts cmd, kills it with SIGKILL after a random moment of its expected run time."""
    proc = subprocess.Popen([str(c) for c in cmd], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    time.sleep(rng.uniform(0, seconds))
    proc.send_signal(signal.SIGKILL)
    proc.wait()


def visible(folder, names):
    """The named files of a folder that exist, with their bytes."""
    return {n: (folder / n).read_bytes() for n in names if (folder / n).exists()}


def test_kill_9_at_200_random_moments_never_leaves_a_mixed_set(tmp_path, world):
    rng = random.Random(18)
    a, b = dataset(tmp_path / "a.csv", 150_000, 4), dataset(tmp_path / "b.csv", 150_000, 5)
    outcomes = {"complete": 0, "untouched": 0, "journal": 0}

    def check(folder, names, sets, allow_empty):
        got = visible(folder, names)
        journal = (folder / ".mqmon-commit").exists()
        if journal:
            outcomes["journal"] += 1
            return
        if not got:
            assert allow_empty, folder
            outcomes["untouched"] += 1
            return
        assert got in sets, f"a mix of files in {folder}: {sorted(got)}"
        outcomes["complete"] += 1

    # 1. suggest-baseline into one folder, alternating between two datasets.
    base_names = ("statistics.json", "constraints.json")
    refs = []
    started = time.perf_counter()
    for data, out in ((a, tmp_path / "ref_a"), (b, tmp_path / "ref_b")):
        run_mqmon(["suggest-baseline", "--baseline-dataset", data, *B, "--evaluation-time", TIME, "--output", out])
        refs.append(visible(out, base_names))
    window = 0.75 * (time.perf_counter() - started)  # kills fall anywhere in 1.5 runs
    out = tmp_path / "baseline"
    run_mqmon(["suggest-baseline", "--baseline-dataset", a, *B, "--evaluation-time", TIME, "--output", out])
    for i in range(70):
        kill_at_random([MQMON, "suggest-baseline", "--baseline-dataset", (a, b)[i % 2], *B,
                        "--evaluation-time", TIME, "--output", out], window, rng)
        check(out, base_names, refs, allow_empty=False)
    run_mqmon(["suggest-baseline", "--baseline-dataset", b, *B, "--evaluation-time", TIME, "--output", out])
    assert visible(out, base_names) == refs[1] and not (out / ".mqmon-commit").exists()
    assert not [p.name for p in out.iterdir() if p.name.startswith(".")]  # stale temporaries removed

    # 2. monitor --dataset into one folder.
    constraints = tmp_path / "ref_a" / "constraints.json"
    mon_names = ("statistics.json", "constraint_violations.json")
    mon_refs = []
    for data, ref in ((a, tmp_path / "mon_a"), (b, tmp_path / "mon_b")):
        run_mqmon(["monitor", "--dataset", data, *B, "--constraints", constraints, "--evaluation-time", TIME,
                   "--output", ref], check=False)
        mon_refs.append(visible(ref, mon_names))
    out = tmp_path / "execution"
    for i in range(70):
        kill_at_random([MQMON, "monitor", "--dataset", (a, b)[i % 2], *B, "--constraints", constraints,
                        "--evaluation-time", TIME, "--output", out], window, rng)
        check(out, mon_names, mon_refs, allow_empty=True)

    # 3. The scheduler, an execution due each round, killed at random: the store stays sound, no
    # execution stays InProgress once a round has resolved the orphans, and every execution's
    # folder is absent or whole.
    state = tmp_path / "mqmon.db"
    create(world, state)
    for i in range(60):
        now = at(FIRST + 3, 5) + timedelta(minutes=30 * i)
        kill_at_random([MQMON, "scheduler", "--state", state, "--now", iso(now)], 0.5, rng)
        with sqlite3.connect(f"file:{state}?mode=ro", uri=True) as db:
            assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    scheduler(state, at(FIRST + 3, 5) + timedelta(minutes=30 * 60))
    runs = executions(state)
    assert runs and all(r["MonitoringExecutionStatus"] != "InProgress" for r in runs)
    whole = ("statistics.json", "constraint_violations.json", "execution.json")
    for r in runs:
        folder = Path(r["output"])
        if folder.exists() and r["MonitoringExecutionStatus"] != "Failed":
            assert all((folder / n).exists() for n in whole), folder
    assert outcomes["complete"] > 20 and outcomes["untouched"] + outcomes["journal"] > 0, outcomes

