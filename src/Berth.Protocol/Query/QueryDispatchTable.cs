using System.Collections.Frozen;
using Berth.Protocol.Dispatch;
using Berth.Protocol.Errors;

namespace Berth.Protocol.Query;

/// <summary>One query-protocol service: the SigV4 signing name that selects it, its API version and XML namespace.</summary>
/// <param name="SigningName">The service name of the credential scope (e.g. <c>elasticloadbalancing</c>).</param>
/// <param name="Version">The <c>Version</c> parameter its clients send (e.g. <c>2015-12-01</c>).</param>
/// <param name="XmlNamespace">The <c>xmlns</c> of its responses.</param>
public sealed record QueryService(string SigningName, string Version, string XmlNamespace);

/// <summary>
/// The one table of every query-protocol operation Berth answers (ELBv2; Auto Scaling joins later), keyed by the
/// request's SigV4 signing name and its <c>Action</c>. Built once at start, then frozen.
/// </summary>
public sealed class QueryDispatchTable
{
    private readonly Dictionary<string, QueryService> _services = new(StringComparer.Ordinal);
    private readonly Dictionary<(string, string), Func<RequestContext, QueryReader, ValueTask<byte[]>>> _building = [];
    private FrozenDictionary<(string, string), Func<RequestContext, QueryReader, ValueTask<byte[]>>>? _frozen;

    /// <summary>Adds <paramref name="action"/> of <paramref name="service"/>; its input is read from the form and checked for required members.</summary>
    public QueryDispatchTable Add<TInput, TOutput>(QueryService service, string action, Func<RequestContext, TInput, ValueTask<TOutput>> handler)
        where TInput : IQueryShape<TInput>
        where TOutput : IQueryShape<TOutput>
    {
        if (_frozen is not null)
        {
            throw new InvalidOperationException("The dispatch table is frozen.");
        }

        _services[service.SigningName] = service;
        _building.Add((service.SigningName, action), async (context, reader) =>
        {
            var input = TInput.ReadQuery(reader, string.Empty);
            var output = await handler(context, input);
            return QueryXmlWriter.Response(action, service.XmlNamespace, context.RequestId, output);
        });
        return this;
    }

    /// <summary>Stops registration; lookups are lock-free afterwards.</summary>
    public void Freeze() => _frozen = _building.ToFrozenDictionary();

    /// <summary>The query service a request signed for <paramref name="signingName"/> goes to, if any.</summary>
    public bool TryGetService(string? signingName, out QueryService service)
    {
        if (signingName is not null && _services.TryGetValue(signingName, out var found))
        {
            service = found;
            return true;
        }

        service = null!;
        return false;
    }

    /// <summary>Every (signing name, action) registered, for diagnostics and tests.</summary>
    public IEnumerable<(string SigningName, string Action)> Actions => (_frozen ?? (IReadOnlyDictionary<(string, string), Func<RequestContext, QueryReader, ValueTask<byte[]>>>)_building).Keys;

    /// <summary>
    /// Runs the form's <c>Action</c> of <paramref name="service"/>: <c>MissingAction</c> without one,
    /// <c>InvalidAction</c> for one the service does not have or another API version. Returns the XML answer.
    /// </summary>
    public ValueTask<byte[]> InvokeAsync(QueryService service, RequestContext context, IReadOnlyDictionary<string, string> form)
    {
        var table = _frozen ?? throw new InvalidOperationException("Freeze the table first.");
        if (!form.TryGetValue("Action", out var action) || action.Length == 0)
        {
            throw new AwsException("MissingAction", "The request must contain the parameter Action.");
        }

        if (form.TryGetValue("Version", out var version) && version != service.Version)
        {
            throw new AwsException("InvalidAction", $"Could not find operation {action} for version {version}");
        }

        if (!table.TryGetValue((service.SigningName, action), out var invoke))
        {
            throw new AwsException("InvalidAction", $"Could not find operation {action} for version {service.Version}");
        }

        return invoke(context, new QueryReader(form));
    }
}
