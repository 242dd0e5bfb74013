"""Runs a list of calls to any service read as JSON from stdin ([{"service": "application-autoscaling", "op": "describe_scalable_targets", "args": {...}}, ...]; the service defaults to ecs) and prints what each returned."""
import json
import sys

import boto3
import botocore.config

from berth_common import ENDPOINT, REGION, call, emit

clients = {}


def client_for(service):
    if service not in clients:
        cfg = botocore.config.Config(parameter_validation=False, retries={"max_attempts": 1, "mode": "standard"})
        clients[service] = boto3.client(service, endpoint_url=ENDPOINT, region_name=REGION, config=cfg)
    return clients[service]


emit([call(getattr(client_for(item.get("service", "ecs")), item["op"]), **item.get("args", {})) for item in json.load(sys.stdin)])
