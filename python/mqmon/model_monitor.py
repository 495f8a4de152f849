"""``sagemaker.model_monitor``'s model-quality classes, running locally on mqmon's engine."""
import datetime
import html
import json
import os
import time

from . import _mqmon, errors
from ._keywords import checked

# mqmon's options beyond the SDK's arguments, by keyword.
_EVALUATION_OPTIONS = ("positive_label", "negative_label", "label_type", "class_labels", "seed",
                       "curve_points", "max_bad_rows", "evaluation_time", "s3_endpoint",
                       "unbounded_scores", "record_preprocessor_script", "script_workers")
_BASELINE_OPTIONS = _EVALUATION_OPTIONS + ("threshold_method", "alpha", "alpha_scope", "window_size", "replicates",
                                           "strict_layout", "report")
_MONITOR_OPTIONS = _EVALUATION_OPTIONS + ("max_lookback", "ignore_undefined_metrics",
                                          "post_analytics_processor_script", "report", "baseline_statistics")
_SCHEDULE_OPTIONS = ("positive_label", "negative_label", "label_type", "class_labels", "unbounded_scores",
                     "max_bad_rows", "max_lookback", "ignore_undefined_metrics")


def _location(uri):
    """A local path or an s3:// URI as the engine takes it (file:// stripped)."""
    if uri is None:
        return None
    uri = str(uri)
    if uri.startswith("file://"):
        return uri[len("file://"):]
    return uri


def _join(base, name):
    if base.startswith("s3://") or base.startswith("S3://"):
        return base.rstrip("/") + "/" + name
    return os.path.join(base, name)


def _millis(t):
    """Milliseconds since the epoch of a datetime (naive = UTC) or an ISO-8601 UTC string."""
    if t is None:
        return _mqmon.now_millis()
    if isinstance(t, datetime.datetime):
        if t.tzinfo is None:
            t = t.replace(tzinfo=datetime.timezone.utc)
        return int(round(t.timestamp() * 1000))
    return _mqmon.parse_timestamp(str(t))


class DatasetFormat:
    """The SDK's dataset formats, producing the same dictionaries."""

    @staticmethod
    @checked()
    def csv(header=True, output_columns_position="START"):
        return {"csv": {"header": header, "output_columns_position": output_columns_position}}

    @staticmethod
    @checked()
    def json(lines=True):
        return {"json": {"lines": lines}}

    @staticmethod
    def sagemaker_capture_json():
        return {"sagemakerCaptureJson": {}}


class _JsonFile:
    """A JSON output of a job: ``body_dict`` and where it lives (``file_s3_uri``: an s3:// URI or a
    local path). ``s3_endpoint`` is the S3-compatible endpoint it was read from (None: the
    environment's, else AWS)."""

    def __init__(self, body_dict, file_s3_uri, s3_endpoint=None):
        self.body_dict = body_dict
        self.file_s3_uri = file_s3_uri
        self.s3_endpoint = s3_endpoint

    @classmethod
    @checked()
    def from_file_path(cls, path, s3_endpoint=None):
        path = _location(path)
        return cls(json.loads(_mqmon.read_object(path, s3_endpoint)), path, s3_endpoint)

    @classmethod
    @checked()
    def from_s3_uri(cls, file_s3_uri, kms_key=None, sagemaker_session=None):
        """As the SDK's ``Statistics.from_s3_uri``/``Constraints.from_s3_uri``; a session made with
        ``s3_endpoint_url`` reads from that store."""
        return cls.from_file_path(file_s3_uri, _endpoint_of(sagemaker_session))

    def __repr__(self):
        return f"{type(self).__name__}({self.file_s3_uri!r})"


class Statistics(_JsonFile):
    """statistics.json."""


