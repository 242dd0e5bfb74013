using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;

namespace Berth.Docker;

/// <summary>Container operations.</summary>
public sealed partial class DockerClient
{
    public Task<string> CreateContainerAsync(string name, ContainerSpec spec, CancellationToken cancellationToken = default) =>
        CallAsync(nameof(DockerTimeouts.CreateContainer), Timeouts.CreateContainer, async ct =>
        {
            using var response = await SendAsync(
                HttpMethod.Post, $"containers/create?name={Escape(name)}", JsonBody(spec, DockerJsonContext.Default.ContainerSpec),
                nameof(DockerTimeouts.CreateContainer), ct);
            return (await ReadJsonAsync(response, DockerJsonContext.Default.CreateContainerResponse, ct)).Id;
        }, cancellationToken);

    public Task StartContainerAsync(string id, CancellationToken cancellationToken = default) =>
        CallAsync(nameof(DockerTimeouts.StartContainer), Timeouts.StartContainer, async ct =>
        {
            // 304: already started.
            using var response = await SendAsync(
                HttpMethod.Post, $"containers/{Escape(id)}/start", null, nameof(DockerTimeouts.StartContainer), ct, alsoAccepted: HttpStatusCode.NotModified);
            return true;
        }, cancellationToken);

    public Task<int> WaitContainerAsync(string id, CancellationToken cancellationToken = default) =>
        CallAsync(nameof(DockerTimeouts.WaitContainer), Timeouts.WaitContainer, async ct =>
        {
            using var response = await SendAsync(
                HttpMethod.Post, $"containers/{Escape(id)}/wait?condition=not-running", null, nameof(DockerTimeouts.WaitContainer), ct);
            var result = await ReadJsonAsync(response, DockerJsonContext.Default.WaitContainerResponse, ct);
            if (!string.IsNullOrEmpty(result.Error?.Message))
                throw new DockerException($"Docker WaitContainer failed: {result.Error.Message}", nameof(DockerTimeouts.WaitContainer), dockerMessage: result.Error.Message);
            return (int)result.StatusCode;
        }, cancellationToken);

    public Task StopContainerAsync(string id, int timeoutSeconds, CancellationToken cancellationToken = default) =>
        CallAsync("StopContainer", Timeouts.Stop(timeoutSeconds), async ct =>
        {
            // 304: already stopped.
            using var response = await SendAsync(
                HttpMethod.Post, $"containers/{Escape(id)}/stop?t={Math.Max(0, timeoutSeconds)}", null, "StopContainer", ct,
                alsoAccepted: HttpStatusCode.NotModified);
            return true;
        }, cancellationToken);

    public Task KillContainerAsync(string id, string signal = "SIGKILL", CancellationToken cancellationToken = default) =>
        CallAsync(nameof(DockerTimeouts.KillContainer), Timeouts.KillContainer, async ct =>
        {
            using var response = await SendAsync(
                HttpMethod.Post, $"containers/{Escape(id)}/kill?signal={Escape(signal)}", null, nameof(DockerTimeouts.KillContainer), ct);
            return true;
        }, cancellationToken);

    public Task<ContainerInspect> InspectContainerAsync(string id, CancellationToken cancellationToken = default) =>
        CallAsync(nameof(DockerTimeouts.InspectContainer), Timeouts.InspectContainer, async ct =>
        {
            using var response = await SendAsync(HttpMethod.Get, $"containers/{Escape(id)}/json", null, nameof(DockerTimeouts.InspectContainer), ct);
            return await ReadJsonAsync(response, DockerJsonContext.Default.ContainerInspect, ct);
        }, cancellationToken);

    public Task RemoveContainerAsync(string id, bool force = false, bool removeVolumes = false, CancellationToken cancellationToken = default) =>
        CallAsync(nameof(DockerTimeouts.RemoveContainer), Timeouts.RemoveContainer, async ct =>
        {
            using var response = await SendAsync(
                HttpMethod.Delete, $"containers/{Escape(id)}?force={Flag(force)}&v={Flag(removeVolumes)}", null, nameof(DockerTimeouts.RemoveContainer), ct);
            return true;
        }, cancellationToken);

    public Task<IReadOnlyList<ContainerSummary>> ListContainersAsync(
        IReadOnlyDictionary<string, string?>? labelFilters = null, bool all = true, CancellationToken cancellationToken = default) =>
        CallAsync(nameof(DockerTimeouts.ListContainers), Timeouts.ListContainers, async ct =>
        {
            var path = new StringBuilder($"containers/json?all={Flag(all)}");
            if (labelFilters is { Count: > 0 })
            {
                var labels = labelFilters.Select(l => l.Value is null ? l.Key : $"{l.Key}={l.Value}").ToList();
                var filters = new Dictionary<string, List<string>> { ["label"] = labels };
                path.Append("&filters=").Append(Escape(JsonSerializer.Serialize(filters, DockerJsonContext.Default.DictionaryStringListString)));
            }
            using var response = await SendAsync(HttpMethod.Get, path.ToString(), null, nameof(DockerTimeouts.ListContainers), ct);
            IReadOnlyList<ContainerSummary> list = await ReadJsonAsync(response, DockerJsonContext.Default.ListContainerSummary, ct);
            return list;
        }, cancellationToken);

