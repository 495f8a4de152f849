"""mqmon: model-quality monitoring with the SageMaker Model Monitor SDK's shape, on a native engine.

    from mqmon import ModelQualityMonitor, DatasetFormat
    from mqmon import get_execution_role, session, Session   # harmless local shims

The classes mirror ``sagemaker.model_monitor``; jobs run locally and synchronously. For notebooks,
``compute_statistics`` evaluates NumPy arrays or a pandas DataFrame in memory. ``partial``,
``merge`` and ``finalize`` split a job into shards for any engine; ``mqmon.dask`` runs it on Dask.
"""
try:
    import numpy  # noqa: F401  (the in-memory API and the extension's arrays need it)
except ImportError as e:
    import sys
    raise ImportError(
        f"mqmon needs NumPy, which this interpreter ({sys.executable}) lacks: run mqmon with Debian's "
        "/usr/bin/python3 (package python3-numpy), or from a virtual environment made with "
        "'/usr/bin/python3 -m venv --system-site-packages'") from e

from .errors import ConfigError, DataError, Error, IoError, NoDataError, ParseError
from . import session
from .in_memory import compute_statistics
from .partials import finalize, merge, partial, partial_of_frame
from .model_monitor import (BaseliningJob, ConstraintViolations, Constraints, CronExpressionGenerator,
                            DatasetFormat, EndpointInput, ModelQualityMonitor, MonitoringExecution, Statistics)
from .session import Session, get_execution_role

__all__ = [
    "BaseliningJob", "ConfigError", "ConstraintViolations", "Constraints", "CronExpressionGenerator", "DataError",
    "DatasetFormat", "EndpointInput",
    "Error", "IoError", "ModelQualityMonitor", "MonitoringExecution", "NoDataError", "ParseError", "Session", "Statistics",
    "compute_statistics", "finalize", "get_execution_role", "merge", "partial", "partial_of_frame", "session",
]
__version__ = "0.1.0"
