"""Helpers shared by the end-to-end scripts: clients, signed raw requests, JSON output."""
import datetime
import json
import os
import sys
import unittest.mock
import urllib.error
import urllib.request

import boto3
import botocore.auth
import botocore.awsrequest
import botocore.config
import botocore.credentials
import botocore.exceptions

ENDPOINT = os.environ["BERTH_ENDPOINT"]
REGION = os.environ.get("AWS_DEFAULT_REGION", "us-east-1")
ACCESS_KEY = os.environ["AWS_ACCESS_KEY_ID"]
SECRET_KEY = os.environ["AWS_SECRET_ACCESS_KEY"]
TARGET_PREFIX = "AmazonEC2ContainerServiceV20141113."


def client(validate=True, retries=0, **config):
    cfg = botocore.config.Config(
        parameter_validation=validate,
        retries={"max_attempts": retries + 1, "mode": "standard"},
        connect_timeout=5,
        read_timeout=30,
        **config,
    )
    return boto3.client("ecs", endpoint_url=ENDPOINT, region_name=REGION, config=cfg)


def call(fn, **kwargs):
    """Runs one boto3 call; returns what the user sees: status, error code/message, request id, response."""
    try:
        response = fn(**kwargs)
        meta = response.pop("ResponseMetadata", {})
        return {
            "ok": True,
            "status": meta.get("HTTPStatusCode"),
            "requestId": meta.get("HTTPHeaders", {}).get("x-amzn-requestid"),
            "response": response,
        }
    except botocore.exceptions.ClientError as e:
        meta = e.response.get("ResponseMetadata", {})
        return {
            "ok": False,
            "status": meta.get("HTTPStatusCode"),
            "requestId": meta.get("HTTPHeaders", {}).get("x-amzn-requestid"),
            "code": e.response.get("Error", {}).get("Code"),
            "message": e.response.get("Error", {}).get("Message"),
        }


def signed_request(target, body, access_key=None, secret_key=None, service="ecs", region=None,
                   extra_headers=None, sign=True, timestamp=None, path="/", content_type="application/x-amz-json-1.1"):
    """Builds a request signed with SigV4 by botocore (optionally at a frozen timestamp)."""
    if isinstance(body, str):
        body = body.encode("utf-8")
    headers = {"Content-Type": content_type}
    if target is not None:
        headers["X-Amz-Target"] = target
    headers.update(extra_headers or {})
    request = botocore.awsrequest.AWSRequest(method="POST", url=ENDPOINT + path, data=body, headers=headers)
    if sign:
        creds = botocore.credentials.Credentials(access_key or ACCESS_KEY, secret_key or SECRET_KEY)
        signer = botocore.auth.SigV4Auth(creds, service, region or REGION)
        if timestamp is not None:
            # SigV4Auth reads the clock through botocore.auth.get_current_datetime (older botocore: datetime); freeze it.
            with unittest.mock.patch.object(botocore.auth, "get_current_datetime", lambda *a, **k: timestamp, create=True), \
                    unittest.mock.patch.object(botocore.auth, "datetime", _frozen_datetime_module(timestamp)):
                signer.add_auth(request)
        else:
            signer.add_auth(request)
    return request


def _frozen_datetime_module(timestamp):
    real = datetime

    class Frozen(real.datetime):
        @classmethod
        def utcnow(cls):
            return timestamp

        @classmethod
        def now(cls, tz=None):
            return timestamp.replace(tzinfo=tz) if tz else timestamp

    class Module:
        datetime = Frozen
        timezone = real.timezone
        timedelta = real.timedelta

    return Module


def send(request):
    """Sends an AWSRequest with urllib; returns status, headers and the parsed JSON body (or raw text)."""
    prepared = request.prepare()
    body = prepared.body
    if isinstance(body, str):
        body = body.encode("utf-8")
    raw = urllib.request.Request(prepared.url, data=body or b"", method=prepared.method)
    for name, value in prepared.headers.items():
        raw.add_header(name, value)
    try:
        with urllib.request.urlopen(raw, timeout=30) as response:
            status, headers, payload = response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as e:
        status, headers, payload = e.code, dict(e.headers), e.read()
    text = payload.decode("utf-8", "replace")
    try:
        parsed = json.loads(text) if text else None
    except ValueError:
        parsed = None
    lower = {k.lower(): v for k, v in headers.items()}
    result = {"status": status, "requestId": lower.get("x-amzn-requestid"), "raw": text[:2000], "json": parsed}
    if isinstance(parsed, dict) and "__type" in parsed:
        result["code"] = parsed["__type"]
        result["message"] = parsed.get("message") or parsed.get("Message")
    return result


def emit(results):
    json.dump(results, sys.stdout, default=str)
    sys.stdout.write("\n")
    sys.stdout.flush()
