using System.Text.Json.Nodes;
using Berth.EndToEnd.Tests.Infrastructure;

namespace Berth.EndToEnd.Tests;

/// <summary>Clusters through the real AWS CLI: create, describe with every include, update, delete, paging and regions.</summary>
[Collection(SharedServerCollection.Name)]
public sealed class AwsCliClusterTests(SharedServerFixture fixture)
{
    internal const string Account = "000000000000";

    private BerthServer Server => fixture.Server;

    [Fact]
    public async Task Cluster_lifecycle_create_describe_update_delete()
    {
        var arn = $"arn:aws:ecs:us-east-1:{Account}:cluster/cli-life";
        var created = (await Clients.AwsJsonAsync(Server, "ecs", "create-cluster", "--cluster-name", "cli-life",
            "--tags", "key=team,value=e2e", "key=tier,value=gold",
            "--settings", "name=containerInsights,value=enabled",
            "--configuration", """{"executeCommandConfiguration": {"logging": "DEFAULT"}}"""))!["cluster"]!;
        Assert.Equal(arn, (string?)created["clusterArn"]);
        Assert.Equal("cli-life", (string?)created["clusterName"]);
        Assert.Equal("ACTIVE", (string?)created["status"]);

        var described = (await Clients.AwsJsonAsync(Server, "ecs", "describe-clusters", "--clusters", "cli-life", "cli-no-such-cluster",
            "--include", "TAGS", "SETTINGS", "STATISTICS", "CONFIGURATIONS"))!;
        var cluster = Assert.Single(described["clusters"]!.AsArray())!;
        Expect.Subset(JsonNode.Parse($$$"""
            {
              "clusterArn": "{{{arn}}}", "clusterName": "cli-life", "status": "ACTIVE",
              "registeredContainerInstancesCount": 0, "runningTasksCount": 0, "pendingTasksCount": 0, "activeServicesCount": 0,
              "tags": [{"key": "team", "value": "e2e"}, {"key": "tier", "value": "gold"}],
              "settings": [{"name": "containerInsights", "value": "enabled"}],
              "configuration": {"executeCommandConfiguration": {"logging": "DEFAULT"}}
            }
            """), cluster);
        var statistics = cluster["statistics"]!.AsArray().ToDictionary(s => (string)s!["name"]!, s => (string)s!["value"]!);
        Assert.Contains("runningFargateTasksCount", statistics.Keys);
        Assert.Contains("activeEC2ServiceCount", statistics.Keys);
        Assert.All(statistics.Values, v => Assert.Equal("0", v));
        var failure = Assert.Single(described["failures"]!.AsArray())!;
        Assert.Equal($"arn:aws:ecs:us-east-1:{Account}:cluster/cli-no-such-cluster", (string?)failure["arn"]);
        Assert.Equal("MISSING", (string?)failure["reason"]);

        var afterSettings = (await Clients.AwsJsonAsync(Server, "ecs", "update-cluster-settings", "--cluster", "cli-life",
            "--settings", "name=containerInsights,value=disabled"))!["cluster"]!;
        Expect.Subset(JsonNode.Parse("""[{"name": "containerInsights", "value": "disabled"}]"""), afterSettings["settings"]);

        var updated = (await Clients.AwsJsonAsync(Server, "ecs", "update-cluster", "--cluster", arn,
            "--settings", "name=containerInsights,value=enhanced",
            "--configuration", """{"executeCommandConfiguration": {"logging": "OVERRIDE", "logConfiguration": {"cloudWatchLogGroupName": "/e2e/exec"}}}"""))!["cluster"]!;
        Expect.Subset(JsonNode.Parse("""
            {
              "settings": [{"name": "containerInsights", "value": "enhanced"}],
              "configuration": {"executeCommandConfiguration": {"logging": "OVERRIDE", "logConfiguration": {"cloudWatchLogGroupName": "/e2e/exec"}}}
            }
            """), updated);

        var deleted = (await Clients.AwsJsonAsync(Server, "ecs", "delete-cluster", "--cluster", "cli-life"))!["cluster"]!;
        Assert.Equal("INACTIVE", (string?)deleted["status"]);
        Assert.Equal(arn, (string?)deleted["clusterArn"]);

        var afterDelete = (await Clients.AwsJsonAsync(Server, "ecs", "describe-clusters", "--clusters", "cli-life"))!;
        Assert.Equal("INACTIVE", (string?)Assert.Single(afterDelete["clusters"]!.AsArray())!["status"]);
        Assert.Empty(afterDelete["failures"]!.AsArray());

        var listed = Expect.Strings((await Clients.AwsJsonAsync(Server, "ecs", "list-clusters"))!["clusterArns"]);
        Assert.DoesNotContain(arn, listed);
    }

