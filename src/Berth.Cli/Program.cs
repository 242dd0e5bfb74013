using System.CommandLine;
using Berth.Agent.Client;
using Berth.Agent.Runtime;
using Berth.Cli;
using Berth.Docker;
using Berth.Protocol.Auth;
using Berth.Server.Hosting;
using Microsoft.Extensions.Logging;

var port = new Option<int>("--port") { Description = $"Port to listen on (default {ServerOptions.DefaultPort}).", DefaultValueFactory = _ => ServerOptions.DefaultPort };
var bind = new Option<string>("--bind") { Description = "Address to listen on (default 127.0.0.1).", DefaultValueFactory = _ => "127.0.0.1" };
var dataDir = new Option<string>("--data-dir") { Description = "State directory (default $BERTH_DATA_DIR or ~/.berth).", DefaultValueFactory = _ => ServerOptions.DefaultDataDir() };
var noLocalAgent = new Option<bool>("--no-local-agent") { Description = "Do not run an agent for the local Docker Engine in the server process." };
var dockerHost = new Option<string>("--docker-host") { Description = "Docker Engine (default unix:///var/run/docker.sock).", DefaultValueFactory = _ => Environment.GetEnvironmentVariable("DOCKER_HOST") is { Length: > 0 } h ? h : "unix:///var/run/docker.sock" };
var lostAfter = new Option<int>("--agent-lost-after") { Description = "Seconds an agent may stay disconnected before its tasks are stopped as lost (default 180).", DefaultValueFactory = _ => 180 };

var noFargate = new Option<bool>("--no-fargate") { Description = "Do not run the FARGATE capacity agent for the local Docker Engine in the server process." };
var server = new Command("server", "Run the Berth server (ECS API) with its embedded SQLite state and an agent for the local Docker Engine.") { port, bind, dataDir, noLocalAgent, noFargate, dockerHost, lostAfter };
server.SetAction(async (parse, cancellation) =>
{
    var options = new ServerOptions
    {
        Port = parse.GetValue(port),
        BindAddress = parse.GetValue(bind)!,
        DataDir = Path.GetFullPath(parse.GetValue(dataDir)!),
        AccountId = Environment.GetEnvironmentVariable("BERTH_ACCOUNT_ID") is { Length: > 0 } account ? account : ServerOptions.DefaultAccountId,
        LocalAgent = !parse.GetValue(noLocalAgent),
        FargateCapacity = !parse.GetValue(noFargate),
        DockerHost = parse.GetValue(dockerHost)!,
        AgentLostAfter = TimeSpan.FromSeconds(parse.GetValue(lostAfter)),
    };
    return await BerthServer.RunAsync(options, cancellation);
});

var cluster = new Option<string>("--cluster") { Description = "Cluster to register in (default: default).", DefaultValueFactory = _ => "default" };
var endpoint = new Option<string>("--endpoint") { Description = "The Berth server (default http://127.0.0.1:4580).", DefaultValueFactory = _ => $"http://127.0.0.1:{ServerOptions.DefaultPort}" };
var agentDataDir = new Option<string>("--data-dir") { Description = "The agent's state directory; the same directory is the same container instance.", Required = true };
var zone = new Option<string>("--availability-zone") { Description = "The ecs.availability-zone attribute (default local-1a).", DefaultValueFactory = _ => "local-1a" };
var instanceType = new Option<string>("--instance-type") { Description = "The ecs.instance-type attribute (default berth.local).", DefaultValueFactory = _ => "berth.local" };
var attributes = new Option<string[]>("--attribute") { Description = "A custom attribute, name=value (repeatable).", AllowMultipleArgumentsPerToken = false };
var agent = new Command("agent", "Run a Berth agent: register a container instance and run its tasks on Docker Engine. Credentials and region come from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN and AWS_DEFAULT_REGION.")
{
    cluster, endpoint, agentDataDir, dockerHost, zone, instanceType, attributes,
};
agent.SetAction(async (parse, cancellation) =>
{
    var key = Environment.GetEnvironmentVariable("AWS_ACCESS_KEY_ID");
    var secret = Environment.GetEnvironmentVariable("AWS_SECRET_ACCESS_KEY");
    if (string.IsNullOrEmpty(key) || string.IsNullOrEmpty(secret))
    {
        await Console.Error.WriteLineAsync("berth agent: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (the server's credentials).");
        return 2;
    }

    var credential = new SigningCredential(key, secret, Environment.GetEnvironmentVariable("AWS_SESSION_TOKEN") is { Length: > 0 } token ? token : null, null, "agent");
    var options = new AgentOptions
    {
        Cluster = parse.GetValue(cluster)!,
        Endpoint = new Uri(parse.GetValue(endpoint)!),
        Region = ServerOptions.DefaultRegion(),
        Credential = credential,
        DataDir = Path.GetFullPath(parse.GetValue(agentDataDir)!),
        DockerHost = parse.GetValue(dockerHost)!,
        AvailabilityZone = parse.GetValue(zone)!,
        InstanceType = parse.GetValue(instanceType)!,
        Attributes = (parse.GetValue(attributes) ?? []).Select(a => a.Split('=', 2)).ToDictionary(a => a[0], a => a.Length > 1 ? a[1] : null),
    };
    using var loggers = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Information));
    using var docker = new DockerClient(options.DockerHost);
    using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
    var ecs = new EcsClient(http, options.Endpoint, options.Region, credential, TimeProvider.System);
    try
    {
        await new AgentRuntime(options, docker, ecs, TimeProvider.System, loggers.CreateLogger<AgentRuntime>()).RunAsync(cancellation);
    }
    catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
    {
    }

    return 0;
});

var meteringCluster = new Option<string?>("--cluster") { Description = "Only this cluster's tasks (default: every cluster)." };
var meteringJson = new Option<bool>("--json") { Description = "Print the server's JSON report as is." };
var meteringEndpoint = new Option<string>("--endpoint") { Description = "The Berth server (default http://127.0.0.1:4580).", DefaultValueFactory = _ => $"http://127.0.0.1:{ServerOptions.DefaultPort}" };
var metering = new Command("metering", "Show FARGATE usage as Fargate bills it: vCPU-seconds and GB-seconds per task and in total. Credentials from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, else the data dir's credentials.json.")
{
    meteringEndpoint, meteringCluster, meteringJson, dataDir,
};
metering.SetAction(async (parse, cancellation) =>
{
    var credential = MeteringCommand.Credential(Path.GetFullPath(parse.GetValue(dataDir)!));
    if (credential is null)
    {
        await Console.Error.WriteLineAsync("berth metering: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or point --data-dir at the server's data dir.");
        return 2;
    }

    using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
    var ecs = new EcsClient(http, new Uri(parse.GetValue(meteringEndpoint)!), ServerOptions.DefaultRegion(), credential, TimeProvider.System);
    var cluster = parse.GetValue(meteringCluster);
    var json = await ecs.GetAsync("/_berth/metering", cluster is null ? string.Empty : "cluster=" + Uri.EscapeDataString(cluster), cancellation);
    Console.WriteLine(parse.GetValue(meteringJson) ? json : MeteringCommand.Table(json));
    return 0;
});

var root = new RootCommand("Berth: a self-hosted container platform that speaks the ECS API.") { server, agent, metering };
return await root.Parse(args).InvokeAsync();
