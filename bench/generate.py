#!/usr/bin/python3
"""Seeded dataset generator for the benchmarks.

    bench/generate.py binary|multiclass|regression ROWS OUT.csv|OUT.jsonl [--distinct N] [--classes K]

Files ending in .jsonl are JSON Lines with the same columns; a further .gz compresses with gzip
(e.g. OUT.csv.gz, OUT.jsonl.gz).

Binary: columns label,prediction,probability,f1,f2,f3 (two floats and a short string), ~30 %
positives, probabilities with up to 17 significant digits, ties present (every 10th score is
rounded to 2 decimals); --distinct N draws scores from N distinct values instead.
"""
import argparse
import gzip

import numpy as np


def open_out(path):
    return gzip.open(path, "wt", compresslevel=6) if path.endswith(".gz") else open(path, "w")


def write_rows(f, jsonl, names, cols):
    if jsonl:
        fmt = "{{" + ", ".join(f'"{n}": {{!r}}' if n != "f3" else f'"{n}": "{{}}"' for n in names) + "}}\n"
    else:
        fmt = ",".join("{!r}" if n in ("probability", "label", "prediction") else "{}" for n in names) + "\n"
    f.writelines(fmt.format(*r) for r in zip(*[c.tolist() for c in cols]))


def features(rng, n):
    """The three feature columns every dataset carries: two floats and a short string."""
    return [rng.normal(size=n).round(6), rng.random(n).round(4), np.array(["a", "bb", "ccc", "dd"])[rng.integers(0, 4, n)]]


def labelled(rows, out, seed, targets):
    """Writes rows of `label,prediction,f1,f2,f3` where targets(rng, n) gives (label, prediction)."""
    rng = np.random.default_rng(seed)
    jsonl = out.removesuffix(".gz").endswith(".jsonl")
    with open_out(out) as f:
        if not jsonl:
            f.write("label,prediction,f1,f2,f3\n")
        for start in range(0, rows, 1_000_000):
            n = min(1_000_000, rows - start)
            write_rows(f, jsonl, ["label", "prediction", "f1", "f2", "f3"], [*targets(rng, n), *features(rng, n)])


def multiclass(rows, out, classes, seed):
    def targets(rng, n):
        y = rng.zipf(1.3, n) % classes
        return y, np.where(rng.random(n) < 0.7, y, rng.integers(0, classes, n))
    labelled(rows, out, seed, targets)


def regression(rows, out, seed):
    def targets(rng, n):
        y = rng.normal(100, 20, n)
        return y, y + rng.normal(0, 5, n)
    labelled(rows, out, seed, targets)


def binary(rows, out, distinct, seed):
    rng = np.random.default_rng(seed)
    chunk = 1_000_000
    pool = np.sort(rng.random(distinct)) if distinct else None
    jsonl = out.removesuffix(".gz").endswith(".jsonl")
    with open_out(out) as f:
        if not jsonl:
            f.write("label,prediction,probability,f1,f2,f3\n")
        for start in range(0, rows, chunk):
            n = min(chunk, rows - start)
            y = (rng.random(n) < 0.3).astype(np.int8)
            if pool is not None:
                p = pool[np.clip((rng.beta(2 + 2 * y, 4 - 2 * y) * distinct).astype(int), 0, distinct - 1)]
            else:
                p = rng.beta(2 + 2 * y, 4 - 2 * y)
                p[::10] = p[::10].round(2)
            pred = (p >= 0.5).astype(np.int8)
            write_rows(f, jsonl, ["label", "prediction", "probability", "f1", "f2", "f3"],
                       [y, pred, p, *features(rng, n)])


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("kind", choices=["binary", "multiclass", "regression"])
    ap.add_argument("rows", type=int)
    ap.add_argument("out")
    ap.add_argument("--distinct", type=int, default=0)
    ap.add_argument("--classes", type=int, default=20)
    ap.add_argument("--seed", type=int, default=42)
    a = ap.parse_args()
    if a.kind == "binary":
        binary(a.rows, a.out, a.distinct, a.seed)
    elif a.kind == "multiclass":
        multiclass(a.rows, a.out, a.classes, a.seed)
    else:
        regression(a.rows, a.out, a.seed)
