"""CloudWatch Logs checks for the end-to-end tests, with boto3 as a user's program would call the API.
   logs_tool.py events GROUP STREAM          -> every event of the stream, read with GetLogEvents paging from the head
   logs_tool.py verify GROUP STREAM N PREFIX -> whether the stream holds exactly PREFIX0..PREFIX(N-1), once each, in order
   logs_tool.py count GROUP STREAM           -> how many events the stream holds (0 when it does not exist yet)
   logs_tool.py bad_input                    -> every operation with bad input: the error each gets, and that nothing was written
Prints one JSON line."""
import json
import sys
import time

import boto3
import botocore.config
import botocore.exceptions

from berth_common import ENDPOINT, REGION, emit

logs = boto3.client("logs", endpoint_url=ENDPOINT, region_name=REGION,
                    config=botocore.config.Config(parameter_validation=False, retries={"max_attempts": 1}, read_timeout=60))


def all_events(group, stream):
    events, token = [], None
    while True:
        args = {"logGroupName": group, "logStreamName": stream, "startFromHead": True}
        if token:
            args["nextToken"] = token
        page = logs.get_log_events(**args)
        events.extend(page["events"])
        if page["nextForwardToken"] == token:
            return events
        token = page["nextForwardToken"]


def error_of(fn, **kwargs):
    try:
        fn(**kwargs)
        return {"ok": True}
    except botocore.exceptions.ClientError as e:
        return {"ok": False, "status": e.response["ResponseMetadata"]["HTTPStatusCode"], "code": e.response["Error"]["Code"], "message": e.response["Error"]["Message"]}


def bad_input():
    now = int(time.time() * 1000)
    g = f"/e2e/bad-{now}"
    logs.create_log_group(logGroupName=g)
    logs.create_log_stream(logGroupName=g, logStreamName="s")
    cases = {
        "CreateLogGroup bad name": (logs.create_log_group, {"logGroupName": "bad:name"}),
        "CreateLogGroup no name": (logs.create_log_group, {}),
        "CreateLogGroup exists": (logs.create_log_group, {"logGroupName": g}),
        "CreateLogGroup bad class": (logs.create_log_group, {"logGroupName": g + "-x", "logGroupClass": "CHEAP"}),
        "DeleteLogGroup missing": (logs.delete_log_group, {"logGroupName": g + "-missing"}),
        "DescribeLogGroups limit 0": (logs.describe_log_groups, {"limit": 0}),
        "DescribeLogGroups prefix and pattern": (logs.describe_log_groups, {"logGroupNamePrefix": "/e2e", "logGroupNamePattern": "e2e"}),
        "DescribeLogGroups bad token": (logs.describe_log_groups, {"nextToken": "nonsense"}),
        "CreateLogStream missing group": (logs.create_log_stream, {"logGroupName": g + "-missing", "logStreamName": "s"}),
        "CreateLogStream exists": (logs.create_log_stream, {"logGroupName": g, "logStreamName": "s"}),
        "CreateLogStream bad name": (logs.create_log_stream, {"logGroupName": g, "logStreamName": "a:b"}),
        "DeleteLogStream missing": (logs.delete_log_stream, {"logGroupName": g, "logStreamName": "missing"}),
        "DescribeLogStreams missing group": (logs.describe_log_streams, {"logGroupName": g + "-missing"}),
        "DescribeLogStreams prefix with LastEventTime": (logs.describe_log_streams, {"logGroupName": g, "orderBy": "LastEventTime", "logStreamNamePrefix": "s"}),
        "DescribeLogStreams bad orderBy": (logs.describe_log_streams, {"logGroupName": g, "orderBy": "Size"}),
        "PutLogEvents missing stream": (logs.put_log_events, {"logGroupName": g, "logStreamName": "missing", "logEvents": [{"timestamp": now, "message": "x"}]}),
        "PutLogEvents missing group": (logs.put_log_events, {"logGroupName": g + "-missing", "logStreamName": "s", "logEvents": [{"timestamp": now, "message": "x"}]}),
        "PutLogEvents no events": (logs.put_log_events, {"logGroupName": g, "logStreamName": "s", "logEvents": []}),
        "PutLogEvents out of order": (logs.put_log_events, {"logGroupName": g, "logStreamName": "s", "logEvents": [{"timestamp": now, "message": "b"}, {"timestamp": now - 1, "message": "a"}]}),
        "PutLogEvents over 24 h": (logs.put_log_events, {"logGroupName": g, "logStreamName": "s", "logEvents": [{"timestamp": now - 90_000_000, "message": "a"}, {"timestamp": now, "message": "b"}]}),
        "PutLogEvents too large": (logs.put_log_events, {"logGroupName": g, "logStreamName": "s", "logEvents": [{"timestamp": now, "message": "x" * 600_000}, {"timestamp": now, "message": "y" * 600_000}]}),
        "PutLogEvents empty message": (logs.put_log_events, {"logGroupName": g, "logStreamName": "s", "logEvents": [{"timestamp": now, "message": ""}]}),
        "PutLogEvents no timestamp": (logs.put_log_events, {"logGroupName": g, "logStreamName": "s", "logEvents": [{"message": "x"}]}),
        "PutLogEvents wrong type": (logs.put_log_events, {"logGroupName": g, "logStreamName": "s", "logEvents": [{"timestamp": "soon", "message": "x"}]}),
        "GetLogEvents missing stream": (logs.get_log_events, {"logGroupName": g, "logStreamName": "missing"}),
        "GetLogEvents bad token": (logs.get_log_events, {"logGroupName": g, "logStreamName": "s", "nextToken": "f/123/s"}),
        "GetLogEvents limit 10001": (logs.get_log_events, {"logGroupName": g, "logStreamName": "s", "limit": 10001}),
        "GetLogEvents name and identifier": (logs.get_log_events, {"logGroupName": g, "logGroupIdentifier": g, "logStreamName": "s"}),
        "FilterLogEvents missing group": (logs.filter_log_events, {"logGroupName": g + "-missing"}),
        "FilterLogEvents bad pattern": (logs.filter_log_events, {"logGroupName": g, "filterPattern": "{ $.level = "}),
        "FilterLogEvents names and prefix": (logs.filter_log_events, {"logGroupName": g, "logStreamNames": ["s"], "logStreamNamePrefix": "s"}),
        "FilterLogEvents bad token": (logs.filter_log_events, {"logGroupName": g, "nextToken": "x"}),
        "FilterLogEvents end before start": (logs.filter_log_events, {"logGroupName": g, "startTime": now, "endTime": now - 1}),
        "PutRetentionPolicy 2 days": (logs.put_retention_policy, {"logGroupName": g, "retentionInDays": 2}),
        "PutRetentionPolicy missing group": (logs.put_retention_policy, {"logGroupName": g + "-missing", "retentionInDays": 1}),
        "DeleteRetentionPolicy missing group": (logs.delete_retention_policy, {"logGroupName": g + "-missing"}),
        "TagResource bad arn": (logs.tag_resource, {"resourceArn": "arn:aws:ecs:us-east-1:000000000000:cluster/x", "tags": {"a": "b"}}),
        "TagResource missing group": (logs.tag_resource, {"resourceArn": f"arn:aws:logs:{REGION}:000000000000:log-group:{g}-missing", "tags": {"a": "b"}}),
        "TagResource aws: key": (logs.tag_resource, {"resourceArn": f"arn:aws:logs:{REGION}:000000000000:log-group:{g}", "tags": {"aws:x": "b"}}),
        "UntagResource missing group": (logs.untag_resource, {"resourceArn": f"arn:aws:logs:{REGION}:000000000000:log-group:{g}-missing", "tagKeys": ["a"]}),
        "ListTagsForResource missing group": (logs.list_tags_for_resource, {"resourceArn": f"arn:aws:logs:{REGION}:000000000000:log-group:{g}-missing"}),
    }
    results = {name: error_of(fn, **args) for name, (fn, args) in cases.items()}
    group = logs.describe_log_groups(logGroupNamePrefix=g)["logGroups"]
    written = {
        "groups": [x["logGroupName"] for x in group],
        "streams": [x["logStreamName"] for x in logs.describe_log_streams(logGroupName=g)["logStreams"]],
        "events": len(all_events(g, "s")),
        "retention": group[0].get("retentionInDays"),
        "tags": logs.list_tags_for_resource(resourceArn=f"arn:aws:logs:{REGION}:000000000000:log-group:{g}")["tags"],
    }
    return {"group": g, "results": results, "written": written}


