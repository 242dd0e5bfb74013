using System.Text.Json.Nodes;
using Berth.EndToEnd.Tests.Infrastructure;

namespace Berth.EndToEnd.Tests;

/// <summary>
/// Bad input as boto3 (client-side validation off) and raw botocore-signed HTTP send it (scripts/bad_input.py, run once):
/// each case is answered with the exact error a user of ECS sees, HTTP 400, a request id, and never a 500.
/// </summary>
[Collection(SharedServerCollection.Name)]
public sealed class BadInputTests(SharedServerFixture fixture)
{
    private Task<JsonNode> ReportAsync() => fixture.ScriptOnceAsync("bad_input.py");

    [Fact]
    public async Task Unreadable_bodies_are_SerializationException()
    {
        var report = await ReportAsync();
        Expect.Error(report["malformedJson"], "SerializationException");
        Expect.Error(report["notAnObject"], "SerializationException");
        Expect.Error(report["wrongMemberType"], "SerializationException", messageContains: "maxResults");
        Expect.Error(report["wrongNestedType"], "SerializationException", messageContains: "containerDefinitions");
        Expect.Error(report["odd"]!["numberAsName"], "SerializationException", messageContains: "clusterName");
        Expect.Error(report["odd"]!["fraction"], "SerializationException");
        Expect.Error(report["odd"]!["hugeNumber"], "SerializationException");
        Expect.Error(report["odd"]!["invalidUtf8"], "SerializationException");

        // An empty body is an empty input, as in AWS.
        Expect.Ok(report["emptyBody"]);
    }

    [Fact]
    public async Task Missing_required_member_is_InvalidParameterException_naming_it()
    {
        var report = await ReportAsync();
        Expect.Error(report["missingRequiredRaw"], "InvalidParameterException", "taskDefinition can not be null.");
        Expect.Error(report["missingRequiredBoto"], "InvalidParameterException", "taskDefinition can not be null.");
        Expect.Error(report["missingRequiredUpdateCluster"], "InvalidParameterException", "cluster can not be null.");
    }

    [Fact]
    public async Task Out_of_range_max_results_and_bad_tokens_are_InvalidParameterException()
    {
        var report = await ReportAsync();
        Expect.Error(report["maxResults0"], "InvalidParameterException", messageContains: "maxResults");
        Expect.Error(report["maxResults101"], "InvalidParameterException", messageContains: "maxResults");
        Expect.Error(report["taskDefsMaxResults101"], "InvalidParameterException", messageContains: "maxResults");
        Expect.Error(report["badNextToken"], "InvalidParameterException");
        Expect.Ok(report["maxResults100"]);
    }

    [Fact]
    public async Task Unknown_targets_are_UnknownOperationException()
    {
        var report = await ReportAsync();
        Expect.Error(report["unknownTarget"], "UnknownOperationException", messageContains: "Frobnicate");
        Expect.Error(report["missingTarget"], "UnknownOperationException");
        Expect.Error(report["otherServiceTarget"], "UnknownOperationException");
    }

    [Fact]
    public async Task Unknown_resources_are_reported_as_ECS_does()
    {
        var report = await ReportAsync();
        var described = Expect.Ok(report["describeUnknownCluster"]);
        Assert.Empty(described["clusters"]!.AsArray());
        var failure = Assert.Single(described["failures"]!.AsArray())!;
        Assert.Equal("arn:aws:ecs:us-east-1:000000000000:cluster/e2e-no-such-cluster", (string?)failure["arn"]);
        Assert.Equal("MISSING", (string?)failure["reason"]);

        Expect.Error(report["updateUnknownCluster"], "ClusterNotFoundException", "Cluster not found.");
        Expect.Error(report["deleteUnknownCluster"], "ClusterNotFoundException", "Cluster not found.");
        Expect.Error(report["describeUnknownTaskDef"], "ClientException", "Unable to describe task definition.");
    }

    [Fact]
    public async Task Invalid_task_definitions_are_ClientException_and_register_nothing()
    {
        var report = await ReportAsync();
        Expect.Error(report["noEssential"], "ClientException", messageContains: "essential");
        Expect.Error(report["duplicateNames"], "ClientException", messageContains: "unique");
        Expect.Error(report["badFamily"], "ClientException", messageContains: "Family");
        Expect.Error(report["noContainers"], "ClientException");
        Assert.True(JsonNode.DeepEquals(report["beforeRefusals"], report["afterRefusals"]), report["afterRefusals"]!.ToJsonString());
        Assert.Empty(report["afterRefusals"]!["active"]!.AsArray());
        Assert.Empty(report["afterRefusals"]!["families"]!.AsArray());
    }

    [Fact]
    public async Task Body_over_one_MiB_is_refused_with_413_and_a_json_error()
    {
        var report = await ReportAsync();
        Expect.Error(report["oversized"], "RequestEntityTooLargeException", status: 413, messageContains: "1048576");
        Assert.Equal("MISSING", (string?)Expect.Ok(report["oversizedClusterAbsent"])["failures"]![0]!["reason"]);
    }

    [Fact]
    public async Task No_input_ever_gets_a_500()
    {
        var report = await ReportAsync();
        var all = report.AsObject().Where(p => p.Value is JsonObject o && o.ContainsKey("status")).ToList();
        all.AddRange(report["odd"]!.AsObject());
        Assert.True(all.Count > 40, $"only {all.Count} cases");
        foreach (var (name, result) in all)
        {
            var status = result!["status"]!.GetValue<int>();
            Assert.True(status is 200 or 400 or 413, $"{name}: HTTP {status}: {result.ToJsonString()}");
            Assert.False(string.IsNullOrEmpty((string?)result["requestId"]), $"{name} has no x-amzn-RequestId");
            if (status != 200)
            {
                Assert.False(string.IsNullOrEmpty((string?)result["code"]), $"{name}: an error without __type: {result.ToJsonString()}");
                Assert.False(string.IsNullOrEmpty((string?)result["message"]), $"{name}: an error without a message: {result.ToJsonString()}");
            }
        }

        foreach (var name in new[] { "nullContainer", "emptyTag", "badArn", "nulChar", "taskDefBadRevision", "taskDefRevisionOverflow", "deleteTaskDefsEmpty" })
        {
            Assert.True(report["odd"]![name]!["status"]!.GetValue<int>() == 400, $"{name}: {report["odd"]![name]!.ToJsonString()}");
        }
    }
}
