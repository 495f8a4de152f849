"""Partial results (mqmon partial / combine): from any sharding, by file or by byte range, they
merge into files equal to the single process's byte for byte; damaged, foreign or incomplete
partials are refused, each with its own message. Runs on the sanitizer build too."""
import gzip

import numpy as np
import pandas as pd
import pytest

from conftest import run_mqmon

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


def test_combine_checks_a_window_like_monitor(tmp_path):
    base = frame("BinaryClassification", 20_000, 9)
    base.to_csv(tmp_path / "base.csv", index=False)
    baseline(tmp_path / "base.csv", tmp_path / "baseline", "BinaryClassification")
    window = frame("BinaryClassification", 30_000, 10)
    window.loc[window.index % 4 == 0, "prediction"] = 1 - window.prediction  # a worse model
    write_parts(window, tmp_path / "window", [5_000, 10_000, 5_000, 10_000])
    constraints = tmp_path / "baseline" / "constraints.json"
    r = run_mqmon(["monitor", "--dataset", tmp_path / "window", "--problem-type", "BinaryClassification",
                   *ATTRS["BinaryClassification"], "--constraints", constraints, "--evaluation-time", TIME,
                   "--no-report", "--output", tmp_path / "monitor"], check=False)
    assert r.returncode == 5, r.stderr
    parts = [tmp_path / f"w{i}.mqp" for i in range(3)]
    for i, part in enumerate(parts):
        partial(tmp_path / "window", part, "BinaryClassification", ["--shard", f"{i}/3"])
    r = combine(parts, tmp_path / "combined", "--constraints", constraints, check=False)
    assert r.returncode == 5 and "CompletedWithViolations: 30000 rows" in r.stdout, r.stderr
    same_files(tmp_path / "combined", tmp_path / "monitor", ("statistics.json", "constraint_violations.json"))


def bad_rows_csv(path, n, bad_lines):
    """n rows; the rows at the given 0-based indices hold a probability that is not a number."""
    lines = ["label,prediction,probability"]
    for i in range(n):
        lines.append(f"{i % 2},{i % 2},{'x' if i in bad_lines else f'0.{i % 9}5'}")
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_bad_record_in_a_mid_file_shard_is_named_by_its_line_in_the_file(tmp_path):
    data = bad_rows_csv(tmp_path / "d.csv", 1000, {700})  # file line 702 (the header is line 1)
    text = data.read_text()
    start = text.index("\n", len(text) // 2) + 1  # a shard that starts after line 500
    r = partial(data, tmp_path / "p.mqp", "BinaryClassification", ["--byte-range", f"{start}:"], check=False)
    assert r.returncode == 3, r.stderr
    assert f"{data}:702: column 3 (attribute 'probability') not a finite number: 'x'" in r.stderr


def test_a_percentage_of_bad_rows_holds_for_the_whole_dataset(tmp_path):
    # 8 bad rows of 1000, all in the first half: that half alone has 1.6 %, the dataset 0.8 %.
    data = bad_rows_csv(tmp_path / "d.csv", 1000, set(range(10, 90, 10)))
    limit = ["--max-bad-rows", "1%"]
    want = baseline(data, tmp_path / "single", "BinaryClassification", *limit)
    parts = [tmp_path / f"{i}.mqp" for i in range(2)]
    for i, part in enumerate(parts):
        partial(data, part, "BinaryClassification", ["--shard", f"{i}/2"], *limit)
    combine(parts, tmp_path / "merged")
    same_files(tmp_path / "merged", want)
    # 12 bad rows (1.2 %) are too many, and said so when the partials are combined.
    data = bad_rows_csv(tmp_path / "e.csv", 1000, set(range(10, 130, 10)))
    for i, part in enumerate(parts):
        partial(data, part, "BinaryClassification", ["--shard", f"{i}/2"], *limit)
    r = combine(parts, tmp_path / "over", check=False)
    assert r.returncode == 3 and "too many bad records (more than --max-bad-rows 1%): 12 of 1000" in r.stderr
    assert not (tmp_path / "over").exists()
