"""Every binary metric against scikit-learn, on random and edge-case datasets."""
import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import (accuracy_score, confusion_matrix, fbeta_score, precision_recall_curve,
                             precision_score, recall_score, roc_auc_score, roc_curve)

from conftest import baseline, close, record_keys, subsample_masks

NAN = "NaN"


def sklearn_scalars(yt, yp, score):
    """The scalar metrics of statistics.json from scikit-learn (yt, yp boolean: positive class)."""
    tn, fp, fn, tp = confusion_matrix(yt, yp, labels=[False, True]).ravel()
    n = len(yt)
    p = (tp + fn) / n
    fpr = fp / (fp + tn) if fp + tn else 0.0
    rec = recall_score(yt, yp, zero_division=0)
    both = yt.any() and not yt.all()
    bcc = lambda b: (1 + b * b) * p / (b * b * p + 1) if p else 0.0  # noqa: E731  F-beta at P=p, R=1
    return {
        "recall": rec,
        "precision": precision_score(yt, yp, zero_division=0),
        "accuracy": accuracy_score(yt, yp),
        "recall_best_constant_classifier": 1.0 if tp + fn else 0.0,
        # always predicting positive: sklearn on a constant-positive prediction
        "precision_best_constant_classifier": precision_score(yt, np.ones(n, bool), zero_division=0),
        "accuracy_best_constant_classifier": accuracy_score(yt, np.ones(n, bool)),
        "true_positive_rate": rec,
        "true_negative_rate": tn / (tn + fp) if tn + fp else 1.0,
        "false_positive_rate": fpr,
        "false_negative_rate": 1 - rec,
        "auc": roc_auc_score(yt, score) if both else NAN,
        "f0_5": fbeta_score(yt, yp, beta=0.5, zero_division=0),
        "f1": fbeta_score(yt, yp, beta=1, zero_division=0),
        "f2": fbeta_score(yt, yp, beta=2, zero_division=0),
        "f0_5_best_constant_classifier": fbeta_score(yt, np.ones(n, bool), beta=0.5, zero_division=0) if p else bcc(0.5),
        "f1_best_constant_classifier": fbeta_score(yt, np.ones(n, bool), beta=1, zero_division=0) if p else bcc(1),
        "f2_best_constant_classifier": fbeta_score(yt, np.ones(n, bool), beta=2, zero_division=0) if p else bcc(2),
    }


def check(stats, y_true, y_pred, score, positive, check_std=False):
    """Compares statistics.json with scikit-learn; y_* are canonical label strings. check_std: the
    CSV file the rows came from (their subsample keys), or True for in-memory rows."""
    m = stats["binary_classification_metrics"]
    n = len(y_true)
    assert stats["dataset"]["item_count"] == n
    yt = np.asarray(y_true) == positive
    yp = np.asarray(y_pred) == positive
    want = sklearn_scalars(yt, yp, score)
    for name, value in want.items():
        assert close(m[name]["value"], value), (name, m[name]["value"], value)

    labels = sorted(set(y_true) | set(y_pred), key=lambda s: (0, float(s), s) if _num(s) else (1, 0, s))
    cm = confusion_matrix(y_true, y_pred, labels=labels)
    assert list(m["confusion_matrix"]) == labels
    assert {a: dict(r) for a, r in m["confusion_matrix"].items()} == {
        a: {p: int(cm[i, j]) for j, p in enumerate(labels)} for i, a in enumerate(labels)}

    if yt.any() and not yt.all():
        fpr, tpr, _ = roc_curve(yt, score, drop_intermediate=False)
        roc = m["receiver_operating_characteristic_curve"]
        assert np.allclose(roc["false_positive_rates"][:-1], fpr, rtol=1e-12, atol=0)
        assert np.allclose(roc["true_positive_rates"][:-1], tpr, rtol=1e-12, atol=0)
        assert roc["false_positive_rates"][-1] == 1.0 and roc["true_positive_rates"][-1] == 1.0
        prec, rec, _ = precision_recall_curve(yt, score)
        # scikit-learn stops where recall reaches 1 and appends (precision 1, recall 0).
        prec, rec = prec[::-1][1:], rec[::-1][1:]
        pr = m["precision_recall_curve"]
        assert pr["recalls"][0] == 0.0 and pr["precisions"][0] == pr["precisions"][1]
        assert np.allclose(pr["precisions"][1:1 + len(prec)], prec, rtol=1e-12, atol=0)
        assert np.allclose(pr["recalls"][1:1 + len(rec)], rec, rtol=1e-12, atol=0)
        assert len(pr["recalls"]) == len(np.unique(score)) + 1

    if n < 200:
        assert all(m[k]["standard_deviation"] == NAN for k in want)
    elif check_std:
        masks = subsample_masks(n if check_std is True else record_keys(check_std))
        reps = [sklearn_scalars(yt[k], yp[k], np.asarray(score)[k]) for k in masks]
        for name in want:
            vals = [r[name] for r in reps]
            expected = NAN if NAN in vals else float(np.std(vals, ddof=1))
            assert close(m[name]["standard_deviation"], expected, rel=1e-9, abs_tol=1e-14), name


