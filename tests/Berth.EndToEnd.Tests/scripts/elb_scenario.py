"""Drives every ELBv2 operation Berth answers through boto3, as a user's program would, and reports what each call
returned (status, error code and message, response) as one JSON object keyed by step name."""
import json
import sys

import boto3
import botocore.config

from berth_common import ENDPOINT, REGION, call, emit, send, signed_request

elb = boto3.client("elbv2", endpoint_url=ENDPOINT, region_name=REGION,
                   config=botocore.config.Config(parameter_validation=False, retries={"max_attempts": 1}, read_timeout=30))
steps = {}


def step(name, fn, **kwargs):
    steps[name] = call(fn, **kwargs)
    return steps[name].get("response", {})


lb = step("create_lb", elb.create_load_balancer, Name="e2e-web", Subnets=["subnet-a", "subnet-b"], Scheme="internet-facing",
          Tags=[{"Key": "team", "Value": "berth"}])["LoadBalancers"][0]
lb_arn = lb["LoadBalancerArn"]
step("create_lb_again", elb.create_load_balancer, Name="e2e-web", Subnets=["subnet-a", "subnet-b"])
step("create_lb_duplicate", elb.create_load_balancer, Name="e2e-web", Scheme="internal")
step("create_lb_bad_name", elb.create_load_balancer, Name="bad_name!")
step("create_lb_2", elb.create_load_balancer, Name="e2e-web2", SubnetMappings=[{"SubnetId": "subnet-c"}])
step("describe_lb_by_name", elb.describe_load_balancers, Names=["e2e-web"])
step("describe_lb_by_arn", elb.describe_load_balancers, LoadBalancerArns=[lb_arn])
page1 = step("describe_lb_page1", elb.describe_load_balancers, Names=["e2e-web", "e2e-web2"], PageSize=1)
step("describe_lb_page2", elb.describe_load_balancers, Names=["e2e-web", "e2e-web2"], PageSize=1, Marker=page1.get("NextMarker"))
step("describe_lb_missing", elb.describe_load_balancers, Names=["e2e-none"])
step("set_subnets", elb.set_subnets, LoadBalancerArn=lb_arn, Subnets=["subnet-a", "subnet-b", "subnet-c"])
step("set_security_groups", elb.set_security_groups, LoadBalancerArn=lb_arn, SecurityGroups=["sg-1"])
step("set_ip_address_type", elb.set_ip_address_type, LoadBalancerArn=lb_arn, IpAddressType="dualstack")
step("account_limits", elb.describe_account_limits)
step("describe_lb_attributes", elb.describe_load_balancer_attributes, LoadBalancerArn=lb_arn)
step("modify_lb_attributes", elb.modify_load_balancer_attributes, LoadBalancerArn=lb_arn,
     Attributes=[{"Key": "idle_timeout.timeout_seconds", "Value": "120"}, {"Key": "routing.http.xff_header_processing.mode", "Value": "preserve"}])
step("modify_lb_attributes_bad", elb.modify_load_balancer_attributes, LoadBalancerArn=lb_arn, Attributes=[{"Key": "idle_timeout.timeout_seconds", "Value": "0"}])

tg = step("create_tg", elb.create_target_group, Name="e2e-blue", Protocol="HTTP", Port=8080, VpcId="vpc-1", TargetType="ip",
          Tags=[{"Key": "color", "Value": "blue"}])["TargetGroups"][0]
tg_arn = tg["TargetGroupArn"]
green_arn = step("create_tg_green", elb.create_target_group, Name="e2e-green", Protocol="HTTP", Port=80, VpcId="vpc-1",
                 HealthCheckPath="/health", HealthCheckIntervalSeconds=10, HealthCheckTimeoutSeconds=3, HealthyThresholdCount=2,
                 UnhealthyThresholdCount=3, Matcher={"HttpCode": "200-299"})["TargetGroups"][0]["TargetGroupArn"]
