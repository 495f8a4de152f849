"""s3:// storage (issue 7) against real S3 API servers on 127.0.0.1 (moto_server, see
tests/s3_servers.py): datasets from prefixes of many objects, large objects by parallel ranged GETs,
outputs PUT only after success, monitoring executions over s3:// hour folders, signatures checked,
credentials from profiles, and a proxy that injects 500/503 answers, dropped connections and cut
bodies."""
import gzip
import json
import os
import re
import socket
import subprocess
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import botocore.session
import numpy as np
import pytest
from sklearn.metrics import accuracy_score, roc_auc_score

from conftest import MQMON, close, run_mqmon
from s3_proxy import S3Proxy, down, flaky
from test_monitor import T0, T1, baseline_constraints, iso, world  # noqa: F401 (world is a fixture)

UTC = timezone.utc
TIME = "2024-01-01T00:00:00.000Z"
CREDS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
BINARY = ["--problem-type", "BinaryClassification", "--ground-truth-attribute", "label",
          "--inference-attribute", "prediction", "--probability-attribute", "probability",
          "--evaluation-time", TIME]


def aws_env(**settings):
    """The process environment without any AWS setting of the machine, plus `settings`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_SHARED_CREDENTIALS_FILE="/nonexistent/credentials", AWS_CONFIG_FILE="/nonexistent/config",
               AWS_EC2_METADATA_DISABLED="true", no_proxy="127.0.0.1,localhost", NO_PROXY="127.0.0.1,localhost")
    env.update(settings)
    return env


def client(endpoint, key="testing", secret="testing"):
    return botocore.session.get_session().create_client(
        "s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=key, aws_secret_access_key=secret)


class Store:
    """A fresh bucket on a server, seen through botocore (an independent S3 client)."""

    def __init__(self, endpoint, key="testing", secret="testing"):
        self.endpoint = endpoint
        self.s3 = client(endpoint, key, secret)
        self.bucket = f"mqmon-{uuid.uuid4().hex[:16]}"
        self.s3.create_bucket(Bucket=self.bucket)

    def uri(self, key=""):
        return f"s3://{self.bucket}/{key}"

    def put(self, key, data):
        if isinstance(data, Path):
            data = data.read_bytes()
        if isinstance(data, str):
            data = data.encode()
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=data)

    def put_many(self, items):
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda kv: self.put(*kv), items))

    def get(self, key):
        return self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()

    def keys(self, prefix=""):
        # Filtered here: the signing moto_server miscomputes signatures of a Prefix holding '/'.
        pages = self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket)
        return sorted(o["Key"] for page in pages for o in page.get("Contents", []) if o["Key"].startswith(prefix))

    def upload_tree(self, root, prefix):
        root = Path(root)
        self.put_many([(prefix + str(f.relative_to(root)), f) for f in sorted(root.rglob("*")) if f.is_file()])


@pytest.fixture
def store(s3_servers):
    return Store(s3_servers["MQMON_TEST_S3_ENDPOINT"])


def mq(endpoint, *args, env=None, check=True):
    return run_mqmon(["--s3-endpoint", endpoint, *args], check=check, env=env or aws_env(**CREDS))


def binary_rows(n, seed):
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.4).astype(int)
    p = np.clip(rng.normal(0.35 + 0.3 * y, 0.2), 0, 1)
    return y, p


def csv_text(y, p, header=True):
    lines = [f"{b!r},{int(b >= 0.5)},{a}" for a, b in zip(y.tolist(), p.tolist())]
    return ("probability,prediction,label\n" if header else "") + "\n".join(lines) + "\n"


def test_baseline_from_a_prefix_of_thousands_of_objects_to_s3(store, tmp_path):
    n_files, per_file = 2100, 3
    y, p = binary_rows(n_files * per_file, 1)
    local = tmp_path / "data"
    local.mkdir()
    items = []
    for i in range(n_files):
        text = csv_text(y[i * per_file:(i + 1) * per_file], p[i * per_file:(i + 1) * per_file])
        (local / f"part-{i:05d}.csv").write_text(text)
        items.append((f"data/part-{i:05d}.csv", text))
    # Neither a hidden object, a folder marker nor a sibling prefix sharing the name is part of it.
    items += [("data/.staging/part.csv", "junk"), ("data/_tmp/", ""), ("data-old/part.csv", "junk")]
    store.put_many(items)

    proxy = S3Proxy(store.endpoint)  # no faults: it only counts the requests
    try:
        run = mq(proxy.endpoint, "suggest-baseline", "--baseline-dataset", store.uri("data"), *BINARY,
                 "--output", store.uri("results"))
    finally:
        proxy.close()
    assert f"{n_files * per_file} rows evaluated" in run.stdout
    lists = [path for method, path, _ in proxy.requests if method == "GET" and "list-type=2" in path]
    assert len(lists) == 3 and all("continuation-token=" in path for path in lists[1:])  # 1000 keys a page

    run_mqmon(["suggest-baseline", "--baseline-dataset", local, *BINARY, "--output", tmp_path / "local"])
    assert store.keys("results/") == ["results/constraints.json", "results/report.html", "results/statistics.json"]
    for name in ("statistics.json", "constraints.json"):
        assert store.get(f"results/{name}") == (tmp_path / "local" / name).read_bytes(), name
    metrics = json.loads(store.get("results/statistics.json"))["binary_classification_metrics"]
    assert close(metrics["accuracy"]["value"], accuracy_score(y, p >= 0.5))
    assert close(metrics["auc"]["value"], roc_auc_score(y, p))


def test_small_objects_are_fetched_ahead(store, tmp_path):
    y, p = binary_rows(24 * 10, 16)
    store.put_many([(f"small/part-{i:02d}.csv", csv_text(y[i * 10:(i + 1) * 10], p[i * 10:(i + 1) * 10]))
                    for i in range(24)])
    proxy = S3Proxy(store.endpoint, delay=0.1)  # a round trip of 100 ms
    try:
        mq(proxy.endpoint, "suggest-baseline", "--baseline-dataset", store.uri("small/"), *BINARY,
           "--output", tmp_path / "o")
    finally:
        proxy.close()
    gets = [path for method, path, _ in proxy.requests if method == "GET" and "list-type" not in path]
    assert len(gets) == 24  # each object read once
    assert proxy.max_in_flight_gets >= 8  # one at a time would be 1


def test_large_objects_are_read_by_parallel_ranged_gets(store, tmp_path):
    y, p = binary_rows(1_200_000, 2)
    text = csv_text(y, p).encode()
    assert len(text) > 3 * (8 << 20)
    (tmp_path / "big.csv").write_bytes(text)
    store.put("big/data.csv", text)
    store.put("gz/data.csv.gz", gzip.compress(text, compresslevel=1))

    proxy = S3Proxy(store.endpoint, delay=0.05)
    try:
        mq(proxy.endpoint, "suggest-baseline", "--baseline-dataset", store.uri("big/data.csv"), *BINARY,
           "--output", tmp_path / "s3")
        mq(proxy.endpoint, "suggest-baseline", "--baseline-dataset", store.uri("gz/"), *BINARY,
           "--output", tmp_path / "s3gz")
    finally:
        proxy.close()
    ranges = sorted(tuple(map(int, re.fullmatch(r"bytes=(\d+)-(\d+)", r).groups()))
                    for method, path, r in proxy.requests if method == "GET" and path.endswith("/big/data.csv"))
    assert ranges[0][0] == 0 and ranges[-1][1] == len(text) - 1
    assert all(b[0] == a[1] + 1 for a, b in zip(ranges, ranges[1:]))  # each byte exactly once
    assert len(ranges) >= 4 and all(hi - lo + 1 <= 8 << 20 for lo, hi in ranges)
    assert proxy.max_in_flight_gets >= 2  # parts are fetched in parallel

    # A local copy of the object under the same name gives the same bytes (rows are keyed by name).
    (tmp_path / "copy").mkdir()
    (tmp_path / "copy" / "data.csv").write_bytes((tmp_path / "big.csv").read_bytes())
    run_mqmon(["suggest-baseline", "--baseline-dataset", tmp_path / "copy" / "data.csv", *BINARY,
               "--output", tmp_path / "local"])
    want = (tmp_path / "local" / "statistics.json").read_bytes()
    assert (tmp_path / "s3" / "statistics.json").read_bytes() == want
    assert (tmp_path / "s3gz" / "statistics.json").read_bytes() == want


def test_an_object_replaced_during_the_read_is_an_error(store, tmp_path):
    text = csv_text(*binary_rows(600_000, 12))  # two parts
    store.put("big/data.csv", text)
    replaced = []

    def replace_before_the_first_get(n, method, path):
        if method == "GET" and path.endswith("/big/data.csv") and not replaced:
            store.put("big/data.csv", text + "0.5,1,1\n")  # another writer's new version
            replaced.append(n)

    proxy = S3Proxy(store.endpoint, faults=replace_before_the_first_get)
    try:
        r = mq(proxy.endpoint, "suggest-baseline", "--baseline-dataset", store.uri("big/data.csv"), *BINARY,
               "--output", tmp_path / "o", check=False)
    finally:
        proxy.close()
    assert replaced and r.returncode == 4
    assert f"{store.uri('big/data.csv')} changed while it was being read (HTTP 412" in r.stderr
    assert not (tmp_path / "o").exists()


def test_monitoring_execution_over_s3_hour_folders(store, world, tmp_path):  # noqa: F811
    constraints = baseline_constraints(world["tmp"])
    store.upload_tree(world["cap"].parents[1], "capture/")
    store.upload_tree(world["gt"], "ground-truth/")
    store.put("baseline/constraints.json", constraints)

    def args(cap, gt, cons, out):
        return ["monitor", "--capture", cap, "--ground-truth", gt, "--start", iso(T0), "--end", iso(T1),
                "--execution-time", iso(T1 + timedelta(hours=4)), "--problem-type", "BinaryClassification",
                "--probability-attribute", "0", "--constraints", cons, "--output", out,
                "--evaluation-time", TIME]

    local = run_mqmon(args(world["cap"], world["gt"], constraints, tmp_path / "local"), check=False)
    remote = mq(store.endpoint, *args(store.uri("capture/my-endpoint/AllTraffic"), store.uri("ground-truth"),
                                      store.uri("baseline/constraints.json"), store.uri("executions/1/")),
                check=False)
    assert local.returncode == remote.returncode == 5, remote.stderr
    assert store.keys("executions/") == [f"executions/1/{n}" for n in sorted(
        ["statistics.json", "constraint_violations.json", "execution.json", "cloudwatch_metrics.json",
         "metrics.prom", "report.html"])]
    for name in ("statistics.json", "constraint_violations.json"):
        assert store.get(f"executions/1/{name}") == (tmp_path / "local" / name).read_bytes(), name
    execution = json.loads(store.get("executions/1/execution.json"))
    assert execution["merge"] == json.loads((tmp_path / "local" / "execution.json").read_text())["merge"]
    assert execution["merge"]["matched"] == len(world["expected"]) == execution["item_count"]

    # The merge job streams merged.jsonl to a local file and PUTs it at the end.
    merge = ["merge", "--start", iso(T0), "--end", iso(T1), "--execution-time", iso(T1 + timedelta(hours=4))]
    run_mqmon([*merge, "--capture", world["cap"], "--ground-truth", world["gt"], "--output", tmp_path / "merged"])
    mq(store.endpoint, *merge, "--capture", store.uri("capture/my-endpoint/AllTraffic/"),
       "--ground-truth", store.uri("ground-truth/"), "--output", store.uri("merged"))
    assert store.get("merged/merged.jsonl") == (tmp_path / "merged" / "merged.jsonl").read_bytes()
    assert store.get("merged/merge_report.json") == (tmp_path / "merged" / "merge_report.json").read_bytes()


def big_capture(tmp_path, n=30_000):
    """One hour of n captured inferences with their labels (a merged.jsonl of about 12 MB)."""
    cap, gt = tmp_path / "cap" / "2024" / "05" / "01" / "10", tmp_path / "gt" / "2024" / "05" / "01" / "11"
    cap.mkdir(parents=True)
    gt.mkdir(parents=True)
    payload = "x" * 200
    with open(cap / "capture.jsonl", "w") as c, open(gt / "labels.jsonl", "w") as g:
        for i in range(n):
            c.write(json.dumps({"captureData": {"endpointInput": {"data": payload, "encoding": "CSV"},
                                                "endpointOutput": {"data": f"0.{i % 97:02d}", "encoding": "CSV"}},
                                "eventMetadata": {"eventId": f"e{i}", "inferenceTime": f"2024-05-01T10:{i % 60:02d}:00Z"},
                                "eventVersion": "0"}) + "\n")
            g.write(json.dumps({"groundTruthData": {"data": str(i % 2), "encoding": "CSV"},
                                "eventMetadata": {"eventId": f"e{i}"}, "eventVersion": "0"}) + "\n")
    return tmp_path / "cap", tmp_path / "gt"


MERGE = ["merge", "--start", "2024-05-01T10:00:00Z", "--end", "2024-05-01T11:00:00Z",
         "--execution-time", "2024-05-01T12:00:00Z"]


def test_large_outputs_go_up_as_multipart_uploads(store, tmp_path):
    cap, gt = big_capture(tmp_path)
    run_mqmon([*MERGE, "--capture", cap, "--ground-truth", gt, "--output", tmp_path / "local"])
    want = (tmp_path / "local" / "merged.jsonl").read_bytes()
    assert len(want) > 10 << 20
    env = aws_env(MQMON_S3_MULTIPART_CHUNKSIZE="5MB", **CREDS)
    proxy = S3Proxy(store.endpoint, faults=flaky())  # parts and completion are retried too
    try:
        mq(proxy.endpoint, *MERGE, "--capture", cap, "--ground-truth", gt, "--output", store.uri("merged/"), env=env)
    finally:
        proxy.close()
    assert store.get("merged/merged.jsonl") == want
    head = store.s3.head_object(Bucket=store.bucket, Key="merged/merged.jsonl")
    assert head["ETag"].endswith(f'-{-(-len(want) // (5 << 20))}"')  # a multipart object of 5 MiB parts
    parts = [p for m, p, _ in proxy.requests if m == "PUT" and "partNumber=" in p]
    assert len({re.search(r"partNumber=(\d+)", p).group(1) for p in parts}) == -(-len(want) // (5 << 20))
    assert proxy.injected

    # Completion refused every time: the upload is aborted, no object and no parts are left.
    def refuse_completion(n, method, path):
        return "500" if method == "POST" and "uploadId=" in path else None

    proxy = S3Proxy(store.endpoint, faults=refuse_completion)
    try:
        r = mq(proxy.endpoint, *MERGE, "--capture", cap, "--ground-truth", gt, "--output", store.uri("merged2/"),
               env=aws_env(MQMON_S3_MULTIPART_CHUNKSIZE="5MB", AWS_MAX_ATTEMPTS="2", **CREDS), check=False)
    finally:
        proxy.close()
    assert r.returncode == 4 and "gave up after 2 attempts" in r.stderr, r.stderr
    assert any(m == "DELETE" and "uploadId=" in p for m, p, _ in proxy.requests)
    assert store.keys("merged2/") == []
    assert not store.s3.list_multipart_uploads(Bucket=store.bucket).get("Uploads")
    r = mq(store.endpoint, *MERGE, "--capture", cap, "--ground-truth", gt, "--output", store.uri("merged3/"),
           env=aws_env(MQMON_S3_MULTIPART_CHUNKSIZE="1MB", **CREDS), check=False)
    assert r.returncode == 2 and "MQMON_S3_MULTIPART_CHUNKSIZE '1MB' is not a part size between 5MB and 5GB" in r.stderr


def test_hour_folders_are_listed_day_by_day(store, tmp_path):
    """A year of older capture and labels, a second variant, and the window's day: the merge lists the
    folders down to the year level, then only the days of its range, and reads only their objects."""
    local = tmp_path / "tree"
    items = []

    def add(key, records):
        path = local / key
        path.parent.mkdir(parents=True, exist_ok=True)
        text = "".join(json.dumps(r) + "\n" for r in records)
        path.write_text(text)
        items.append((key, text))

    def capture_record(i, when):
        return {"captureData": {"endpointOutput": {"data": "0.75", "encoding": "CSV"}},
                "eventMetadata": {"eventId": f"e{i}", "inferenceTime": when}, "eventVersion": "0"}

    def label_record(i):
        return {"groundTruthData": {"data": "1", "encoding": "CSV"}, "eventMetadata": {"eventId": f"e{i}"},
                "eventVersion": "0"}

    for day in range(0, 365, 3):  # 2023: never to be listed or read
        t = datetime(2023, 1, 1, 12, tzinfo=UTC) + timedelta(days=day)
        for variant in ("AllTraffic", "Shadow"):
            add(f"capture/ep/{variant}/{t:%Y/%m/%d/%H}/old.jsonl", [capture_record(100000 + day, iso(t))])
        add(f"labels/{t:%Y/%m/%d/%H}/old.jsonl", [label_record(100000 + day)])
    for variant in ("AllTraffic", "Shadow"):
        add(f"capture/ep/{variant}/2024/05/01/10/a.jsonl",
            [capture_record(i, f"2024-05-01T10:{i:02d}:00Z") for i in range(50)])
    add("labels/2024/05/01/11/a.jsonl", [label_record(i) for i in range(50)])
    store.put_many(items)

    merge = ["merge", "--start", "2024-05-01T10:00:00Z", "--end", "2024-05-01T11:00:00Z",
             "--execution-time", "2024-05-01T12:00:00Z"]
    proxy = S3Proxy(store.endpoint)
    try:
        mq(proxy.endpoint, *merge, "--capture", store.uri("capture/ep"), "--ground-truth", store.uri("labels/"),
           "--output", tmp_path / "s3")
    finally:
        proxy.close()
    run_mqmon([*merge, "--capture", local / "capture" / "ep", "--ground-truth", local / "labels",
               "--output", tmp_path / "local"])
    assert (tmp_path / "s3" / "merged.jsonl").read_bytes() == (tmp_path / "local" / "merged.jsonl").read_bytes()
    report = json.loads((tmp_path / "s3" / "merge_report.json").read_text())
    assert report["inferences"] == report["matched"] == 100

    lists = [parse_qs(urlsplit(path).query) for method, path, _ in proxy.requests if "list-type=2" in path]
    walked = sorted(q["prefix"][0] for q in lists if "delimiter" in q)
    days = sorted(q["prefix"][0] for q in lists if "delimiter" not in q)
    assert walked == ["capture/ep/", "capture/ep/AllTraffic/", "capture/ep/Shadow/", "labels/"]
    assert days == ["capture/ep/AllTraffic/2024/05/01/", "capture/ep/Shadow/2024/05/01/", "labels/2024/05/01/"]
    gets = [path for method, path, _ in proxy.requests if method == "GET" and "list-type" not in path]
    assert len(gets) == 3 and not any("/2023/" in path for path in gets)

    # Labels looked for over four months: their year is listed whole, 2023 still not.
    proxy = S3Proxy(store.endpoint)
    try:
        mq(proxy.endpoint, *merge[:-1], "2024-09-01T00:00:00Z", "--capture", store.uri("capture/ep"),
           "--ground-truth", store.uri("labels/"), "--output", tmp_path / "late")
    finally:
        proxy.close()
    lists = [parse_qs(urlsplit(path).query) for method, path, _ in proxy.requests if "list-type=2" in path]
    assert "labels/2024/" in [q["prefix"][0] for q in lists if "delimiter" not in q]
    assert not any("/2023/" in path for _, path, _ in proxy.requests)
    assert (tmp_path / "late" / "merged.jsonl").read_bytes() == (tmp_path / "local" / "merged.jsonl").read_bytes()


def test_errors_inside_a_completed_answer(store, tmp_path):
    """S3 can answer CompleteMultipartUpload with 200 and an <Error> body: a retryable code is
    retried, any other fails the upload, which is aborted."""
    cap, gt = big_capture(tmp_path)
    env = aws_env(MQMON_S3_MULTIPART_CHUNKSIZE="5MB", **CREDS)
    completions = []

    def once(kind):
        def fault(n, method, path):
            if method == "POST" and "uploadId=" in path:
                completions.append(n)
                return kind if len(completions) == 1 else None
        return fault

    proxy = S3Proxy(store.endpoint, faults=once("200-internal"))
    try:
        mq(proxy.endpoint, *MERGE, "--capture", cap, "--ground-truth", gt, "--output", store.uri("a/"), env=env)
    finally:
        proxy.close()
    assert len(completions) == 2 and "a/merged.jsonl" in store.keys("a/")

    completions.clear()
    proxy = S3Proxy(store.endpoint, faults=once("200-invalid"))
    try:
        r = mq(proxy.endpoint, *MERGE, "--capture", cap, "--ground-truth", gt, "--output", store.uri("b/"), env=env,
               check=False)
    finally:
        proxy.close()
    assert r.returncode == 4 and len(completions) == 1
    assert (f"S3 multipart upload of '{store.uri('b/merged.jsonl')}' failed to complete (InvalidPart: One or more "
            "of the specified parts could not be found.)") in r.stderr
    assert any(m == "DELETE" and "uploadId=" in p for m, p, _ in proxy.requests)
    assert store.keys("b/") == [] and not store.s3.list_multipart_uploads(Bucket=store.bucket).get("Uploads")


def test_outputs_already_uploaded_are_deleted_when_a_later_one_fails(store, tmp_path):
    store.put("data/a.csv", csv_text(*binary_rows(50, 15)))
    proxy = S3Proxy(store.endpoint, faults=lambda n, method, path: "500" if method == "PUT" and path.endswith(
        "/out/constraints.json") else None)
    try:
        r = mq(proxy.endpoint, "suggest-baseline", "--baseline-dataset", store.uri("data/a.csv"), *BINARY,
               "--output", store.uri("out/"), env=aws_env(AWS_MAX_ATTEMPTS="2", **CREDS), check=False)
    finally:
        proxy.close()
    assert r.returncode == 4 and f"S3 PUT '{store.uri('out/constraints.json')}' failed (HTTP 500" in r.stderr
    methods = [(m, p.split("/", 2)[2]) for m, p, _ in proxy.requests if m in ("PUT", "DELETE")]
    assert methods == [("PUT", "out/statistics.json"), ("PUT", "out/constraints.json"),
                       ("PUT", "out/constraints.json"), ("DELETE", "out/statistics.json")]
    assert store.keys("out/") == []


def test_a_failed_job_leaves_no_output(store):
    y, p = binary_rows(50, 3)
    store.put("bad/a.csv", csv_text(y, p))
    store.put("bad/b.csv", "probability,prediction,label\n0.5,1,1\nabc,0,0\n")
    run = mq(store.endpoint, "suggest-baseline", "--baseline-dataset", store.uri("bad/"), *BINARY,
             "--output", store.uri("out/"), check=False)
    assert run.returncode == 3
    assert f"{store.uri('bad/b.csv')}:3: column 1 (attribute 'probability') not a finite number: 'abc'" in run.stderr
    assert store.keys("out/") == []

    # A failed execution writes its execution.json (and the report of its failure) only.
    store.put("constraints.json", json.dumps({"version": 0.0, "binary_classification_constraints": {
        "accuracy": {"threshold": 0.5, "comparison_operator": "LessThanThreshold"}}}))
    run = mq(store.endpoint, "monitor", "--dataset", store.uri("bad/"), "--problem-type", "BinaryClassification",
             "--ground-truth-attribute", "label", "--probability-attribute", "probability",
             "--constraints", store.uri("constraints.json"), "--start", iso(T0), "--end", iso(T1),
             "--output", store.uri("execution/"), check=False)
    assert run.returncode == 3
    assert store.keys("execution/") == ["execution/execution.json", "execution/report.html"]
    execution = json.loads(store.get("execution/execution.json"))
    assert execution["status"] == "Failed" and "bad/b.csv:3" in execution["failure_reason"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_errors_name_the_bucket_and_key(store, tmp_path):
    y, p = binary_rows(20, 4)
    store.put("data/a.csv", csv_text(y, p))

    def baseline(dataset, output, endpoint=store.endpoint, env=None):
        return mq(endpoint, "suggest-baseline", "--baseline-dataset", dataset, *BINARY, "--output", output,
                  env=env, check=False)

    r = baseline("s3://mqmon-no-such-bucket/data/", tmp_path / "o")
    assert r.returncode == 4
    assert "S3 bucket 'mqmon-no-such-bucket' does not exist (HTTP 404 NoSuchBucket" in r.stderr
    r = baseline(store.uri("nothing"), tmp_path / "o")
    assert r.returncode == 4 and (
        f"dataset '{store.uri('nothing')}' does not exist: no object '{store.uri('nothing')}' and none below "
        f"'{store.uri('nothing/')}'") in r.stderr
    r = baseline(store.uri("data/"), "s3://mqmon-no-such-bucket/out/")
    assert r.returncode == 4 and "S3 bucket 'mqmon-no-such-bucket' does not exist" in r.stderr
    # The global option may also follow the command.
    r = run_mqmon(["suggest-baseline", "--s3-endpoint", store.endpoint, "--baseline-dataset", store.uri("data/"),
                   *BINARY, "--output", tmp_path / "after"], env=aws_env(**CREDS))
    assert "20 rows evaluated" in r.stdout
    r = baseline("s3://", tmp_path / "o")
    assert r.returncode == 2 and "'s3://': '' is not a valid S3 bucket name" in r.stderr
    r = baseline(store.uri("data/"), tmp_path / "o", env=aws_env())
    assert r.returncode == 2 and "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY" in r.stderr
    assert "(instance metadata is disabled)" in r.stderr
    # An s3:// output without credentials stops the job before its work: the bad row is never read.
    (tmp_path / "bad.csv").write_text("probability,prediction,label\nabc,1,1\n")
    r = baseline(tmp_path / "bad.csv", store.uri("out/"), env=aws_env())
    assert r.returncode == 2 and "no AWS credentials" in r.stderr and "abc" not in r.stderr
    r = baseline(store.uri("data/"), tmp_path / "o", endpoint=f"http://127.0.0.1:{free_port()}",
                 env=aws_env(AWS_MAX_ATTEMPTS="2", **CREDS))
    assert r.returncode == 4
    assert f"S3 HEAD '{store.uri('data/')}' failed" not in r.stderr  # a prefix is listed, not HEAD
    assert "Couldn't connect to server" in r.stderr and "gave up after 2 attempts" in r.stderr
    r = mq(store.endpoint, "monitor", "--dataset", store.uri("data/"), "--problem-type", "BinaryClassification",
           "--ground-truth-attribute", "label", "--probability-attribute", "probability",
           "--constraints", store.uri("none.json"), "--start", iso(T0), "--end", iso(T1),
           "--output", tmp_path / "e", check=False)
    assert r.returncode == 4 and f"{store.uri('none.json')} does not exist (HTTP 404 NoSuchKey" in r.stderr
    assert not (tmp_path / "o").exists()


@pytest.fixture
def signing(s3_servers):
    """A bucket holding data/validation.csv (300 rows) on the server that checks signatures, and the
    key pair of the user the server knows."""
    key, secret = s3_servers["MQMON_TEST_S3_SIGNING_KEY_ID"], s3_servers["MQMON_TEST_S3_SIGNING_SECRET"]
    store = Store(s3_servers["MQMON_TEST_S3_SIGNING_ENDPOINT"], key, secret)
    store.put("data/validation.csv", csv_text(*binary_rows(300, 5)))
    return store, key, secret


def test_signatures_are_checked(signing, tmp_path):
    store, key, secret = signing
    endpoint = store.endpoint

    def baseline(env):
        return mq(endpoint, "suggest-baseline", "--baseline-dataset", store.uri("data/validation.csv"), *BINARY,
                  "--output", store.uri("out/"), env=env, check=False)

    ok = baseline(aws_env(AWS_ACCESS_KEY_ID=key, AWS_SECRET_ACCESS_KEY=secret))
    assert ok.returncode == 0, ok.stderr
    assert store.keys("out/") == ["out/constraints.json", "out/report.html", "out/statistics.json"]

    wrong = "wRoNgSeCrEt" + secret[11:]
    wrong_env = aws_env(AWS_ACCESS_KEY_ID=key, AWS_SECRET_ACCESS_KEY=wrong)
    bad = baseline(wrong_env)  # a HEAD: S3 answers 403 without a body
    assert bad.returncode == 4
    assert (f"S3 HEAD '{store.uri('data/validation.csv')}': access denied to access key id {key} "
            f"(from environment variables) (HTTP 403") in bad.stderr
    # A GET (the constraints): the body says why.
    (tmp_path / "data.csv").write_text(csv_text(*binary_rows(10, 5)))
    def read_constraints(env):
        return mq(endpoint, "monitor", "--dataset", tmp_path / "data.csv", "--problem-type", "BinaryClassification",
                  "--ground-truth-attribute", "label", "--probability-attribute", "probability",
                  "--constraints", store.uri("out/constraints.json"), "--start", iso(T0), "--end", iso(T1),
                  "--output", tmp_path / "e", env=env, check=False)

    bad = read_constraints(wrong_env)
    assert bad.returncode == 4
    assert (f"S3 GET '{store.uri('out/constraints.json')}': the request signature does not match "
            f"(HTTP 403 SignatureDoesNotMatch: ") in bad.stderr
    assert (f"the secret access key of access key id {key} (from environment variables) is wrong for this "
            f"endpoint") in bad.stderr
    assert wrong not in bad.stderr and secret not in bad.stderr
    unknown = read_constraints(aws_env(AWS_ACCESS_KEY_ID="AKIAUNKNOWNKEY000000", AWS_SECRET_ACCESS_KEY=secret))
    assert unknown.returncode == 4
    assert (f"S3 GET '{store.uri('out/constraints.json')}': access key id AKIAUNKNOWNKEY000000 (from environment "
            f"variables) is not known to the endpoint (HTTP 403 InvalidAccessKeyId: ") in unknown.stderr
    # The server refuses listings of prefixes holding '/' even when they are signed right
    # (botocore's too), so the tests with signatures checked read single objects.


def test_credentials_region_and_endpoint_from_a_profile(signing, tmp_path):
    store, key, secret = signing
    endpoint = store.endpoint
    (tmp_path / "credentials").write_text(f"[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = x\n"
                                          f"[monitoring]\naws_access_key_id = {key}\naws_secret_access_key = {secret}\n")
    (tmp_path / "config").write_text(f"[profile monitoring]\nregion = us-east-1\nendpoint_url = {endpoint}\n")
    env = aws_env(AWS_PROFILE="monitoring", AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "credentials"),
                  AWS_CONFIG_FILE=str(tmp_path / "config"))
    r = run_mqmon(["suggest-baseline", "--baseline-dataset", store.uri("data/validation.csv"), *BINARY,
                   "--output", store.uri("out")], env=env)
    assert "300 rows evaluated" in r.stdout
    assert store.keys("out/") == ["out/constraints.json", "out/report.html", "out/statistics.json"]
    # AWS_ENDPOINT_URL with keys in the environment does the same.
    r = run_mqmon(["suggest-baseline", "--baseline-dataset", store.uri("data/validation.csv"), *BINARY, "--output",
                   tmp_path / "local"], env=aws_env(AWS_ENDPOINT_URL=endpoint, AWS_ACCESS_KEY_ID=key,
                                                    AWS_SECRET_ACCESS_KEY=secret))
    assert (tmp_path / "local" / "statistics.json").read_bytes() == store.get("out/statistics.json")


def test_session_token_and_region_are_signed(store, tmp_path):
    store.put("data/a.csv", csv_text(*binary_rows(30, 10)))
    proxy = S3Proxy(store.endpoint)
    try:
        mq(proxy.endpoint, "suggest-baseline", "--baseline-dataset", store.uri("data/a.csv"), *BINARY,
           "--output", store.uri("out/"), env=aws_env(AWS_SESSION_TOKEN="FwoGZXIvYXdzE//token+/=", AWS_REGION="eu-central-1",
                                                   **CREDS))
    finally:
        proxy.close()
    assert len(proxy.headers) == 5  # HEAD, GET, and a PUT for each of the three outputs
    for h in proxy.headers:
        assert h["x-amz-security-token"] == "FwoGZXIvYXdzE//token+/="
        auth = re.fullmatch(r"AWS4-HMAC-SHA256 Credential=testing/(\d{8})/eu-central-1/s3/aws4_request, "
                            r"SignedHeaders=([a-z0-9;-]+), Signature=[0-9a-f]{64}", h["Authorization"])
        assert auth and auth.group(1) == h["x-amz-date"][:8], h["Authorization"]
        assert {"host", "x-amz-content-sha256", "x-amz-date", "x-amz-security-token"} <= set(auth.group(2).split(";"))
        assert h["x-amz-content-sha256"] == h["body_sha256"]  # the payload is signed, not UNSIGNED-PAYLOAD


def test_credentials_from_a_credential_process(signing, tmp_path):
    store, key, secret = signing
    script = tmp_path / "creds.py"
    script.write_text("import json, sys\n"
                      "if len(sys.argv) > 1: sys.exit(int(sys.argv[1]))\n"
                      f"print(json.dumps({{'Version': 1, 'AccessKeyId': '{key}', 'SecretAccessKey': '{secret}', "
                      "'Expiration': '2999-01-01T00:00:00Z'}))\n")
    (tmp_path / "config").write_text(f"[profile tool]\ncredential_process = /usr/bin/python3 {script}\n"
                                     f"[profile broken]\ncredential_process = /usr/bin/python3 {script} 3\n")
    args = ["suggest-baseline", "--baseline-dataset", store.uri("data/validation.csv"), *BINARY]
    run = mq(store.endpoint, *args, "--output", tmp_path / "o",
             env=aws_env(AWS_CONFIG_FILE=str(tmp_path / "config"), AWS_PROFILE="tool"))
    assert "300 rows evaluated" in run.stdout
    bad = mq(store.endpoint, *args, "--output", tmp_path / "o2", check=False,
             env=aws_env(AWS_CONFIG_FILE=str(tmp_path / "config"), AWS_PROFILE="broken"))
    assert bad.returncode == 2
    assert (f"the credential_process of profile 'broken' ('/usr/bin/python3 {script} 3') failed with exit status 3"
            in bad.stderr)
    assert not (tmp_path / "o2").exists()


class FakeEndpoint:
    """A local HTTP endpoint: routes[(method, path)](headers) gives (status, body); every request
    is recorded as (method, path, headers)."""

    def __init__(self, routes):
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
        self.requests = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                owner.requests.append((self.command, self.path, dict(self.headers.items())))
                route = routes.get((self.command, self.path))
                status, body = route(self.headers) if route else (404, "")
                data = body.encode()
                self.send_response(status)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_PUT = do_GET

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def credentials_json(key, secret, token=None, lifetime=60):
    expires = datetime.fromtimestamp(datetime.now(UTC).timestamp() + lifetime, UTC)
    answer = {"AccessKeyId": key, "SecretAccessKey": secret, "Expiration": expires.strftime("%Y-%m-%dT%H:%M:%SZ")}
    if token:
        answer["Token"] = token
    return json.dumps(answer)


def test_container_credentials_are_fetched_and_renewed(signing, tmp_path):
    store, key, secret = signing
    (tmp_path / "token").write_text("Bearer-abc123\n")
    # Keys that expire a minute from now, to requests bearing the right Authorization.
    endpoint = FakeEndpoint({("GET", "/v2/credentials/role"): lambda h: (
        (200, credentials_json(key, secret)) if h.get("Authorization") == "Bearer-abc123" else (401, ""))})
    endpoint.uri = endpoint.url + "/v2/credentials/role"
    try:
        run = mq(store.endpoint, "suggest-baseline", "--baseline-dataset", store.uri("data/validation.csv"), *BINARY,
                 "--output", store.uri("container/"),
                 env=aws_env(AWS_CONTAINER_CREDENTIALS_FULL_URI=endpoint.uri,
                             AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=str(tmp_path / "token")))
        assert "300 rows evaluated" in run.stdout
        # HEAD, GET, PUT, PUT, and the check at start: credentials due to expire are renewed.
        assert len(endpoint.requests) >= 4
        bad = mq(store.endpoint, "suggest-baseline", "--baseline-dataset", store.uri("data/validation.csv"), *BINARY,
                 "--output", tmp_path / "o", check=False,
                 env=aws_env(AWS_CONTAINER_CREDENTIALS_FULL_URI=endpoint.uri, AWS_CONTAINER_AUTHORIZATION_TOKEN="no"))
    finally:
        endpoint.close()
    assert store.keys("container/") == ["container/constraints.json", "container/report.html",
                                        "container/statistics.json"]
    assert bad.returncode == 4
    assert f"cannot get credentials from container credentials at {endpoint.uri}: HTTP 401" in bad.stderr


def signed_through_instance_metadata(store, tmp_path, metadata_endpoint, seed):
    """Runs a baseline with credentials from instance metadata at `metadata_endpoint`; returns each S3
    request's headers."""
    store.put("data/a.csv", csv_text(*binary_rows(30, seed)))
    proxy = S3Proxy(store.endpoint)
    try:
        mq(proxy.endpoint, "suggest-baseline", "--baseline-dataset", store.uri("data/a.csv"), *BINARY,
           "--output", tmp_path / "o", env=aws_env(AWS_EC2_METADATA_DISABLED="false",
                                                   AWS_EC2_METADATA_SERVICE_ENDPOINT=metadata_endpoint))
    finally:
        proxy.close()
    assert proxy.headers
    return proxy.headers


