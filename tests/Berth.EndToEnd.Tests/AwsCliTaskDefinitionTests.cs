using System.Text.Json.Nodes;
using Berth.EndToEnd.Tests.Infrastructure;

namespace Berth.EndToEnd.Tests;

/// <summary>Task definitions through the real AWS CLI: a rich definition round-trips; listing, deregistering and deleting.</summary>
[Collection(SharedServerCollection.Name)]
public sealed class AwsCliTaskDefinitionTests(SharedServerFixture fixture)
{
    internal const string Prefix = "arn:aws:ecs:us-east-1:000000000000:task-definition/";

    private BerthServer Server => fixture.Server;

    [Fact]
    public async Task Rich_definition_from_cli_input_json_is_described_with_every_member_given()
    {
        var path = Repo.OutputFile(Path.Combine("data", "rich-task-definition.json"));
        var given = JsonNode.Parse(await File.ReadAllTextAsync(path))!.AsObject();

        var registered = (await Clients.AwsJsonAsync(Server, "ecs", "register-task-definition", "--cli-input-json", "file://" + path))!;
        Assert.Equal(Prefix + "cli-rich:1", (string?)registered["taskDefinition"]!["taskDefinitionArn"]);

        var described = (await Clients.AwsJsonAsync(Server, "ecs", "describe-task-definition", "--task-definition", "cli-rich:1", "--include", "TAGS"))!;
        var tags = given["tags"]!.DeepClone();
        given.Remove("tags");
        var definition = described["taskDefinition"]!;
        Expect.Subset(given, definition);
        Expect.Subset(tags, described["tags"]);
        Assert.Equal(1, (int?)definition["revision"]);
        Assert.Equal("ACTIVE", (string?)definition["status"]);
        Assert.Equal("arn:aws:iam::000000000000:root", (string?)definition["registeredBy"]);
        Assert.NotNull(definition["registeredAt"]);
        Assert.Contains("EC2", Expect.Strings(definition["compatibilities"]));
        var attributes = definition["requiresAttributes"]!.AsArray().Select(a => (string)a!["name"]!).ToList();
        Assert.Contains("com.amazonaws.ecs.capability.task-iam-role", attributes);
        Assert.Contains("com.amazonaws.ecs.capability.logging-driver.awslogs", attributes);
        Assert.Contains("ecs.capability.container-health-check", attributes);
        Assert.Contains("ecs.capability.container-ordering", attributes);
        Assert.Contains("ecs.capability.secrets.ssm.environment-variables", attributes);

        // Exactly what register answered is what describe answers.
        Assert.True(JsonNode.DeepEquals(registered["taskDefinition"], definition), $"register: {registered["taskDefinition"]!.ToJsonString()}\ndescribe: {definition.ToJsonString()}");
    }

    [Fact]
    public async Task List_deregister_and_delete_task_definitions()
    {
        const string Container = """[{"name": "app", "image": "busybox", "memory": 32, "essential": true}]""";
        var calls = string.Join(",", new[] { "cli-list-a", "cli-list-a", "cli-list-a", "cli-list-b" }.Select(f =>
            $$$"""{"op": "register_task_definition", "args": {"family": "{{{f}}}", "containerDefinitions": {{{Container}}}}}"""));
        Assert.All(await Clients.OpsAsync(Server, $"[{calls}]"), r => Expect.Ok(r));

        // ECS's familyPrefix on ListTaskDefinitions is the full family name (on ListTaskDefinitionFamilies it is a prefix).
        string[] familyA = [Prefix + "cli-list-a:1", Prefix + "cli-list-a:2", Prefix + "cli-list-a:3"];
        var listed = Expect.Strings((await Clients.AwsJsonAsync(Server, "ecs", "list-task-definitions", "--family-prefix", "cli-list-a"))!["taskDefinitionArns"]);
        Assert.Equal(familyA, listed);
        var descending = Expect.Strings((await Clients.AwsJsonAsync(Server, "ecs", "list-task-definitions", "--family-prefix", "cli-list-a", "--sort", "DESC"))!["taskDefinitionArns"]);
        Assert.Equal(familyA.Reverse(), descending);
        var families = Expect.Strings((await Clients.AwsJsonAsync(Server, "ecs", "list-task-definition-families", "--family-prefix", "cli-list", "--status", "ACTIVE"))!["families"]);
        Assert.Equal(["cli-list-a", "cli-list-b"], families);

        var deregistered = (await Clients.AwsJsonAsync(Server, "ecs", "deregister-task-definition", "--task-definition", "cli-list-b:1"))!["taskDefinition"]!;
        Assert.Equal("INACTIVE", (string?)deregistered["status"]);
        Assert.NotNull(deregistered["deregisteredAt"]);

        var inactive = Expect.Strings((await Clients.AwsJsonAsync(Server, "ecs", "list-task-definitions", "--family-prefix", "cli-list-b", "--status", "INACTIVE"))!["taskDefinitionArns"]);
        Assert.Equal([Prefix + "cli-list-b:1"], inactive);
        var inactiveFamilies = Expect.Strings((await Clients.AwsJsonAsync(Server, "ecs", "list-task-definition-families", "--family-prefix", "cli-list", "--status", "INACTIVE"))!["families"]);
        Assert.Equal(["cli-list-b"], inactiveFamilies);

        var deleted = (await Clients.AwsJsonAsync(Server, "ecs", "delete-task-definitions", "--task-definitions", "cli-list-b:1", "cli-list-a:1"))!;
        var gone = Assert.Single(deleted["taskDefinitions"]!.AsArray())!;
        Assert.Equal(Prefix + "cli-list-b:1", (string?)gone["taskDefinitionArn"]);
        Assert.Equal("DELETE_IN_PROGRESS", (string?)gone["status"]);
        var refused = Assert.Single(deleted["failures"]!.AsArray())!;
        Assert.Equal(Prefix + "cli-list-a:1", (string?)refused["arn"]);
        Assert.Contains("ACTIVE", (string?)refused["reason"], StringComparison.Ordinal);

        var afterDelete = (await Clients.AwsJsonAsync(Server, "ecs", "describe-task-definition", "--task-definition", "cli-list-b:1"))!;
        Assert.Equal("DELETE_IN_PROGRESS", (string?)afterDelete["taskDefinition"]!["status"]);
        var noLongerInactive = Expect.Strings((await Clients.AwsJsonAsync(Server, "ecs", "list-task-definitions", "--family-prefix", "cli-list-b", "--status", "INACTIVE"))!["taskDefinitionArns"]);
        Assert.Empty(noLongerInactive);
    }
}
