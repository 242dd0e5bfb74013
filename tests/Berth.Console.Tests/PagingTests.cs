using Berth.Bench.WebConsole;
using Berth.Ecs.Arns;
using Berth.WebConsole.Clusters;
using Berth.WebConsole.Html;
using Berth.WebConsole.Services;

namespace Berth.WebConsole.Tests;

/// <summary>Lists that page and filter: the slicing, the links, and the cluster and service pages over a big state.</summary>
public sealed class PagingTests
{
    private static readonly Scope Scope = new("us-east-1", "000000000000");

    // 120 services of 2 tasks: 240 tasks, newest last created.
    private static readonly Berth.Ecs.State.EcsState State = SyntheticState.Build(Scope, services: 120, tasksPerService: 2);

    private static Dictionary<string, string> Query(params (string Key, string Value)[] values) => values.ToDictionary(v => v.Key, v => v.Value);

    [Theory]
    [InlineData(0, 1, 1, 1, 0, 0)]
    [InlineData(10, 1, 1, 1, 0, 10)]
    [InlineData(50, 1, 1, 1, 0, 50)]
    [InlineData(51, 2, 2, 2, 50, 1)]
    [InlineData(120, 2, 2, 3, 50, 50)]
    [InlineData(120, 3, 3, 3, 100, 20)]
    [InlineData(120, 9, 3, 3, 100, 20)]
    public void A_page_is_a_slice_and_a_number_past_the_end_is_the_last_page(int count, int asked, int number, int pages, int first, int items)
    {
        var page = Paging.Of(Enumerable.Range(0, count).ToList(), asked);
        Assert.Equal((number, pages, count, first, items), (page.Number, page.Pages, page.Total, page.First, page.Items.Count));
        Assert.Equal(Enumerable.Range(first, items), page.Items);
    }

    [Fact]
    public void Largest_orders_by_key_descending_and_ties_by_the_tie_breaker_whatever_the_input_order()
    {
        var items = new[] { ("b", 5L), ("a", 5L), ("c", 9L), ("d", 1L), ("e", 5L) };
        var random = new Random(7);
        for (var round = 0; round < 20; round++)
        {
            var shuffled = items.OrderBy(_ => random.Next()).ToList();
            var page = Paging.Largest(shuffled, i => i.Item2, (x, y) => string.CompareOrdinal(x.Item1, y.Item1), 1, size: 3);
            Assert.Equal(["c", "a", "b"], page.Items.Select(i => i.Item1));
            Assert.Equal(["e", "d"], Paging.Largest(shuffled, i => i.Item2, (x, y) => string.CompareOrdinal(x.Item1, y.Item1), 2, size: 3).Items.Select(i => i.Item1));
        }
    }

    [Theory]
    [InlineData(null, null, 1)]
    [InlineData("2", null, 2)]
    [InlineData("0", null, 1)]
    [InlineData("-3", null, 1)]
    [InlineData("x", null, 1)]
    [InlineData("99999999999", null, 1)]
    [InlineData(null, "  web ", 1)]
    public void The_query_gives_a_page_number_and_a_trimmed_filter(string? page, string? filter, int number)
    {
        var query = new Dictionary<string, string>();
        if (page is not null)
        {
            query["page"] = page;
        }

        if (filter is not null)
        {
            query["q"] = filter;
        }

        Assert.Equal(number, Paging.Number(query, "page"));
        Assert.Equal(filter?.Trim(), Paging.Filter(query, "q"));
    }

    [Fact]
    public void Links_keep_the_other_keys_escape_values_and_drop_removed_ones()
    {
        var query = Query(("tasks", "a b&c"), ("services-page", "3"));
        Assert.Equal("/console/clusters/x?services-page=4&tasks=a%20b%26c", Paging.Link("/console/clusters/x", query, ("services-page", "4")));
        Assert.Equal("/console/clusters/x?tasks=a%20b%26c", Paging.Link("/console/clusters/x", query, ("services-page", null)));
        Assert.Equal("/console/clusters/x", Paging.Link("/console/clusters/x", new Dictionary<string, string>()));
    }

