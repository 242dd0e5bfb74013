using System.Globalization;

namespace Berth.Agent.Logs;

/// <summary>
/// What a container's shipper has shipped, kept in the agent's data dir (<c>logs/CONTAINER-ID</c>): the position after
/// the last line the server acknowledged and, while a batch is in flight, the position its last line ends at. After a
/// restart the in-flight batch is rebuilt from exactly those lines and sent again with the same sequence token, which
/// the server refuses as already accepted if it had stored it: nothing is lost, nothing stored twice.
/// </summary>
public sealed record ShipCheckpoint(LogPosition Shipped, LogPosition? InFlight)
{
    /// <summary>The PutLogEvents sequence token of the batch that starts after <paramref name="shipped"/>.</summary>
    public static string TokenAfter(LogPosition shipped) => "berth-" + shipped.Nanos.ToString(CultureInfo.InvariantCulture) + "-" + shipped.Count.ToString(CultureInfo.InvariantCulture);

    /// <summary>Reads the checkpoint at <paramref name="path"/>; none yet is the start of the output.</summary>
    public static ShipCheckpoint Load(string path)
    {
        if (!File.Exists(path))
        {
            return new ShipCheckpoint(LogPosition.Start, null);
        }

        var parts = File.ReadAllText(path).Trim().Split(' ');
        var shipped = new LogPosition(long.Parse(parts[0], CultureInfo.InvariantCulture), int.Parse(parts[1], CultureInfo.InvariantCulture));
        LogPosition? inFlight = parts.Length >= 4
            ? new LogPosition(long.Parse(parts[2], CultureInfo.InvariantCulture), int.Parse(parts[3], CultureInfo.InvariantCulture))
            : null;
        return new ShipCheckpoint(shipped, inFlight);
    }

    /// <summary>Writes the checkpoint durably: a temporary file, fsync, then an atomic rename.</summary>
    public void Save(string path)
    {
        var text = string.Create(CultureInfo.InvariantCulture, $"{Shipped.Nanos} {Shipped.Count}")
            + (InFlight is { } f ? string.Create(CultureInfo.InvariantCulture, $" {f.Nanos} {f.Count}") : string.Empty);
        var temporary = path + ".tmp";
        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            stream.Write(System.Text.Encoding.ASCII.GetBytes(text));
            stream.Flush(flushToDisk: true);
        }

        File.Move(temporary, path, overwrite: true);
    }
}
