"""constraints.json: which metrics, which directions, both threshold methods checked
against independent computations."""
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import norm

from conftest import Run, baseline, run_mqmon

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


def confusion_draws(counts, window, rng, prior=0.5, size=40000):
    """numpy: cell probabilities from Dirichlet(counts + 1/2), then the window's counts."""
    cells = np.array([counts["true_negatives"], counts["false_positives"], counts["false_negatives"],
                      counts["true_positives"]], float)
    p = rng.dirichlet(cells + prior, size=size)
    draws = np.array([rng.multinomial(window, q) for q in p], float)
    tn, fp, fn, tp = draws.T
    with np.errstate(invalid="ignore", divide="ignore"):
        return {"accuracy": (tp + tn) / window, "recall": np.nan_to_num(tp / (tp + fn)),
                "precision": np.nan_to_num(tp / (tp + fp)), "false_positive_rate": np.nan_to_num(fp / (fp + tn))}


def test_window_method_matches_an_independent_simulation(tmp_path):
    path, df = write_dataset(tmp_path)
    window = 500
    run = baseline(path, tmp_path / "o", "--window-size", str(window), "--alpha", "0.05")
    c = run.constraints()
    s = run.statistics()["binary_classification_metrics"]
    info = c["mqmon"]
    assert info["threshold_method"] == "window" and info["alpha"] == 0.05 and info["window_size"] == window
    assert info["alpha_scope"] == "metric" and info["prior"] == {"confusion_cells": "dirichlet", "per_cell": 0.5}
    cm = s["confusion_matrix"]
    counts = info["baseline"]["confusion_counts"]
    assert counts == {"true_negatives": cm["0"]["0"], "false_positives": cm["0"]["1"],
                      "false_negatives": cm["1"]["0"], "true_positives": cm["1"]["1"]}
    assert info["baseline"]["item_count"] == len(df)

    # Independent: numpy's Dirichlet posterior and multinomial window, 40000 draws.
    sims = confusion_draws(counts, window, np.random.default_rng(0))
    cons = c["binary_classification_constraints"]
    for name, values in sims.items():
        q = 0.95 if name in LOWER_IS_BETTER else 0.05
        expected = np.quantile(values, q)
        assert abs(cons[name]["threshold"] - expected) < 0.25 * np.std(values) + 1e-9, name  # B = 2000
        assert info["thresholds"][name] == {"method": "dirichlet_multinomial", "level": 0.05}
        if name in LOWER_IS_BETTER:
            assert cons[name]["threshold"] > s[name]["value"]
        else:
            assert cons[name]["threshold"] < s[name]["value"]
    # The baseline's uncertainty widens the threshold beyond the window's own spread: the plain
    # multinomial at the baseline's proportions is narrower.
    cells = np.array(list(counts.values()), float)
    tn, fp, fn, tp = np.random.default_rng(1).multinomial(window, cells / cells.sum(), size=40000).T
    assert cons["accuracy"]["threshold"] < np.quantile((tp + tn) / window, 0.05)

    # auc: DeLong's placements computed here with numpy (ties count half), their central moments,
    # the prior's 0.2 pseudo-rows per class with uniform placements, and the pivot (window's AUC -
    # baseline's) drawn here: each 1 - AUC a gamma variable with DeLong's variance, the baseline's
    # part negated, both scaled by sqrt(df / chi2_df) with Satterthwaite's df from the placements'
    # kurtosis.
    pos, neg = df.probability[df.label == 1].to_numpy(), df.probability[df.label == 0].to_numpy()
    below = np.searchsorted(np.sort(neg), pos, "left") + 0.5 * (
        np.searchsorted(np.sort(neg), pos, "right") - np.searchsorted(np.sort(neg), pos, "left"))
    above = len(pos) - np.searchsorted(np.sort(pos), neg, "right") + 0.5 * (
        np.searchsorted(np.sort(pos), neg, "right") - np.searchsorted(np.sort(pos), neg, "left"))
    x10, x01 = below / len(neg), above / len(pos)
    a = np.mean(x10)
    assert np.isclose(a, s["auc"]["value"], rtol=1e-12)
    for k, key in ((2, "auc_placement_variance"), (3, "auc_placement_third_moment"),
                   (4, "auc_placement_fourth_moment")):
        placed = info["baseline"][key]
        assert np.isclose(placed["positives"], np.mean((x10 - a) ** k), rtol=1e-9), key
        assert np.isclose(placed["negatives"], np.mean((x01 - a) ** k), rtol=1e-9), key
    P, Q, m = len(pos), len(neg), 0.2
    a_prior = (a * P * Q + m * (P + Q + m) / 2) / ((P + m) * (Q + m))
    u = np.random.default_rng(2).uniform(size=2_000_000)  # the prior's placements, by simulation

    def mixed(x, rows):  # central moments 2 and 4 about a_prior of the placements with the prior's
        w = rows / (rows + m)
        return [w * np.mean((x - a_prior) ** k) + (1 - w) * np.mean((u - a_prior) ** k) for k in (2, 4)]

    (m2_10, m4_10), (m2_01, m4_01) = mixed(x10, P), mixed(x01, Q)
    pi = P / (P + Q)
    inv = lambda p: 1 / (window * p) * (1 + (1 - p) / (window * p))  # noqa: E731
    var_w = m2_10 * inv(pi) + m2_01 * inv(1 - pi)
    var_b = m2_10 / (P + m) + m2_01 / (Q + m)
    c10, c01 = m2_10 * (inv(pi) + 1 / (P + m)), m2_01 * (inv(1 - pi) + 1 / (Q + m))
    df10, df01 = 2 * (P + m) / (m4_10 / m2_10 ** 2 - 1), 2 * (Q + m) / (m4_01 / m2_01 ** 2 - 1)
    dof = np.clip((c10 + c01) ** 2 / (c10 ** 2 / df10 + c01 ** 2 / df01), 5, 1e6)
    miss = 1 - a_prior
    kw, kb = miss ** 2 / var_w, miss ** 2 / var_b
    g = np.random.default_rng(3)
    n = 1_000_000
    pivot = miss * (g.gamma(kb, 1 / kb, n) - g.gamma(kw, 1 / kw, n)) / np.sqrt(g.chisquare(dof, n) / dof)
    expected = a_prior + np.quantile(pivot, 0.05)
    # mqmon's 2^14 draws: its 5 % quantile to about 0.02 of the pivot's sd.
    assert abs(cons["auc"]["threshold"] - expected) < 0.06 * np.sqrt(var_w + var_b)
    assert info["thresholds"]["auc"] == {"method": "delong_gamma_pivot", "level": 0.05}