class Constraints(_JsonFile):
    """constraints.json."""

    @checked()
    def save(self, new_save_location_s3_uri=None):
        """Writes the (possibly edited) constraints back, or to a new location."""
        if new_save_location_s3_uri is not None:
            self.file_s3_uri = _location(new_save_location_s3_uri)
        _mqmon.write_object(self.file_s3_uri, json.dumps(self.body_dict, indent=2), self.s3_endpoint)


class ConstraintViolations(_JsonFile):
    """constraint_violations.json."""


class _Report:
    """report.html beside a job's outputs: ``report()`` gives its path; in Jupyter the job shows it
    inline (``_repr_html_``)."""

    def _report_path(self):
        path = _join(self.output_path, "report.html")
        return path if _mqmon.exists(path, self.s3_endpoint) else None

    @checked()
    def report(self):
        """The path (or s3:// URI) of the job's report.html. Raises mqmon.IoError when the job wrote
        none (``report=False``)."""
        path = self._report_path()
        if path is None:
            raise errors.IoError(f"{_join(self.output_path, 'report.html')} does not exist: the job ran "
                                 "with report=False")
        return path

    def _repr_html_(self):
        """The report in an isolated frame, so that its style and the notebook's do not mix."""
        path = self._report_path()
        if path is None:
            return None
        page = _mqmon.read_object(path, self.s3_endpoint).decode("utf-8")
        return ('<iframe style="width: 100%; height: 720px; border: 0" sandbox srcdoc="'
                + html.escape(page, quote=True) + '"></iframe>')


class BaseliningJob(_Report):
    """A finished baseline job (jobs run synchronously: ``wait`` returns at once)."""

    def __init__(self, job_name, outputs, output_path, s3_endpoint=None):
        self.job_name = job_name
        self.outputs = outputs
        self.output_path = output_path
        self.s3_endpoint = s3_endpoint

    @checked()
    def wait(self, logs=True):
        return None

    def describe(self):
        return {"ProcessingJobName": self.job_name, "ProcessingJobStatus": "Completed",
                "ProcessingOutputConfig": {"Outputs": [{"S3Output": {"S3Uri": self.output_path}}]},
                "ItemCount": self.outputs["item_count"]}

    @checked()
    def baseline_statistics(self, file_name="statistics.json", kms_key=None):
        return Statistics.from_file_path(_join(self.output_path, file_name), self.s3_endpoint)

    @checked()
    def suggested_constraints(self, file_name="constraints.json", kms_key=None):
        return Constraints.from_file_path(_join(self.output_path, file_name), self.s3_endpoint)


class MonitoringExecution(_Report):
    """One monitoring execution and its outputs: run by ``run_monitoring``, or by a schedule (then
    ``describe()`` reads its record from the schedule store, with the service's keys)."""

    def __init__(self, name, result, output_path, s3_endpoint=None, state=None, execution_id=None):
        self.name = name
        self.result = result
        self.output_path = output_path
        self.s3_endpoint = s3_endpoint
        self._state = state
        self._execution_id = execution_id

    @classmethod
    def _scheduled(cls, description, state, s3_endpoint=None):
        return cls(description["ProcessingJobName"], description, description["output"], s3_endpoint, state,
                   description["execution_id"])

    def describe(self):
        """The SDK's dictionary: MonitoringExecutionStatus, ScheduledTime, ProcessingJobName,
        ProcessingJobStatus, ExitMessage, FailureReason, ProcessingOutputConfig, ..."""
        if self._execution_id is not None:
            self.result = json.loads(_mqmon.execution_describe(self._state, self._execution_id))
            return dict(self.result)
        d = {"MonitoringExecutionStatus": self.result["status"],
             "ProcessingJobName": self.name,
             "ProcessingJobStatus": "Failed" if self.result["status"] == "Failed" else "Completed",
             "ProcessingOutputConfig": {"Outputs": [{"S3Output": {"S3Uri": self.output_path}}]},
             "MonitoringOutputs": [{"S3Output": {"S3Uri": self.output_path}}]}
        if self.result["failure_reason"]:
            d["FailureReason"] = d["ExitMessage"] = self.result["failure_reason"]
        return d

    @checked()
    def wait(self, logs=True):
        """Returns once the execution has ended (a scheduler runs scheduled ones)."""
        while self._execution_id is not None and \
                self.describe()["MonitoringExecutionStatus"] in ("Pending", "InProgress"):
            time.sleep(1)

    def _output(self, cls, file_name):
        path = _join(self.output_path, file_name)
        return cls.from_file_path(path, self.s3_endpoint) if _mqmon.exists(path, self.s3_endpoint) else None

    @checked()
    def statistics(self, file_name="statistics.json", kms_key=None):
        return self._output(Statistics, file_name)

    @checked()
    def constraint_violations(self, file_name="constraint_violations.json", kms_key=None):
        return self._output(ConstraintViolations, file_name)

    def __repr__(self):
        return f"MonitoringExecution({self.name!r})"


