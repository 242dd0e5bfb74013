"""The logs benchmark's driver (see bench/logs/run): json-file alone, then Berth end to end, then aws logs tail."""
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import urllib.request

import boto3
import botocore.auth
import botocore.awsrequest
import botocore.credentials

endpoint, image, duration, poll_ms = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
region = os.environ["AWS_DEFAULT_REGION"]
# awslogs' delivery mode: blocking holds the container to what is delivered, non-blocking lets it run ahead.
mode = os.environ.get("BENCH_MODE", "blocking")
credentials = botocore.credentials.Credentials(os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"])
ecs = boto3.client("ecs", endpoint_url=endpoint, region_name=region)
# The writer: numbered lines as fast as busybox sh writes them, stopped after the duration.
writer = f"timeout {duration} sh -c 'i=0; while :; do echo line$i; i=$((i+1)); done'; true"


def cpu_seconds(pid):
    """User + system CPU seconds a process (with its exited, waited-for children) has used, from /proc."""
    if not pid:
        return float("nan")
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def machine_busy():
    """(busy, total) jiffies of every core, from /proc/stat: a phase's share of the machine it kept busy."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


def busy_share(before, after):
    return (after[0] - before[0]) / max(1, after[1] - before[1])


def load():
    with open("/proc/loadavg") as f:
        return f.read().split()[0]


def docker(*args):
    return subprocess.run(["docker", *args], check=True, capture_output=True, text=True).stdout


def logs_call(operation, body):
    """A signed CloudWatch Logs call; plain JSON parsing keeps the poller cheap next to what it measures."""
    data = json.dumps(body).encode()
    request = botocore.awsrequest.AWSRequest(method="POST", url=endpoint + "/", data=data, headers={
        "X-Amz-Target": "Logs_20140328." + operation, "Content-Type": "application/x-amz-json-1.1"})
    botocore.auth.SigV4Auth(credentials, "logs", region).add_auth(request)
    prepared = request.prepare()
    with urllib.request.urlopen(urllib.request.Request(prepared.url, data=data, headers=dict(prepared.headers), method="POST"), timeout=60) as response:
        return json.loads(response.read())


def json_file_alone():
    cid = docker("run", "-d", "--label", "berth-bench=logs", "--log-driver", "json-file", image, "sh", "-c", writer).strip()
    docker("wait", cid)
    # Count what the driver took: the container's lines in its json-file, read through docker logs.
    count = int(subprocess.run(f"docker logs {cid} 2>/dev/null | wc -l", shell=True, check=True, capture_output=True, text=True).stdout)
    docker("rm", "-f", cid)
    return count


timings = {}


def berth_end_to_end():
    group = "/bench/logs"
    ecs.register_task_definition(family="berth-bench-logs", containerDefinitions=[{
        "name": "writer", "image": image, "memory": 64, "command": ["sh", "-c", writer],
        "logConfiguration": {"logDriver": "awslogs", "options": {
            "awslogs-group": group, "awslogs-region": region, "awslogs-stream-prefix": "bench", "awslogs-create-group": "true",
            "mode": mode}}}])
    task = ecs.run_task(taskDefinition="berth-bench-logs")["tasks"][0]["taskArn"]
    stream = "bench/writer/" + task.rsplit("/", 1)[1]
    seen, lags, visible_at, stored_lags = set(), [], [], []
    messages = []
    after = None
    stopped_at = None
    started = time.time()
    while True:
        body = {"logGroupName": group, "logStreamNames": [stream]}
        if after is not None:
            body["startTime"] = after
        new = 0
        token = None
        try:
            while True:
                if token:
                    body["nextToken"] = token
                page = logs_call("FilterLogEvents", body)
                now = time.time() * 1000
                for e in page.get("events", []):
                    if e["eventId"] in seen:
                        continue
                    seen.add(e["eventId"])
                    lags.append(now - e["timestamp"])
                    # Stored: CloudWatch's ingestionTime, apart from this poller's own pace.
                    stored_lags.append(e["ingestionTime"] - e["timestamp"])
                    visible_at.append(now)
                    messages.append(e["message"])
                    after = e["timestamp"] if after is None else max(after, e["timestamp"])
                    new += 1
                token = page.get("nextToken")
                if not token:
                    break
        except urllib.error.HTTPError as error:
            if error.code != 400:  # the group and stream exist once the container started
                raise
        if stopped_at is None:
            described = ecs.describe_tasks(tasks=[task])["tasks"][0]
            if described["lastStatus"] == "STOPPED":
                stopped_at = time.time()
                # STOPPED is reported once every line is stored: the agent's shipping rate, apart from this poller's.
                timings["shipped_s"] = (described["executionStoppedAt"] - described["startedAt"]).total_seconds()
        elif stopped_at is not None and new == 0:
            break
        if time.time() - started > duration * 20:
            raise SystemExit("bench: the task did not stop")
        time.sleep(poll_ms / 1000)
    global stream_checked
    stream_checked = (group, stream)
    return messages, lags, visible_at, stored_lags


def stream_in_order(group, stream):
    """The stream itself, read with GetLogEvents from its head: (numbers ascending, how many, how many skipped)."""
    body, token, out = {"logGroupName": group, "logStreamName": stream, "startFromHead": True}, None, []
    while True:
        if token:
            body["nextToken"] = token
        page = logs_call("GetLogEvents", body)
        out.extend(e["message"] for e in page["events"])
        if not page["events"] or page.get("nextForwardToken") == token:
            break
        token = page.get("nextForwardToken")
    numbered = [int(m[4:]) for m in out if m.startswith("line")]
    missing = (max(numbered) + 1 - len(set(numbered))) if numbered else 0
    return numbered == sorted(numbered), len(numbered), missing


def tail_latency():
    """aws logs tail --follow (AWS CLI v2): seconds from a PutLogEvents to the line on tail's output."""
    aws = "/usr/bin/aws"
    if not os.path.exists(aws):
        return None
    logs_call("CreateLogGroup", {"logGroupName": "/bench/tail"})
    logs_call("CreateLogStream", {"logGroupName": "/bench/tail", "logStreamName": "s"})
    tail = subprocess.Popen([aws, "logs", "tail", "/bench/tail", "--follow", "--format", "short", "--endpoint-url", endpoint],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        time.sleep(2)
        put = time.time()
        logs_call("PutLogEvents", {"logGroupName": "/bench/tail", "logStreamName": "s", "logEvents": [{"timestamp": int(put * 1000), "message": "tail-marker"}]})
        result = {}

        def read():
            for line in tail.stdout:
                if "tail-marker" in line:
                    result["at"] = time.time()
                    return

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        reader.join(timeout=30)
        return result["at"] - put if "at" in result else float("inf")
    finally:
        tail.kill()


def pct(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))] if ordered else float("nan")


