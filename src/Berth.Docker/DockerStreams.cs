using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Berth.Docker;

/// <summary>Readers for the engine's streaming bodies: the multiplexed stdout/stderr log stream and newline-delimited JSON.</summary>
public static class DockerStreams
{
    private const int HeaderSize = 8;

    /// <summary>
    /// Demultiplexes Docker's log stream (non-TTY containers): frames of an 8-byte header — stream byte, three zero bytes,
    /// big-endian payload length — followed by the payload. Frames are split into lines per stream; a line spread over
    /// several frames is joined, and an unterminated last line is returned when the stream ends.
    /// </summary>
    public static async IAsyncEnumerable<LogLine> ReadLogLinesAsync(Stream stream, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var header = new byte[HeaderSize];
        var partial = new Dictionary<LogStream, ArrayBufferWriter<byte>>();
        var lines = new List<LogLine>();
        while (true)
        {
            var read = await ReadFullyAsync(stream, header, cancellationToken);
            if (read == 0)
                break;
            if (read < HeaderSize)
                throw new DockerException($"Log stream ended inside a frame header ({read} of {HeaderSize} bytes).");

            var kind = (LogStream)header[0];
            var length = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(4));
            if (length > int.MaxValue)
                throw new DockerException($"Log frame length {length} is not plausible.");
            var payload = ArrayPool<byte>.Shared.Rent((int)Math.Max(length, 1));
            try
            {
                var got = await ReadFullyAsync(stream, payload.AsMemory(0, (int)length), cancellationToken);
                if (got < length)
                    throw new DockerException($"Log stream ended inside a frame ({got} of {length} bytes).");
                SplitLines(kind, payload.AsSpan(0, (int)length), partial, lines);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(payload);
            }

            foreach (var line in lines)
                yield return line;
            lines.Clear();
        }

