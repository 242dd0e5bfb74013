using System.Text.Json;
using System.Text.Json.Nodes;
using Berth.Ecs.Model;
using static Berth.Ecs.Tests.TaskDefinitions.Requests;
using EcsKeyValuePair = Berth.Ecs.Model.KeyValuePair;

namespace Berth.Ecs.Tests.TaskDefinitions;

/// <summary>What RegisterTaskDefinition stores: the request carried over, ECS's defaults, and the derived members.</summary>
public class TaskDefinitionResultTests
{
    private const string ExecutionRole = "arn:aws:iam::123456789012:role/exec";
    private const string TaskRole = "arn:aws:iam::123456789012:role/task";

    [Fact]
    public void A_rich_definition_is_carried_over_member_for_member()
    {
        var request = Rich();
        AssertEveryMemberSet(request, nameof(RegisterTaskDefinitionRequest.Tags));
        AssertEveryMemberSet(request.ContainerDefinitions![0]);
        var before = Json(request);

        var result = Build(request);

        Assert.Equal(before, Json(request)); // the request itself is left alone
        var stored = JsonSerializer.SerializeToNode(result, WireJsonContext.Default.TaskDefinition)!.AsObject();
        foreach (var (name, value) in JsonNode.Parse(before)!.AsObject())
        {
            if (name == "tags")
                continue;
            Assert.True(JsonNode.DeepEquals(value, stored[name]), $"'{name}' changed: {value?.ToJsonString()} became {stored[name]?.ToJsonString()}");
        }
    }

    [Fact]
    public void An_EFS_volume_without_a_root_directory_gets_ECSs_slash()
    {
        var request = Ec2();
        request.Volumes = [new Volume { Name = "efs", EfsVolumeConfiguration = new EFSVolumeConfiguration { FileSystemId = "fs-1234" } }];
        var result = Build(request);
        Assert.Equal("/", result.Volumes![0].EfsVolumeConfiguration!.RootDirectory);
        Assert.Equal("fs-1234", result.Volumes[0].EfsVolumeConfiguration!.FileSystemId);
        Assert.Null(request.Volumes[0].EfsVolumeConfiguration!.RootDirectory); // the request itself is left alone
    }

    [Fact]
    public void Registration_members_and_ECS_defaults_are_filled_in()
    {
        var request = Ec2().WithApp(c =>
        {
            c.PortMappings = [new PortMapping { ContainerPort = 80 }];
            c.HealthCheck = new HealthCheck { Command = ["CMD", "true"] };
        });

        var result = Build(request);

        Assert.Equal((Arn, 3, "ACTIVE", RegisteredAt, RegisteredBy, "web"), (result.TaskDefinitionArn, result.Revision, result.Status, result.RegisteredAt, result.RegisteredBy, result.Family));
        Assert.Null(result.NetworkMode); // not given, so not written (it behaves as bridge)
        Assert.Null(result.RequiresCompatibilities);
        Assert.Empty(result.Volumes!);
        Assert.Empty(result.PlacementConstraints!);
        var app = Assert.Single(result.ContainerDefinitions!);
        Assert.Equal((0, true), (app.Cpu, app.Essential));
        Assert.Empty(app.Environment!);
        Assert.Empty(app.MountPoints!);
        Assert.Empty(app.VolumesFrom!);
        Assert.Empty(app.SystemControls!);
        var port = Assert.Single(app.PortMappings!);
        Assert.Equal((80, 0, "tcp"), (port.ContainerPort, port.HostPort, port.Protocol));
        Assert.Equal((30, 5, 3), (app.HealthCheck!.Interval, app.HealthCheck.Timeout, app.HealthCheck.Retries));
        Assert.Null(request.ContainerDefinitions![0].PortMappings![0].Protocol); // defaults go on the copy only
    }

    [Theory]
    [InlineData("awsvpc", 80)]
    [InlineData("host", 80)]
    [InlineData("bridge", 0)]
    public void An_absent_host_port_becomes_what_the_network_mode_implies(string networkMode, int hostPort)
    {
        var request = Ec2().With(r => r.NetworkMode = networkMode).WithApp(c => c.PortMappings = [new PortMapping { ContainerPort = 80 }]);

        var port = Build(request).ContainerDefinitions![0].PortMappings![0];

        Assert.Equal(hostPort, port.HostPort);
        Assert.Equal(networkMode, Build(request).NetworkMode);
    }

    [Fact]
    public void A_typical_EC2_bridge_definition()
    {
        var result = Build(Ec2());

        Assert.Equal(["EXTERNAL", "EC2"], result.Compatibilities);
        Assert.Empty(result.RequiresAttributes!);
    }

