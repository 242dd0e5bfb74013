using System.Globalization;
using System.Text.Json.Nodes;
using Berth.EndToEnd.Tests.Infrastructure;

namespace Berth.EndToEnd.Tests.EventBridge;

/// <summary>A server for EventBridge Scheduler.</summary>
public sealed class SchedulerFixture() : EventsServerFixture("scheduler");

/// <summary>EventBridge Scheduler with the real AWS CLI and boto3: groups and schedules, AWS's errors, and at() schedules that run ECS tasks.</summary>
public sealed class SchedulerTests(SchedulerFixture fixture) : IClassFixture<SchedulerFixture>
{
    private const string Role = "arn:aws:iam::000000000000:role/scheduler";

    private BerthServer Server => fixture.Server;

    [Fact]
    public async Task Groups_and_schedules_are_created_read_listed_updated_and_deleted_with_the_AWS_CLI_and_boto3()
    {
        var group = "grp-" + fixture.RunId;
        var created = await Clients.AwsJsonAsync(Server, "scheduler", "create-schedule-group", "--name", group, "--tags", "Key=team,Value=ops");
        var groupArn = (string)created!["ScheduleGroupArn"]!;
        var account = groupArn.Split(':')[4];
        Assert.Equal($"arn:aws:scheduler:{Clients.Region}:{account}:schedule-group/{group}", groupArn);

        var target = TemplatedTarget(account, "fam-" + fixture.RunId, null);
        var arn = await Clients.AwsJsonAsync(Server, "scheduler", "create-schedule", "--name", "alpha", "--group-name", group,
            "--schedule-expression", "cron(0 9 ? * MON-FRI *)", "--schedule-expression-timezone", "Europe/Paris",
            "--flexible-time-window", "Mode=FLEXIBLE,MaximumWindowInMinutes=15", "--target", target);
        Assert.Equal($"arn:aws:scheduler:{Clients.Region}:{account}:schedule/{group}/alpha", (string)arn!["ScheduleArn"]!);
        var got = await Clients.AwsJsonAsync(Server, "scheduler", "get-schedule", "--name", "alpha", "--group-name", group);
        Assert.Equal("cron(0 9 ? * MON-FRI *)", (string)got!["ScheduleExpression"]!);
        Assert.Equal("Europe/Paris", (string)got["ScheduleExpressionTimezone"]!);
        Assert.Equal("FLEXIBLE", (string)got["FlexibleTimeWindow"]!["Mode"]!);
        Assert.Equal(15, (int)got["FlexibleTimeWindow"]!["MaximumWindowInMinutes"]!);
        Assert.Equal("ENABLED", (string)got["State"]!);
        Assert.Equal(86400, (int)got["Target"]!["RetryPolicy"]!["MaximumEventAgeInSeconds"]!);
        Assert.Equal("fam-" + fixture.RunId, (string)got["Target"]!["EcsParameters"]!["TaskDefinitionArn"]!);

        // UpdateSchedule replaces the settings: what it leaves out returns to its default.
        await Clients.AwsJsonAsync(Server, "scheduler", "update-schedule", "--name", "alpha", "--group-name", group, "--schedule-expression", "rate(3 hours)",
            "--flexible-time-window", "Mode=OFF", "--description", "paused", "--target", target);
        var updated = await Clients.AwsJsonAsync(Server, "scheduler", "list-schedules", "--group-name", group);
        Assert.Equal(["alpha"], updated!["Schedules"]!.AsArray().Select(s => (string)s!["Name"]!));
        var error = await Clients.AwsErrorAsync(Server, "ValidationException", "CreateSchedule", "scheduler", "create-schedule", "--name", "delta", "--group-name", group,
            "--schedule-expression", "every day", "--flexible-time-window", "Mode=OFF", "--target", target);
        Assert.Contains("Invalid Schedule Expression every day.", error, StringComparison.Ordinal);

        // The rest through boto3 in one process: tags, filters, paging, conflicts and deletes.
        var answer = await Clients.PythonAsync(Server, "scheduler_tool.py", ["lifecycle", group]);
        Assert.Equal("""[{"Key":"env","Value":"test"}]""", answer["tags"]!.ToJsonString());
        Assert.Contains("default", answer["groups"]!.AsArray().Select(g => (string)g!));
        Assert.Contains(group, answer["groups"]!.AsArray().Select(g => (string)g!));
        Assert.Equal("ACTIVE", (string)answer["groupState"]!);
        Assert.Equal("""["gamma"]""", answer["prefix"]!.ToJsonString());
        Assert.Equal("""["beta"]""", answer["disabled"]!.ToJsonString());
        Assert.Equal("""["alpha","beta"]""", answer["page1"]!.ToJsonString());
        Assert.Equal("""["gamma"]""", answer["page2"]!.ToJsonString());
        Assert.Equal($"arn:aws:ecs:{Clients.Region}:{account}:cluster/default", (string)answer["summaryTarget"]!["Arn"]!);
        Assert.Equal(("ConflictException", 409, "Schedule beta already exists."), ((string)answer["conflict"]!["code"]!, (int)answer["conflict"]!["status"]!, (string)answer["conflict"]!["message"]!));
        Assert.Equal(("ResourceNotFoundException", 404, "Schedule beta does not exist."), ((string)answer["getDeleted"]!["code"]!, (int)answer["getDeleted"]!["status"]!, (string)answer["getDeleted"]!["message"]!));
        Assert.Equal(("ResourceNotFoundException", 404), ((string)answer["getGroup"]!["code"]!, (int)answer["getGroup"]!["status"]!));
        Assert.True((bool)answer["deleteGroup"]! && (bool)answer["deleteOne"]! && (bool)answer["tag"]! && (bool)answer["untag"]!);
        Assert.Empty(answer["left"]!.AsArray());
    }

