using System.Diagnostics;
using System.Globalization;
using Berth.Ecs.Arns;
using Berth.Ecs.Clusters;
using Berth.Ecs.ContainerInstances;
using Berth.Ecs.Model;
using Berth.Ecs.Services;
using Berth.Ecs.State;
using Berth.Ecs.TaskDefinitions;
using Berth.Ecs.Tasks;

// The service controller alone, in process, no Docker and no SQLite: SERVICES services of TASKS tasks each on
// INSTANCES simulated instances, built with the real decisions; then ServicePass.Run again and again, the agent
// simulated between passes by reporting every PROVISIONING task RUNNING (SubmitTaskStateChange's decision), until
// every service runs its desired count with its deployment COMPLETED. Only the passes are timed as the
// controller's; the simulated agent is timed apart.
var options = Environment.GetCommandLineArgs().Skip(1).ToArray();
int Option(string name, int fallback)
{
    var i = Array.IndexOf(options, name);
    return i >= 0 && i + 1 < options.Length ? int.Parse(options[i + 1], CultureInfo.InvariantCulture) : fallback;
}

var services = Option("--services", 1_000);
var tasksPerService = Option("--tasks", 10);
var instances = Option("--instances", 1_000);
var scope = new Scope("us-east-1", "000000000000");
const string Principal = "arn:aws:iam::000000000000:root";
const string ClusterName = "bench";
var ids = IdSource.Sequential();
var rng = new Random(42);
var now = new DateTimeOffset(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);

Console.WriteLine($"Service controller benchmark: {services:N0} services x {tasksPerService} tasks on {instances:N0} simulated instances, one thread, no Docker, no SQLite.");
Console.WriteLine($"Host: {Environment.ProcessorCount} core(s) visible, .NET {Environment.Version}.");

var setup = Stopwatch.StartNew();
var state = ClusterDecisions.Create(EcsState.Empty, scope, new CreateClusterRequest { ClusterName = ClusterName }).State;
string[] zones = ["us-east-1a", "us-east-1b", "us-east-1c"];
for (var i = 0; i < instances; i++)
{
    var registered = ContainerInstanceDecisions.Register(state, scope, ids, now, new RegisterContainerInstanceRequest
    {
        Cluster = ClusterName,
        TotalResources =
        [
            new Resource { Name = "CPU", Type = "INTEGER", IntegerValue = 4096 },
            new Resource { Name = "MEMORY", Type = "INTEGER", IntegerValue = 8192 },
            new Resource { Name = "PORTS", Type = "STRINGSET", StringSetValue = ["22", "2375", "2376", "51678", "51679"] },
            new Resource { Name = "PORTS_UDP", Type = "STRINGSET", StringSetValue = [] },
        ],
        VersionInfo = new VersionInfo { AgentVersion = "1.0.0", DockerVersion = "27.0.0" },
        Attributes = [new EcsAttribute { Name = "ecs.availability-zone", Value = zones[i % zones.Length] }],
    });
    state = ContainerInstanceDecisions.SetAgentConnected(registered.State, registered.Result.ContainerInstanceArn!, true, now).State;
}

state = TaskDefinitionDecisions.Register(state, scope, Principal, now, new RegisterTaskDefinitionRequest
{
    Family = "web",
    ContainerDefinitions = [new ContainerDefinition { Name = "app", Image = "busybox", Memory = 128, Cpu = 64, Essential = true }],
}).State;
for (var i = 0; i < services; i++)
{
    state = ServiceDecisions.Create(state, scope, Principal, ids, now, new CreateServiceRequest
    {
        Cluster = ClusterName,
        ServiceName = "svc-" + i.ToString("D5", CultureInfo.InvariantCulture),
        TaskDefinition = "web",
        DesiredCount = tasksPerService,
        LaunchType = "EC2",
    }).State;
}

