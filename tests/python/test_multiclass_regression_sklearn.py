"""Multiclass and regression metrics against scikit-learn."""
import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import (accuracy_score, confusion_matrix, fbeta_score, mean_absolute_error,
                             mean_squared_error, precision_score, r2_score, recall_score)

from conftest import close, record_keys, run_mqmon, subsample_masks, Run

NAN = "NaN"


def run(path, out, problem, *extra, label="label", prediction="prediction", probability=None):
    args = ["suggest-baseline", "--baseline-dataset", path, "--problem-type", problem,
            "--ground-truth-attribute", label, "--output", out, *extra]
    if prediction:
        args += ["--inference-attribute", prediction]
    if probability:
        args += ["--probability-attribute", probability]
    return Run(run_mqmon(args), out)


def label_key(s):
    try:
        return (0, float(s), s)
    except ValueError:
        return (1, 0.0, s)


def multiclass_expected(y, p):
    """scikit-learn's weighted metrics, and the same for always predicting the most frequent class."""
    labels = sorted(set(y) | set(p), key=label_key)
    w = dict(average="weighted", labels=labels, zero_division=0)
    counts = pd.Series(y).value_counts()
    best = min(counts[counts == counts.max()].index, key=label_key)
    const = np.array([best] * len(y), dtype=object)
    out = {}
    for suffix, pred in (("", p), ("_best_constant_classifier", const)):
        out["accuracy" + suffix] = accuracy_score(y, pred)
        out["weighted_recall" + suffix] = recall_score(y, pred, **w)
        out["weighted_precision" + suffix] = precision_score(y, pred, **w)
        for name, beta in (("f0_5", 0.5), ("f1", 1), ("f2", 2)):
            out[f"weighted_{name}{suffix}"] = fbeta_score(y, pred, beta=beta, **w)
    return labels, out


def check_multiclass(stats, y, p, check_std=False):
    y, p = np.asarray(y, dtype=object), np.asarray(p, dtype=object)
    m = stats["multiclass_classification_metrics"]
    labels, want = multiclass_expected(y, p)
    cm = confusion_matrix(y, p, labels=labels)
    assert list(m["confusion_matrix"]) == labels
    assert {a: dict(r) for a, r in m["confusion_matrix"].items()} == {
        a: {q: int(cm[i, j]) for j, q in enumerate(labels)} for i, a in enumerate(labels)}
    assert list(m)[1:] == list(want)  # key order of the service
    for name, value in want.items():
        assert close(m[name]["value"], value), (name, m[name]["value"], value)
    if check_std:
        reps = [multiclass_expected(y[k], p[k])[1] for k in subsample_masks(len(y) if check_std is True else record_keys(check_std))]
        for name in want:
            assert close(m[name]["standard_deviation"], float(np.std([r[name] for r in reps], ddof=1)),
                         rel=1e-9, abs_tol=1e-14), name


@pytest.mark.parametrize("classes, n, kind", [(3, 500, "int"), (7, 3000, "str"), (20, 20000, "int"),
                                              (200, 50000, "str"), (3, 150, "str")])
def test_multiclass_matches_sklearn(tmp_path, classes, n, kind):
    rng = np.random.default_rng(classes * 1000 + n)
    y = rng.zipf(1.5, n) % classes
    p = np.where(rng.random(n) < 0.6, y, rng.integers(0, classes, n))
    p[p == classes - 1] = 0                      # the last class is never predicted
    y[y == 1] = 2 if classes > 2 else y[y == 1]  # class 1 is predicted but never true
    names = (lambda v: [f"class_{c}" for c in v]) if kind == "str" else (lambda v: [str(c) for c in v])
    ys, ps = names(y), names(p)
    pd.DataFrame({"label": ys, "prediction": ps}).to_csv(tmp_path / "d.csv", index=False)
    stats = run(tmp_path / "d.csv", tmp_path / "o", "MulticlassClassification").statistics()
    check_multiclass(stats, ys, ps, check_std=200 <= n <= 3000 and tmp_path / "d.csv")
    if n < 200:
        assert all(v["standard_deviation"] == NAN for k, v in
                   stats["multiclass_classification_metrics"].items() if k != "confusion_matrix")


def test_multiclass_labels_sort_numbers_by_value(tmp_path):
    ys = ["10", "9", "2", "10", "b", "a", "9"]
    ps = ["9", "9", "2", "10", "a", "a", "10"]
    pd.DataFrame({"label": ys, "prediction": ps}).to_csv(tmp_path / "d.csv", index=False)
    stats = run(tmp_path / "d.csv", tmp_path / "o", "MulticlassClassification").statistics()
    assert list(stats["multiclass_classification_metrics"]["confusion_matrix"]) == ["2", "9", "10", "a", "b"]
    check_multiclass(stats, ys, ps)


def regression_expected(y, p):
    mse = mean_squared_error(y, p)
    return {"mae": mean_absolute_error(y, p), "mse": mse, "rmse": np.sqrt(mse), "r2": r2_score(y, p)}


def check_regression(stats, y, p, check_std=False):
    m = stats["regression_metrics"]
    want = regression_expected(y, p)
    assert list(m) == list(want)
    for name, value in want.items():
        assert close(m[name]["value"], value), (name, m[name]["value"], value)
    if check_std:
        reps = [regression_expected(y[k], p[k]) for k in subsample_masks(len(y) if check_std is True else record_keys(check_std))]
        for name in want:
            assert close(m[name]["standard_deviation"], float(np.std([r[name] for r in reps], ddof=1)),
                         rel=1e-8, abs_tol=1e-14), name


@pytest.mark.parametrize("case", ["plain", "offset", "tiny", "negative_r2", "constant_truth",
                                  "perfect_constant", "large_n"])
def test_regression_matches_sklearn(tmp_path, case):
    rng = np.random.default_rng(len(case))
    n = 1_000_000 if case == "large_n" else 3000
    y = rng.normal(10, 3, n)
    p = y + rng.normal(0, 1, n)
    if case == "offset":
        y = 1e9 + rng.normal(0, 1, n)
        p = y + rng.normal(0, 0.5, n)
    elif case == "tiny":
        y = rng.normal(0, 1e-12, n)
        p = y + rng.normal(0, 1e-13, n)
    elif case == "negative_r2":
        p = rng.normal(10, 6, n)
    elif case == "constant_truth":
        y = np.full(n, 4.25)
    elif case == "perfect_constant":
        y = np.full(n, 4.25)
        p = y.copy()
    df = pd.DataFrame({"label": y, "prediction": p})
    df.to_csv(tmp_path / "d.csv", index=False, float_format="%.17g")
    stats = run(tmp_path / "d.csv", tmp_path / "o", "Regression").statistics()
    back = pd.read_csv(tmp_path / "d.csv", float_precision="round_trip")  # the doubles mqmon read
    check_regression(stats, back.label.to_numpy(), back.prediction.to_numpy(), check_std=n == 3000 and tmp_path / "d.csv")
    r2 = stats["regression_metrics"]["r2"]["value"]
    if case == "negative_r2":
        assert r2 < 0
    if case == "constant_truth":
        assert r2 == 0.0
    if case == "perfect_constant":
        assert r2 == 1.0
