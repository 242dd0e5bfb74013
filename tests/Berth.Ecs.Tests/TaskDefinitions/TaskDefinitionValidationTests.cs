using Berth.Ecs.Model;
using Berth.Ecs.TaskDefinitions;
using static Berth.Ecs.Tests.TaskDefinitions.Requests;
using EcsKeyValuePair = Berth.Ecs.Model.KeyValuePair;

namespace Berth.Ecs.Tests.TaskDefinitions;

/// <summary>Each RegisterTaskDefinition rule: accepted at its edge, refused just past it with ECS's error type and message.</summary>
public class TaskDefinitionValidationTests
{
    private const string Client = "ClientException";
    private const string InvalidParameter = "InvalidParameterException";

    /// <summary>Named requests, so the table rows below stay serialisable and readable.</summary>
    private static readonly Dictionary<string, Func<RegisterTaskDefinitionRequest>> Cases = new()
    {
        // family
        ["family-null"] = () => Ec2().With(r => r.Family = null),
        ["family-empty"] = () => Ec2().With(r => r.Family = ""),
        ["family-255"] = () => Ec2().With(r => r.Family = new string('f', 255)),
        ["family-256"] = () => Ec2().With(r => r.Family = new string('f', 256)),
        ["family-all-allowed-characters"] = () => Ec2().With(r => r.Family = "Web_app-09"),
        ["family-space"] = () => Ec2().With(r => r.Family = "web app"),
        ["family-colon"] = () => Ec2().With(r => r.Family = "web:1"),

        // container list, names, images, essential
        ["containers-null"] = () => Ec2().With(r => r.ContainerDefinitions = null),
        ["containers-empty"] = () => Ec2().With(r => r.ContainerDefinitions = []),
        ["containers-10"] = () => Ec2().With(r => r.ContainerDefinitions = Enumerable.Range(0, 10).Select(i => Container($"c{i}")).ToList()),
        ["containers-11"] = () => Ec2().With(r => r.ContainerDefinitions = Enumerable.Range(0, 11).Select(i => Container($"c{i}")).ToList()),
        ["name-null"] = () => Ec2().WithApp(c => c.Name = null),
        ["name-empty"] = () => Ec2().WithApp(c => c.Name = ""),
        ["name-255"] = () => Ec2().WithApp(c => c.Name = new string('n', 255)),
        ["name-256"] = () => Ec2().WithApp(c => c.Name = new string('n', 256)),
        ["name-dot"] = () => Ec2().WithApp(c => c.Name = "app.v1"),
        ["name-duplicate"] = () => Ec2().With(r => r.ContainerDefinitions = [Container("app"), Container("app")]),
        ["image-null"] = () => Ec2().WithApp(c => c.Image = null),
        ["image-empty"] = () => Ec2().WithApp(c => c.Image = ""),
        ["image-variable"] = () => Ec2().WithApp(c => c.Image = "$IMAGE_NAME"),
        ["image-registry-digest"] = () => Ec2().WithApp(c => c.Image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/app@sha256:" + new string('a', 64)),
        ["none-essential"] = () => Ec2().WithApp(c => c.Essential = false),
        ["one-essential-of-two"] = () => Ec2().With(r => r.ContainerDefinitions = [Container("app"), Container("side")]).WithApp(c => c.Essential = false),

        // container memory and cpu
        ["no-memory-anywhere"] = () => Ec2().WithApp(c => c.Memory = null),
        ["task-memory-only"] = () => Ec2().With(r => r.Memory = "512").WithApp(c => c.Memory = null),
        ["reservation-only"] = () => Ec2().WithApp(c => { c.Memory = null; c.MemoryReservation = 64; }),
        ["memory-6"] = () => Ec2().WithApp(c => c.Memory = 6),
        ["memory-5"] = () => Ec2().WithApp(c => c.Memory = 5),
        ["reservation-6"] = () => Ec2().WithApp(c => { c.Memory = null; c.MemoryReservation = 6; }),
        ["reservation-5"] = () => Ec2().WithApp(c => { c.Memory = null; c.MemoryReservation = 5; }),
        ["memory-equals-reservation"] = () => Ec2().WithApp(c => { c.Memory = 128; c.MemoryReservation = 128; }),
        ["memory-below-reservation"] = () => Ec2().WithApp(c => { c.Memory = 127; c.MemoryReservation = 128; }),
        ["container-cpu-0"] = () => Ec2().WithApp(c => c.Cpu = 0),
        ["container-cpu-negative"] = () => Ec2().WithApp(c => c.Cpu = -1),
        ["container-memory-equals-task"] = () => Ec2().With(r => r.Memory = "512").WithApp(c => c.Memory = 512),
        ["container-memory-over-task"] = () => Ec2().With(r => r.Memory = "512").WithApp(c => c.Memory = 513),
        ["reservation-over-task"] = () => Ec2().With(r => r.Memory = "512").WithApp(c => { c.Memory = null; c.MemoryReservation = 513; }),
        ["reservations-sum-equals-task"] = () => TwoContainers(memory: "512", first: 256, second: 256),
        ["reservations-sum-over-task"] = () => TwoContainers(memory: "512", first: 256, second: 257),
        ["cpu-sum-equals-task"] = () => TwoContainers(cpu: "256", first: 128, second: 128, cpuShares: true),
        ["cpu-sum-over-task"] = () => TwoContainers(cpu: "256", first: 128, second: 129, cpuShares: true),
        ["fargate-container-memory-over-task"] = () => Fargate().WithApp(c => c.Memory = 513),

        // task size
        ["task-cpu-words"] = () => Ec2().With(r => r.Cpu = "lots"),
        ["task-cpu-fraction-of-unit"] = () => Ec2().With(r => r.Cpu = "0.0001 vCPU"),
        ["task-memory-terabytes"] = () => Ec2().With(r => r.Memory = "2 TB"),
        ["task-memory-zero"] = () => Ec2().With(r => r.Memory = "0"),
        ["ec2-task-cpu-128"] = () => Ec2().With(r => r.Cpu = "128"),
        ["ec2-task-cpu-127"] = () => Ec2().With(r => r.Cpu = "127"),
        ["ec2-task-cpu-196608"] = () => Ec2().With(r => r.Cpu = "196608"),
        ["ec2-task-cpu-196609"] = () => Ec2().With(r => r.Cpu = "196609"),

        // Fargate
        ["fargate-bridge"] = () => Fargate().With(r => r.NetworkMode = "bridge"),
        ["fargate-no-network-mode"] = () => Fargate().With(r => r.NetworkMode = null),
        ["fargate-no-cpu"] = () => Fargate().With(r => r.Cpu = null),
        ["fargate-no-memory"] = () => Fargate().With(r => r.Memory = null),
        ["fargate-off-table"] = () => Fargate().With(r => r.Memory = "4096"),
        ["fargate-and-ec2"] = () => Fargate().With(r => r.RequiresCompatibilities = ["EC2", "FARGATE"]),
        ["fargate-pid-task"] = () => Fargate().With(r => r.PidMode = "task"),
        ["fargate-pid-host"] = () => Fargate().With(r => r.PidMode = "host"),
        ["fargate-ipc"] = () => Fargate().With(r => r.IpcMode = "task"),
        ["fargate-privileged"] = () => Fargate().WithApp(c => c.Privileged = true),
        ["fargate-json-file-logs"] = () => Fargate().WithApp(c => c.LogConfiguration = new LogConfiguration { LogDriver = "json-file" }),
        ["fargate-awslogs-with-role"] = () => Fargate().With(r => r.ExecutionRoleArn = "arn:aws:iam::123456789012:role/exec").WithApp(c => c.LogConfiguration = AwsLogs()),
        ["fargate-awslogs-without-role"] = () => Fargate().WithApp(c => c.LogConfiguration = AwsLogs()),
        ["fargate-ecr-without-role"] = () => Fargate().WithApp(c => c.Image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1"),
        ["fargate-stop-timeout-120"] = () => Fargate().WithApp(c => c.StopTimeout = 120),
        ["fargate-stop-timeout-121"] = () => Fargate().WithApp(c => c.StopTimeout = 121),
        ["fargate-docker-volume"] = () => Fargate().With(r => r.Volumes = [new Volume { Name = "v", DockerVolumeConfiguration = new DockerVolumeConfiguration { Scope = "task" } }]),
        ["external-awsvpc"] = () => Ec2().With(r => { r.RequiresCompatibilities = ["EXTERNAL"]; r.NetworkMode = "awsvpc"; }),
        ["external-bridge"] = () => Ec2().With(r => r.RequiresCompatibilities = ["EXTERNAL"]),
        ["ephemeral-21"] = () => Fargate().With(r => r.EphemeralStorage = new EphemeralStorage { SizeInGiB = 21 }),
        ["ephemeral-200"] = () => Fargate().With(r => r.EphemeralStorage = new EphemeralStorage { SizeInGiB = 200 }),
        ["ephemeral-20"] = () => Fargate().With(r => r.EphemeralStorage = new EphemeralStorage { SizeInGiB = 20 }),
        ["ephemeral-201"] = () => Fargate().With(r => r.EphemeralStorage = new EphemeralStorage { SizeInGiB = 201 }),

        // network modes and port mappings
        ["network-mode-nat"] = () => Ec2().With(r => r.NetworkMode = "nat"),
        ["network-mode-upper-case"] = () => Ec2().With(r => r.NetworkMode = "BRIDGE"),
        ["awsvpc-host-port-equal"] = () => Ec2().With(r => r.NetworkMode = "awsvpc").WithApp(c => c.PortMappings = [Port(80, 80)]),
        ["awsvpc-host-port-absent"] = () => Ec2().With(r => r.NetworkMode = "awsvpc").WithApp(c => c.PortMappings = [Port(80)]),
        ["awsvpc-host-port-different"] = () => Ec2().With(r => r.NetworkMode = "awsvpc").WithApp(c => c.PortMappings = [Port(80, 8080)]),
        ["host-host-port-different"] = () => Ec2().With(r => r.NetworkMode = "host").WithApp(c => c.PortMappings = [Port(80, 8080)]),
        ["bridge-host-port-different"] = () => Ec2().WithApp(c => c.PortMappings = [Port(80, 8080)]),
        ["bridge-host-port-dynamic"] = () => Ec2().WithApp(c => c.PortMappings = [Port(80, 0)]),
        ["none-without-ports"] = () => Ec2().With(r => r.NetworkMode = "none"),
        ["none-with-ports"] = () => Ec2().With(r => r.NetworkMode = "none").WithApp(c => c.PortMappings = [Port(80)]),
        ["container-port-1"] = () => Ec2().WithApp(c => c.PortMappings = [Port(1)]),
        ["container-port-0"] = () => Ec2().WithApp(c => c.PortMappings = [Port(0)]),
        ["container-port-65535"] = () => Ec2().WithApp(c => c.PortMappings = [Port(65535)]),
        ["container-port-65536"] = () => Ec2().WithApp(c => c.PortMappings = [Port(65536)]),
        ["container-port-missing"] = () => Ec2().WithApp(c => c.PortMappings = [new PortMapping { HostPort = 80 }]),
        ["host-port-65535"] = () => Ec2().WithApp(c => c.PortMappings = [Port(80, 65535)]),
        ["host-port-65536"] = () => Ec2().WithApp(c => c.PortMappings = [Port(80, 65536)]),
        ["host-port-negative"] = () => Ec2().WithApp(c => c.PortMappings = [Port(80, -1)]),
        ["protocol-sctp"] = () => Ec2().WithApp(c => c.PortMappings = [Port(80, protocol: "sctp")]),
        ["app-protocol-tcp"] = () => Ec2().WithApp(c => c.PortMappings = [new PortMapping { ContainerPort = 80, AppProtocol = "tcp" }]),
        ["same-port-tcp-and-udp"] = () => Ec2().WithApp(c => c.PortMappings = [Port(53, protocol: "tcp"), Port(53, protocol: "udp")]),
        ["same-port-twice"] = () => Ec2().WithApp(c => c.PortMappings = [Port(80), Port(80, 8080, "tcp")]),
        ["port-range"] = () => Ec2().WithApp(c => c.PortMappings = [Range("8000-8010"), Port(8011)]),
        ["port-range-overlaps-port"] = () => Ec2().WithApp(c => c.PortMappings = [Range("8000-8010"), Port(8005)]),
        ["port-range-reversed"] = () => Ec2().WithApp(c => c.PortMappings = [Range("9000-8999")]),
        ["port-range-single-port"] = () => Ec2().WithApp(c => c.PortMappings = [Range("9000-9000")]),
        ["port-range-with-host-port"] = () => Ec2().WithApp(c => c.PortMappings = [new PortMapping { ContainerPortRange = "8000-8010", HostPort = 8000 }]),
        ["port-range-host-mode"] = () => Ec2().With(r => r.NetworkMode = "host").WithApp(c => c.PortMappings = [Range("8000-8010")]),
        ["links-awsvpc"] = () => Ec2().With(r => r.NetworkMode = "awsvpc").WithApp(c => c.Links = ["db"]),

        // environment
        ["env-name-empty"] = () => Ec2().WithApp(c => c.Environment = [new EcsKeyValuePair { Name = "", Value = "x" }]),
        ["env-value-empty"] = () => Ec2().WithApp(c => c.Environment = [new EcsKeyValuePair { Name = "A", Value = "" }]),
        ["env-files-10"] = () => Ec2().WithApp(c => c.EnvironmentFiles = EnvFiles(10)),
        ["env-files-11"] = () => Ec2().WithApp(c => c.EnvironmentFiles = EnvFiles(11)),
        ["env-file-type-s4"] = () => Ec2().WithApp(c => c.EnvironmentFiles = [new EnvironmentFile { Type = "s4", Value = "arn:aws:s3:::b/a.env" }]),
        ["docker-label-empty-key"] = () => Ec2().WithApp(c => c.DockerLabels = new Dictionary<string, string> { [""] = "x" }),

        // enumerations
        ["requires-lambda"] = () => Ec2().With(r => r.RequiresCompatibilities = ["LAMBDA"]),
        ["pid-container"] = () => Ec2().With(r => r.PidMode = "container"),
        ["ipc-shareable"] = () => Ec2().With(r => r.IpcMode = "shareable"),
        ["proxy-istio"] = () => Ec2().With(r => r.ProxyConfiguration = new ProxyConfiguration { Type = "ISTIO", ContainerName = "app" }),
        ["proxy-unknown-container"] = () => Ec2().With(r => r.ProxyConfiguration = new ProxyConfiguration { Type = "APPMESH", ContainerName = "envoy" }),
        ["ulimit-files"] = () => Ec2().WithApp(c => c.Ulimits = [new Ulimit { Name = "files", SoftLimit = 1, HardLimit = 1 }]),
        ["log-driver-loki"] = () => Ec2().WithApp(c => c.LogConfiguration = new LogConfiguration { LogDriver = "loki" }),
        ["awslogs-without-options"] = () => Ec2().WithApp(c => c.LogConfiguration = new LogConfiguration { LogDriver = "awslogs" }),
        ["awslogs-unknown-option"] = () => Ec2().WithApp(c => c.LogConfiguration = AwsLogs(("awslogs-colour", "red"))),
        ["awslogs-both-multiline-options"] = () => Ec2().WithApp(c => c.LogConfiguration = AwsLogs(("awslogs-datetime-format", "%Y"), ("awslogs-multiline-pattern", "^x"))),
        ["awslogs-create-group-not-boolean"] = () => Ec2().WithApp(c => c.LogConfiguration = AwsLogs(("awslogs-create-group", "yes"))),
        ["fargate-awslogs-without-prefix"] = () => Fargate().With(r => r.ExecutionRoleArn = "arn:aws:iam::123456789012:role/exec").WithApp(c => c.LogConfiguration = AwsLogs(("awslogs-stream-prefix", null))),
        ["docker-scope-global"] = () => Ec2().With(r => r.Volumes = [new Volume { Name = "v", DockerVolumeConfiguration = new DockerVolumeConfiguration { Scope = "global" } }]),

        // dependsOn
        ["depends-on-sibling"] = () => WithSide(side => side.Essential = false, "START"),
        ["depends-on-unknown"] = () => Ec2().WithApp(c => c.DependsOn = [new ContainerDependency { ContainerName = "db", Condition = "START" }]),
        ["depends-condition-ready"] = () => WithSide(side => side.Essential = false, "READY"),
        ["depends-success-on-non-essential"] = () => WithSide(side => side.Essential = false, "SUCCESS"),
        ["depends-success-on-essential"] = () => WithSide(side => side.Essential = true, "SUCCESS"),
        ["depends-healthy-with-check"] = () => WithSide(side => side.HealthCheck = new HealthCheck { Command = ["CMD", "true"] }, "HEALTHY"),
        ["depends-healthy-without-check"] = () => WithSide(_ => { }, "HEALTHY"),
        ["depends-cycle"] = () => WithSide(side => side.DependsOn = [new ContainerDependency { ContainerName = "app", Condition = "START" }], "START"),

        // volumes, mount points, volumesFrom
        ["mount-known-volume"] = () => Ec2().With(r => r.Volumes = [new Volume { Name = "data" }]).WithApp(c => c.MountPoints = [Mount("data")]),
        ["mount-unknown-volume"] = () => Ec2().WithApp(c => c.MountPoints = [Mount("data")]),
        ["mount-null-volume"] = () => Ec2().WithApp(c => c.MountPoints = [new MountPoint { ContainerPath = "/data" }]),
        ["volume-duplicate"] = () => Ec2().With(r => r.Volumes = [new Volume { Name = "data" }, new Volume { Name = "data" }]),
        ["volume-name-empty"] = () => Ec2().With(r => r.Volumes = [new Volume { Name = "" }]),
        ["volumes-from-sibling"] = () => Ec2().With(r => r.ContainerDefinitions = [Container("app"), Container("side")]).WithApp(c => c.VolumesFrom = [new VolumeFrom { SourceContainer = "side" }]),
        ["volumes-from-unknown"] = () => Ec2().WithApp(c => c.VolumesFrom = [new VolumeFrom { SourceContainer = "side" }]),

        // health check
        ["health-edges-low"] = () => Ec2().WithApp(c => c.HealthCheck = Health(interval: 5, timeout: 2, retries: 1, startPeriod: 0)),
        ["health-edges-high"] = () => Ec2().WithApp(c => c.HealthCheck = Health(interval: 300, timeout: 60, retries: 10, startPeriod: 300)),
        ["health-no-command"] = () => Ec2().WithApp(c => c.HealthCheck = new HealthCheck { Command = [] }),
        ["health-interval-4"] = () => Ec2().WithApp(c => c.HealthCheck = Health(interval: 4)),
        ["health-interval-301"] = () => Ec2().WithApp(c => c.HealthCheck = Health(interval: 301)),
        ["health-timeout-1"] = () => Ec2().WithApp(c => c.HealthCheck = Health(timeout: 1)),
        ["health-timeout-61"] = () => Ec2().WithApp(c => c.HealthCheck = Health(timeout: 61)),
        ["health-retries-0"] = () => Ec2().WithApp(c => c.HealthCheck = Health(retries: 0)),
        ["health-retries-11"] = () => Ec2().WithApp(c => c.HealthCheck = Health(retries: 11)),
        ["health-start-period-negative"] = () => Ec2().WithApp(c => c.HealthCheck = Health(startPeriod: -1)),
        ["health-start-period-301"] = () => Ec2().WithApp(c => c.HealthCheck = Health(startPeriod: 301)),
    };

    [Theory]
    [InlineData("family-255")]
    [InlineData("family-all-allowed-characters")]
    [InlineData("containers-10")]
    [InlineData("name-255")]
    [InlineData("image-registry-digest")]
    [InlineData("one-essential-of-two")]
    [InlineData("task-memory-only")]
    [InlineData("reservation-only")]
    [InlineData("memory-6")]
    [InlineData("reservation-6")]
    [InlineData("memory-equals-reservation")]
    [InlineData("container-cpu-0")]
    [InlineData("container-memory-equals-task")]
    [InlineData("reservations-sum-equals-task")]
    [InlineData("cpu-sum-equals-task")]
    [InlineData("ec2-task-cpu-128")]
    [InlineData("ec2-task-cpu-196608")]
    [InlineData("fargate-and-ec2")]
    [InlineData("fargate-pid-task")]
    [InlineData("fargate-awslogs-with-role")]
    [InlineData("fargate-stop-timeout-120")]
    [InlineData("external-bridge")]
    [InlineData("ephemeral-21")]
    [InlineData("ephemeral-200")]
    [InlineData("awsvpc-host-port-equal")]
    [InlineData("awsvpc-host-port-absent")]
    [InlineData("bridge-host-port-different")]
    [InlineData("bridge-host-port-dynamic")]
    [InlineData("none-without-ports")]
    [InlineData("container-port-1")]
    [InlineData("container-port-65535")]
    [InlineData("host-port-65535")]
    [InlineData("same-port-tcp-and-udp")]
    [InlineData("port-range")]
    [InlineData("env-value-empty")]
    [InlineData("env-files-10")]
    [InlineData("depends-on-sibling")]
    [InlineData("depends-success-on-non-essential")]
    [InlineData("depends-healthy-with-check")]
    [InlineData("mount-known-volume")]
    [InlineData("volumes-from-sibling")]
    [InlineData("health-edges-low")]
    [InlineData("health-edges-high")]
    public void Accepted(string name)
    {
        var result = Build(Cases[name]());

        Assert.Equal("ACTIVE", result.Status);
    }

    [Theory]
    [InlineData("family-null", Client, "Family can not be blank.")]
    [InlineData("family-empty", Client, "Family can not be blank.")]
    [InlineData("family-256", Client, "Family contains invalid characters.")]
    [InlineData("family-space", Client, "Family contains invalid characters.")]
    [InlineData("family-colon", Client, "Family contains invalid characters.")]
    [InlineData("containers-null", Client, "Container list cannot be empty.")]
    [InlineData("containers-empty", Client, "Container list cannot be empty.")]
    [InlineData("containers-11", Client, "Too many containers.")]
    [InlineData("name-null", Client, "Container.name should not be null or empty.")]
    [InlineData("name-empty", Client, "Container.name should not be null or empty.")]
    [InlineData("name-256", Client, "Container.name contains invalid characters.")]
    [InlineData("name-dot", Client, "Container.name contains invalid characters.")]
    [InlineData("name-duplicate", Client, "Container names must be unique within a Task Definition.")]
    [InlineData("image-null", Client, "Container.image should not be null or empty.")]
    [InlineData("image-empty", Client, "Container.image should not be null or empty.")]
    [InlineData("image-variable", Client, "Container.image contains invalid characters.")]
    [InlineData("none-essential", Client, "Task definition doesn't have any essential container.")]
    [InlineData("no-memory-anywhere", Client, "Invalid setting for container 'app'. At least one of 'memory' or 'memoryReservation' must be specified.")]
    [InlineData("memory-5", Client, "Invalid setting for container 'app'. 'memory' must be at least 6 MiB.")]
    [InlineData("reservation-5", Client, "Invalid setting for container 'app'. 'memoryReservation' must be at least 6 MiB.")]
    [InlineData("memory-below-reservation", Client, "Invalid setting for container 'app'. 'memory' must be greater than or equal to 'memoryReservation'.")]
    [InlineData("container-cpu-negative", Client, "Invalid setting for container 'app'. 'cpu' must be greater than or equal to 0.")]
    [InlineData("container-memory-over-task", Client, "The 'memory' setting for container 'app' is greater than for the task.")]
    [InlineData("reservation-over-task", Client, "The 'memoryReservation' setting for container 'app' is greater than for the task.")]
    [InlineData("reservations-sum-over-task", Client, "The sum of all container 'memory' values cannot be greater than the value of the task 'memory'.")]
    [InlineData("cpu-sum-over-task", Client, "The sum of all container 'cpu' values cannot be greater than the value of the task 'cpu'.")]
    [InlineData("fargate-container-memory-over-task", Client, "The 'memory' setting for container 'app' is greater than for the task.")]
    [InlineData("task-cpu-words", Client, "Invalid 'cpu' setting for task.")]
    [InlineData("task-cpu-fraction-of-unit", Client, "Invalid 'cpu' setting for task.")]
    [InlineData("task-memory-terabytes", Client, "Invalid 'memory' setting for task.")]
    [InlineData("task-memory-zero", Client, "Invalid 'memory' setting for task.")]
    [InlineData("ec2-task-cpu-127", Client, "Invalid 'cpu' setting for task.")]
    [InlineData("ec2-task-cpu-196609", Client, "Invalid 'cpu' setting for task.")]
    [InlineData("fargate-bridge", Client, "Fargate only supports network mode \u2018awsvpc\u2019.")]
    [InlineData("fargate-no-network-mode", Client, "Fargate only supports network mode \u2018awsvpc\u2019.")]
    [InlineData("fargate-no-cpu", Client, "Fargate requires that 'cpu' be defined at the task level.")]
    [InlineData("fargate-no-memory", Client, "Fargate requires that 'memory' be defined at the task level.")]
    [InlineData("fargate-off-table", Client, "No Fargate configuration exists for given values: 256 CPU, 4096 memory. See the Amazon ECS documentation for the valid values.")]
    [InlineData("fargate-pid-host", Client, "Tasks using the Fargate launch type do not support pidMode 'host'. The supported value for pidMode is 'task'.")]
    [InlineData("fargate-ipc", Client, "Tasks using the Fargate launch type do not support ipcMode.")]
    [InlineData("fargate-privileged", Client, "Tasks using the Fargate launch type do not support privileged containers.")]
    [InlineData("fargate-json-file-logs", Client, "json-file is not a valid log driver. Must be one of [awslogs,splunk,awsfirelens]")]
    [InlineData("fargate-awslogs-without-role", Client, "Fargate requires task definition to have execution role ARN to support log driver awslogs.")]
    [InlineData("fargate-ecr-without-role", Client, "Fargate requires task definition to have execution role ARN to support ECR images.")]
    [InlineData("fargate-stop-timeout-121", Client, "Tasks using the Fargate launch type support a container stopTimeout of at most 120 seconds.")]
    [InlineData("fargate-docker-volume", Client, "Tasks using the Fargate launch type do not support Docker volumes.")]
    [InlineData("external-awsvpc", Client, "Tasks using the EXTERNAL launch type do not support network mode 'awsvpc'.")]
    [InlineData("ephemeral-20", Client, "The ephemeral storage size must be between 21 and 200 GiB.")]
    [InlineData("ephemeral-201", Client, "The ephemeral storage size must be between 21 and 200 GiB.")]
    [InlineData("network-mode-nat", InvalidParameter, "nat should be one of [bridge,host,awsvpc,none]")]
    [InlineData("network-mode-upper-case", InvalidParameter, "BRIDGE should be one of [bridge,host,awsvpc,none]")]
    [InlineData("awsvpc-host-port-different", Client, "When networkMode=awsvpc, the host ports and container ports in port mappings must match.")]
    [InlineData("host-host-port-different", Client, "When networkMode=host, the host ports and container ports in port mappings must match.")]
    [InlineData("none-with-ports", Client, "Invalid setting for container 'app'. Port mappings are not supported when networkMode=none.")]
    [InlineData("container-port-0", Client, "Invalid setting for container 'app'. 'containerPort' must be between 1 and 65535.")]
    [InlineData("container-port-65536", Client, "Invalid setting for container 'app'. 'containerPort' must be between 1 and 65535.")]
    [InlineData("container-port-missing", Client, "Invalid setting for container 'app'. Each port mapping must specify 'containerPort' or 'containerPortRange'.")]
    [InlineData("host-port-65536", Client, "Invalid setting for container 'app'. 'hostPort' must be between 0 and 65535.")]
    [InlineData("host-port-negative", Client, "Invalid setting for container 'app'. 'hostPort' must be between 0 and 65535.")]
    [InlineData("protocol-sctp", InvalidParameter, "sctp should be one of [tcp,udp]")]
    [InlineData("app-protocol-tcp", InvalidParameter, "tcp should be one of [http,http2,grpc]")]
    [InlineData("same-port-twice", Client, "Invalid setting for container 'app'. Port 80/tcp is included in more than one port mapping.")]
    [InlineData("port-range-overlaps-port", Client, "Invalid setting for container 'app'. Port 8005/tcp is included in more than one port mapping.")]
    [InlineData("port-range-reversed", Client, "Invalid setting for container 'app'. 'containerPortRange' must be of the form 'first-last' with 1 <= first < last <= 65535.")]
    [InlineData("port-range-single-port", Client, "Invalid setting for container 'app'. 'containerPortRange' must be of the form 'first-last' with 1 <= first < last <= 65535.")]
    [InlineData("port-range-with-host-port", Client, "Invalid setting for container 'app'. 'hostPort' must not be specified with 'containerPortRange'.")]
    [InlineData("port-range-host-mode", Client, "Invalid setting for container 'app'. 'containerPortRange' is only supported when networkMode is bridge or awsvpc.")]
    [InlineData("links-awsvpc", Client, "Links are not supported when networkMode=awsvpc.")]
    [InlineData("env-name-empty", Client, "Invalid setting for container 'app'. Environment variable name should not be null or empty.")]
    [InlineData("env-files-11", Client, "Invalid setting for container 'app'. A maximum of 10 environment files can be specified.")]
    [InlineData("env-file-type-s4", InvalidParameter, "s4 should be one of [s3]")]
    [InlineData("docker-label-empty-key", Client, "Invalid setting for container 'app'. Docker label key should not be null or empty.")]
    [InlineData("requires-lambda", InvalidParameter, "LAMBDA should be one of [EC2,FARGATE,EXTERNAL,MANAGED_INSTANCES]")]
    [InlineData("pid-container", InvalidParameter, "container should be one of [host,task]")]
    [InlineData("ipc-shareable", InvalidParameter, "shareable should be one of [host,task,none]")]
    [InlineData("proxy-istio", InvalidParameter, "ISTIO should be one of [APPMESH]")]
    [InlineData("proxy-unknown-container", Client, "Proxy configuration container name 'envoy' does not match any container in the task definition.")]
    [InlineData("ulimit-files", InvalidParameter, "files should be one of [core,cpu,data,fsize,locks,memlock,msgqueue,nice,nofile,nproc,rss,rtprio,rttime,sigpending,stack]")]
    [InlineData("log-driver-loki", InvalidParameter, "loki should be one of [json-file,syslog,journald,gelf,fluentd,awslogs,splunk,awsfirelens]")]
    [InlineData("awslogs-without-options", Client, "Log driver awslogs requires options: awslogs-region, awslogs-group")]
    [InlineData("awslogs-unknown-option", Client, "Log driver awslogs: unknown log opt 'awslogs-colour' for awslogs log driver")]
    [InlineData("awslogs-both-multiline-options", Client, "Log driver awslogs: you cannot configure log opt 'awslogs-datetime-format' and 'awslogs-multiline-pattern' at the same time")]
    [InlineData("awslogs-create-group-not-boolean", Client, "Log driver awslogs option 'awslogs-create-group' should only be set to 'true', else omit option.")]
    [InlineData("fargate-awslogs-without-prefix", Client, "Fargate requires log configuration options to include awslogs-stream-prefix to support log driver awslogs.")]
    [InlineData("docker-scope-global", InvalidParameter, "global should be one of [task,shared]")]
    [InlineData("depends-on-unknown", Client, "Cannot depend on container + 'db' because it does not exist")]
    [InlineData("depends-condition-ready", InvalidParameter, "READY should be one of [START,COMPLETE,SUCCESS,HEALTHY]")]
    [InlineData("depends-success-on-essential", Client, "A dependency container with SUCCESS or COMPLETE condition cannot be an essential container")]
    [InlineData("depends-healthy-without-check", Client, "A dependency container with HEALTHY condition must have a health check: container 'side' has none.")]
    [InlineData("depends-cycle", Client, "Container dependency cycle detected involving container 'app'.")]
    [InlineData("mount-unknown-volume", Client, "Unknown volume 'data'.")]
    [InlineData("mount-null-volume", Client, "Unknown volume 'null'.")]
    [InlineData("volume-duplicate", Client, "Volume names must be unique within a Task Definition.")]
    [InlineData("volume-name-empty", Client, "Volume.name should not be null or empty.")]
    [InlineData("volumes-from-unknown", Client, "Unknown container 'side' in volumesFrom of container 'app'.")]
    [InlineData("health-no-command", Client, "Invalid setting for container 'app'. 'healthCheck.command' should not be null or empty.")]
    [InlineData("health-interval-4", Client, "Invalid setting for container 'app'. 'healthCheck.interval' must be between 5 and 300 seconds.")]
    [InlineData("health-interval-301", Client, "Invalid setting for container 'app'. 'healthCheck.interval' must be between 5 and 300 seconds.")]
    [InlineData("health-timeout-1", Client, "Invalid setting for container 'app'. 'healthCheck.timeout' must be between 2 and 60 seconds.")]
    [InlineData("health-timeout-61", Client, "Invalid setting for container 'app'. 'healthCheck.timeout' must be between 2 and 60 seconds.")]
    [InlineData("health-retries-0", Client, "Invalid setting for container 'app'. 'healthCheck.retries' must be between 1 and 10.")]
    [InlineData("health-retries-11", Client, "Invalid setting for container 'app'. 'healthCheck.retries' must be between 1 and 10.")]
    [InlineData("health-start-period-negative", Client, "Invalid setting for container 'app'. 'healthCheck.startPeriod' must be between 0 and 300 seconds.")]
    [InlineData("health-start-period-301", Client, "Invalid setting for container 'app'. 'healthCheck.startPeriod' must be between 0 and 300 seconds.")]
    public void Refused(string name, string errorType, string message)
    {
        var error = Requests.Refused(Cases[name]());

        Assert.Equal((errorType, message, 400), (error.ErrorType, error.Message, error.StatusCode));
    }

    [Fact]
    public void Every_case_is_in_a_table()
    {
        // Guards against a case written above but never run.
        var used = typeof(TaskDefinitionValidationTests).GetMethods()
            .SelectMany(m => m.GetCustomAttributes(typeof(InlineDataAttribute), false).Cast<InlineDataAttribute>())
            .Select(a => a.GetData(null!).First()[0]).OfType<string>();

        Assert.Empty(Cases.Keys.Except(used));
    }

    [Theory]
    [InlineData(0, true)]
    [InlineData(1, false)]
    public void The_definition_may_be_64_KiB_of_JSON_and_no_more(int bytesOverLimit, bool accepted)
    {
        var request = Ec2().WithApp(c => c.Environment = [new EcsKeyValuePair { Name = "PAD", Value = "" }]);
        var padding = TaskDefinitionRules.MaxDefinitionBytes - TaskDefinitionRules.MeasureBytes(request) + bytesOverLimit;
        request.ContainerDefinitions![0].Environment![0].Value = new string('x', padding);

        if (accepted)
        {
            Assert.Equal("ACTIVE", Build(request).Status);
            return;
        }
        var error = Requests.Refused(request);
        Assert.Equal(("ClientException", "Actual length: '65537'. Max allowed length is '65536' bytes."), (error.ErrorType, error.Message));
    }

    private static RegisterTaskDefinitionRequest TwoContainers(int first, int second, string? cpu = null, string? memory = null, bool cpuShares = false)
    {
        var a = Container("app");
        var b = Container("side");
        if (cpuShares)
        {
            (a.Cpu, b.Cpu) = (first, second);
        }
        else
        {
            (a.Memory, a.MemoryReservation, b.Memory, b.MemoryReservation) = (null, first, null, second);
        }
        return new RegisterTaskDefinitionRequest { Family = "web", Cpu = cpu, Memory = memory, ContainerDefinitions = [a, b] };
    }

    /// <summary>"app" depends on a second container "side" with <paramref name="condition"/>.</summary>
    private static RegisterTaskDefinitionRequest WithSide(Action<ContainerDefinition> changeSide, string condition)
    {
        var side = Container("side");
        changeSide(side);
        var app = Container("app");
        app.DependsOn = [new ContainerDependency { ContainerName = "side", Condition = condition }];
        return new RegisterTaskDefinitionRequest { Family = "web", ContainerDefinitions = [app, side] };
    }

    private static PortMapping Port(int containerPort, int? hostPort = null, string? protocol = null) =>
        new() { ContainerPort = containerPort, HostPort = hostPort, Protocol = protocol };

    private static PortMapping Range(string range) => new() { ContainerPortRange = range };

    private static MountPoint Mount(string volume) => new() { SourceVolume = volume, ContainerPath = "/data" };

    // awslogs options with some added (a value) or removed (null).
    private static LogConfiguration AwsLogs(params (string Key, string? Value)[] changes)
    {
        var log = AwsLogs();
        foreach (var (key, value) in changes)
        {
            if (value is null)
            {
                log.Options!.Remove(key);
            }
            else
            {
                log.Options![key] = value;
            }
        }

        return log;
    }

    private static LogConfiguration AwsLogs() => new()
    {
        LogDriver = "awslogs",
        Options = new Dictionary<string, string> { ["awslogs-group"] = "/ecs/web", ["awslogs-region"] = "us-east-1", ["awslogs-stream-prefix"] = "web" },
    };

    private static List<EnvironmentFile> EnvFiles(int count) =>
        Enumerable.Range(0, count).Select(i => new EnvironmentFile { Type = "s3", Value = $"arn:aws:s3:::bucket/{i}.env" }).ToList();

    private static HealthCheck Health(int? interval = null, int? timeout = null, int? retries = null, int? startPeriod = null) =>
        new() { Command = ["CMD-SHELL", "curl -f http://localhost/ || exit 1"], Interval = interval, Timeout = timeout, Retries = retries, StartPeriod = startPeriod };
}
