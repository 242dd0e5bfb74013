"""A long-lived boto3 ECS client for the task tests: reads one JSON call per line from stdin
({"op": "describe_tasks", "args": {...}}) and answers each with one JSON line: what the user sees
(status, error code/message, request id, response; timestamps as ISO 8601). A call the client could not
even send (server down) answers {"ok": false, "exception": "..."}. Saves a Python start per poll."""
import datetime
import json
import sys

from berth_common import call, client


def iso(value):
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    return str(value)


ecs = client(validate=False)
for line in sys.stdin:
    if not line.strip():
        continue
    try:
        request = json.loads(line)
        result = call(getattr(ecs, request["op"]), **request.get("args", {}))
    except Exception as e:  # noqa: BLE001 - the test reports whatever happened
        result = {"ok": False, "exception": f"{type(e).__name__}: {e}"}
    sys.stdout.write(json.dumps(result, default=iso) + "\n")
    sys.stdout.flush()