    [Fact]
    public void An_EC2_definition_with_roles_awslogs_and_ECR()
    {
        var request = Ec2().With(r => { r.TaskRoleArn = TaskRole; r.ExecutionRoleArn = ExecutionRole; }).WithApp(c =>
        {
            c.Image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1";
            c.LogConfiguration = new LogConfiguration { LogDriver = "awslogs", Options = new() { ["awslogs-group"] = "g", ["awslogs-region"] = "us-east-1" } };
            c.HealthCheck = new HealthCheck { Command = ["CMD", "true"] };
            c.MemoryReservation = 64;
        });

        var result = Build(request);

        Assert.Equal(["EXTERNAL", "EC2"], result.Compatibilities);
        Assert.Equal(
        [
            "com.amazonaws.ecs.capability.task-iam-role",
            "com.amazonaws.ecs.capability.logging-driver.awslogs",
            "com.amazonaws.ecs.capability.docker-remote-api.1.19",
            "ecs.capability.execution-role-awslogs",
            "com.amazonaws.ecs.capability.ecr-auth",
            "ecs.capability.execution-role-ecr-pull",
            "com.amazonaws.ecs.capability.docker-remote-api.1.21",
            "ecs.capability.container-health-check",
        ], AttributeNames(result));
    }

    [Fact]
    public void An_awsvpc_definition_without_a_task_size_is_EC2_only()
    {
        var result = Build(Ec2().With(r => r.NetworkMode = "awsvpc"));

        Assert.Equal(["EC2"], result.Compatibilities);
        Assert.Equal(["com.amazonaws.ecs.capability.docker-remote-api.1.18", "ecs.capability.task-eni"], AttributeNames(result));
    }

    [Fact]
    public void An_awsvpc_definition_of_a_Fargate_size_is_also_Fargate_compatible()
    {
        var result = Build(Fargate().With(r => r.RequiresCompatibilities = null));

        Assert.Equal(["EC2", "FARGATE"], result.Compatibilities);
        Assert.Null(result.RequiresCompatibilities);
    }

    [Fact]
    public void An_awsvpc_definition_Fargate_cannot_run_is_EC2_only()
    {
        var result = Build(Fargate().With(r => { r.RequiresCompatibilities = null; r.PidMode = "host"; }));

        Assert.Equal(["EC2"], result.Compatibilities);
    }

    [Fact]
    public void A_typical_Fargate_definition()
    {
        var request = Fargate().With(r => { r.ExecutionRoleArn = ExecutionRole; r.Cpu = "1 vCPU"; r.Memory = "2 GB"; });

        var result = Build(request);

        Assert.Equal(["EC2", "FARGATE"], result.Compatibilities);
        Assert.Equal(["FARGATE"], result.RequiresCompatibilities);
        Assert.Equal(("awsvpc", "1024", "2048"), (result.NetworkMode, result.Cpu, result.Memory));
        Assert.Equal(["com.amazonaws.ecs.capability.docker-remote-api.1.18", "ecs.capability.task-eni"], AttributeNames(result));
    }

    [Fact]
    public void Required_compatibilities_are_listed()
    {
        var result = Build(Ec2().With(r => r.RequiresCompatibilities = ["EC2", "MANAGED_INSTANCES"]));

        Assert.Equal(["EXTERNAL", "EC2", "MANAGED_INSTANCES"], result.Compatibilities);
        Assert.Equal(["EC2", "MANAGED_INSTANCES"], result.RequiresCompatibilities);
    }

    private static List<string?> AttributeNames(TaskDefinition result) => result.RequiresAttributes!.Select(a => a.Name).ToList();

    private static string Json(RegisterTaskDefinitionRequest request) =>
        JsonSerializer.Serialize(request, WireJsonContext.Default.RegisterTaskDefinitionRequest);

    private static void AssertEveryMemberSet(object value, params string[] except)
    {
        var unset = value.GetType().GetProperties().Where(p => p.GetValue(value) is null && !except.Contains(p.Name)).Select(p => p.Name);
        Assert.Empty(unset);
    }

