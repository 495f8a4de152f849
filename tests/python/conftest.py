"""Shared helpers: run the mqmon binary, write datasets, read its outputs."""
import json
import math
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
MQMON = os.environ.get("MQMON_BIN", str(ROOT / "build" / "release" / "mqmon"))


class Run:
    def __init__(self, proc, out_dir):
        self.rc = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        self.out = Path(out_dir)

    def statistics(self):
        return json.loads((self.out / "statistics.json").read_text())

    def constraints(self):
        return json.loads((self.out / "constraints.json").read_text())


def run_mqmon(args, check=True, **kwargs):
    proc = subprocess.run([MQMON, *map(str, args)], capture_output=True, text=True, timeout=600, **kwargs)
    if check and proc.returncode != 0:
        raise AssertionError(f"mqmon failed ({proc.returncode}): {proc.stderr}")
    return proc


def baseline(dataset, out_dir, *extra, check=True, label="label", prediction="prediction",
             probability="probability"):
    args = ["suggest-baseline", "--baseline-dataset", dataset, "--problem-type", "BinaryClassification",
            "--ground-truth-attribute", label, "--output", out_dir]
    if prediction:
        args += ["--inference-attribute", prediction]
    if probability:
        args += ["--probability-attribute", probability]
    return Run(run_mqmon(args + list(extra), check=check), out_dir)


def bgzf(data, member=65280, level=6):
    """`data` as BGZF (what bgzip writes): gzip members of at most `member` input bytes, each
    declaring its compressed size in a 'BC' extra subfield, then BGZF's empty end-of-file member."""
    import struct
    import zlib

    def one(chunk):
        c = zlib.compressobj(level, zlib.DEFLATED, -15)
        body = c.compress(chunk) + c.flush()
        header = b"\x1f\x8b\x08\x04" + b"\x00" * 4 + b"\x00\xff" + struct.pack("<H", 6) + b"BC" + \
            struct.pack("<HH", 2, 18 + len(body) + 8 - 1)
        return header + body + struct.pack("<II", zlib.crc32(chunk), len(chunk))

    return b"".join(one(data[i:i + member]) for i in range(0, len(data), member)) + one(b"")


def close(a, b, rel=1e-12, abs_tol=1e-15):
    if isinstance(a, str) or isinstance(b, str):
        return a == b
    return math.isclose(a, b, rel_tol=rel, abs_tol=abs_tol)


def mix64(z):
    """SplitMix64's finalizer on numpy uint64 (wrapping arithmetic), as in subsample.h."""
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


DEFAULT_SEED = 0x6D716D6F6E


def without_std(statistics):
    """statistics.json (text or parsed) without its standard deviations: what the same rows give
    whatever their layout (the deviations' subsamples are keyed by file name and byte offset)."""
    def strip(v):
        if isinstance(v, dict):
            return {k: strip(x) for k, x in v.items() if k != "standard_deviation"}
        return [strip(x) for x in v] if isinstance(v, list) else v
    return strip(json.loads(statistics) if isinstance(statistics, str) else statistics)


def file_key(name):
    """The subsample key of a file name: FNV-1a over its UTF-8 bytes (a .gz or .zst suffix left
    out), then mix64 (accumulator.cpp)."""
    for suffix in (".gz", ".zst"):
        if name.endswith(suffix) and len(name) > len(suffix):
            name = name[: -len(suffix)]
    h = 0xCBF29CE484222325
    for b in name.encode():
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    with np.errstate(over="ignore"):
        return int(mix64(np.uint64(h)))


def record_keys(path, header=True):
    """The subsample key of each record of a simple CSV file (no line break inside a field): its
    file's key XOR the record's byte offset in the file. Blank lines are not records."""
    data = Path(path).read_bytes()
    starts, pos = [], 0
    while pos < len(data):
        end = data.find(b"\n", pos)
        end = len(data) if end < 0 else end
        if data[pos:end].strip(b" \t\r"):
            starts.append(pos)
        pos = end + 1
    if header:
        starts = starts[1:]
    return np.uint64(file_key(Path(path).name)) ^ np.asarray(starts, dtype=np.uint64)


def subsample_masks(keys, seed=DEFAULT_SEED):
    """Boolean (5, n) membership of each row in each replicate, recomputed independently. `keys`:
    the rows' keys (record_keys of a file), or a count n for in-memory rows (keys 0..n-1)."""
    with np.errstate(over="ignore"):
        rows = np.arange(keys, dtype=np.uint64) if isinstance(keys, int) else np.asarray(keys, np.uint64)
        base = mix64(np.uint64(seed) ^ np.uint64(0x9E3779B97F4A7C15)) ^ (rows * np.uint64(5))
        keep_below = np.uint64(14757395258967641292)
        return np.stack([mix64(mix64(base + np.uint64(k))) < keep_below for k in range(5)])


@pytest.fixture
def out(tmp_path):
    return tmp_path / "out"


@pytest.fixture(scope="session")
def s3_servers():
    """The S3 API servers of tests/s3_servers.py: started by scripts/test (MQMON_TEST_S3_* in the
    environment), or here for this session when pytest runs alone."""
    keys = ["MQMON_TEST_S3_ENDPOINT", "MQMON_TEST_S3_SIGNING_ENDPOINT", "MQMON_TEST_S3_SIGNING_KEY_ID",
            "MQMON_TEST_S3_SIGNING_SECRET"]
    if all(os.environ.get(k) for k in keys):
        yield {k: os.environ[k] for k in keys}
        return
    import sys
    sys.path.insert(0, str(ROOT / "tests"))
    import s3_servers as servers
    settings = servers.start_all()
    try:
        yield settings
    finally:
        servers.stop(settings["MQMON_TEST_S3_PIDS"].split())
