using System.Text;
using Berth.Registry.Auth;
using Berth.Registry.Distribution;
using Berth.Registry.Manifests;

namespace Berth.Registry.Tests;

public sealed class ProtocolTests
{
    [Theory]
    [InlineData("/v2/", RouteKind.Base, "", "")]
    [InlineData("/v2/_catalog", RouteKind.Catalog, "", "")]
    [InlineData("/v2/team/app/tags/list", RouteKind.Tags, "team/app", "")]
    [InlineData("/v2/team/app/manifests/v1", RouteKind.Manifest, "team/app", "v1")]
    [InlineData("/v2/a/blobs/sha256:ab", RouteKind.Blob, "a", "sha256:ab")]
    [InlineData("/v2/a/b/blobs/uploads/", RouteKind.Upload, "a/b", "")]
    [InlineData("/v2/a/b/blobs/uploads/0d9c", RouteKind.Upload, "a/b", "0d9c")]
    [InlineData("/v2/a/referrers/sha256:ab", RouteKind.Referrers, "a", "sha256:ab")]
    [InlineData("/v2/a/manifests/", RouteKind.Unknown, "", "")]
    public void Paths_are_parsed_from_the_right(string path, RouteKind kind, string name, string reference)
        => Assert.Equal(new DistributionRoute(kind, name, reference), DistributionRoute.Parse(path));

    [Theory]
    [InlineData("bytes=0-9", 100, 0, 10)]
    [InlineData("bytes=90-", 100, 90, 10)]
    [InlineData("bytes=-5", 100, 95, 5)]
    [InlineData("bytes=95-200", 100, 95, 5)]
    public void Ranges_are_resolved_against_the_size(string header, long size, long offset, long count)
    {
        Assert.True(DistributionHandler.TryParseRange(header, size, out var o, out var c));
        Assert.Equal((offset, count), (o, c));
    }

    [Theory]
    [InlineData("bytes=100-")]
    [InlineData("bytes=5-2")]
    [InlineData("items=0-1")]
    [InlineData("bytes=0-1,3-4")]
    public void Unsatisfiable_ranges_are_refused(string header) => Assert.False(DistributionHandler.TryParseRange(header, 100, out _, out _));

