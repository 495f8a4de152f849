"""Partial results: one shard's mergeable state as bytes, for an engine that spreads a job over
machines (Dask: ``mqmon.dask``; Spark, Ray, Slurm, AWS Batch: these three functions).

    parts = [mqmon.partial("s3://bucket/train/", shard=(i, 64), problem_type="BinaryClassification",
                           ground_truth_attribute="label", probability_attribute="score")
             for i in range(64)]                      # anywhere: each reads its own bytes
    merged = mqmon.merge(parts)                       # in any order or tree
    mqmon.finalize(merged, output="s3://bucket/baseline/")   # statistics.json, constraints.json

The merged result equals the single-process one byte for byte: a row's subsample is keyed by its
file's name and its byte offset (in-memory rows: their row index), and every state holds exact
counts and sums.
"""
import json

from . import _mqmon
from ._keywords import checked
from .in_memory import _columns

# mqmon's options a partial records (those of ModelQualityMonitor.suggest_baseline).
_PARTIAL_OPTIONS = ("positive_label", "negative_label", "label_type", "class_labels", "seed", "curve_points",
                    "threshold_method", "alpha", "alpha_scope", "window_size", "replicates", "strict_layout", "max_bad_rows",
                    "unbounded_scores", "record_preprocessor_script", "threads", "script_workers")


def _location(path):
    return None if path is None else str(path)


def _shard_text(shard):
    if shard is None or isinstance(shard, str):
        return shard or ""
    index, count = shard
    return f"{int(index)}/{int(count)}"


def _range_text(byte_range):
    if byte_range is None or isinstance(byte_range, str):
        return byte_range or ""
    begin, end = byte_range
    return f"{int(begin)}:{'' if end is None else int(end)}"


def dataset_options(problem_type, dataset_format=None, inference_attribute=None, probability_attribute=None,
                    ground_truth_attribute=None, probability_threshold_attribute=None, s3_endpoint=None,
                    **mqmon_options):
    """The engine's options for a dataset job, from ModelQualityMonitor.suggest_baseline's keywords."""
    options = dict(mqmon_options, problem_type=problem_type, inference_attribute=inference_attribute,
                   probability_attribute=probability_attribute, ground_truth_attribute=ground_truth_attribute,
                   s3_endpoint=s3_endpoint)
    if dataset_format is not None:
        options["dataset_format"] = json.dumps(dataset_format)
    if probability_threshold_attribute is not None:
        options["probability_threshold"] = float(probability_threshold_attribute)
    if options.get("record_preprocessor_script") is not None:
        options["record_preprocessor_script"] = str(options["record_preprocessor_script"])
    return options


@checked(*_PARTIAL_OPTIONS)
def partial(dataset, problem_type, *, shard=None, byte_range=None, dataset_format=None, inference_attribute=None,
            probability_attribute=None, ground_truth_attribute=None, probability_threshold_attribute=None,
            s3_endpoint=None, **mqmon_options):
    """The partial result (bytes) of one shard of a dataset: a file or directory, or an s3:// object
    or prefix, read by this process. ``shard=(i, n)`` (or ``"i/n"``) is the i-th (from 0) of n
    shards of equal bytes; ``byte_range=(a, b)`` (or ``"a:b"``, b None or empty: to the end) the
    records that start in those bytes of a one-file dataset. The other keywords are
    ``suggest_baseline``'s; every partial of a job must be computed with the same ones."""
    if shard is not None and byte_range is not None:
        raise TypeError("partial() takes shard or byte_range, not both")
    options = dataset_options(problem_type, dataset_format, inference_attribute, probability_attribute,
                              ground_truth_attribute, probability_threshold_attribute, s3_endpoint, **mqmon_options)
    return _mqmon.partial(_location(dataset), _shard_text(shard), _range_text(byte_range), options)


@checked()
def partial_of_frame(data, problem_type, first_row=0, *, ground_truth_attribute="label",
                     inference_attribute="prediction", probability_attribute="probability", positive_label=1,
                     negative_label=None, probability_threshold_attribute=0.5, label_type="auto", seed=None,
                     curve_points=1000, unbounded_scores=False):
    """The partial result of in-memory rows (a DataFrame or a dict of arrays) that are rows
    ``first_row`` ... of a larger table: their subsample keys are their row numbers in that table,
    so the partials of a table's chunks merge into what ``compute_statistics`` gives for the whole."""
    options, truth, predicted, prob = _columns(
        problem_type, None, None, None, data, ground_truth_attribute, inference_attribute, probability_attribute,
        positive_label, negative_label, probability_threshold_attribute, label_type, seed, curve_points,
        unbounded_scores)
    return _mqmon.partial_columns(options, truth, predicted, prob, int(first_row))


def merge(parts):
    """One partial result (bytes) from several, in any order: refused (mqmon.ConfigError or
    DataError) when they were computed with other options or from another dataset, or when two
    cover the same bytes."""
    parts = list(parts)
    if not parts:
        raise ValueError("merge() needs at least one partial result")
    if len(parts) == 1:
        return parts[0]
    return _mqmon.merge_partials([bytes(p) for p in parts], [f"partial {i + 1}" for i in range(len(parts))])


@checked()
def finalize(part, output=None, constraints=None, *, evaluation_time=None, report=True, baseline_statistics=None,
             post_analytics_processor_script=None, s3_endpoint=None):
    """The statistics (a dict) of a merged partial result that covers its whole dataset (else a
    DataError names what is missing). With ``output`` (a directory or s3:// prefix) it also writes
    what ``suggest_baseline`` writes — statistics.json, constraints.json, report.html — or, with
    ``constraints``, what a monitoring execution on the merged rows writes."""
    if output is None:
        if constraints is not None:
            raise TypeError("finalize() with constraints needs an output to write the execution to")
        return json.loads(_mqmon.finalize_partial(bytes(part), evaluation_time or ""))
    _run_final(part, output, constraints, evaluation_time=evaluation_time, report=report,
               baseline_statistics=baseline_statistics,
               post_analytics_processor_script=post_analytics_processor_script, s3_endpoint=s3_endpoint)
    return json.loads(_mqmon.read_object(f"{str(output).rstrip('/')}/statistics.json", s3_endpoint))


def _run_final(part, output, constraints=None, *, evaluation_time=None, report=True, baseline_statistics=None,
               post_analytics_processor_script=None, s3_endpoint=None, endpoint_name=None,
               monitoring_schedule_name=None, ignore_undefined_metrics=False, execution_time=None):
    """The native job's result for a merged partial: suggest_baseline's dict, or monitor's."""
    output = str(output)
    part = [bytes(p) for p in part] if isinstance(part, list) else bytes(part)  # a list is merged
    common = {"partial": part, "s3_endpoint": s3_endpoint, "evaluation_time": evaluation_time,
              "report": report, "post_analytics_processor_script": _location(post_analytics_processor_script)}
    if constraints is None:
        return _mqmon.suggest_baseline("partial results", output, common)
    options = dict(common, dataset="partial results", constraints=str(constraints), output=output,
                   baseline_statistics=_location(baseline_statistics), endpoint_name=endpoint_name or "local",
                   monitoring_schedule_name=monitoring_schedule_name or "mqmon",
                   ignore_undefined_metrics=ignore_undefined_metrics,
                   execution_time=execution_time if execution_time is not None else _mqmon.now_millis())
    return _mqmon.monitor(options)
