"""Measures RunTask -> RUNNING through Berth against `docker run -d` on the same engine, and prints a table.

Each round runs both launchers (the order alternates between rounds, so neither always runs on a warmer engine):
`sequential` launches one after another, then `batch` launches with `parallel` in flight. Everything is stopped
and removed between phases so that no teardown overlaps a measurement.

Berth's time to RUNNING is read two ways:
- RUNNING: the task's startedAt, which the server stamps as it commits the agent's RUNNING report (the moment any
  DescribeTasks answers RUNNING), minus the moment just before the RunTask call. Same clock: one machine.
- seen: the moment a DescribeTasks poll (every POLL seconds) first answers RUNNING: RUNNING plus the poll's delay
  and the client's cost, which a caller pays however fast the server is.
Docker's time is `docker run -d` returning, which it does once the container has started.
"""
import concurrent.futures
import os
import statistics
import subprocess
import sys
import time

import boto3

endpoint, image = sys.argv[1], sys.argv[2]
sequential, parallel, batch, rounds = (int(a) for a in sys.argv[3:7])
POLL = int(os.environ.get("BENCH_POLL_MS", "20")) / 1000
ecs = boto3.client("ecs", endpoint_url=endpoint)
command = ["sh", "-c", "sleep 600"]
ecs.register_task_definition(family="berth-bench", containerDefinitions=[
    {"name": "app", "image": image, "memory": 32, "essential": True, "command": command, "stopTimeout": 2}])

# Wait for the local agent to register.
for _ in range(100):
    if ecs.list_container_instances()["containerInstanceArns"]:
        break
    time.sleep(0.1)


def wait_running(tasks, poll):
    """Polls until every task is RUNNING; returns {arn: (startedAt epoch seconds, seen epoch seconds)}."""
    pending, done = set(tasks), {}
    while pending:
        for chunk in [list(pending)[i:i + 100] for i in range(0, len(pending), 100)]:
            for t in ecs.describe_tasks(tasks=chunk)["tasks"]:
                if t["lastStatus"] == "RUNNING":
                    done[t["taskArn"]] = (t["startedAt"].timestamp(), time.time())
                    pending.discard(t["taskArn"])
                elif t["lastStatus"] == "STOPPED":
                    raise SystemExit(f"task {t['taskArn']} stopped: {t.get('stoppedReason')}")
        if pending:
            time.sleep(poll)
    return done


def berth_launch():
    start = time.time()
    task = ecs.run_task(taskDefinition="berth-bench")["tasks"][0]["taskArn"]
    started, seen = wait_running([task], POLL)[task]
    return started - start, seen - start, task


def docker_launch():
    start = time.time()
    subprocess.run(["docker", "run", "-d", "--label", "berth-bench=tasks", "-m", "32m", "--memory-swap", "32m", "--cpu-shares", "2", image] + command,
                   check=True, stdout=subprocess.DEVNULL)
    took = time.time() - start
    return took, took, None


def docker_batch(count):
    start = time.time()
    with concurrent.futures.ThreadPoolExecutor(parallel) as pool:
        list(pool.map(lambda _: docker_launch(), range(count)))
    took = time.time() - start
    return took, took, []


def berth_batch(count):
    # The same parallelism of launch calls; then one poller (not one per task, which would measure boto3's CPU),
    # every 0.1 s so that it takes little CPU from the engine the batch measures.
    start = time.time()
    with concurrent.futures.ThreadPoolExecutor(parallel) as pool:
        tasks = list(pool.map(lambda _: ecs.run_task(taskDefinition="berth-bench")["tasks"][0]["taskArn"], range(count)))
    done = wait_running(tasks, 0.1)
    return max(s for s, _ in done.values()) - start, max(v for _, v in done.values()) - start, tasks


def stop_all(tasks):
    tasks = [t for t in tasks if t]
    for t in tasks:
        ecs.stop_task(task=t)
    # Wait until they are gone so that stopping never overlaps the next measurement.
    while tasks:
        tasks = [t["taskArn"] for t in ecs.describe_tasks(tasks=tasks[:100])["tasks"] if t["lastStatus"] != "STOPPED"] + tasks[100:]
        time.sleep(0.1)
    # Berth removes a stopped task's containers a minute later; remove them now, as the Docker side does, so
    # that no removal overlaps the next measurement.
    for label in ("com.amazonaws.ecs.task-definition-family=berth-bench", "berth-bench=tasks"):
        subprocess.run(f"docker ps -aq --filter label={label} | xargs -r docker rm -f", shell=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


sides = {"docker": (docker_launch, docker_batch), "berth": (berth_launch, berth_batch)}
results = {name: {"running": [], "seen": [], "rate": [], "rate_seen": []} for name in sides}

# Warm-up, not measured: five launches and one small batch on each side, so that a fresh server's JIT (and the
# engine's first containers) are not what the first samples measure.
for name, (launch, run_batch) in sides.items():
    stop_all([launch()[2] for _ in range(5)])
    stop_all(run_batch(2 * parallel)[2])

for r in range(rounds):
    for name in (("docker", "berth") if r % 2 == 0 else ("berth", "docker")):
        launch, run_batch = sides[name]
        tasks = []
        for _ in range(sequential):
            running, seen, task = launch()
            results[name]["running"].append(running)
            results[name]["seen"].append(seen)
            tasks.append(task)
        stop_all(tasks)
        running, seen, tasks = run_batch(batch)
        results[name]["rate"].append(batch / running)
        results[name]["rate_seen"].append(batch / seen)
        stop_all(tasks)
        print(f"round {r + 1} {name}: p50 {statistics.median(results[name]['running'][-sequential:]):.3f} s, "
              f"{batch / running:.2f} launches/s", file=sys.stderr, flush=True)

d, b = results["docker"], results["berth"]
print(f"{rounds} rounds; each: {sequential} sequential launches, then {batch} with {parallel} in flight. Berth's DescribeTasks poll: every {POLL * 1000:.0f} ms (sequential), 100 ms (batch).")
print()
print(f"| launcher | p50 s | p99 s | launches/s ({parallel} parallel, {batch} tasks), rounds | median launches/s |")
print("|---|---|---|---|---|")
print(f"| docker run -d | {statistics.median(d['running']):.3f} | {pct(d['running'], 99):.3f} | {' / '.join(f'{x:.2f}' for x in d['rate'])} | {statistics.median(d['rate']):.2f} |")
print(f"| Berth RunTask → RUNNING | {statistics.median(b['running']):.3f} | {pct(b['running'], 99):.3f} | {' / '.join(f'{x:.2f}' for x in b['rate'])} | {statistics.median(b['rate']):.2f} |")
print(f"| Berth RunTask → RUNNING seen by polling | {statistics.median(b['seen']):.3f} | {pct(b['seen'], 99):.3f} | {' / '.join(f'{x:.2f}' for x in b['rate_seen'])} | {statistics.median(b['rate_seen']):.2f} |")
print()
overhead = statistics.median(b["running"]) / statistics.median(d["running"]) - 1
rate = statistics.median(b["rate"]) / statistics.median(d["rate"])
print(f"Berth p50 overhead over docker run: {overhead * 100:+.1f}% (goal < +15%); seen by polling: {(statistics.median(b['seen']) / statistics.median(d['running']) - 1) * 100:+.1f}%")
print(f"Berth launches/s vs docker run: {rate * 100:.0f}% (goal >= 90%); seen by polling: {statistics.median(b['rate_seen']) / statistics.median(d['rate']) * 100:.0f}%")
print(f"goal: {'met' if overhead < 0.15 and rate >= 0.9 else 'NOT met'}")
