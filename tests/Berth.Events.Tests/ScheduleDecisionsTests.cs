using Berth.Events.Scheduler;
using Berth.Events.State;
using Berth.Protocol.Errors;
using Berth.Scheduler.Model;

namespace Berth.Events.Tests;

/// <summary>EventBridge Scheduler's writes: every operation's validation and errors as tables, and what a good request stores.</summary>
public sealed class ScheduleDecisionsTests
{
    private const string Region = "us-east-1";
    private const string Account = "000000000000";
    private const string Role = "arn:aws:iam::000000000000:role/scheduler";
    private const string Cluster = "arn:aws:ecs:us-east-1:000000000000:cluster/default";
    private static readonly DateTimeOffset Now = new(2026, 12, 2, 10, 0, 0, TimeSpan.Zero);

    private static CreateScheduleInput Good(string name = "s1", string? group = null) => new()
    {
        Name = name,
        GroupName = group,
        ScheduleExpression = "rate(5 minutes)",
        FlexibleTimeWindow = new FlexibleTimeWindow { Mode = "OFF" },
        Target = new Target { Arn = Cluster, RoleArn = Role, EcsParameters = new EcsParameters { TaskDefinitionArn = "hello" } },
    };

    private static EventsState WithGroup() =>
        ScheduleDecisions.CreateGroup(EventsState.Empty, Region, Account, Now, new CreateScheduleGroupInput { Name = "g1", Tags = [new Tag { Key = "k", Value = "v" }] }).State;

