using Berth.CloudWatch.Store;
using Berth.Events.Firing;

namespace Berth.Server.Metrics;

/// <summary>EventBridge's and Scheduler's invocation counts into the CloudWatch metric store (one sample per count).</summary>
public sealed class MetricStoreSink(MetricStore store, TimeProvider time) : IMetricSink
{
    /// <inheritdoc />
    public void Count(string @namespace, string metricName, IReadOnlyList<KeyValuePair<string, string>> dimensions, double value, DateTimeOffset at) =>
        store.Put(new MetricKey(@namespace, metricName, dimensions), at, Statistics.Of(value), "Count", time.GetUtcNow());
}
