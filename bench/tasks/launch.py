"""Measures RunTask -> RUNNING through Berth against `docker run -d` on the same engine, and prints a table."""
import concurrent.futures
import statistics
import subprocess
import sys
import time

import boto3

endpoint, image, sequential, parallel, batch = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
ecs = boto3.client("ecs", endpoint_url=endpoint)
command = ["sh", "-c", "sleep 600"]
ecs.register_task_definition(family="berth-bench", containerDefinitions=[
    {"name": "app", "image": image, "memory": 32, "essential": True, "command": command, "stopTimeout": 2}])

# Wait for the local agent to register.
for _ in range(100):
    if ecs.list_container_instances()["containerInstanceArns"]:
        break
    time.sleep(0.1)


def berth_launch():
    start = time.perf_counter()
    task = ecs.run_task(taskDefinition="berth-bench")["tasks"][0]["taskArn"]
    while True:
        status = ecs.describe_tasks(tasks=[task])["tasks"][0]["lastStatus"]
        if status == "RUNNING":
            return time.perf_counter() - start, task
        if status == "STOPPED":
            raise SystemExit(f"task {task} stopped")
        time.sleep(0.01)


def docker_launch():
    start = time.perf_counter()
    subprocess.run(["docker", "run", "-d", "--label", "berth-bench=tasks", "-m", "32m", "--memory-swap", "32m", "--cpu-shares", "2", image] + command,
                   check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start, None


def stop_all(tasks):
    tasks = [t for t in tasks if t]
    for t in tasks:
        ecs.stop_task(task=t)
    # Wait until they are gone so that stopping never overlaps the next measurement.
    while tasks:
        tasks = [t["taskArn"] for t in ecs.describe_tasks(tasks=tasks[:100])["tasks"] if t["lastStatus"] != "STOPPED"]
        time.sleep(0.1)
    # Berth removes a stopped task's containers a minute later; remove them now, as the Docker side does, so
    # that no removal overlaps the next measurement.
    subprocess.run("docker ps -aq --filter label=com.amazonaws.ecs.task-definition-family=berth-bench | xargs -r docker rm -f",
                   shell=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    subprocess.run("docker ps -aq --filter label=berth-bench=tasks | xargs -r docker rm -f", shell=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def docker_batch():
    with concurrent.futures.ThreadPoolExecutor(parallel) as pool:
        list(pool.map(lambda _: docker_launch(), range(batch)))
    return []


def berth_batch():
    # The same parallelism of launch calls; then one poller (not one per task, which would measure boto3's CPU).
    with concurrent.futures.ThreadPoolExecutor(parallel) as pool:
        tasks = list(pool.map(lambda _: ecs.run_task(taskDefinition="berth-bench")["tasks"][0]["taskArn"], range(batch)))
    pending = set(tasks)
    while pending:
        for t in ecs.describe_tasks(tasks=list(pending))["tasks"]:
            if t["lastStatus"] == "RUNNING":
                pending.discard(t["taskArn"])
            elif t["lastStatus"] == "STOPPED":
                raise SystemExit(f"task {t['taskArn']} stopped")
        # Every 0.1 s: at most 2 % of a ~5 s batch, counted against Berth, and little of boto3's CPU taken
        # from the engine the batch measures.
        time.sleep(0.1)
    return tasks


rows = []
for name, launch, run_batch in (("docker run -d", docker_launch, docker_batch), ("Berth RunTask→RUNNING", berth_launch, berth_batch)):
    # Warm-up, not measured: five launches, so that a fresh server's JIT is not what the first samples measure.
    stop_all([launch()[1] for _ in range(5)])
    latencies, tasks = [], []
    for _ in range(sequential):
        took, task = launch()
        latencies.append(took)
        tasks.append(task)
    stop_all(tasks)
    start = time.perf_counter()
    tasks = run_batch()
    rate = batch / (time.perf_counter() - start)
    stop_all(tasks)
    rows.append((name, statistics.median(latencies), pct(latencies, 99), rate))

print(f"| launcher | p50 s | p99 s | launches/s ({parallel} parallel, {batch} tasks) |")
print("|---|---|---|---|")
for name, p50, p99, rate in rows:
    print(f"| {name} | {p50:.3f} | {p99:.3f} | {rate:.2f} |")
docker_row, berth_row = rows
print()
print(f"Berth p50 overhead over docker run: {(berth_row[1] / docker_row[1] - 1) * 100:+.1f}% (goal < +15%)")
print(f"Berth launches/s vs docker run: {berth_row[3] / docker_row[3] * 100:.0f}% (goal >= 90%)")
