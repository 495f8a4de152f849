"""The documented values of SPEC §3 reproduced digit for digit, in the service's layout."""
import re

from conftest import baseline

# SPEC §3 doc values: 4 rows, TN=1 FP=2 FN=0 TP=1.
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