    /// <summary>Every task-level member and every member of the first container set, to values that need no defaults.</summary>
    private static RegisterTaskDefinitionRequest Rich() => new()
    {
        Family = "rich",
        TaskRoleArn = TaskRole,
        ExecutionRoleArn = ExecutionRole,
        NetworkMode = "bridge",
        Volumes =
        [
            new Volume { Name = "data", Host = new HostVolumeProperties { SourcePath = "/srv/data" } },
            new Volume { Name = "docker", DockerVolumeConfiguration = new DockerVolumeConfiguration { Scope = "shared", Autoprovision = true, Driver = "local", DriverOpts = new() { ["type"] = "tmpfs" }, Labels = new() { ["a"] = "b" } } },
            new Volume { Name = "efs", EfsVolumeConfiguration = new EFSVolumeConfiguration { FileSystemId = "fs-1234", RootDirectory = "/", TransitEncryption = "ENABLED", TransitEncryptionPort = 2049, AuthorizationConfig = new EFSAuthorizationConfig { AccessPointId = "fsap-1", Iam = "ENABLED" } } },
        ],
        PlacementConstraints = [new TaskDefinitionPlacementConstraint { Type = "memberOf", Expression = "attribute:ecs.instance-type =~ t3.*" }],
        RequiresCompatibilities = ["EC2"],
        Cpu = "1024",
        Memory = "2048",
        Tags = [new Tag { Key = "team", Value = "web" }],
        PidMode = "task",
        IpcMode = "task",
        ProxyConfiguration = new ProxyConfiguration { Type = "APPMESH", ContainerName = "side", Properties = [new EcsKeyValuePair { Name = "AppPorts", Value = "80" }] },
        InferenceAccelerators = [new InferenceAccelerator { DeviceName = "device1", DeviceType = "eia2.medium" }],
        EphemeralStorage = new EphemeralStorage { SizeInGiB = 30 },
        RuntimePlatform = new RuntimePlatform { CpuArchitecture = "X86_64", OperatingSystemFamily = "LINUX" },
        EnableFaultInjection = true,
        ContainerDefinitions =
        [
            new ContainerDefinition
            {
                Name = "app",
                Image = "nginx:1.27",
                RepositoryCredentials = new RepositoryCredentials { CredentialsParameter = "arn:aws:secretsmanager:us-east-1:123456789012:secret:creds" },
                Cpu = 512,
                Memory = 1024,
                MemoryReservation = 512,
                Links = ["side"],
                PortMappings = [new PortMapping { ContainerPort = 80, HostPort = 8080, Protocol = "tcp", Name = "web", AppProtocol = "http" }],
                Essential = true,
                RestartPolicy = new ContainerRestartPolicy { Enabled = true, IgnoredExitCodes = [0], RestartAttemptPeriod = 60 },
                EntryPoint = ["/docker-entrypoint.sh"],
                Command = ["nginx", "-g", "daemon off;"],
                Environment = [new EcsKeyValuePair { Name = "MODE", Value = "prod" }],
                EnvironmentFiles = [new EnvironmentFile { Type = "s3", Value = "arn:aws:s3:::bucket/app.env" }],
                MountPoints = [new MountPoint { SourceVolume = "data", ContainerPath = "/data", ReadOnly = true }],
                VolumesFrom = [new VolumeFrom { SourceContainer = "side", ReadOnly = false }],
                LinuxParameters = new LinuxParameters
                {
                    Capabilities = new KernelCapabilities { Add = ["NET_ADMIN"], Drop = ["MKNOD"] },
                    Devices = [new Device { HostPath = "/dev/fuse", ContainerPath = "/dev/fuse", Permissions = ["read", "write"] }],
                    InitProcessEnabled = true,
                    SharedMemorySize = 64,
                    Tmpfs = [new Tmpfs { ContainerPath = "/tmp", Size = 64, MountOptions = ["rw"] }],
                    MaxSwap = 0,
                    Swappiness = 0,
                },
                Secrets = [new Secret { Name = "DB_PASSWORD", ValueFrom = "arn:aws:ssm:us-east-1:123456789012:parameter/db" }],
                DependsOn = [new ContainerDependency { ContainerName = "side", Condition = "START" }],
                StartTimeout = 30,
                StopTimeout = 30,
                VersionConsistency = "enabled",
                Hostname = "app",
                User = "nginx",
                WorkingDirectory = "/srv",
                DisableNetworking = false,
                Privileged = false,
                ReadonlyRootFilesystem = true,
                DnsServers = ["10.0.0.2"],
                DnsSearchDomains = ["example.internal"],
                ExtraHosts = [new HostEntry { Hostname = "db", IpAddress = "10.0.0.10" }],
                DockerSecurityOptions = ["no-new-privileges"],
                Interactive = false,
                PseudoTerminal = false,
                DockerLabels = new Dictionary<string, string> { ["team"] = "web" },
                Ulimits = [new Ulimit { Name = "nofile", SoftLimit = 1024, HardLimit = 4096 }],
                LogConfiguration = new LogConfiguration
                {
                    LogDriver = "awslogs",
                    Options = new() { ["awslogs-group"] = "/ecs/rich", ["awslogs-region"] = "us-east-1" },
                    SecretOptions = [new Secret { Name = "token", ValueFrom = "arn:aws:ssm:us-east-1:123456789012:parameter/token" }],
                },
                HealthCheck = new HealthCheck { Command = ["CMD-SHELL", "curl -f http://localhost/"], Interval = 10, Timeout = 3, Retries = 2, StartPeriod = 5 },
                SystemControls = [new SystemControl { Namespace = "net.core.somaxconn", Value = "1024" }],
                ResourceRequirements = [new ResourceRequirement { Type = "GPU", Value = "1" }],
                FirelensConfiguration = new FirelensConfiguration { Type = "fluentbit", Options = new() { ["enable-ecs-log-metadata"] = "true" } },
                CredentialSpecs = ["credentialspec:arn:aws:s3:::bucket/spec.json"],
            },
            // ECS's defaults written out, so this container too comes back as it went in.
            new ContainerDefinition
            {
                Name = "side",
                Image = "envoy:1",
                Cpu = 0,
                Memory = 256,
                Essential = false,
                PortMappings = [],
                Environment = [],
                MountPoints = [],
                VolumesFrom = [],
                SystemControls = [],
            },
        ],
    };
}
