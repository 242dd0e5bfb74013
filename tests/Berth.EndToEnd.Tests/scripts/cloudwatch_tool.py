"""CloudWatch metric checks for the end-to-end tests, with boto3 as a user's program would call the API.
   cloudwatch_tool.py ecs-data CLUSTER SERVICE [cbor] -> GetMetricData of the service's CPUUtilization (Average) and
                                                        MemoryUtilization (Maximum) over the last 10 minutes, 10 s periods
   cloudwatch_tool.py roundtrip [cbor]                -> PutMetricData then GetMetricStatistics and ListMetrics of a custom
                                                        metric, and the errors of two bad calls
With "cbor" the client speaks Smithy RPC v2 CBOR (botocore itself prefers the model's JSON 1.0). Prints one JSON line."""
import datetime
import sys

import boto3
import botocore.config
import botocore.model

from berth_common import ENDPOINT, REGION, emit

if "cbor" in sys.argv[2:]:
    # botocore picks the first protocol of its own priority list the model offers; this makes it CBOR.
    botocore.model.PRIORITY_ORDERED_SUPPORTED_PROTOCOLS = ("smithy-rpc-v2-cbor",)

cw = boto3.client("cloudwatch", endpoint_url=ENDPOINT, region_name=REGION,
                  config=botocore.config.Config(retries={"max_attempts": 1}, read_timeout=30))


def error(fn, **kwargs):
    try:
        fn(**kwargs)
        return None
    except cw.exceptions.ClientError as e:
        return {"code": e.response["Error"]["Code"], "message": e.response["Error"]["Message"], "class": type(e).__name__}


def ecs_data(cluster, service):
    now = datetime.datetime.now(datetime.timezone.utc)
    dims = [{"Name": "ClusterName", "Value": cluster}, {"Name": "ServiceName", "Value": service}]
    result = cw.get_metric_data(
        MetricDataQueries=[
            {"Id": "cpu", "MetricStat": {"Metric": {"Namespace": "AWS/ECS", "MetricName": "CPUUtilization", "Dimensions": dims}, "Period": 10, "Stat": "Average"}},
            {"Id": "mem", "MetricStat": {"Metric": {"Namespace": "AWS/ECS", "MetricName": "MemoryUtilization", "Dimensions": dims}, "Period": 10, "Stat": "Maximum"}},
        ],
        StartTime=now - datetime.timedelta(minutes=10),
        EndTime=now + datetime.timedelta(minutes=1),
    )
    return {
        r["Id"]: {"values": r["Values"], "timestamps": [t.timestamp() for t in r["Timestamps"]], "status": r["StatusCode"], "label": r["Label"]}
        for r in result["MetricDataResults"]
    }


def roundtrip():
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    dims = [{"Name": "Queue", "Value": "orders"}]
    cw.put_metric_data(Namespace="Berth/E2E", MetricData=[
        {"MetricName": "Depth", "Dimensions": dims, "Value": 3.0, "Unit": "Count", "Timestamp": now},
        {"MetricName": "Depth", "Dimensions": dims, "Values": [1.0, 10.0], "Counts": [2.0, 1.0], "Unit": "Count", "Timestamp": now},
    ])
    stats = cw.get_metric_statistics(Namespace="Berth/E2E", MetricName="Depth", Dimensions=dims,
                                     StartTime=now - datetime.timedelta(minutes=5), EndTime=now + datetime.timedelta(minutes=5),
                                     Period=600, Statistics=["Sum", "SampleCount", "Minimum", "Maximum", "Average"])
    listed = cw.list_metrics(Namespace="Berth/E2E")["Metrics"]
    return {
        "datapoints": [{k: (v.timestamp() if isinstance(v, datetime.datetime) else v) for k, v in p.items()} for p in stats["Datapoints"]],
        "types": sorted({type(v).__name__ for p in stats["Datapoints"] for k, v in p.items() if k not in ("Unit", "Timestamp")}),
        "label": stats["Label"],
        "listed": listed,
        "aws_namespace": error(cw.put_metric_data, Namespace="AWS/ECS", MetricData=[{"MetricName": "X", "Value": 1.0}]),
        "backwards": error(cw.get_metric_statistics, Namespace="Berth/E2E", MetricName="Depth", StartTime=now, EndTime=now - datetime.timedelta(minutes=1),
                           Period=60, Statistics=["Sum"]),
    }


if __name__ == "__main__":
    if sys.argv[1] == "ecs-data":
        emit(ecs_data(sys.argv[2], sys.argv[3]))
    else:
        emit(roundtrip())
