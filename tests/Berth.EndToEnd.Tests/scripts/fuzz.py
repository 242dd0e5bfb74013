"""Model-driven fuzzing of every operation the server answers, from botocore's own service models.

Usage: fuzz.py DATA_DIR. Every service botocore models in a protocol the server speaks is tried, and kept when the
server routes its operations (a service it does not serve answers UnknownOperationException, InvalidAction or 404):
AWS JSON (1.0 and 1.1), query (form-encoded, XML answers), rest-json and Smithy RPC v2 CBOR; and the registry's OCI
API under /v2/. Every operation gets:
  - phase "reject": requests that no service may accept -- malformed bodies, a body that is not a structure, a wrong
    type at every member path, numbers outside the member's type, timestamps outside what any clock can hold, null
    list elements and map values, (CBOR) integers past 64 bits, text that is not UTF-8, keys twice -- each with the
    operation's required members filled in; on /v2/ malformed, mistyped and out-of-range manifests, broken chunked
    framing, bad ranges, digests and tokens. Every answer must be a 4xx, and nothing may be committed: every SQLite
    file in DATA_DIR keeps its data_version.
  - phase "null" (AWS JSON): null at every member path (a null member is an absent one, so such a request may be
    valid and may write); every answer must be below 500.
  - phase "loose": a value outside its enum at every enum member path (every protocol), and (query) a list, map or
    structure given as one plain value; every answer must be below 500.
  - two Authorization headers on one endpoint of each protocol: 400 with IncompleteSignatureException (UNAUTHORIZED
    on /v2/).
Prints one JSON object: cases per phase and service, the 5xx answers and the accepted "reject" cases (up to 50 each,
with their bodies), the files that changed during the reject phase, and the double-Authorization answers. The suite
grows by itself as services are added.
"""
import base64
import concurrent.futures
import glob
import hashlib
import http.client
import json
import os
import sqlite3
import struct
import sys
import urllib.parse

import botocore.auth
import botocore.awsrequest
import botocore.credentials
import botocore.session

from berth_common import ACCESS_KEY, ENDPOINT, REGION, SECRET_KEY, emit, send, signed_request

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


report = {"services": {}, "cases": {"reject": 0, "null": 0, "loose": 0}, "serverErrors": [], "accepted": [], "changedFiles": [],
          "doubleAuthorization": {}}
WORKERS = 4


def record(kind, service, operation, body, answer):
    status = answer["status"]
    if status >= 500:
        if len(report["serverErrors"]) < 50:
            report["serverErrors"].append({"phase": kind, "service": service, "operation": operation, "body": body,
                                           "status": status, "answer": answer.get("raw", "")[:300]})
    elif kind == "reject" and status < 400:
        if len(report["accepted"]) < 50:
            report["accepted"].append({"service": service, "operation": operation, "body": body, "status": status})


def run_cases(kind, cases):
    """Sends (service, operation, shown body, send function) cases concurrently and records each answer."""
    def one(case):
        service, operation, shown, fn = case
        try:
            answer = fn()
        except (OSError, http.client.HTTPException) as e:
            answer = {"status": 599, "raw": "no answer: " + repr(e)}
        return case, answer

    with concurrent.futures.ThreadPoolExecutor(WORKERS) as pool:
        for (service, operation, shown, _), answer in pool.map(one, cases):
            record(kind, service, operation, shown if isinstance(shown, str) else repr(shown)[:2000], answer)
            report["services"][service] = report["services"].get(service, 0) + (1 if kind == "reject" else 0)
            report["cases"][kind] += 1


def sign(method, path, body, service, headers, query=""):
    """A SigV4-signed AWSRequest (botocore's signer) for any method, path and query."""
    url = ENDPOINT + path + ("?" + query if query else "")
    request = botocore.awsrequest.AWSRequest(method=method, url=url, data=body, headers=dict(headers))
    botocore.auth.SigV4Auth(botocore.credentials.Credentials(ACCESS_KEY, SECRET_KEY), service, REGION).add_auth(request)
    return request


