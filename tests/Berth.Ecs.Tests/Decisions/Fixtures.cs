using Berth.Ecs.Arns;
using Berth.Ecs.Model;

namespace Berth.Ecs.Tests.Decisions;

internal static class Fixtures
{
    public static readonly Scope Scope = new("us-east-1", "000000000000");
    public static readonly DateTimeOffset Now = new(2026, 11, 21, 12, 0, 0, TimeSpan.Zero);
    public const string Principal = "arn:aws:iam::000000000000:root";

    public static RegisterTaskDefinitionRequest Definition(string family = "app") => new()
    {
        Family = family,
        ContainerDefinitions = [new ContainerDefinition { Name = "web", Image = "busybox", Memory = 128, Essential = true }],
    };
}
