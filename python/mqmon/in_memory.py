"""Statistics of arrays in memory, without files: the same numbers the CLI writes for the same rows."""
import json

import numpy as np

from . import _mqmon, errors
from ._keywords import checked


def _label_codes(values):
    """(int32 codes, vocabulary of label text) for any array-like of labels."""
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ValueError("labels must be one-dimensional")
    if arr.dtype.kind == "b":
        uniq, codes = np.unique(arr, return_inverse=True)
        vocab = ["true" if v else "false" for v in uniq]
    elif arr.dtype.kind in "iu":
        uniq, codes = np.unique(arr, return_inverse=True)
        vocab = [str(int(v)) for v in uniq]
    elif arr.dtype.kind == "f":
        if np.isnan(arr).any():
            raise ValueError(f"labels hold NaN at row {int(np.argmax(np.isnan(arr))) + 1}")
        uniq, codes = np.unique(arr, return_inverse=True)
        vocab = [repr(float(v)) for v in uniq]
    else:
        text = np.array(["true" if v is True else "false" if v is False else str(v) for v in arr.tolist()],
                        dtype=object)
        uniq, codes = np.unique(text, return_inverse=True)
        vocab = [str(v) for v in uniq]
    return codes.astype(np.int32, copy=False), vocab


def _floats(values, attribute):
    """float64 numbers of a column; a value that is not a number is a ParseError naming the
    attribute, the 1-based row and the value, as the file readers name a line."""
    if values is None:
        return None
    try:
        # A float64 C-contiguous array (or a pandas Series backed by one) passes without a copy.
        return np.ascontiguousarray(np.asarray(values), dtype=np.float64)
    except (TypeError, ValueError):
        pass
    for row, v in enumerate(np.asarray(values, dtype=object).ravel().tolist(), start=1):
        try:
            float(v)
        except (TypeError, ValueError):
            raise errors.ParseError(f"<arrays>:{row}: (attribute '{attribute}') not a number: '{v}'") from None
    raise errors.ConfigError(f"attribute '{attribute}': expected a one-dimensional array of numbers")


def _column(data, attribute, role):
    """data[attribute], or ConfigError naming the attribute and the frame's columns."""
    try:
        return data[attribute]
    except (KeyError, IndexError, ValueError):
        pass
    columns = [str(c) for c in getattr(data, "columns", getattr(data, "keys", lambda: [])())]
    near = _mqmon.closest_name(str(attribute), columns)
    hint = f" (did you mean '{near}'?)" if near else ""
    listed = ", ".join(f"'{c}'" for c in columns)
    absent = "" if role == "ground truth attribute" else \
        f"; pass {role.replace(' ', '_')}=None when the data has no such column"
    raise errors.ConfigError(
        f"{role} '{attribute}' is not a column of the data{hint}; the columns are: {listed}{absent}")


@checked()
def compute_statistics(problem_type, y_true=None, y_pred=None, probability=None, *, data=None,
                       ground_truth_attribute="label", inference_attribute="prediction",
                       probability_attribute="probability", positive_label=1, negative_label=None,
                       probability_threshold_attribute=0.5, label_type="auto", seed=None, curve_points=1000,
                       unbounded_scores=False, evaluation_time=None):
    """The statistics.json content (a dict) of predictions held in memory.

    Give the columns as arrays (``y_true``, ``y_pred``, ``probability``) or a DataFrame (or a dict
    of arrays) ``data`` with the attribute names. Every attribute the problem type reads must then
    be a column of ``data`` — the defaults too — or a ``ConfigError`` names it and lists the
    columns; pass ``None`` for one the data deliberately lacks (binary needs a prediction or a
    probability or both; multiclass and regression read no probability). Float64 arrays are read in
    place, and the GIL is released while computing. Errors are raised as
    ``mqmon.ConfigError``/``ParseError``/``DataError`` naming the attribute and the 1-based row.
    """
    options, truth, predicted, prob = _columns(
        problem_type, y_true, y_pred, probability, data, ground_truth_attribute, inference_attribute,
        probability_attribute, positive_label, negative_label, probability_threshold_attribute, label_type, seed,
        curve_points, unbounded_scores)
    text = _mqmon.compute_statistics(options, truth, predicted, prob, evaluation_time or "")
    return json.loads(text)


def _columns(problem_type, y_true, y_pred, probability, data, ground_truth_attribute, inference_attribute,
             probability_attribute, positive_label, negative_label, probability_threshold_attribute, label_type,
             seed, curve_points, unbounded_scores):
    """(native options, truth, predicted, probability) of in-memory columns, checked: what
    compute_statistics and in-memory partial results pass to the engine."""
    _mqmon.check_problem_type(problem_type)
    reads_probability = problem_type == "BinaryClassification"
    if not reads_probability and probability_attribute not in (None, "probability"):
        raise errors.ConfigError(f"{problem_type} in memory reads no probability attribute; "
                                 f"drop probability_attribute='{probability_attribute}'")
    if data is not None:
        if y_true is not None or y_pred is not None or probability is not None:
            raise errors.ConfigError("give the columns either as arrays (y_true, y_pred, probability) "
                                     "or as data= with attribute names, not both")
        if ground_truth_attribute is None:
            raise errors.ConfigError("ground_truth_attribute is required with data=")
        y_true = _column(data, ground_truth_attribute, "ground truth attribute")
        if inference_attribute is not None:
            y_pred = _column(data, inference_attribute, "inference attribute")
        if reads_probability and probability_attribute is not None:
            probability = _column(data, probability_attribute, "probability attribute")
    if y_true is None:
        raise errors.ConfigError("the ground truth (y_true, or data= with ground_truth_attribute) is "
                                 "required")
    if not reads_probability and probability is not None:
        raise errors.ConfigError(f"{problem_type} in memory reads no probability: drop the probability array")
    ground_truth_attribute = ground_truth_attribute or "label"
    options = {
        "problem_type": problem_type,
        "ground_truth_attribute": ground_truth_attribute,
        "inference_attribute": (inference_attribute or "prediction") if y_pred is not None else "",
        "probability_attribute": (probability_attribute or "probability") if probability is not None else "",
        "positive_label": str(positive_label),
        "negative_label": None if negative_label is None else str(negative_label),
        "probability_threshold": float(probability_threshold_attribute),
        "label_type": label_type,
        "seed": seed,
        "curve_points": curve_points,
        "unbounded_scores": bool(unbounded_scores),
    }
    if problem_type == "Regression":
        truth = _floats(y_true, options["ground_truth_attribute"])
        predicted, prob = _floats(y_pred, options["inference_attribute"]), None
    else:
        truth = _label_codes(y_true)
        predicted = _label_codes(y_pred) if y_pred is not None else None
        prob = _floats(probability, options["probability_attribute"])
    return options, truth, predicted, prob