step("create_tg_bad_interval", elb.create_target_group, Name="e2e-bad", Protocol="HTTP", Port=80, VpcId="vpc-1", HealthCheckIntervalSeconds=400)
step("create_tg_bad_port_type", elb.create_target_group, Name="e2e-bad", Protocol="HTTP", Port="eighty", VpcId="vpc-1")
step("modify_tg", elb.modify_target_group, TargetGroupArn=tg_arn, HealthCheckPath="/ready", Matcher={"HttpCode": "200,204"})
step("describe_tg_attributes", elb.describe_target_group_attributes, TargetGroupArn=tg_arn)
step("modify_tg_attributes", elb.modify_target_group_attributes, TargetGroupArn=tg_arn, Attributes=[
    {"Key": "deregistration_delay.timeout_seconds", "Value": "30"}, {"Key": "load_balancing.algorithm.type", "Value": "least_outstanding_requests"},
    {"Key": "stickiness.enabled", "Value": "true"}, {"Key": "stickiness.type", "Value": "lb_cookie"}])
step("modify_tg_attributes_bad", elb.modify_target_group_attributes, TargetGroupArn=tg_arn, Attributes=[{"Key": "slow_start.duration_seconds", "Value": "10"}])
step("describe_tg_missing", elb.describe_target_groups, Names=["e2e-none"])

step("register", elb.register_targets, TargetGroupArn=tg_arn, Targets=[{"Id": "10.0.0.1", "Port": 8081}, {"Id": "10.0.0.2"}])
step("register_bad", elb.register_targets, TargetGroupArn=tg_arn, Targets=[{"Id": "i-0123456789abcdef0"}])
step("health_unused", elb.describe_target_health, TargetGroupArn=tg_arn)

listener = step("create_listener", elb.create_listener, LoadBalancerArn=lb_arn, Protocol="HTTP", Port=80,
                DefaultActions=[{"Type": "forward", "ForwardConfig": {"TargetGroups": [{"TargetGroupArn": tg_arn, "Weight": 3}, {"TargetGroupArn": green_arn, "Weight": 1}]}}],
                Tags=[{"Key": "l", "Value": "1"}])["Listeners"][0]
listener_arn = listener["ListenerArn"]
step("create_listener_duplicate", elb.create_listener, LoadBalancerArn=lb_arn, Protocol="HTTP", Port=80,
     DefaultActions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "200"}}])
redirect_arn = step("create_listener_redirect", elb.create_listener, LoadBalancerArn=lb_arn, Protocol="HTTP", Port=8000,
                    DefaultActions=[{"Type": "redirect", "RedirectConfig": {"Port": "80", "StatusCode": "HTTP_302"}}])["Listeners"][0]["ListenerArn"]
step("create_listener_missing_tg", elb.create_listener, LoadBalancerArn=lb_arn, Protocol="HTTP", Port=81,
     DefaultActions=[{"Type": "forward", "TargetGroupArn": tg_arn.replace("e2e-blue", "e2e-gone")}])
step("health_initial", elb.describe_target_health, TargetGroupArn=tg_arn)
step("describe_listeners", elb.describe_listeners, LoadBalancerArn=lb_arn)
step("modify_listener", elb.modify_listener, ListenerArn=redirect_arn, Port=8001,
     DefaultActions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "503", "ContentType": "text/plain", "MessageBody": "down"}}])
step("describe_tg_by_lb", elb.describe_target_groups, LoadBalancerArn=lb_arn)
step("delete_tg_in_use", elb.delete_target_group, TargetGroupArn=tg_arn)

api = step("create_rule", elb.create_rule, ListenerArn=listener_arn, Priority=10,
           Conditions=[{"Field": "path-pattern", "PathPatternConfig": {"Values": ["/api/*"]}},
                       {"Field": "http-request-method", "HttpRequestMethodConfig": {"Values": ["GET", "POST"]}}],
           Actions=[{"Type": "forward", "TargetGroupArn": green_arn}])["Rules"][0]["RuleArn"]
