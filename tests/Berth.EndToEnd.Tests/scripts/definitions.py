"""The task definitions the durability scripts register: deterministic per index, so a reader can check every member."""

FAMILIES = ["alpha", "beta", "gamma"]


def definition(prefix, i):
    return {
        "family": f"{prefix}-{FAMILIES[i % len(FAMILIES)]}",
        "networkMode": "bridge",
        "containerDefinitions": [
            {
                "name": "app",
                "image": f"registry.example/app:{i}",
                "essential": True,
                "memory": 128,
                "cpu": 64,
                "portMappings": [{"containerPort": 8000 + i % 100, "hostPort": 0, "protocol": "tcp"}],
                "environment": [{"name": "IDX", "value": str(i)}, {"name": "PAD", "value": "x" * 200}],
                "command": ["serve", f"--index={i}"],
                "healthCheck": {"command": ["CMD", "true"], "interval": 30, "timeout": 5, "retries": 3},
                "dependsOn": [{"containerName": "init", "condition": "COMPLETE"}],
            },
            {"name": "init", "image": "busybox", "essential": False, "memory": 32, "command": ["true"]},
        ],
        "volumes": [{"name": f"vol-{i}"}],
        "tags": [{"key": "i", "value": str(i)}],
    }
