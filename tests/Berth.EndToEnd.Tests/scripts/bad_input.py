"""Bad input, as boto3 (client-side validation off) and raw signed HTTP send it. Prints one JSON object of cases."""
import json

from berth_common import TARGET_PREFIX, call, client, emit, send, signed_request

ecs = client(validate=False)
results = {}


def raw(name, operation, body):
    results[name] = send(signed_request(TARGET_PREFIX + operation, body))


def td_snapshot():
    arns = ecs.list_task_definitions(familyPrefix="e2e-bad")["taskDefinitionArns"]
    inactive = ecs.list_task_definitions(familyPrefix="e2e-bad", status="INACTIVE")["taskDefinitionArns"]
    families = ecs.list_task_definition_families(familyPrefix="e2e-bad", status="ALL")["families"]
    return {"active": arns, "inactive": inactive, "families": families}


# Malformed JSON and wrong member types never reach the operation.
raw("malformedJson", "ListClusters", '{"maxResults": 5,')
raw("notAnObject", "ListClusters", '[1, 2]')
raw("wrongMemberType", "ListClusters", '{"maxResults": "x"}')
raw("wrongNestedType", "RegisterTaskDefinition", '{"family": "e2e-bad", "containerDefinitions": {"name": "x"}}')
raw("emptyBody", "ListClusters", "")

# A required member missing.
raw("missingRequiredRaw", "DescribeTaskDefinition", "{}")
results["missingRequiredBoto"] = call(ecs.describe_task_definition)
results["missingRequiredUpdateCluster"] = call(ecs.update_cluster, settings=[])

# Out-of-range page sizes.
results["maxResults0"] = call(ecs.list_clusters, maxResults=0)
results["maxResults101"] = call(ecs.list_clusters, maxResults=101)
results["maxResults100"] = call(ecs.list_clusters, maxResults=100)
results["taskDefsMaxResults101"] = call(ecs.list_task_definitions, maxResults=101)
results["badNextToken"] = call(ecs.list_clusters, nextToken="not-a-token")

# Operations that do not exist.
raw("unknownTarget", "Frobnicate", "{}")
results["missingTarget"] = send(signed_request(None, "{}"))
results["otherServiceTarget"] = send(signed_request("DynamoDB_20120810.ListTables", "{}"))

# Unknown resources.
results["describeUnknownCluster"] = call(ecs.describe_clusters, clusters=["e2e-no-such-cluster"])
results["updateUnknownCluster"] = call(ecs.update_cluster, cluster="e2e-no-such-cluster", settings=[{"name": "containerInsights", "value": "enabled"}])
results["deleteUnknownCluster"] = call(ecs.delete_cluster, cluster="e2e-no-such-cluster")
results["describeUnknownTaskDef"] = call(ecs.describe_task_definition, taskDefinition="e2e-no-such-family:1")

# Invalid task definitions are refused and leave nothing behind.
before = td_snapshot()
container = {"name": "app", "image": "busybox", "memory": 64}
results["noEssential"] = call(ecs.register_task_definition, family="e2e-bad",
                              containerDefinitions=[dict(container, essential=False)])
results["duplicateNames"] = call(ecs.register_task_definition, family="e2e-bad",
                                 containerDefinitions=[container, dict(container)])
results["badFamily"] = call(ecs.register_task_definition, family="e2e-bad family!",
                            containerDefinitions=[container])
results["noContainers"] = call(ecs.register_task_definition, family="e2e-bad", containerDefinitions=[])
results["afterRefusals"] = td_snapshot()
results["beforeRefusals"] = before

# More than 1 MiB of body.
big = json.dumps({"clusterName": "e2e-big", "tags": [{"key": "k", "value": "v" * (1024 * 1024 + 16)}]})
results["oversized"] = send(signed_request(TARGET_PREFIX + "CreateCluster", big))
results["oversizedClusterAbsent"] = call(ecs.describe_clusters, clusters=["e2e-big"])

# Odd shapes: each must be a 4xx (or a 200), never a 500.
odd = {
    "nullClusters": ("DescribeClusters", '{"clusters": null}'),
    "nullInList": ("DescribeClusters", '{"clusters": [null]}'),
    "nullContainer": ("RegisterTaskDefinition", '{"family": "e2e-bad", "containerDefinitions": [null]}'),
    "emptyTag": ("TagResource", '{"resourceArn": "arn:aws:ecs:us-east-1:000000000000:cluster/x", "tags": [{}]}'),
    "hugeNumber": ("ListClusters", '{"maxResults": 1e30}'),
    "fraction": ("ListClusters", '{"maxResults": 1.5}'),
    "deepNesting": ("ListClusters", '{"x": ' + "[" * 2000 + "]" * 2000 + "}"),
    "unknownMember": ("ListClusters", '{"noSuchMember": 1}'),
    "badArn": ("ListTagsForResource", '{"resourceArn": "arn:aws:ecs"}'),
    "invalidUtf8": ("CreateCluster", b'{"clusterName": "\xff\xfe"}'),
    "nulChar": ("CreateCluster", '{"clusterName": "a\\u0000b"}'),
    "numberAsName": ("CreateCluster", '{"clusterName": 5}'),
    "taskDefBadRevision": ("DescribeTaskDefinition", '{"taskDefinition": "fam:-1"}'),
    "taskDefRevisionOverflow": ("DescribeTaskDefinition", '{"taskDefinition": "fam:99999999999"}'),
    "deleteTaskDefsEmpty": ("DeleteTaskDefinitions", '{"taskDefinitions": []}'),
    "hugeContainerMemory": ("RegisterTaskDefinition", '{"family": "e2e-odd", "containerDefinitions": [{"name": "a", "image": "b", "memory": 2147483647, "essential": true}]}'),
    "putAttributesNoCluster": ("PutAttributes", '{"attributes": [{"name": "a", "targetId": "x"}]}'),
    "listAttributesBadType": ("ListAttributes", '{"targetType": "task"}'),
}
results["odd"] = {}
for name, (operation, body) in odd.items():
    raw_body = body if isinstance(body, bytes) else body.encode("utf-8")
    results["odd"][name] = send(signed_request(TARGET_PREFIX + operation, raw_body))

emit(results)
