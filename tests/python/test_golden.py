"""The values AWS documents for model-quality statistics reproduced digit for digit, in the service's layout."""
import re

from conftest import baseline

# The service's documented values: 4 rows, TN=1 FP=2 FN=0 TP=1.
DOC_VALUES = {
    "recall": "1.0",
    "precision": "0.3333333333333333",
    "accuracy": "0.5",
    "recall_best_constant_classifier": "1.0",
    "precision_best_constant_classifier": "0.25",
    "accuracy_best_constant_classifier": "0.25",
    "true_positive_rate": "1.0",
    "true_negative_rate": "0.33333333333333337",
    "false_positive_rate": "0.6666666666666666",
    "false_negative_rate": "0.0",
    "f0_5": "0.3846153846153846",
    "f1": "0.5",
    "f2": "0.7142857142857143",
    "f0_5_best_constant_classifier": "0.29411764705882354",
    "f1_best_constant_classifier": "0.4",
    "f2_best_constant_classifier": "0.625",
}
KEY_ORDER = ["confusion_matrix", "recall", "precision", "accuracy", "recall_best_constant_classifier",
             "precision_best_constant_classifier", "accuracy_best_constant_classifier", "true_positive_rate",
             "true_negative_rate", "false_positive_rate", "false_negative_rate",
             "receiver_operating_characteristic_curve", "precision_recall_curve", "auc", "f0_5", "f1", "f2",
             "f0_5_best_constant_classifier", "f1_best_constant_classifier", "f2_best_constant_classifier"]


def doc_dataset(tmp_path):
    path = tmp_path / "doc.csv"
    path.write_text("probability,prediction,label\n0.1,0,0\n0.7,1,0\n0.6,1,0\n0.9,1,1\n")
    return path


def test_documented_binary_values_digit_for_digit(tmp_path):
    run = baseline(doc_dataset(tmp_path), tmp_path / "o", "--evaluation-time", "2023-03-30T21:08:34.729Z")
    text = (tmp_path / "o" / "statistics.json").read_text()
    for name, digits in DOC_VALUES.items():
        m = re.search(r'"%s" : \{\n\s+"value" : ([^,\n]+),\n\s+"standard_deviation" : "NaN"\n' % name, text)
        assert m, name
        assert m.group(1) == digits, (name, m.group(1), digits)
    assert list(run.statistics()["binary_classification_metrics"]) == KEY_ORDER


def test_layout_is_the_services(tmp_path):
    baseline(doc_dataset(tmp_path), tmp_path / "o", "--evaluation-time", "2023-03-30T21:08:34.729Z")
    text = (tmp_path / "o" / "statistics.json").read_text()
    assert text.startswith('{\n  "version" : 0.0,\n  "dataset" : {\n    "item_count" : 4,\n'
                           '    "evaluation_time" : "2023-03-30T21:08:34.729Z"\n  },\n'
                           '  "binary_classification_metrics" : {\n    "confusion_matrix" : {\n'
                           '      "0" : {\n        "0" : 1,\n        "1" : 2\n      },\n'
                           '      "1" : {\n        "0" : 0,\n        "1" : 1\n      }\n    },\n')
    assert ('"receiver_operating_characteristic_curve" : {\n'
            '      "false_positive_rates" : [ 0.0, 0.0, 0.3333333333333333, 0.6666666666666666, 1.0, 1.0 ],\n'
            '      "true_positive_rates" : [ 0.0, 1.0, 1.0, 1.0, 1.0, 1.0 ]\n    },') in text
    constraints = (tmp_path / "o" / "constraints.json").read_text()
    assert constraints.startswith('{\n  "version" : 0.0,\n  "binary_classification_constraints" : {\n'
                                  '    "recall" : {\n      "threshold" : ')
    assert not re.search(r"\d[eE][-+]?\d", text + constraints)


def test_evaluation_time_defaults_to_now_in_the_service_format(tmp_path):
    run = baseline(doc_dataset(tmp_path), tmp_path / "o")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", run.statistics()["dataset"]["evaluation_time"])


def doc_2096(tmp_path):
    """The 2096 rows behind the documented multiclass and regression examples."""
    cells = {("0", "0"): 1180, ("0", "1"): 510, ("1", "0"): 268, ("1", "1"): 138}
    rows = [f"{a},{p}\n" for (a, p), n in cells.items() for _ in range(n)]
    path = tmp_path / "doc2096.csv"
    path.write_text("label,prediction\n" + "".join(rows))
    return path


def values_in(text, block):
    body = text[text.index(f'"{block}"'):]
    return dict(re.findall(r'"(\w+)" : \{\n\s+"value" : ([^,\n]+),', body))


def test_documented_multiclass_values_digit_for_digit(tmp_path):
    from conftest import run_mqmon
    run_mqmon(["suggest-baseline", "--baseline-dataset", doc_2096(tmp_path), "--problem-type",
               "MulticlassClassification", "--ground-truth-attribute", "label", "--inference-attribute",
               "prediction", "--output", tmp_path / "o"])
    text = (tmp_path / "o" / "statistics.json").read_text()
    got = values_in(text, "multiclass_classification_metrics")
    assert got["accuracy"] == "0.6288167938931297"
    assert got["weighted_recall"] == "0.6288167938931297"
    assert got["weighted_precision"] == "0.6983172269629505"
    assert got["weighted_f0_5"] == "0.6803947317178771"
    assert got["weighted_f1"] == "0.6571162346664904"
    assert got["weighted_f2"] == "0.63840243543946"  # as documented (the doc prints ...4601: summation order)
    # The best constant classifier predicts the most frequent class, "0" (1690 of 2096).
    assert got["accuracy_best_constant_classifier"] == repr(1690 / 2096)
    assert '"0" : {\n        "0" : 1180,\n        "1" : 510\n      }' in text


def test_documented_regression_values_digit_for_digit(tmp_path):
    from conftest import run_mqmon
    run_mqmon(["suggest-baseline", "--baseline-dataset", doc_2096(tmp_path), "--problem-type", "Regression",
               "--ground-truth-attribute", "label", "--inference-attribute", "prediction",
               "--output", tmp_path / "o"])
    got = values_in((tmp_path / "o" / "statistics.json").read_text(), "regression_metrics")
    assert got["mae"] == "0.3711832061068702"
    assert got["mse"] == "0.3711832061068702"
    assert got["rmse"] == "0.609248066149471"
    # Exact arithmetic reproduces the documented digits (the doc prints ...2665).
    assert got["r2"] == "-1.3766111872212665"
