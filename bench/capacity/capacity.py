"""Times a service of N tasks on an empty Auto Scaling group provider with managed scaling (scale-out included) against
the same N tasks on a group whose instances already run, in the same run; then the scale-in back to the minimum.
Prints a Markdown table."""
import math
import os
import statistics
import sys
import time

import boto3

endpoint, image, family, count, rounds = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
ecs = boto3.client("ecs", endpoint_url=endpoint)
asg = boto3.client("autoscaling", endpoint_url=endpoint)
per_instance = 4  # t3.micro: 1 GiB, four 256 MiB tasks
instances = math.ceil(count / per_instance)
command = ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1 & wait $!; done"]
ecs.register_task_definition(family=family, containerDefinitions=[
    {"name": "app", "image": image, "cpu": 256, "memory": 256, "essential": True, "command": command, "stopTimeout": 2}])


def setup(name, minimum, desired):
    """A cluster NAME with its own launch configuration, group and provider (managed scaling, termination protection)."""
    ecs.create_cluster(clusterName=name)
    # botocore base64-encodes the user data itself, as for EC2.
    user_data = f"#!/bin/bash\necho ECS_CLUSTER={name} >> /etc/ecs/ecs.config\n"
    asg.create_launch_configuration(LaunchConfigurationName=name, ImageId="ami-0berth", InstanceType="t3.micro", UserData=user_data)
    asg.create_auto_scaling_group(AutoScalingGroupName=name, LaunchConfigurationName=name, MinSize=minimum, MaxSize=instances,
                                  DesiredCapacity=desired, AvailabilityZones=["local-1a"])
    arn = asg.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"][0]["AutoScalingGroupARN"]
    ecs.create_capacity_provider(name=name + "-cp", autoScalingGroupProvider={
        "autoScalingGroupArn": arn, "managedTerminationProtection": "ENABLED",
        "managedScaling": {"status": "ENABLED", "targetCapacity": 100, "minimumScalingStepSize": 1, "maximumScalingStepSize": 10000, "instanceWarmupPeriod": 1}})
    ecs.put_cluster_capacity_providers(cluster=name, capacityProviders=[name + "-cp"], defaultCapacityProviderStrategy=[{"capacityProvider": name + "-cp", "weight": 1}])


def wait(what, check, limit=600):
    deadline = time.monotonic() + limit
    while not check():
        if time.monotonic() > deadline:
            raise SystemExit(f"bench: timed out waiting for {what}")
        time.sleep(0.05)


def registered(name):
    return len(ecs.list_container_instances(cluster=name, status="ACTIVE")["containerInstanceArns"])


def group(name):
    return asg.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"][0]


def all_running(name, service):
    s = ecs.describe_services(cluster=name, services=[service])["services"][0]
    return s["runningCount"] == count and s["pendingCount"] == 0


def run_service(name, service):
    """CreateService of N tasks → every task RUNNING; returns seconds and whether tasks were seen in PROVISIONING."""
    start = time.perf_counter()
    ecs.create_service(cluster=name, serviceName=service, taskDefinition=family, desiredCount=count)
    seen_waiting = 0
    while not all_running(name, service):
        arns = ecs.list_tasks(cluster=name, serviceName=service)["taskArns"]
        for i in range(0, len(arns), 100):
            tasks = ecs.describe_tasks(cluster=name, tasks=arns[i:i + 100])["tasks"]
            seen_waiting = max(seen_waiting, sum(1 for t in tasks if t["lastStatus"] == "PROVISIONING" and "containerInstanceArn" not in t))
        time.sleep(0.05)
    return time.perf_counter() - start, seen_waiting


def remove_service(name, service):
    ecs.delete_service(cluster=name, service=service, force=True)
    wait("the service's tasks to stop", lambda: not ecs.list_tasks(cluster=name, desiredStatus="RUNNING")["taskArns"]
         and all(t["lastStatus"] == "STOPPED" for t in describe_all(name)))


def describe_all(name):
    arns = ecs.list_tasks(cluster=name, desiredStatus="STOPPED")["taskArns"]
    return [t for i in range(0, len(arns), 100) for t in ecs.describe_tasks(cluster=name, tasks=arns[i:i + 100])["tasks"]]


warm, cold = "bench-existing", "bench-scaling"
setup(warm, instances, instances)
setup(cold, 0, 0)
wait("the existing capacity to register", lambda: registered(warm) == instances)

existing, scaled, scale_in, waited = [], [], [], []
for r in range(rounds):
    took, _ = run_service(warm, f"svc-{r}")
    existing.append(took)
    remove_service(warm, f"svc-{r}")

    wait("the scaling group at 0", lambda: group(cold)["DesiredCapacity"] == 0 and not group(cold)["Instances"] and registered(cold) == 0)
    took, seen = run_service(cold, f"svc-{r}")
    scaled.append(took)
    waited.append(seen)
    remove_service(cold, f"svc-{r}")
    start = time.perf_counter()
    wait("the scale-in to 0", lambda: group(cold)["DesiredCapacity"] == 0 and not group(cold)["Instances"])
    scale_in.append(time.perf_counter() - start)


def fmt(xs):
    return f"{statistics.median(xs):.1f} s (" + ", ".join(f"{x:.1f}" for x in xs) + ")"


launches = sum(1 for page in asg.get_paginator("describe_scaling_activities").paginate(AutoScalingGroupName=cold)
               for a in page["Activities"] if a["Description"].startswith("Launching"))
print(f"{count} tasks of 256 CPU / 256 MiB, t3.micro instances ({per_instance} tasks each, {instances} instances), {rounds} rounds; "
      f"BERTH_METRIC_PERIOD_SECONDS=1, --asg-interval 0.2, instanceWarmupPeriod=1, targetCapacity=100, maximumScalingStepSize=10000; "
      f"load average {os.getloadavg()[0]:.2f} at the end\n")
print("| | median (each round) |")
print("|---|---|")
print(f"| existing capacity ({instances} instances already running): CreateService → {count} RUNNING | {fmt(existing)} |")
print(f"| empty group, managed scaling 0 → {instances}: CreateService → {count} RUNNING | {fmt(scaled)} |")
print(f"| ratio scaled / existing | {statistics.median(scaled) / statistics.median(existing):.2f}× |")
print(f"| tasks seen in PROVISIONING with no instance (most at once) | {max(waited)} |")
print(f"| scale-in back to 0 after DeleteService (tasks STOPPED → group empty) | {fmt(scale_in)} |")
print(f"| instances launched by the scaling group over all rounds | {launches} (expected {instances * rounds}) |")