def test_execution_scope_bounds_the_chance_of_any_violation(tmp_path):
    """--alpha-scope execution: one level for every metric, chosen from the same draws so that a
    healthy window violates any constraint with probability alpha; checked on numpy's draws."""
    path, _ = write_dataset(tmp_path)
    window = 400
    per_metric = baseline(path, tmp_path / "m", "--window-size", str(window), "--alpha", "0.05").constraints()
    run = baseline(path, tmp_path / "e", "--window-size", str(window), "--alpha", "0.05",
                   "--alpha-scope", "execution")
    c = run.constraints()
    assert c["mqmon"]["alpha_scope"] == "execution"
    levels = {t["level"] for t in c["mqmon"]["thresholds"].values()}
    assert len(levels) == 1
    level = levels.pop()
    # Much tighter than Bonferroni's alpha/11, since the metrics move together; below alpha.
    assert 0.05 / 11 < level < 0.05
    cons, loose = c["binary_classification_constraints"], per_metric["binary_classification_constraints"]
    for name in HIGHER_IS_BETTER:
        assert cons[name]["threshold"] <= loose[name]["threshold"], name
    # Independent draws of the window's confusion metrics: the share violating any of the four
    # is at most alpha (the auc and the F scores add a little more), and clearly above alpha/4.
    sims = confusion_draws(c["mqmon"]["baseline"]["confusion_counts"], window, np.random.default_rng(5))
    any_violation = np.zeros(len(sims["accuracy"]), bool)
    for name, values in sims.items():
        t = cons[name]["threshold"]
        any_violation |= values > t if name in LOWER_IS_BETTER else values < t
    assert 0.05 / 4 < any_violation.mean() < 0.05 + 0.01


