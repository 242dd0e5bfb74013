"""Fires N CreateCluster/RegisterTaskDefinition calls from T threads and signals the server after K acknowledgements.

Usage: load.py PREFIX N THREADS SIGNAL_AFTER PID SIGNAL(KILL|TERM|NONE)
Every call that got HTTP 200 is an acknowledgement; the JSON printed at the end lists them all.
"""
import os
import signal
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

from berth_common import call, client, emit
from definitions import FAMILIES, definition

prefix, total, threads, signal_after, pid, signal_name = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
lock = threading.Lock()
acks, failures = [], []
signalled = {"at": None, "inFlight": 0}
in_flight = [0]
local = threading.local()


def ecs():
    if not hasattr(local, "client"):
        local.client = client(validate=True, retries=0)
    return local.client


def one(i):
    with lock:
        in_flight[0] += 1
    try:
        if i % 2 == 0:
            name = f"{prefix}-c-{i}"
            result = call(ecs().create_cluster, clusterName=name, tags=[{"key": "i", "value": str(i)}])
            record = {"i": i, "kind": "cluster", "name": name}
            if result["ok"]:
                record["arn"] = result["response"]["cluster"]["clusterArn"]
        else:
            result = call(ecs().register_task_definition, **definition(prefix, i))
            record = {"i": i, "kind": "td", "family": f"{prefix}-{FAMILIES[i % len(FAMILIES)]}"}
            if result["ok"]:
                record["revision"] = result["response"]["taskDefinition"]["revision"]
                record["arn"] = result["response"]["taskDefinition"]["taskDefinitionArn"]
    except Exception as e:  # connection refused/reset after the signal: not acknowledged
        result = {"ok": False, "status": None, "code": type(e).__name__, "message": str(e)[:200]}
        record = {"i": i}
    with lock:
        in_flight[0] -= 1
        if result["ok"] and result["status"] == 200:
            acks.append(record)
            if signal_name != "NONE" and len(acks) == signal_after and signalled["at"] is None:
                signalled["at"] = len(acks)
                signalled["inFlight"] = in_flight[0]
                os.kill(pid, signal.SIGKILL if signal_name == "KILL" else signal.SIGTERM)
        else:
            failures.append({"i": i, "status": result.get("status"), "code": result.get("code"), "message": result.get("message")})


with ThreadPoolExecutor(max_workers=threads) as pool:
    list(pool.map(one, range(total)))

emit({"acks": acks, "failures": failures, "signalledAfter": signalled["at"], "inFlightAtSignal": signalled["inFlight"]})
