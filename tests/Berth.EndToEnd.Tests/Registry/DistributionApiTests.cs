using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Berth.EndToEnd.Tests.Infrastructure;

namespace Berth.EndToEnd.Tests.Registry;

/// <summary>The distribution API's flows over plain HTTP: chunked and monolithic uploads, mount, digest checks, referrers, deletes, pagination.</summary>
[Collection(RegistryCollection.Name)]
public sealed class DistributionApiTests(RegistryFixture fixture)
{
    private BerthServer Server => fixture.Server;

    [Fact]
    public async Task Chunked_monolithic_and_mounted_uploads_then_referrers_deletes_and_pages()
    {
        var name = $"e2e/dist-{fixture.RunId}";
        var other = $"e2e/dist-other-{fixture.RunId}";
        await fixture.CreateRepositoryAsync(name);
        await fixture.CreateRepositoryAsync(other);
        using var http = new HttpClient { BaseAddress = new Uri(Server.Endpoint) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await fixture.PasswordAsync());

        // Chunked: POST, two PATCHes with Content-Range, PUT with the digest.
        var layer = RandomNumberGenerator.GetBytes(300_000);
        var layerDigest = Sha(layer);
        using var started = await http.PostAsync(new Uri($"/v2/{name}/blobs/uploads/", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        var location = started.Headers.Location!.ToString();
        var offset = 0;
        foreach (var size in new[] { 100_000, 200_000 })
        {
            using var patch = new HttpRequestMessage(HttpMethod.Patch, new Uri(location, UriKind.Relative)) { Content = new ByteArrayContent(layer, offset, size) };
            patch.Content.Headers.TryAddWithoutValidation("Content-Range", $"{offset}-{offset + size - 1}");
            using var patched = await http.SendAsync(patch);
            Assert.Equal(HttpStatusCode.Accepted, patched.StatusCode);
            Assert.Equal($"0-{offset + size - 1}", patched.Headers.GetValues("Range").Single());
            offset += size;
        }

        using var outOfOrder = new HttpRequestMessage(HttpMethod.Patch, new Uri(location, UriKind.Relative)) { Content = new ByteArrayContent([1, 2]) };
        outOfOrder.Content.Headers.TryAddWithoutValidation("Content-Range", "5-6");
        Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, (await http.SendAsync(outOfOrder)).StatusCode);

        using var wrongDigest = await http.PutAsync(new Uri($"{location}?digest={Sha([9])}", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.BadRequest, wrongDigest.StatusCode);
        Assert.Contains("DIGEST_INVALID", await wrongDigest.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var finished = await http.PutAsync(new Uri($"{location}?digest={layerDigest}", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.Created, finished.StatusCode);
        Assert.Equal(layerDigest, finished.Headers.GetValues("Docker-Content-Digest").Single());

        // Monolithic: POST with the digest and the body.
        var config = Encoding.UTF8.GetBytes("""{"architecture":"amd64","os":"linux"}""");
        using var mono = await http.PostAsync(new Uri($"/v2/{name}/blobs/uploads/?digest={Sha(config)}", UriKind.Relative), new ByteArrayContent(config));
        Assert.Equal(HttpStatusCode.Created, mono.StatusCode);

        // Mount into the other repository: no bytes move.
        using var mounted = await http.PostAsync(new Uri($"/v2/{other}/blobs/uploads/?mount={layerDigest}&from={name}", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.Created, mounted.StatusCode);

        // A manifest, then an artifact whose subject is it: the referrers API lists the artifact.
        var manifest = $$$"""{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{{{Sha(config)}}}","size":{{{config.Length}}}},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"{{{layerDigest}}}","size":{{{layer.Length}}}}]}""";
        var manifestDigest = await PutManifestAsync(http, name, "v1", manifest);
        var empty = "{}"u8.ToArray();
        using (var _ = await http.PostAsync(new Uri($"/v2/{name}/blobs/uploads/?digest={Sha(empty)}", UriKind.Relative), new ByteArrayContent(empty)))
        {
        }

        var artifact = $$$"""{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":"application/vnd.example.sbom","config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"{{{Sha(empty)}}}","size":2},"layers":[{"mediaType":"application/vnd.oci.empty.v1+json","digest":"{{{Sha(empty)}}}","size":2}],"subject":{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{{{manifestDigest}}}","size":{{{Encoding.UTF8.GetByteCount(manifest)}}}}}""";
        using (var put = new HttpRequestMessage(HttpMethod.Put, new Uri($"/v2/{name}/manifests/{Sha(Encoding.UTF8.GetBytes(artifact))}", UriKind.Relative)))
        {
            put.Content = new StringContent(artifact);
            put.Content.Headers.ContentType = new MediaTypeHeaderValue("application/vnd.oci.image.manifest.v1+json");
            using var response = await http.SendAsync(put);
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            Assert.Equal(manifestDigest, response.Headers.GetValues("OCI-Subject").Single());
        }

        var referrers = JsonNode.Parse(await http.GetStringAsync(new Uri($"/v2/{name}/referrers/{manifestDigest}?artifactType=application/vnd.example.sbom", UriKind.Relative)))!;
        Assert.Equal("application/vnd.example.sbom", (string?)Assert.Single(referrers["manifests"]!.AsArray())!["artifactType"]);

        // A manifest naming a blob nobody uploaded is refused.
        using (var bad = new HttpRequestMessage(HttpMethod.Put, new Uri($"/v2/{name}/manifests/broken", UriKind.Relative)))
        {
            bad.Content = new StringContent(manifest.Replace(layerDigest, Sha([1, 2, 3]), StringComparison.Ordinal));
            bad.Content.Headers.ContentType = new MediaTypeHeaderValue("application/vnd.oci.image.manifest.v1+json");
            using var response = await http.SendAsync(bad);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Contains("MANIFEST_BLOB_UNKNOWN", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        // Tags page by n and last, with a Link to the next page.
        await PutManifestAsync(http, name, "v2", manifest);
        await PutManifestAsync(http, name, "v3", manifest);
        using var page = await http.GetAsync(new Uri($"/v2/{name}/tags/list?n=2", UriKind.Relative));
        Assert.Equal(["v1", "v2"], JsonNode.Parse(await page.Content.ReadAsStringAsync())!["tags"]!.AsArray().Select(t => (string)t!));
        Assert.Contains("last=v2", page.Headers.GetValues("Link").Single(), StringComparison.Ordinal);
        var rest = JsonNode.Parse(await http.GetStringAsync(new Uri($"/v2/{name}/tags/list?n=2&last=v2", UriKind.Relative)))!;
        Assert.Equal(["v3"], rest["tags"]!.AsArray().Select(t => (string)t!));
        var catalog = JsonNode.Parse(await http.GetStringAsync(new Uri("/v2/_catalog", UriKind.Relative)))!;
        Assert.Contains(name, catalog["repositories"]!.AsArray().Select(r => (string)r!));

        // Delete a tag (the image stays), then the manifest by digest (every tag goes).
        Assert.Equal(HttpStatusCode.Accepted, (await http.DeleteAsync(new Uri($"/v2/{name}/manifests/v3", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri($"/v2/{name}/manifests/v1", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await http.DeleteAsync(new Uri($"/v2/{name}/manifests/{manifestDigest}", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync(new Uri($"/v2/{name}/manifests/v1", UriKind.Relative))).StatusCode);
    }

    private static string Sha(byte[] content) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(content));

    private static async Task<string> PutManifestAsync(HttpClient http, string name, string tag, string manifest)
    {
        using var put = new HttpRequestMessage(HttpMethod.Put, new Uri($"/v2/{name}/manifests/{tag}", UriKind.Relative)) { Content = new StringContent(manifest) };
        put.Content.Headers.ContentType = new MediaTypeHeaderValue("application/vnd.oci.image.manifest.v1+json");
        using var response = await http.SendAsync(put);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return response.Headers.GetValues("Docker-Content-Digest").Single();
    }
}