def raw_send(method, path, headers, body=b"", chunks=None):
    """One HTTP/1.1 request on its own connection; `chunks` (raw bytes) is sent as a chunked body as given."""
    host, port = urllib.parse.urlsplit(ENDPOINT).netloc.split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        connection.putrequest(method, path, skip_accept_encoding=True)
        for name, value in headers:
            # The body's framing is this function's to write.
            if name.lower() not in ("content-length", "transfer-encoding"):
                connection.putheader(name, value)
        if chunks is not None:
            connection.putheader("Transfer-Encoding", "chunked")
            connection.endheaders()
            connection.send(chunks)
        else:
            connection.putheader("Content-Length", str(len(body)))
            connection.endheaders()
            if body:
                connection.send(body)
        response = connection.getresponse()
        payload = response.read()
        return {"status": response.status, "raw": payload.decode("utf-8", "replace")[:2000], "headers": dict(response.getheaders())}
    finally:
        connection.close()


def send_signed(request, authorization_twice=False):
    prepared = request.prepare()
    body = prepared.body or b""
    if isinstance(body, str):
        body = body.encode("utf-8")
    split = urllib.parse.urlsplit(prepared.url)
    path = split.path + ("?" + split.query if split.query else "")
    headers = list(prepared.headers.items())
    if authorization_twice:
        headers += [(k, v) for k, v in headers if k.lower() == "authorization"]
    return raw_send(prepared.method, path, headers, body)


# ---- AWS JSON ----

def post(model, operation, body_text):
    prefix = model.metadata["targetPrefix"]
    version = model.metadata.get("jsonVersion", "1.1")
    request = signed_request(prefix + "." + operation.name, body_text, service=model.signing_name,
                             content_type="application/x-amz-json-" + version)
    return send(request)


def json_served(pair):
    model, operation_name = pair
    answer = post(model, model.operation_model(operation_name), "{}")
    return not answer.get("code", "").endswith("UnknownOperationException") and answer["status"] != 404


def json_reject_bodies(shape):
    bodies = ['{"a":', "[1]", '"x"']
    if shape is not None:
        for path, member in paths(shape):
            for value in wrong_types(member) + out_of_range(member):
                bodies.append(json.dumps(place(shape, path, value)))
            if member.type_name == "list":
                bodies.append(json.dumps(place(shape, path, [None])))
            if member.type_name == "map":
                bodies.append(json.dumps(place(shape, path, {"k": None})))
    return bodies


def json_cases(model, operation_names):
    for operation_name in operation_names:
        operation = model.operation_model(operation_name)
        for body in json_reject_bodies(operation.input_shape):
            yield model.service_name, operation_name, body, (lambda m=model, o=operation, b=body: post(m, o, b))


# ---- query (form-encoded; botocore's flattening) ----

class Raw:
    """A value written as it is (query text, CBOR bytes) in place of a member's own encoding."""

    def __init__(self, data):
        self.data = data

    def __repr__(self):
        return "Raw(%r)" % (self.data,)


def flatten(shape, value, prefix, out):
    if isinstance(value, Raw):
        out[prefix] = value.data
        return
    t = shape.type_name
    if t == "structure":
        for name, item in value.items():
            member = shape.members[name]
            key = member.serialization.get("name", name)
            flatten(member, item, prefix + "." + key if prefix else key, out)
    elif t == "list":
        if not value:
            out[prefix] = ""
            return
        if shape.serialization.get("flattened"):
            base = prefix
            if shape.member.serialization.get("name"):
                base = ".".join(prefix.split(".")[:-1] + [shape.member.serialization["name"]])
        else:
            base = prefix + "." + shape.member.serialization.get("name", "member")
        for i, item in enumerate(value, 1):
            flatten(shape.member, item, "%s.%d" % (base, i), out)
    elif t == "map":
        base = prefix if shape.serialization.get("flattened") else prefix + ".entry"
        for i, (k, item) in enumerate(value.items(), 1):
            out["%s.%d.%s" % (base, i, shape.key.serialization.get("name", "key"))] = k
            flatten(shape.value, item, "%s.%d.%s" % (base, i, shape.value.serialization.get("name", "value")), out)
    elif t == "boolean":
        out[prefix] = "true" if value else "false"
    elif t == "timestamp":
        out[prefix] = "2023-11-14T22:13:20Z"
    else:
        out[prefix] = str(value)


