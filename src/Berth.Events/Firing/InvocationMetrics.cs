namespace Berth.Events.Firing;

/// <summary>Where EventBridge's and Scheduler's CloudWatch metrics go (the server's metric store).</summary>
public interface IMetricSink
{
    /// <summary>Adds <paramref name="value"/> (a Count) to the metric at <paramref name="at"/>.</summary>
    void Count(string @namespace, string metricName, IReadOnlyList<KeyValuePair<string, string>> dimensions, double value, DateTimeOffset at);
}

/// <summary>
/// The CloudWatch metrics EventBridge and EventBridge Scheduler publish for invocations, named and dimensioned as AWS
/// documents them: <c>AWS/Events</c> per <c>RuleName</c> (with <c>EventBusName</c> for a rule on a custom bus;
/// Invocations also for the account, with no dimension), and <c>AWS/Scheduler</c> per <c>ScheduleGroup</c> and for
/// the account. Like AWS, only what happened is sent: a metric with no events has no data points.
/// </summary>
public static class InvocationMetrics
{
    /// <summary>EventBridge's namespace.</summary>
    public const string EventsNamespace = "AWS/Events";

    /// <summary>Scheduler's namespace.</summary>
    public const string SchedulerNamespace = "AWS/Scheduler";

    private static readonly KeyValuePair<string, string>[] Account = [];

    /// <summary>A rule fired (its schedule came due, or an event matched it): <c>TriggeredRules</c> (and <c>MatchedEvents</c> for an event).</summary>
    public static void Triggered(IMetricSink? sink, InvocationSource source, bool matchedEvent, DateTimeOffset at)
    {
        if (sink is null || source.Kind != InvocationKind.Rule)
        {
            return;
        }

        var rule = RuleDimensions(source);
        sink.Count(EventsNamespace, "TriggeredRules", rule, 1, at);
        if (matchedEvent)
        {
            sink.Count(EventsNamespace, "MatchedEvents", rule, 1, at);
            sink.Count(EventsNamespace, "MatchedEvents", Account, 1, at);
        }
    }

    /// <summary>A target was invoked; <paramref name="failed"/> when the invocation failed for good.</summary>
    public static void Invoked(IMetricSink? sink, InvocationSource source, bool failed, DateTimeOffset at)
    {
        if (sink is null)
        {
            return;
        }

        if (source.Kind == InvocationKind.Rule)
        {
            var rule = RuleDimensions(source);
            sink.Count(EventsNamespace, "Invocations", rule, 1, at);
            sink.Count(EventsNamespace, "Invocations", Account, 1, at);
            if (failed)
            {
                sink.Count(EventsNamespace, "FailedInvocations", rule, 1, at);
            }

            return;
        }

        var group = GroupDimensions(source);
        sink.Count(SchedulerNamespace, "InvocationAttemptCount", group, 1, at);
        sink.Count(SchedulerNamespace, "InvocationAttemptCount", Account, 1, at);
        if (failed)
        {
            sink.Count(SchedulerNamespace, "TargetErrorCount", group, 1, at);
            sink.Count(SchedulerNamespace, "TargetErrorCount", Account, 1, at);
        }
    }

    /// <summary>A schedule's firings were dropped (missed for longer than its MaximumEventAgeInSeconds).</summary>
    public static void Dropped(IMetricSink? sink, InvocationSource source, DateTimeOffset at)
    {
        if (sink is null || source.Kind != InvocationKind.Schedule)
        {
            return;
        }

        sink.Count(SchedulerNamespace, "InvocationDroppedCount", GroupDimensions(source), 1, at);
        sink.Count(SchedulerNamespace, "InvocationDroppedCount", Account, 1, at);
    }

    private static KeyValuePair<string, string>[] RuleDimensions(InvocationSource source) => source.Parent == "default"
        ? [new("RuleName", source.Name)]
        : [new("EventBusName", source.Parent), new("RuleName", source.Name)];

    private static KeyValuePair<string, string>[] GroupDimensions(InvocationSource source) => [new("ScheduleGroup", source.Parent)];
}
