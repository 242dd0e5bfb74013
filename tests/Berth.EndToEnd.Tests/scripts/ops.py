"""Runs a list of ECS calls read as JSON from stdin ([{"op": "create_cluster", "args": {...}}, ...]) and prints what each returned."""
import json
import sys

from berth_common import call, client, emit

ecs = client(validate=False)
emit([call(getattr(ecs, item["op"]), **item.get("args", {})) for item in json.load(sys.stdin)])
