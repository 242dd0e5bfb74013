using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;

namespace Berth.Docker;

/// <summary>
/// Follows a container's json-file log on the engine's host directly (<see cref="ContainerInspect.LogPath"/>): each line
/// of the file is one JSON entry <c>{"log": "...\n", "stream": "stdout", "time": "..."}</c>; an entry without the
/// trailing newline is a piece of a longer line, joined with the next ones. Reading the file is several times faster
/// than the engine's logs API, which reads the same file and frames it again.
/// </summary>
public static class DockerLogFile
{
    private static readonly TimeSpan Idle = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan StateCheck = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// The file's lines from the start, following it while <paramref name="running"/> says the container runs; once it
    /// has stopped the rest of the file is read and the sequence ends.
    /// </summary>
    public static async IAsyncEnumerable<TimedLogLine> FollowAsync(string path, Func<CancellationToken, Task<bool>> running, TimeProvider time, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.SequentialScan);
        var buffer = new byte[1 << 20];
        var filled = 0;
        var cache = new DockerStreams.TimestampCache();
        var partial = new Dictionary<LogStream, StringBuilder>();
        var lines = new List<TimedLogLine>();
        var text = new char[1024];
        var stopped = false;
        var lastCheck = time.GetTimestamp();
        while (true)
        {
            if (filled == buffer.Length)
            {
                Array.Resize(ref buffer, buffer.Length * 2);
            }

            var read = await file.ReadAsync(buffer.AsMemory(filled), cancellationToken);
            if (read == 0)
            {
                if (stopped)
                {
                    break;
                }

                if (time.GetElapsedTime(lastCheck) >= StateCheck)
                {
                    // Docker writes a container's last output before it reports it stopped: one more read gets all of it.
                    stopped = !await running(cancellationToken);
                    lastCheck = time.GetTimestamp();
                    if (stopped)
                    {
                        continue;
                    }
                }

                await Task.Delay(Idle, time, cancellationToken);
                continue;
            }

            filled += read;
            var consumed = Split(buffer.AsSpan(0, filled), cache, partial, lines, ref text);
            Buffer.BlockCopy(buffer, consumed, buffer, 0, filled - consumed);
            filled -= consumed;
            foreach (var line in lines)
            {
                yield return line;
            }

            lines.Clear();
        }
    }

    // Parses every complete entry of the buffer; returns the bytes consumed. Only the line's text becomes a string: the
    // stream name is compared as bytes, and a timestamp in the same second as the last one is read from its bytes.
    private static int Split(ReadOnlySpan<byte> data, DockerStreams.TimestampCache cache, Dictionary<LogStream, StringBuilder> partial, List<TimedLogLine> lines, ref char[] text)
    {
        var consumed = 0;
        while (true)
        {
            var newline = data[consumed..].IndexOf((byte)'\n');
            if (newline < 0)
            {
                return consumed;
            }

            var entry = data.Slice(consumed, newline);
            consumed += newline + 1;
            if (entry.IsEmpty)
            {
                continue;
            }

            var length = -1;
            var stderr = false;
            long nanos = 0;
            var timed = false;
            var reader = new Utf8JsonReader(entry);
            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == 1)
                {
                    var name = reader.ValueSpan;
                    reader.Read();
                    if (name.SequenceEqual("log"u8) && reader.TokenType == JsonTokenType.String)
                    {
                        var size = reader.HasValueSequence ? checked((int)reader.ValueSequence.Length) : reader.ValueSpan.Length;
                        if (size > text.Length)
                            text = new char[Math.Max(size, text.Length * 2)];
                        length = reader.CopyString(text);
                    }
                    else if (name.SequenceEqual("stream"u8))
                        stderr = reader.ValueTextEquals("stderr"u8);
                    else if (name.SequenceEqual("time"u8) && reader.TokenType == JsonTokenType.String)
                        timed = TryParseNanos(reader.ValueIsEscaped ? Encoding.UTF8.GetBytes(reader.GetString()!) : reader.ValueSpan, cache, out nanos);
                    else
                        reader.Skip();
                }
            }

            if (length < 0 || !timed)
            {
                throw new DockerException("A json-file log entry without log or time.");
            }

            var kind = stderr ? LogStream.Stderr : LogStream.Stdout;
            var log = text.AsSpan(0, length);
            if (!log.EndsWith('\n'))
            {
                // A piece of a line longer than Docker's 16 KiB buffer: the rest follows in the next entries.
                if (!partial.TryGetValue(kind, out var pending))
                    partial[kind] = pending = new StringBuilder();
                pending.Append(log);
                continue;
            }

            var line = log[..^(log.EndsWith("\r\n", StringComparison.Ordinal) ? 2 : 1)];
            if (partial.TryGetValue(kind, out var open) && open.Length > 0)
            {
                open.Append(line);
                lines.Add(new TimedLogLine(kind, nanos, open.ToString()));
                open.Clear();
            }
            else
            {
                lines.Add(new TimedLogLine(kind, nanos, line.ToString()));
            }
        }
    }

    // Docker's time as bytes: within the second the cache holds, the fraction is read here; otherwise the full parse.
    private static bool TryParseNanos(ReadOnlySpan<byte> stamp, DockerStreams.TimestampCache cache, out long nanos)
    {
        if (stamp.Length is >= 21 and <= 30 && stamp[19] == '.' && stamp[^1] == 'Z' && cache.Prefix.Length == 19 && Ascii.Equals(stamp[..19], cache.Prefix))
        {
            long fraction = 0;
            var digits = 0;
            var ok = true;
            foreach (var b in stamp[20..^1])
            {
                if (!char.IsAsciiDigit((char)b))
                {
                    ok = false;
                    break;
                }

                fraction = (fraction * 10) + (b - '0');
                digits++;
            }

            if (ok)
            {
                for (; digits < 9; digits++)
                    fraction *= 10;
                nanos = cache.Seconds + fraction;
                return true;
            }
        }

        return DockerStreams.TryParseNanos(Encoding.UTF8.GetString(stamp), cache, out nanos);
    }
}
