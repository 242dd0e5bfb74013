"""Checks, after a restart, that every acknowledged write from load.py is there and every stored revision is complete.

Usage: verify.py PREFIX ACKS_JSON_FILE. Prints a JSON report; "problems" must be empty.
"""
import json
import sys

from berth_common import client, emit
from definitions import FAMILIES, definition

prefix, path = sys.argv[1], sys.argv[2]
with open(path, encoding="utf-8") as f:
    acks = json.load(f)["acks"]
ecs = client()
problems = []

clusters = [a for a in acks if a["kind"] == "cluster"]
for start in range(0, len(clusters), 100):
    batch = clusters[start:start + 100]
    found = ecs.describe_clusters(clusters=[a["name"] for a in batch], include=["TAGS"])
    by_name = {c["clusterName"]: c for c in found["clusters"]}
    for a in batch:
        c = by_name.get(a["name"])
        if c is None:
            problems.append(f"acknowledged cluster {a['name']} is missing")
        elif c["status"] != "ACTIVE" or c.get("tags") != [{"key": "i", "value": str(a["i"])}]:
            problems.append(f"cluster {a['name']} came back as {c}")

# ListTaskDefinitions' familyPrefix is the full family name (as in ECS), so walk the families first.
listed = []
for families in ecs.get_paginator("list_task_definition_families").paginate(familyPrefix=prefix + "-", status="ALL"):
    for family in families["families"]:
        for page in ecs.get_paginator("list_task_definitions").paginate(familyPrefix=family):
            listed.extend(page["taskDefinitionArns"])

revisions = {}
complete = 0
for arn in listed:
    described = ecs.describe_task_definition(taskDefinition=arn, include=["TAGS"])
    td = described["taskDefinition"]
    revisions.setdefault(td["family"], []).append(td["revision"])
    env = {e["name"]: e["value"] for e in td["containerDefinitions"][0].get("environment", [])}
    i = int(env.get("IDX", "-1"))
    want = definition(prefix, i) if i >= 0 else None
    if want is None or td["family"] != want["family"]:
        problems.append(f"{arn} is not a definition load.py sent: {td}")
        continue
    app, init = td["containerDefinitions"]
    ok = (
        app["image"] == want["containerDefinitions"][0]["image"]
        and app["command"] == want["containerDefinitions"][0]["command"]
        and app["healthCheck"]["command"] == ["CMD", "true"]
        and app["dependsOn"] == want["containerDefinitions"][0]["dependsOn"]
        and app["portMappings"][0]["containerPort"] == want["containerDefinitions"][0]["portMappings"][0]["containerPort"]
        and env.get("PAD") == "x" * 200
        and init["name"] == "init" and init["image"] == "busybox"
        and td["volumes"] == want["volumes"]
        and described.get("tags") == want["tags"]
        and td["status"] == "ACTIVE"
    )
    if not ok:
        problems.append(f"{arn} is incomplete: {described}")
    else:
        complete += 1

for family, numbers in revisions.items():
    if sorted(numbers) != list(range(1, len(numbers) + 1)):
        problems.append(f"{family} revisions are not 1..n: {sorted(numbers)}")

acked_arns = set()
for a in acks:
    if a["kind"] == "td":
        acked_arns.add(a["arn"])
missing = sorted(acked_arns - set(listed))
for arn in missing:
    problems.append(f"acknowledged revision {arn} is missing")

emit({
    "problems": problems,
    "ackedClusters": len(clusters),
    "ackedRevisions": len(acked_arns),
    "listedRevisions": len(listed),
    "completeRevisions": complete,
    "families": {k: len(v) for k, v in revisions.items()},
})