server_pid = os.environ.get("BENCH_SERVER_PID")
load_alone = [load()]
busy_before = machine_busy()
alone = json_file_alone()
busy_alone = busy_share(busy_before, machine_busy())
load_alone.append(load())
cpu_before = cpu_seconds(server_pid)
busy_before = machine_busy()
messages, lags, visible_at, stored_lags = berth_end_to_end()
busy_berth = busy_share(busy_before, machine_busy())
cpu_berth = cpu_seconds(server_pid) - cpu_before
load_berth = [load_alone[-1], load()]
# busybox's timeout says "Terminated" when it stops the writer: output like any other, not one of the numbered lines.
numbered = [m for m in messages if m != "Terminated"]
n = len(numbered)
exact = numbered == [f"line{i}" for i in range(n)] and len(set(messages)) == len(messages)
half = len(lags) // 2
tail = tail_latency()
rate_alone = alone / duration
rate_written = n / duration
# Berth's rate: lines visible through FilterLogEvents per second, from the first line written to the last one visible.
window = (visible_at[-1] - (visible_at[0] - lags[0])) / 1000 if n > 1 else float("nan")
rate_berth = n / window
print()
print(f"| measure | json-file alone | Berth end to end (mode {mode}) |")
print(f"| --- | ---: | ---: |")
print(f"| lines the container wrote in {duration} s | {alone:,} | {n:,} |")
print(f"| lines/s the container wrote | {rate_alone:,.0f} | {rate_written:,.0f} ({rate_written / rate_alone:.2f}×) |")
print(f"| lines/s taken (json-file) / visible through FilterLogEvents (Berth) | {rate_alone:,.0f} | {rate_berth:,.0f} ({rate_berth / rate_alone:.2f}×) |")
print(f"| lines/s stored (started → STOPPED, which waits for the last line to be stored) | — | {n / timings['shipped_s']:,.0f} ({n / timings['shipped_s'] / rate_alone:.2f}×) |")
print(f"| lag p50 / p99 (s), whole run | — | {pct(lags, 0.5) / 1000:.3f} / {pct(lags, 0.99) / 1000:.3f} |")
print(f"| lag p50 / p99 (s), first half / second half | — | {pct(lags[:half], 0.5) / 1000:.3f} / {pct(lags[:half], 0.99) / 1000:.3f}, {pct(lags[half:], 0.5) / 1000:.3f} / {pct(lags[half:], 0.99) / 1000:.3f} |")
print(f"| lag to storage (ingestionTime − timestamp) p50 / p99 (s), whole run | — | {pct(stored_lags, 0.5) / 1000:.3f} / {pct(stored_lags, 0.99) / 1000:.3f} |")
print(f"| lag to storage p50 / p99 (s), first half / second half | — | {pct(stored_lags[:half], 0.5) / 1000:.3f} / {pct(stored_lags[:half], 0.99) / 1000:.3f}, {pct(stored_lags[half:], 0.5) / 1000:.3f} / {pct(stored_lags[half:], 0.99) / 1000:.3f} |")
print(f"| Berth server CPU (agent in-process): seconds, µs per line | — | {cpu_berth:.1f}, {cpu_berth / max(n, 1) * 1e6:.1f} |")
print(f"| the machine's cores busy over the phase | {busy_alone:.0%} of {os.cpu_count()} | {busy_berth:.0%} of {os.cpu_count()} |")
print(f"| load average (1 min) at the phase's start / end | {load_alone[0]} / {load_alone[1]} | {load_berth[0]} / {load_berth[1]} |")
print(f"| every line once, in order | — | {'yes' if exact else 'NO'} |")
print(f"| aws logs tail --follow shows a new line after (s) | — | {'n/a (no /usr/bin/aws)' if tail is None else f'{tail:.2f}'} |")
print()
if not exact:
    expected = [f"line{i}" for i in range(n)]
    first = next((i for i in range(n) if numbered[i] != expected[i]), n)
    print(f"first difference at line {first}: {numbered[max(0, first - 2):first + 3]} (distinct {len(set(messages)):,} of {len(messages):,})")
    ordered, stored, missing = stream_in_order(*stream_checked)
    print(f"the stream itself (GetLogEvents from its head): {stored:,} lines, {'in order' if ordered else 'NOT in order'}, "
          f"{missing:,} numbers missing (non-blocking mode: lost when Docker's buffer was full)")
print(f"first line written to last line visible: {window:.1f} s for {duration} s of writing")
goal = rate_berth >= rate_alone and pct(lags, 0.5) < 1000 and pct(lags, 0.99) < 3000 and exact and (tail is None or tail <= 5.5)
print("goal (≥ 1.0× json-file's rate, lag p50 < 1 s, p99 < 3 s, tail within its 5 s poll):", "met" if goal else "NOT met")
