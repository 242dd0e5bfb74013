"""Model-driven fuzzing of every JSON-protocol operation the server answers, from botocore's own service models.

Usage: fuzz.py DATA_DIR. For each service whose model speaks AWS JSON (1.0 or 1.1) and whose operations the server
routes (a service it does not serve answers UnknownOperationException and is skipped), every operation gets:
  - phase "reject": bodies that no service may accept -- malformed JSON, a JSON value that is not an object, a wrong
    JSON type at every member path, numbers outside the member's type, timestamps outside what any clock can hold,
    null list elements and null map values -- each with the operation's required members filled in. Every answer
    must be a 4xx, and nothing may be committed: every SQLite file in DATA_DIR keeps its data_version.
  - phase "null": null at every member path (a null member is an absent one, so such a request may be valid and
    may write); every answer must be below 500.
Prints one JSON object: cases per phase, the 5xx answers and the accepted "reject" cases (up to 50 each, with their
bodies), and the files that changed during the reject phase. The suite grows by itself as services are added.
"""
import concurrent.futures
import glob
import json
import os
import sqlite3
import sys

import botocore.session

from berth_common import emit, send, signed_request

DATA_DIR = sys.argv[1]
MAX_DEPTH = 4
session = botocore.session.get_session()


def dummy(shape, depth=0):
    """A value of the right JSON type for a shape (structures with their required members only)."""
    t = shape.type_name
    if t == "structure":
        if depth >= MAX_DEPTH:
            return {}
        return {name: dummy(shape.members[name], depth + 1) for name in shape.required_members}
    if t == "list":
        return [dummy(shape.member, depth + 1)] if depth < MAX_DEPTH else []
    if t == "map":
        return {"k": dummy(shape.value, depth + 1)} if depth < MAX_DEPTH else {}
    if t in ("integer", "long"):
        lo = shape.metadata.get("min")
        return int(lo) if lo is not None and lo > 1 else 1
    if t in ("float", "double"):
        return 1.0
    if t == "boolean":
        return True
    if t == "timestamp":
        return 1700000000
    if t == "blob":
        return "AAAA"
    values = shape.enum
    if values:
        return values[0]
    lo = shape.metadata.get("min") or 1
    return "x" * max(1, int(lo))


def wrong_types(shape):
    """Values of a JSON type the shape cannot hold."""
    t = shape.type_name
    if t == "structure":
        return [[], 1]
    if t == "list":
        return [{}, "x"]
    if t == "map":
        return [[], 1]
    if t in ("integer", "long", "float", "double"):
        return ["x", [], {}]
    if t == "boolean":
        return ["x", 1]
    if t == "timestamp":
        return [[], {}, "not a time", True]
    if t == "blob":
        return [1, []]
    return [1, [], {}, True]


def out_of_range(shape):
    t = shape.type_name
    if t == "integer":
        return [2**31, -(2**31) - 1, 1e300]
    if t == "long":
        return [2**63, 1e300, -1e300]
    if t == "timestamp":
        return [253402300800, 1e15, 1e300, -1e300]
    return []


def paths(shape, prefix=(), depth=0):
    """Every member path (tuples of names; '[]' for a list element, '{}' for a map value) with its shape."""
    if depth > MAX_DEPTH or shape.type_name != "structure":
        return
    for name, member in shape.members.items():
        path = prefix + (name,)
        yield path, member
        if member.type_name == "structure":
            yield from paths(member, path, depth + 1)
        elif member.type_name == "list":
            yield path + ("[]",), member.member
            if member.member.type_name == "structure":
                yield from paths(member.member, path + ("[]",), depth + 2)
        elif member.type_name == "map":
            yield path + ("{}",), member.value


def _place(node, shape, steps, value):
    """Puts `value` at `steps` under `node` (a list holds one element, which the walk enters)."""
    root = node
    i = 0
    while i < len(steps):
        step = steps[i]
        member = shape.members[step]
        last = i == len(steps) - 1
        if last:
            node[step] = value
            return root
        nxt = steps[i + 1]
        if nxt == "[]":
            element = member.member
            if i + 1 == len(steps) - 1:
                node[step] = [value]
                return root
            child = dummy(element, 1) if element.type_name == "structure" else {}
            node[step] = [child]
            node, shape = child, element
            i += 2
            continue
        if nxt == "{}":
            node[step] = {"k": value}
            return root
        child = node.get(step)
        if not isinstance(child, dict):
            child = dummy(member, 1)
            node[step] = child
        node, shape = child, member
        i += 1
    return root


