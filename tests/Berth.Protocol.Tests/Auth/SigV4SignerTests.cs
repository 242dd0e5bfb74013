using System.Text;
using Berth.Protocol.Auth;

namespace Berth.Protocol.Tests.Auth;

/// <summary>Whatever the signer produces, the verifier accepts.</summary>
public class SigV4SignerTests
{
    private static readonly DateTimeOffset Now = new(2024, 2, 29, 23, 59, 59, TimeSpan.Zero);

    public static TheoryData<string, string, string, string?> Requests() => new()
    {
        { "POST", "/", "", """{"cluster":"default"}""" },
        { "GET", "/v1/clusters/my%20cluster", "b=2&a=1&a=0&empty=&flag", null },
        { "GET", "/a/./b/../c//d/", "q=%E1%88%B4&plus=a+b&slash=a%2Fb", null },
        { "PUT", "/ሴ/x y", "k=v w", "body" },
    };

    [Theory]
    [MemberData(nameof(Requests))]
    public void Signed_headers_round_trip(string method, string path, string query, string? body)
    {
        foreach (var credential in Credentials())
        {
            var bytes = body is null ? [] : Encoding.UTF8.GetBytes(body);
            var headers = new KeyValuePair<string, string>[]
            {
                new("Host", "localhost:8080"),
                new("X-Custom", "  a   b  "),
                new("x-custom", "c"),
                new("X-Amz-Date", "19990101T000000Z"),
            };
            var signed = SigV4Signer.SignHeaders(method, path, query, headers, bytes, "eu-central-1", "ecs", credential, Now);

            var identity = Verifier(credential).Verify(new SigV4Request(method, path, query, signed, bytes));

            Assert.Equal("eu-central-1", identity.Region);
            Assert.Equal(credential.PrincipalArn, identity.PrincipalArn);
            Assert.Single(signed, h => h.Key.Equals("X-Amz-Date", StringComparison.OrdinalIgnoreCase));
            identity.RequireService("ecs");
        }
    }

    [Theory]
    [MemberData(nameof(Requests))]
    public void Presigned_query_round_trips(string method, string path, string query, string? body)
    {
        foreach (var credential in Credentials())
        {
            var bytes = body is null ? [] : Encoding.UTF8.GetBytes(body);
            var headers = new KeyValuePair<string, string>[] { new("Host", "localhost:8080") };
            var presigned = SigV4Signer.Presign(method, path, query, headers, bytes, "eu-central-1", "ecs", credential, Now, TimeSpan.FromMinutes(10));

            var identity = Verifier(credential).Verify(new SigV4Request(method, path, presigned, headers, bytes));

            Assert.Equal(Now, identity.SignedAt);
            Assert.StartsWith(query, presigned, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Signer_requires_host() =>
        Assert.Throws<ArgumentException>(() => SigV4Signer.SignHeaders(
            "GET", "/", "", [], [], "us-east-1", "ecs", Credentials()[0], Now));

    [Fact]
    public void Credential_ToString_hides_the_secret() =>
        Assert.DoesNotContain("SECRET", Credentials()[0].ToString(), StringComparison.Ordinal);

    private static SigningCredential[] Credentials() =>
    [
        new("AKIDROUNDTRIP", "SECRET/round+trip", null, null, "arn:aws:iam::000000000000:user/round"),
        new("ASIAROUNDTRIP", "SECRET/temporary", "token/with+chars==", Now.AddMinutes(30), "arn:aws:sts::000000000000:assumed-role/r/s"),
    ];

    private static SigV4Verifier Verifier(SigningCredential credential) =>
        new(new Store(credential), new FixedTime(Now));
}
