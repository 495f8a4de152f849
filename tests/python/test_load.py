"""Load on the schedule store: 500 schedules due in the same hour on one database, run by two
scheduler processes at once with --max-concurrent-executions 4 each: every execution runs exactly
once, no runner ever runs more than 4 at a time, and no run meets `database is locked`."""
import sqlite3
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

from conftest import MQMON
from test_schedules import OFFSETS, at, iso, world  # noqa: F401

SCHEDULES = 500


def max_overlap(intervals):
    """The most intervals [start, end] open at one moment."""
    events = sorted([(s, 1) for s, _ in intervals] + [(e, -1) for _, e in intervals], key=lambda x: (x[0], x[1]))
    most = open_now = 0
    for _, step in events:
        open_now += step
        most = max(most, open_now)
    return most


def test_500_schedules_due_in_one_hour_run_once_each_with_bounded_concurrency(tmp_path, world):
    state = tmp_path / "mqmon.db"

    def create(i):
        r = subprocess.run([MQMON, "schedule", "create", f"s{i:03d}", "--schedule-expression", "cron(0 * ? * * *)",
                            "--capture", str(world["capture"]), "--ground-truth", str(world["ground_truth"]),
                            "--constraints", str(world["constraints"]), "--problem-type", "BinaryClassification",
                            "--probability-attribute", "0", "--endpoint-name", "ep",
                            "--output", str(tmp_path / "out"), "--state", str(state), "--now", iso(at(11, 30)),
                            *OFFSETS], capture_output=True, text=True)
        return r.returncode, r.stderr

    with ThreadPoolExecutor(4) as pool:
        for code, err in pool.map(create, range(SCHEDULES)):
            assert code == 0, err

    started = time.perf_counter()
    runners = [subprocess.Popen([MQMON, "scheduler", "--state", str(state), "--now", iso(at(12, 5)),
                                 "--max-concurrent-executions", "4"], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [r.communicate(timeout=600) for r in runners]
    elapsed = time.perf_counter() - started
    for r, (out, err) in zip(runners, outs):
        assert r.returncode == 0, err
        assert "database is locked" not in out + err
    ran = [int(out.strip().splitlines()[-1].split()[1]) for out, _ in outs]  # "mqmon: N executions run, ..."
    assert sum(ran) == SCHEDULES and all(n > 0 for n in ran), ran  # both took a share

    with sqlite3.connect(f"file:{state}?mode=ro", uri=True) as db:
        rows = db.execute("SELECT schedule_name, scheduled_time, status, runner_pid, started_at, ended_at, "
                          "failure_reason FROM executions").fetchall()
    assert len(rows) == SCHEDULES
    assert len({(name, t) for name, t, *_ in rows}) == SCHEDULES  # none twice
    bad = [(name, status, reason) for name, _, status, _, _, _, reason in rows
           if status not in ("Completed", "CompletedWithViolations")]
    assert not bad, bad[:3]
    for pid in {pid for *_, pid, _, _, _ in rows}:
        spans = [(s, e) for _, _, _, p, s, e, _ in rows if p == pid]
        assert max_overlap(spans) <= 4, pid
    assert max_overlap([(s, e) for *_, s, e, _ in rows]) > 1  # executions did run side by side
    print(f"{SCHEDULES} executions in {elapsed:.1f} s")
