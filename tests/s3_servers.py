#!/usr/bin/python3
"""Real S3 API servers on 127.0.0.1 for the s3:// tests: two moto_server processes (the image's pyenv
Python), started by absolute path on free ports and stopped by process id.

- the open server accepts any credentials (most tests);
- the signing server checks SigV4 signatures from its fourth request on: this script makes an IAM user
  and access key on it (the three unchecked requests), so a wrong secret is refused.

    tests/s3_servers.py start > s3.env    # prints shell assignments (endpoints, keys, pids)
    tests/s3_servers.py stop s3.env       # kills the pids listed there
"""
import glob
import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time

MOTO_CANDIDATES = ["/root/.pyenv/versions/3.11.7/bin/moto_server", *sorted(glob.glob("/root/.pyenv/versions/*/bin/moto_server"))]


def moto_server_path():
    explicit = os.environ.get("MOTO_SERVER")
    for path in ([explicit] if explicit else []) + MOTO_CANDIDATES:
        if path and os.access(path, os.X_OK):
            return path
    raise SystemExit("moto_server not found (looked for " + ", ".join(MOTO_CANDIDATES) + "); set MOTO_SERVER")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_moto(extra_env=None, timeout=60):
    """Starts moto_server; returns (endpoint, pid) once it accepts connections."""
    port = free_port()
    env = dict(os.environ, **(extra_env or {}))
    log = tempfile.NamedTemporaryFile(prefix="moto-", suffix=".log", delete=False)
    proc = subprocess.Popen([moto_server_path(), "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=log,
                            env=env, start_new_session=True)
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"moto_server exited with {proc.returncode}; see {log.name}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return f"http://127.0.0.1:{port}", proc.pid
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit(f"moto_server did not listen on port {port} within {timeout} s; see {log.name}")


def make_signing_user(endpoint):
    """The three unchecked requests of the signing server: a user, its key, a policy allowing all."""
    import botocore.session
    iam = botocore.session.get_session().create_client(
        "iam", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="AKIDSETUP",
        aws_secret_access_key="setup")
    iam.create_user(UserName="mqmon-test")
    key = iam.create_access_key(UserName="mqmon-test")["AccessKey"]
    iam.put_user_policy(UserName="mqmon-test", PolicyName="all", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
    return key["AccessKeyId"], key["SecretAccessKey"]


def start_all():
    """Starts both servers; returns the settings as a dict of environment variables."""
    open_endpoint, open_pid = start_moto()
    signing_endpoint, signing_pid = start_moto({"INITIAL_NO_AUTH_ACTION_COUNT": "3"})
    key_id, secret = make_signing_user(signing_endpoint)
    return {"MQMON_TEST_S3_ENDPOINT": open_endpoint,
            "MQMON_TEST_S3_SIGNING_ENDPOINT": signing_endpoint,
            "MQMON_TEST_S3_SIGNING_KEY_ID": key_id,
            "MQMON_TEST_S3_SIGNING_SECRET": secret,
            "MQMON_TEST_S3_PIDS": f"{open_pid} {signing_pid}"}


def running(pid):
    """True while the process exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def stop(pids, timeout=10):
    """SIGTERM to each server's process group; SIGKILL for any still running after `timeout` s."""
    pids = [int(p) for p in pids]
    for pid in pids:
        try:
            os.killpg(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.time() + timeout
    while any(running(p) for p in pids) and time.time() < deadline:
        time.sleep(0.1)
    for pid in pids:
        if running(pid):
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def main():
    if len(sys.argv) >= 2 and sys.argv[1] == "start":
        for k, v in start_all().items():
            print(f"export {k}={shlex.quote(v)}")
    elif len(sys.argv) == 3 and sys.argv[1] == "stop":
        with open(sys.argv[2]) as f:
            for line in f:
                if line.startswith("export MQMON_TEST_S3_PIDS="):
                    stop(shlex.split(line.split("=", 1)[1])[0].split())
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