    [Fact]
    public async Task Bad_input_gets_AWSs_errors_and_statuses_through_boto3_and_writes_nothing()
    {
        var answer = await Clients.PythonAsync(Server, "scheduler_tool.py", ["bad_input"]);
        var results = answer["results"]!.AsObject();
        var expected = new Dictionary<string, (string Code, int Status)>
        {
            ["CreateSchedule bad name"] = ("ValidationException", 400),
            ["CreateSchedule exists"] = ("ConflictException", 409),
            ["CreateSchedule missing group"] = ("ResourceNotFoundException", 404),
            ["CreateSchedule rate(1 minutes)"] = ("ValidationException", 400),
            ["CreateSchedule bad at"] = ("ValidationException", 400),
            ["CreateSchedule bad zone"] = ("ValidationException", 400),
            ["CreateSchedule bad state"] = ("ValidationException", 400),
            ["CreateSchedule no window"] = ("ValidationException", 400),
            ["CreateSchedule window 1441"] = ("ValidationException", 400),
            ["CreateSchedule flexible without window"] = ("ValidationException", 400),
            ["CreateSchedule bad role"] = ("ValidationException", 400),
            ["CreateSchedule no target arn"] = ("ValidationException", 400),
            ["CreateSchedule task count 11"] = ("ValidationException", 400),
            ["CreateSchedule retry age 59"] = ("ValidationException", 400),
            ["CreateSchedule end before start"] = ("ValidationException", 400),
            ["CreateSchedule bad action"] = ("ValidationException", 400),
            ["CreateSchedule universal without input"] = ("ValidationException", 400),
            ["CreateSchedule wrong type"] = ("SerializationException", 400),
            ["GetSchedule missing"] = ("ResourceNotFoundException", 404),
            ["GetSchedule missing group"] = ("ResourceNotFoundException", 404),
            ["UpdateSchedule missing"] = ("ResourceNotFoundException", 404),
            ["UpdateSchedule bad expression"] = ("ValidationException", 400),
            ["DeleteSchedule missing"] = ("ResourceNotFoundException", 404),
            ["ListSchedules max 0"] = ("ValidationException", 400),
            ["ListSchedules bad token"] = ("ValidationException", 400),
            ["ListSchedules missing group"] = ("ResourceNotFoundException", 404),
            ["ListSchedules bad state"] = ("ValidationException", 400),
            ["CreateScheduleGroup exists"] = ("ConflictException", 409),
            ["CreateScheduleGroup default"] = ("ConflictException", 409),
            ["CreateScheduleGroup bad name"] = ("ValidationException", 400),
            ["GetScheduleGroup missing"] = ("ResourceNotFoundException", 404),
            ["DeleteScheduleGroup default"] = ("ValidationException", 400),
            ["DeleteScheduleGroup missing"] = ("ResourceNotFoundException", 404),
            ["TagResource bad arn"] = ("ValidationException", 400),
            ["TagResource missing group"] = ("ResourceNotFoundException", 404),
            ["TagResource empty key"] = ("ValidationException", 400),
            ["UntagResource missing group"] = ("ResourceNotFoundException", 404),
            ["ListTagsForResource schedule arn"] = ("ValidationException", 400),
        };
        Assert.Equal(expected.Keys.Order(), results.Select(r => r.Key).Order());
        foreach (var (name, (code, status)) in expected)
        {
            Assert.True((string?)results[name]!["code"] == code && (int)results[name]!["status"]! == status, $"{name}: {results[name]!.ToJsonString()}");
        }

        Assert.Equal("Schedule nope does not exist.", (string)results["GetSchedule missing"]!["message"]!);
        Assert.Equal("Schedule group nope does not exist.", (string)results["CreateSchedule missing group"]!["message"]!);
        Assert.Equal("Schedule bad-input-base already exists.", (string)results["CreateSchedule exists"]!["message"]!);
        Assert.Equal("Invalid Schedule Expression rate(1 minutes).", (string)results["CreateSchedule rate(1 minutes)"]!["message"]!);
        Assert.Equal("1 validation error detected: Value null at 'flexibleTimeWindow' failed to satisfy constraint: Member must not be null", (string)results["CreateSchedule no window"]!["message"]!);
        Assert.True((bool)answer["unchanged"]!);
    }

