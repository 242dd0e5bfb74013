using System.Globalization;
using System.Text.Json;
using Berth.Protocol.Auth;
using Berth.Protocol.Errors;
using Berth.Server.Edge;
using Berth.WebConsole.Auth;
using Microsoft.AspNetCore.Http;

namespace Berth.Server.ConsoleLinks;

/// <summary>
/// <c>POST /_berth/console/sign-in-link</c>, signed with SigV4 for service <c>ecs</c> by an account key: a one-time
/// link that signs a browser into the console as that key (<c>./berth console</c> prints it). The answer is the link's
/// path and query; the caller puts its own endpoint in front.
/// </summary>
public sealed class ConsoleLinkEndpoint(SigV4Verifier verifier, ConsoleSessions sessions, TimeProvider time)
{
    /// <summary>Where the endpoint is served.</summary>
    public const string Path = "/_berth/console/sign-in-link";

    /// <summary>Answers one request.</summary>
    public async Task HandleAsync(HttpContext http)
    {
        string link;
        try
        {
            var identity = verifier.Verify(EdgeFrame.ToSigV4Request(http, ReadOnlyMemory<byte>.Empty));
            identity.RequireService("ecs");
            link = "/console/sign-in/link?token=" + Uri.EscapeDataString(sessions.IssueLink(identity.AccessKeyId));
        }
        catch (AwsException ex)
        {
            await AwsJsonEdge.WriteErrorAsync(http, ex.StatusCode, ex.ErrorType, ex.Message);
            return;
        }

        http.Response.ContentType = "application/json";
        await using var writer = new Utf8JsonWriter(http.Response.Body);
        writer.WriteStartObject();
        writer.WriteString("path", link);
        writer.WriteString("expiresAt", (time.GetUtcNow() + ConsoleSessions.LinkLifetime).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
        writer.WriteEndObject();
        await writer.FlushAsync(http.RequestAborted);
    }
}
