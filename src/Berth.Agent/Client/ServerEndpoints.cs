namespace Berth.Agent.Client;

/// <summary>
/// The Berth servers an agent may talk to (<c>--endpoint URL[,URL...]</c>; several servers share one database), in
/// order: calls go to the current one, and a call that cannot reach it (no connection, or 503 from a server whose
/// database is away) moves every later call to the next. The channel reconnects the same way.
/// </summary>
public sealed class ServerEndpoints
{
    private readonly Uri[] _all;
    private int _current;

    /// <summary>The servers, the first one current.</summary>
    public ServerEndpoints(IReadOnlyList<Uri> all)
    {
        ArgumentOutOfRangeException.ThrowIfZero(all.Count);
        _all = [.. all];
    }

    /// <summary>Every server, in order.</summary>
    public IReadOnlyList<Uri> All => _all;

    /// <summary>The server calls go to now.</summary>
    public Uri Current => _all[Volatile.Read(ref _current)];

    /// <summary>One server.</summary>
    public static ServerEndpoints FromUri(Uri endpoint) => new([endpoint]);

    /// <summary>One server.</summary>
    public static implicit operator ServerEndpoints(Uri endpoint) => FromUri(endpoint);

    /// <summary>A call to <paramref name="endpoint"/> could not reach it: the next server becomes current (once per failure of the current one).</summary>
    public void Failed(Uri endpoint)
    {
        var index = Array.IndexOf(_all, endpoint);
        if (index >= 0 && _all.Length > 1)
        {
            Interlocked.CompareExchange(ref _current, (index + 1) % _all.Length, index);
        }
    }
}
