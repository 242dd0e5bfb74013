using System.Text.Json.Serialization.Metadata;
using Berth.Protocol.Dispatch;
using Berth.Protocol.Errors;

namespace Berth.Protocol.RestJson;

/// <summary>What a rest-json request carries besides its body: the path's labels, the query and the headers.</summary>
/// <param name="Labels">Decoded URI labels by name.</param>
/// <param name="Query">Decoded query parameters, each with every value it was given.</param>
/// <param name="Headers">Request headers by name (case-insensitive lookups are the caller's).</param>
public sealed record RestRequest(
    IReadOnlyDictionary<string, string> Labels,
    IReadOnlyDictionary<string, IReadOnlyList<string>> Query,
    IReadOnlyDictionary<string, string> Headers);

/// <summary>One rest-json operation: its HTTP method, URI template, success status and how to run it.</summary>
public sealed class RestOperation
{
    internal RestOperation(string name, string signingName, string method, UriTemplate uri, int successCode, Func<RequestContext, RestRequest, ReadOnlyMemory<byte>, ValueTask<byte[]>> invoke)
    {
        Name = name;
        SigningName = signingName;
        Method = method;
        Uri = uri;
        SuccessCode = successCode;
        Invoke = invoke;
    }

    /// <summary>The operation's name, e.g. <c>CreateSchedule</c>.</summary>
    public string Name { get; }

    /// <summary>The service name the request's credential scope names (e.g. <c>scheduler</c>).</summary>
    public string SigningName { get; }

    /// <summary>The HTTP method.</summary>
    public string Method { get; }

    /// <summary>The request URI template.</summary>
    public UriTemplate Uri { get; }

    /// <summary>The HTTP status of a success.</summary>
    public int SuccessCode { get; }

    /// <summary>Binds the input (body, labels, query), runs the handler and writes the JSON answer. Throws <see cref="AwsException"/>.</summary>
    public Func<RequestContext, RestRequest, ReadOnlyMemory<byte>, ValueTask<byte[]>> Invoke { get; }
}

/// <summary>
/// The one table of every rest-json operation Berth answers (EventBridge Scheduler), keyed by the request's SigV4
/// signing name, then matched by method and URI template. Built once at start, then frozen.
/// </summary>
public sealed class RestJsonDispatchTable
{
    private readonly Dictionary<string, List<RestOperation>> _services = new(StringComparer.Ordinal);
    private bool _frozen;

    /// <summary>
    /// Adds an operation. Its input is the JSON body with the members of <paramref name="bindings"/> taken from the
    /// URI, query or headers, then checked for <paramref name="requiredMembers"/> (a missing one is <paramref name="missing"/>'s error).
    /// </summary>
    public RestJsonDispatchTable Add<TInput, TOutput>(
        string signingName,
        (string Name, string Method, string Uri, int Code) http,
        JsonTypeInfo<TInput> input,
        JsonTypeInfo<TOutput> output,
        Func<RequestContext, TInput, ValueTask<TOutput>> handler,
        IReadOnlyDictionary<Type, RestMember[]> bindings,
        IReadOnlyDictionary<Type, string[]>? requiredMembers = null,
        Func<string, AwsException>? missing = null)
        where TInput : class, new()
    {
        if (_frozen)
        {
            throw new InvalidOperationException("The dispatch table is frozen.");
        }

        bindings.TryGetValue(typeof(TInput), out var members);
        var operation = new RestOperation(http.Name, signingName, http.Method, new UriTemplate(http.Uri), http.Code, async (context, request, body) =>
        {
            var value = RestInput.Read(body, request, members ?? [], input);
            RequiredMembers.Check(value, input, requiredMembers ?? RequiredMembers.None, missing: missing);

            var response = await handler(context, value);
            return System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(response, output);
        });
        if (!_services.TryGetValue(signingName, out var operations))
        {
            _services[signingName] = operations = [];
        }

        operations.Add(operation);

        // A literal segment wins over a label (as in routing), so the more specific template is tried first.
        operations.Sort((a, b) => a.Uri.LabelCount.CompareTo(b.Uri.LabelCount));
        return this;
    }

    /// <summary>Stops registration.</summary>
    public void Freeze() => _frozen = true;

    /// <summary>Whether requests signed for <paramref name="signingName"/> belong to this table.</summary>
    public bool HasService(string? signingName) => signingName is not null && _services.ContainsKey(signingName);

    /// <summary>Every (signing name, operation) registered, for diagnostics and tests.</summary>
    public IEnumerable<(string SigningName, RestOperation Operation)> Operations =>
        _services.SelectMany(kv => kv.Value.Select(o => (kv.Key, o)));

    /// <summary>
    /// Finds the operation of <paramref name="signingName"/> for <paramref name="method"/> and the raw path; when the
    /// path matches but not the method, <paramref name="pathKnown"/> says so (the edge answers 405-like errors then).
    /// </summary>
    public bool TryMatch(string signingName, string method, string rawPath, out RestOperation operation, out Dictionary<string, string> labels, out bool pathKnown)
    {
        if (!_frozen)
        {
            throw new InvalidOperationException("Freeze the table first.");
        }

        pathKnown = false;
        if (_services.TryGetValue(signingName, out var operations))
        {
            foreach (var candidate in operations)
            {
                if (candidate.Uri.TryMatch(rawPath, out labels))
                {
                    pathKnown = true;
                    if (string.Equals(candidate.Method, method, StringComparison.OrdinalIgnoreCase))
                    {
                        operation = candidate;
                        return true;
                    }
                }
            }
        }

        operation = null!;
        labels = [];
        return false;
    }

    /// <summary>Splits a raw query string into decoded parameters, keeping every value of a repeated one.</summary>
    public static Dictionary<string, IReadOnlyList<string>> ParseQuery(string rawQuery)
    {
        var result = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var pair in rawQuery.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            var key = Decode(equals < 0 ? pair : pair[..equals]);
            var value = equals < 0 ? string.Empty : Decode(pair[(equals + 1)..]);
            if (!result.TryGetValue(key, out var values))
            {
                result[key] = values = [];
            }

            values.Add(value);
        }

        return result.ToDictionary(kv => kv.Key, kv => (IReadOnlyList<string>)kv.Value, StringComparer.Ordinal);
    }

    private static string Decode(string text) => Uri.UnescapeDataString(text.Replace('+', ' '));
}