def test_instance_metadata_credentials(store, tmp_path):
    """moto_server also plays the EC2 instance-metadata service (IMDSv2 token, role, keys)."""
    headers = signed_through_instance_metadata(store, tmp_path, store.endpoint, 11)
    assert all(h["Authorization"].startswith("AWS4-HMAC-SHA256 Credential=test-key/")
               and h["x-amz-security-token"] == "test-session-token" for h in headers)


def test_instance_metadata_without_session_tokens(store, tmp_path):
    """An IMDSv1 endpoint (no PUT /latest/api/token): the credentials are read without a token."""
    base = "/latest/meta-data/iam/security-credentials/"
    metadata = FakeEndpoint({("PUT", "/latest/api/token"): lambda h: (405, ""),
                             ("GET", base): lambda h: (200, "v1-role\n"),
                             ("GET", base + "v1-role"): lambda h: (200, credentials_json("v1-key", "v1-secret",
                                                                                          "v1-token", 3600))})
    try:
        headers = signed_through_instance_metadata(store, tmp_path, metadata.url, 14)
    finally:
        metadata.close()
    assert [(m, p) for m, p, _ in metadata.requests] == [("PUT", "/latest/api/token"), ("GET", base),
                                                         ("GET", base + "v1-role")]
    assert not any("X-aws-ec2-metadata-token" in h for _, _, h in metadata.requests)
    assert all(h["Authorization"].startswith("AWS4-HMAC-SHA256 Credential=v1-key/")
               and h["x-amz-security-token"] == "v1-token" for h in headers)


