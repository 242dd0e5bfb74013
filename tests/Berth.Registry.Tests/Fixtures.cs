using System.Collections.Immutable;
using System.Text;
using Berth.Registry.Blobs;
using Berth.Registry.State;

namespace Berth.Registry.Tests;

/// <summary>Builders shared by the tests.</summary>
internal static class Fixtures
{
    public const string Account = "000000000000";

    public static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static string DigestOf(string text) => Digest.Of(Encoding.UTF8.GetBytes(text));

    public static ImageRecord Image(string seed, DateTimeOffset pushedAt, params string[] blobs) => new()
    {
        Digest = DigestOf(seed),
        MediaType = "application/vnd.oci.image.manifest.v1+json",
        ManifestSize = 100,
        ImageSize = 10,
        PushedAt = pushedAt,
        Blobs = [.. blobs],
    };

    public static RepositoryRecord Repository(string name, string mutability = "MUTABLE") => new()
    {
        Name = name,
        Arn = $"arn:aws:ecr:us-east-1:{Account}:repository/{name}",
        RegistryId = Account,
        CreatedAt = T0,
        TagMutability = mutability,
    };

    public static RepositoryRecord With(this RepositoryRecord repository, ImageRecord image, params string[] tags) => repository with
    {
        Images = repository.Images.SetItem(image.Digest, image),
        ImageTags = repository.ImageTags.SetItems(tags.Select(t => new KeyValuePair<string, string>(t, image.Digest))),
    };

    public static RegistryState State(params RepositoryRecord[] repositories)
        => new(ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, repositories.Select(r => new KeyValuePair<string, RepositoryRecord>(r.Name, r))));
}

/// <summary>A temporary directory removed on dispose.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "berth-registry-tests-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>A clock the test moves.</summary>
internal sealed class FakeTimeProvider(DateTimeOffset now) : TimeProvider
{
    private DateTimeOffset _now = now;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}
