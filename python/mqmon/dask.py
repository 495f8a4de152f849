"""Dask distributed as mqmon's engine across machines.

    from distributed import Client
    import mqmon.dask
    client = Client("tcp://scheduler:8786")
    job = mqmon.dask.suggest_baseline(client, baseline_dataset="s3://bucket/train/",
                                      dataset_format=mqmon.DatasetFormat.csv(),
                                      problem_type="BinaryClassification", ground_truth_attribute="label",
                                      probability_attribute="score", output_s3_uri="s3://bucket/baseline/")

Each task computes one shard's partial result natively on a worker (the GIL released), reading
its bytes itself from a local or shared path or from S3 (the data never passes through the
client); partials are merged in a tree of tasks and finalized once, on the client. A lost worker's
tasks are run again elsewhere by Dask, and the result is the same byte for byte. The workers need
mqmon importable (the same version as the client's) and, for s3:// data, credentials.
"""
import math
import os
import uuid

from . import _mqmon, partials
from ._keywords import checked
from .model_monitor import BaseliningJob, MonitoringExecution, _location
from .partials import _PARTIAL_OPTIONS

DEFAULT_SHARD_SIZE = 256 << 20  # bytes of the dataset per task
MERGE_FAN_IN = 8  # partials per merge task


def _partial_task(dataset, shard, options):
    if options.get("threads") is None:
        # The machine's cores shared among the tasks the worker runs at once.
        from distributed import get_worker
        nthreads = getattr(get_worker(), "nthreads", 1) or 1
        options = dict(options, threads=max(1, (os.cpu_count() or 1) // nthreads))
    return _mqmon.partial(dataset, shard, "", options)


def _frame_task(frame, first_row, options):
    return partials.partial_of_frame(frame, first_row=first_row, **options)


def _merge_task(*parts):
    return partials.merge(parts)


def _tree(client, futures, token, progress):
    """At most MERGE_FAN_IN futures holding the merge of all: merge tasks of MERGE_FAN_IN inputs,
    level by level (the last merge happens on the client, with the finalize)."""
    every = list(futures)
    level = 0
    while len(futures) > MERGE_FAN_IN:
        futures = [client.submit(_merge_task, *futures[i:i + MERGE_FAN_IN], key=f"mqmon-merge-{token}-{level}-{i}")
                   for i in range(0, len(futures), MERGE_FAN_IN)]
        every += futures
        level += 1
    if progress:
        from distributed import progress as show
        show(every)  # Dask's own bar, over the partial and merge tasks
    return futures


def _shards(client, dataset, options, shard_size, progress):
    """The partials of a dataset (a list of bytes, at most MERGE_FAN_IN, that merge into the
    whole), computed and partly merged by the cluster's workers."""
    if shard_size <= 0:
        raise ValueError("shard_size must be a positive number of bytes")
    total = _mqmon.dataset_bytes(dataset, options.get("s3_endpoint"))
    count = max(1, math.ceil(total / shard_size))
    token = uuid.uuid4().hex[:12]
    futures = [client.submit(_partial_task, dataset, f"{i}/{count}", options, key=f"mqmon-partial-{token}-{i}")
               for i in range(count)]
    return client.gather(_tree(client, futures, token, progress))


@checked(*_PARTIAL_OPTIONS, "evaluation_time", "report")
def suggest_baseline(client, baseline_dataset, dataset_format=None, problem_type=None, inference_attribute=None,
                     probability_attribute=None, ground_truth_attribute=None, probability_threshold_attribute=None,
                     post_analytics_processor_script=None, output_s3_uri=None, wait=True, logs=False, job_name=None,
                     shard_size=DEFAULT_SHARD_SIZE, progress=False, s3_endpoint=None, **mqmon_options):
    """ModelQualityMonitor.suggest_baseline on a Dask cluster: the same keywords and the same files
    in ``output_s3_uri`` (a directory or s3:// prefix), computed by ``client``'s workers in tasks
    of ``shard_size`` bytes. ``progress=True`` shows Dask's progress bar. Returns the
    BaseliningJob."""
    report = mqmon_options.pop("report", True)
    evaluation_time = mqmon_options.pop("evaluation_time", None)
    options = partials.dataset_options(problem_type, dataset_format, inference_attribute, probability_attribute,
                                       ground_truth_attribute, probability_threshold_attribute, s3_endpoint,
                                       **mqmon_options)
    merged = _shards(client, _location(baseline_dataset), options, shard_size, progress)
    name = job_name or f"baseline-dask-{uuid.uuid4().hex[:8]}"
    output = _location(output_s3_uri) or f"model-monitor/baselining/{name}/results"
    result = partials._run_final(merged, output, evaluation_time=evaluation_time, report=report,
                                 post_analytics_processor_script=post_analytics_processor_script,
                                 s3_endpoint=s3_endpoint)
    return BaseliningJob(name, result, output, s3_endpoint)


@checked(*_PARTIAL_OPTIONS, "evaluation_time", "report", "baseline_statistics", "ignore_undefined_metrics")
def run_monitoring(client, dataset, constraints, problem_type, output_s3_uri, dataset_format=None,
                   inference_attribute=None, probability_attribute=None, ground_truth_attribute=None,
                   probability_threshold_attribute=None, endpoint_name=None, monitor_schedule_name=None,
                   shard_size=DEFAULT_SHARD_SIZE, progress=False, s3_endpoint=None, **mqmon_options):
    """ModelQualityMonitor.run_monitoring(dataset=...) on a Dask cluster: a labelled dataset (the
    window) checked against ``constraints``, the execution's files written to ``output_s3_uri``.
    Returns the MonitoringExecution; a failed execution raises as run_monitoring does."""
    from . import errors
    keep = {k: mqmon_options.pop(k) for k in ("evaluation_time", "report", "baseline_statistics",
                                               "ignore_undefined_metrics") if k in mqmon_options}
    options = partials.dataset_options(problem_type, dataset_format, inference_attribute, probability_attribute,
                                       ground_truth_attribute, probability_threshold_attribute, s3_endpoint,
                                       **mqmon_options)
    merged = _shards(client, _location(dataset), options, shard_size, progress)
    if hasattr(constraints, "file_s3_uri"):
        constraints = constraints.file_s3_uri
    output = _location(output_s3_uri)
    result = partials._run_final(merged, output, constraints, s3_endpoint=s3_endpoint, endpoint_name=endpoint_name,
                                 monitoring_schedule_name=monitor_schedule_name, **keep)
    execution = MonitoringExecution(f"execution-dask-{uuid.uuid4().hex[:8]}", result, output, s3_endpoint)
    if result["status"] == "Failed":
        raise getattr(errors, result["error_class"])(result["failure_reason"], execution)
    return execution


@checked()
def compute_statistics(ddf, problem_type, *, ground_truth_attribute="label", inference_attribute="prediction",
                       probability_attribute="probability", positive_label=1, negative_label=None,
                       probability_threshold_attribute=0.5, label_type="auto", seed=None, curve_points=1000,
                       unbounded_scores=False, evaluation_time=None):
    """mqmon.compute_statistics over a dask.dataframe: each partition becomes a partial result
    where it lives (its rows keyed by their row numbers in the whole frame), merged in a tree and
    finalized once. Equals compute_statistics of the whole frame in memory. Runs on the active
    Dask scheduler (a distributed Client when there is one)."""
    import dask
    options = dict(ground_truth_attribute=ground_truth_attribute, inference_attribute=inference_attribute,
                   probability_attribute=probability_attribute, positive_label=positive_label,
                   negative_label=negative_label, probability_threshold_attribute=probability_threshold_attribute,
                   label_type=label_type, seed=seed, curve_points=curve_points, unbounded_scores=unbounded_scores,
                   problem_type=problem_type)
    lengths = ddf.map_partitions(len).compute()
    starts = [0]
    for n in list(lengths)[:-1]:
        starts.append(starts[-1] + int(n))
    parts = [dask.delayed(_frame_task)(frame, first_row, options)
             for frame, first_row in zip(ddf.to_delayed(), starts)]
    while len(parts) > 1:
        parts = [dask.delayed(_merge_task)(*parts[i:i + MERGE_FAN_IN]) for i in range(0, len(parts), MERGE_FAN_IN)]
    (merged,) = dask.compute(parts[0])
    return partials.finalize(merged, evaluation_time=evaluation_time)
