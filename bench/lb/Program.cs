using System.Globalization;
using System.Net;
using Berth.LoadBalancing;
using Berth.LoadBalancing.Config;
using Berth.LoadBalancing.Health;

// Usage: Berth.Bench.LoadBalancer <address> <port> <host:port> [<host:port> ...]
// Serves one listener at address:port forwarding (round robin) to the targets; prints "ready" once every target is
// healthy and runs until stdin closes. The server wiring does not exist yet, so the bench hosts the data plane here.
if (args.Length < 3)
{
    Console.Error.WriteLine("usage: Berth.Bench.LoadBalancer <address> <port> <host:port>...");
    return 2;
}

var targets = args[2..].Select((t, i) =>
{
    var colon = t.LastIndexOf(':');
    return new TargetConfig($"t{i}", t[..colon], int.Parse(t[(colon + 1)..], CultureInfo.InvariantCulture));
}).ToList();
var config = new DataPlaneConfig
{
    LoadBalancers =
    [
        new LoadBalancerConfig
        {
            Id = "bench",
            Address = IPAddress.Parse(args[0]),
            Listeners = [new ListenerConfig { Id = "bench-80", Port = int.Parse(args[1], CultureInfo.InvariantCulture), DefaultActions = [ForwardAction.To("backends")] }],
        },
    ],
    TargetGroups =
    [
        new TargetGroupConfig
        {
            Id = "backends",
            HealthCheck = new HealthCheckConfig { Interval = TimeSpan.FromSeconds(5), HealthyThreshold = 2 },
            Targets = targets,
        },
    ],
};

await using var plane = new LoadBalancerDataPlane(TimeProvider.System);
// Continuations off the health-check thread: the main flow below blocks on stdin.
var healthy = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
plane.HealthChanged += (_, _) =>
{
    if (plane.Health.For("backends").All(t => t.State == TargetHealthState.Healthy))
        healthy.TrySetResult();
};
await plane.ApplyAsync(config);
await healthy.Task.WaitAsync(TimeSpan.FromSeconds(60));
Console.WriteLine("ready");
// Console.In reads synchronously even through ReadToEndAsync: keep that off the socket threads.
await Task.Run(Console.In.ReadToEnd);
return 0;