def test_a_flaky_store_gives_the_same_results(store, tmp_path):
    y, p = binary_rows(600_000, 7)
    parts = [csv_text(y[i::20], p[i::20]) for i in range(20)]
    local = tmp_path / "data"
    local.mkdir()
    for i, text in enumerate(parts):
        (local / f"part-{i:02d}.csv").write_text(text)
    big = csv_text(y, p)
    (local / "whole.csv").write_text(big)  # > 8 MiB: several ranged GETs
    store.put_many([(f"data/part-{i:02d}.csv", t) for i, t in enumerate(parts)] + [("data/whole.csv", big)])

    proxy = S3Proxy(store.endpoint, faults=flaky())
    try:
        mq(proxy.endpoint, "suggest-baseline", "--baseline-dataset", store.uri("data/"), *BINARY,
           "--output", store.uri("out/"))
    finally:
        proxy.close()
    for kind in ("503", "500", "drop", "cut"):
        assert proxy.count(kind) >= 1, (kind, proxy.injected)
    run_mqmon(["suggest-baseline", "--baseline-dataset", local, *BINARY, "--output", tmp_path / "local"])
    for name in ("statistics.json", "constraints.json"):
        assert store.get(f"out/{name}") == (tmp_path / "local" / name).read_bytes(), name


