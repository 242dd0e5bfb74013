"""Times a service scaled 0 -> N on the local engine (until runningCount N and the steady-state event) against
N `docker run -d` of the same image, cpu and memory at the same parallelism, in the same run; prints a table."""
import concurrent.futures
import datetime
import statistics
import subprocess
import sys
import time

import boto3

endpoint, image, count, parallel, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
ecs = boto3.client("ecs", endpoint_url=endpoint)
family = "berth-bench-svc"
command = ["sh", "-c", "trap 'exit 0' TERM; sleep 600 & wait $!"]
ecs.register_task_definition(family=family, containerDefinitions=[
    {"name": "app", "image": image, "memory": 32, "cpu": 16, "essential": True, "command": command, "stopTimeout": 2}])
for _ in range(300):
    if ecs.list_container_instances()["containerInstanceArns"]:
        break
    time.sleep(0.1)


def service():
    return ecs.describe_services(services=["bench"])["services"][0]


def wait_steady(desired, since):
    """Polls DescribeServices every 50 ms until runningCount = desired and a steady-state event newer than `since`."""
    while True:
        s = service()
        steady = any(e["message"].endswith("has reached a steady state.") and e["createdAt"] >= since for e in s["events"][:3])
        if s["runningCount"] == desired and s["pendingCount"] == 0 and steady:
            return
        time.sleep(0.05)


def remove(label):
    subprocess.run(f"docker ps -aq --filter label={label} | xargs -r docker rm -f", shell=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def berth_scale(desired):
    since = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(milliseconds=1)
    start = time.perf_counter()
    ecs.update_service(service="bench", desiredCount=desired)
    wait_steady(desired, since)
    return time.perf_counter() - start


def berth_round(n):
    took = berth_scale(n)
    # Down to 0 and every container gone (Berth removes them a minute later; the Docker side removes at once).
    berth_scale(0)
    remove(f"com.amazonaws.ecs.task-definition-family={family}")
    return took


def docker_round(n):
    def one(_):
        subprocess.run(["docker", "run", "-d", "--label", "berth-bench=services", "-m", "32m", "--memory-swap", "32m",
                        "--cpu-shares", "16", image] + command, check=True, stdout=subprocess.DEVNULL)
    start = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(parallel) as pool:
        list(pool.map(one, range(n)))
    took = time.perf_counter() - start
    remove("berth-bench=services")
    return took


since = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=1)
ecs.create_service(serviceName="bench", taskDefinition=family, desiredCount=0, launchType="EC2")
wait_steady(0, since)

# Warm-up, not measured: a small round on each side (JIT, the image's layers in the page cache).
docker_round(5)
berth_round(5)

docker_times, berth_times = [], []
for _ in range(rounds):
    docker_times.append(docker_round(count))
    berth_times.append(berth_round(count))

ecs.delete_service(service="bench", force=True)
d, b = statistics.median(docker_times), statistics.median(berth_times)
print(f"| launcher | {count} containers, rounds (s) | median s | containers/s |")
print("|---|---|---|---|")
print(f"| docker run -d ({parallel} parallel) | {' / '.join(f'{t:.2f}' for t in docker_times)} | {d:.2f} | {count / d:.1f} |")
print(f"| Berth service 0 → {count}, to steady state | {' / '.join(f'{t:.2f}' for t in berth_times)} | {b:.2f} | {count / b:.1f} |")
print()
print(f"Berth / docker: {b / d:.2f}x (goal <= 1.2x)")
