"""Writes against a server whose data dir is a small file system, filled up and then freed again.

Usage: disk_full.py DATA_DIR (the mount point of a small tmpfs the server's data dir is). Before filling: a
repository with an upload begun, a log group and stream. Then a filler file takes every free byte, and ECS
(CreateCluster), ECR (UploadLayerPart) and CloudWatch Logs (PutLogEvents) are written to until each refuses (SQLite's
WAL may still have room for a few); /_berth/health is read while full; the filler is removed and the same writes are
made again. Prints the answers as one JSON object.
"""
import errno
import json
import os
import sys
import time
import urllib.error
import urllib.request

import boto3
import botocore.config

from berth_common import ENDPOINT, REGION, call, client, emit

DATA_DIR = sys.argv[1]
config = botocore.config.Config(retries={"max_attempts": 1, "mode": "standard"}, read_timeout=30)
ecs = client()
ecr = boto3.client("ecr", endpoint_url=ENDPOINT, region_name=REGION, config=config)
logs = boto3.client("logs", endpoint_url=ENDPOINT, region_name=REGION, config=config)


def health():
    try:
        with urllib.request.urlopen(ENDPOINT + "/_berth/health", timeout=10) as response:
            return {"status": response.status, "body": json.loads(response.read())}
    except urllib.error.HTTPError as e:
        return {"status": e.code, "body": json.loads(e.read())}


def until_refused(write, limit=300):
    """Repeats a write until it is refused; returns the refusal and how many were accepted before it."""
    for i in range(limit):
        answer = write(i)
        if not answer["ok"]:
            answer["acceptedBefore"] = i
            return answer
    return {"ok": True, "acceptedBefore": limit}


report = {"healthBefore": health()}
ecr.create_repository(repositoryName="full")
upload = ecr.initiate_layer_upload(repositoryName="full")["uploadId"]
logs.create_log_group(logGroupName="full")
logs.create_log_stream(logGroupName="full", logStreamName="s")

# Every free byte taken (tmpfs answers ENOSPC once its size is reached).
filler = os.path.join(DATA_DIR, "filler")
descriptor = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
block = b"\0" * 65536
try:
    while True:
        try:
            os.write(descriptor, block)
        except OSError as e:
            if e.errno != errno.ENOSPC:
                raise
            if len(block) == 1:
                break
            block = block[: len(block) // 2]
finally:
    os.close(descriptor)

report["healthFull"] = health()
part = os.urandom(512 * 1024)
report["full"] = {
    "ecs": until_refused(lambda i: call(ecs.create_cluster, clusterName="full-%d" % i)),
    "ecr": until_refused(lambda i: call(ecr.upload_layer_part, repositoryName="full", uploadId=upload, partFirstByte=i * len(part),
                                        partLastByte=(i + 1) * len(part) - 1, layerPartBlob=part)),
    "logs": until_refused(lambda i: call(logs.put_log_events, logGroupName="full", logStreamName="s",
                                         logEvents=[{"timestamp": int(time.time() * 1000), "message": "x" * 200000}])),
}

os.remove(filler)
report["healthAfter"] = health()
report["after"] = {
    "ecs": call(ecs.create_cluster, clusterName="after-full"),
    "logs": call(logs.put_log_events, logGroupName="full", logStreamName="s", logEvents=[{"timestamp": int(time.time() * 1000), "message": "back"}]),
    "ecrStart": call(ecr.initiate_layer_upload, repositoryName="full"),
}
emit(report)