def query_wrong(shape):
    """Texts a scalar member of the query protocol cannot hold (containers are left to the form's own structure)."""
    return {
        "integer": ["x", "2147483648", "-2147483649", "1e300"],
        "long": ["x", "9223372036854775808", "1e300"],
        "float": ["x", "1e400", "NaN"],
        "double": ["x", "1e400", "NaN"],
        "boolean": ["maybe"],
        "timestamp": ["not a time", "253402300800", "1e300", "-1e300", "1e400"],
        "blob": ["!!!"],
    }.get(shape.type_name, [])


def query_post(model, body):
    request = signed_request(None, body, service=model.signing_name,
                             content_type="application/x-www-form-urlencoded; charset=utf-8")
    return send(request)


def query_form(model, operation, flat):
    return urllib.parse.urlencode([("Action", operation.name), ("Version", model.metadata["apiVersion"])] + list(flat.items()))


def query_answer(pair):
    model, operation_name = pair
    return query_post(model, query_form(model, model.operation_model(operation_name), {}))


def query_service(pair):
    # A query service the server does not serve falls through to the JSON edge: only XML answers are a query edge's.
    return query_answer(pair)["raw"].lstrip().startswith("<")


def query_served(pair):
    answer = query_answer(pair)
    return answer["raw"].lstrip().startswith("<") and "InvalidAction" not in answer["raw"]


def query_cases(model, operation_names):
    for operation_name in operation_names:
        operation = model.operation_model(operation_name)
        shape = operation.input_shape
        skeleton = {}
        if shape is not None:
            flatten(shape, dummy(shape), "", skeleton)
        base = query_form(model, operation, skeleton)
        bodies = [base + "&%zz=1", base + "&X=%ff", urllib.parse.urlencode({"Version": model.metadata["apiVersion"]}),
                  urllib.parse.urlencode({"Action": operation.name, "Version": "1999-01-01"})]
        if shape is not None:
            for path, member in paths(shape):
                for text in query_wrong(member):
                    flat = {}
                    flatten(shape, place(shape, path, Raw(text)), "", flat)
                    bodies.append(query_form(model, operation, flat))
        for body in bodies:
            yield model.service_name, operation_name, body, (lambda m=model, b=body: query_post(m, b))


# ---- rest-json ----

def rest_request(model, operation, params, raw_body=None):
    """Method, path with labels, query and JSON body of a rest-json operation for `params` (botocore's locations)."""
    shape = operation.input_shape
    path = operation.http["requestUri"]
    query = []
    body = {}
    for name, value in (params or {}).items():
        member = shape.members[name]
        location = member.serialization.get("location")
        wire = member.serialization.get("name", name)
        text = value.data if isinstance(value, Raw) else value
        if location == "uri":
            path = path.replace("{" + wire + "}", urllib.parse.quote(str(text), safe="")).replace("{" + wire + "+}", urllib.parse.quote(str(text), safe="/"))
        elif location == "querystring":
            for item in (text if isinstance(text, list) else [text]):
                query.append((wire, item if isinstance(item, str) else json.dumps(item)))
        elif location == "header":
            pass
        else:
            body[name] = value
    if "?" in path:
        path, fixed = path.split("?", 1)
        query.append(tuple(fixed.split("=", 1)) if "=" in fixed else (fixed, ""))
    text = raw_body if raw_body is not None else (json.dumps(body) if body or operation.http["method"] in ("POST", "PUT") else "")
    return operation.http["method"], path, urllib.parse.urlencode(query), text


def rest_send(model, operation, params, raw_body=None):
    method, path, query, body = rest_request(model, operation, params, raw_body)
    request = sign(method, path, body.encode("utf-8"), model.signing_name, {"Content-Type": "application/json"}, query)
    return send_signed(request)


def header(answer, name):
    return next((v for k, v in answer.get("headers", {}).items() if k.lower() == name.lower()), None)


def rest_answer(pair):
    model, operation_name = pair
    operation = model.operation_model(operation_name)
    return rest_send(model, operation, dummy(operation.input_shape) if operation.input_shape else {})


def rest_service(pair):
    # Answered by an AWS edge (a request id), not the JSON edge's fallback or the 404 of no edge (nor the registry).
    answer = rest_answer(pair)
    return header(answer, "x-amzn-RequestId") is not None and "X-Amz-Target" not in answer["raw"] and "No operation at" not in answer["raw"]


def rest_served(pair):
    answer = rest_answer(pair)
    return rest_service(pair) and "UnknownOperationException" not in answer["raw"]


