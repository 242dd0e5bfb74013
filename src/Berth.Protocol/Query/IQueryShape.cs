namespace Berth.Protocol.Query;

/// <summary>A wire shape of a query-protocol model: reads itself from a form body and writes itself as XML.</summary>
/// <typeparam name="TSelf">The shape itself.</typeparam>
public interface IQueryShape<TSelf> where TSelf : IQueryShape<TSelf>
{
    /// <summary>Reads the shape whose members are at <paramref name="prefix"/> (empty for an operation's input).</summary>
    static abstract TSelf ReadQuery(QueryReader r, string prefix);

    /// <summary>Writes the shape's members (not its own element) as botocore's query parser reads them.</summary>
    void WriteQuery(QueryXmlWriter w);
}
