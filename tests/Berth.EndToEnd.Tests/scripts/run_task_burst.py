"""Fires CALLS RunTask requests at once, one boto3 client per thread, released together by a barrier.
Usage: run_task_burst.py CALLS, with the run_task arguments as JSON on stdin. Prints one result per call
(what the user saw, see berth_common.call), in the order the threads were started."""
import json
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

from berth_common import call, client, emit

calls = int(sys.argv[1])
arguments = json.load(sys.stdin)
clients = [client(validate=False) for _ in range(calls)]
for ecs in clients:
    # Connect and sign once before the burst, so the burst itself is only RunTask.
    ecs.list_clusters()
barrier = threading.Barrier(calls)


def fire(ecs):
    barrier.wait()
    return call(ecs.run_task, **arguments)


with ThreadPoolExecutor(max_workers=calls) as pool:
    emit(list(pool.map(fire, clients)))