    public IAsyncEnumerable<LogLine> ContainerLogsAsync(
        string id, DateTimeOffset? since = null, int? tail = null, bool follow = false, CancellationToken cancellationToken = default)
    {
        var path = new StringBuilder($"containers/{Escape(id)}/logs?stdout=1&stderr=1&follow={Flag(follow)}");
        if (since is { } from)
            path.Append("&since=").Append((from.ToUnixTimeMilliseconds() / 1000.0).ToString("0.000", CultureInfo.InvariantCulture));
        if (tail is { } lines)
            path.Append("&tail=").Append(lines.ToString(CultureInfo.InvariantCulture));
        var timeout = follow ? Timeout.InfiniteTimeSpan : Timeouts.Logs;
        return StreamAsync(nameof(DockerTimeouts.Logs), timeout, HttpMethod.Get, path.ToString(), DockerStreams.ReadLogLinesAsync, cancellationToken);
    }

    public IAsyncEnumerable<TimedLogLine> ContainerTimedLogsAsync(string id, long? sinceUnixNanos = null, bool follow = false, CancellationToken cancellationToken = default)
    {
        var path = new StringBuilder($"containers/{Escape(id)}/logs?stdout=1&stderr=1&timestamps=1&follow={Flag(follow)}");
        if (sinceUnixNanos is { } since)
            path.Append("&since=").Append(since / 1_000_000_000).Append('.').Append((since % 1_000_000_000).ToString("D9", CultureInfo.InvariantCulture));
        var timeout = follow ? Timeout.InfiniteTimeSpan : Timeouts.Logs;
        return StreamAsync(nameof(DockerTimeouts.Logs), timeout, HttpMethod.Get, path.ToString(), DockerStreams.ReadTimedLogLinesAsync, cancellationToken);
    }

    public IAsyncEnumerable<int> AttachOutputAsync(string id, bool tty, CancellationToken cancellationToken = default)
        => StreamAsync(
            nameof(DockerTimeouts.Logs), Timeout.InfiniteTimeSpan, HttpMethod.Post, $"containers/{Escape(id)}/attach?stream=1&stdout=1&stderr=1",
            (body, ct) => DockerStreams.ReadOutputSizesAsync(body, tty, cancellationToken: ct), cancellationToken);

    public Task<ContainerStats> ContainerStatsAsync(string id, CancellationToken cancellationToken = default) =>
        CallAsync(nameof(DockerTimeouts.Stats), Timeouts.Stats, async ct =>
        {
            using var response = await SendAsync(
                HttpMethod.Get, $"containers/{Escape(id)}/stats?stream=false&one-shot=true", null, nameof(DockerTimeouts.Stats), ct);
            var wire = await ReadJsonAsync(response, DockerJsonContext.Default.StatsWire, ct);
            var memory = wire.MemoryStats;
            ulong cache = 0;
            if (memory?.Stats is { } detail && !detail.TryGetValue("cache", out cache))
                detail.TryGetValue("file", out cache);
            return new ContainerStats
            {
                Read = wire.Read,
                MemoryUsage = memory?.Usage ?? 0,
                MemoryMaxUsage = memory?.MaxUsage ?? 0,
                MemoryLimit = memory?.Limit ?? 0,
                MemoryCache = (long)Math.Min(cache, long.MaxValue),
                CpuTotalUsage = wire.CpuStats?.CpuUsage?.TotalUsage ?? 0,
                SystemCpuUsage = wire.CpuStats?.SystemCpuUsage ?? 0,
                OnlineCpus = wire.CpuStats?.OnlineCpus ?? 0,
                PidsCurrent = wire.PidsStats?.Current ?? 0,
            };
        }, cancellationToken);

    public Task<byte[]> ContainerStatsJsonAsync(string id, CancellationToken cancellationToken = default) =>
        CallAsync(nameof(DockerTimeouts.Stats), Timeouts.Stats, async ct =>
        {
            using var response = await SendAsync(HttpMethod.Get, $"containers/{Escape(id)}/stats?stream=false", null, nameof(DockerTimeouts.Stats), ct);
            return await response.Content.ReadAsByteArrayAsync(ct);
        }, cancellationToken);
}