def rest_cases(model, operation_names):
    for operation_name in operation_names:
        operation = model.operation_model(operation_name)
        shape = operation.input_shape
        skeleton = dummy(shape) if shape is not None else {}
        has_body = shape is not None and any(m.serialization.get("location") is None for m in shape.members.values())
        cases = []
        if has_body:
            cases += [(None, b) for b in ['{"a":', "[1]", '"x"']]
        if shape is not None:
            for path, member in paths(shape):
                top = shape.members[path[0]]
                location = top.serialization.get("location")
                if location is None:
                    for value in wrong_types(member) + out_of_range(member):
                        cases.append((place(shape, path, value), None))
                    if member.type_name == "list":
                        cases.append((place(shape, path, [None]), None))
                    if member.type_name == "map":
                        cases.append((place(shape, path, {"k": None}), None))
                elif location == "querystring" and len(path) == 1 and member.type_name in ("integer", "long"):
                    for text in ["x", "2147483648", "1e300"]:
                        cases.append((place(shape, path, Raw(text)), None))
        for params, raw_body in cases:
            params = skeleton if params is None else params
            shown = raw_body if raw_body is not None else json.dumps(params, default=repr)
            yield model.service_name, operation_name, shown, (lambda m=model, o=operation, p=params, r=raw_body: rest_send(m, o, p, r))


# ---- Smithy RPC v2 CBOR ----

def cbor_head(major, n):
    if n < 24:
        return bytes([major << 5 | n])
    for limit, extra, fmt in ((1 << 8, 24, ">B"), (1 << 16, 25, ">H"), (1 << 32, 26, ">I"), (1 << 64, 27, ">Q")):
        if n < limit:
            return bytes([major << 5 | extra]) + struct.pack(fmt, n)
    raise ValueError(n)


def cbor(value, shape=None):
    """CBOR of a value; with its shape, timestamps are tag 1 and blobs byte strings, as botocore writes them."""
    if isinstance(value, Raw):
        return value.data
    t = shape.type_name if shape is not None else None
    if value is None:
        return b"\xf6"
    if value is True or value is False:
        return b"\xf5" if value else b"\xf4"
    if t == "timestamp" and isinstance(value, (int, float)):
        return b"\xc1" + cbor(value)
    if t == "blob" and isinstance(value, str):
        data = base64.b64decode(value)
        return cbor_head(2, len(data)) + data
    if isinstance(value, int):
        return cbor_head(0, value) if value >= 0 else cbor_head(1, -1 - value)
    if isinstance(value, float):
        return b"\xfb" + struct.pack(">d", value)
    if isinstance(value, str):
        data = value.encode("utf-8")
        return cbor_head(3, len(data)) + data
    if isinstance(value, list):
        element = shape.member if t == "list" else None
        return cbor_head(4, len(value)) + b"".join(cbor(v, element) for v in value)
    if isinstance(value, dict):
        out = cbor_head(5, len(value))
        for k, v in value.items():
            if t == "structure":
                member = shape.members.get(k)
            elif t == "map":
                member = shape.value
            else:
                member = None
            out += cbor(k) + cbor(v, member)
        return out
    raise TypeError(type(value))


FF8 = b"\xff" * 8


def cbor_wrong(shape):
    t = shape.type_name
    if t == "integer":
        return [Raw(b"\x1b" + FF8), Raw(b"\x3b" + FF8), 2**31, 1e300]
    if t == "long":
        return [Raw(b"\x1b" + FF8), Raw(b"\x3b" + FF8), 2**63]
    if t == "timestamp":
        return [Raw(b"\xc1\x1b" + FF8), Raw(b"\xc1\x3b" + FF8), Raw(b"\xc1" + cbor(1e300)), Raw(b"\xc1" + cbor(253402300800)),
                Raw(b"\xc1\x63abc"), Raw(b"\xc2\x41\x01")]
    if t == "string":
        return [Raw(b"\x62\xc3\x28"), 1]
    return wrong_types(shape)[:1]


def cbor_post(service_id, operation_name, body):
    request = sign("POST", "/service/%s/operation/%s" % (service_id, operation_name), body, "monitoring",
                   {"Content-Type": "application/cbor", "Accept": "application/cbor", "smithy-protocol": "rpc-v2-cbor"})
    return send_signed(request)