def retention():
    """Events three days old and fresh ones; then a 1-day retention: the old ones go, storedBytes shrinks."""
    now = int(time.time() * 1000)
    g = f"/e2e/retention-{now}"
    logs.create_log_group(logGroupName=g)
    logs.create_log_stream(logGroupName=g, logStreamName="s")
    old = now - 3 * 86_400_000
    logs.put_log_events(logGroupName=g, logStreamName="s", logEvents=[{"timestamp": old + i, "message": f"old {i}"} for i in range(100)])
    logs.put_log_events(logGroupName=g, logStreamName="s", logEvents=[{"timestamp": now + i, "message": f"new {i}"} for i in range(10)])
    before = logs.describe_log_groups(logGroupNamePrefix=g)["logGroups"][0]["storedBytes"]
    logs.put_retention_policy(logGroupName=g, retentionInDays=1)
    deadline = time.time() + 30
    while time.time() < deadline:
        messages = [e["message"] for e in all_events(g, "s")]
        if len(messages) == 10:
            break
        time.sleep(0.2)
    group = logs.describe_log_groups(logGroupNamePrefix=g)["logGroups"][0]
    rejected = logs.put_log_events(logGroupName=g, logStreamName="s", logEvents=[{"timestamp": now - 2 * 86_400_000, "message": "expired"}, {"timestamp": now - 2 * 86_400_000 + 1, "message": "expired"}])
    return {"before": before, "after": group["storedBytes"], "retentionInDays": group.get("retentionInDays"), "messages": messages,
            "rejected": rejected.get("rejectedLogEventsInfo")}


command = sys.argv[1]
if command == "events":
    emit([{"timestamp": e["timestamp"], "message": e["message"], "ingestionTime": e["ingestionTime"]} for e in all_events(sys.argv[2], sys.argv[3])])
elif command == "count":
    try:
        emit({"count": len(all_events(sys.argv[2], sys.argv[3]))})
    except botocore.exceptions.ClientError:
        emit({"count": 0})
elif command == "verify":
    group, stream, n, prefix = sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
    messages = [e["message"] for e in all_events(group, stream)]
    expected = [f"{prefix}{i}" for i in range(n)]
    seen = {}
    for m in messages:
        seen[m] = seen.get(m, 0) + 1
    emit({
        "count": len(messages),
        "exact": messages == expected,
        "duplicates": sorted(m for m, c in seen.items() if c > 1)[:10],
        "missing": [m for m in expected if m not in seen][:10],
        "unexpected": [m for m in seen if not m.startswith(prefix)][:10],
    })
elif command == "bad_input":
    emit(bad_input())
elif command == "retention":
    emit(retention())
