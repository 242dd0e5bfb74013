namespace Berth.Scheduling.Tests;

/// <summary>Instances and requests for placement tests.</summary>
internal static class Fixtures
{
    public static InstanceSnapshot Instance(
        string id,
        int cpu = 1024,
        int memory = 2048,
        string? az = null,
        string? type = null,
        int usedCpu = 0,
        int usedMemory = 0,
        Dictionary<string, int>? groups = null,
        string status = "ACTIVE",
        bool agent = true) =>
        new(
            id,
            "arn:aws:ecs:us-east-1:000000000000:container-instance/c/" + id,
            status,
            agent,
            new ResourceSet(cpu, memory, new HashSet<int> { 22 }, new HashSet<int>()),
            ResourceSet.Of(usedCpu, usedMemory),
            Attributes(az, type))
        {
            GroupCounts = groups ?? [],
            RunningTasksCount = groups?.Values.Sum() ?? 0,
            Ec2InstanceId = "i-" + id,
        };

    public static PlacementRequest Task(int cpu = 128, int memory = 256, int count = 1, string? group = "family:app") =>
        new(cpu, memory, [], [], count) { Group = group };

    public static StrategySpec Binpack(string field) => new("binpack", field);

    public static StrategySpec Spread(string field) => new("spread", field);

    public static ConstraintSpec MemberOf(string expression) => new("memberOf", expression);

    public static List<string> Ids(IEnumerable<TaskPlacement> placements) => [.. placements.Select(p => p.Instance?.Id ?? "-")];

    private static Dictionary<string, string?> Attributes(string? az, string? type)
    {
        var attributes = new Dictionary<string, string?>(StringComparer.Ordinal);
        if (az is not null)
        {
            attributes["ecs.availability-zone"] = az;
        }

        if (type is not null)
        {
            attributes["ecs.instance-type"] = type;
        }

        return attributes;
    }
}
