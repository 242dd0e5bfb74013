using Berth.EndToEnd.Tests.Infrastructure;

namespace Berth.EndToEnd.Tests;

/// <summary>Tags, account settings and attributes through the real AWS CLI.</summary>
[Collection(SharedServerCollection.Name)]
public sealed class AwsCliTagsSettingsAttributesTests(SharedServerFixture fixture)
{
    internal const string Root = "arn:aws:iam::000000000000:root";

    private BerthServer Server => fixture.Server;

    [Fact]
    public async Task Tag_untag_and_list_tags_on_a_cluster_a_task_definition_and_a_service()
    {
        var setup = await Clients.OpsAsync(Server, """
            [
              {"op": "create_cluster", "args": {"clusterName": "cli-tags", "tags": [{"key": "owner", "value": "a"}]}},
              {"op": "register_task_definition", "args": {"family": "cli-tags", "tags": [{"key": "owner", "value": "a"}],
                "containerDefinitions": [{"name": "app", "image": "busybox", "memory": 32}]}},
              {"op": "create_service", "args": {"cluster": "cli-tags", "serviceName": "cli-tags", "taskDefinition": "cli-tags", "desiredCount": 0,
                "tags": [{"key": "owner", "value": "a"}]}}
            ]
            """);
        var clusterArn = (string)Expect.Ok(setup[0])["cluster"]!["clusterArn"]!;
        var taskDefinitionArn = (string)Expect.Ok(setup[1])["taskDefinition"]!["taskDefinitionArn"]!;
        var serviceArn = (string)Expect.Ok(setup[2])["service"]!["serviceArn"]!;

        foreach (var arn in new[] { clusterArn, taskDefinitionArn, serviceArn })
        {
            Assert.Null(await Clients.AwsJsonAsync(Server, "ecs", "tag-resource", "--resource-arn", arn, "--tags", "key=owner,value=b", "key=env,value=test"));
            Assert.Equal(
                new Dictionary<string, string> { ["owner"] = "b", ["env"] = "test" },
                await TagsAsync(arn));

            Assert.Null(await Clients.AwsJsonAsync(Server, "ecs", "untag-resource", "--resource-arn", arn, "--tag-keys", "owner", "no-such-key"));
            Assert.Equal(new Dictionary<string, string> { ["env"] = "test" }, await TagsAsync(arn));
        }
    }

    [Fact]
    public async Task Account_settings_put_default_list_effective_and_delete()
    {
        var put = (await Clients.AwsJsonAsync(Server, "ecs", "put-account-setting", "--name", "serviceLongArnFormat", "--value", "disabled"))!["setting"]!;
        Assert.Equal("serviceLongArnFormat", (string?)put["name"]);
        Assert.Equal("disabled", (string?)put["value"]);
        Assert.Equal(Root, (string?)put["principalArn"]);

        var putDefault = (await Clients.AwsJsonAsync(Server, "ecs", "put-account-setting-default", "--name", "fargateFIPSMode", "--value", "enabled"))!["setting"]!;
        Assert.Equal("fargateFIPSMode", (string?)putDefault["name"]);
        Assert.Equal("enabled", (string?)putDefault["value"]);
        Assert.Equal(Root, (string?)putDefault["principalArn"]);

        // More settings exist than one page holds (at most 10): the CLI follows nextToken for all of them.
        var effective = await SettingsAsync("--effective-settings");
        Assert.Equal("disabled", effective["serviceLongArnFormat"]);
        Assert.Equal("enabled", effective["fargateFIPSMode"]);
        Assert.Equal("enabled", effective["taskLongArnFormat"]);
        Assert.Equal("disabled", effective["awsvpcTrunking"]);
        Assert.True(effective.Count >= 11, string.Join(", ", effective.Keys));

        var deleted = (await Clients.AwsJsonAsync(Server, "ecs", "delete-account-setting", "--name", "serviceLongArnFormat"))!["setting"]!;
        Assert.Equal("serviceLongArnFormat", (string?)deleted["name"]);
        Assert.Equal("disabled", (string?)deleted["value"]);

        var afterDelete = await SettingsAsync("--effective-settings", "--name", "serviceLongArnFormat");
        Assert.Equal(new Dictionary<string, string> { ["serviceLongArnFormat"] = "enabled" }, afterDelete);
    }

    [Fact]
    public async Task List_attributes_is_empty_and_put_attributes_on_an_unknown_target_is_refused()
    {
        Assert.Equal("ACTIVE", (string?)(await Clients.AwsJsonAsync(Server, "ecs", "create-cluster", "--cluster-name", "cli-attrs"))!["cluster"]!["status"]);

        var listed = (await Clients.AwsJsonAsync(Server, "ecs", "list-attributes", "--cluster", "cli-attrs", "--target-type", "container-instance"))!;
        Assert.Empty(listed["attributes"]!.AsArray());

        var target = "arn:aws:ecs:us-east-1:000000000000:container-instance/cli-attrs/0123456789abcdef0123456789abcdef";
        var stderr = await Clients.AwsErrorAsync(Server, "TargetNotFoundException", "PutAttributes",
            "ecs", "put-attributes", "--cluster", "cli-attrs", "--attributes", $"name=stack,value=prod,targetId={target}");
        Assert.Contains(target, stderr, StringComparison.Ordinal);
    }

    private async Task<Dictionary<string, string>> TagsAsync(string arn)
        => (await Clients.AwsJsonAsync(Server, "ecs", "list-tags-for-resource", "--resource-arn", arn))!["tags"]!.AsArray()
            .ToDictionary(t => (string)t!["key"]!, t => (string)t!["value"]!);

    private async Task<Dictionary<string, string>> SettingsAsync(params string[] arguments)
        => (await Clients.AwsJsonAsync(Server, ["ecs", "list-account-settings", .. arguments]))!["settings"]!.AsArray()
            .ToDictionary(s => (string)s!["name"]!, s => (string)s!["value"]!);
}
