using System.Collections.Frozen;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Berth.Protocol.Errors;

namespace Berth.Protocol.Dispatch;

/// <summary>One operation: its <c>X-Amz-Target</c>, the SigV4 signing name its scope must carry, and how to run it.</summary>
public sealed class Operation
{
    internal Operation(string target, string signingName, Func<RequestContext, ReadOnlyMemory<byte>, ValueTask<byte[]>> invoke)
    {
        Target = target;
        SigningName = signingName;
        Invoke = invoke;
    }

    /// <summary>The full target, e.g. <c>AmazonEC2ContainerServiceV20141113.CreateCluster</c>.</summary>
    public string Target { get; }

    /// <summary>The service name the request's credential scope must name (e.g. <c>ecs</c>).</summary>
    public string SigningName { get; }

    /// <summary>Reads the JSON body, runs the handler and writes the JSON answer. Throws <see cref="AwsException"/>.</summary>
    public Func<RequestContext, ReadOnlyMemory<byte>, ValueTask<byte[]>> Invoke { get; }
}

/// <summary>
/// The one table that maps every AWS JSON 1.1 target Berth answers (ECS, ECR and CloudWatch Logs; EventBridge and
/// Application Auto Scaling share it later) to its operation. Built once at start, then frozen.
/// </summary>
public sealed class DispatchTable
{
    private readonly Dictionary<string, Operation> _building = new(StringComparer.Ordinal);
    private FrozenDictionary<string, Operation>? _frozen;

    /// <summary>Adds an operation with typed input and output; input is deserialized and checked for required members first.</summary>
    public DispatchTable Add<TInput, TOutput>(
        string targetPrefix,
        string operationName,
        string signingName,
        JsonTypeInfo<TInput> input,
        JsonTypeInfo<TOutput> output,
        Func<RequestContext, TInput, ValueTask<TOutput>> handler,
        IReadOnlyDictionary<Type, string[]>? requiredMembers = null)
        where TInput : class, new()
    {
        if (_frozen is not null)
        {
            throw new InvalidOperationException("The dispatch table is frozen.");
        }

        var target = targetPrefix + "." + operationName;
        _building.Add(target, new Operation(target, signingName, async (context, body) =>
        {
            var request = WireInput.Read(body, input);
            RequiredMembers.Check(request, input, requiredMembers ?? RequiredMembers.None);

            var response = await handler(context, request);
            return JsonSerializer.SerializeToUtf8Bytes(response, output);
        }));
        return this;
    }

    /// <summary>Stops registration; lookups are lock-free afterwards.</summary>
    public void Freeze() => _frozen = _building.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>Finds the operation for an <c>X-Amz-Target</c> header value.</summary>
    public bool TryGet(string? target, out Operation operation)
    {
        var table = _frozen ?? throw new InvalidOperationException("Freeze the table first.");
        if (target is not null && table.TryGetValue(target, out var found))
        {
            operation = found;
            return true;
        }

        operation = null!;
        return false;
    }

    /// <summary>Every registered target, for diagnostics and tests.</summary>
    public IEnumerable<string> Targets => (_frozen ?? (IReadOnlyDictionary<string, Operation>)_building).Keys;
}
