#!/usr/bin/python3
"""Seeded dataset generator for the benchmarks.

    bench/generate.py binary ROWS OUT.csv [--distinct N] [--seed S]

Binary: columns label,prediction,probability,f1,f2,f3 (two floats and a short string), ~30 %
positives, probabilities with up to 17 significant digits, ties present (every 10th score is
rounded to 2 decimals); --distinct N draws scores from N distinct values instead.
"""
import argparse

import numpy as np


def binary(rows, out, distinct, seed):
    rng = np.random.default_rng(seed)
    chunk = 1_000_000
    pool = np.sort(rng.random(distinct)) if distinct else None
    with open(out, "w") as f:
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
            f1 = rng.normal(size=n).round(6)
            f2 = rng.random(n).round(4)
            f3 = np.array(["a", "bb", "ccc", "dd"])[rng.integers(0, 4, n)]
            lines = [f"{a},{b},{c!r},{d},{e},{s}\n" for a, b, c, d, e, s in
                     zip(y.tolist(), pred.tolist(), p.tolist(), f1.tolist(), f2.tolist(), f3.tolist())]
            f.writelines(lines)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("kind", choices=["binary"])
    ap.add_argument("rows", type=int)
    ap.add_argument("out")
    ap.add_argument("--distinct", type=int, default=0)
    ap.add_argument("--seed", type=int, default=42)
    a = ap.parse_args()
    binary(a.rows, a.out, a.distinct, a.seed)
