using Berth.Protocol.Query;

namespace Berth.Ec2AutoScaling;

/// <summary>The answer of an operation whose model has no output shape: an empty result element.</summary>
public sealed class NoOutput : IQueryShape<NoOutput>
{
    /// <summary>The one instance.</summary>
    public static NoOutput Instance { get; } = new();

    /// <inheritdoc />
    public static NoOutput ReadQuery(QueryReader r, string prefix) => Instance;

    /// <inheritdoc />
    public void WriteQuery(QueryXmlWriter w)
    {
    }
}