def test_a_bucket_of_another_region_is_named_with_its_region(store, tmp_path):
    proxy = S3Proxy(store.endpoint, faults=lambda n, method, path: "redirect")
    try:
        r = mq(proxy.endpoint, "suggest-baseline", "--baseline-dataset", store.uri("data/"), *BINARY,
               "--output", tmp_path / "o", check=False)
    finally:
        proxy.close()
    assert r.returncode == 4 and len(proxy.requests) == 1  # not retried
    assert f"S3 bucket '{store.bucket}' is in region eu-west-1, not us-east-1: set AWS_REGION=eu-west-1" in r.stderr


@pytest.mark.parametrize("kind", ["stall", "short"])
def test_a_stalled_or_short_answer_is_asked_again(store, tmp_path, kind):
    """stall: the headers, then silence (dropped after MQMON_S3_READ_TIMEOUT); short: a well-formed
    206 holding half of the range."""
    text = csv_text(*binary_rows(300_000, 13))
    store.put("data/a.csv", text)
    (tmp_path / "a.csv").write_text(text)

    def first_get(n, method, path):
        if method == "GET" and path.endswith("/data/a.csv") and not proxy.injected:
            return kind

    proxy = S3Proxy(store.endpoint, faults=first_get, stall_seconds=20)
    try:
        mq(proxy.endpoint, "suggest-baseline", "--baseline-dataset", store.uri("data/a.csv"), *BINARY,
           "--output", tmp_path / "s3", env=aws_env(MQMON_S3_READ_TIMEOUT="1", **CREDS))
    finally:
        proxy.close()
    assert proxy.injected == {kind: 1}
    assert [m for m, p, _ in proxy.requests if p.endswith("/data/a.csv")] == ["HEAD", "GET", "GET"]
    run_mqmon(["suggest-baseline", "--baseline-dataset", tmp_path / "a.csv", *BINARY, "--output", tmp_path / "local"])
    assert (tmp_path / "s3" / "statistics.json").read_bytes() == (tmp_path / "local" / "statistics.json").read_bytes()


