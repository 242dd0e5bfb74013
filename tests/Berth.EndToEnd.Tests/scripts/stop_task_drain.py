"""StopTask of a service task behind a load balancer, watched as a user would: from one process (so the watch is
finer than the deregistration delay), every 0.1 s until the task is STOPPED, it reads the task's lastStatus, its
target's state in DescribeTargetHealth, a request through the load balancer and a request straight to the task.

Usage: stop_task_drain.py CLUSTER TASK_ARN TARGET_GROUP_ARN TARGET_IP TARGET_PORT LB_DNS REASON
Prints one JSON object: the StopTask response's statuses, the timeline of (lastStatus, target state) changes, what the
load balancer and the task answered while the target was draining, and the stopped task."""
import json
import sys
import time
import urllib.error
import urllib.request

import boto3
import botocore.config

from berth_common import ENDPOINT, REGION, client

cluster, task_arn, group, ip, port, dns, reason = sys.argv[1:8]
ecs = client()
elb = boto3.client("elbv2", endpoint_url=ENDPOINT, region_name=REGION,
                   config=botocore.config.Config(retries={"max_attempts": 1}, read_timeout=30))


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode().strip()
    except urllib.error.HTTPError as e:
        return e.code, ""
    except OSError as e:
        return None, str(e)


stopped = ecs.stop_task(cluster=cluster, task=task_arn, reason=reason)["task"]
out = {"stop_response": [stopped["lastStatus"], stopped["desiredStatus"]], "timeline": [], "lb_ok": 0, "lb_failed": [],
       "lb_bodies_while_draining": [], "task_answers_while_draining": 0}
deadline = time.time() + 90
task = None
while time.time() < deadline:
    task = ecs.describe_tasks(cluster=cluster, tasks=[task_arn])["tasks"][0]
    states = [d["TargetHealth"]["State"] for d in elb.describe_target_health(TargetGroupArn=group)["TargetHealthDescriptions"]
              if d["Target"]["Id"] == ip and d["Target"].get("Port") == int(port)]
    seen = [task["lastStatus"], states[0] if states else None]
    if not out["timeline"] or out["timeline"][-1] != seen:
        out["timeline"].append(seen)
    if task["lastStatus"] == "STOPPED":
        break
    status, body = get(f"http://{dns}/")
    if status == 200:
        out["lb_ok"] += 1
    else:
        out["lb_failed"].append(f"{status} {body}")
    if seen[1] == "draining":
        out["lb_bodies_while_draining"].append(body)
        status, _ = get(f"http://{ip}:{port}/")
        out["task_answers_while_draining"] += 1 if status == 200 else 0
    time.sleep(0.1)
out["lb_bodies_while_draining"] = sorted(set(out["lb_bodies_while_draining"]))
out["stopped"] = {k: task.get(k) for k in ("lastStatus", "desiredStatus", "stoppedReason", "stopCode")}
print(json.dumps(out))
