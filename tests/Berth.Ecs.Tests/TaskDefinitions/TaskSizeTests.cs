using Berth.Ecs.TaskDefinitions;
using static Berth.Ecs.Tests.TaskDefinitions.Requests;

namespace Berth.Ecs.Tests.TaskDefinitions;

/// <summary>Task-level cpu and memory: the "1 vCPU" / "2 GB" forms, and Fargate's table of sizes.</summary>
public class TaskSizeTests
{
    public static TheoryData<int, int> FargatePairs()
    {
        var data = new TheoryData<int, int>();
        foreach (var (cpu, memory) in TaskSize.FargatePairs())
            data.Add(cpu, memory);
        return data;
    }

    [Fact]
    public void The_Fargate_table_has_every_documented_size()
    {
        // 3 + 4 + 7 + 13 + 23 + 12 + 12 sizes for 256 … 16384 CPU.
        Assert.Equal(74, TaskSize.FargatePairs().Count());
    }

    [Theory]
    [MemberData(nameof(FargatePairs))]
    public void Each_Fargate_size_is_accepted(int cpu, int memory)
    {
        var request = Fargate().With(r => { r.Cpu = $"{cpu}"; r.Memory = $"{memory}"; });

        var result = Build(request);

        Assert.Equal(($"{cpu}", $"{memory}"), (result.Cpu, result.Memory));
        Assert.Contains("FARGATE", result.Compatibilities!);
    }

    [Theory]
    [InlineData(256, 256)]
    [InlineData(256, 1536)]
    [InlineData(256, 3072)]
    [InlineData(512, 512)]
    [InlineData(512, 1536)]
    [InlineData(512, 5120)]
    [InlineData(1024, 1024)]
    [InlineData(1024, 9216)]
    [InlineData(2048, 3072)]
    [InlineData(2048, 4608)]
    [InlineData(2048, 17408)]
    [InlineData(4096, 7168)]
    [InlineData(4096, 31744)]
    [InlineData(8192, 12288)]
    [InlineData(8192, 18432)]
    [InlineData(8192, 65536)]
    [InlineData(16384, 28672)]
    [InlineData(16384, 36864)]
    [InlineData(16384, 131072)]
    [InlineData(128, 512)]
    [InlineData(3072, 6144)]
    [InlineData(32768, 131072)]
    public void Sizes_off_the_Fargate_table_are_refused(int cpu, int memory)
    {
        var request = Fargate().With(r => { r.Cpu = $"{cpu}"; r.Memory = $"{memory}"; });

        var error = Refused(request);

        Assert.Equal(
            ("ClientException", $"No Fargate configuration exists for given values: {cpu} CPU, {memory} memory. See the Amazon ECS documentation for the valid values."),
            (error.ErrorType, error.Message));
    }

    [Theory]
    [InlineData(512, 1024, true)]
    [InlineData(512, 5120, false)]
    public void Off_table_sizes_are_not_Fargate_compatible_when_Fargate_is_not_required(int cpu, int memory, bool fargate)
    {
        var request = Fargate().With(r => { r.RequiresCompatibilities = null; r.Cpu = $"{cpu}"; r.Memory = $"{memory}"; });

        Assert.Equal(fargate, Build(request).Compatibilities!.Contains("FARGATE"));
    }

    [Theory]
    [InlineData("1 vCPU", "2 GB", "1024", "2048")]
    [InlineData("1vCPU", "2GB", "1024", "2048")]
    [InlineData("0.25 vCPU", "0.5 GB", "256", "512")]
    [InlineData("0.5 vcpu", "1 gb", "512", "1024")]
    [InlineData("2 vCPUs", "4 GiB", "2048", "4096")]
    [InlineData("4 VCPU", "8192 MiB", "4096", "8192")]
    [InlineData("16 vCPU", "120 GB", "16384", "122880")]
    [InlineData(" 512 ", "1024 MB", "512", "1024")]
    [InlineData("256", "512", "256", "512")]
    public void Cpu_and_memory_are_stored_as_units_and_MiB(string cpu, string memory, string storedCpu, string storedMemory)
    {
        var request = Fargate().With(r => { r.Cpu = cpu; r.Memory = memory; });

        var result = Build(request);

        Assert.Equal((storedCpu, storedMemory), (result.Cpu, result.Memory));
        Assert.Equal((cpu, memory), (request.Cpu, request.Memory));
    }

    [Theory]
    [InlineData("1.5", "cpu")]
    [InlineData("-256", "cpu")]
    [InlineData("0 vCPU", "cpu")]
    [InlineData("1 core", "cpu")]
    [InlineData("vCPU", "cpu")]
    [InlineData("", "cpu")]
    [InlineData("512.5", "memory")]
    [InlineData("1 TB", "memory")]
    [InlineData("GB", "memory")]
    [InlineData("2 G B", "memory")]
    public void Unreadable_sizes_are_refused(string text, string field)
    {
        var request = Ec2().With(r =>
        {
            r.Cpu = field == "cpu" ? text : null;
            r.Memory = field == "memory" ? text : null;
        });

        var error = Refused(request);

        Assert.Equal(("ClientException", $"Invalid '{field}' setting for task."), (error.ErrorType, error.Message));
    }
}