def test_a_store_that_keeps_failing_fails_the_job_after_its_retries(store, tmp_path):
    store.put("data/a.csv", csv_text(*binary_rows(10, 8)))
    proxy = S3Proxy(store.endpoint, faults=down)
    try:
        r = mq(proxy.endpoint, "suggest-baseline", "--baseline-dataset", store.uri("data/a.csv"), *BINARY,
               "--output", tmp_path / "o", env=aws_env(AWS_MAX_ATTEMPTS="3", **CREDS), check=False)
    finally:
        proxy.close()
    assert r.returncode == 4
    assert f"S3 HEAD '{store.uri('data/a.csv')}' failed (HTTP 503" in r.stderr
    assert "gave up after 3 attempts" in r.stderr
    assert len(proxy.requests) == 3
    assert not (tmp_path / "o" / "statistics.json").exists()


def test_scripts_read_from_s3(store, tmp_path):
    """A record_preprocessor_script and a post_analytics_processor_script given as s3:// objects:
    fetched once, run under their own names (tracebacks name them)."""
    store.put("data/a.csv", csv_text(*binary_rows(60, 16)))
    store.put("scripts/pre.py", "def preprocess_handler(line):\n"
                                "    p, pred, label = line.split(',')\n"
                                "    return [] if p == 'probability' else "
                                "{'probability': p, 'prediction': pred, 'label': label}\n")
    store.put("scripts/post.py", "def postprocess_handler():\n    raise RuntimeError('from s3')\n")
    plain = mq(store.endpoint, "suggest-baseline", "--baseline-dataset", store.uri("data/a.csv"), *BINARY,
               "--output", tmp_path / "plain")
    scripted = mq(store.endpoint, "suggest-baseline", "--baseline-dataset", store.uri("data/a.csv"), *BINARY,
                  "--output", tmp_path / "scripted",
                  "--record-preprocessor-script", store.uri("scripts/pre.py"),
                  "--post-analytics-processor-script", store.uri("scripts/post.py"), check=False)
    assert plain.returncode == 0 and scripted.returncode == 2, scripted.stderr
    assert 'post.py", line 2, in postprocess_handler' in scripted.stderr and "RuntimeError: from s3" in scripted.stderr
    assert (tmp_path / "scripted" / "statistics.json").read_text() == (tmp_path / "plain" / "statistics.json").read_text()


