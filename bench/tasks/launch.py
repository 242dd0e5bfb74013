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
    subprocess.run(["docker", "run", "-d", "--label", "berth-bench=tasks", "-m", "32m", image] + command,
                   check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start, None


def stop_all(tasks):
    for t in tasks:
        if t:
            ecs.stop_task(task=t)
    subprocess.run("docker ps -aq --filter label=berth-bench=tasks | xargs -r docker rm -f", shell=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


rows = []
for name, launch in (("docker run -d", docker_launch), ("Berth RunTask→RUNNING", berth_launch)):
    launch()  # warm-up
    latencies, tasks = [], []
    for _ in range(sequential):
        took, task = launch()
        latencies.append(took)
        tasks.append(task)
    stop_all(tasks)
    start = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(parallel) as pool:
        results = list(pool.map(lambda _: launch(), range(batch)))
    rate = batch / (time.perf_counter() - start)
    stop_all([t for _, t in results])
    rows.append((name, statistics.median(latencies), pct(latencies, 99), rate))

print(f"| launcher | p50 s | p99 s | launches/s ({parallel} parallel, {batch} tasks) |")
print("|---|---|---|---|")
for name, p50, p99, rate in rows:
    print(f"| {name} | {p50:.3f} | {p99:.3f} | {rate:.2f} |")
docker_row, berth_row = rows
print()
print(f"Berth p50 overhead over docker run: {(berth_row[1] / docker_row[1] - 1) * 100:+.1f}% (goal < +15%)")
print(f"Berth launches/s vs docker run: {berth_row[3] / docker_row[3] * 100:.0f}% (goal >= 90%)")