        foreach (var (kind, buffer) in partial.OrderBy(p => p.Key))
        {
            if (buffer.WrittenCount > 0)
                yield return new LogLine(kind, Decode(buffer.WrittenSpan));
        }
    }

    /// <summary>
    /// The sizes of the output pieces in an attach stream, read at most <paramref name="chunk"/> bytes at a time so a
    /// slow consumer reads slowly: payload bytes only (frame headers are not output) unless <paramref name="raw"/> (a
    /// TTY's stream has no frames).
    /// </summary>
    public static async IAsyncEnumerable<int> ReadOutputSizesAsync(Stream stream, bool raw, int chunk = 16 * 1024, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var buffer = new byte[Math.Max(chunk, HeaderSize)];
        long frameLeft = 0;
        while (true)
        {
            if (!raw && frameLeft == 0)
            {
                var got = await ReadFullyAsync(stream, buffer.AsMemory(0, HeaderSize), cancellationToken);
                if (got == 0)
                    yield break;
                if (got < HeaderSize)
                    throw new DockerException($"Attach stream ended inside a frame header ({got} of {HeaderSize} bytes).");
                frameLeft = BinaryPrimitives.ReadUInt32BigEndian(buffer.AsSpan(4));
                continue;
            }

            var want = raw ? chunk : (int)Math.Min(chunk, frameLeft);
            var read = await stream.ReadAsync(buffer.AsMemory(0, want), cancellationToken);
            if (read == 0)
            {
                if (frameLeft > 0)
                    throw new DockerException($"Attach stream ended inside a frame ({frameLeft} bytes missing).");
                yield break;
            }

            frameLeft -= raw ? 0 : read;
            yield return read;
        }
    }

    /// <summary>The whole second a timestamp parse saw last (see <see cref="TryParseNanos(string, TimestampCache?, out long)"/>).</summary>
    public sealed class TimestampCache
    {
        /// <summary>The date and time up to the seconds, e.g. <c>2026-01-02T03:04:05</c>.</summary>
        public string Prefix { get; set; } = string.Empty;

        /// <summary>That second in nanoseconds since the epoch.</summary>
        public long Seconds { get; set; }
    }

    /// <summary>
    /// Docker's log stream with <c>timestamps=1</c>: each line starts with its RFC 3339 timestamp (nanoseconds) and a
    /// space, which is split off into <see cref="TimedLogLine.UnixNanos"/>.
    /// </summary>
    public static async IAsyncEnumerable<TimedLogLine> ReadTimedLogLinesAsync(Stream stream, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var cache = new TimestampCache();
        await foreach (var line in ReadLogLinesAsync(stream, cancellationToken))
        {
            var space = line.Text.IndexOf(' ', StringComparison.Ordinal);
            var stamp = space < 0 ? line.Text : line.Text[..space];
            if (!TryParseNanos(stamp, cache, out var nanos))
                throw new DockerException($"Log line without a timestamp: '{(line.Text.Length > 64 ? line.Text[..64] : line.Text)}'.");
            yield return new TimedLogLine(line.Stream, nanos, space < 0 ? string.Empty : line.Text[(space + 1)..]);
        }
    }

    /// <summary>Reads Docker's <c>2006-01-02T15:04:05.999999999Z</c> (or with an offset) as nanoseconds since the epoch.</summary>
    public static bool TryParseNanos(string text, out long nanos) => TryParseNanos(text, null, out nanos);

    /// <summary>
    /// As <see cref="TryParseNanos(string, out long)"/>, with <paramref name="cache"/> remembering the last whole second
    /// read: consecutive lines mostly share it, and parsing the date is most of the cost.
    /// </summary>
    public static bool TryParseNanos(string text, TimestampCache? cache, out long nanos)
    {
        if (cache is not null && text.Length >= 21 && text[19] == '.' && text[^1] == 'Z' && text.AsSpan(0, 19).SequenceEqual(cache.Prefix))
        {
            long fraction = 0;
            var digits = 0;
            for (var i = 20; i < text.Length - 1; i++)
            {
                if (!char.IsAsciiDigit(text[i]) || digits == 9)
                    return TryParseNanos(text, null, out nanos);
                fraction = (fraction * 10) + (text[i] - '0');
                digits++;
            }

            for (; digits < 9; digits++)
                fraction *= 10;
            nanos = cache.Seconds + fraction;
            return true;
        }

        if (!TryParseSlow(text, out nanos))
            return false;
        if (cache is not null && text.Length >= 21 && text[19] == '.' && text[^1] == 'Z')
        {
            cache.Prefix = text[..19];
            cache.Seconds = nanos - (nanos % 1_000_000_000);
        }

        return true;
    }

    private static bool TryParseSlow(string text, out long nanos)
    {
        nanos = 0;
        if (text.Length < 20 || text[19] is not ('.' or 'Z' or '+' or '-'))
            return false;
        var fractionEnd = 19;
        long fraction = 0;
        if (text[19] == '.')
        {
            fractionEnd = 20;
            var digits = 0;
            while (fractionEnd < text.Length && char.IsAsciiDigit(text[fractionEnd]))
            {
                if (digits < 9)
                {
                    fraction = (fraction * 10) + (text[fractionEnd] - '0');
                    digits++;
                }

                fractionEnd++;
            }

            for (; digits < 9; digits++)
                fraction *= 10;
        }

        if (!DateTimeOffset.TryParse(text[..19] + text[fractionEnd..], System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var seconds))
            return false;
        nanos = (seconds.ToUnixTimeSeconds() * 1_000_000_000) + fraction;
        return true;
    }

    private static void SplitLines(LogStream kind, ReadOnlySpan<byte> payload, Dictionary<LogStream, ArrayBufferWriter<byte>> partial, List<LogLine> lines)
    {
        while (!payload.IsEmpty)
        {
            var newline = payload.IndexOf((byte)'\n');
            if (newline < 0)
            {
                if (!partial.TryGetValue(kind, out var pending))
                    partial[kind] = pending = new ArrayBufferWriter<byte>();
                pending.Write(payload);
                return;
            }

            var piece = payload[..newline];
            if (partial.TryGetValue(kind, out var buffer) && buffer.WrittenCount > 0)
            {
                buffer.Write(piece);
                lines.Add(new LogLine(kind, Decode(buffer.WrittenSpan)));
                buffer.ResetWrittenCount();
            }
            else
            {
                lines.Add(new LogLine(kind, Decode(piece)));
            }
            payload = payload[(newline + 1)..];
        }
    }

    private static string Decode(ReadOnlySpan<byte> line)
    {
        if (!line.IsEmpty && line[^1] == (byte)'\r')
            line = line[..^1];
        return Encoding.UTF8.GetString(line);
    }

    private static async ValueTask<int> ReadFullyAsync(Stream stream, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var read = await stream.ReadAsync(buffer[total..], cancellationToken);
            if (read == 0)
                break;
            total += read;
        }
        return total;
    }

    /// <summary>Reads newline-delimited JSON objects (the event stream, the pull progress stream), skipping blank lines.</summary>
    internal static async IAsyncEnumerable<T> ReadJsonLinesAsync<T>(Stream stream, JsonTypeInfo<T> typeInfo, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var reader = new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: false, leaveOpen: true);
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (string.IsNullOrWhiteSpace(line))
                continue;
            T? item;
            try
            {
                item = JsonSerializer.Deserialize(line, typeInfo);
            }
            catch (JsonException ex)
            {
                throw new DockerException($"Malformed JSON line in a Docker stream: {ex.Message}", innerException: ex);
            }
            if (item is not null)
                yield return item;
        }
    }
}
