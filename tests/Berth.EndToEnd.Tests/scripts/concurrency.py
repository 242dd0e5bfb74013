"""Registers THREADS x PER_THREAD revisions of one family at once. Usage: concurrency.py FAMILY THREADS PER_THREAD."""
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

from berth_common import client, emit

family, threads, per_thread = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
local = threading.local()


def ecs():
    if not hasattr(local, "client"):
        local.client = client(retries=0)
    return local.client


def worker(t):
    got = []
    for k in range(per_thread):
        response = ecs().register_task_definition(
            family=family,
            containerDefinitions=[{"name": "app", "image": f"img:{t}-{k}", "memory": 64, "essential": True}],
        )
        td = response["taskDefinition"]
        got.append({"revision": td["revision"], "arn": td["taskDefinitionArn"], "image": td["containerDefinitions"][0]["image"]})
    return got


with ThreadPoolExecutor(max_workers=threads) as pool:
    results = [r for batch in pool.map(worker, range(threads)) for r in batch]

listed = []
for page in client().get_paginator("list_task_definitions").paginate(familyPrefix=family):
    listed.extend(page["taskDefinitionArns"])
latest = client().describe_task_definition(taskDefinition=family)["taskDefinition"]["revision"]
emit({"registered": results, "listed": listed, "latest": latest})
