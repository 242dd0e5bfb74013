namespace Berth.Scheduling.Expressions;

/// <summary>
/// A cluster query expression that cannot be parsed. The message reads like ECS's InvalidParameterException
/// messages, e.g. <c>Invalid expression: unexpected token ')' at position 17, expected a value.</c>, so callers
/// can pass it on unchanged.
/// </summary>
public sealed class ClusterQueryException : Exception
{
    /// <summary>Creates the exception for a problem at <paramref name="position"/>.</summary>
    /// <param name="position">The 0-based character offset of the problem in the expression.</param>
    /// <param name="message">The whole message, position included.</param>
    public ClusterQueryException(int position, string message)
        : base(message)
    {
        Position = position;
    }

    /// <summary>The 0-based character offset of the problem (the expression's length when it ended too early).</summary>
    public int Position { get; }
}
