"""constraints.json: which metrics, which directions, both threshold methods checked
against independent computations."""
import json
import re

import numpy as np
import pandas as pd
from scipy.stats import norm

from conftest import baseline

HIGHER_IS_BETTER = ["recall", "precision", "accuracy", "true_positive_rate", "true_negative_rate", "auc",
                    "f0_5", "f1", "f2"]
LOWER_IS_BETTER = ["false_positive_rate", "false_negative_rate"]


def write_dataset(tmp_path, n=4000, seed=1):
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.3).astype(int)
    p = np.clip(rng.normal(0.3 + 0.35 * y, 0.2), 0, 1).round(4)
    df = pd.DataFrame({"probability": p, "prediction": (p >= 0.5).astype(int), "label": y})
    df.to_csv(tmp_path / "d.csv", index=False)
    return tmp_path / "d.csv", df


def test_baseline_method_is_the_service_rule(tmp_path):
    path, _ = write_dataset(tmp_path)
    run = baseline(path, tmp_path / "o", "--threshold-method", "baseline", "--strict-layout")
    c, s = run.constraints(), run.statistics()["binary_classification_metrics"]
    assert list(c) == ["version", "binary_classification_constraints"]  # strict: nothing extra
    cons = c["binary_classification_constraints"]
    assert list(cons) == ["recall", "precision", "accuracy", "true_positive_rate", "true_negative_rate",
                          "false_positive_rate", "false_negative_rate", "auc", "f0_5", "f1", "f2"]
    for name, entry in cons.items():
        assert entry["threshold"] == s[name]["value"]
        assert entry["comparison_operator"] == ("GreaterThanThreshold" if name in LOWER_IS_BETTER
                                                else "LessThanThreshold")


def test_window_method_matches_an_independent_simulation(tmp_path):
    path, df = write_dataset(tmp_path)
    window = 500
    run = baseline(path, tmp_path / "o", "--window-size", str(window), "--alpha", "0.05")
    c = run.constraints()
    s = run.statistics()["binary_classification_metrics"]
    info = c["mqmon"]
    assert info["threshold_method"] == "window" and info["alpha"] == 0.05 and info["window_size"] == window
    cm = s["confusion_matrix"]
    counts = info["baseline"]["confusion_counts"]
    assert counts == {"true_negatives": cm["0"]["0"], "false_positives": cm["0"]["1"],
                      "false_negatives": cm["1"]["0"], "true_positives": cm["1"]["1"]}
    assert info["baseline"]["item_count"] == len(df)

    # Independent: numpy's multinomial at the window size, 20000 draws.
    rng = np.random.default_rng(0)
    cells = np.array([counts["true_negatives"], counts["false_positives"], counts["false_negatives"],
                      counts["true_positives"]], float)
    tn, fp, fn, tp = rng.multinomial(window, cells / cells.sum(), size=20000).T.astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        sims = {"accuracy": (tp + tn) / window, "recall": np.nan_to_num(tp / (tp + fn)),
                "precision": np.nan_to_num(tp / (tp + fp)), "false_positive_rate": fp / (fp + tn)}
    cons = c["binary_classification_constraints"]
    for name, values in sims.items():
        q = 0.95 if name in LOWER_IS_BETTER else 0.05
        expected = np.quantile(values, q)
        spread = np.std(values)
        assert abs(cons[name]["threshold"] - expected) < 0.25 * spread + 1e-9  # Monte Carlo error of B=2000 and a 1/n grid, (name, cons[name], expected)
        # And the threshold really sits on the alarm side of the baseline value.
        if name in LOWER_IS_BETTER:
            assert cons[name]["threshold"] > s[name]["value"]
        else:
            assert cons[name]["threshold"] < s[name]["value"]

    # auc: Hanley-McNeil at the window's class sizes, exactly.
    a = s["auc"]["value"]
    p = info["baseline"]["prevalence"]
    n_pos, n_neg = window * p, window * (1 - p)
    q1, q2 = a / (2 - a), 2 * a * a / (1 + a)
    se = np.sqrt((a * (1 - a) + (n_pos - 1) * (q1 - a * a) + (n_neg - 1) * (q2 - a * a)) / (n_pos * n_neg))
    assert np.isclose(cons["auc"]["threshold"], a - norm.ppf(0.95) * se, rtol=1e-12)


def test_default_window_is_the_baseline_size_and_seed_reproduces(tmp_path):
    path, df = write_dataset(tmp_path)
    a = baseline(path, tmp_path / "a").constraints()
    b = baseline(path, tmp_path / "b").constraints()
    c = baseline(path, tmp_path / "c", "--seed", "99").constraints()
    assert a["mqmon"]["window_size"] == len(df) and a["mqmon"]["replicates"] == 2000
    assert a == b
    assert a["binary_classification_constraints"] != c["binary_classification_constraints"]
    small = baseline(path, tmp_path / "s", "--window-size", "100").constraints()
    for name in HIGHER_IS_BETTER:
        assert small["binary_classification_constraints"][name]["threshold"] <= \
            a["binary_classification_constraints"][name]["threshold"]


def test_tiny_values_are_never_in_scientific_notation(tmp_path):
    n = 200_000
    y = np.zeros(n, int)
    y[:100_000] = 1
    pred = y.copy()
    pred[-3:] = 1  # three false positives in 100000 negatives: fpr 0.00003
    pd.DataFrame({"label": y, "prediction": pred}).to_csv(tmp_path / "d.csv", index=False)
    run = baseline(tmp_path / "d.csv", tmp_path / "o", probability=None)
    text = (tmp_path / "o" / "statistics.json").read_text() + (tmp_path / "o" / "constraints.json").read_text()
    assert '"value" : 0.00003,' in text
    assert not re.search(r"\d[eE][-+]?\d", text)
    assert json.loads((tmp_path / "o" / "statistics.json").read_text())