def place(root_shape, path, value):
    """The operation's required skeleton with `value` at `path`."""
    return _place(dummy(root_shape), root_shape, list(path), value)


def versions():
    found = {}
    for path in sorted(glob.glob(os.path.join(DATA_DIR, "**", "*.db"), recursive=True)):
        connection = sqlite3.connect("file:" + path + "?mode=ro", uri=True)
        found[path] = connection
    return found


def data_versions(connections):
    return {path: c.execute("PRAGMA data_version").fetchone()[0] for path, c in connections.items()}


report = {"services": {}, "cases": {"reject": 0, "null": 0}, "serverErrors": [], "accepted": [], "changedFiles": []}


def record(kind, service, operation, body, answer):
    status = answer["status"]
    if status >= 500:
        if len(report["serverErrors"]) < 50:
            report["serverErrors"].append({"phase": kind, "service": service, "operation": operation, "body": body,
                                           "status": status, "answer": answer.get("raw", "")[:300]})
    elif kind == "reject" and status < 400:
        if len(report["accepted"]) < 50:
            report["accepted"].append({"service": service, "operation": operation, "body": body, "status": status})


def post(model, operation, body_text):
    prefix = model.metadata["targetPrefix"]
    version = model.metadata.get("jsonVersion", "1.1")
    request = signed_request(prefix + "." + operation.name, body_text, service=model.signing_name,
                             content_type="application/x-amz-json-" + version)
    return send(request)


def served(pair):
    model, operation_name = pair
    answer = post(model, model.operation_model(operation_name), "{}")
    return not answer.get("code", "").endswith("UnknownOperationException") and answer["status"] != 404


# Every JSON-protocol operation botocore knows, kept when the server routes it (an unknown one answers
# UnknownOperationException).
candidates = []
for name in session.get_available_services():
    model = session.get_service_model(name)
    if model.metadata.get("protocol") != "json" and "json" not in (model.metadata.get("protocols") or []):
        continue
    if "targetPrefix" not in model.metadata:
        continue
    candidates.extend((model, operation_name) for operation_name in model.operation_names)
with concurrent.futures.ThreadPoolExecutor(8) as pool:
    keep = list(pool.map(served, candidates))
services = {}
for (model, operation_name), ok in zip(candidates, keep):
    if ok:
        services.setdefault(model.service_name, (model, []))[1].append(operation_name)

connections = versions()
before = data_versions(connections)

# Phase "reject": nothing of it may be accepted or written.
for model, operation_names in services.values():
    count = 0
    for operation_name in operation_names:
        operation = model.operation_model(operation_name)
        shape = operation.input_shape
        bodies = ['{"a":', "[1]", '"x"']
        if shape is not None:
            for path, member in paths(shape):
                for value in wrong_types(member) + out_of_range(member):
                    bodies.append(json.dumps(place(shape, path, value)))
                if member.type_name == "list":
                    bodies.append(json.dumps(place(shape, path, [None])))
                if member.type_name == "map":
                    bodies.append(json.dumps(place(shape, path, {"k": None})))
        for body in bodies:
            answer = post(model, operation, body)
            record("reject", model.service_name, operation_name, body, answer)
            count += 1
    report["services"][model.service_name] = count
    report["cases"]["reject"] += count

after = data_versions(connections)
report["changedFiles"] = [os.path.relpath(p, DATA_DIR) for p in before if before[p] != after[p]]

# Phase "null": a null anywhere is at most a client error.
for model, operation_names in services.values():
    for operation_name in operation_names:
        operation = model.operation_model(operation_name)
        shape = operation.input_shape
        if shape is None:
            continue
        for path, member in paths(shape):
            if path[-1] in ("[]", "{}"):
                continue
            body = json.dumps(place(shape, path, None))
            answer = post(model, operation, body)
            record("null", model.service_name, operation_name, body, answer)
            report["cases"]["null"] += 1

emit(report)