class EndpointInput:
    """The SDK's ``EndpointInput``: the endpoint whose captured traffic a schedule monitors, the
    attributes that address its output, and the window offsets. The cloud-only arguments are
    accepted and ignored."""

    @checked()
    def __init__(self, endpoint_name, destination="/opt/ml/processing/input/endpoint", s3_input_mode="File",
                 s3_data_distribution_type="FullyReplicated", start_time_offset=None, end_time_offset=None,
                 features_attribute=None, inference_attribute=None, probability_attribute=None,
                 probability_threshold_attribute=None, exclude_features_attribute=None):
        self.endpoint_name = endpoint_name
        self.destination = destination
        self.start_time_offset = start_time_offset
        self.end_time_offset = end_time_offset
        self.inference_attribute = inference_attribute
        self.probability_attribute = probability_attribute
        self.probability_threshold_attribute = probability_threshold_attribute


class CronExpressionGenerator:
    """The SDK's schedule expressions."""

    @staticmethod
    def hourly():
        return "cron(0 * ? * * *)"

    @staticmethod
    @checked()
    def daily(hour=0):
        return f"cron(0 {hour} ? * * *)"

    @staticmethod
    @checked()
    def daily_every_x_hours(hour_interval, starting_hour=0):
        return f"cron(0 {starting_hour}/{hour_interval} ? * * *)"

    @staticmethod
    def now():
        return "NOW"


def _endpoint_of(sagemaker_session):
    return getattr(sagemaker_session, "s3_endpoint_url", None)


