using System.Text;
using Berth.Protocol.Auth;
using Berth.Protocol.Errors;

namespace Berth.Protocol.Tests.Auth;

/// <summary>Each way verification fails, with AWS's error type and message, and no secret in any message.</summary>
public class SigV4VerifierErrorTests
{
    private static readonly string Secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    private static readonly string Token = "FwoGZXIvYXdzEBYaDEXAMPLETOKEN+/=";
    private static readonly DateTimeOffset Now = new(2015, 8, 30, 12, 36, 0, TimeSpan.Zero);
    private static readonly byte[] Body = Encoding.UTF8.GetBytes("""{"cluster":"default"}""");

    private static readonly SigningCredential LongTerm = new("AKIDEXAMPLE", Secret, null, null, "arn:aws:iam::123456789012:user/alice");
    private static readonly SigningCredential Temporary = new("ASIAEXAMPLE", Secret, Token, Now.AddHours(1), "arn:aws:sts::123456789012:assumed-role/r/s");

    private static readonly KeyValuePair<string, string>[] BaseHeaders =
    [
        new("Host", "ecs.us-east-1.amazonaws.com"),
        new("Content-Type", "application/x-amz-json-1.1"),
        new("X-Amz-Target", "AmazonEC2ContainerServiceV20141113.ListServices"),
    ];

    private static SigV4Verifier Verifier(DateTimeOffset? now = null, params SigningCredential[] credentials) =>
        new(new Store(credentials.Length == 0 ? [LongTerm, Temporary] : credentials), new FixedTime(now ?? Now));

    private static SigV4Request Signed(SigningCredential credential, DateTimeOffset? at = null, byte[]? body = null, string region = "us-east-1")
    {
        body ??= Body;
        var headers = SigV4Signer.SignHeaders("POST", "/", "", BaseHeaders, body, region, "ecs", credential, at ?? Now);
        return new SigV4Request("POST", "/", "", headers, body);
    }

    private static SigV4Request Presigned(SigningCredential credential, TimeSpan expires, DateTimeOffset? at = null)
    {
        var headers = new KeyValuePair<string, string>[] { new("Host", "ecs.us-east-1.amazonaws.com") };
        var query = SigV4Signer.Presign("GET", "/", "Action=ListClusters", headers, [], "us-east-1", "ecs", credential, at ?? Now, expires);
        return new SigV4Request("GET", "/", query, headers, ReadOnlyMemory<byte>.Empty);
    }

    private static SigV4Request WithHeader(SigV4Request request, string name, string? value)
    {
        var headers = request.Headers.Where(h => !h.Key.Equals(name, StringComparison.OrdinalIgnoreCase)).ToList();
        if (value is not null)
        {
            headers.Add(new(name, value));
        }

        return request with { Headers = headers };
    }