hosts = step("create_rule_2", elb.create_rule, ListenerArn=listener_arn, Priority=20,
             Conditions=[{"Field": "host-header", "Values": ["api.example.com"]},
                         {"Field": "http-header", "HttpHeaderConfig": {"HttpHeaderName": "X-Env", "Values": ["blue"]}},
                         {"Field": "query-string", "QueryStringConfig": {"Values": [{"Key": "v", "Value": "2"}]}},
                         {"Field": "source-ip", "SourceIpConfig": {"Values": ["10.0.0.0/8"]}}],
             Actions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "200", "ContentType": "application/json", "MessageBody": "{}"}}])["Rules"][0]["RuleArn"]
step("create_rule_priority_in_use", elb.create_rule, ListenerArn=listener_arn, Priority=10,
     Conditions=[{"Field": "path-pattern", "Values": ["/x"]}], Actions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404"}}])
step("create_rule_too_many_values", elb.create_rule, ListenerArn=listener_arn, Priority=30,
     Conditions=[{"Field": "path-pattern", "Values": ["/1", "/2", "/3", "/4", "/5", "/6"]}], Actions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404"}}])
step("modify_rule", elb.modify_rule, RuleArn=api, Conditions=[{"Field": "path-pattern", "Values": ["/v2/*"]}])
step("set_rule_priorities", elb.set_rule_priorities, RulePriorities=[{"RuleArn": api, "Priority": 20}, {"RuleArn": hosts, "Priority": 10}])
rules = step("describe_rules", elb.describe_rules, ListenerArn=listener_arn)
default_rule = [r for r in rules.get("Rules", []) if r.get("IsDefault")][0]["RuleArn"]
step("delete_default_rule", elb.delete_rule, RuleArn=default_rule)
step("delete_rule", elb.delete_rule, RuleArn=hosts)
step("describe_deleted_rule", elb.describe_rules, RuleArns=[hosts])

step("deregister", elb.deregister_targets, TargetGroupArn=tg_arn, Targets=[{"Id": "10.0.0.1", "Port": 8081}])
step("health_draining", elb.describe_target_health, TargetGroupArn=tg_arn)
step("deregister_unknown", elb.deregister_targets, TargetGroupArn=tg_arn, Targets=[{"Id": "10.9.9.9"}])

step("add_tags", elb.add_tags, ResourceArns=[lb_arn, tg_arn, listener_arn, api], Tags=[{"Key": "env", "Value": "e2e"}])
step("remove_tags", elb.remove_tags, ResourceArns=[lb_arn], TagKeys=["team"])
step("describe_tags", elb.describe_tags, ResourceArns=[lb_arn, tg_arn, listener_arn, api])
step("add_tags_duplicate", elb.add_tags, ResourceArns=[lb_arn], Tags=[{"Key": "a", "Value": "1"}, {"Key": "a", "Value": "2"}])

step("protect", elb.modify_load_balancer_attributes, LoadBalancerArn=lb_arn, Attributes=[{"Key": "deletion_protection.enabled", "Value": "true"}])
step("delete_lb_protected", elb.delete_load_balancer, LoadBalancerArn=lb_arn)
step("unprotect", elb.modify_load_balancer_attributes, LoadBalancerArn=lb_arn, Attributes=[{"Key": "deletion_protection.enabled", "Value": "false"}])
step("delete_listener", elb.delete_listener, ListenerArn=redirect_arn)
step("delete_lb", elb.delete_load_balancer, LoadBalancerArn=lb_arn)
step("describe_listeners_after", elb.describe_listeners, ListenerArns=[listener_arn])
step("delete_tg", elb.delete_target_group, TargetGroupArn=tg_arn)
step("describe_tg_after", elb.describe_target_groups, TargetGroupArns=[tg_arn])

# Raw requests: an unknown Action, and a malformed body, signed for elasticloadbalancing.
for name, body in [("unknown_action", "Action=LaunchRockets&Version=2015-12-01"), ("malformed", "Action=DescribeLoadBalancers&Version=2015-12-01&Names.member.1=%zz")]:
    raw = send(signed_request(None, body, service="elasticloadbalancing", content_type="application/x-www-form-urlencoded; charset=utf-8"))
    steps[name] = {"status": raw["status"], "requestId": raw["requestId"], "raw": raw["raw"]}

emit(steps)
