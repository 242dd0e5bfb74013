namespace Berth.Scheduling.Expressions;

/// <summary>TEMPORARY stand-in until the query-language branch lands: only <c>attribute:NAME == VALUE</c>.</summary>
public sealed class ClusterQuery
{
    private readonly string _name;
    private readonly string _value;

    private ClusterQuery(string text, string name, string value)
    {
        Text = text;
        _name = name;
        _value = value;
    }

    /// <summary>Gets the expression as given.</summary>
    public string Text { get; }

    /// <summary>Gets a value indicating whether the query reads task groups or task counts.</summary>
    public bool UsesTaskGroups => _name == "task:group";

    /// <summary>Parses an expression.</summary>
    public static ClusterQuery Parse(string expression)
    {
        var parts = expression.Split("==", 2, StringSplitOptions.TrimEntries);
        if (parts.Length != 2)
        {
            throw new ClusterQueryException("Invalid expression.", 0);
        }

        return new ClusterQuery(expression, parts[0].StartsWith("attribute:", StringComparison.Ordinal) ? parts[0]["attribute:".Length..] : parts[0], parts[1]);
    }

    /// <summary>Whether the target matches.</summary>
    public bool Matches(IQueryTarget target) =>
        _name == "task:group" ? target.TaskGroups.Contains(_value) : target.TryGetAttribute(_name, out var v) && v == _value;
}

/// <summary>A bad expression, with the position of the problem.</summary>
public sealed class ClusterQueryException(string message, int position) : Exception(message)
{
    /// <summary>Gets the 0-based position of the problem.</summary>
    public int Position { get; } = position;
}