def cbor_service(pair):
    model, operation_name = pair
    return header(cbor_post(model.metadata["targetPrefix"], operation_name, b"\xa0"), "smithy-protocol") == "rpc-v2-cbor"


def cbor_served(pair):
    model, operation_name = pair
    answer = cbor_post(model.metadata["targetPrefix"], operation_name, b"\xa0")
    return header(answer, "smithy-protocol") == "rpc-v2-cbor" and answer["status"] != 404


def cbor_cases(model, operation_names):
    service_id = model.metadata["targetPrefix"]
    for operation_name in operation_names:
        operation = model.operation_model(operation_name)
        shape = operation.input_shape
        bodies = [b"\xff", b"\xa1", b"\x81\x01", b"\xa0\xa0", b"\xa2\x61a\x01\x61a\x02", b"\xa1\x61\xff\x01",
                  b"\xa1\x61a" + b"\x81" * 100 + b"\x01"]
        if shape is not None:
            for path, member in paths(shape):
                for value in cbor_wrong(member):
                    bodies.append(cbor(place(shape, path, value), shape))
                if member.type_name == "list":
                    bodies.append(cbor(place(shape, path, [None]), shape))
                if member.type_name == "map":
                    bodies.append(cbor(place(shape, path, {"k": None}), shape))
        for body in bodies:
            yield model.service_name + "-cbor", operation_name, body.hex(), (lambda o=operation_name, b=body: cbor_post(service_id, o, b))


# ---- the registry's /v2/ ----

REPOSITORY = "fuzz-registry"


def ecr(operation, body):
    return send(signed_request("AmazonEC2ContainerRegistry_V20150921." + operation, json.dumps(body), service="ecr"))


def registry_setup():
    """A repository, a registry token and an upload begun, all before the reject phase looks at the files."""
    ecr("CreateRepository", {"repositoryName": REPOSITORY})
    token = ecr("GetAuthorizationToken", {})["json"]["authorizationData"][0]["authorizationToken"]
    auth = ("Authorization", "Basic " + token)
    started = raw_send("POST", "/v2/%s/blobs/uploads/" % REPOSITORY, [auth])
    location = started["headers"].get("Location") or started["headers"].get("location")
    return auth, location