    [Fact]
    public async Task At_schedules_fire_once_run_their_ECS_task_with_startedBy_and_delete_themselves_and_a_disabled_one_never_fires()
    {
        var family = "at-" + fixture.RunId;
        await fixture.Ecs.OkAsync("register_task_definition", new JsonObject
        {
            ["family"] = family,
            ["containerDefinitions"] = new JsonArray(new JsonObject
            {
                ["name"] = "app",
                ["image"] = fixture.Image,
                ["memory"] = 16,
                ["command"] = new JsonArray("sh", "-c", "echo default"),
            }),
        });
        var account = "000000000000";

        // Each due 15 s after it is created: in UTC for the templated target, as New York wall-clock time for the universal one.
        static string At(string zone) => TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow.AddSeconds(15), TimeZoneInfo.FindSystemTimeZoneById(zone))
            .ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture);
        var templated = "once-" + fixture.RunId;
        var universal = "sdk-" + fixture.RunId;
        var disabled = "off-" + fixture.RunId;
        var overrides = new JsonObject { ["containerOverrides"] = new JsonArray(new JsonObject { ["name"] = "app", ["command"] = new JsonArray("sh", "-c", "echo fired") }) };
        var firstDue = DateTimeOffset.UtcNow.AddSeconds(14);
        await Clients.AwsJsonAsync(Server, "scheduler", "create-schedule", "--name", templated, "--schedule-expression", $"at({At("UTC")})",
            "--flexible-time-window", "Mode=OFF", "--action-after-completion", "DELETE", "--target", TemplatedTarget(account, family, overrides.ToJsonString()));
        var runTask = new JsonObject { ["Cluster"] = "default", ["TaskDefinition"] = family, ["Overrides"] = overrides.DeepClone(), ["Tags"] = new JsonArray(new JsonObject { ["key"] = "via", ["value"] = "sdk" }) };
        await Clients.AwsJsonAsync(Server, "scheduler", "create-schedule", "--name", universal, "--schedule-expression", $"at({At("America/New_York")})",
            "--schedule-expression-timezone", "America/New_York", "--flexible-time-window", "Mode=OFF", "--action-after-completion", "DELETE",
            "--target", new JsonObject { ["Arn"] = "arn:aws:scheduler:::aws-sdk:ecs:runTask", ["RoleArn"] = Role, ["Input"] = runTask.ToJsonString() }.ToJsonString());
        var offDue = DateTimeOffset.UtcNow.AddSeconds(15);
        await Clients.AwsJsonAsync(Server, "scheduler", "create-schedule", "--name", disabled, "--schedule-expression", $"at({At("UTC")})", "--state", "DISABLED",
            "--flexible-time-window", "Mode=OFF", "--target", TemplatedTarget(account, family, null));

        List<string> once = [];
        List<string> sdk = [];
        await Poll.UntilAsync(
            async () => (once = await TasksStartedByAsync("chronos-schedule/" + templated)).Count >= 1 && (sdk = await TasksStartedByAsync("chronos-schedule/" + universal)).Count >= 1,
            TimeSpan.FromSeconds(45),
            () => $"{once.Count} and {sdk.Count} tasks started by the at() schedules");
        Assert.True(DateTimeOffset.UtcNow >= firstDue, "fired before its time");

        // Both deleted with their one firing's record, before its RunTask (ActionAfterCompletion DELETE); each ran exactly one task.
        foreach (var name in new[] { templated, universal })
        {
            await Clients.AwsErrorAsync(Server, "ResourceNotFoundException", "GetSchedule", "scheduler", "get-schedule", "--name", name);
            Assert.Single(await TasksStartedByAsync("chronos-schedule/" + name));
        }

        var task = await fixture.Ecs.TaskAsync("default", once[0]);
        Assert.Equal("chronos-schedule/" + templated, (string)task["startedBy"]!);
        Assert.Equal("""["sh","-c","echo fired"]""", task["overrides"]!["containerOverrides"]![0]!["command"]!.ToJsonString());
        var viaSdk = await fixture.Ecs.OkAsync("describe_tasks", new JsonObject { ["cluster"] = "default", ["tasks"] = new JsonArray(sdk[0]), ["include"] = new JsonArray("TAGS") });
        Assert.Contains(viaSdk["tasks"]![0]!["tags"]!.AsArray(), t => (string)t!["key"]! == "via" && (string)t["value"]! == "sdk");

        // The disabled one never fired (its time has passed) and is still there.
        await Poll.UntilAsync(() => DateTimeOffset.UtcNow > offDue.AddSeconds(2), TimeSpan.FromSeconds(30), () => "the disabled schedule's time");
        Assert.Empty(await TasksStartedByAsync("chronos-schedule/" + disabled));
        Assert.Equal("DISABLED", (string)(await Clients.AwsJsonAsync(Server, "scheduler", "get-schedule", "--name", disabled))!["State"]!);
        var listed = await Clients.AwsAsync(Server, "ecs", "list-tasks", "--started-by", "chronos-schedule/" + templated, "--desired-status", "STOPPED");
        var running = await Clients.AwsAsync(Server, "ecs", "list-tasks", "--started-by", "chronos-schedule/" + templated);
        Assert.Contains(once[0], listed.Stdout + running.Stdout, StringComparison.Ordinal);
    }

    private static string TemplatedTarget(string account, string family, string? input)
    {
        var target = new JsonObject
        {
            ["Arn"] = $"arn:aws:ecs:{Clients.Region}:{account}:cluster/default",
            ["RoleArn"] = Role,
            ["EcsParameters"] = new JsonObject { ["TaskDefinitionArn"] = family, ["TaskCount"] = 1, ["LaunchType"] = "EC2" },
        };
        if (input is not null)
        {
            target["Input"] = input;
        }

        return target.ToJsonString();
    }

    // Running and stopped: the tasks finish at once.
    private async Task<List<string>> TasksStartedByAsync(string startedBy)
    {
        var all = new List<string>();
        foreach (var status in new[] { "RUNNING", "STOPPED" })
        {
            var listed = await fixture.Ecs.OkAsync("list_tasks", new JsonObject { ["cluster"] = "default", ["startedBy"] = startedBy, ["desiredStatus"] = status });
            all.AddRange(listed["taskArns"]!.AsArray().Select(a => (string)a!));
        }

        return [.. all.Distinct()];
    }
}