class ModelQualityMonitor:
    """The SDK's ModelQualityMonitor. Cloud-only arguments are accepted and ignored, except
    ``instance_count``, which sets the worker threads when it is above 1, and a session's
    ``s3_endpoint_url`` (``mqmon.Session(s3_endpoint_url=...)``, as the SDK's LocalSession), the
    S3-compatible store of s3:// locations."""

    @checked()
    def __init__(self, role=None, instance_count=1, instance_type=None, volume_size_in_gb=None,
                 volume_kms_key=None, output_kms_key=None, max_runtime_in_seconds=None, base_job_name=None,
                 sagemaker_session=None, env=None, tags=None, network_config=None, state=None):
        self.role = role
        self.max_runtime_in_seconds = max_runtime_in_seconds
        # The schedule store: this argument, the session's, else $MQMON_HOME/mqmon.db.
        self.state = state if state is not None else getattr(sagemaker_session, "state", None)
        self.monitoring_schedule_name = None
        self.instance_count = instance_count
        self.base_job_name = base_job_name or "model-quality"
        self.sagemaker_session = sagemaker_session
        self.s3_endpoint = _endpoint_of(sagemaker_session)
        self.env = dict(env or {})
        self.latest_baselining_job = None
        self.latest_baselining_job_name = None
        self._executions = []

    def _threads(self):
        return int(self.instance_count) if self.instance_count and int(self.instance_count) > 1 else None

    def _job_name(self, given, kind):
        stamp = datetime.datetime.utcnow().strftime("%Y-%m-%d-%H-%M-%S-%f")[:-3]
        return given or f"{self.base_job_name}-{kind}-{stamp}"

    @checked(*_BASELINE_OPTIONS)
    def suggest_baseline(self, baseline_dataset, dataset_format, problem_type, inference_attribute=None,
                         probability_attribute=None, ground_truth_attribute=None,
                         probability_threshold_attribute=None, post_analytics_processor_script=None,
                         output_s3_uri=None, wait=False, logs=False, job_name=None, **mqmon_options):
        """Runs the baseline job on a local file or directory, or an s3:// object or prefix, and
        returns the finished job.

        Besides the SDK's arguments, mqmon's options are accepted by keyword: ``positive_label``,
        ``negative_label``, ``label_type``, ``class_labels``, ``seed``, ``curve_points``,
        ``threshold_method``, ``alpha``, ``alpha_scope`` ("metric" or "execution"), ``window_size``, ``replicates``, ``strict_layout``,
        ``max_bad_rows``, ``evaluation_time``, ``report`` (default True: report.html beside the
        files; ``job.report()``). Any other keyword is a TypeError.
        """
        job_name = self._job_name(job_name, "baseline")
        output = _location(output_s3_uri) or os.path.join("model-monitor", "baselining", job_name, "results")
        options = {"s3_endpoint": self.s3_endpoint}
        options.update(mqmon_options)
        options.update(dataset_format=json.dumps(dataset_format), problem_type=problem_type,
                       inference_attribute=inference_attribute, probability_attribute=probability_attribute,
                       ground_truth_attribute=ground_truth_attribute, threads=self._threads(),
                       post_analytics_processor_script=_location(post_analytics_processor_script))
        if "record_preprocessor_script" in options:
            options["record_preprocessor_script"] = _location(options["record_preprocessor_script"])
        if probability_threshold_attribute is not None:
            options["probability_threshold"] = float(probability_threshold_attribute)
        outputs = _mqmon.suggest_baseline(_location(baseline_dataset), output, options)
        self.latest_baselining_job = BaseliningJob(job_name, outputs, output, options["s3_endpoint"])
        self.latest_baselining_job_name = job_name
        return self.latest_baselining_job

    @checked()
    def suggested_constraints(self, file_name="constraints.json", kms_key=None):
        return self.latest_baselining_job.suggested_constraints(file_name, kms_key)

    @checked()
    def baseline_statistics(self, file_name="statistics.json", kms_key=None):
        return self.latest_baselining_job.baseline_statistics(file_name, kms_key)

    @checked(*_MONITOR_OPTIONS)
    def run_monitoring(self, constraints, problem_type, ground_truth_input=None, capture_uri=None, dataset=None,
                       dataset_format=None, inference_attribute=None, probability_attribute=None,
                       probability_threshold_attribute=None, ground_truth_attribute=None,
                       start_time_offset="-PT1H", end_time_offset="-PT0H", scheduled_time=None, start_time=None,
                       end_time=None, execution_time=None, output_s3_uri=None, endpoint_name=None,
                       monitor_schedule_name=None, **mqmon_options):
        """One monitoring execution, as a schedule would run it: the window is ``start_time`` to
        ``end_time``, or ``scheduled_time`` (default now) plus the offsets. Give ``capture_uri`` and
        ``ground_truth_input`` (hour-folder prefixes) to merge them, or a ``dataset``. ``constraints``
        is a path or a Constraints object. A failed execution raises a subclass of
        ``mqmon.Error`` (``reason``, ``exit_code``, and ``execution``: the Failed
        MonitoringExecution, also kept in ``list_executions()``). Without a window (no start and
        end times, no scheduled time) a ``dataset`` is its own window. Besides the SDK's arguments, mqmon's options are
        accepted by keyword: ``positive_label``, ``negative_label``, ``label_type``,
        ``class_labels``, ``seed``, ``curve_points``, ``max_bad_rows``, ``evaluation_time``,
        ``max_lookback``, ``ignore_undefined_metrics``, ``report`` (default True: report.html;
        ``execution.report()``), ``baseline_statistics`` (a path: the baseline beside the window in
        the report). Returns the MonitoringExecution."""
        if isinstance(constraints, Constraints):
            constraints = constraints.file_s3_uri
        if start_time is not None or end_time is not None:
            start, end = _millis(start_time), _millis(end_time)
        elif dataset is not None and scheduled_time is None:
            start = end = None  # the dataset is its own window
        else:
            scheduled = _millis(scheduled_time)
            start = scheduled + _mqmon.parse_duration(start_time_offset)
            end = scheduled + _mqmon.parse_duration(end_time_offset)
        name = self._job_name(None, "execution")
        output = _location(output_s3_uri) or os.path.join("model-monitor", "monitoring",
                                                          monitor_schedule_name or "local", name)
        options = {"s3_endpoint": self.s3_endpoint}
        options.update(mqmon_options)
        if "baseline_statistics" in options:
            options["baseline_statistics"] = _location(options["baseline_statistics"])
        options.update(
            problem_type=problem_type, constraints=_location(constraints), capture=_location(capture_uri),
            ground_truth=_location(ground_truth_input), dataset=_location(dataset), output=output, start=start,
            end=end,
            execution_time=_millis(execution_time), inference_attribute=inference_attribute,
            probability_attribute=probability_attribute, ground_truth_attribute=ground_truth_attribute,
            endpoint_name=endpoint_name or "local", monitoring_schedule_name=monitor_schedule_name or "mqmon",
            threads=self._threads())
        if dataset_format is not None:
            options["dataset_format"] = json.dumps(dataset_format)
        if probability_threshold_attribute is not None:
            options["probability_threshold"] = float(probability_threshold_attribute)
        result = _mqmon.monitor(options)
        execution = MonitoringExecution(name, result, output, options["s3_endpoint"])
        self._executions.append(execution)
        if result["status"] == "Failed":
            # The execution (and its execution.json) exists; the job failed all the same.
            raise getattr(errors, result["error_class"])(result["failure_reason"], execution)
        return execution

    def list_executions(self):
        """The executions of this monitor's schedule (or, without one, those ``run_monitoring``
        ran), oldest first: MonitoringExecution objects."""
        if self.monitoring_schedule_name is None:
            return list(self._executions)
        rows = json.loads(_mqmon.schedule_executions(self.state, self.monitoring_schedule_name))
        return [MonitoringExecution._scheduled(d, self.state, self.s3_endpoint) for d in rows]

    @checked()
    def latest_monitoring_statistics(self, file_name="statistics.json"):
        executions = self.list_executions()
        return executions[-1].statistics(file_name) if executions else None

    @checked()
    def latest_monitoring_constraint_violations(self, file_name="constraint_violations.json"):
        executions = self.list_executions()
        return executions[-1].constraint_violations(file_name) if executions else None

    # Schedules. Executions are run by `mqmon scheduler`, or in this process by
    # run_due_executions(): nothing runs in a hidden thread.

    @checked(*_SCHEDULE_OPTIONS)
    def create_monitoring_schedule(self, endpoint_input=None, ground_truth_input=None, problem_type=None,
                                   record_preprocessor_script=None, post_analytics_processor_script=None,
                                   output_s3_uri=None, constraints=None, monitor_schedule_name=None,
                                   schedule_cron_expression=None, enable_cloudwatch_metrics=True,
                                   batch_transform_input=None, data_analysis_start_time=None,
                                   data_analysis_end_time=None, data_capture_s3_uri=None, now=None,
                                   **mqmon_options):
        """The SDK's call, with one argument the service did not need: ``data_capture_s3_uri``,
        where the endpoint's captured files are (a local folder or an s3:// prefix, read as the
        CLI's --capture). ``endpoint_input`` is an endpoint name or an EndpointInput;
        ``constraints`` a path or a Constraints object (default: the latest baseline's);
        ``now`` (mqmon's) the creation time, for back-fills and tests. Besides, mqmon's options:
        ``positive_label``, ``negative_label``, ``label_type``, ``class_labels``,
        ``unbounded_scores``, ``max_bad_rows``, ``max_lookback``, ``ignore_undefined_metrics``."""
        if batch_transform_input is not None:
            raise errors.ConfigError("batch_transform_input is not supported: give endpoint_input and "
                                     "data_capture_s3_uri")
        if endpoint_input is None or ground_truth_input is None or problem_type is None:
            raise errors.ConfigError("create_monitoring_schedule needs endpoint_input, ground_truth_input and "
                                     "problem_type")
        if data_capture_s3_uri is None:
            raise errors.ConfigError("give data_capture_s3_uri: where the endpoint's captured files are "
                                     "(a folder or an s3:// prefix with yyyy/mm/dd/hh folders)")
        name = monitor_schedule_name or self._job_name(None, "monitoring-schedule")
        if constraints is None and self.latest_baselining_job is not None:
            constraints = self.latest_baselining_job.suggested_constraints()
        if constraints is None:
            raise errors.ConfigError("give constraints (or run suggest_baseline first)")
        definition = {
            "capture": _location(data_capture_s3_uri), "ground_truth": _location(ground_truth_input),
            "constraints": _constraints_location(constraints),
            "output": _location(output_s3_uri) or os.path.abspath(os.path.join("model-monitor", "monitoring")),
            "problem_type": problem_type, "start_time_offset": "-PT1H", "end_time_offset": "-PT0H",
            "data_analysis_start_time": data_analysis_start_time or "",
            "data_analysis_end_time": data_analysis_end_time or "",
            "enable_cloudwatch_metrics": bool(enable_cloudwatch_metrics),
            "record_preprocessor_script": _location(record_preprocessor_script) or "",
            "post_analytics_processor_script": _location(post_analytics_processor_script) or "",
        }
        _apply_endpoint_input(definition, endpoint_input)
        if self.max_runtime_in_seconds:
            definition["max_runtime_in_seconds"] = int(self.max_runtime_in_seconds)
        definition.update(_definition_options(mqmon_options))
        expression = schedule_cron_expression or CronExpressionGenerator.hourly()
        _mqmon.schedule_save(self.state, name, expression, json.dumps(definition), _millis(now), True)
        self.monitoring_schedule_name = name
        return self.describe_schedule()

    @checked(*_SCHEDULE_OPTIONS)
    def update_monitoring_schedule(self, endpoint_input=None, ground_truth_input=None, problem_type=None,
                                   record_preprocessor_script=None, post_analytics_processor_script=None,
                                   output_s3_uri=None, constraints=None, schedule_cron_expression=None,
                                   enable_cloudwatch_metrics=None, data_analysis_start_time=None,
                                   data_analysis_end_time=None, data_capture_s3_uri=None, now=None,
                                   **mqmon_options):
        """Changes what is given; the rest of the schedule stays."""
        current = self.describe_schedule()
        definition = json.loads(current["definition"])
        if endpoint_input is not None:
            _apply_endpoint_input(definition, endpoint_input)
        for key, value in (("ground_truth", ground_truth_input), ("output", output_s3_uri),
                           ("capture", data_capture_s3_uri), ("problem_type", problem_type),
                           ("data_analysis_start_time", data_analysis_start_time),
                           ("data_analysis_end_time", data_analysis_end_time),
                           ("record_preprocessor_script", _location(record_preprocessor_script)),
                           ("post_analytics_processor_script", _location(post_analytics_processor_script))):
            if value is not None:
                definition[key] = _location(value) if key in ("ground_truth", "output", "capture") else value
        if constraints is not None:
            definition["constraints"] = _constraints_location(constraints)
        if enable_cloudwatch_metrics is not None:
            definition["enable_cloudwatch_metrics"] = bool(enable_cloudwatch_metrics)
        definition.update(_definition_options(mqmon_options))
        expression = schedule_cron_expression or \
            current["MonitoringScheduleConfig"]["ScheduleConfig"]["ScheduleExpression"]
        _mqmon.schedule_save(self.state, self._schedule(), expression, json.dumps(definition), _millis(now), False)

    def describe_schedule(self):
        """DescribeMonitoringSchedule's dictionary (MonitoringScheduleStatus,
        LastMonitoringExecutionSummary, ...), plus mqmon's next_scheduled_time."""
        return json.loads(_mqmon.schedule_describe(self.state, self._schedule(), _mqmon.now_millis()))

    @checked()
    def stop_monitoring_schedule(self, now=None):
        _mqmon.schedule_set_status(self.state, self._schedule(), "Stopped", _millis(now))

    @checked()
    def start_monitoring_schedule(self, now=None):
        """Resumes from now: the times the schedule was stopped for are not run."""
        _mqmon.schedule_set_status(self.state, self._schedule(), "Scheduled", _millis(now))

    @checked()
    def delete_monitoring_schedule(self, purge=False):
        """Deletes the schedule; its executions stay listed (``mqmon executions list``) unless
        ``purge`` (then their local outputs go too)."""
        _mqmon.schedule_delete(self.state, self._schedule(), bool(purge))
        self.monitoring_schedule_name = None

    @classmethod
    @checked()
    def attach(cls, monitor_schedule_name, sagemaker_session=None, state=None):
        """The monitor of an existing schedule."""
        monitor = cls(sagemaker_session=sagemaker_session, state=state)
        monitor.monitoring_schedule_name = monitor_schedule_name
        monitor.describe_schedule()  # a ConfigError naming the schedules when there is none
        return monitor

    @checked()
    def run_due_executions(self, now=None, catch_up="latest"):
        """What `mqmon scheduler --once` does, in this process: every schedule's due executions
        up to ``now`` (default: the clock), each in a child process. Returns the executions run."""
        rows = json.loads(_mqmon.run_due_executions(self.state, _millis(now), catch_up))
        return [MonitoringExecution._scheduled(d, self.state, self.s3_endpoint) for d in rows]

    @checked()
    def history_report(self, output="report.html"):
        """Writes the schedule's history view (each constrained metric over its executions, with
        thresholds, violations and failures) to ``output`` (a path or s3:// URI); returns it."""
        _mqmon.report_history(self.state, self._schedule(), _location(output))
        return output

    def _schedule(self):
        if self.monitoring_schedule_name is None:
            raise errors.ConfigError("this monitor has no schedule: create_monitoring_schedule or attach first")
        return self.monitoring_schedule_name


def _constraints_location(constraints):
    return _location(constraints.file_s3_uri if isinstance(constraints, Constraints) else constraints)


def _apply_endpoint_input(definition, endpoint_input):
    """An endpoint name or EndpointInput into a stored definition (what it leaves None stays)."""
    if isinstance(endpoint_input, str):
        endpoint_input = EndpointInput(endpoint_input)
    definition["endpoint_name"] = endpoint_input.endpoint_name
    for key in ("inference_attribute", "probability_attribute", "start_time_offset", "end_time_offset"):
        if getattr(endpoint_input, key) is not None:
            definition[key] = getattr(endpoint_input, key)
    if endpoint_input.probability_threshold_attribute is not None:
        definition["probability_threshold_attribute"] = float(endpoint_input.probability_threshold_attribute)


def _definition_options(options):
    """mqmon's schedule options, as the stored definition names them."""
    out = dict(options)
    if "max_bad_rows" in out:
        out["max_bad_rows"] = str(out["max_bad_rows"])
    if "positive_label" in out:
        out["positive_label"] = str(out["positive_label"])
    if "negative_label" in out:
        out["negative_label"] = str(out["negative_label"])
    return out
