"""Bad input: every error names file, line, column/attribute and the offending text,
exits with its documented code, and leaves earlier outputs untouched."""
import gzip
import json
import os

import pytest

from conftest import baseline, bgzf, run_mqmon

HEADER = "probability,prediction,label\n"
GOOD = "0.9,1,1\n0.2,0,0\n"
BAD_DATA, USAGE, IO, NO_DATA = 3, 2, 4, 6


def write(tmp_path, text, name="d.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def fails(tmp_path, path, code, *extra, **kw):
    run = baseline(path, tmp_path / "o", *extra, check=False, **kw)
    assert run.rc == code, run.stderr
    assert run.stderr.startswith("mqmon: error: "), run.stderr
    return run.stderr


@pytest.mark.parametrize("row, expected", [
    ("abc,1,1", ":4: column 1 (attribute 'probability') not a finite number: 'abc'"),
    ("1.5.2,1,1", ":4: column 1 (attribute 'probability') not a finite number: '1.5.2'"),
    ("inf,1,1", ":4: column 1 (attribute 'probability') not a finite number: 'inf'"),
    (",1,1", ":4: column 1 (attribute 'probability') empty value: ''"),
    ("0.5,,1", ":4: column 2 (attribute 'prediction') empty value: ''"),
    ("0.5,1", ":4: column 3 (attribute 'label') missing value: the record has 2 fields, the header has 3: ''"),
    ("0.5,1,1,x", ":4: the record has 4 fields, the header has 3 (a value with an unquoted comma? quote it); "
                  "from field 4 on: 'x'"),
    ('0.5,"1,1', ":4: column 2 (attribute 'prediction') quoted field is not closed: '\"1,1"),
    ('0.5,"1"x,1', ":4: column 2 (attribute 'prediction') unexpected text after a closing quote: 'x,1"),
])
def test_bad_values_are_located(tmp_path, row, expected):
    path = write(tmp_path, HEADER + GOOD + row + "\n" + GOOD)
    err = fails(tmp_path, path, BAD_DATA)
    assert f"{path}{expected}" in err, err


def test_unknown_attribute_lists_the_header(tmp_path):
    path = write(tmp_path, HEADER + GOOD)
    err = fails(tmp_path, path, USAGE, label="truth")
    assert f"{path}:1: ground truth attribute 'truth' is not a column of the header; " \
           "the columns are: 'probability', 'prediction', 'label'" in err


def test_a_header_that_names_a_column_twice_is_refused(tmp_path):
    """Which 'label' would be the ground truth? Silently reading one of them could give wrong numbers."""
    path = write(tmp_path, "probability,label,prediction,label\n0.5,1,1,0\n")
    err = fails(tmp_path, path, USAGE)
    assert f"{path}:1: the header names column 'label' twice, as columns 2 and 4; rename one of them" in err
    assert not (tmp_path / "o").exists()


def test_a_third_binary_label_is_named_with_its_line(tmp_path):
    path = write(tmp_path, HEADER + GOOD * 3 + "0.4,0,2\n" + GOOD)
    err = fails(tmp_path, path, BAD_DATA)
    assert f"{path}:8: (attribute 'label') label '2' is a third class" in err, err
    assert "positive label '1' and one negative label, here '0' (first seen on line 3)" in err, err
    # A third label among the predictions names the inference attribute.
    path = write(tmp_path, HEADER + GOOD + "0.4,yes,0\n", "p.csv")
    err = fails(tmp_path, path, BAD_DATA)
    assert f"{path}:4: (attribute 'prediction') label 'yes' is a third class" in err, err


def test_negative_label_option_rejects_other_labels(tmp_path):
    path = write(tmp_path, HEADER + GOOD)
    err = fails(tmp_path, path, BAD_DATA, "--negative-label", "-1")
    assert f"{path}:3: (attribute 'label') label '0' is a third class" in err, err


@pytest.mark.parametrize("text", ["", HEADER, HEADER + "\n\n"])
def test_an_empty_dataset_is_an_error(tmp_path, text):
    err = fails(tmp_path, write(tmp_path, text), NO_DATA)
    assert "the dataset has no rows to evaluate" in err


def test_missing_dataset_and_empty_directory(tmp_path):
    err = fails(tmp_path, tmp_path / "nope.csv", IO)
    assert f"dataset '{tmp_path / 'nope.csv'}' does not exist" in err
    (tmp_path / "empty").mkdir()
    err = fails(tmp_path, tmp_path / "empty", IO)
    assert "holds no file" in err


def test_truncated_gzip_names_the_file(tmp_path):
    data = gzip.compress((HEADER + GOOD * 1000).encode())
    path = tmp_path / "d.csv.gz"
    path.write_bytes(data[: len(data) // 2])
    err = fails(tmp_path, path, IO)
    assert f"'{path}': gzip stream is truncated" in err


def test_gzip_members_are_read_in_turn_and_checked(tmp_path):
    # Concatenated members (`cat a.gz b.gz`, bgzip, pigz --independent) are one stream.
    body = GOOD * 3000
    (tmp_path / "plain").mkdir()
    (tmp_path / "gz").mkdir()
    whole = tmp_path / "plain" / "d.csv"  # the same name: the same subsamples
    whole.write_text(HEADER + body)
    parts = tmp_path / "gz" / "d.csv.gz"
    parts.write_bytes(gzip.compress(HEADER.encode()) + gzip.compress(body[:7001].encode())
                      + gzip.compress(body[7001:].encode()))
    a, b = baseline(tmp_path / "plain", tmp_path / "a"), baseline(tmp_path / "gz", tmp_path / "b")
    assert a.rc == 0 and b.rc == 0, b.stderr
    assert a.statistics()["binary_classification_metrics"] == b.statistics()["binary_classification_metrics"]
    # A flipped byte in the last member's CRC-32 (its trailer's first 4 bytes).
    data = bytearray(parts.read_bytes())
    data[-8] ^= 0x01
    bad = tmp_path / "crc.csv.gz"
    bad.write_bytes(bytes(data))
    assert f"'{bad}': corrupt gzip data (CRC-32 mismatch)" in fails(tmp_path, bad, IO)
    # Bytes after a member that are not another member.
    tail = tmp_path / "tail.csv.gz"
    tail.write_bytes(parts.read_bytes() + b"not gzip")
    assert f"'{tail}': the bytes after gzip member 3 are not gzip data" in fails(tmp_path, tail, IO)


def test_bgzf_members_are_inflated_on_every_core_in_order(tmp_path):
    # BGZF (bgzip) members declare their size, so batches of them are inflated in parallel; the
    # rows must come out in file order: the same statistics (subsamples included) as plain text.
    import random
    rng = random.Random(4)
    rows = "".join(f"{rng.random():.17g},{rng.randint(0, 1)},{rng.randint(0, 1)}\n" for _ in range(400_000))
    text = ("probability,prediction,label\n" + rows).encode()
    for d in ("plain", "bgzf", "mixed"):
        (tmp_path / d).mkdir()
    (tmp_path / "plain" / "d.csv").write_bytes(text)
    packed = bgzf(text)
    assert len(packed) > 3 * (1 << 20)  # several batches of members in flight
    (tmp_path / "bgzf" / "d.csv.gz").write_bytes(packed)
    # BGZF members, then an ordinary gzip member: the rest is inflated as a stream.
    cut = len(text) // 2
    (tmp_path / "mixed" / "d.csv.gz").write_bytes(bgzf(text[:cut])[:-28] + gzip.compress(text[cut:]))
    results = [baseline(tmp_path / d, tmp_path / f"o_{d}") for d in ("plain", "bgzf", "mixed")]
    assert all(r.rc == 0 for r in results), [r.stderr for r in results]
    stats = [r.statistics()["binary_classification_metrics"] for r in results]
    assert stats[1] == stats[0] and stats[2] == stats[0]
    # A flipped byte inside the 20th member's data, and a member whose declared size is wrong.
    bad = bytearray(packed)
    at = 0
    for _ in range(19):
        at += int.from_bytes(bad[at + 16:at + 18], "little") + 1
    bad[at + 40] ^= 0xFF
    (tmp_path / "bad").mkdir()
    path = tmp_path / "bad" / "d.csv.gz"
    path.write_bytes(bytes(bad))
    err = fails(tmp_path, path, IO)
    assert f"'{path}': corrupt gzip data" in err and "in member 20" in err, err
    truncated = tmp_path / "bad" / "t.csv.gz"
    truncated.write_bytes(packed[: len(packed) // 2])
    assert f"'{truncated}': gzip stream is truncated" in fails(tmp_path, truncated, IO)


def test_max_bad_rows_count_skips_and_counts(tmp_path):
    path = write(tmp_path, HEADER + GOOD + "x,1,1\n" + GOOD * 100)
    run = baseline(path, tmp_path / "o", "--max-bad-rows", "1")
    assert run.rc == 0
    assert run.statistics()["dataset"] == {**run.statistics()["dataset"], "item_count": 202, "skipped_item_count": 1}
    assert f"skipped 1 bad record" in run.stderr and f"{path}:4: column 1" in run.stderr
    path = write(tmp_path, HEADER + GOOD + "x,1,1\n" + GOOD + "0.5,1,\n", "two.csv")
    err = fails(tmp_path, path, BAD_DATA, "--max-bad-rows", "1")
    assert f"too many bad records (more than --max-bad-rows 1); the first: {path}:4: column 1" in err, err


def test_max_bad_rows_percentage(tmp_path):
    path = write(tmp_path, HEADER + GOOD * 9 + "x,1,1\n")  # 1 bad of 19 records
    assert baseline(path, tmp_path / "o", "--max-bad-rows", "10%").rc == 0
    err = fails(tmp_path, path, BAD_DATA, "--max-bad-rows", "5%")
    assert "more than --max-bad-rows 5%" in err
    err = fails(tmp_path, path, USAGE, "--max-bad-rows", "lots")
    assert "--max-bad-rows 'lots' must be a count" in err


def test_first_bad_record_in_file_order_whatever_the_threads(tmp_path):
    rows = [GOOD] * 3000  # two lines each, after the header: row i starts on line 2 + 2i
    rows[1500] = "first,1,1\n0.2,0,0\n"
    rows[2500] = "second,1,1\n0.2,0,0\n"
    path = write(tmp_path, HEADER + "".join(rows))
    for threads, block in (("1", "512"), ("2", "512"), ("4", "256"), ("2", "4194304")):
        run = baseline(path, tmp_path / "o", "--threads", threads, "--block-size", block, check=False)
        assert run.rc == BAD_DATA
        assert run.stderr == f"mqmon: error: {path}:3002: column 1 (attribute 'probability') " \
                             "not a finite number: 'first'\n", run.stderr


def test_outputs_are_atomic(tmp_path):
    out = tmp_path / "o"
    good = write(tmp_path, HEADER + GOOD)
    baseline(good, out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    bad = write(tmp_path, HEADER + GOOD + "0.4,0,2\n", "bad.csv")
    assert baseline(bad, out, check=False).rc == BAD_DATA
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # untouched, no temporaries left


@pytest.mark.parametrize("fmt, message", [
    ('{"Parquet": {}}', "dataset format 'parquet' is not supported yet"),
    ("{csv}", "is not valid JSON"),
    ('{"xml": {}}', "unknown format 'xml'"),
])
def test_dataset_format_errors(tmp_path, fmt, message):
    err = fails(tmp_path, write(tmp_path, HEADER + GOOD), USAGE, "--dataset-format", fmt)
    assert message in err, err


def test_usage_errors(tmp_path):
    path = write(tmp_path, "0.9,1,1\n")
    err = fails(tmp_path, path, USAGE, "--no-header")
    assert "ground truth attribute 'label' must be a 0-based column index" in err
    run = run_mqmon(["suggest-baseline", "--baseline-dataset", path, "--problem-type", "Ranking",
                     "--ground-truth-attribute", "2", "--inference-attribute", "1", "--output", tmp_path / "o",
                     "--no-header"], check=False)
    assert run.returncode == USAGE and "problem type 'Ranking' is not one of" in run.stderr
    run = run_mqmon(["suggest-baseline", "--baseline-dataset", path], check=False)
    assert run.returncode == USAGE and "required" in run.stderr
    err = fails(tmp_path, path, USAGE, "--no-header", label="2", prediction=None, probability=None)
    assert "give an inference attribute" in err
