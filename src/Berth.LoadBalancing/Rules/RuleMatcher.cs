using System.Net;
using Berth.LoadBalancing.Config;

namespace Berth.LoadBalancing.Rules;

/// <summary>What rule conditions look at in a request; built once per request by the proxy.</summary>
public sealed record RequestFacts
{
    /// <summary>The method as sent (case-sensitive).</summary>
    public required string Method { get; init; }

    /// <summary>The Host header without its port.</summary>
    public required string Host { get; init; }

    /// <summary>The URL path, starting with '/'; no query.</summary>
    public required string Path { get; init; }

    /// <summary>The query's key/value pairs, URL-decoded.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Query { get; init; } = [];

    /// <summary>Looks a header up by name (case-insensitive); its values, empty when absent.</summary>
    public Func<string, IEnumerable<string>> Header { get; init; } = _ => [];

    /// <summary>The client's address (of the TCP connection).</summary>
    public IPAddress? SourceIp { get; init; }
}

/// <summary>ALB's rule evaluation: rules by ascending priority, then the default actions. Pure.</summary>
public static class RuleMatcher
{
    /// <summary>The action the listener performs for <paramref name="request"/>: the first action of the first matching rule, or the first default action.</summary>
    public static ListenerAction Evaluate(IReadOnlyList<RuleConfig> rulesByPriority, IReadOnlyList<ListenerAction> defaultActions, RequestFacts request)
    {
        foreach (var rule in rulesByPriority)
        {
            if (Matches(rule, request))
                return rule.Actions[0];
        }
        return defaultActions[0];
    }

    /// <summary>True when every condition of <paramref name="rule"/> matches.</summary>
    public static bool Matches(RuleConfig rule, RequestFacts request)
    {
        foreach (var condition in rule.Conditions)
        {
            if (!Matches(condition, request))
                return false;
        }
        return true;
    }

    /// <summary>True when any value of <paramref name="condition"/> matches.</summary>
    public static bool Matches(RuleCondition condition, RequestFacts request) => condition switch
    {
        PathPatternCondition p => p.Values.Any(v => Wildcard.IsMatch(v, request.Path, ignoreCase: false)),
        HostHeaderCondition h => h.Values.Any(v => Wildcard.IsMatch(v, request.Host, ignoreCase: true)),
        HttpHeaderCondition h => request.Header(h.Name).Any(actual => h.Values.Any(v => Wildcard.IsMatch(v, actual, ignoreCase: true))),
        HttpRequestMethodCondition m => m.Values.Any(v => string.Equals(v, request.Method, StringComparison.Ordinal)),
        QueryStringCondition q => q.Values.Any(pair => request.Query.Any(kv =>
            (pair.Key is null || Wildcard.IsMatch(pair.Key, kv.Key, ignoreCase: true)) && Wildcard.IsMatch(pair.Value, kv.Value, ignoreCase: true))),
        SourceIpCondition s => request.SourceIp is { } ip && s.Values.Any(n => n.Contains(Normalize(ip, n))),
        _ => false,
    };

    /// <summary>Orders rules as ALB evaluates them.</summary>
    public static IReadOnlyList<RuleConfig> ByPriority(IEnumerable<RuleConfig> rules) => [.. rules.OrderBy(r => r.Priority)];

    // A client on an IPv4 socket bound dual-stack shows up as ::ffff:a.b.c.d; match it against IPv4 blocks.
    private static IPAddress Normalize(IPAddress ip, IPNetwork network) =>
        ip.IsIPv4MappedToIPv6 && network.BaseAddress.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? ip.MapToIPv4() : ip;
}

/// <summary>ALB's wildcard patterns: <c>*</c> matches zero or more characters, <c>?</c> exactly one. Pure.</summary>
public static class Wildcard
{
    /// <summary>True when <paramref name="text"/> matches <paramref name="pattern"/> as a whole.</summary>
    public static bool IsMatch(string pattern, string text, bool ignoreCase)
    {
        // Iterative glob with single-star backtracking: linear in practice, no regex allocation per request.
        int p = 0, t = 0, star = -1, mark = 0;
        while (t < text.Length)
        {
            if (p < pattern.Length && pattern[p] == '*')
            {
                star = p++;
                mark = t;
            }
            else if (p < pattern.Length && (pattern[p] == '?' || CharEquals(pattern[p], text[t], ignoreCase)))
            {
                p++;
                t++;
            }
            else if (star >= 0)
            {
                p = star + 1;
                t = ++mark;
            }
            else
            {
                return false;
            }
        }
        while (p < pattern.Length && pattern[p] == '*')
            p++;
        return p == pattern.Length;
    }

    private static bool CharEquals(char a, char b, bool ignoreCase) =>
        a == b || (ignoreCase && char.ToLowerInvariant(a) == char.ToLowerInvariant(b));
}