def test_the_container_mode_reads_and_writes_s3(store, world, tmp_path):  # noqa: F811
    """The docs' Kubernetes Job: every path of the analyzer's environment an s3:// URI, the store given as
    MQMON_S3_ENDPOINT (mqmon's --s3-endpoint)."""
    constraints = baseline_constraints(world["tmp"])
    store.upload_tree(world["cap"].parents[1], "capture/")
    store.upload_tree(world["gt"], "ground-truth/")
    store.put("baseline/constraints.json", constraints)
    env = {k: v for k, v in aws_env(**CREDS).items() if not k.startswith("MQMON_")}  # the test run's
    env.update(analysis_type="MODEL_QUALITY", problem_type="BinaryClassification",
                  dataset_format=json.dumps({"sagemakerCaptureJson": {"captureIndexNames": ["endpointInput",
                                                                                          "endpointOutput"]}}),
                  dataset_source=store.uri("capture"), ground_truth_source=store.uri("ground-truth"),
                  output_path=store.uri("monitoring/hourly/"), baseline_constraints=store.uri("baseline/constraints.json"),
                  probability_attribute="0", start_time=iso(T0), end_time=iso(T1),
                  sagemaker_endpoint_name="my-endpoint", sagemaker_monitoring_schedule_name="hourly",
                  MQMON_S3_ENDPOINT=store.endpoint, MQMON_EXECUTION_TIME=iso(T1 + timedelta(hours=4)),
                  MQMON_EVALUATION_TIME=TIME, MQMON_OPT_ML_ROOT=str(tmp_path / "ml"))
    run = subprocess.run([str(MQMON)], env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    local = run_mqmon(["monitor", "--capture", world["cap"].parents[1], "--ground-truth", world["gt"],
                       "--start", iso(T0), "--end", iso(T1), "--execution-time", iso(T1 + timedelta(hours=4)),
                       "--problem-type", "BinaryClassification", "--probability-attribute", "0",
                       "--constraints", constraints, "--output", tmp_path / "local", "--endpoint-name", "my-endpoint",
                       "--monitoring-schedule-name", "hourly", "--evaluation-time", TIME], check=False)
    assert local.returncode == 5, local.stderr
    for name in ("statistics.json", "constraint_violations.json"):
        assert store.get(f"monitoring/hourly/{name}") == (tmp_path / "local" / name).read_bytes(), name


def test_reports_from_and_to_s3(store, tmp_path):
    y, p = binary_rows(400, 12)
    store.put("data/a.csv", csv_text(y, p))
    mq(store.endpoint, "suggest-baseline", "--baseline-dataset", store.uri("data/a.csv"), *BINARY,
       "--output", store.uri("base/"))
    mq(store.endpoint, "report", "--statistics", store.uri("base/statistics.json"), "--constraints",
       store.uri("base/constraints.json"), "--output", store.uri("reports/baseline.html"))
    page = store.get("reports/baseline.html").decode()
    values = re.findall(r'data-metric="([^"]+)" data-field="([^"]+)" data-value="([^"]+)"', page)
    assert ("auc", "value", repr(json.loads(store.get("base/statistics.json"))["binary_classification_metrics"]
                                 ["auc"]["value"])) in values
    # The same numbers as the report the job wrote (which also names its dataset).
    assert values == re.findall(r'data-metric="([^"]+)" data-field="([^"]+)" data-value="([^"]+)"',
                                store.get("base/report.html").decode())
