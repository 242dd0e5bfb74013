using Berth.Ecs.Model;
using Berth.Ecs.TaskDefinitions;
using Berth.Protocol.Errors;

namespace Berth.Ecs.Tests.TaskDefinitions;

/// <summary>Small valid requests the tests start from, and the call they all make.</summary>
internal static class Requests
{
    public const string Arn = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:3";
    public static readonly DateTimeOffset RegisteredAt = new(2025, 1, 2, 3, 4, 5, TimeSpan.Zero);
    public const string RegisteredBy = "arn:aws:iam::123456789012:root";

    /// <summary>EC2, bridge (by default), one container with a hard memory limit.</summary>
    public static RegisterTaskDefinitionRequest Ec2() => new()
    {
        Family = "web",
        ContainerDefinitions = [Container("app")],
    };

    /// <summary>Fargate's smallest size: awsvpc, 256 CPU, 512 MiB, no container memory.</summary>
    public static RegisterTaskDefinitionRequest Fargate() => new()
    {
        Family = "web",
        NetworkMode = "awsvpc",
        RequiresCompatibilities = ["FARGATE"],
        Cpu = "256",
        Memory = "512",
        ContainerDefinitions = [new ContainerDefinition { Name = "app", Image = "nginx:latest" }],
    };

    public static ContainerDefinition Container(string name, int memory = 128) =>
        new() { Name = name, Image = "nginx:latest", Memory = memory };

    public static TaskDefinition Build(RegisterTaskDefinitionRequest request) =>
        TaskDefinitionRules.Build(request, Arn, 3, RegisteredAt, RegisteredBy);

    public static AwsException Refused(RegisterTaskDefinitionRequest request) =>
        Assert.Throws<AwsException>(() => Build(request));

    /// <summary>Applies <paramref name="change"/> to a fresh request and returns it (for table rows).</summary>
    public static RegisterTaskDefinitionRequest With(this RegisterTaskDefinitionRequest request, Action<RegisterTaskDefinitionRequest> change)
    {
        change(request);
        return request;
    }

    public static RegisterTaskDefinitionRequest WithApp(this RegisterTaskDefinitionRequest request, Action<ContainerDefinition> change)
    {
        change(request.ContainerDefinitions![0]);
        return request;
    }
}