    [Fact]
    public void A_pull_only_token_opens_its_repositories_for_reading_and_nothing_else()
    {
        var tokens = new RegistryTokens(RegistryTokens.DeriveKey("secret", "000000000000"), new FakeTimeProvider(DateTimeOffset.UtcNow));
        var (scoped, _) = tokens.Issue("arn:aws:iam::000000000000:root", ["team/app", "base"]);
        var grant = tokens.VerifyHeader("Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("AWS:" + scoped)))!;
        Assert.Equal("arn:aws:iam::000000000000:root", grant.Principal);
        Assert.True(grant.Allows("GET", RouteKind.Base, string.Empty));
        Assert.True(grant.Allows("GET", RouteKind.Manifest, "team/app"));
        Assert.True(grant.Allows("HEAD", RouteKind.Blob, "base"));
        Assert.False(grant.Allows("GET", RouteKind.Manifest, "team/other"));
        Assert.False(grant.Allows("PUT", RouteKind.Manifest, "team/app"));
        Assert.False(grant.Allows("POST", RouteKind.Upload, "team/app"));
        Assert.False(grant.Allows("DELETE", RouteKind.Manifest, "team/app"));
        Assert.False(grant.Allows("GET", RouteKind.Catalog, string.Empty));
        Assert.False(grant.Allows("GET", RouteKind.Tags, "team/app"));

        // An account token is not limited.
        var (full, _) = tokens.Issue("arn:aws:iam::000000000000:root");
        Assert.True(tokens.VerifyGrant(full)!.Allows("PUT", RouteKind.Manifest, "anything"));
    }

    [Fact]
    public void Tokens_verify_until_they_expire_and_only_with_the_key()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var tokens = new RegistryTokens(RegistryTokens.DeriveKey("secret", "000000000000"), time);
        var (password, expires) = tokens.Issue("arn:aws:iam::000000000000:root");
        Assert.InRange(expires - time.GetUtcNow(), TimeSpan.FromHours(11.9), TimeSpan.FromHours(12));
        Assert.Equal("arn:aws:iam::000000000000:root", tokens.Verify(password));
        var basic = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("AWS:" + password));
        Assert.NotNull(tokens.VerifyHeader(basic));
        Assert.NotNull(tokens.VerifyHeader("Bearer " + password));
        Assert.Null(tokens.VerifyHeader("Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("bob:" + password))));
        Assert.Null(new RegistryTokens(RegistryTokens.DeriveKey("other", "000000000000"), time).Verify(password));

        // Another account's server, even with the same secret, does not take it.
        Assert.Null(new RegistryTokens(RegistryTokens.DeriveKey("secret", "111111111111"), time).Verify(password));
        Assert.Null(tokens.Verify(password[..^2] + "AA"));
        time.Advance(TimeSpan.FromHours(12));
        Assert.Null(tokens.Verify(password));
    }

    [Theory]
    [InlineData("253402300800")]
    [InlineData("9223372036854775807")]
    [InlineData("99999999999999999999")]
    [InlineData("-1")]
    public void A_token_with_an_expiry_no_clock_holds_is_refused(string expiry)
    {
        var key = RegistryTokens.DeriveKey("secret", "000000000000");
        var payload = Encoding.UTF8.GetBytes(expiry + "|arn:aws:iam::000000000000:root");
        var forged = "berth1." + System.Buffers.Text.Base64Url.EncodeToString(payload) + "."
            + System.Buffers.Text.Base64Url.EncodeToString(System.Security.Cryptography.HMACSHA256.HashData(key, payload));
        var tokens = new RegistryTokens(key, new FakeTimeProvider(DateTimeOffset.UtcNow));
        Assert.Null(tokens.Verify(forged));
        Assert.Null(tokens.VerifyHeader("Bearer " + forged));
    }

    [Theory]
    [InlineData("1e30")]
    [InlineData("2.5")]
    [InlineData("-1")]
    [InlineData("18446744073709551616")]
    [InlineData("9223372036854775807, 9223372036854775807")]
    public void A_layer_size_that_is_no_64_bit_size_or_overflows_the_total_is_refused(string sizes)
    {
        var config = Fixtures.DigestOf("config");
        var layers = string.Join(",", sizes.Split(", ").Select((size, i) =>
            $$"""{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"{{Fixtures.DigestOf("l" + i)}}","size":{{size}}}"""));
        var manifest = $$"""{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{{config}}","size":2},"layers":[{{layers}}]}""";
        Assert.Throws<ManifestException>(() => ManifestParser.Parse(Encoding.UTF8.GetBytes(manifest), null));
    }

    [Theory]
    [InlineData("1e30")]
    [InlineData("2.5")]
    [InlineData("\"2\"")]
    public void A_schema_version_that_is_not_the_number_2_is_refused(string version)
        => Assert.Throws<ManifestException>(() => ManifestParser.Parse(Encoding.UTF8.GetBytes($$"""{"schemaVersion":{{version}},"manifests":[]}"""), null));

    [Fact]
    public void Manifests_are_parsed_for_their_references()
    {
        var layer = Fixtures.DigestOf("layer");
        var config = Fixtures.DigestOf("config");
        var image = ManifestParser.Parse(Encoding.UTF8.GetBytes($$"""
            {"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",
             "config":{"mediaType":"application/vnd.docker.container.image.v1+json","digest":"{{config}}","size":10},
             "layers":[{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","digest":"{{layer}}","size":300}]}
            """), "application/vnd.docker.distribution.manifest.v2+json");
        Assert.Equal(MediaTypes.DockerManifest, image.MediaType);
        Assert.Equal([config, layer], image.Blobs.Select(b => b.Digest));
        Assert.Equal(300, image.LayersSize);

        var index = ManifestParser.Parse(Encoding.UTF8.GetBytes($$$"""{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{{{layer}}}","size":5}],"subject":{"mediaType":"x","digest":"{{{config}}}","size":1}}"""), null);
        Assert.Equal(MediaTypes.OciIndex, index.MediaType);
        Assert.Equal(config, index.Subject!.Digest);

        Assert.Throws<ManifestException>(() => ManifestParser.Parse("{\"schemaVersion\":1}"u8, null));
        Assert.Throws<ManifestException>(() => ManifestParser.Parse("nope"u8, null));
        Assert.Throws<ManifestException>(() => ManifestParser.Parse("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{\"digest\":\"sha256:zz\",\"size\":1}}"u8.ToArray(), null));
    }
}