    [Fact]
    public void The_cluster_page_pages_its_services_and_tasks_newest_first_and_filters_them()
    {
        var first = ClusterPage.Render(State, Scope, SyntheticState.Cluster).Body.Value;
        Assert.Contains(">svc-0000</a>", first, StringComparison.Ordinal);
        Assert.Contains(">svc-0049</a>", first, StringComparison.Ordinal);
        Assert.DoesNotContain(">svc-0050</a>", first, StringComparison.Ordinal);
        Assert.Contains("1–50 of 120 · page 1 of 3", first, StringComparison.Ordinal);
        Assert.Contains("href=\"/console/clusters/big?services-page=2\">Next</a>", first, StringComparison.Ordinal);

        // The newest task (service 119's second) leads the task list; the 51st newest is on page 2.
        Assert.Contains(SyntheticState.TaskId(119, 1), first, StringComparison.Ordinal);
        Assert.DoesNotContain(SyntheticState.TaskId(94, 0), first, StringComparison.Ordinal);
        Assert.Contains("1–50 of 240 · page 1 of 5", first, StringComparison.Ordinal);
        var tasksPage2 = ClusterPage.Render(State, Scope, SyntheticState.Cluster, Query(("tasks-page", "2"))).Body.Value;
        Assert.Contains(SyntheticState.TaskId(94, 1), tasksPage2, StringComparison.Ordinal);
        Assert.DoesNotContain(SyntheticState.TaskId(119, 1), tasksPage2, StringComparison.Ordinal);

        // The last page of services, and a page number past the end, show 101–120; the task page is kept in the links.
        var last = ClusterPage.Render(State, Scope, SyntheticState.Cluster, Query(("services-page", "7"), ("tasks-page", "2"))).Body.Value;
        Assert.Contains("101–120 of 120 · page 3 of 3", last, StringComparison.Ordinal);
        Assert.Contains(">svc-0119</a>", last, StringComparison.Ordinal);
        Assert.Contains("href=\"/console/clusters/big?services-page=2&amp;tasks-page=2\">Previous</a>", last, StringComparison.Ordinal);

        // Filters: by name among services (case ignored), by ID, group or definition and desired status among tasks.
        var filtered = ClusterPage.Render(State, Scope, SyntheticState.Cluster, Query(("services", "SVC-011"), ("tasks", "service:svc-0007"))).Body.Value;
        Assert.Contains(">svc-0110</a>", filtered, StringComparison.Ordinal);
        Assert.Contains(">svc-0119</a>", filtered, StringComparison.Ordinal);
        Assert.DoesNotContain(">svc-0000</a>", filtered, StringComparison.Ordinal);
        Assert.Contains(SyntheticState.TaskId(7, 0), filtered, StringComparison.Ordinal);
        Assert.DoesNotContain(SyntheticState.TaskId(8, 0), filtered, StringComparison.Ordinal);
        var stopped = ClusterPage.Render(State, Scope, SyntheticState.Cluster, Query(("status", "STOPPED"))).Body.Value;
        Assert.Contains("No tasks match.", stopped, StringComparison.Ordinal);
        Assert.Contains("<option value=\"STOPPED\" selected>", stopped, StringComparison.Ordinal);
        var none = ClusterPage.Render(State, Scope, SyntheticState.Cluster, Query(("services", "nothing-like-this"))).Body.Value;
        Assert.Contains("No services match.", none, StringComparison.Ordinal);

        // A filter is text: echoed into its box escaped, kept as a hidden field by the other list's form.
        var hostile = ClusterPage.Render(State, Scope, SyntheticState.Cluster, Query(("services", "\"><script>alert(1)</script>"))).Body.Value;
        Assert.DoesNotContain("<script>", hostile, StringComparison.Ordinal);
        Assert.Contains("value=\"&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;\"", hostile, StringComparison.Ordinal);
        Assert.Contains("<input type=\"hidden\" name=\"services\" value=\"&quot;&gt;&lt;script&gt;", hostile, StringComparison.Ordinal);
    }

    [Fact]
    public void The_service_page_pages_its_own_tasks()
    {
        var state = SyntheticState.Build(Scope, services: 2, tasksPerService: 60);
        var page = ServicePage.Render(state, Scope, SyntheticState.Cluster, SyntheticState.ServiceName(1), "csrf").Body.Value;
        Assert.Contains("1–50 of 60 · page 1 of 2", page, StringComparison.Ordinal);
        Assert.Contains(SyntheticState.TaskId(1, 59), page, StringComparison.Ordinal);
        Assert.DoesNotContain(SyntheticState.TaskId(0, 59), page, StringComparison.Ordinal);
        var second = ServicePage.Render(state, Scope, SyntheticState.Cluster, SyntheticState.ServiceName(1), "csrf", query: Query(("tasks-page", "2"))).Body.Value;
        Assert.Contains("51–60 of 60 · page 2 of 2", second, StringComparison.Ordinal);
        Assert.Contains(SyntheticState.TaskId(1, 0), second, StringComparison.Ordinal);
        Assert.Contains("href=\"/console/clusters/big/services/svc-0001\">Previous</a>", second, StringComparison.Ordinal);
    }
}