def test_aws_churn_example_baseline_and_window_methods(tmp_path):
    """AWS's own model-quality example (tests/data/aws-churn, Apache-2.0): the baseline method
    reproduces the service's published f2 0.625 and precision 1.0; the window method does not
    promise a first false positive will never come."""
    data = Path(__file__).resolve().parents[1] / "data" / "aws-churn" / "validation_with_predictions.csv"
    df = pd.read_csv(data)
    assert len(df) == 201
    base = baseline(data, tmp_path / "b", "--threshold-method", "baseline").constraints()
    cons = base["binary_classification_constraints"]
    assert cons["f2"]["threshold"] == 0.625 and cons["precision"]["threshold"] == 1.0
    assert cons["false_positive_rate"]["threshold"] == 0.0  # no false positive in the 201 rows
    win = baseline(data, tmp_path / "w").constraints()["binary_classification_constraints"]
    assert win["precision"]["threshold"] < 1.0
    assert win["false_positive_rate"]["threshold"] > 0.0
    assert win["f2"]["threshold"] < 0.625


def test_regression_window_thresholds_match_the_f_ratio_for_normal_errors(tmp_path):
    """For normal errors the window's mse over the baseline's is F(n, N) distributed, so the exact
    threshold is mse·F_{1-alpha}(n, N) (scipy); mqmon's, from the rows alone, comes close."""
    from scipy.stats import f as f_dist
    rng = np.random.default_rng(11)
    ratios = []
    for k in range(8):
        y = rng.normal(10, 2, 1000)
        pd.DataFrame({"label": y, "prediction": y + rng.standard_normal(1000)}).to_csv(tmp_path / f"r{k}.csv", index=False)
        run = run_regression(tmp_path / f"r{k}.csv", tmp_path / f"o{k}", "--window-size", "500")
        mse = run.statistics()["regression_metrics"]["mse"]["value"]
        c = run.constraints()
        assert c["mqmon"]["thresholds"]["mse"]["method"] == "bayesian_bootstrap"
        assert len(c["mqmon"]["baseline"]["sample"]["absolute_error"]) == 1000
        ratios.append(c["regression_constraints"]["mse"]["threshold"] / (mse * f_dist.ppf(0.99, 500, 1000)))
    # Never narrower than the exact ratio by more than Monte Carlo error, and at most ~12 % wider
    # (the allowance for heavy tails a sample of 1000 rows cannot rule out).
    assert 0.97 < np.median(ratios) < 1.12, ratios


def test_regression_switches_to_the_normal_formula_for_large_windows(tmp_path):
    """Where skewness moves the quantile by less than 1e-3 the cheaper normal formula is used:
    mse · (1 + z·cv·sqrt(1/n + 1/N)), cv from the data (numpy), here with n = N = 200000 and
    bounded (uniform) errors, whose tail needs no widening."""
    rng = np.random.default_rng(3)
    y = rng.normal(10, 2, 200_000)
    e = rng.uniform(-1.7, 1.7, 200_000)
    pd.DataFrame({"label": y, "prediction": y + e}).to_csv(tmp_path / "r.csv", index=False)
    run = run_regression(tmp_path / "r.csv", tmp_path / "o")
    c = run.constraints()
    assert c["mqmon"]["thresholds"]["mse"] == {"method": "normal", "level": 0.01}
    e2 = (y + e - y) ** 2
    cv = e2.std() / e2.mean()
    expected = e2.mean() * (1 + norm.ppf(0.99) * cv * np.sqrt(2 / 200_000))
    assert np.isclose(c["regression_constraints"]["mse"]["threshold"], expected, rtol=2e-4)
    small = run_regression(tmp_path / "r.csv", tmp_path / "s", "--window-size", "100").constraints()
    assert small["mqmon"]["thresholds"]["mse"]["method"] == "bayesian_bootstrap"


