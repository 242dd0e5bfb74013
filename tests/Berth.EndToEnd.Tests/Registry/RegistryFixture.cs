using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Berth.EndToEnd.Tests.Infrastructure;

namespace Berth.EndToEnd.Tests.Registry;

/// <summary>
/// One server for the registry tests (its own, so its data dir's blobs can be looked at), a Docker client config of
/// its own (so <c>docker login</c> never touches the machine's), and the locally built busybox image.
/// </summary>
public sealed class RegistryFixture : IAsyncLifetime
{
    private readonly TempDir _dataDir = new("berth-e2e-registry-");
    private TestImage? _image;

    /// <summary>Unique to this run.</summary>
    public string RunId { get; } = Guid.NewGuid().ToString("N")[..8];

    /// <summary>The running server.</summary>
    public BerthServer Server { get; private set; } = null!;

    /// <summary>The busybox image (local).</summary>
    public string Image => _image!.Name;

    /// <summary>Scratch space: the docker config, OCI layouts, files for the CLI.</summary>
    public TempDir Scratch { get; } = new("berth-e2e-registry-scratch-");

    /// <summary><c>127.0.0.1:PORT</c>: the registry host in image names.</summary>
    public string Host => $"127.0.0.1:{Server.Port}";

    /// <summary>Where the server keeps blobs.</summary>
    public string BlobDir => Path.Combine(Server.DataDir, "registry", "blobs", "sha256");

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        var image = TestImage.BuildAsync("registry-" + RunId);
        Server = await BerthServer.StartAsync(_dataDir.Path);
        _image = await image;
    }

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        if (Server is not null)
        {
            await Server.DisposeAsync();
        }

        if (_image is not null)
        {
            await _image.DisposeAsync();
        }

        _dataDir.Dispose();
        Scratch.Dispose();
    }

    /// <summary>The password <c>aws ecr get-login-password</c> prints.</summary>
    public async Task<string> PasswordAsync()
    {
        var result = await Clients.AwsAsync(Server, "ecr", "get-login-password");
        Assert.True(result.ExitCode == 0, result.ToString());
        return result.Stdout.Trim();
    }

    /// <summary>Runs <c>docker ARGS</c> with this fixture's client config.</summary>
    public Task<ProcessResult> DockerAsync(params string[] arguments)
        => ProcessRunner.RunAsync("docker", arguments, new Dictionary<string, string?> { ["DOCKER_CONFIG"] = Scratch.File("docker") }, timeout: TimeSpan.FromMinutes(3));

    /// <summary>Runs <c>docker ARGS</c>, which must succeed.</summary>
    public async Task<string> DockerOkAsync(params string[] arguments)
    {
        var result = await DockerAsync(arguments);
        Assert.True(result.ExitCode == 0, result.ToString());
        return result.Stdout;
    }

    /// <summary>Runs <c>skopeo ARGS</c>.</summary>
    public static Task<ProcessResult> SkopeoAsync(params string[] arguments)
        => ProcessRunner.RunAsync("skopeo", arguments, new Dictionary<string, string?>(), timeout: TimeSpan.FromMinutes(3));

    /// <summary>Runs <c>skopeo ARGS</c>, which must succeed.</summary>
    public static async Task<string> SkopeoOkAsync(params string[] arguments)
    {
        var result = await SkopeoAsync(arguments);
        Assert.True(result.ExitCode == 0, result.ToString());
        return result.Stdout;
    }

    /// <summary>Creates a repository; returns its JSON.</summary>
    public async Task<JsonNode> CreateRepositoryAsync(string name, params string[] extra)
        => (await Clients.AwsJsonAsync(Server, ["ecr", "create-repository", "--repository-name", name, .. extra]))!["repository"]!;

    /// <summary>
    /// Writes an OCI layout of one image whose single layer is <paramref name="layerBytes"/> random bytes (plus a shared layer
    /// when <paramref name="sharedLayer"/> is given); returns the layout dir and the digests of its blobs.
    /// </summary>
    public (string Layout, List<string> Blobs) Layout(string name, int layerBytes, byte[]? sharedLayer = null)
    {
        var root = Scratch.File("layout-" + name);
        var blobs = Path.Combine(root, "blobs", "sha256");
        Directory.CreateDirectory(blobs);
        string Put(byte[] content)
        {
            var hex = Convert.ToHexStringLower(SHA256.HashData(content));
            File.WriteAllBytes(Path.Combine(blobs, hex), content);
            return "sha256:" + hex;
        }

        var layers = new List<(string Digest, long Size)>();
        foreach (var content in new[] { sharedLayer, Tar(RandomNumberGenerator.GetBytes(layerBytes)) }.Where(c => c is not null))
        {
            layers.Add((Put(content!), content!.Length));
        }

        var diffIds = string.Join(',', layers.Select(l => $"\"{l.Digest}\""));
        var config = Encoding.UTF8.GetBytes($$$"""{"architecture":"amd64","os":"linux","config":{},"rootfs":{"type":"layers","diff_ids":[{{{diffIds}}}]}}""");
        var configDigest = Put(config);
        var layerJson = string.Join(',', layers.Select(l => $$"""{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"{{l.Digest}}","size":{{l.Size}}}"""));
        var manifest = Encoding.UTF8.GetBytes($$"""{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{{configDigest}}","size":{{config.Length}}},"layers":[{{layerJson}}]}""");
        var manifestDigest = Put(manifest);
        File.WriteAllText(Path.Combine(root, "oci-layout"), """{"imageLayoutVersion":"1.0.0"}""");
        File.WriteAllText(Path.Combine(root, "index.json"), $$$"""{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{{{manifestDigest}}}","size":{{{manifest.Length}}},"annotations":{"org.opencontainers.image.ref.name":"latest"}}]}""");
        return (root, [.. layers.Select(l => l.Digest), configDigest]);
    }

    /// <summary>A tar of one file holding <paramref name="content"/>.</summary>
    public static byte[] Tar(byte[] content)
    {
        using var output = new MemoryStream();
        using (var writer = new System.Formats.Tar.TarWriter(output, System.Formats.Tar.TarEntryFormat.Pax, leaveOpen: true))
        {
            var entry = new System.Formats.Tar.PaxTarEntry(System.Formats.Tar.TarEntryType.RegularFile, "data.bin") { DataStream = new MemoryStream(content) };
            writer.WriteEntry(entry);
        }

        return output.ToArray();
    }

    /// <summary>Copies a layout to <c>HOST/REPOSITORY:TAG</c> with skopeo (uncompressed, as it is).</summary>
    public async Task PushLayoutAsync(string layout, string repository, string tag)
        => await SkopeoOkAsync("copy", "--dest-tls-verify=false", "--dest-creds", "AWS:" + await PasswordAsync(),
            "oci:" + layout + ":latest", $"docker://{Host}/{repository}:{tag}");

    /// <summary>True when the blob file is in the server's blob store.</summary>
    public bool BlobStored(string digest)
    {
        var hex = digest["sha256:".Length..];
        return File.Exists(Path.Combine(BlobDir, hex[..2], hex));
    }
}

/// <summary>The collection whose tests share <see cref="RegistryFixture"/>.</summary>
[CollectionDefinition(Name)]
public sealed class RegistryCollection : ICollectionFixture<RegistryFixture>
{
    /// <summary>The collection's name.</summary>
    public const string Name = "Berth registry";
}
