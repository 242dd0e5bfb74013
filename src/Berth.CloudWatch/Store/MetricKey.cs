using System.Collections.Immutable;
using System.Text;

namespace Berth.CloudWatch.Store;

/// <summary>
/// One metric: namespace, name and its exact set of dimensions. CloudWatch treats every combination of dimensions as
/// a metric of its own, so the dimensions are sorted by name and compared as a whole.
/// </summary>
public sealed record MetricKey
{
    /// <summary>Makes the key; dimensions are kept sorted by name.</summary>
    public MetricKey(string @namespace, string metricName, IEnumerable<KeyValuePair<string, string>> dimensions)
    {
        Namespace = @namespace;
        MetricName = metricName;
        Dimensions = [.. dimensions.OrderBy(d => d.Key, StringComparer.Ordinal)];
        var text = new StringBuilder().Append(@namespace).Append('\u0001').Append(metricName);
        foreach (var (name, value) in Dimensions)
        {
            text.Append('\u0001').Append(name).Append('\u0002').Append(value);
        }

        Text = text.ToString();
    }

    /// <summary>The namespace.</summary>
    public string Namespace { get; }

    /// <summary>The metric name.</summary>
    public string MetricName { get; }

    /// <summary>The dimensions, sorted by name.</summary>
    public ImmutableArray<KeyValuePair<string, string>> Dimensions { get; }

    /// <summary>The key as one ordinal string: equality and ordering.</summary>
    public string Text { get; }

    /// <inheritdoc />
    public bool Equals(MetricKey? other) => other is not null && Text == other.Text;

    /// <inheritdoc />
    public override int GetHashCode() => Text.GetHashCode(StringComparison.Ordinal);
}
