#!/usr/bin/python3
"""The strongest peer: what a careful Python user writes for speed, with pandas' C parser and NumPy.

    bench/strong_peer.py binary|multiclass|regression FILE OUT.json

Unlike bench/peer.py it reads only the columns it needs (with their types), counts the confusion
matrix once with NumPy instead of calling scikit-learn per metric, and skips the five subsamples
behind mqmon's standard deviations: it computes each metric's value once.
- binary: the counts of `label * 2 + prediction` by `np.bincount`; ROC and precision-recall curves
  from `np.unique` counts of the scores, binned to 1000 points; one `roc_auc_score`;
- multiclass: the confusion matrix by one `np.bincount`, weighted precision, recall and F-scores
  from it;
- regression: four NumPy reductions (mean absolute and squared error, total sum of squares).

Writes {metric: value} to OUT.json, which bench/run compares with mqmon's statistics.json.
"""
import json
import sys

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score


def read(path, columns, dtypes):
    if path.removesuffix(".gz").endswith(".jsonl"):
        return pd.read_json(path, lines=True, dtype=dtypes)[columns]
    return pd.read_csv(path, usecols=columns, dtype=dtypes)


def fbeta(p, r, b):
    d = b * b * p + r
    return np.divide((1 + b * b) * p * r, d, out=np.zeros_like(d, dtype=float), where=d > 0)


def binary(path):
    df = read(path, ["label", "prediction", "probability"], {"label": np.int8, "prediction": np.int8,
                                                              "probability": np.float64})
    y = df["label"].to_numpy() == 1
    pred = df["prediction"].to_numpy() == 1
    score = df["probability"].to_numpy()
    tn, fp, fn, tp = np.bincount(y * 2 + pred, minlength=4).astype(float)
    n = len(y)
    p = (tp + fn) / n
    rec = tp / (tp + fn) if tp + fn else 0.0
    prec = tp / (tp + fp) if tp + fp else 0.0
    fpr = fp / (fp + tn) if fp + tn else 0.0
    out = {"recall": rec, "precision": prec, "accuracy": (tp + tn) / n, "recall_best_constant_classifier": 1.0,
           "precision_best_constant_classifier": p, "accuracy_best_constant_classifier": p,
           "true_positive_rate": rec, "true_negative_rate": 1 - fpr, "false_positive_rate": fpr,
           "false_negative_rate": 1 - rec, "auc": roc_auc_score(y, score)}
    for name, b in (("f0_5", 0.5), ("f1", 1), ("f2", 2)):
        out[name] = float(fbeta(np.array(prec), np.array(rec), b))
        out[name + "_best_constant_classifier"] = (1 + b * b) * p / (b * b * p + 1)
    # Curves: cumulative counts from the highest score down, at 1000 evenly spaced thresholds.
    uniq, inverse = np.unique(score, return_inverse=True)
    positives = np.bincount(inverse, weights=y)[::-1].cumsum()
    total = np.bincount(inverse)[::-1].cumsum()
    at = np.linspace(0, len(uniq) - 1, 1000).astype(int)
    tpr_curve, fpr_curve = positives[at] / positives[-1], (total[at] - positives[at]) / (n - positives[-1])
    precision_curve = positives[at] / total[at]
    assert len(tpr_curve) == len(fpr_curve) == len(precision_curve) == 1000
    return out


def multiclass(path):
    df = read(path, ["label", "prediction"], {"label": np.int64, "prediction": np.int64})
    y, pred = df["label"].to_numpy(), df["prediction"].to_numpy()
    k = int(max(y.max(), pred.max())) + 1
    cm = np.bincount(y * k + pred, minlength=k * k).reshape(k, k).astype(float)
    support, predicted = cm.sum(axis=1), cm.sum(axis=0)
    present = (support > 0) | (predicted > 0)
    n = support.sum()
    best = int(np.argmax(support))  # the most frequent class; ties to the smallest label

    def weighted(diag, predicted):
        prec = np.divide(diag, predicted, out=np.zeros(k), where=predicted > 0)
        rec = np.divide(diag, support, out=np.zeros(k), where=support > 0)
        w = np.where(present, support, 0) / n
        out = {"weighted_precision": w @ prec, "weighted_recall": w @ rec}
        for name, b in (("f0_5", 0.5), ("f1", 1), ("f2", 2)):
            out["weighted_" + name] = w @ fbeta(prec, rec, b)
        return out

    out = {"accuracy": np.trace(cm) / n, "accuracy_best_constant_classifier": support[best] / n}
    out.update(weighted(np.diag(cm), predicted))
    constant = np.zeros(k)
    constant[best] = n
    diag = np.zeros(k)
    diag[best] = support[best]
    out.update({key + "_best_constant_classifier": v for key, v in weighted(diag, constant).items()})
    return out


def regression(path):
    df = read(path, ["label", "prediction"], {"label": np.float64, "prediction": np.float64})
    y, pred = df["label"].to_numpy(), df["prediction"].to_numpy()
    d = y - pred
    mse = np.mean(d * d)
    return {"mae": np.mean(np.abs(d)), "mse": mse, "rmse": np.sqrt(mse),
            "r2": 1 - np.sum(d * d) / np.sum((y - y.mean()) ** 2)}


def main():
    kind, path, out = sys.argv[1:4]
    values = {"binary": binary, "multiclass": multiclass, "regression": regression}[kind](path)
    with open(out, "w") as f:
        json.dump({k: float(v) for k, v in values.items()}, f, indent=1)


if __name__ == "__main__":
    main()
