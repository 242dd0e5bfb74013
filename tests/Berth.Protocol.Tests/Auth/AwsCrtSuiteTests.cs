using System.Text.Json;
using Berth.Protocol.Auth;

namespace Berth.Protocol.Tests.Auth;

/// <summary>
/// The aws-c-auth SigV4 suite: each case signed in the header and presigned in the query, with the canonical request,
/// string to sign and signature of each.
/// </summary>
public class AwsCrtSuiteTests
{
    private static string Dir => Path.Combine(Vectors.SuiteRoot, "aws-c-auth-v4");

    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var dir in Directory.GetDirectories(Dir).Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileName(dir);
            foreach (var mode in new[] { "header", "query" })
            {
                if (File.Exists(Path.Combine(dir, $"{mode}-signed-request.txt")))
                {
                    data.Add(name, mode);
                }
            }
        }

        return data;
    }

    [Fact]
    public void Suite_has_38_cases_signed_both_ways()
    {
        Assert.Equal(38, Directory.GetDirectories(Dir).Length);
        Assert.Equal(76, Cases().Count);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Canonical_request_string_to_sign_and_signature_match(string name, string mode)
    {
        var context = Context.Load(name);
        var signed = HttpMessage.Parse(PathOf(name, $"{mode}-signed-request.txt"));
        var presigned = mode == "query";
        var payloadHash = signed.Header("x-amz-content-sha256")?.Trim() ?? SigV4Canonical.HashHex(signed.Body);
        var canonical = SigV4Canonical.CanonicalRequest(
            signed.Method, signed.RawPath, signed.RawQuery, signed.HeadersWithout("Authorization"),
            SignedHeadersOf(signed), payloadHash, context.Normalize, presigned, omitSecurityToken: presigned && context.OmitSessionToken);

        Assert.Equal(Read(name, $"{mode}-canonical-request.txt"), canonical);
        var stringToSign = SigV4Canonical.StringToSign(Vectors.AmzDate, Vectors.Scope, canonical);
        Assert.Equal(Read(name, $"{mode}-string-to-sign.txt"), stringToSign);
        var key = SigV4Canonical.DeriveSigningKey(context.Secret, "20150830", context.Region, context.Service);
        Assert.Equal(Read(name, $"{mode}-signature.txt").Trim(), SigV4Canonical.Sign(key, Vectors.AmzDate, Vectors.Scope, canonical));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Signed_request_verifies(string name, string mode)
    {
        var context = Context.Load(name);
        var request = HttpMessage.Parse(PathOf(name, $"{mode}-signed-request.txt")).ToRequest();

        var identity = context.Verifier().Verify(request, context.Normalize);

        Assert.Equal(context.AccessKeyId, identity.AccessKeyId);
        Assert.Equal(context.Region, identity.Region);
        Assert.Equal(context.Service, identity.Service);
        Assert.Equal(context.Timestamp, identity.SignedAt);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Any_changed_signed_part_is_rejected(string name, string mode)
    {
        var context = Context.Load(name);
        var request = HttpMessage.Parse(PathOf(name, $"{mode}-signed-request.txt")).ToRequest();
        var verifier = context.Verifier();
        verifier.Verify(request, context.Normalize);

        Assert.True(Tamper.Variants(request).Count() >= 6);
        Assert.Empty(Tamper.Accepted(verifier, request, context.Normalize));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Signer_reproduces_signature_and_its_output_verifies(string name, string mode)
    {
        var context = Context.Load(name);
        var unsigned = HttpMessage.Parse(PathOf(name, "request.txt"));
        // A token added after signing is the same as signing without one.
        var credential = new SigningCredential(
            context.AccessKeyId, context.Secret, context.OmitSessionToken ? null : context.Token, null, "arn");
        var expected = Read(name, $"{mode}-signature.txt").Trim();

        SigV4Request request;
        if (mode == "header")
        {
            var headers = unsigned.Headers.ToList();
            if (context.SignBody)
            {
                headers.Add(new("x-amz-content-sha256", SigV4Canonical.HashHex(unsigned.Body)));
            }

            var signed = SigV4Signer.SignHeaders(
                unsigned.Method, unsigned.RawPath, unsigned.RawQuery, headers, unsigned.Body,
                context.Region, context.Service, credential, context.Timestamp, context.Normalize);
            Assert.Equal(expected, BotocoreSuiteTests.Field(signed.Single(h => h.Key == "Authorization").Value, "Signature"));
            request = unsigned.ToRequest() with { Headers = signed.ToList() };
        }
        else
        {
            var query = SigV4Signer.Presign(
                unsigned.Method, unsigned.RawPath, unsigned.RawQuery, unsigned.Headers, unsigned.Body,
                context.Region, context.Service, credential, context.Timestamp, TimeSpan.FromSeconds(context.ExpiresInSeconds), context.Normalize);
            Assert.EndsWith("&X-Amz-Signature=" + expected, query, StringComparison.Ordinal);
            request = unsigned.ToRequest() with { RawQuery = query };
        }

        var verifier = new SigV4Verifier(
            new Store(credential with { PrincipalArn = "arn" }), new FixedTime(context.Timestamp));
        verifier.Verify(request, context.Normalize);
    }

    private static string SignedHeadersOf(HttpMessage signed)
    {
        var authorization = signed.Header("Authorization");
        if (authorization is not null)
        {
            return BotocoreSuiteTests.Field(authorization, "SignedHeaders");
        }

        var pair = signed.RawQuery.Split('&').Single(p => p.StartsWith("X-Amz-SignedHeaders=", StringComparison.Ordinal));
        return Uri.UnescapeDataString(pair["X-Amz-SignedHeaders=".Length..]);
    }

    private static string PathOf(string name, string file) => Path.Combine(Dir, name, file);

    private static string Read(string name, string file) => File.ReadAllText(PathOf(name, file));

    private sealed record Context(
        string AccessKeyId,
        string Secret,
        string? Token,
        string Region,
        string Service,
        DateTimeOffset Timestamp,
        bool Normalize,
        bool SignBody,
        bool OmitSessionToken,
        int ExpiresInSeconds)
    {
        public SigV4Verifier Verifier() =>
            new(new Store(new SigningCredential(AccessKeyId, Secret, Token, null, "arn")), new FixedTime(Timestamp));

        public static Context Load(string name)
        {
            using var json = JsonDocument.Parse(File.ReadAllText(PathOf(name, "context.json")));
            var root = json.RootElement;
            var credentials = root.GetProperty("credentials");
            return new Context(
                credentials.GetProperty("access_key_id").GetString()!,
                credentials.GetProperty("secret_access_key").GetString()!,
                credentials.TryGetProperty("token", out var token) ? token.GetString() : null,
                root.GetProperty("region").GetString()!,
                root.GetProperty("service").GetString()!,
                DateTimeOffset.Parse(root.GetProperty("timestamp").GetString()!, System.Globalization.CultureInfo.InvariantCulture),
                !root.TryGetProperty("normalize", out var normalize) || normalize.GetBoolean(),
                root.TryGetProperty("sign_body", out var signBody) && signBody.GetBoolean(),
                root.TryGetProperty("omit_session_token", out var omit) && omit.GetBoolean(),
                root.TryGetProperty("expiration_in_seconds", out var expires) ? expires.GetInt32() : 3600);
        }
    }
}
