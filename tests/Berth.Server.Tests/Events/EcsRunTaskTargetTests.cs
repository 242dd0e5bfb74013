using Berth.Events.Firing;
using Berth.Events.State;
using Berth.Server.Events;

namespace Berth.Server.Tests.Events;

/// <summary>The RunTask request a firing makes: from a target's EcsParameters, or Scheduler's universal target's whole request.</summary>
public class EcsRunTaskTargetTests
{
    private static RunTaskCall Universal(string json) =>
        new("us-east-1", "", new EcsTargetRecord { TaskDefinitionArn = "" }, null, "chronos-schedule/s") { RequestJson = json };

    [Theory]
    [InlineData("""{"cluster":"default","taskDefinition":"hello","count":2}""")]
    [InlineData("""{"Cluster":"default","TaskDefinition":"hello","Count":2}""")]
    public void The_universal_target_input_is_the_request_in_either_case_with_startedBy_filled(string json)
    {
        var request = EcsRunTaskTarget.Request(Universal(json));
        Assert.Equal(("default", "hello", 2, "chronos-schedule/s"), (request.Cluster, request.TaskDefinition, request.Count, request.StartedBy));
    }

    [Fact]
    public void A_startedBy_the_input_names_is_kept_and_overrides_are_read()
    {
        var request = EcsRunTaskTarget.Request(Universal("""{"taskDefinition":"hello","startedBy":"mine","overrides":{"containerOverrides":[{"name":"app","command":["echo","hi"]}]}}"""));
        Assert.Equal("mine", request.StartedBy);
        Assert.Equal(["echo", "hi"], request.Overrides!.ContainerOverrides![0].Command!);
    }

    [Fact]
    public void A_templated_target_becomes_RunTask_with_its_parameters_input_and_startedBy()
    {
        var call = new RunTaskCall("us-east-1", "arn:aws:ecs:us-east-1:000000000000:cluster/default", new EcsTargetRecord { TaskDefinitionArn = "hello", TaskCount = 3, LaunchType = "EC2" },
            """{"containerOverrides":[{"name":"app","command":["echo","x"]}]}""", "chronos-schedule/t");
        var request = EcsRunTaskTarget.Request(call);
        Assert.Equal(("arn:aws:ecs:us-east-1:000000000000:cluster/default", "hello", 3, "EC2", "chronos-schedule/t"), (request.Cluster, request.TaskDefinition, request.Count, request.LaunchType, request.StartedBy));
        Assert.Equal("app", request.Overrides!.ContainerOverrides![0].Name);
    }
}
