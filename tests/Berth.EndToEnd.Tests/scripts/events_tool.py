"""EventBridge through boto3: `bad_input` sends bad input to each operation and reports the error code each got, and
whether anything was written."""
import json
import sys

import boto3
import botocore.config

from berth_common import ENDPOINT, REGION, call, emit


def events_client():
    cfg = botocore.config.Config(parameter_validation=False, retries={"max_attempts": 1, "mode": "standard"})
    return boto3.client("events", endpoint_url=ENDPOINT, region_name=REGION, config=cfg)


def bad_input():
    ev = events_client()
    cluster = f"arn:aws:ecs:{REGION}:000000000000:cluster/default"
    ecs_target = {"Id": "t1", "Arn": cluster, "EcsParameters": {"TaskDefinitionArn": "x"}}
    ok = call(ev.put_rule, Name="bad-input-base", ScheduleExpression="rate(1 day)")
    assert ok["ok"], ok
    before = call(ev.list_rules)["response"]["Rules"]
    cases = {
        "PutRule bad name": (ev.put_rule, {"Name": "a b", "ScheduleExpression": "rate(1 day)"}),
        "PutRule no schedule or pattern": (ev.put_rule, {"Name": "r1"}),
        "PutRule rate(1 minutes)": (ev.put_rule, {"Name": "r1", "ScheduleExpression": "rate(1 minutes)"}),
        "PutRule cron both days": (ev.put_rule, {"Name": "r1", "ScheduleExpression": "cron(0 10 * * * *)"}),
        "PutRule cron five fields": (ev.put_rule, {"Name": "r1", "ScheduleExpression": "cron(0 10 * * ?)"}),
        "PutRule schedule on custom bus": (ev.put_rule, {"Name": "r1", "ScheduleExpression": "rate(1 day)", "EventBusName": "nope"}),
        "PutRule bad pattern": (ev.put_rule, {"Name": "r1", "EventPattern": '{"source": "aws.ec2"}'}),
        "PutRule bad state": (ev.put_rule, {"Name": "r1", "ScheduleExpression": "rate(1 day)", "State": "PAUSED"}),
        "DescribeRule missing": (ev.describe_rule, {"Name": "nope"}),
        "EnableRule missing": (ev.enable_rule, {"Name": "nope"}),
        "DisableRule missing": (ev.disable_rule, {"Name": "nope"}),
        "PutTargets missing rule": (ev.put_targets, {"Rule": "nope", "Targets": [ecs_target]}),
        "PutTargets duplicate ids": (ev.put_targets, {"Rule": "bad-input-base", "Targets": [ecs_target, ecs_target]}),
        "PutTargets six": (ev.put_targets, {"Rule": "bad-input-base", "Targets": [dict(ecs_target, Id=f"t{i}") for i in range(6)]}),
        "RemoveTargets missing rule": (ev.remove_targets, {"Rule": "nope", "Ids": ["t1"]}),
        "ListTargetsByRule missing": (ev.list_targets_by_rule, {"Rule": "nope"}),
        "ListRules limit 0": (ev.list_rules, {"Limit": 0}),
        "ListRules bad token": (ev.list_rules, {"NextToken": "garbage"}),
        "ListRules missing bus": (ev.list_rules, {"EventBusName": "nope"}),
        "DescribeEventBus missing": (ev.describe_event_bus, {"Name": "nope"}),
        "CreateEventBus default": (ev.create_event_bus, {"Name": "default"}),
        "CreateEventBus bad name": (ev.create_event_bus, {"Name": "a b"}),
        "DeleteEventBus default": (ev.delete_event_bus, {"Name": "default"}),
        "TestEventPattern bad pattern": (ev.test_event_pattern, {"EventPattern": "[]", "Event": "{}"}),
        "TestEventPattern bad event": (ev.test_event_pattern, {"EventPattern": '{"source": ["a"]}', "Event": '{"source": "a"}'}),
        "TagResource missing rule": (ev.tag_resource, {"ResourceARN": f"arn:aws:events:{REGION}:000000000000:rule/nope", "Tags": [{"Key": "k", "Value": "v"}]}),
        "ListTagsForResource bad arn": (ev.list_tags_for_resource, {"ResourceARN": "arn:aws:sqs:us-east-1:000000000000:q"}),
        "PutEvents no entries": (ev.put_events, {"Entries": []}),
        "PutRule wrong type": (ev.put_rule, {"Name": "r1", "ScheduleExpression": 5}),
    }
    results = {}
    for name, (fn, args) in cases.items():
        r = call(fn, **args)
        results[name] = {"code": r.get("code"), "status": r.get("status"), "message": r.get("message")}
    after = call(ev.list_rules)["response"]["Rules"]
    targets = call(ev.list_targets_by_rule, Rule="bad-input-base")["response"]["Targets"]
    # Per-entry failures: reported, and the good entries still put.
    partial = call(ev.put_targets, Rule="bad-input-base", Targets=[
        {"Id": "good", "Arn": cluster, "EcsParameters": {"TaskDefinitionArn": "x"}},
        {"Id": "bad", "Arn": cluster, "EcsParameters": {"TaskDefinitionArn": "x", "TaskCount": 0}}])
    events = call(ev.put_events, Entries=[
        {"Source": "shop", "DetailType": "order", "Detail": '{"id": 1}'},
        {"Source": "shop", "DetailType": "order", "Detail": "not json"},
        {"DetailType": "order", "Detail": "{}"}])
    matched = call(ev.test_event_pattern, EventPattern='{"source": ["shop"], "detail": {"n": [{"numeric": [">", 1]}]}}',
                   Event=json.dumps({"id": "1", "account": "000000000000", "source": "shop", "time": "2026-12-02T10:00:00Z",
                                     "region": REGION, "resources": [], "detail-type": "order", "detail": {"n": 2}}))
    delete_with_targets = call(ev.delete_rule, Name="bad-input-base")
    emit({"results": results, "unchanged": before == after, "targets": targets, "partial": partial, "events": events,
          "matched": matched, "deleteWithTargets": delete_with_targets})


if __name__ == "__main__":
    {"bad_input": bad_input}[sys.argv[1]]()
