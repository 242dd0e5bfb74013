using Berth.CloudWatch.Alarms;
using Berth.CloudWatch.Model;
using Berth.CloudWatch.Store;
using Berth.Server.Metrics;
using Berth.Storage.Postgres;
using Berth.Tests.Shared;
using Microsoft.Extensions.Logging.Abstractions;

namespace Berth.Server.Tests.Metrics;

/// <summary>
/// Several servers' metric stores exchanging through a real PostgreSQL: each sees what was put into every one, counted
/// once, and a server that starts later loads what was exchanged before it.
/// </summary>
public sealed class MetricExchangeTests(PostgresFixture fixture) : IClassFixture<PostgresFixture>, IAsyncLifetime
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;
    private static readonly MetricKey Cpu = new("AWS/ECS", "CPUUtilization", [new("ClusterName", "prod"), new("ServiceName", "web")]);
    private readonly List<IAsyncDisposable> _owned = [];
    private string _url = string.Empty;

    public async Task InitializeAsync() => _url = await fixture.Server.CreateDatabaseAsync();

    public async Task DisposeAsync()
    {
        foreach (var owned in Enumerable.Reverse(_owned))
        {
            await owned.DisposeAsync();
        }
    }

    // A server: its own pool over the shared database, its own store and exchange (driven by the test, no loop).
    private async Task<(MetricStore Store, MetricExchange Exchange)> ServerAsync()
    {
        var (store, _, exchange) = await ServerWithAlarmsAsync();
        return (store, exchange);
    }

    private async Task<(MetricStore Store, AlarmBook Alarms, MetricExchange Exchange)> ServerWithAlarmsAsync()
    {
        var database = await PostgresDatabase.OpenAsync(_url, NullLogger.Instance, CancellationToken.None);
        _owned.Add(database);
        var store = new MetricStore(TimeSpan.FromMinutes(1)) { RecordsChanges = true };
        var alarms = new AlarmBook(store, TimeProvider.System) { RecordsChanges = true };
        var exchange = new MetricExchange(database.Source, store, alarms, TimeProvider.System, NullLogger.Instance);
        _owned.Add(exchange);
        return (store, alarms, exchange);
    }

    private static PutMetricAlarmInput Alarm(string name, double threshold, string? action = null) => new()
    {
        AlarmName = name,
        Namespace = "AWS/ECS",
        MetricName = "CPUUtilization",
        Dimensions = [new Dimension { Name = "ClusterName", Value = "prod" }, new Dimension { Name = "ServiceName", Value = "web" }],
        Statistic = "Average",
        Period = 60,
        EvaluationPeriods = 1,
        Threshold = threshold,
        ComparisonOperator = "GreaterThanThreshold",
        AlarmActions = action is null ? null : [action],
    };

    private static List<string> Names(AlarmBook alarms) => [.. alarms.Describe(new DescribeAlarmsInput()).MetricAlarms!.Select(a => a.AlarmName!)];

    [Fact]
    public async Task Alarms_made_or_deleted_through_any_server_are_on_every_server_and_evaluated_there()
    {
        var (aMetrics, a, aExchange) = await ServerWithAlarmsAsync();
        var (_, b, bExchange) = await ServerWithAlarmsAsync();
        a.Put(Alarm("cpu-high", 50, "arn:aws:autoscaling:us-east-1:000000000000:scalingPolicy:p"), "us-east-1", "000000000000");
        a.Put(Alarm("to-delete", 1), "us-east-1", "000000000000");

        // Application Auto Scaling's alarms, made where PutScalingPolicy was answered, evaluated over the metric period.
        b.PutOwned(Alarm("TargetTracking-service/prod/web-AlarmHigh", 70), "us-east-1", "000000000000", TimeSpan.FromSeconds(10));
        await aExchange.ExchangeAsync(CancellationToken.None);
        await bExchange.ExchangeAsync(CancellationToken.None);
        await aExchange.ExchangeAsync(CancellationToken.None);
        Assert.Equal(["TargetTracking-service/prod/web-AlarmHigh", "cpu-high", "to-delete"], Names(a));
        Assert.Equal(Names(a), Names(b));
        Assert.Single(b.WithAction("arn:aws:autoscaling:us-east-1:000000000000:scalingPolicy:p"));
        Assert.Equal(10, a.Describe(new DescribeAlarmsInput { AlarmNames = ["TargetTracking-service/prod/web-AlarmHigh"] }).MetricAlarms![0].Period);

        // Reconfigured on one, deleted on the other.
        b.Put(Alarm("cpu-high", 80), "us-east-1", "000000000000");
        a.Delete(new DeleteAlarmsInput { AlarmNames = ["to-delete"] });
        await aExchange.ExchangeAsync(CancellationToken.None);
        await bExchange.ExchangeAsync(CancellationToken.None);
        await aExchange.ExchangeAsync(CancellationToken.None);
        Assert.Equal(["TargetTracking-service/prod/web-AlarmHigh", "cpu-high"], Names(a));
        Assert.Equal(Names(a), Names(b));
        Assert.Equal(80, a.Describe(new DescribeAlarmsInput { AlarmNames = ["cpu-high"] }).MetricAlarms![0].Threshold);

        // Each server evaluates on the shared metrics: a datum put through one turns the alarm on the other.
        var minuteAgo = DateTimeOffset.UtcNow.AddSeconds(-60);
        aMetrics.Put(Cpu, minuteAgo, Statistics.Of(95), "Percent", DateTimeOffset.UtcNow);
        await aExchange.ExchangeAsync(CancellationToken.None);
        await bExchange.ExchangeAsync(CancellationToken.None);
        b.EvaluateAll();
        Assert.Equal(AlarmState.Alarm, b.Read("cpu-high")!.State);

        // A server that starts later has them all, and nothing deleted.
        var (_, late, lateExchange) = await ServerWithAlarmsAsync();
        await lateExchange.ExchangeAsync(CancellationToken.None);
        Assert.Equal(Names(a), Names(late));
        Assert.Empty(late.TakeChanges());
    }

    private static Statistics Sum(MetricStore store, MetricKey key)
        => store.Read(key, Now.AddHours(-1), Now.AddHours(1)).Select(p => p.Values).Aggregate(new Statistics(0, 0, double.MaxValue, double.MinValue), (a, b) => a.Merge(b));

    [Fact]
    public async Task Every_server_sees_what_was_put_into_each_counted_once()
    {
        var (a, aExchange) = await ServerAsync();
        var (b, bExchange) = await ServerAsync();
        a.Put(Cpu, Now, Statistics.Of(10), "Percent", Now);
        a.Put(Cpu, Now, Statistics.Of(30), "Percent", Now);
        b.Put(Cpu, Now, Statistics.Of(80), "Percent", Now);

        // Exchanged twice over: nothing is merged twice, and a server never merges its own rows back.
        for (var round = 0; round < 2; round++)
        {
            await aExchange.ExchangeAsync(CancellationToken.None);
            await bExchange.ExchangeAsync(CancellationToken.None);
            await aExchange.ExchangeAsync(CancellationToken.None);
        }

        foreach (var store in new[] { a, b })
        {
            var seen = Sum(store, Cpu);
            Assert.Equal(3, seen.SampleCount);
            Assert.Equal(120, seen.Sum);
            Assert.Equal(10, seen.Minimum);
            Assert.Equal(80, seen.Maximum);
        }

        // Units stay apart, dimensions survive the trip.
        var odd = new MetricKey("Custom/\"quoted\"", "Größe", [new("a b", "x\"y"), new("Ω", "")]);
        b.Put(odd, Now, Statistics.Of(5, 2), "Count", Now);
        b.Put(odd, Now, Statistics.Of(1), "Bytes", Now);
        await bExchange.ExchangeAsync(CancellationToken.None);
        await aExchange.ExchangeAsync(CancellationToken.None);
        var periods = a.Read(odd, Now.AddHours(-1), Now.AddHours(1));
        Assert.Equal(2, periods.Count);
        Assert.Equal(2, periods.Single(p => p.Unit == "Count").Values.SampleCount);
        Assert.Equal(1, periods.Single(p => p.Unit == "Bytes").Values.Sum);
        Assert.Contains(a.Metrics(), m => m.Key == odd);
    }

    [Fact]
    public async Task A_server_that_starts_later_loads_what_was_exchanged_before_it()
    {
        var (a, aExchange) = await ServerAsync();
        a.Put(Cpu, Now, Statistics.Of(42), "Percent", Now);
        await aExchange.ExchangeAsync(CancellationToken.None);

        var (late, lateExchange) = await ServerAsync();
        await lateExchange.ExchangeAsync(CancellationToken.None);
        Assert.Equal(42, Sum(late, Cpu).Sum);
        Assert.Empty(late.TakeChanges());
    }

    [Fact]
    public void A_store_that_records_changes_gives_each_once_and_takes_back_those_not_delivered()
    {
        var store = new MetricStore(TimeSpan.FromMinutes(1)) { RecordsChanges = true };
        store.Put(Cpu, Now, Statistics.Of(1), "Percent", Now);
        store.Put(Cpu, Now, Statistics.Of(3), "Percent", Now);
        var taken = Assert.Single(store.TakeChanges());
        Assert.Equal(new Statistics(2, 4, 1, 3), taken.Values);
        Assert.Empty(store.TakeChanges());

        store.Put(Cpu, Now, Statistics.Of(5), "Percent", Now);
        store.ReturnChanges([taken]);
        Assert.Equal(new Statistics(3, 9, 1, 5), Assert.Single(store.TakeChanges()).Values);

        // Merged changes are another server's: not given out again.
        store.Merge(taken, Now);
        Assert.Empty(store.TakeChanges());
    }
}
