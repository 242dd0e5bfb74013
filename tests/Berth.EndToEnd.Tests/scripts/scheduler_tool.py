"""EventBridge Scheduler through boto3: `lifecycle GROUP` walks a group's schedules through list filters, paging,
tags and deletes and reports what each step answered; `bad_input` sends bad input to each operation and reports the
error code and HTTP status each got, and whether anything was written."""
import sys

import boto3
import botocore.config

from berth_common import ENDPOINT, REGION, call, emit

ROLE = "arn:aws:iam::000000000000:role/scheduler"
CLUSTER = f"arn:aws:ecs:{REGION}:000000000000:cluster/default"


def scheduler_client():
    cfg = botocore.config.Config(parameter_validation=False, retries={"max_attempts": 1, "mode": "standard"})
    return boto3.client("scheduler", endpoint_url=ENDPOINT, region_name=REGION, config=cfg)


def snapshot(sc):
    return {
        "schedules": call(sc.list_schedules)["response"]["Schedules"],
        "groups": [g["Name"] for g in call(sc.list_schedule_groups)["response"]["ScheduleGroups"]],
        "tags": call(sc.list_tags_for_resource, ResourceArn=GROUP_ARN)["response"]["Tags"],
    }


GROUP_ARN = f"arn:aws:scheduler:{REGION}:000000000000:schedule-group/bad-input-group"


