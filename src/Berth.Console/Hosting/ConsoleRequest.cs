using Berth.WebConsole.Auth;

namespace Berth.WebConsole.Hosting;

/// <summary>One signed-in request as the page handlers see it.</summary>
/// <param name="Segments">The path below <c>/console/</c>, split and unescaped.</param>
/// <param name="Method">GET or POST.</param>
/// <param name="Form">The posted form (empty for GET).</param>
/// <param name="Session">Who is signed in.</param>
/// <param name="Cancellation">Ends with the request.</param>
public sealed record ConsoleRequest(IReadOnlyList<string> Segments, string Method, IReadOnlyDictionary<string, string> Form, ConsoleSession Session, CancellationToken Cancellation)
{
    /// <summary>The address's query (a list's page and filter), each key's last value.</summary>
    public IReadOnlyDictionary<string, string> Query { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Whether this is a form post.</summary>
    public bool IsPost => Method == "POST";
}
