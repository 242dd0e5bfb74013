using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Berth.EndToEnd.Tests.Infrastructure;

namespace Berth.EndToEnd.Tests.Registry;

/// <summary>The registry through real clients: docker build/login/push/pull, skopeo copy/inspect, and anonymous access refused.</summary>
[Collection(RegistryCollection.Name)]
public sealed class DockerAndSkopeoTests(RegistryFixture fixture)
{
    private BerthServer Server => fixture.Server;

    [Fact]
    public async Task Docker_login_push_rmi_pull_and_run()
    {
        var repository = await fixture.CreateRepositoryAsync($"e2e/docker-{fixture.RunId}");
        var uri = (string)repository["repositoryUri"]!;
        Assert.Equal($"{fixture.Host}/e2e/docker-{fixture.RunId}", uri);
        var image = uri + ":1";
        var login = await ProcessRunner.RunAsync("bash", ["-c", $"aws --endpoint-url {Server.Endpoint} ecr get-login-password | docker login --username AWS --password-stdin {fixture.Host}"],
            new Dictionary<string, string?>(Clients.Environment(Server)) { ["DOCKER_CONFIG"] = fixture.Scratch.File("docker"), ["PATH"] = Environment.GetEnvironmentVariable("PATH") },
            timeout: TimeSpan.FromMinutes(1));
        Assert.True(login.ExitCode == 0, login.ToString());
        Assert.Contains("Login Succeeded", login.Stdout, StringComparison.Ordinal);
        try
        {
            await fixture.DockerOkAsync("tag", fixture.Image, image);
            var push = await fixture.DockerOkAsync("push", image);
            Assert.Contains("digest: sha256:", push, StringComparison.Ordinal);
            await fixture.DockerOkAsync("rmi", image);
            await fixture.DockerOkAsync("pull", image);
            var output = await fixture.DockerOkAsync("run", "--rm", image, "echo", "pulled from berth");
            Assert.Equal("pulled from berth", output.Trim());

            var images = (await Clients.AwsJsonAsync(Server, "ecr", "describe-images", "--repository-name", $"e2e/docker-{fixture.RunId}"))!["imageDetails"]!.AsArray();
            var detail = Assert.Single(images)!;
            Assert.Equal("1", (string?)detail["imageTags"]![0]);
            Assert.Equal("application/vnd.docker.distribution.manifest.v2+json", (string?)detail["imageManifestMediaType"]);
            Assert.True((long)detail["imageSizeInBytes"]! > 500_000);
        }
        finally
        {
            await fixture.DockerAsync("rmi", "-f", image);
        }
    }

    [Fact]
    public async Task Skopeo_copies_in_and_out_and_inspects()
    {
        var name = $"e2e/skopeo-{fixture.RunId}";
        await fixture.CreateRepositoryAsync(name);
        var password = await fixture.PasswordAsync();
        await RegistryFixture.SkopeoOkAsync("copy", "--dest-tls-verify=false", "--dest-creds", "AWS:" + password,
            "docker-daemon:" + fixture.Image, $"docker://{fixture.Host}/{name}:v1");
        var inspect = JsonNode.Parse(await RegistryFixture.SkopeoOkAsync("inspect", "--tls-verify=false", "--creds", "AWS:" + password, $"docker://{fixture.Host}/{name}:v1"))!;
        Assert.Equal(["v1"], inspect["RepoTags"]!.AsArray().Select(t => (string)t!));
        Assert.Equal("linux", (string?)inspect["Os"]);
        var digest = (string)inspect["Digest"]!;

        var layout = fixture.Scratch.File("pulled-" + fixture.RunId);
        await RegistryFixture.SkopeoOkAsync("copy", "--src-tls-verify=false", "--src-creds", "AWS:" + password, $"docker://{fixture.Host}/{name}@{digest}", "oci:" + layout + ":x");
        Assert.True(File.Exists(Path.Combine(layout, "index.json")));

        // Pushed again under another tag: no blob moves, the manifest is the same.
        await RegistryFixture.SkopeoOkAsync("copy", "--src-tls-verify=false", "--dest-tls-verify=false", "--src-creds", "AWS:" + password, "--dest-creds", "AWS:" + password,
            $"docker://{fixture.Host}/{name}:v1", $"docker://{fixture.Host}/{name}:v2");
        var tags = JsonNode.Parse(await RegistryFixture.SkopeoOkAsync("list-tags", "--tls-verify=false", "--creds", "AWS:" + password, $"docker://{fixture.Host}/{name}"))!;
        Assert.Equal(["v1", "v2"], tags["Tags"]!.AsArray().Select(t => (string)t!).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Anonymous_and_wrong_credentials_are_refused_with_the_spec_error()
    {
        using var http = new HttpClient();
        using var anonymous = await http.GetAsync(new Uri($"{Server.Endpoint}/v2/"));
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal("Basic", anonymous.Headers.WwwAuthenticate.Single().Scheme);
        Assert.Equal("registry/2.0", anonymous.Headers.GetValues("Docker-Distribution-API-Version").Single());
        var body = JsonNode.Parse(await anonymous.Content.ReadAsStringAsync())!;
        Assert.Equal("UNAUTHORIZED", (string?)body["errors"]![0]!["code"]);

        using var wrong = new HttpRequestMessage(HttpMethod.Get, new Uri($"{Server.Endpoint}/v2/_catalog"));
        wrong.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("AWS:berth1.forged.token")));
        using var refused = await http.SendAsync(wrong);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);

