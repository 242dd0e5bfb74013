using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Berth.Ecs.AgentAccess;
using Berth.Ecs.State;
using Berth.Protocol.Auth;
using Berth.Protocol.Errors;
using Berth.Server.Credentials;
using Berth.Server.Edge;
using Berth.Storage.Commit;
using Microsoft.AspNetCore.Http;

namespace Berth.Server.Agents;

/// <summary>
/// Join tokens, on the server's own paths, signed with SigV4 for service <c>ecs</c>:
/// <list type="bullet">
/// <item><c>POST /_berth/join-tokens[?cluster=C&amp;expires=SECONDS&amp;description=D]</c> (the account's keys): makes a token;
/// the answer is the only place its secret appears. <c>expires=0</c>: never.</item>
/// <item><c>GET /_berth/join-tokens</c>: lists them, without secrets.</item>
/// <item><c>POST /_berth/join-tokens/revoke?id=ID</c>: revokes one and the keys issued under it.</item>
/// <item><c>POST /_berth/agent/v1/join[?cluster=C&amp;ec2InstanceId=I]</c>, signed with the token itself: an agent gets
/// its own key, bound to its cluster and to its instance id (the one it asks for when nobody has it, else a new one).</item>
/// </list>
/// </summary>
public sealed class JoinEndpoint(CommitPipeline<EcsState> pipeline, SigV4Verifier verifier, string accountId, TimeProvider time)
{
    /// <summary>The tokens' path.</summary>
    public const string TokensPath = "/_berth/join-tokens";

    /// <summary>The revocation path.</summary>
    public const string RevokePath = "/_berth/join-tokens/revoke";

    /// <summary>The agents' join path.</summary>
    public const string JoinPath = "/_berth/agent/v1/join";

    /// <summary>Who signed: any key may ask (an agent checks that its saved key still works).</summary>
    public const string IdentityPath = "/_berth/agent/v1/identity";

    /// <summary>A token lives a day unless the operator says otherwise, as kubeadm's do.</summary>
    public static readonly TimeSpan DefaultLifetime = TimeSpan.FromHours(24);

    /// <summary>Whether <paramref name="path"/> and <paramref name="method"/> are this endpoint's.</summary>
    public static bool Owns(string? path, string method)
        => (path == TokensPath && (HttpMethods.IsGet(method) || HttpMethods.IsPost(method)))
            || (path is RevokePath or JoinPath && HttpMethods.IsPost(method))
            || (path == IdentityPath && HttpMethods.IsGet(method));

    /// <summary>Answers one request.</summary>
    public async Task HandleAsync(HttpContext http)
    {
        try
        {
            var request = EdgeFrame.ToSigV4Request(http, ReadOnlyMemory<byte>.Empty);
            var path = http.Request.Path.Value;
            if (path == IdentityPath)
            {
                var identity = verifier.VerifyScoped(request);
                await WriteAsync(http, w =>
                {
                    w.WriteString("principalArn", identity.PrincipalArn);
                    w.WriteString("kind", identity.Scope is null ? "account" : identity.Scope.Kind == CredentialKind.Agent ? "agent" : "join-token");
                    if (identity.Scope?.Cluster is { } cluster)
                    {
                        w.WriteString("cluster", cluster);
                    }

                    if (identity.Scope?.Ec2InstanceId is { } ec2)
                    {
                        w.WriteString("ec2InstanceId", ec2);
                    }
                });
                return;
            }

            if (path == JoinPath)
            {
                var identity = verifier.VerifyScoped(request);
                identity.RequireService("ecs");
                if (identity.Scope is not { Kind: CredentialKind.JoinToken } token)
                {
                    throw AccessDenied.NotAuthorized(identity.PrincipalArn, "berth:JoinAgent", "*");
                }

                await JoinAsync(http, token.TokenId);
                return;
            }

            verifier.Verify(request).RequireService("ecs");
            if (path == RevokePath)
            {
                var id = http.Request.Query["id"].ToString();
                var revoked = await pipeline.ExecuteAsync(s => AgentAccessDecisions.Revoke(s, time.GetUtcNow(), id));
                await WriteAsync(http, w => WriteToken(w, revoked));
            }
            else if (HttpMethods.IsGet(http.Request.Method))
            {
                var tokens = AgentAccessDecisions.List(pipeline.Current);
                await WriteAsync(http, w =>
                {
                    w.WriteStartArray("joinTokens");
                    foreach (var token in tokens)
                    {
                        w.WriteStartObject();
                        WriteToken(w, token);
                        w.WriteEndObject();
                    }

                    w.WriteEndArray();
                });
            }
            else
            {
                await CreateAsync(http);
            }
        }
        catch (AwsException ex)
        {
            await AwsJsonEdge.WriteErrorAsync(http, ex.StatusCode, ex.ErrorType, ex.Message);
        }
    }

