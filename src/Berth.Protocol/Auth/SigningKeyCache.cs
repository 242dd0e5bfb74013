using System.Collections.Concurrent;

namespace Berth.Protocol.Auth;

// Derived keys change once a day per scope, so a hit rate near 100% saves four HMACs per request.
// Bounded by wiping the whole map when full: simple, lock-free, and a scope is re-derived on its next request.
internal sealed class SigningKeyCache(int capacity)
{
    private readonly ConcurrentDictionary<Entry, byte[]> _keys = new();
    private int _count;

    public byte[] Get(string secret, string date, string region, string service)
    {
        var entry = new Entry(secret, date, region, service);
        if (_keys.TryGetValue(entry, out var key))
        {
            return key;
        }

        key = SigV4Canonical.DeriveSigningKey(secret, date, region, service);
        if (Interlocked.Increment(ref _count) > capacity)
        {
            _keys.Clear();
            Interlocked.Exchange(ref _count, 1);
        }

        _keys[entry] = key;
        return key;
    }

    private readonly record struct Entry(string Secret, string Date, string Region, string Service);
}
