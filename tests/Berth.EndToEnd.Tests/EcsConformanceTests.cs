using System.Text.Json.Nodes;
using Berth.EndToEnd.Tests.Infrastructure;

namespace Berth.EndToEnd.Tests;

/// <summary>
/// Documented ECS behaviour that a client can observe (boto3). These pin down deviations found while writing the
/// end-to-end tests; each names the ECS documentation it follows.
/// </summary>
[Collection(SharedServerCollection.Name)]
public sealed class EcsConformanceTests(SharedServerFixture fixture)
{
    internal const string Prefix = "arn:aws:ecs:us-east-1:000000000000:task-definition/";

    private BerthServer Server => fixture.Server;

    /// <summary>
    /// ECS API reference, ListTaskDefinitions: "familyPrefix: The full family name to filter the ListTaskDefinitions results with.
    /// Specifying a familyPrefix limits the listed task definitions to task definition revisions that belong to that family."
    /// (ListTaskDefinitionFamilies, by contrast, matches families that begin with it.)
    /// </summary>
    [Fact]
    public async Task List_task_definitions_family_prefix_is_the_full_family_name()
    {
        var results = await Clients.OpsAsync(Server, """
            [
              {"op": "register_task_definition", "args": {"family": "conf-web", "containerDefinitions": [{"name": "a", "image": "busybox", "memory": 32}]}},
              {"op": "register_task_definition", "args": {"family": "conf-web-api", "containerDefinitions": [{"name": "a", "image": "busybox", "memory": 32}]}},
              {"op": "list_task_definitions", "args": {"familyPrefix": "conf-web"}},
              {"op": "list_task_definition_families", "args": {"familyPrefix": "conf-web"}}
            ]
            """);
        Expect.Ok(results[0]);
        Expect.Ok(results[1]);
        Assert.Equal(["conf-web", "conf-web-api"], Expect.Strings(Expect.Ok(results[3])["families"]));
        Assert.Equal([Prefix + "conf-web:1"], Expect.Strings(Expect.Ok(results[2])["taskDefinitionArns"]));
    }

    /// <summary>
    /// ECS API reference, ListTaskDefinitionFamilies: "By default, both ACTIVE and INACTIVE task definition families are listed."
    /// </summary>
    [Fact]
    public async Task List_task_definition_families_lists_inactive_families_by_default()
    {
        var results = await Clients.OpsAsync(Server, """
            [
              {"op": "register_task_definition", "args": {"family": "conf-gone", "containerDefinitions": [{"name": "a", "image": "busybox", "memory": 32}]}},
              {"op": "deregister_task_definition", "args": {"taskDefinition": "conf-gone:1"}},
              {"op": "list_task_definition_families", "args": {"familyPrefix": "conf-gone"}},
              {"op": "list_task_definition_families", "args": {"familyPrefix": "conf-gone", "status": "ALL"}}
            ]
            """);
        Assert.All(results, r => Expect.Ok(r));
        Assert.Equal(["conf-gone"], Expect.Strings(results[3]!["response"]!["families"]));
        Assert.Equal(["conf-gone"], Expect.Strings(results[2]!["response"]!["families"]));
    }

    /// <summary>
    /// The AWS CLI's own example output for <c>aws ecs create-cluster</c> (awscli/examples/ecs/create-cluster.rst): the new
    /// cluster comes back with registeredContainerInstancesCount, pendingTasksCount, runningTasksCount and activeServicesCount
    /// of 0 and an empty statistics list, as DescribeClusters shows them.
    /// </summary>
    [Fact]
    public async Task Create_cluster_answers_with_the_cluster_counts()
    {
        var results = await Clients.OpsAsync(Server, """[{"op": "create_cluster", "args": {"clusterName": "conf-counts"}}]""");
        var cluster = Expect.Ok(results[0])["cluster"]!;
        Expect.Subset(JsonNode.Parse("""
            {
              "clusterName": "conf-counts", "status": "ACTIVE",
              "registeredContainerInstancesCount": 0, "pendingTasksCount": 0, "runningTasksCount": 0, "activeServicesCount": 0,
              "statistics": []
            }
            """), cluster);
    }
}
