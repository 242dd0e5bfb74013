using Berth.CloudWatch.Store;

namespace Berth.CloudWatch.Tests.Metrics;

/// <summary>The store: per-period sets, regrouping into longer periods, unit filters and the bounded retention.</summary>
public sealed class MetricStoreTests
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);
    private static readonly MetricKey Key = new("App", "Latency", [new("Svc", "a")]);

    [Fact]
    public void Dimensions_in_any_order_name_one_metric_and_a_subset_another()
    {
        var ab = new MetricKey("App", "M", [new("A", "1"), new("B", "2")]);
        var ba = new MetricKey("App", "M", [new("B", "2"), new("A", "1")]);
        Assert.Equal(ab, ba);
        Assert.NotEqual(ab, new MetricKey("App", "M", [new("A", "1")]));
    }

    [Fact]
    public void Values_of_one_period_combine_and_longer_periods_regroup_them()
    {
        var store = new MetricStore(TimeSpan.FromSeconds(10));
        store.Put(Key, T0.AddSeconds(1), Statistics.Of(1), "Seconds", T0);
        store.Put(Key, T0.AddSeconds(9), Statistics.Of(3), "Seconds", T0);
        store.Put(Key, T0.AddSeconds(15), Statistics.Of(10), "Seconds", T0);
        store.Put(Key, T0.AddSeconds(65), Statistics.Of(7), "Seconds", T0);

        var stored = store.Read(Key, T0, T0.AddMinutes(2));
        Assert.Equal([T0, T0.AddSeconds(10), T0.AddSeconds(60)], stored.Select(s => s.Start));
        Assert.Equal(new Statistics(2, 4, 1, 3), stored[0].Values);

        var minutes = PeriodQuery.Group(stored, TimeSpan.FromMinutes(1), unit: null);
        Assert.Equal([T0, T0.AddSeconds(60)], minutes.Select(m => m.Start));
        Assert.Equal(new Statistics(3, 14, 1, 10), minutes[0].Values);
        Assert.Equal(14 / 3.0, minutes[0].Values.Average, 9);
        Assert.Empty(PeriodQuery.Group(stored, TimeSpan.FromMinutes(1), unit: "Bytes"));
    }

    [Fact]
    public void The_range_is_start_inclusive_end_exclusive()
    {
        var store = new MetricStore(TimeSpan.FromSeconds(60));
        store.Put(Key, T0, Statistics.Of(1), "None", T0);
        store.Put(Key, T0.AddMinutes(1), Statistics.Of(2), "None", T0);
        Assert.Equal([T0], store.Read(Key, T0, T0.AddMinutes(1)).Select(s => s.Start));
        Assert.Empty(store.Read(new MetricKey("App", "Other", []), T0, T0.AddDays(1)));
    }

    [Fact]
    public void Data_older_than_15_days_is_dropped_and_empty_metrics_forgotten()
    {
        var store = new MetricStore(TimeSpan.FromSeconds(60));
        store.Put(Key, T0, Statistics.Of(1), "None", T0);
        store.Put(Key, T0.AddDays(-16), Statistics.Of(1), "None", T0);
        Assert.Single(store.Read(Key, T0.AddDays(-20), T0.AddDays(1)));

        store.Put(Key, T0.AddDays(15).AddMinutes(1), Statistics.Of(5), "None", T0.AddDays(15).AddMinutes(1));
        Assert.Equal([T0.AddDays(15).AddMinutes(1)], store.Read(Key, T0.AddDays(-20), T0.AddDays(20)).Select(s => s.Start));

        store.Sweep(T0.AddDays(31));
        Assert.Equal(0, store.Count);
    }
}
