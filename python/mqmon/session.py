"""Local stand-ins for ``sagemaker.get_execution_role`` and ``sagemaker.Session``: accepted so that
SDK code runs unchanged; nothing here talks to AWS."""

LOCAL_ROLE = "arn:aws:iam::000000000000:role/mqmon-local"


def get_execution_role(sagemaker_session=None):
    """The SDK returns the notebook's IAM role; locally there is none to assume."""
    return LOCAL_ROLE


class Session:
    """Accepts the SDK's constructor arguments; mqmon reads and writes local paths."""

    def __init__(self, boto_session=None, sagemaker_client=None, sagemaker_runtime_client=None,
                 default_bucket=None, **kwargs):
        self._default_bucket = default_bucket or "mqmon-local"

    def default_bucket(self):
        return self._default_bucket

    @property
    def boto_region_name(self):
        return "local"