def run_regression(path, out, *extra):
    return Run(run_mqmon(["suggest-baseline", "--baseline-dataset", path, "--problem-type", "Regression",
                          "--ground-truth-attribute", "label", "--inference-attribute", "prediction",
                          "--output", out, *extra]), out)


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


def regression_constraints(tmp_path, rows=300):
    """A regression baseline of `rows` rows: its dataset and its constraints.json as a dict."""
    rng = np.random.default_rng(4)
    y = rng.normal(10, 2, rows)
    pd.DataFrame({"label": y, "prediction": y + rng.standard_normal(rows)}).to_csv(tmp_path / "r.csv", index=False)
    run_regression(tmp_path / "r.csv", tmp_path / "o")
    return tmp_path / "r.csv", json.loads((tmp_path / "o" / "constraints.json").read_text())


def monitor_with(data, constraints, path):
    """A monitoring run of `data` against `constraints` written to `path`."""
    path.write_text(json.dumps(constraints))
    return run_mqmon(["monitor", "--dataset", data, "--problem-type", "Regression", "--ground-truth-attribute",
                      "label", "--inference-attribute", "prediction", "--constraints", path, "--no-report",
                      "--output", path.with_suffix(".out")], check=False)


def test_a_monitoring_run_names_a_bad_row_of_the_regression_sample(tmp_path):
    """The regression sample in constraints.json is read back to recompute thresholds at the
    window's size; a broken row is an error naming it, not a silently different threshold."""
    data, c = regression_constraints(tmp_path)
    assert len(c["mqmon"]["baseline"]["sample"]["truth"]) == 300
    c["mqmon"]["baseline"]["sample"]["absolute_error"][2] = "big"
    r = monitor_with(data, c, tmp_path / "bad.json")
    assert r.returncode != 0
    assert "bad.json: mqmon block: sample row 3 is not a number pair" in r.stderr


def test_a_constraints_file_from_an_older_mqmon_says_so(tmp_path):
    """A window-method file without the regression sample (mqmon before the sample existed) cannot
    have its thresholds recomputed: the monitoring run says what is missing and what to do."""
    data, c = regression_constraints(tmp_path)
    del c["mqmon"]["baseline"]["sample"]
    r = monitor_with(data, c, tmp_path / "old.json")
    assert r.returncode != 0
    assert "old.json: mqmon block: the baseline has no 'sample'" in r.stderr
    assert "run suggest-baseline again, or delete the mqmon block" in r.stderr
    c["mqmon"]["alpha_scope"] = "per-window"
    r = monitor_with(data, c, tmp_path / "scope.json")
    assert r.returncode != 0
    assert "scope.json: mqmon block: alpha scope 'per-window' is not one of" in r.stderr


