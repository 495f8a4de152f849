"""Inputs: CSV dialects, compression, directories, header/no-header, every dataset_format spelling,
and statistics that do not depend on threads or block boundaries."""
import gzip
import subprocess

import numpy as np
import pandas as pd
import pytest

from conftest import MQMON, baseline, run_mqmon, without_std

FIXED_TIME = ("--evaluation-time", "2024-01-01T00:00:00.000Z")


def dataset(n=3000, seed=0):
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.35).astype(int)
    p = np.clip(rng.normal(0.3 + 0.35 * y, 0.2), 0, 1).round(3)
    return pd.DataFrame({"probability": p, "prediction": (p >= 0.5).astype(int), "label": y})


def stats_text(out):
    return (out / "statistics.json").read_text()


@pytest.fixture
def reference(tmp_path):
    df = dataset()
    path = tmp_path / "clean.csv"
    df.to_csv(path, index=False)
    baseline(path, tmp_path / "ref", *FIXED_TIME)
    return df, stats_text(tmp_path / "ref")


def test_rfc4180_dialect_gives_the_same_statistics(tmp_path, reference):
    df, want = reference
    lines = ["\ufeff\"probability\", prediction ,\"label\",\"note\""]
    for i, r in enumerate(df.itertuples()):
        prob = f"{r.probability:.6E}" if i % 3 == 0 else f" {r.probability} "
        pred = f'"{r.prediction}"' if i % 2 else f"{r.prediction}.0"
        note = '"a ""quoted"", multi\nline note"' if i % 5 == 0 else "plain"
        lines.append(f"{prob},{pred},{r.label},{note}")
        if i % 97 == 0:
            lines.append("")
    path = tmp_path / "messy.csv"
    path.write_bytes("\r\n".join(lines).encode("utf-8"))  # CRLF, BOM, no final newline
    baseline(path, tmp_path / "o", *FIXED_TIME)
    # The same values; the deviations' subsamples follow the records' byte offsets.
    assert without_std(stats_text(tmp_path / "o")) == without_std(want)


def test_gzip_zstd_and_directories(tmp_path, reference):
    df, want = reference
    # A compressed copy keeps every byte of the statistics (its records' keys drop the suffix).
    text = (tmp_path / "clean.csv").read_bytes()
    (tmp_path / "z").mkdir()
    (tmp_path / "z" / "clean.csv.gz").write_bytes(gzip.compress(text))
    baseline(tmp_path / "z" / "clean.csv.gz", tmp_path / "gz", *FIXED_TIME)
    assert stats_text(tmp_path / "gz") == want
    subprocess.run(["zstd", "-q", "-f", tmp_path / "clean.csv", "-o", tmp_path / "z" / "clean.csv.zst"],
                   check=True)
    baseline(tmp_path / "z" / "clean.csv.zst", tmp_path / "zst", *FIXED_TIME)
    assert stats_text(tmp_path / "zst") == want

    # A directory: every file below it in sorted order, each with its header; hidden files skipped.
    parts = tmp_path / "parts"
    (parts / "b").mkdir(parents=True)
    df.iloc[:1000].to_csv(parts / "a.csv", index=False)
    (parts / "b" / "c.csv.gz").write_bytes(gzip.compress(df.iloc[1000:2000].to_csv(index=False).encode()))
    df.iloc[2000:].to_csv(parts / "b" / "d.csv", index=False)
    (parts / ".hidden.csv").write_text("garbage\n")
    baseline(parts, tmp_path / "dir", *FIXED_TIME)
    assert without_std(stats_text(tmp_path / "dir")) == without_std(want)
    # A directory holding just the file is the file.
    (tmp_path / "one").mkdir()
    (tmp_path / "one" / "clean.csv").write_bytes(text)
    baseline(tmp_path / "one", tmp_path / "one_out", *FIXED_TIME)
    assert stats_text(tmp_path / "one_out") == want


def test_no_header_uses_column_indices(tmp_path, reference):
    df, want = reference
    df.to_csv(tmp_path / "nh.csv", index=False, header=False)
    baseline(tmp_path / "nh.csv", tmp_path / "o", "--no-header", *FIXED_TIME, label="2", prediction="1",
             probability="0")
    assert without_std(stats_text(tmp_path / "o")) == without_std(want)
    baseline(tmp_path / "nh.csv", tmp_path / "o2", "--dataset-format", '{"Csv": {"Header": false}}', *FIXED_TIME,
             label="2", prediction="1", probability="0")
    assert stats_text(tmp_path / "o2") == stats_text(tmp_path / "o")


@pytest.mark.parametrize("fmt", ['{"csv": {"header": true, "output_columns_position": "START"}}',
                                 '{"Csv": {"Header": true}}', '{"csv": {}}', '{"csv": {"header": "true"}}'])
def test_csv_spellings(tmp_path, reference, fmt):
    _, want = reference
    baseline(tmp_path / "clean.csv", tmp_path / "o", "--dataset-format", fmt, *FIXED_TIME)
    assert stats_text(tmp_path / "o") == want


@pytest.mark.parametrize("threads, block", [("1", "4194304"), ("2", "100"), ("3", "1000"), ("2", "7")])
def test_threads_and_blocks_do_not_change_a_byte(tmp_path, reference, threads, block):
    _, want = reference
    baseline(tmp_path / "clean.csv", tmp_path / "o", "--threads", threads, "--block-size", block, *FIXED_TIME)
    assert stats_text(tmp_path / "o") == want
    assert (tmp_path / "o" / "constraints.json").read_text() == (tmp_path / "ref" / "constraints.json").read_text()


def test_progress_only_when_asked_on_a_pipe(tmp_path, reference):
    run = baseline(tmp_path / "clean.csv", tmp_path / "o")
    assert run.stderr == ""
    assert "rows evaluated" in run.stdout
    run = baseline(tmp_path / "clean.csv", tmp_path / "o", "--progress", "--progress-after", "0",
                   "--block-size", "1000")
    assert "mqmon: read " in run.stderr and "rows/s" in run.stderr and "3000 rows" in run.stderr


def test_help_has_examples():
    out = run_mqmon(["suggest-baseline", "--help"]).stdout
    assert "Examples:" in out and "--threshold-method" in out and "--max-bad-rows" in out
    assert run_mqmon(["--version"]).stdout.startswith("mqmon ")


def test_verbose_logs_the_phases_of_a_job_in_order(tmp_path):
    # --verbose prints each phase with its time since the start; the phases come in the job's
    # order and the times never go back.
    path = tmp_path / "d.csv"
    dataset(20000).to_csv(path, index=False)
    run = baseline(path, tmp_path / "o", "--verbose", "--no-progress")
    lines = [line for line in run.stderr.splitlines() if line.startswith("mqmon: [")]
    phases = [line.split("] ", 1)[1] for line in lines]
    assert phases == ["reading", "parsing the first block", "last rows accumulated", "statistics computed",
                      "constraints suggested", "report drawn", "outputs written", "done"], run.stderr
    times = [float(line.split("[", 1)[1].split(" s]")[0]) for line in lines]
    assert times == sorted(times) and times[-1] < 60
    quiet = baseline(path, tmp_path / "q", "--no-progress")
    assert "mqmon: [" not in quiet.stderr
