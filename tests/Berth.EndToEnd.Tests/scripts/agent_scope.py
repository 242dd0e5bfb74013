"""What an agent's own key may do: argv is KEY-FILE (an agent's agent-key.json), then the victim's cluster, instance
ARN and task ARN. Prints one JSON object: each attempt's error code (or "OK")."""
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request

import boto3
import botocore.auth
import botocore.awsrequest
import botocore.config
import botocore.credentials
import botocore.exceptions

ENDPOINT = os.environ["BERTH_ENDPOINT"]
REGION = os.environ.get("AWS_DEFAULT_REGION", "us-east-1")
key = json.load(open(sys.argv[1]))
cluster, victim_instance, victim_task = sys.argv[2], sys.argv[3], sys.argv[4]
config = botocore.config.Config(retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=5, read_timeout=30)


def client(service):
    return boto3.client(service, endpoint_url=ENDPOINT, region_name=REGION, config=config,
                        aws_access_key_id=key["accessKeyId"], aws_secret_access_key=key["secretAccessKey"])


def attempt(fn, **kwargs):
    try:
        fn(**kwargs)
        return "OK"
    except botocore.exceptions.ClientError as e:
        return e.response["Error"]["Code"]


def channel(instance):
    """The agent channel of INSTANCE, signed with the key: the status and error type (the channel is a long GET)."""
    query = urllib.parse.urlencode({"cluster": cluster, "containerInstance": instance})
    url = f"{ENDPOINT}/_berth/agent/v1/channel?{query}"
    request = botocore.awsrequest.AWSRequest(method="GET", url=url)
    botocore.auth.SigV4Auth(botocore.credentials.Credentials(key["accessKeyId"], key["secretAccessKey"]), "ecs", REGION).add_auth(request)
    prepared = urllib.request.Request(url, headers=dict(request.headers.items()), method="GET")
    try:
        with urllib.request.urlopen(prepared, timeout=5) as response:
            return "OK"
    except urllib.error.HTTPError as e:
        return json.loads(e.read()).get("__type")


ecs = client("ecs")
identity = json.dumps({"instanceId": key["ec2InstanceId"]})
result = {
    "RegisterAsVictim": attempt(ecs.register_container_instance, cluster=cluster, containerInstanceArn=victim_instance, instanceIdentityDocument=identity),
    "RegisterInOtherCluster": attempt(ecs.register_container_instance, cluster="berth-fargate", instanceIdentityDocument=identity),
    "SubmitTaskStateChange": attempt(ecs.submit_task_state_change, cluster=cluster, task=victim_task, status="STOPPED", reason="not mine"),
    "SubmitContainerStateChange": attempt(ecs.submit_container_state_change, cluster=cluster, task=victim_task, containerName="main", status="STOPPED", exitCode=1),
    "StopTask": attempt(ecs.stop_task, cluster=cluster, task=victim_task),
    "RunTask": attempt(ecs.run_task, cluster=cluster, taskDefinition="anything"),
    "ListClusters": attempt(ecs.list_clusters),
    "DeregisterContainerInstance": attempt(ecs.deregister_container_instance, cluster=cluster, containerInstance=victim_instance, force=True),
    "GetAuthorizationToken": attempt(client("ecr").get_authorization_token),
    "CreateLogGroup": attempt(client("logs").create_log_group, logGroupName="not-a-task-group"),
    "DescribeLoadBalancers": attempt(client("elbv2").describe_load_balancers),
    "ListSchedules": attempt(client("scheduler").list_schedules),
    "ChannelOfVictim": channel(victim_instance),
}
print(json.dumps(result))
