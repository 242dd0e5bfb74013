using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;

namespace Berth.Docker;

/// <summary>The engine event stream.</summary>
public sealed partial class DockerClient
{
    public IAsyncEnumerable<DockerEvent> EventsAsync(
        IReadOnlyDictionary<string, IReadOnlyList<string>>? filters = null,
        DateTimeOffset? since = null,
        DateTimeOffset? until = null,
        CancellationToken cancellationToken = default)
    {
        var path = new StringBuilder("events?");
        if (since is { } from)
            path.Append("since=").Append(UnixTime(from)).Append('&');
        if (until is { } to)
            path.Append("until=").Append(UnixTime(to)).Append('&');
        if (filters is { Count: > 0 })
        {
            var wire = filters.ToDictionary(f => f.Key, f => f.Value.ToList());
            path.Append("filters=").Append(Escape(JsonSerializer.Serialize(wire, DockerJsonContext.Default.DictionaryStringListString)));
        }
        return StreamAsync(nameof(DockerTimeouts.Events), Timeouts.Events, HttpMethod.Get, path.ToString().TrimEnd('&', '?'), ReadEventsAsync, cancellationToken);
    }

    private static async IAsyncEnumerable<DockerEvent> ReadEventsAsync(Stream body, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var wire in DockerStreams.ReadJsonLinesAsync(body, DockerJsonContext.Default.EventWire, cancellationToken))
        {
            var time = wire.TimeNano > 0
                ? DateTimeOffset.UnixEpoch.AddTicks(wire.TimeNano / 100)
                : DateTimeOffset.FromUnixTimeSeconds(wire.Time);
            yield return new DockerEvent(
                wire.Type ?? "",
                wire.Action ?? "",
                wire.Actor?.ID ?? "",
                wire.Actor?.Attributes ?? new Dictionary<string, string>(),
                time);
        }
    }

    /// <summary>Docker's <c>seconds.nanoseconds</c> timestamp parameter.</summary>
    private static string UnixTime(DateTimeOffset time)
    {
        var ticks = (time - DateTimeOffset.UnixEpoch).Ticks;
        var seconds = ticks / TimeSpan.TicksPerSecond;
        var nanos = ticks % TimeSpan.TicksPerSecond * 100;
        return string.Create(CultureInfo.InvariantCulture, $"{seconds}.{nanos:D9}");
    }
}
