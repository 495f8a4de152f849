"""mqmon's SigV4 signer against botocore's (Debian python3-botocore) on random S3 requests."""
import hashlib
import random
import sys
from pathlib import Path
from urllib.parse import quote

import pytest

from conftest import MQMON

sys.path.insert(0, str(Path(MQMON).parent / "python"))
from mqmon import _mqmon  # noqa: E402

botocore_auth = pytest.importorskip("botocore.auth")
from botocore.awsrequest import AWSRequest  # noqa: E402
from botocore.credentials import Credentials  # noqa: E402

ALPHABET = "abcXYZ019-_.~ /+=&%$@!*()'é日本"


def random_text(rng, n):
    return "".join(rng.choice(ALPHABET) for _ in range(n))


@pytest.mark.parametrize("seed", range(40))
def test_random_requests_sign_like_botocore(seed):
    rng = random.Random(seed)
    method = rng.choice(["GET", "PUT", "HEAD", "DELETE"])
    key = "/" + "/".join(random_text(rng, rng.randint(1, 12)) for _ in range(rng.randint(1, 3)))
    query = [(random_text(rng, rng.randint(1, 6)), random_text(rng, rng.randint(0, 6)))
             for _ in range(rng.randint(0, 4))]
    body = random_text(rng, rng.randint(0, 50)).encode()
    payload = hashlib.sha256(body).hexdigest()
    date = f"2024{rng.randint(1, 12):02}{rng.randint(1, 28):02}T{rng.randint(0, 23):02}0000Z"
    region = rng.choice(["us-east-1", "eu-west-1", "ap-southeast-2"])
    token = random_text(rng, 20) if seed % 3 == 0 else ""
    token = token.replace(" ", "x").strip() or ""
    headers = {"Host": "bucket.s3.example.com", "X-Amz-Date": date, "X-Amz-Content-SHA256": payload}
    if seed % 2:
        headers["x-amz-meta-note"] = "  spaced   value  "
    if token:
        headers["X-Amz-Security-Token"] = token

    url = "https://bucket.s3.example.com" + quote(key, safe="/~")
    if query:
        url += "?" + "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in query)
    req = AWSRequest(method=method, url=url, headers=headers, data=body)
    req.context["timestamp"] = date
    auth = botocore_auth.S3SigV4Auth(Credentials("AKID" + str(seed), "secret/" + str(seed), token or None), "s3",
                                     region)
    canonical = auth.canonical_request(req)
    want = auth.signature(auth.string_to_sign(req, canonical), req)

    got = _mqmon.sign_v4(method, key, query, list(headers.items()), payload, "AKID" + str(seed), "secret/" + str(seed),
                         token, region, "s3", date)
    assert got["canonical_request"] == canonical
    assert got["signature"] == want
