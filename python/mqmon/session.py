"""Local stand-ins for ``sagemaker.get_execution_role`` and ``sagemaker.Session``: accepted so that
SDK code runs unchanged; nothing here talks to AWS's control plane."""
from ._keywords import checked

LOCAL_ROLE = "arn:aws:iam::000000000000:role/mqmon-local"


@checked()
def get_execution_role(sagemaker_session=None, use_default=False):
    """The SDK returns the notebook's IAM role; locally there is none to assume."""
    return LOCAL_ROLE


class Session:
    """Accepts the SDK's constructor arguments. ``s3_endpoint_url`` (as the SDK's LocalSession takes
    it) points s3:// locations at an S3-compatible store; without it the environment decides
    (AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, the profile's endpoint_url, else AWS). ``state``
    (mqmon's) is the schedule database (default: $MQMON_HOME/mqmon.db)."""

    @checked()
    def __init__(self, boto_session=None, sagemaker_client=None, sagemaker_runtime_client=None,
                 sagemaker_featurestore_runtime_client=None, default_bucket=None, settings=None,
                 sagemaker_metrics_client=None, sagemaker_config=None, default_bucket_prefix=None,
                 s3_endpoint_url=None, state=None):
        self._default_bucket = default_bucket or "mqmon-local"
        self.s3_endpoint_url = s3_endpoint_url
        self.state = state

    def default_bucket(self):
        return self._default_bucket

    @property
    def boto_region_name(self):
        return "local"
