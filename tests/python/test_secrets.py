"""No secret is ever printed: with a sentinel secret access key and session token in the environment
and in the AWS CLI's files, nothing mqmon writes (outputs, stdout, stderr, the container's message
file, the schedule store, Python exceptions) holds the secret or the token, on success and on every
kind of S3 failure (signature mismatch with S3's error body, access denied, a missing object, an
unreachable endpoint), --verbose included."""
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from conftest import MQMON
from test_s3 import Store, aws_env, binary_rows, csv_text, free_port

SECRET = "SeNtInElSeCrEt0123456789abcdefghijklmnopq"
TOKEN = "SeNtInElToKeN" + "x" * 300
BINARY = ["--problem-type", "BinaryClassification", "--ground-truth-attribute", "label",
          "--probability-attribute", "probability"]


def run(args, env, cwd=None):
    r = subprocess.run([MQMON, *map(str, args)], capture_output=True, text=True, env=env, cwd=cwd, timeout=300)
    return r.returncode, r.stdout + r.stderr


def leaks(text):
    return SECRET in text or TOKEN in text or TOKEN[:40] in text


def test_no_secret_in_any_output(tmp_path, s3_servers):
    store = Store(s3_servers["MQMON_TEST_S3_ENDPOINT"])
    store.put("data/d.csv", csv_text(*binary_rows(400, 3)))
    signing_endpoint = s3_servers["MQMON_TEST_S3_SIGNING_ENDPOINT"]
    signing_key = s3_servers["MQMON_TEST_S3_SIGNING_KEY_ID"]
    signing = Store(signing_endpoint, signing_key, s3_servers["MQMON_TEST_S3_SIGNING_SECRET"])
    signing.put("data/d.csv", csv_text(*binary_rows(50, 4)))
    (tmp_path / "credentials").write_text(f"[monitoring]\naws_access_key_id = AKIDSENTINEL\n"
                                          f"aws_secret_access_key = {SECRET}\naws_session_token = {TOKEN}\n")
    (tmp_path / "config").write_text("[profile monitoring]\nregion = eu-west-1\n")
    from_env = aws_env(AWS_ACCESS_KEY_ID="AKIDSENTINEL", AWS_SECRET_ACCESS_KEY=SECRET, AWS_SESSION_TOKEN=TOKEN,
                       AWS_MAX_ATTEMPTS="2")
    from_files = aws_env(AWS_PROFILE="monitoring", AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "credentials"),
                         AWS_CONFIG_FILE=str(tmp_path / "config"), AWS_MAX_ATTEMPTS="2")
    signing_env = aws_env(AWS_ACCESS_KEY_ID=signing_key, AWS_SECRET_ACCESS_KEY=SECRET, AWS_SESSION_TOKEN=TOKEN,
                          AWS_MAX_ATTEMPTS="2")
    dead = f"http://127.0.0.1:{free_port()}"
    (tmp_path / "local.csv").write_text(csv_text(*binary_rows(300, 5)))
    outputs = []
    failures = 0
    for env in (from_env, from_files):
        for verbose in ([], ["--verbose"]):
            for endpoint, dataset, out, expect_ok in [
                (store.endpoint, store.uri("data/d.csv"), store.uri(f"out{len(outputs)}/"), True),
                (store.endpoint, store.uri("data/missing.csv"), tmp_path / f"o{len(outputs)}", False),
                (dead, store.uri("data/d.csv"), tmp_path / f"o{len(outputs)}", False),
            ]:
                code, text = run(["--s3-endpoint", endpoint, *verbose, "suggest-baseline", "--baseline-dataset",
                                  dataset, *BINARY, "--output", out], env)
                assert (code == 0) == expect_ok, text
                assert not leaks(text), text
                assert ("mqmon: S3 " in text) == bool(verbose), text  # a line per request
                failures += code != 0
                outputs.append(out)
            # A signature mismatch (the server's error body quotes the request it expected), and a
            # session token the server refuses.
            for env_s3, said in ((aws_env(AWS_ACCESS_KEY_ID=signing_key, AWS_SECRET_ACCESS_KEY=SECRET,
                                          AWS_MAX_ATTEMPTS="2"), "signature does not match"),
                                 (signing_env, "InvalidToken")):
                out = tmp_path / f"sig{len(outputs)}"
                code, text = run(["--s3-endpoint", signing_endpoint, *verbose, "monitor", "--dataset",
                                  tmp_path / "local.csv", *BINARY, "--constraints", signing.uri("data/d.csv"),
                                  "--output", out], env_s3)
                assert code == 4 and said in text, text
                assert not leaks(text), text
                outputs.append(out)

    # A schedule whose executions fail on S3: the store's records.
    state = tmp_path / "mqmon.db"
    code, text = run(["--s3-endpoint", store.endpoint, "schedule", "create", "s", "--schedule-expression",
                      "cron(0 * ? * * *)", "--capture", store.uri("capture"), "--ground-truth", store.uri("gt"),
                      "--constraints", store.uri("out0/constraints.json"), "--problem-type",
                      "BinaryClassification", "--probability-attribute", "0", "--output", store.uri("exec/"),
                      "--state", state, "--now", "2024-05-01T08:30:00Z"], from_env)
    assert code == 0, text
    code, text = run(["--s3-endpoint", store.endpoint, "scheduler", "--state", state, "--now",
                      "2024-05-01T09:05:00Z"], from_env)
    assert not leaks(text), text
    code, text = run(["executions", "list", "--state", state, "--json"], from_env)
    assert '"Failed"' in text and not leaks(text)
    with sqlite3.connect(state) as db:
        assert not leaks("\n".join(db.iterdump()))

    # The container mode's failure message file.
    root = tmp_path / "opt-ml"
    env = dict(from_env, analysis_type="MODEL_QUALITY", problem_type="BinaryClassification",
               dataset_source=str(tmp_path / "nowhere"), output_path=store.uri("container/"),
               ground_truth_attribute="label", probability_attribute="probability", MQMON_OPT_ML_ROOT=str(root),
               AWS_ENDPOINT_URL=dead)
    code, text = run([], env)
    assert code != 0 and not leaks(text)
    assert not leaks((root / "output" / "message").read_text())

    # Python: the exception a failed job raises.
    probe = ("import mqmon\n"
             "try:\n"
             f"    mqmon.ModelQualityMonitor(role='r', sagemaker_session=mqmon.Session(s3_endpoint_url={dead!r}))"
             ".suggest_baseline(baseline_dataset='s3://b/d.csv', dataset_format=mqmon.DatasetFormat.csv(), "
             "problem_type='BinaryClassification', ground_truth_attribute='label', probability_attribute='p', "
             "output_s3_uri='s3://b/out/')\n"
             "except mqmon.Error as e:\n"
             "    print(repr(e), e.reason)\n")
    python_dir = Path(MQMON).parent / "python"
    r = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                       env=dict(from_env, PYTHONPATH=str(python_dir)), timeout=300)
    assert "Error" in r.stdout and not leaks(r.stdout + r.stderr), r.stdout + r.stderr

    # Every file written, local or in S3.
    for out in outputs + [root, tmp_path / "mqmon.db"]:
        if isinstance(out, Path) and out.exists():
            for f in ([out] if out.is_file() else out.rglob("*")):
                if f.is_file():
                    assert not leaks(f.read_bytes().decode("utf-8", "replace")), f
    for key in store.keys(""):
        assert not leaks(store.get(key).decode("utf-8", "replace")), key
    assert failures >= 8
    assert os.environ.get("AWS_SECRET_ACCESS_KEY") != SECRET  # the sentinel lived in the children only
