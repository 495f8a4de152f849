#!/usr/bin/python3
"""The peer: what a user would write with pandas + scikit-learn to get mqmon's metric set.

    bench/peer.py binary|multiclass|regression FILE OUT.json

Reads FILE with pandas (`read_csv`, or `read_json(lines=True)` for .jsonl), computes every scalar of
the statistics.json metrics on all rows and on the same five 80 % subsamples mqmon uses (so the standard deviations can
be compared), the ROC and PR curves (drop_intermediate=True) and exact AUC for binary, and writes
{metric: [value, standard_deviation]} to OUT.json.
"""
import gzip
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import (accuracy_score, confusion_matrix, fbeta_score, mean_absolute_error,
                             mean_squared_error, precision_recall_curve, precision_recall_fscore_support,
                             r2_score, roc_auc_score, roc_curve)


def mix64(z):
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def file_key(name):
    """The subsample key of a file name: FNV-1a of its bytes without a .gz/.zst suffix, mixed."""
    for suffix in (".gz", ".zst"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
    h = 0xCBF29CE484222325
    for b in name.encode():
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    with np.errstate(over="ignore"):
        return int(mix64(np.uint64(h)))


def record_offsets(path, header):
    """Byte offsets (in the decoded bytes) where the file's records start, read in chunks."""
    opener = gzip.open if path.endswith(".gz") else open
    starts, at = [np.zeros(1, dtype=np.uint64)], 0
    with opener(path, "rb") as f:
        while chunk := f.read(64 << 20):
            starts.append(np.flatnonzero(np.frombuffer(chunk, dtype=np.uint8) == 10).astype(np.uint64) + np.uint64(at + 1))
            at += len(chunk)
    starts = np.concatenate(starts)
    starts = starts[starts < at]  # no record after the final line feed
    return starts[1:] if header else starts


def subsamples(path, header, seed=0x6D716D6F6E):
    """mqmon's five replicates: record k of a file is in replicate r when a hash of (seed, its file's
    name XOR its byte offset, r) falls below 0.8 * 2^64."""
    keys = np.uint64(file_key(Path(path).name)) ^ record_offsets(path, header)
    with np.errstate(over="ignore"):
        base = mix64(np.uint64(seed) ^ np.uint64(0x9E3779B97F4A7C15)) ^ (keys * np.uint64(5))
        return [mix64(mix64(base + np.uint64(k))) < np.uint64(14757395258967641292) for k in range(5)]


def binary(df, reps):
    y = df["label"].to_numpy() == 1
    pred = df["prediction"].to_numpy() == 1
    score = df["probability"].to_numpy()

    def metrics(y, pred, score):
        tn, fp, fn, tp = confusion_matrix(y, pred, labels=[False, True]).ravel()
        n = len(y)
        p = (tp + fn) / n
        rec = tp / (tp + fn) if tp + fn else 0.0
        prec = tp / (tp + fp) if tp + fp else 0.0
        fpr = fp / (fp + tn) if fp + tn else 0.0
        out = {"recall": rec, "precision": prec, "accuracy": (tp + tn) / n,
               "recall_best_constant_classifier": 1.0, "precision_best_constant_classifier": p,
               "accuracy_best_constant_classifier": p, "true_positive_rate": rec, "true_negative_rate": 1 - fpr,
               "false_positive_rate": fpr, "false_negative_rate": 1 - rec, "auc": roc_auc_score(y, score)}
        for name, b in (("f0_5", 0.5), ("f1", 1), ("f2", 2)):
            out[name] = fbeta_score(y, pred, beta=b, zero_division=0)
            out[name + "_best_constant_classifier"] = (1 + b * b) * p / (b * b * p + 1)
        return out

    roc_curve(y, score, drop_intermediate=True)
    precision_recall_curve(y, score)
    return metrics(y, pred, score), [metrics(y[k], pred[k], score[k]) for k in reps]


def multiclass(df, reps):
    # Labels as integer codes of one shared vocabulary (what a careful user does before calling
    # scikit-learn on millions of rows); ties between classes resolve by label text as mqmon does.
    vocab = np.union1d(df["label"].astype(str).unique(), df["prediction"].astype(str).unique())
    y = np.searchsorted(vocab, df["label"].astype(str).to_numpy())
    pred = np.searchsorted(vocab, df["prediction"].astype(str).to_numpy())

    def metrics(y, pred):
        labels = np.union1d(y, pred)
        counts = np.bincount(y, minlength=len(vocab))
        ties = np.flatnonzero(counts == counts.max())
        best = min(ties, key=lambda c: (0, float(vocab[c]), vocab[c]) if _is_number(vocab[c]) else (1, 0.0, vocab[c]))
        out = {}
        for suffix, p in (("", pred), ("_best_constant_classifier", np.full(len(y), best))):
            out["accuracy" + suffix] = accuracy_score(y, p)
            for name, b in (("f0_5", 0.5), ("f1", 1), ("f2", 2)):
                pr, rc, f, _ = precision_recall_fscore_support(y, p, beta=b, average="weighted", labels=labels,
                                                               zero_division=0)
                out["weighted_recall" + suffix], out["weighted_precision" + suffix] = rc, pr
                out[f"weighted_{name}{suffix}"] = f
        return out

    return metrics(y, pred), [metrics(y[k], pred[k]) for k in reps]


def _is_number(text):
    try:
        float(text)
        return True
    except ValueError:
        return False


def regression(df, reps):
    y = df["label"].to_numpy(dtype=float)
    pred = df["prediction"].to_numpy(dtype=float)

    def metrics(y, pred):
        mse = mean_squared_error(y, pred)
        return {"mae": mean_absolute_error(y, pred), "mse": mse, "rmse": float(np.sqrt(mse)), "r2": r2_score(y, pred)}

    return metrics(y, pred), [metrics(y[k], pred[k]) for k in reps]


def main():
    kind, path, out = sys.argv[1:4]
    jsonl = path.removesuffix(".gz").endswith(".jsonl")
    df = pd.read_json(path, lines=True) if jsonl else pd.read_csv(path)
    values, reps = {"binary": binary, "multiclass": multiclass, "regression": regression}[kind](
        df, subsamples(path, header=not jsonl))
    result = {k: [float(v), float(np.std([r[k] for r in reps], ddof=1))] for k, v in values.items()}
    with open(out, "w") as f:
        json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