def manifest(layers=None, config_size=2, **top):
    body = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": "sha256:" + "a" * 64, "size": config_size},
            "layers": layers if layers is not None else [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": "sha256:" + "b" * 64, "size": 3}]}
    body.update(top)
    return json.dumps(body)


def layer(size):
    return [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": "sha256:" + "b" * 64, "size": size}]


def registry_cases(auth, upload):
    name = REPOSITORY
    put_manifest = "/v2/%s/manifests/fuzz" % name
    manifest_type = ("Content-Type", "application/vnd.oci.image.manifest.v1+json")
    bodies = ["{", "[]", '"x"', "null", '{"schemaVersion":1}', '{"schemaVersion":"2"}', '{"schemaVersion":1e30}',
              '{"schemaVersion":2.5}', manifest(layer(1e30)), manifest(layer(-1)), manifest(layer(2.5)), manifest(layer("3")),
              manifest(layer(None)), manifest(layer(2**64)), manifest(layer(2**63 - 1) * 2),
              manifest(config_size=1e30), manifest(layers={}), manifest(layers=[None]), manifest(layers=[1]),
              manifest(config=None), manifest(config="x"), manifest(mediaType=1), manifest(subject=1),
              manifest(annotations=[]), manifest([{"digest": "sha256:zz", "size": 1}]),
              json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [{"digest": "sha256:" + "c" * 64, "size": 1e30}]}),
              json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": {}})]
    for body in bodies:
        yield "registry-v2", "PUT manifest", body, (lambda b=body: raw_send("PUT", put_manifest, [auth, manifest_type], b.encode("utf-8")))
    # Broken chunked framing: a size that is not hex, a chunk longer than its size, no final chunk.
    for chunks in (b"zz\r\nabc\r\n0\r\n\r\n", b"2\r\nabcdef\r\n0\r\n\r\n", b"ffffffffffffffffff\r\nabc\r\n0\r\n\r\n"):
        yield "registry-v2", "PATCH upload chunked", repr(chunks), (lambda c=chunks: raw_send("PATCH", upload, [auth], chunks=c))
        yield "registry-v2", "PUT upload chunked", repr(chunks), (lambda c=chunks: raw_send("PUT", upload + "&digest=sha256:" + "d" * 64 if "?" in upload else upload + "?digest=sha256:" + "d" * 64, [auth], chunks=c))
        yield "registry-v2", "PUT manifest chunked", repr(chunks), (lambda c=chunks: raw_send("PUT", put_manifest, [auth, manifest_type], chunks=c))
    separator = "&" if "?" in upload else "?"
    others = [
        ("PATCH", upload, [auth, ("Content-Range", "x-y")], b"abc"),
        ("PATCH", upload, [auth, ("Content-Range", "99999999999999999999-1")], b"abc"),
        ("PATCH", upload, [auth, ("Content-Range", "5-7")], b"abc"),
        ("PUT", upload + separator + "digest=sha256:" + "e" * 64, [auth], b"abc"),
        ("PUT", upload + separator + "digest=md5:abc", [auth], b""),
        ("PUT", upload, [auth], b""),
        ("PATCH", "/v2/%s/blobs/uploads/%s" % (name, "0" * 8), [auth], b"abc"),
        ("PATCH", "/v2/%s/blobs/uploads/../../x" % name, [auth], b"abc"),
        ("GET", "/v2/%s/blobs/sha256:zz" % name, [auth], b""),
        ("GET", "/v2/%s/blobs/sha256:%s" % (name, "f" * 64), [auth, ("Range", "bytes=99999999999999999999-")], b""),
        ("GET", "/v2/%s/tags/list?n=-1" % name, [auth], b""),
        ("GET", "/v2/%s/tags/list?n=99999999999999999999" % name, [auth], b""),
        ("GET", "/v2/_catalog?n=1e30", [auth], b""),
        ("PUT", "/v2/%s/manifests/bad%%20tag!" % name, [auth, manifest_type], manifest().encode()),
        ("PUT", "/v2/%s/manifests/sha256:%s" % (name, "0" * 64), [auth, manifest_type], manifest().encode()),
        ("PUT", "/v2/NOT_VALID/manifests/x", [auth, manifest_type], manifest().encode()),
        ("DELETE", "/v2/%s/manifests/sha256:zz" % name, [auth], b""),
        ("GET", "/v2/", [("Authorization", "Basic !!!")], b""),
        ("GET", "/v2/", [("Authorization", "Bearer berth1.AAAA.BBBB")], b""),
        ("GET", "/v2/", [("Authorization", "Bearer berth1." + base64.urlsafe_b64encode(b"99999999999999999999|x").decode().rstrip("=") + ".AAAA")], b""),
        ("GET", "/v2/", [("Authorization", "Basic " + base64.b64encode(b"\xff\xfe:\xff").decode())], b""),
        ("GET", "/v2/", [], b""),
    ]
    for method, path, headers, body in others:
        yield "registry-v2", method + " " + path, repr(body), (lambda m=method, p=path, h=headers, b=body: raw_send(m, p, h, b))


def registry_sequences(auth):
    """Steps on an upload another step completed or cancelled: 404 BLOB_UPLOAD_UNKNOWN, never a 5xx (these write)."""
    results = []
    for closing in ("PUT", "DELETE"):
        location = raw_send("POST", "/v2/%s/blobs/uploads/" % REPOSITORY, [auth])["headers"].get("Location")
        separator = "&" if "?" in location else "?"
        raw_send("PATCH", location, [auth], b"fuzz-" + closing.encode())
        digest = "sha256:" + hashlib.sha256(b"fuzz-" + closing.encode()).hexdigest()
        first = raw_send(closing, location + (separator + "digest=" + digest if closing == "PUT" else ""), [auth])
        for method, path in (("PATCH", location), ("DELETE", location), ("PUT", location + separator + "digest=" + digest), ("GET", location)):
            answer = raw_send(method, path, [auth], b"x" if method == "PATCH" else b"")
            results.append({"after": closing, "afterStatus": first["status"], "method": method, "status": answer["status"],
                            "code": json.loads(answer["raw"])["errors"][0]["code"] if answer["raw"].startswith("{") else None})
    return results


def slow_body(auth):
    """A PATCH whose body arrives slower than the server's minimum data rate (240 bytes/s after a 5 s grace, Kestrel's
    default): the server gives up on it with 400 BLOB_UPLOAD_INVALID, as the AWS edge answers a body too slow, and
    the upload takes none of it. The trickle stops once the server answers, or after 20 s."""
    import socket
    import time
    location = raw_send("POST", "/v2/%s/blobs/uploads/" % REPOSITORY, [auth])["headers"].get("Location")
    host, port = urllib.parse.urlsplit(ENDPOINT).netloc.split(":")
    sock = socket.create_connection((host, int(port)), timeout=30)
    try:
        head = "PATCH %s HTTP/1.1\r\nHost: %s:%s\r\n%s: %s\r\nContent-Length: 100000\r\n\r\n" % (location, host, port, auth[0], auth[1])
        sock.sendall(head.encode("ascii"))
        sock.settimeout(1.0)
        started = time.monotonic()
        answer = b""
        while time.monotonic() - started < 20:
            try:
                sock.sendall(b"x")
            except OSError:
                pass
            try:
                data = sock.recv(4096)
                if data:
                    answer += data
                    if b"\r\n\r\n" in answer:
                        break
            except socket.timeout:
                continue
            except OSError:
                break
        sock.settimeout(5)
        try:
            while b"}" not in answer.split(b"\r\n\r\n", 1)[-1]:
                data = sock.recv(4096)
                if not data:
                    break
                answer += data
        except OSError:
            pass
    finally:
        sock.close()
    status_line, _, rest = answer.partition(b"\r\n")
    body = rest.split(b"\r\n\r\n", 1)[-1].decode("utf-8", "replace")
    status = int(status_line.split()[1]) if status_line.startswith(b"HTTP/") else 0
    after = raw_send("GET", location, [auth])
    return {"status": status, "code": (json.loads(body[body.index("{"):]) if "{" in body else {}).get("errors", [{}])[0].get("code"),
            "seconds": round(time.monotonic() - started, 1), "uploadRange": after["headers"].get("Range"), "uploadStatus": after["status"]}


# ---- two Authorization headers ----

def error_code(answer):
    raw = answer["raw"]
    try:
        return json.loads(raw).get("__type") or json.loads(raw)["errors"][0]["code"]
    except (ValueError, KeyError, IndexError, AttributeError, TypeError):
        pass
    if "<Code>" in raw:
        return raw.split("<Code>", 1)[1].split("</Code>", 1)[0]
    if "IncompleteSignatureException" in raw:
        return "IncompleteSignatureException"
    return answer["headers"].get("x-amzn-ErrorType") or answer["headers"].get("X-Amzn-ErrorType")


def double_authorization(auth):
    checks = {
        "json": signed_request("AmazonEC2ContainerServiceV20141113.ListClusters", "{}"),
        "query": signed_request(None, "Action=DescribeLoadBalancers&Version=2015-12-01", service="elasticloadbalancing",
                                content_type="application/x-www-form-urlencoded; charset=utf-8"),
        "rest-json": sign("GET", "/schedules", b"", "scheduler", {}),
        "cbor": sign("POST", "/service/GraniteServiceVersion20100801/operation/ListMetrics", b"\xa0", "monitoring",
                     {"Content-Type": "application/cbor", "smithy-protocol": "rpc-v2-cbor"}),
    }
    for name, request in checks.items():
        answer = send_signed(request, authorization_twice=True)
        report["doubleAuthorization"][name] = {"status": answer["status"], "code": error_code(answer), "raw": answer["raw"][:200]}
    answer = raw_send("GET", "/v2/", [auth, auth])
    report["doubleAuthorization"]["registry"] = {"status": answer["status"], "code": error_code(answer), "raw": answer["raw"][:200]}


# ---- which services and operations the server answers ----

candidates = {"json": [], "query": [], "rest-json": [], "cbor": []}
for name in session.get_available_services():
    model = session.get_service_model(name)
    protocols = model.metadata.get("protocols") or [model.metadata.get("protocol")]
    pairs = [(model, operation_name) for operation_name in model.operation_names]
    if "json" in protocols and "targetPrefix" in model.metadata:
        candidates["json"].extend(pairs)
    if "smithy-rpc-v2-cbor" in protocols and "targetPrefix" in model.metadata:
        candidates["cbor"].extend(pairs)
    if protocols[0] in ("query", "rest-json"):
        candidates[protocols[0]].extend(pairs)
checks = {"json": json_served, "query": query_served, "rest-json": rest_served, "cbor": cbor_served}
services_checks = {"query": query_service, "rest-json": rest_service, "cbor": cbor_service}
served = {}
with concurrent.futures.ThreadPoolExecutor(8) as pool:
    # Services of the query, rest-json and CBOR protocols are routed as a whole: one operation each tells which the
    # server answers (its edge answers even an operation it does not serve), and only those have every operation tried.
    for protocol in ("query", "rest-json", "cbor"):
        firsts = {}
        for model, operation_name in candidates[protocol]:
            firsts.setdefault(model.service_name, (model, operation_name))
        answered = dict(zip(firsts, pool.map(services_checks[protocol], firsts.values())))
        candidates[protocol] = [pair for pair in candidates[protocol] if answered[pair[0].service_name]]
    for protocol, pairs in candidates.items():
        keep = list(pool.map(checks[protocol], pairs))
        for (model, operation_name), ok in zip(pairs, keep):
            if ok:
                served.setdefault(protocol, {}).setdefault(model.service_name, (model, []))[1].append(operation_name)

auth, upload = registry_setup()
connections = versions()
before = data_versions(connections)

# Phase "reject": nothing of it may be accepted or written.
cases = []
generators = {"json": json_cases, "query": query_cases, "rest-json": rest_cases, "cbor": cbor_cases}
for protocol, by_service in served.items():
    for model, operation_names in by_service.values():
        cases.extend(generators[protocol](model, operation_names))
cases.extend(registry_cases(auth, upload))
run_cases("reject", cases)

after = data_versions(connections)
report["changedFiles"] = [os.path.relpath(p, DATA_DIR) for p in before if before[p] != after[p]]

# Phase "null": a null anywhere is at most a client error.
null_cases = []
for model, operation_names in served.get("json", {}).values():
    for operation_name in operation_names:
        operation = model.operation_model(operation_name)
        shape = operation.input_shape
        if shape is None:
            continue
        for path, member in paths(shape):
            if path[-1] in ("[]", "{}"):
                continue
            body = json.dumps(place(shape, path, None))
            null_cases.append((model.service_name, operation_name, body, (lambda m=model, o=operation, b=body: post(m, o, b))))
run_cases("null", null_cases)

# Phase "loose": values outside an enum, and query containers written as plain values: at most a client error.
NOT_IN_ENUM = "NOT_ANY_ENUM_VALUE"
loose_cases = []
for protocol, by_service in served.items():
    for model, operation_names in by_service.values():
        for operation_name in operation_names:
            operation = model.operation_model(operation_name)
            shape = operation.input_shape
            if shape is None:
                continue
            for path, member in paths(shape):
                enum = member.type_name == "string" and bool(member.enum)
                plain = protocol == "query" and member.type_name in ("list", "map", "structure")
                if not (enum or plain):
                    continue
                if protocol == "json":
                    body = json.dumps(place(shape, path, NOT_IN_ENUM))
                    loose_cases.append((model.service_name, operation_name, body, (lambda m=model, o=operation, b=body: post(m, o, b))))
                elif protocol == "query":
                    flat = {}
                    flatten(shape, place(shape, path, Raw(NOT_IN_ENUM if enum else "x")), "", flat)
                    body = query_form(model, operation, flat)
                    loose_cases.append((model.service_name, operation_name, body, (lambda m=model, b=body: query_post(m, b))))
                elif protocol == "cbor":
                    body = cbor(place(shape, path, NOT_IN_ENUM), shape)
                    service_id = model.metadata["targetPrefix"]
                    loose_cases.append((model.service_name + "-cbor", operation_name, body.hex(), (lambda s=service_id, o=operation_name, b=body: cbor_post(s, o, b))))
                elif protocol == "rest-json" and shape.members[path[0]].serialization.get("location") is None:
                    params = place(shape, path, NOT_IN_ENUM)
                    loose_cases.append((model.service_name, operation_name, json.dumps(params, default=repr), (lambda m=model, o=operation, p=params: rest_send(m, o, p))))
run_cases("loose", loose_cases)

report["registrySequences"] = registry_sequences(auth)
report["slowBody"] = slow_body(auth)
double_authorization(auth)
emit(report)
