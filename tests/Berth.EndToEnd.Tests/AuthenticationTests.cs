using System.Text.Json.Nodes;
using Berth.EndToEnd.Tests.Infrastructure;

namespace Berth.EndToEnd.Tests;

/// <summary>SigV4 as AWS enforces it, with raw botocore-signed requests (scripts/auth.py, run once).</summary>
[Collection(SharedServerCollection.Name)]
public sealed class AuthenticationTests(SharedServerFixture fixture)
{
    internal const string Mismatch = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

    private Task<JsonNode> ReportAsync() => fixture.ScriptOnceAsync("auth.py");

    [Fact]
    public async Task Correctly_signed_requests_are_accepted_in_header_and_query_form()
    {
        var report = await ReportAsync();
        Expect.Ok(report["valid"]);
        Expect.Ok(report["fiveMinutesOld"]);
        Expect.Ok(report["otherRegion"]);
        Expect.Ok(report["presigned"]);
        Assert.False((bool)report["presignedHasAuthorization"]!);
        Assert.Contains("X-Amz-Signature", Expect.Strings(report["presignedQuery"]));
    }

    [Fact]
    public async Task Unknown_access_key_is_UnrecognizedClientException()
    {
        var report = await ReportAsync();
        Expect.Error(report["unknownAccessKey"], "UnrecognizedClientException", "The security token included in the request is invalid.");
    }

    [Fact]
    public async Task Wrong_secret_or_changed_body_is_InvalidSignatureException()
    {
        var report = await ReportAsync();
        Expect.Error(report["wrongSecret"], "InvalidSignatureException", Mismatch);
        Expect.Error(report["tamperedBody"], "InvalidSignatureException", Mismatch);
        Expect.Error(report["presignedWrongSecret"], "InvalidSignatureException", Mismatch);
    }

    [Fact]
    public async Task Date_twenty_minutes_old_is_Signature_expired()
    {
        var report = await ReportAsync();
        Expect.Error(report["expiredDate"], "InvalidSignatureException", messageContains: "Signature expired: ");
        Assert.Matches(@"^Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z \(\d{8}T\d{6}Z - 15 min\.\)$", (string?)report["expiredDate"]!["message"]);
    }

    [Fact]
    public async Task No_authorization_is_MissingAuthenticationTokenException()
    {
        var report = await ReportAsync();
        Expect.Error(report["noAuthorization"], "MissingAuthenticationTokenException", "Missing Authentication Token");
    }

    [Fact]
    public async Task Scope_for_another_service_is_refused()
    {
        var report = await ReportAsync();
        Expect.Error(report["scopedToS3"], "InvalidSignatureException", messageContains: "Credential should be scoped to correct service");
    }

    [Fact]
    public async Task No_answer_contains_the_secret()
    {
        var report = await ReportAsync();
        var secret = (string)report["secret"]!;
        Assert.Equal(BerthServer.TestSecretAccessKey, secret);
        foreach (var (name, result) in report.AsObject().Where(p => p.Value is JsonObject))
        {
            // The raw body as received, not re-encoded JSON (which would escape '+' and '/').
            Assert.DoesNotContain(secret, (string?)result!["raw"] ?? string.Empty, StringComparison.Ordinal);
            Assert.DoesNotContain(secret, (string?)result["message"] ?? string.Empty, StringComparison.Ordinal);
            Assert.False(string.IsNullOrEmpty((string?)result["requestId"]), $"{name} has no x-amzn-RequestId");
        }

        Assert.DoesNotContain(secret, fixture.Server.Stdout + fixture.Server.Stderr, StringComparison.Ordinal);
    }
}