setup.Stop();
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Set-up through the decisions: {setup.Elapsed.TotalSeconds:F1} s."));
if (options.Contains("--writes"))
{
    // The placing pass through the real controller and pipeline (SQLite), with API calls made while it runs.
    Berth.Bench.ServiceController.DuringWrites.Piece = Option("--piece", Berth.Bench.ServiceController.DuringWrites.Piece);
    await Berth.Bench.ServiceController.DuringWrites.RunAsync(state, scope, now);
    return;
}
Console.WriteLine();
Console.WriteLine($"{"pass",4} {"started",8} {"stopped",8} {"mutations",10} {"wall ms",9} {"cpu ms",8} | {"agent: tasks RUNNING",21} {"wall ms",9}");

var process = Process.GetCurrentProcess();
var passes = 0;
var controllerWall = TimeSpan.Zero;
var controllerCpu = TimeSpan.Zero;
var agentWall = TimeSpan.Zero;
var gcLines = new List<string>();
var total = Stopwatch.StartNew();
while (true)
{
    process.Refresh();
    var cpuBefore = process.TotalProcessorTime;
    var gcBefore = (Gen0: GC.CollectionCount(0), Gen1: GC.CollectionCount(1), Gen2: GC.CollectionCount(2), Pause: GC.GetTotalPauseDuration(), Bytes: GC.GetTotalAllocatedBytes());
    var wall = Stopwatch.StartNew();
    var pass = ServicePass.Run(state, now, ids, rng);
    wall.Stop();
    process.Refresh();
    var cpu = process.TotalProcessorTime - cpuBefore;
    gcLines.Add(string.Create(CultureInfo.InvariantCulture, $"pass {passes + 1}: GC gen0 {GC.CollectionCount(0) - gcBefore.Gen0}, gen1 {GC.CollectionCount(1) - gcBefore.Gen1}, gen2 {GC.CollectionCount(2) - gcBefore.Gen2}, paused {(GC.GetTotalPauseDuration() - gcBefore.Pause).TotalMilliseconds:F0} ms, allocated {(GC.GetTotalAllocatedBytes() - gcBefore.Bytes) / 1048576.0:F0} MiB"));
    state = pass.State;
    passes++;
    controllerWall += wall.Elapsed;
    controllerCpu += cpu;

    // The agent: every task the pass placed comes up.
    var agent = Stopwatch.StartNew();
    var provisioning = state.Tasks.Values.Where(t => t.LastStatus == EcsTaskStatus.Provisioning).Select(t => t.TaskArn).ToList();
    now += TimeSpan.FromSeconds(1);
    foreach (var arn in provisioning)
    {
        state = TaskStateDecisions.SubmitTask(state, scope, now, new SubmitTaskStateChangeRequest { Cluster = ClusterName, Task = arn, Status = "RUNNING" }).State;
    }

    agent.Stop();
    agentWall += agent.Elapsed;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{passes,4} {pass.Result.Started,8:N0} {pass.Result.Stopped,8:N0} {pass.Mutations.Count,10:N0} {wall.Elapsed.TotalMilliseconds,9:F0} {cpu.TotalMilliseconds,8:F0} | {provisioning.Count,21:N0} {agent.Elapsed.TotalMilliseconds,9:F0}"));

    var done = state.Services.Values.All(s => s.RunningCount == tasksPerService
        && s.Deployments is [{ RolloutState: RolloutState.Completed }]
        && s.Events.FirstOrDefault()?.Message.EndsWith("has reached a steady state.", StringComparison.Ordinal) == true);
    if (done)
    {
        break;
    }

    if (passes >= 50)
    {
        throw new InvalidOperationException("not steady after 50 passes");
    }
}

total.Stop();
var running = state.Tasks.Values.Count(t => t.LastStatus == EcsTaskStatus.Running);
Console.WriteLine();
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Steady: {services:N0} services, {running:N0} tasks RUNNING, every deployment COMPLETED, after {passes} passes."));
gcLines.ForEach(Console.WriteLine);
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Controller (ServicePass.Run only): wall {controllerWall.TotalSeconds:F2} s, CPU {controllerCpu.TotalSeconds:F2} s; {controllerWall.TotalMilliseconds / passes:F0} ms per pass."));
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Simulated agent (SubmitTaskStateChange decisions): wall {agentWall.TotalSeconds:F2} s. Whole loop: {total.Elapsed.TotalSeconds:F2} s."));