    private async Task CreateAsync(HttpContext http)
    {
        var now = time.GetUtcNow();
        var query = http.Request.Query;
        var expiresText = query["expires"].ToString();
        var lifetime = DefaultLifetime;
        if (expiresText.Length > 0)
        {
            // Up to ten years: anything longer is "never" (0), and must say so.
            lifetime = long.TryParse(expiresText, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) && seconds <= 10L * 366 * 24 * 3600
                ? TimeSpan.FromSeconds(seconds)
                : throw AwsException.InvalidParameter("expires must be a whole number of seconds up to ten years, or 0 for a token that never expires.");
        }

        var cluster = query["cluster"].ToString();
        var description = query["description"].ToString();
        var secret = AgentKeys.NewSecret();
        var record = new JoinTokenRecord
        {
            TokenId = AgentKeys.NewId("BJT"),
            Secret = secret,
            Cluster = cluster.Length == 0 ? null : cluster,
            Description = description.Length == 0 ? null : description,
            CreatedAt = now,
            ExpiresAt = lifetime == TimeSpan.Zero ? null : now + lifetime,
        };
        var created = await pipeline.ExecuteAsync(s => AgentAccessDecisions.Create(s, now, record));
        await WriteAsync(http, w =>
        {
            WriteToken(w, new JoinTokenSummary(created, 0));
            w.WriteString("token", AgentKeys.TokenText(created.TokenId, secret));
        });
    }

    private async Task JoinAsync(HttpContext http, string tokenId)
    {
        var key = new AgentKeyRecord
        {
            AccessKeyId = AgentKeys.NewId("BAK"),
            SecretAccessKey = AgentKeys.NewSecret(),
            TokenId = tokenId,
            Cluster = string.Empty,
            Ec2InstanceId = "i-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(9))[..17],
        };
        var cluster = http.Request.Query["cluster"].ToString();
        var ec2 = http.Request.Query["ec2InstanceId"].ToString();
        var issued = await pipeline.ExecuteAsync(s => AgentAccessDecisions.Join(s, time.GetUtcNow(), tokenId, cluster, key, ec2.Length == 0 ? null : ec2));
        await WriteAsync(http, w =>
        {
            w.WriteString("accessKeyId", issued.AccessKeyId);
            w.WriteString("secretAccessKey", issued.SecretAccessKey);
            w.WriteString("cluster", issued.Cluster);
            w.WriteString("ec2InstanceId", issued.Ec2InstanceId);
            w.WriteString("principalArn", AgentAccessRules.AgentPrincipal(accountId, issued.Ec2InstanceId));
        });
    }

    private static void WriteToken(Utf8JsonWriter w, JoinTokenSummary summary)
    {
        var token = summary.Token;
        w.WriteString("tokenId", token.TokenId);
        if (token.Cluster is { } cluster)
        {
            w.WriteString("cluster", cluster);
        }

        if (token.Description is { } description)
        {
            w.WriteString("description", description);
        }

        w.WriteString("createdAt", token.CreatedAt.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
        if (token.ExpiresAt is { } expires)
        {
            w.WriteString("expiresAt", expires.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
        }

        if (token.RevokedAt is { } revoked)
        {
            w.WriteString("revokedAt", revoked.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
        }

        w.WriteBoolean("builtin", token.Builtin);
        w.WriteNumber("agents", summary.Agents);
    }

    private static async Task WriteAsync(HttpContext http, Action<Utf8JsonWriter> body)
    {
        http.Response.ContentType = "application/json";
        await using var writer = new Utf8JsonWriter(http.Response.Body);
        writer.WriteStartObject();
        body(writer);
        writer.WriteEndObject();
        await writer.FlushAsync(http.RequestAborted);
    }
}
