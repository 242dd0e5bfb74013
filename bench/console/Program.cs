using System.Diagnostics;
using System.Globalization;
using System.Net;
using Berth.Bench.WebConsole;
using Berth.Ecs.Arns;
using Berth.Ecs.State;
using Berth.Protocol.Auth;
using Berth.Protocol.Dispatch;
using Berth.Storage.Commit;
using Berth.Storage.Sqlite;
using Berth.WebConsole.Auth;
using Berth.WebConsole.Clusters;
using Berth.WebConsole.Hosting;
using Berth.WebConsole.Html;
using Berth.WebConsole.Services;
using Berth.WebConsole.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Playwright;

// The console's three busiest pages over a big state (SERVICES services of TASKS running tasks in one cluster):
//  1. in process: Layout.Render of the page, RENDERS times after a warm-up (what the server spends per request);
//  2. over HTTP on loopback: GET of the page with a session cookie through Kestrel and the real ConsoleEndpoint,
//     beside GET of a static copy of the same document (bytes kept in memory) from the same Kestrel;
//  3. first contentful paint in Chromium (Playwright, Debian's binary): LOADS navigations to the page and to its
//     static copy, reading the paint timing the browser records (from navigation start, so server time included).
var options = Environment.GetCommandLineArgs().Skip(1).ToArray();
string Text(string name, string fallback)
{
    var i = Array.IndexOf(options, name);
    return i >= 0 && i + 1 < options.Length ? options[i + 1] : fallback;
}

int Option(string name, int fallback) => int.Parse(Text(name, fallback.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);

var services = Option("--services", 1_000);
var tasksPerService = Option("--tasks", 10);
var renders = Option("--renders", 200);
var loads = Option("--loads", 30);
var chromium = Text("--chromium", "/usr/bin/chromium");
var scope = new Scope("us-east-1", "000000000000");
var key = new SigningCredential("AKIABENCHCONSOLE0001", "bench/console/secret", null, null, "arn:aws:iam::000000000000:root");

var built = Stopwatch.StartNew();
var state = SyntheticState.Build(scope, services, tasksPerService);
var serviceName = SyntheticState.ServiceName(services / 2);
var taskId = SyntheticState.TaskId(services / 2, 0);
Console.WriteLine($"state: {services:N0} services, {state.Tasks.Count:N0} tasks in cluster {SyntheticState.Cluster} (built in {built.Elapsed.TotalSeconds:F1} s)");

var pages = new (string Name, string Path, Func<string> Render)[]
{
    ("cluster", Links.Cluster(SyntheticState.Cluster), () => Layout.Render(ClusterPage.Render(state, scope, SyntheticState.Cluster), "csrf", key.AccessKeyId)),
    ("service", Links.Service(SyntheticState.Cluster, serviceName), () => Layout.Render(ServicePage.Render(state, scope, SyntheticState.Cluster, serviceName, "csrf"), "csrf", key.AccessKeyId)),
    ("task", Links.Task(SyntheticState.Cluster, taskId), () => Layout.Render(TaskPage.Render(state, scope, SyntheticState.Cluster, taskId, null, "csrf"), "csrf", key.AccessKeyId)),
};

var inProcess = pages.ToDictionary(p => p.Name, p => Measure(renders, () => p.Render()));

var dir = Directory.CreateTempSubdirectory("berth-bench-console-");
try
{
    await using var store = await SqliteDocumentStore.OpenAsync(Path.Combine(dir.FullName, "state.db"));
    await using var pipeline = new CommitPipeline<EcsState>(store, state);
    var table = new DispatchTable();
    table.Freeze();
    using var endpoint = new ConsoleEndpoint(
        new ConsoleSources { Ecs = pipeline, Api = table, Region = scope.Region, AccountId = scope.AccountId, Endpoint = "http://127.0.0.1" },
        new OneKey(key),
        ConsoleSessions.DeriveKey(key.SecretAccessKey, scope.AccountId),
        NullLogger.Instance);
    var cookie = endpoint.Sessions.Encode(endpoint.Sessions.SignIn(key.AccessKeyId, key.SecretAccessKey)!);

    // The static copies: each page's document as the endpoint answers it, served from memory under /static/.
    var copies = new Dictionary<string, byte[]>(StringComparer.Ordinal);
    var builder = WebApplication.CreateSlimBuilder();
    builder.Logging.ClearProviders();
    builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
    await using var app = builder.Build();
    app.Run(async http =>
    {
        if (http.Request.Path.StartsWithSegments("/static", out var rest) && copies.TryGetValue(rest.Value!.TrimStart('/'), out var document))
        {
            http.Response.ContentType = "text/html; charset=utf-8";
            http.Response.Headers.CacheControl = "no-store";
            http.Response.ContentLength = document.Length;
            await http.Response.Body.WriteAsync(document);
            return;
        }

        await endpoint.HandleAsync(http);
    });
    await app.StartAsync();
    var address = app.Urls.First();

    using var client = new HttpClient(new SocketsHttpHandler { UseCookies = false }) { BaseAddress = new Uri(address) };
    client.DefaultRequestHeaders.Add("Cookie", $"{ConsoleSessions.CookieName}={cookie}");
    foreach (var page in pages)
    {
        using var response = await client.GetAsync(page.Path);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"{page.Path} answered {(int)response.StatusCode}");
        }

        copies[page.Name] = await response.Content.ReadAsByteArrayAsync();
    }

    var http = new Dictionary<string, (Stats Page, Stats Copy)>(StringComparer.Ordinal);
    foreach (var page in pages)
    {
        http[page.Name] = (await MeasureAsync(renders, () => Get(client, page.Path)), await MeasureAsync(renders, () => Get(client, "/static/" + page.Name)));
    }

    using var playwright = await Playwright.CreateAsync();
    await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
    {
        ExecutablePath = chromium,
        Headless = true,
        Args = ["--no-sandbox", "--disable-dev-shm-usage"],
    });
    var context = await browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = address });
    await context.AddCookiesAsync([new Microsoft.Playwright.Cookie { Name = ConsoleSessions.CookieName, Value = cookie, Url = address.TrimEnd('/') + Links.Root }]);
    var tab = await context.NewPageAsync();
    var paint = new Dictionary<string, (Stats Page, Stats Copy)>(StringComparer.Ordinal);
    foreach (var page in pages)
    {
        paint[page.Name] = (await PaintAsync(tab, page.Path, loads), await PaintAsync(tab, "/static/" + page.Name, loads));
    }

    Console.WriteLine();
    Console.WriteLine($"| page | document | render in process p50 / p99 | GET p50 / p99 | GET of the static copy p50 / p99 | first contentful paint p50 / p99 | FCP of the static copy p50 / p99 |");
    Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
    foreach (var page in pages)
    {
        var (get, getCopy) = http[page.Name];
        var (fcp, fcpCopy) = paint[page.Name];
        Console.WriteLine($"| {page.Name} | {copies[page.Name].Length / 1024.0:F0} KiB | {inProcess[page.Name]} | {get} | {getCopy} | {fcp} | {fcpCopy} |");
    }

    var renderMet = pages.All(p => http[p.Name].Page.P99 < 50 && inProcess[p.Name].P99 < 50);
    var paintMet = pages.All(p => paint[p.Name].Page.P99 < 300);
    Console.WriteLine();
    Console.WriteLine($"renders: {renders} per cell; page loads: {loads} per cell; load average at the end: {File.ReadAllText("/proc/loadavg").Split(' ')[0]} on {Environment.ProcessorCount} CPUs");
    Console.WriteLine($"goal: server render p99 < 50 ms: {(renderMet ? "met" : "NOT met")}; first contentful paint p99 < 300 ms: {(paintMet ? "met" : "NOT met")}");
    await app.StopAsync();
}
finally
{
    dir.Delete(recursive: true);
}