    [Fact]
    public async Task List_clusters_pages_with_max_items_and_starting_token()
    {
        var names = Enumerable.Range(0, 5).Select(i => $"cli-page-{i}").ToList();
        var calls = string.Join(",", names.Select(n => $$$"""{"op": "create_cluster", "args": {"clusterName": "{{{n}}}"}}"""));
        Assert.All(await Clients.OpsAsync(Server, $"[{calls}]"), r => Expect.Ok(r));

        var first = (await Clients.AwsJsonAsync(Server, "ecs", "list-clusters", "--max-items", "2"))!;
        var firstPage = Expect.Strings(first["clusterArns"]);
        Assert.Equal(2, firstPage.Count);
        var token = (string?)first["NextToken"];
        Assert.False(string.IsNullOrEmpty(token), first.ToJsonString());

        var second = (await Clients.AwsJsonAsync(Server, "ecs", "list-clusters", "--max-items", "2", "--starting-token", token!))!;
        var secondPage = Expect.Strings(second["clusterArns"]);
        Assert.Equal(2, secondPage.Count);
        Assert.Empty(firstPage.Intersect(secondPage));

        // --page-size makes the CLI walk nextToken itself, two at a time, to the end.
        var all = Expect.Strings((await Clients.AwsJsonAsync(Server, "ecs", "list-clusters", "--page-size", "2"))!["clusterArns"]);
        Assert.Equal(all.Count, all.Distinct().Count());
        Assert.Equal(all.Order(StringComparer.Ordinal), all);
        Assert.Equal(firstPage.Concat(secondPage), all.Take(4));
        Assert.All(names, n => Assert.Contains($"arn:aws:ecs:us-east-1:{Account}:cluster/{n}", all));
    }

    [Fact]
    public async Task Region_of_the_request_goes_into_arns_and_clusters_are_per_region()
    {
        var created = (await Clients.AwsJsonAsync(Server, "ecs", "create-cluster", "--cluster-name", "cli-region", "--region", "eu-west-1"))!;
        var euArn = (string)created["cluster"]!["clusterArn"]!;
        Assert.Equal($"arn:aws:ecs:eu-west-1:{Account}:cluster/cli-region", euArn);

        var registered = (await Clients.AwsJsonAsync(Server, "ecs", "register-task-definition", "--region", "eu-west-1",
            "--family", "cli-region", "--container-definitions", """[{"name": "app", "image": "busybox", "memory": 32}]"""))!;
        Assert.Equal($"arn:aws:ecs:eu-west-1:{Account}:task-definition/cli-region:1", (string?)registered["taskDefinition"]!["taskDefinitionArn"]);

        var inEu = Expect.Strings((await Clients.AwsJsonAsync(Server, "ecs", "list-clusters", "--region", "eu-west-1"))!["clusterArns"]);
        Assert.Contains(euArn, inEu);
        Assert.All(inEu, a => Assert.StartsWith("arn:aws:ecs:eu-west-1:", a, StringComparison.Ordinal));

        var inUs = Expect.Strings((await Clients.AwsJsonAsync(Server, "ecs", "list-clusters"))!["clusterArns"]);
        Assert.All(inUs, a => Assert.StartsWith("arn:aws:ecs:us-east-1:", a, StringComparison.Ordinal));

        var describedInUs = (await Clients.AwsJsonAsync(Server, "ecs", "describe-clusters", "--clusters", "cli-region"))!;
        Assert.Empty(describedInUs["clusters"]!.AsArray());
        var failure = Assert.Single(describedInUs["failures"]!.AsArray())!;
        Assert.Equal($"arn:aws:ecs:us-east-1:{Account}:cluster/cli-region", (string?)failure["arn"]);
        Assert.Equal("MISSING", (string?)failure["reason"]);
    }
}
