using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Serialization;
using Berth.Storage.Documents;

namespace Berth.Registry.State;

/// <summary>The JSON of stored registry documents.</summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(RepositoryRecord))]
internal sealed partial class RegistryJsonContext : JsonSerializerContext
{
}

/// <summary>Maps the registry state to stored documents (one per repository) and back.</summary>
public static class RegistryCodec
{
    /// <summary>Document kind of repositories (id: the repository name).</summary>
    public const string RepositoryKind = "ecr.repository";

    /// <summary>The mutation that stores <paramref name="repository"/>.</summary>
    public static Mutation Put(RepositoryRecord repository)
        => Mutation.Put(RepositoryKind, repository.Name, JsonSerializer.SerializeToUtf8Bytes(repository, RegistryJsonContext.Default.RepositoryRecord));

    /// <summary>The mutation that removes the repository <paramref name="name"/>.</summary>
    public static Mutation Delete(string name) => Mutation.Delete(RepositoryKind, name);

    /// <summary>Rebuilds the state from the stored documents.</summary>
    public static RegistryState Load(IEnumerable<StoredDocument> documents)
    {
        var repositories = ImmutableSortedDictionary.CreateBuilder<string, RepositoryRecord>(StringComparer.Ordinal);
        foreach (var document in documents.Where(d => d.Kind == RepositoryKind))
        {
            var stored = JsonSerializer.Deserialize(document.Body, RegistryJsonContext.Default.RepositoryRecord)!;

            // The serializer rebuilds sorted dictionaries with the default comparer; listing order is ordinal.
            repositories[document.Id] = stored with
            {
                Images = stored.Images.WithComparers(StringComparer.Ordinal),
                ImageTags = stored.ImageTags.WithComparers(StringComparer.Ordinal),
            };
        }

        return new RegistryState(repositories.ToImmutable());
    }
}