def test_cells_the_baseline_never_saw_are_drawn_as_their_own_dirichlet_components(tmp_path):
    """The empty cells share one Dirichlet component whose rows a Pólya urn spreads over them; the
    thresholds must equal numpy's draws from the full Dirichlet over every cell (prior 2/K² each):
    a binary baseline without a false positive, and a five-class one with many empty cells."""
    rng = np.random.default_rng(8)
    window = 300
    # Binary: 0 false positives in 400 rows.
    y = (rng.random(400) < 0.3).astype(int)
    pred = np.where(y == 1, (rng.random(400) < 0.7).astype(int), 0)
    pd.DataFrame({"label": y, "prediction": pred}).to_csv(tmp_path / "b.csv", index=False)
    c = baseline(tmp_path / "b.csv", tmp_path / "bo", "--window-size", str(window), "--alpha", "0.05",
                 probability=None).constraints()
    counts = c["mqmon"]["baseline"]["confusion_counts"]
    assert counts["false_positives"] == 0
    sims = confusion_draws(counts, window, np.random.default_rng(0))
    for name in ("false_positive_rate", "precision", "accuracy"):
        q = 0.95 if name in LOWER_IS_BETTER else 0.05
        assert abs(c["binary_classification_constraints"][name]["threshold"] - np.quantile(sims[name], q)) \
            < 0.25 * np.std(sims[name]) + 1e-9, name
    assert c["binary_classification_constraints"]["false_positive_rate"]["threshold"] > 0

    # Multiclass, a perfect 20-row baseline of two classes: both error cells empty, and how the urn
    # splits a window's errors between them moves weighted precision and recall.
    labels = np.array([0] * 12 + [1] * 8)
    pd.DataFrame({"label": labels, "prediction": labels}).to_csv(tmp_path / "p.csv", index=False)
    r = run_mqmon(["suggest-baseline", "--baseline-dataset", tmp_path / "p.csv", "--problem-type",
                   "MulticlassClassification", "--ground-truth-attribute", "label", "--inference-attribute",
                   "prediction", "--output", tmp_path / "po", "--window-size", str(window), "--alpha", "0.05"])
    c = Run(r, tmp_path / "po").constraints()
    check_multiclass_draws(c, np.array([[12, 0], [0, 8]], float), window, np.random.default_rng(2))

    # Multiclass: 5 classes at 50/30/12/5/3 %, errors only to the next class: 15 of 25 cells empty.
    prior = np.array([0.5, 0.3, 0.12, 0.05, 0.03])
    a = rng.choice(5, 300, p=prior)
    p = np.where(rng.random(300) < 0.8, a, (a + 1) % 5)
    pd.DataFrame({"label": a, "prediction": p}).to_csv(tmp_path / "m.csv", index=False)
    r = run_mqmon(["suggest-baseline", "--baseline-dataset", tmp_path / "m.csv", "--problem-type",
                   "MulticlassClassification", "--ground-truth-attribute", "label", "--inference-attribute",
                   "prediction", "--output", tmp_path / "mo", "--window-size", str(window), "--alpha", "0.05"])
    c = Run(r, tmp_path / "mo").constraints()
    assert c["mqmon"]["prior"]["per_cell"] == 2 / 25
    cm = np.zeros((5, 5))
    np.add.at(cm, (a, p), 1)
    assert (cm == 0).sum() == 15
    check_multiclass_draws(c, cm, window, np.random.default_rng(1))


def check_multiclass_draws(c, cm, window, draws):
    """The multiclass thresholds against numpy: Dirichlet(counts + 2/K²) over all K² cells, then
    the window's counts; accuracy, weighted recall and weighted precision (scikit-learn's
    weighting by true-class support, zero for an unpredicted class)."""
    k = len(cm)
    q = draws.dirichlet(cm.ravel() + 2 / k ** 2, size=20000)
    w = np.array([draws.multinomial(window, qq).reshape(k, k) for qq in q], float)
    support = w.sum(axis=2)
    diagonal = np.diagonal(w, axis1=1, axis2=2)
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.nan_to_num(diagonal / w.sum(axis=1))
        recall = np.nan_to_num(diagonal / support)
    sims = {"accuracy": diagonal.sum(axis=1) / window,
            "weighted_precision": (precision * support).sum(axis=1) / window,
            "weighted_recall": (recall * support).sum(axis=1) / window}
    for name, values in sims.items():
        expected = np.quantile(values, 0.05)
        assert abs(c["multiclass_classification_constraints"][name]["threshold"] - expected) \
            < 0.25 * np.std(values), (name, expected)