    private static AwsException Fails(SigV4Verifier verifier, SigV4Request request, string errorType, string? message = null)
    {
        var ex = Assert.Throws<AwsException>(() => verifier.Verify(request));
        Assert.Equal(errorType, ex.ErrorType);
        if (message is not null)
        {
            Assert.Equal(message, ex.Message);
        }

        Assert.DoesNotContain(Secret, ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("EXAMPLEKEY", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("\n", ex.Message, StringComparison.Ordinal);
        return ex;
    }

    [Fact]
    public void Signed_request_verifies_with_identity()
    {
        var identity = Verifier().Verify(Signed(LongTerm));

        Assert.Equal(new SigV4Identity("AKIDEXAMPLE", "us-east-1", "ecs", LongTerm.PrincipalArn, Now), identity);
        identity.RequireService("ecs");
    }

    [Fact]
    public void Wrong_service_is_refused_by_RequireService()
    {
        var identity = Verifier().Verify(Signed(LongTerm));

        var ex = Assert.Throws<AwsException>(() => identity.RequireService("sts"));
        Assert.Equal("InvalidSignatureException", ex.ErrorType);
        Assert.Equal("Credential should be scoped to correct service: 'sts'. ", ex.Message);
    }

    [Fact]
    public void Two_Authorization_headers_are_refused_even_when_one_is_valid()
    {
        var signed = Signed(LongTerm);
        var authorization = signed.Headers.First(h => h.Key.Equals("Authorization", StringComparison.OrdinalIgnoreCase));
        foreach (var second in new[] { authorization.Value, "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/ecs/aws4_request, SignedHeaders=host, Signature=00" })
        {
            var doubled = signed with { Headers = [.. signed.Headers, new("authorization", second)] };
            var ex = Fails(Verifier(), doubled, "IncompleteSignatureException", "Only one Authorization header is allowed.");
            Assert.Equal(400, ex.StatusCode);
        }
    }

    [Fact]
    public void Unknown_access_key() =>
        Fails(Verifier(), Signed(LongTerm with { AccessKeyId = "AKIDUNKNOWN" }),
            "UnrecognizedClientException", "The security token included in the request is invalid.");

    [Fact]
    public void Wrong_secret_never_reveals_the_expected_signature()
    {
        var request = Signed(LongTerm with { SecretAccessKey = "not-the-secret" });
        var expected = BotocoreSuiteTests.Field(
            Signed(LongTerm).Headers.Single(h => h.Key == "Authorization").Value, "Signature");

        var ex = Fails(Verifier(), request, "InvalidSignatureException",
            "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.");
        Assert.DoesNotContain(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Signature_expired() =>
        Fails(Verifier(new DateTimeOffset(2015, 8, 30, 13, 1, 0, TimeSpan.Zero)), Signed(LongTerm),
            "InvalidSignatureException",
            "Signature expired: 20150830T123600Z is now earlier than 20150830T124600Z (20150830T130100Z - 15 min.)");

    [Fact]
    public void Signature_not_yet_current() =>
        Fails(Verifier(new DateTimeOffset(2015, 8, 30, 12, 31, 0, TimeSpan.Zero)),
            Signed(LongTerm, at: new DateTimeOffset(2015, 8, 30, 13, 0, 0, TimeSpan.Zero)),
            "InvalidSignatureException",
            "Signature not yet current: 20150830T130000Z is still later than 20150830T124600Z (20150830T123100Z + 15 min.)");

    [Fact]
    public void Skew_of_exactly_the_limit_is_accepted()
    {
        Verifier(Now.AddMinutes(15)).Verify(Signed(LongTerm));
        Verifier(Now.AddMinutes(-15)).Verify(Signed(LongTerm));
    }

    [Fact]
    public void Custom_clock_skew_is_used_in_the_message()
    {
        var verifier = new SigV4Verifier(new Store(LongTerm), new FixedTime(Now.AddMinutes(6)), TimeSpan.FromMinutes(5));

        Fails(verifier, Signed(LongTerm), "InvalidSignatureException",
            "Signature expired: 20150830T123600Z is now earlier than 20150830T123700Z (20150830T124200Z - 5 min.)");
    }

    [Fact]
    public void Missing_authentication() =>
        Fails(Verifier(), new SigV4Request("POST", "/", "", BaseHeaders, Body),
            "MissingAuthenticationTokenException", "Missing Authentication Token");

    [Fact]
    public void Authorization_without_any_parameter()
    {
        var request = WithHeader(Signed(LongTerm), "Authorization", "AWS4-HMAC-SHA256 Foo=bar");

        Fails(Verifier(), request, "IncompleteSignatureException",
            "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. " +
            "Authorization header requires 'SignedHeaders' parameter. Authorization=AWS4-HMAC-SHA256 Foo=bar");
    }

    [Fact]
    public void Authorization_without_signature()
    {
        const string header = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/ecs/aws4_request, SignedHeaders=host;x-amz-date";

        Fails(Verifier(), WithHeader(Signed(LongTerm), "Authorization", header), "IncompleteSignatureException",
            "Authorization header requires 'Signature' parameter. Authorization=" + header);
    }

    [Fact]
    public void Authorization_without_date()
    {
        var request = WithHeader(Signed(LongTerm), "X-Amz-Date", null);

        var ex = Fails(Verifier(), request, "IncompleteSignatureException");
        Assert.StartsWith("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=AWS4-HMAC-SHA256 ", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("AWS4-HMAC-SHA512 Credential=AKIDEXAMPLE/20150830/us-east-1/ecs/aws4_request, SignedHeaders=host, Signature=00")]
    [InlineData("Bearer abc")]
    [InlineData("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/ecs/aws4_request, SignedHeaders, Signature=00")]
    [InlineData("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/aws4_request, SignedHeaders=host;x-amz-date, Signature=00")]
    public void Malformed_authorization_is_incomplete(string header) =>
        Fails(Verifier(), WithHeader(Signed(LongTerm), "Authorization", header), "IncompleteSignatureException");

    [Fact]
    public void Malformed_date() =>
        Fails(Verifier(), WithHeader(Signed(LongTerm), "X-Amz-Date", "2015-08-30T12:36:00Z"), "IncompleteSignatureException",
            "Date must be in ISO-8601 'basic format'. Got '2015-08-30T12:36:00Z'. See http://en.wikipedia.org/wiki/ISO_8601");

    [Fact]
    public void Scope_date_must_be_the_request_day()
    {
        var request = Signed(LongTerm);
        var authorization = request.Headers.Single(h => h.Key == "Authorization").Value.Replace("/20150830/", "/20150831/", StringComparison.Ordinal);

        Fails(Verifier(), WithHeader(request, "Authorization", authorization), "InvalidSignatureException",
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20150831' != '20150830', from '20150830T123600Z'.");
    }

    [Fact]
    public void Region_must_look_like_a_region() =>
        Fails(Verifier(), Signed(LongTerm, region: "mars"), "InvalidSignatureException", "Credential should be scoped to a valid region. ");

    [Fact]
    public void Terminator_must_be_aws4_request()
    {
        var request = Signed(LongTerm);
        var authorization = request.Headers.Single(h => h.Key == "Authorization").Value.Replace("/aws4_request", "/aws5_request", StringComparison.Ordinal);

        Fails(Verifier(), WithHeader(request, "Authorization", authorization), "InvalidSignatureException",
            "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'. ");
    }

    [Fact]
    public void Host_must_be_signed() =>
        Fails(Verifier(), WithSignedHeaders("content-type;x-amz-date"), "IncompleteSignatureException",
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");

    [Fact]
    public void X_Amz_Date_must_be_signed() =>
        Fails(Verifier(), WithSignedHeaders("content-type;host"), "IncompleteSignatureException",
            "'X-Amz-Date' must be a 'SignedHeader' in the AWS Authorization.");

    [Fact]
    public void Date_header_is_the_fallback_date()
    {
        var headers = new List<KeyValuePair<string, string>> { new("Host", "ecs.us-east-1.amazonaws.com"), new("Date", "Sun, 30 Aug 2015 12:36:00 GMT") };
        const string scope = "20150830/us-east-1/ecs/aws4_request";
        var canonical = SigV4Canonical.CanonicalRequest("POST", "/", "", headers, "date;host", SigV4Canonical.HashHex(Body));
        var signature = SigV4Canonical.Sign(
            SigV4Canonical.DeriveSigningKey(Secret, "20150830", "us-east-1", "ecs"), "20150830T123600Z", scope, canonical);
        headers.Add(new("Authorization", $"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/{scope}, SignedHeaders=date;host, Signature={signature}"));
        var request = new SigV4Request("POST", "/", "", headers, Body);

        Assert.Equal(Now, Verifier().Verify(request).SignedAt);
        Fails(Verifier(), WithHeader(request, "Date", "Sun, 30 Aug 2015 12:36:01 GMT"), "InvalidSignatureException");
    }

    [Fact]
    public void Session_token_verifies()
    {
        var identity = Verifier().Verify(Signed(Temporary));

        Assert.Equal(Temporary.PrincipalArn, identity.PrincipalArn);
    }

    [Fact]
    public void Session_token_missing() =>
        Fails(Verifier(), WithHeader(Signed(Temporary), "X-Amz-Security-Token", null),
            "UnrecognizedClientException", "The security token included in the request is invalid.");

    [Fact]
    public void Session_token_mismatched() =>
        Fails(Verifier(), Signed(Temporary with { SessionToken = "another-token" }),
            "UnrecognizedClientException", "The security token included in the request is invalid.");

    [Fact]
    public void Session_token_on_a_long_term_key() =>
        Fails(Verifier(), Signed(LongTerm with { SessionToken = "a-token" }),
            "UnrecognizedClientException", "The security token included in the request is invalid.");

    [Fact]
    public void Session_token_expired() =>
        Fails(Verifier(Now, Temporary with { Expiration = Now.AddSeconds(-1) }), Signed(Temporary),
            "ExpiredTokenException", "The security token included in the request is expired");

    [Fact]
    public void Presigned_request_verifies_until_it_expires()
    {
        var request = Presigned(LongTerm, TimeSpan.FromSeconds(60));

        Verifier(Now.AddSeconds(60)).Verify(request);
        Fails(Verifier(Now.AddSeconds(61)), request, "AccessDeniedException", "Request has expired");
    }

    [Fact]
    public void Presigned_request_may_outlive_the_clock_skew() =>
        Verifier(Now.AddDays(6)).Verify(Presigned(LongTerm, TimeSpan.FromDays(7)));

    [Fact]
    public void Presigned_request_from_the_future_is_not_yet_current() =>
        Fails(Verifier(Now.AddMinutes(-20)), Presigned(LongTerm, TimeSpan.FromSeconds(60)), "InvalidSignatureException");

    [Theory]
    [InlineData("0")]
    [InlineData("-5")]
    [InlineData("604801")]
    [InlineData("soon")]
    public void Presigned_expiry_out_of_range(string expires)
    {
        var request = Presigned(LongTerm, TimeSpan.FromSeconds(60));
        var query = request.RawQuery.Replace("X-Amz-Expires=60", "X-Amz-Expires=" + expires, StringComparison.Ordinal);

        Fails(Verifier(), request with { RawQuery = query }, "IncompleteSignatureException");
    }

    [Fact]
    public void Presigned_without_signature()
    {
        var request = Presigned(LongTerm, TimeSpan.FromSeconds(60));
        var query = request.RawQuery[..request.RawQuery.IndexOf("&X-Amz-Signature=", StringComparison.Ordinal)];

        Fails(Verifier(), request with { RawQuery = query }, "IncompleteSignatureException",
            "AWS query-string parameters must include 'X-Amz-Signature'. Re-examine the query-string parameters.");
    }

    [Fact]
    public void Presigned_session_token_checks()
    {
        Verifier().Verify(Presigned(Temporary, TimeSpan.FromMinutes(5)));
        Fails(Verifier(), Presigned(Temporary with { SessionToken = "other" }, TimeSpan.FromMinutes(5)), "UnrecognizedClientException");
        Fails(Verifier(Now, Temporary with { Expiration = Now }), Presigned(Temporary, TimeSpan.FromMinutes(5)), "ExpiredTokenException");

        var request = Presigned(Temporary, TimeSpan.FromMinutes(5));
        var withoutToken = string.Join('&', request.RawQuery.Split('&').Where(p => !p.StartsWith("X-Amz-Security-Token=", StringComparison.Ordinal)));
        Fails(Verifier(), request with { RawQuery = withoutToken }, "UnrecognizedClientException");
    }

    [Fact]
    public void Presigned_with_wrong_secret() =>
        Fails(Verifier(), Presigned(LongTerm with { SecretAccessKey = "nope" }, TimeSpan.FromMinutes(5)), "InvalidSignatureException",
            "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.");

    [Fact]
    public void Both_header_and_query_authentication()
    {
        var presigned = Presigned(LongTerm, TimeSpan.FromMinutes(5));
        var signed = Signed(LongTerm);

        Fails(Verifier(), signed with { RawQuery = presigned.RawQuery }, "IncompleteSignatureException");
    }

    [Fact]
    public void Declared_payload_hash_must_match_the_body()
    {
        var headers = BaseHeaders.Append(new("X-Amz-Content-Sha256", SigV4Canonical.HashHex(Body))).ToArray();
        var signed = SigV4Signer.SignHeaders("POST", "/", "", headers, Body, "us-east-1", "ecs", LongTerm, Now);
        var request = new SigV4Request("POST", "/", "", signed, Body);
        Verifier().Verify(request);

        Fails(Verifier(), request with { Body = Encoding.UTF8.GetBytes("""{"cluster":"other"}""") }, "InvalidSignatureException",
            "The provided 'x-amz-content-sha256' header does not match what was computed.");
    }

    [Fact]
    public void Unsigned_payload_is_accepted_and_reported()
    {
        var headers = BaseHeaders.Append(new("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")).ToArray();
        var signed = SigV4Signer.SignHeaders("POST", "/", "", headers, Body, "us-east-1", "ecs", LongTerm, Now);
        var request = new SigV4Request("POST", "/", "", signed, Body);

        Assert.True(Verifier().Verify(request).UnsignedPayload);
        Assert.True(Verifier().Verify(request with { Body = Array.Empty<byte>() }).UnsignedPayload);
    }

    [Fact]
    public void Bad_declared_payload_hash() =>
        Fails(Verifier(), WithHeader(Signed(LongTerm), "X-Amz-Content-Sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"), "IncompleteSignatureException");

    [Theory]
    [InlineData("")]
    [InlineData("zz")]
    [InlineData("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeg")]
    public void Garbage_signature_is_a_mismatch(string signature)
    {
        var request = Signed(LongTerm);
        var authorization = request.Headers.Single(h => h.Key == "Authorization").Value;
        authorization = authorization[..(authorization.IndexOf("Signature=", StringComparison.Ordinal) + 10)] + signature;

        Fails(Verifier(), WithHeader(request, "Authorization", authorization), "InvalidSignatureException");
    }

    [Fact]
    public void Signing_keys_are_cached_without_mixing_scopes()
    {
        var verifier = Verifier();
        for (var i = 0; i < 3000; i++)
        {
            var region = "eu-west-" + (i % 1500);
            var identity = verifier.Verify(Signed(LongTerm, region: region));
            Assert.Equal(region, identity.Region);
        }

        Fails(verifier, Signed(LongTerm with { SecretAccessKey = "rotated" }), "InvalidSignatureException");
    }

    private static SigV4Request WithSignedHeaders(string signedHeaders)
    {
        var request = Signed(LongTerm);
        var authorization = request.Headers.Single(h => h.Key == "Authorization").Value;
        var old = BotocoreSuiteTests.Field(authorization, "SignedHeaders");
        return WithHeader(request, "Authorization", authorization.Replace("SignedHeaders=" + old, "SignedHeaders=" + signedHeaders, StringComparison.Ordinal));
    }
}