def _num(s):
    try:
        float(s)
        return True
    except ValueError:
        return False


def write_csv(path, df, float_format=None):
    df.to_csv(path, index=False, float_format=float_format)
    return path


def random_case(n, seed, prevalence=0.3, decimals=2):
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < prevalence).astype(int)
    score = np.clip(rng.normal(0.35 + 0.3 * y, 0.2), 0, 1)
    if decimals is not None:
        score = score.round(decimals)  # ties
    pred = (score >= 0.5).astype(int)
    flip = rng.random(n) < 0.05
    pred[flip] = 1 - pred[flip]
    return pd.DataFrame({"label": y, "prediction": pred, "probability": score})


@pytest.mark.parametrize("n", [1, 2, 10, 199, 200, 1000, 100_000, 1_000_000])
def test_random_datasets_match_sklearn(tmp_path, n):
    df = random_case(n, seed=n, decimals=2 if n % 2 else 4)
    path = write_csv(tmp_path / "d.csv", df)
    run = baseline(path, tmp_path / "o", "--curve-points", "0")
    check(run.statistics(), df.label.astype(str).tolist(), df.prediction.astype(str).tolist(),
          df.probability.to_numpy(), "1", check_std=n in (200, 1000) and path)


def test_full_precision_scores_and_scientific_notation(tmp_path):
    rng = np.random.default_rng(7)
    n = 5000
    y = (rng.random(n) < 0.4).astype(int)
    score = rng.random(n) ** (4 - 2 * y) * 1e-3  # tiny values, 17 significant digits
    df = pd.DataFrame({"label": y, "prediction": (score >= 1e-4).astype(int), "probability": score})
    path = write_csv(tmp_path / "d.csv", df, float_format="%.16E")
    assert "E-" in path.read_text().splitlines()[1]
    run = baseline(path, tmp_path / "o", "--curve-points", "0")
    check(run.statistics(), df.label.astype(str).tolist(), df.prediction.astype(str).tolist(), score, "1",
          check_std=tmp_path / "d.csv")


def test_more_distinct_scores_than_the_hash_table_holds(tmp_path):
    df = random_case(300_000, seed=9, decimals=None)  # ~300k distinct scores: the sorted-run path
    assert df.probability.nunique() > 2 ** 16
    path = write_csv(tmp_path / "d.csv", df, float_format="%.17g")
    one = baseline(path, tmp_path / "o", "--curve-points", "0", "--threads", "1", "--evaluation-time", "t")
    two = baseline(path, tmp_path / "o2", "--curve-points", "0", "--threads", "2", "--block-size", "65536",
                   "--evaluation-time", "t")
    assert (tmp_path / "o" / "statistics.json").read_text() == (tmp_path / "o2" / "statistics.json").read_text()
    back = pd.read_csv(path, float_precision="round_trip")
    check(one.statistics(), back.label.astype(str).tolist(), back.prediction.astype(str).tolist(),
          back.probability.to_numpy(), "1", check_std=tmp_path / "d.csv")