        // The token works as Basic (what docker sends) and as Bearer; GetAuthorizationToken's own value is base64 of AWS:password.
        var token = (await Clients.AwsJsonAsync(Server, "ecr", "get-authorization-token"))!["authorizationData"]![0]!;
        Assert.Equal($"http://{fixture.Host}", (string?)token["proxyEndpoint"]);
        using var basic = new HttpRequestMessage(HttpMethod.Get, new Uri($"{Server.Endpoint}/v2/"));
        basic.Headers.Authorization = new AuthenticationHeaderValue("Basic", (string)token["authorizationToken"]!);
        using var ok = await http.SendAsync(basic);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        using var bearer = new HttpRequestMessage(HttpMethod.Get, new Uri($"{Server.Endpoint}/v2/"));
        bearer.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await fixture.PasswordAsync());
        using var ok2 = await http.SendAsync(bearer);
        Assert.Equal(HttpStatusCode.OK, ok2.StatusCode);

        var failed = await fixture.DockerAsync("login", "--username", "AWS", "--password", "not-a-token", fixture.Host);
        Assert.NotEqual(0, failed.ExitCode);
    }

    [Fact]
    public async Task Blobs_are_served_with_ranges_and_unknown_names_get_NAME_UNKNOWN()
    {
        var name = $"e2e/range-{fixture.RunId}";
        await fixture.CreateRepositoryAsync(name);
        var (layout, _) = fixture.Layout("range", 100_000);
        await fixture.PushLayoutAsync(layout, name, "r1");
        var manifest = JsonNode.Parse((string)(await Clients.AwsJsonAsync(Server, "ecr", "batch-get-image", "--repository-name", name, "--image-ids", "imageTag=r1"))!["images"]![0]!["imageManifest"]!)!;
        var layer = (string)manifest["layers"]![0]!["digest"]!;
        var size = (long)manifest["layers"]![0]!["size"]!;

        using var http = new HttpClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await fixture.PasswordAsync());
        using var range = new HttpRequestMessage(HttpMethod.Get, new Uri($"{Server.Endpoint}/v2/{name}/blobs/{layer}"));
        range.Headers.Range = new RangeHeaderValue(10, 19);
        using var partial = await http.SendAsync(range);
        Assert.Equal(HttpStatusCode.PartialContent, partial.StatusCode);
        Assert.Equal(10, (await partial.Content.ReadAsByteArrayAsync()).Length);
        Assert.Equal($"bytes 10-19/{size}", partial.Content.Headers.ContentRange!.ToString());

        using var head = await http.SendAsync(new HttpRequestMessage(HttpMethod.Head, new Uri($"{Server.Endpoint}/v2/{name}/blobs/{layer}")));
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal(size, head.Content.Headers.ContentLength);

        using var unknown = await http.GetAsync(new Uri($"{Server.Endpoint}/v2/e2e/no-such-{fixture.RunId}/tags/list"));
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Contains("NAME_UNKNOWN", await unknown.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var missing = await http.GetAsync(new Uri($"{Server.Endpoint}/v2/{name}/manifests/nope"));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Contains("MANIFEST_UNKNOWN", await missing.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var tags = await http.GetAsync(new Uri($"{Server.Endpoint}/v2/{name}/tags/list?n=1"));
        Assert.Equal(HttpStatusCode.OK, tags.StatusCode);
    }
}
