"""Makes a sample of every cloudwatch operation's input and output from botocore's model, and serializes each input
with botocore's own Smithy RPC v2 CBOR serializer. Prints JSON: [{"op", "input", "body" (hex), "output"}, ...].
With "parse" reads [{"op", "cbor" (hex), "status", "headers"}] from stdin and prints what botocore's CBOR parser makes
of each response (and of errors)."""
import base64
import datetime
import json
import sys

import botocore.session
from botocore import parsers, serialize

session = botocore.session.get_session()
model = session.get_service_model("cloudwatch")
PROTOCOL = "smithy-rpc-v2-cbor"


def sample(shape, path, depth=0):
    t = shape.type_name
    seed = sum(map(ord, path)) % 1000
    if t == "string":
        if shape.enum:
            return shape.enum[seed % len(shape.enum)]
        return "v-%s & <%d> é" % (path[-12:], seed)
    if t in ("integer", "long"):
        return seed + 1
    if t == "boolean":
        return seed % 2 == 0
    if t in ("double", "float"):
        return seed + 0.5
    if t == "timestamp":
        return 1700000000 + seed
    if t == "blob":
        return base64.b64encode(b"blob-%d" % seed).decode()
    if t == "list":
        if depth > 6:
            return []
        return [sample(shape.member, "%s.%d" % (path, i), depth + 1) for i in range(2)]
    if t == "map":
        return {"k%d" % i: sample(shape.value, "%s.k%d" % (path, i), depth + 1) for i in range(2)}
    if t == "structure":
        if depth > 6:
            return {}
        return {name: sample(member, path + "." + name, depth + 1) for name, member in shape.members.items()}
    raise ValueError(t)


def to_wire_input(value, shape):
    # botocore's serializer takes datetimes and bytes for timestamps and blobs.
    t = shape.type_name
    if t == "timestamp":
        return datetime.datetime.fromtimestamp(value, datetime.timezone.utc)
    if t == "blob":
        return base64.b64decode(value)
    if t == "list":
        return [to_wire_input(v, shape.member) for v in value]
    if t == "map":
        return {k: to_wire_input(v, shape.value) for k, v in value.items()}
    if t == "structure":
        return {k: to_wire_input(v, shape.members[k]) for k, v in value.items()}
    return value


def jsonable(value):
    if isinstance(value, datetime.datetime):
        return value.timestamp()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    return value


def make():
    serializer = serialize.create_serializer(PROTOCOL, include_validation=False)
    result = []
    for name in model.operation_names:
        op = model.operation_model(name)
        entry = {"op": name}
        if op.input_shape is not None:
            params = sample(op.input_shape, name)
            request = serializer.serialize_to_request(to_wire_input(params, op.input_shape), op)
            entry["input"] = params
            entry["body"] = request["body"].hex()
            entry["path"] = request["url_path"]
        if op.output_shape is not None:
            entry["output"] = sample(op.output_shape, name + "Out")
        result.append(entry)
    json.dump(result, sys.stdout)


def parse():
    parser = parsers.create_parser(PROTOCOL)
    result = []
    for item in json.load(sys.stdin):
        op = model.operation_model(item["op"])
        status = item.get("status", 200)
        response = {"body": bytes.fromhex(item["cbor"]), "headers": item.get("headers", {}), "status_code": status}
        parsed = parser.parse(response, op.output_shape if status == 200 else None)
        parsed.pop("ResponseMetadata", None)
        result.append(jsonable(parsed))
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    parse() if sys.argv[1:] == ["parse"] else make()