@pytest.mark.parametrize("kind", ["perfect", "inverted", "all_positive", "all_negative", "constant_score"])
def test_edge_classifiers(tmp_path, kind):
    rng = np.random.default_rng(1)
    n = 400
    y = (rng.random(n) < 0.5).astype(int)
    if kind == "all_positive":
        y[:] = 1
    if kind == "all_negative":
        y[:] = 0
    score = rng.random(n) * 0.4 + 0.6 * y
    if kind == "inverted":
        score = 1 - score
    if kind == "constant_score":
        score = np.full(n, 0.5)
    pred = (score >= 0.5).astype(int)
    df = pd.DataFrame({"label": y, "prediction": pred, "probability": score})
    run = baseline(write_csv(tmp_path / "d.csv", df), tmp_path / "o", "--curve-points", "0")
    stats = run.statistics()
    check(stats, y.astype(str).tolist(), pred.astype(str).tolist(), score, "1", check_std=tmp_path / "d.csv")
    auc = stats["binary_classification_metrics"]["auc"]
    expected = {"perfect": 1.0, "inverted": 0.0, "constant_score": 0.5}.get(kind, NAN)
    assert auc["value"] == expected
    if expected == NAN:
        assert auc["standard_deviation"] == NAN


def test_string_labels_with_positive_label(tmp_path):
    df = random_case(3000, seed=3)
    names = np.array(["no", "yes"])
    df["label"], df["prediction"] = names[df.label], names[df.prediction]
    run = baseline(write_csv(tmp_path / "d.csv", df), tmp_path / "o", "--positive-label", "yes",
                   "--curve-points", "0")
    stats = run.statistics()
    assert list(stats["binary_classification_metrics"]["confusion_matrix"]) == ["no", "yes"]
    check(stats, df.label.tolist(), df.prediction.tolist(), df.probability.to_numpy(), "yes", check_std=tmp_path / "d.csv")


def test_numeric_spellings_are_one_class(tmp_path):
    df = random_case(500, seed=4)
    lab = df.label.map({0: "0", 1: "1"})
    pred = df.prediction.map({0: "0.0", 1: "1.00"})
    pd.DataFrame({"label": lab, "prediction": pred, "probability": df.probability}).to_csv(tmp_path / "d.csv",
                                                                                             index=False)
    run = baseline(tmp_path / "d.csv", tmp_path / "o", "--curve-points", "0")
    check(run.statistics(), lab.tolist(), df.prediction.astype(str).tolist(), df.probability.to_numpy(), "1")


def test_prediction_from_probability_threshold(tmp_path):
    df = random_case(2000, seed=5, decimals=3)
    path = write_csv(tmp_path / "d.csv", df[["label", "probability"]])
    run = baseline(path, tmp_path / "o", "--probability-threshold-attribute", "0.3", "--curve-points", "0",
                   prediction=None)
    pred = (df.probability >= 0.3).astype(int).astype(str).tolist()  # >= : a tie at 0.3 is positive
    assert (df.probability == 0.3).any()
    check(run.statistics(), df.label.astype(str).tolist(), pred, df.probability.to_numpy(), "1", check_std=tmp_path / "d.csv")


def test_without_probability_the_prediction_is_the_score(tmp_path):
    df = random_case(1000, seed=6)
    path = write_csv(tmp_path / "d.csv", df[["label", "prediction"]])
    run = baseline(path, tmp_path / "o", probability=None)
    check(run.statistics(), df.label.astype(str).tolist(), df.prediction.astype(str).tolist(),
          df.prediction.to_numpy(), "1", check_std=tmp_path / "d.csv")
    roc = run.statistics()["binary_classification_metrics"]["receiver_operating_characteristic_curve"]
    assert len(roc["false_positive_rates"]) == 4  # (0,0), two thresholds, (1,1)


def test_curves_are_thinned_to_the_cap_and_auc_stays_exact(tmp_path):
    df = random_case(20000, seed=8, decimals=None)
    path = write_csv(tmp_path / "d.csv", df)
    run = baseline(path, tmp_path / "o", "--curve-points", "100")
    m = run.statistics()["binary_classification_metrics"]
    assert len(m["precision_recall_curve"]["recalls"]) <= 101
    assert len(m["receiver_operating_characteristic_curve"]["false_positive_rates"]) <= 102
    assert close(m["auc"]["value"], roc_auc_score(df.label, df.probability))
    default = baseline(path, tmp_path / "o2").statistics()["binary_classification_metrics"]
    assert len(default["precision_recall_curve"]["recalls"]) <= 1001