    [Theory]
    [InlineData("bad name", "ValidationException", 400, "Value 'a b' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[0-9a-zA-Z-_.]+$")]
    [InlineData("long name", "ValidationException", 400, "Member must have length less than or equal to 64")]
    [InlineData("bad group name", "ValidationException", 400, "at 'groupName'")]
    [InlineData("missing group", "ResourceNotFoundException", 404, "Schedule group nope does not exist.")]
    [InlineData("no expression", "ValidationException", 400, "Value null at 'scheduleExpression' failed to satisfy constraint: Member must not be null")]
    [InlineData("bad expression", "ValidationException", 400, "Invalid Schedule Expression every day.")]
    [InlineData("rate(1 minutes)", "ValidationException", 400, "Invalid Schedule Expression rate(1 minutes).")]
    [InlineData("cron both days", "ValidationException", 400, "Invalid Schedule Expression cron(0 10 * * * *).")]
    [InlineData("at on a bad day", "ValidationException", 400, "Invalid Schedule Expression at(2027-02-30T10:00:00).")]
    [InlineData("bad zone", "ValidationException", 400, "Invalid time zone: Mars/Olympus.")]
    [InlineData("bad state", "ValidationException", 400, "Member must satisfy enum value set: [ENABLED, DISABLED]")]
    [InlineData("long description", "ValidationException", 400, "at 'description'")]
    [InlineData("no window", "ValidationException", 400, "Value null at 'flexibleTimeWindow' failed to satisfy constraint: Member must not be null")]
    [InlineData("bad mode", "ValidationException", 400, "Member must satisfy enum value set: [OFF, FLEXIBLE]")]
    [InlineData("flexible without window", "ValidationException", 400, "MaximumWindowInMinutes is required when Mode is FLEXIBLE.")]
    [InlineData("window 0", "ValidationException", 400, "Member must have value greater than or equal to 1")]
    [InlineData("window 1441", "ValidationException", 400, "Member must have value less than or equal to 1440")]
    [InlineData("off with window", "ValidationException", 400, "MaximumWindowInMinutes is only allowed when Mode is FLEXIBLE.")]
    [InlineData("bad action", "ValidationException", 400, "Member must satisfy enum value set: [NONE, DELETE]")]
    [InlineData("bad client token", "ValidationException", 400, "at 'clientToken'")]
    [InlineData("bad kms", "ValidationException", 400, "at 'kmsKeyArn'")]
    [InlineData("no target", "ValidationException", 400, "Value null at 'target'")]
    [InlineData("no target arn", "ValidationException", 400, "Value null at 'target.arn'")]
    [InlineData("no role", "ValidationException", 400, "Value null at 'target.roleArn'")]
    [InlineData("bad role", "ValidationException", 400, "Value 'role' at 'target.roleArn'")]
    [InlineData("empty input", "ValidationException", 400, "at 'target.input'")]
    [InlineData("retry age 59", "ValidationException", 400, "Member must have value greater than or equal to 60")]
    [InlineData("retry age 86401", "ValidationException", 400, "Member must have value less than or equal to 86400")]
    [InlineData("retry attempts 186", "ValidationException", 400, "Member must have value less than or equal to 185")]
    [InlineData("bad dead letter", "ValidationException", 400, "at 'target.deadLetterConfig.arn'")]
    [InlineData("task count 0", "ValidationException", 400, "at 'target.ecsParameters.taskCount'")]
    [InlineData("task count 11", "ValidationException", 400, "Member must have value less than or equal to 10")]
    [InlineData("bad launch type", "ValidationException", 400, "Member must satisfy enum value set: [EC2, FARGATE, EXTERNAL]")]
    [InlineData("launch type and capacity", "ValidationException", 400, "Specifying both a launch type and capacity provider strategy is not supported.")]
    [InlineData("no task definition", "ValidationException", 400, "at 'target.ecsParameters.taskDefinitionArn'")]
    [InlineData("ecs on a non-cluster arn", "ValidationException", 400, "EcsParameters need an ECS cluster ARN")]
    [InlineData("universal without input", "ValidationException", 400, "Input is required for the universal target")]
    [InlineData("universal with bad input", "ValidationException", 400, "Input for the universal target must be valid JSON.")]
    [InlineData("start long ago", "ValidationException", 400, "The StartDate you specify cannot be earlier than 5 minutes ago.")]
    [InlineData("end in the past", "ValidationException", 400, "The EndDate you specify cannot be earlier than the current time.")]
    [InlineData("end before start", "ValidationException", 400, "The EndDate you specify must be later than the StartDate.")]
    [InlineData("exists", "ConflictException", 409, "Schedule s1 already exists.")]
    public void CreateSchedule_refuses_bad_input_and_writes_nothing(string situation, string type, int status, string message)
    {
        var state = ScheduleDecisions.Create(WithGroup(), Region, Account, Now, Good("s1")).State;
        var r = Good(situation == "exists" ? "s1" : "s2");
        var t = r.Target!;
        switch (situation)
        {
            case "bad name": r.Name = "a b"; break;
            case "long name": r.Name = new string('a', 65); break;
            case "bad group name": r.GroupName = "a/b"; break;
            case "missing group": r.GroupName = "nope"; break;
            case "no expression": r.ScheduleExpression = null; break;
            case "bad expression": r.ScheduleExpression = "every day"; break;
            case "rate(1 minutes)": r.ScheduleExpression = "rate(1 minutes)"; break;
            case "cron both days": r.ScheduleExpression = "cron(0 10 * * * *)"; break;
            case "at on a bad day": r.ScheduleExpression = "at(2027-02-30T10:00:00)"; break;
            case "bad zone": r.ScheduleExpressionTimezone = "Mars/Olympus"; break;
            case "bad state": r.State = "PAUSED"; break;
            case "long description": r.Description = new string('d', 513); break;
            case "no window": r.FlexibleTimeWindow = null; break;
            case "bad mode": r.FlexibleTimeWindow = new FlexibleTimeWindow { Mode = "SOMETIMES" }; break;
            case "flexible without window": r.FlexibleTimeWindow = new FlexibleTimeWindow { Mode = "FLEXIBLE" }; break;
            case "window 0": r.FlexibleTimeWindow = new FlexibleTimeWindow { Mode = "FLEXIBLE", MaximumWindowInMinutes = 0 }; break;
            case "window 1441": r.FlexibleTimeWindow = new FlexibleTimeWindow { Mode = "FLEXIBLE", MaximumWindowInMinutes = 1441 }; break;
            case "off with window": r.FlexibleTimeWindow = new FlexibleTimeWindow { Mode = "OFF", MaximumWindowInMinutes = 5 }; break;
            case "bad action": r.ActionAfterCompletion = "ARCHIVE"; break;
            case "bad client token": r.ClientToken = "a b"; break;
            case "bad kms": r.KmsKeyArn = "key"; break;
            case "no target": r.Target = null; break;
            case "no target arn": t.Arn = null; break;
            case "no role": t.RoleArn = null; break;
            case "bad role": t.RoleArn = "role"; break;
            case "empty input": t.Input = ""; break;
            case "retry age 59": t.RetryPolicy = new RetryPolicy { MaximumEventAgeInSeconds = 59 }; break;
            case "retry age 86401": t.RetryPolicy = new RetryPolicy { MaximumEventAgeInSeconds = 86401 }; break;
            case "retry attempts 186": t.RetryPolicy = new RetryPolicy { MaximumRetryAttempts = 186 }; break;
            case "bad dead letter": t.DeadLetterConfig = new DeadLetterConfig { Arn = "queue" }; break;
            case "task count 0": t.EcsParameters!.TaskCount = 0; break;
            case "task count 11": t.EcsParameters!.TaskCount = 11; break;
            case "bad launch type": t.EcsParameters!.LaunchType = "LAMBDA"; break;
            case "launch type and capacity":
                t.EcsParameters!.LaunchType = "EC2";
                t.EcsParameters.CapacityProviderStrategy = [new CapacityProviderStrategyItem { CapacityProvider = "FARGATE" }];
                break;
            case "no task definition": t.EcsParameters!.TaskDefinitionArn = null; break;
            case "ecs on a non-cluster arn": t.Arn = "arn:aws:sqs:us-east-1:000000000000:q"; break;
            case "universal without input": t.Arn = ScheduleDecisions.UniversalRunTask; t.EcsParameters = null; break;
            case "universal with bad input": t.Arn = ScheduleDecisions.UniversalRunTask; t.EcsParameters = null; t.Input = "{"; break;
            case "start long ago": r.StartDate = Now.AddMinutes(-6); break;
            case "end in the past": r.EndDate = Now.AddMinutes(-1); break;
            case "end before start": r.StartDate = Now.AddDays(2); r.EndDate = Now.AddDays(1); break;
        }

        var e = Assert.ThrowsAny<AwsException>(() => ScheduleDecisions.Create(state, Region, Account, Now, r));
        Assert.Equal((type, status), (e.ErrorType, e.StatusCode));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_good_schedule_is_stored_with_defaults_and_the_same_client_token_answers_it_again()
    {
        var r = Good();
        r.ClientToken = "token-1";
        r.ScheduleExpressionTimezone = "Europe/Paris";
        r.FlexibleTimeWindow = new FlexibleTimeWindow { Mode = "FLEXIBLE", MaximumWindowInMinutes = 10 };
        r.ActionAfterCompletion = "DELETE";
        var first = ScheduleDecisions.Create(EventsState.Empty, Region, Account, Now, r);
        var s = first.Result;
        Assert.Equal("arn:aws:scheduler:us-east-1:000000000000:schedule/default/s1", s.Arn);
        Assert.Equal(("Europe/Paris", 10, true, RuleState.Enabled), (s.Timezone, s.FlexibleWindowMinutes, s.DeleteAfterCompletion, s.State));
        Assert.Equal(86400, s.MaximumEventAgeInSeconds);
        Assert.Single(first.Mutations);

        var wire = SchedulerApi.ToWire(s);
        Assert.Equal((86400, 185), (wire.Target!.RetryPolicy!.MaximumEventAgeInSeconds, wire.Target.RetryPolicy.MaximumRetryAttempts));
        Assert.Equal("DELETE", wire.ActionAfterCompletion);

        var again = ScheduleDecisions.Create(first.State, Region, Account, Now.AddSeconds(5), r);
        Assert.Same(s, again.Result);
        Assert.Empty(again.Mutations);
    }

    [Theory]
    [InlineData("missing", "ResourceNotFoundException", 404, "Schedule nope does not exist.")]
    [InlineData("missing group", "ResourceNotFoundException", 404, "Schedule group nope does not exist.")]
    [InlineData("bad expression", "ValidationException", 400, "Invalid Schedule Expression rate(0 minutes).")]
    public void UpdateSchedule_refuses(string situation, string type, int status, string message)
    {
        var state = ScheduleDecisions.Create(EventsState.Empty, Region, Account, Now, Good()).State;
        var c = Good(situation == "missing" ? "nope" : "s1");
        var r = new UpdateScheduleInput { Name = c.Name, GroupName = situation == "missing group" ? "nope" : null, ScheduleExpression = situation == "bad expression" ? "rate(0 minutes)" : c.ScheduleExpression, FlexibleTimeWindow = c.FlexibleTimeWindow, Target = c.Target };
        var e = Assert.ThrowsAny<AwsException>(() => ScheduleDecisions.Update(state, Region, Account, Now, r));
        Assert.Equal((type, status, message), (e.ErrorType, e.StatusCode, e.Message));
    }

    [Fact]
    public void UpdateSchedule_replaces_every_setting_and_keeps_the_creation_date()
    {
        var created = ScheduleDecisions.Create(EventsState.Empty, Region, Account, Now, Good());
        var later = Now.AddHours(1);
        var updated = ScheduleDecisions.Update(created.State, Region, Account, later, new UpdateScheduleInput
        {
            Name = "s1",
            ScheduleExpression = "cron(0 9 * * ? *)",
            State = "DISABLED",
            FlexibleTimeWindow = new FlexibleTimeWindow { Mode = "OFF" },
            Target = new Target { Arn = ScheduleDecisions.UniversalRunTask, RoleArn = Role, Input = """{"cluster":"default","taskDefinition":"hello"}""" },
        }).Result;
        Assert.Equal((Now, later, later, RuleState.Disabled, "cron(0 9 * * ? *)"), (updated.CreatedAt, updated.ModifiedAt, updated.ActiveSince, updated.State, updated.Expression));
        Assert.Null(updated.Ecs);
        Assert.Equal(ScheduleDecisions.UniversalRunTask, updated.TargetArn);
    }

    [Fact]
    public void Deleting_a_group_deletes_its_schedules_and_the_default_group_cannot_be_deleted()
    {
        var state = WithGroup();
        state = ScheduleDecisions.Create(state, Region, Account, Now, Good("a", "g1")).State;
        state = ScheduleDecisions.Create(state, Region, Account, Now, Good("b", "g1")).State;
        state = ScheduleDecisions.Create(state, Region, Account, Now, Good("c")).State;
        var deleted = ScheduleDecisions.DeleteGroup(state, Region, new DeleteScheduleGroupInput { Name = "g1" });
        Assert.Equal(["c"], deleted.State.Schedules.Values.Select(s => s.Name));
        Assert.Equal(5, deleted.Mutations.Count);

        var e = Assert.ThrowsAny<AwsException>(() => ScheduleDecisions.DeleteGroup(state, Region, new DeleteScheduleGroupInput { Name = "default" }));
        Assert.Equal(("ValidationException", 400), (e.ErrorType, e.StatusCode));
        var missing = Assert.ThrowsAny<AwsException>(() => ScheduleDecisions.DeleteGroup(state, Region, new DeleteScheduleGroupInput { Name = "nope" }));
        Assert.Equal(("ResourceNotFoundException", 404, "Schedule group nope does not exist."), (missing.ErrorType, missing.StatusCode, missing.Message));
        var schedule = Assert.ThrowsAny<AwsException>(() => ScheduleDecisions.Delete(state, Region, new DeleteScheduleInput { Name = "zz" }));
        Assert.Equal(("ResourceNotFoundException", 404), (schedule.ErrorType, schedule.StatusCode));
    }

    [Theory]
    [InlineData("exists", "ConflictException", 409)]
    [InlineData("default", "ConflictException", 409)]
    [InlineData("bad name", "ValidationException", 400)]
    [InlineData("bad tag", "ValidationException", 400)]
    [InlineData("quota", "ServiceQuotaExceededException", 402)]
    public void CreateScheduleGroup_refuses(string situation, string type, int status)
    {
        var state = WithGroup();
        if (situation == "quota")
        {
            for (var i = 0; i < ScheduleDecisions.MaxGroups - 2; i++)
            {
                state = ScheduleDecisions.CreateGroup(state, Region, Account, Now, new CreateScheduleGroupInput { Name = "q" + i }).State;
            }
        }

        var r = situation switch
        {
            "exists" => new CreateScheduleGroupInput { Name = "g1" },
            "default" => new CreateScheduleGroupInput { Name = "default" },
            "bad name" => new CreateScheduleGroupInput { Name = "a b" },
            "bad tag" => new CreateScheduleGroupInput { Name = "g2", Tags = [new Tag { Key = "", Value = "v" }] },
            _ => new CreateScheduleGroupInput { Name = "one-too-many" },
        };
        var e = Assert.ThrowsAny<AwsException>(() => ScheduleDecisions.CreateGroup(state, Region, Account, Now, r));
        Assert.Equal((type, status), (e.ErrorType, e.StatusCode));
    }

    [Theory]
    [InlineData("arn:aws:sqs:us-east-1:000000000000:q", "ValidationException", 400)]
    [InlineData("arn:aws:scheduler:us-east-1:000000000000:schedule/default/s1", "ValidationException", 400)]
    [InlineData("arn:aws:scheduler:us-east-1:000000000000:schedule-group/nope", "ResourceNotFoundException", 404)]
    [InlineData("arn:aws:scheduler:eu-west-1:000000000000:schedule-group/g1", "ResourceNotFoundException", 404)]
    public void Tagging_refuses_what_is_not_a_group_here(string arn, string type, int status)
    {
        var e = Assert.ThrowsAny<AwsException>(() => ScheduleDecisions.Tag(WithGroup(), Region, Account, Now, arn, [new Tag { Key = "a", Value = "b" }], null));
        Assert.Equal((type, status), (e.ErrorType, e.StatusCode));
    }

    [Fact]
    public void Tags_are_added_and_removed_and_the_default_group_can_be_tagged()
    {
        var state = ScheduleDecisions.Tag(WithGroup(), Region, Account, Now, "arn:aws:scheduler:us-east-1:000000000000:schedule-group/g1", [new Tag { Key = "x", Value = "1" }], null).State;
        state = ScheduleDecisions.Tag(state, Region, Account, Now, "arn:aws:scheduler:us-east-1:000000000000:schedule-group/g1", null, ["k"]).State;
        Assert.Equal(["x"], state.ScheduleGroups[EventsState.GroupKey(Region, "g1")].Tags.Keys);
        state = ScheduleDecisions.Tag(state, Region, Account, Now, "arn:aws:scheduler:us-east-1:000000000000:schedule-group/default", [new Tag { Key = "d", Value = "1" }], null).State;
        Assert.Equal("1", ScheduleDecisions.FindGroup(state, Region, Account, "default")!.Tags["d"]);
    }

    [Theory]
    [InlineData(null, null, 100, null)]
    [InlineData(2, null, 2, "2")]
    [InlineData(2, "2", 2, "4")]
    [InlineData(2, "4", 1, null)]
    public void Paging(int? limit, string? token, int count, string? next)
    {
        var (page, nextToken) = SchedulerApi.Page(Enumerable.Range(0, limit is null ? 100 : 5), limit, token);
        Assert.Equal((count, next), (page.Count, nextToken));
    }

    [Theory]
    [InlineData(0, null)]
    [InlineData(101, null)]
    [InlineData(null, "x")]
    [InlineData(null, "-1")]
    public void Paging_refuses(int? limit, string? token) =>
        Assert.Equal("ValidationException", Assert.ThrowsAny<AwsException>(() => SchedulerApi.Page([1], limit, token)).ErrorType);
}