def bad_input():
    sc = scheduler_client()
    target = {"Arn": CLUSTER, "RoleArn": ROLE, "EcsParameters": {"TaskDefinitionArn": "x"}}
    base = {"ScheduleExpression": "rate(1 day)", "FlexibleTimeWindow": {"Mode": "OFF"}, "Target": target}
    assert call(sc.create_schedule_group, Name="bad-input-group", Tags=[{"Key": "k", "Value": "v"}])["ok"]
    assert call(sc.create_schedule, Name="bad-input-base", GroupName="bad-input-group", **base)["ok"]
    before = snapshot(sc)
    cases = {
        "CreateSchedule bad name": (sc.create_schedule, dict(base, Name="a b")),
        "CreateSchedule exists": (sc.create_schedule, dict(base, Name="bad-input-base", GroupName="bad-input-group")),
        "CreateSchedule missing group": (sc.create_schedule, dict(base, Name="s1", GroupName="nope")),
        "CreateSchedule rate(1 minutes)": (sc.create_schedule, dict(base, Name="s1", ScheduleExpression="rate(1 minutes)")),
        "CreateSchedule bad at": (sc.create_schedule, dict(base, Name="s1", ScheduleExpression="at(2030-02-30T10:00:00)")),
        "CreateSchedule bad zone": (sc.create_schedule, dict(base, Name="s1", ScheduleExpressionTimezone="Mars/Olympus")),
        "CreateSchedule bad state": (sc.create_schedule, dict(base, Name="s1", State="PAUSED")),
        "CreateSchedule no window": (sc.create_schedule, {"Name": "s1", "ScheduleExpression": "rate(1 day)", "Target": target}),
        "CreateSchedule window 1441": (sc.create_schedule, dict(base, Name="s1", FlexibleTimeWindow={"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 1441})),
        "CreateSchedule flexible without window": (sc.create_schedule, dict(base, Name="s1", FlexibleTimeWindow={"Mode": "FLEXIBLE"})),
        "CreateSchedule bad role": (sc.create_schedule, dict(base, Name="s1", Target=dict(target, RoleArn="role"))),
        "CreateSchedule no target arn": (sc.create_schedule, dict(base, Name="s1", Target={"RoleArn": ROLE})),
        "CreateSchedule task count 11": (sc.create_schedule, dict(base, Name="s1", Target=dict(target, EcsParameters={"TaskDefinitionArn": "x", "TaskCount": 11}))),
        "CreateSchedule retry age 59": (sc.create_schedule, dict(base, Name="s1", Target=dict(target, RetryPolicy={"MaximumEventAgeInSeconds": 59}))),
        "CreateSchedule end before start": (sc.create_schedule, dict(base, Name="s1", StartDate=4102444800, EndDate=4102441200)),
        "CreateSchedule bad action": (sc.create_schedule, dict(base, Name="s1", ActionAfterCompletion="ARCHIVE")),
        "CreateSchedule universal without input": (sc.create_schedule, dict(base, Name="s1", Target={"Arn": "arn:aws:scheduler:::aws-sdk:ecs:runTask", "RoleArn": ROLE})),
        "CreateSchedule wrong type": (sc.create_schedule, dict(base, Name="s1", Description=5)),
        "GetSchedule missing": (sc.get_schedule, {"Name": "nope"}),
        "GetSchedule missing group": (sc.get_schedule, {"Name": "bad-input-base", "GroupName": "nope"}),
        "UpdateSchedule missing": (sc.update_schedule, dict(base, Name="nope")),
        "UpdateSchedule bad expression": (sc.update_schedule, dict(base, Name="bad-input-base", GroupName="bad-input-group", ScheduleExpression="cron(0 10 * * * *)")),
        "DeleteSchedule missing": (sc.delete_schedule, {"Name": "nope"}),
        "ListSchedules max 0": (sc.list_schedules, {"MaxResults": 0}),
        "ListSchedules bad token": (sc.list_schedules, {"NextToken": "garbage"}),
        "ListSchedules missing group": (sc.list_schedules, {"GroupName": "nope"}),
        "ListSchedules bad state": (sc.list_schedules, {"State": "PAUSED"}),
        "CreateScheduleGroup exists": (sc.create_schedule_group, {"Name": "bad-input-group"}),
        "CreateScheduleGroup default": (sc.create_schedule_group, {"Name": "default"}),
        "CreateScheduleGroup bad name": (sc.create_schedule_group, {"Name": "a/b"}),
        "GetScheduleGroup missing": (sc.get_schedule_group, {"Name": "nope"}),
        "DeleteScheduleGroup default": (sc.delete_schedule_group, {"Name": "default"}),
        "DeleteScheduleGroup missing": (sc.delete_schedule_group, {"Name": "nope"}),
        "TagResource bad arn": (sc.tag_resource, {"ResourceArn": "arn:aws:sqs:us-east-1:000000000000:q", "Tags": [{"Key": "a", "Value": "b"}]}),
        "TagResource missing group": (sc.tag_resource, {"ResourceArn": GROUP_ARN.replace("bad-input-group", "nope"), "Tags": [{"Key": "a", "Value": "b"}]}),
        "TagResource empty key": (sc.tag_resource, {"ResourceArn": GROUP_ARN, "Tags": [{"Key": "", "Value": "b"}]}),
        "UntagResource missing group": (sc.untag_resource, {"ResourceArn": GROUP_ARN.replace("bad-input-group", "nope"), "TagKeys": ["k"]}),
        "ListTagsForResource schedule arn": (sc.list_tags_for_resource, {"ResourceArn": f"arn:aws:scheduler:{REGION}:000000000000:schedule/default/x"}),
    }
    results = {}
    for name, (fn, args) in cases.items():
        r = call(fn, **args)
        results[name] = {"code": r.get("code"), "status": r.get("status"), "message": r.get("message")}
    after = snapshot(sc)
    emit({"results": results, "unchanged": before == after})


def lifecycle(group):
    sc = scheduler_client()
    arn = f"arn:aws:scheduler:{REGION}:000000000000:schedule-group/{group}"
    target = {"Arn": CLUSTER, "RoleArn": ROLE, "EcsParameters": {"TaskDefinitionArn": "x"}}
    out = {}
    out["tag"] = call(sc.tag_resource, ResourceArn=arn, Tags=[{"Key": "env", "Value": "test"}])["ok"]
    out["untag"] = call(sc.untag_resource, ResourceArn=arn, TagKeys=["team"])["ok"]
    out["tags"] = call(sc.list_tags_for_resource, ResourceArn=arn)["response"]["Tags"]
    out["groups"] = [g["Name"] for g in call(sc.list_schedule_groups)["response"]["ScheduleGroups"]]
    out["groupState"] = call(sc.get_schedule_group, Name=group)["response"]["State"]
    for name in ("beta", "gamma"):
        assert call(sc.create_schedule, Name=name, GroupName=group, ScheduleExpression="rate(1 day)", FlexibleTimeWindow={"Mode": "OFF"},
                    Target=target, State="DISABLED" if name == "beta" else "ENABLED")["ok"]
    out["prefix"] = [s["Name"] for s in call(sc.list_schedules, NamePrefix="gam", GroupName=group)["response"]["Schedules"]]
    out["disabled"] = [s["Name"] for s in call(sc.list_schedules, GroupName=group, State="DISABLED")["response"]["Schedules"]]
    page = call(sc.list_schedules, GroupName=group, MaxResults=2)["response"]
    out["page1"] = [s["Name"] for s in page["Schedules"]]
    out["page2"] = [s["Name"] for s in call(sc.list_schedules, GroupName=group, MaxResults=2, NextToken=page["NextToken"])["response"]["Schedules"]]
    out["summaryTarget"] = page["Schedules"][0]["Target"]
    out["conflict"] = call(sc.create_schedule, Name="beta", GroupName=group, ScheduleExpression="rate(1 day)", FlexibleTimeWindow={"Mode": "OFF"}, Target=target)
    out["deleteOne"] = call(sc.delete_schedule, Name="beta", GroupName=group)["ok"]
    out["getDeleted"] = call(sc.get_schedule, Name="beta", GroupName=group)
    out["deleteGroup"] = call(sc.delete_schedule_group, Name=group)["ok"]
    out["getGroup"] = call(sc.get_schedule_group, Name=group)
    out["left"] = [s["Name"] for s in call(sc.list_schedules, NamePrefix="gam")["response"]["Schedules"]]
    emit(out)


if __name__ == "__main__":
    {"bad_input": lambda: bad_input(), "lifecycle": lambda: lifecycle(sys.argv[2])}[sys.argv[1]]()