static async Task Get(HttpClient client, string path)
{
    using var response = await client.GetAsync(path, HttpCompletionOption.ResponseContentRead);
    if (response.StatusCode != HttpStatusCode.OK)
    {
        throw new InvalidOperationException($"{path} answered {(int)response.StatusCode}");
    }
}

static Stats Measure(int count, Func<string> render)
{
    for (var i = 0; i < 20; i++)
    {
        render();
    }

    var times = new double[count];
    for (var i = 0; i < count; i++)
    {
        var clock = Stopwatch.StartNew();
        render();
        times[i] = clock.Elapsed.TotalMilliseconds;
    }

    return Stats.Of(times);
}

static async Task<Stats> MeasureAsync(int count, Func<Task> call)
{
    for (var i = 0; i < 20; i++)
    {
        await call();
    }

    var times = new double[count];
    for (var i = 0; i < count; i++)
    {
        var clock = Stopwatch.StartNew();
        await call();
        times[i] = clock.Elapsed.TotalMilliseconds;
    }

    return Stats.Of(times);
}

// Navigates LOADS times (after 3 unmeasured) and reads the browser's first-contentful-paint entry of each load.
static async Task<Stats> PaintAsync(IPage tab, string path, int count)
{
    var times = new List<double>();
    for (var i = 0; i < count + 3; i++)
    {
        await tab.GotoAsync(path, new PageGotoOptions { WaitUntil = WaitUntilState.Load });
        var fcp = await tab.EvaluateAsync<double?>("""
            () => new Promise(resolve => {
              const found = performance.getEntriesByName('first-contentful-paint')[0];
              if (found) { resolve(found.startTime); return; }
              new PerformanceObserver(list => resolve(list.getEntriesByName('first-contentful-paint')[0]?.startTime ?? null)).observe({ type: 'paint', buffered: true });
              setTimeout(() => resolve(null), 5000);
            })
            """);
        if (fcp is not { } value)
        {
            throw new InvalidOperationException($"{path}: the browser recorded no first contentful paint");
        }

        if (i >= 3)
        {
            times.Add(value);
        }
    }

    return Stats.Of([.. times]);
}

/// <summary>p50 and p99 of a cell's times in milliseconds.</summary>
internal readonly record struct Stats(double P50, double P99)
{
    public static Stats Of(double[] times)
    {
        Array.Sort(times);
        return new(times[times.Length / 2], times[Math.Min(times.Length - 1, (int)Math.Ceiling(times.Length * 0.99) - 1)]);
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{P50:F2} / {P99:F2} ms");
}

/// <summary>The one key the benchmark signs in with.</summary>
internal sealed class OneKey(SigningCredential key) : ICredentialStore
{
    public SigningCredential? Find(string accessKeyId) => accessKeyId == key.AccessKeyId ? key : null;
}
