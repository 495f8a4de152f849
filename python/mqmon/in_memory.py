"""Statistics of arrays in memory, without files: the same numbers the CLI writes for the same rows."""
import json

import numpy as np

from . import _mqmon


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


def _floats(values):
    if values is None:
        return None
    # A float64 C-contiguous array (or a pandas Series backed by one) passes without a copy.
    return np.ascontiguousarray(np.asarray(values), dtype=np.float64)


def compute_statistics(problem_type, y_true=None, y_pred=None, probability=None, *, data=None,
                       ground_truth_attribute="label", inference_attribute="prediction",
                       probability_attribute="probability", positive_label=1, negative_label=None,
                       probability_threshold_attribute=0.5, label_type="auto", seed=None, curve_points=1000,
                       evaluation_time=None):
    """The statistics.json content (a dict) of predictions held in memory.

    Give the columns as arrays (``y_true``, ``y_pred``, ``probability``) or a DataFrame ``data``
    with the attribute names. Binary needs ``y_pred`` or ``probability`` (or both); multiclass and
    regression need ``y_pred``. Float64 arrays are read in place, and the GIL is released while
    computing. Errors are raised as ``mqmon.ConfigError``/``ParseError``/``DataError`` naming the
    attribute and the 1-based row.
    """
    if data is not None:
        y_true = data[ground_truth_attribute] if ground_truth_attribute in data else None
        y_pred = data[inference_attribute] if inference_attribute and inference_attribute in data else None
        probability = data[probability_attribute] if probability_attribute and probability_attribute in data \
            else None
    if y_true is None:
        raise ValueError("the ground truth (y_true) is required")
    options = {
        "problem_type": problem_type,
        "ground_truth_attribute": ground_truth_attribute,
        "inference_attribute": inference_attribute if y_pred is not None else "",
        "probability_attribute": probability_attribute if probability is not None else "",
        "positive_label": str(positive_label),
        "negative_label": None if negative_label is None else str(negative_label),
        "probability_threshold": float(probability_threshold_attribute),
        "label_type": label_type,
        "seed": seed,
        "curve_points": curve_points,
    }
    if problem_type == "Regression":
        truth, predicted, prob = _floats(y_true), _floats(y_pred), None
    else:
        truth = _label_codes(y_true)
        predicted = _label_codes(y_pred) if y_pred is not None else None
        prob = _floats(probability)
    text = _mqmon.compute_statistics(options, truth, predicted, prob, evaluation_time or "")
    return json.loads(text)
