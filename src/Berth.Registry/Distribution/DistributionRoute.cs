namespace Berth.Registry.Distribution;

/// <summary>What a <c>/v2/</c> path addresses.</summary>
public enum RouteKind
{
    /// <summary><c>/v2/</c>: the API version check.</summary>
    Base,

    /// <summary><c>/v2/_catalog</c>.</summary>
    Catalog,

    /// <summary><c>/v2/NAME/tags/list</c>.</summary>
    Tags,

    /// <summary><c>/v2/NAME/manifests/REFERENCE</c>.</summary>
    Manifest,

    /// <summary><c>/v2/NAME/blobs/DIGEST</c>.</summary>
    Blob,

    /// <summary><c>/v2/NAME/blobs/uploads/</c> (no id) or <c>/v2/NAME/blobs/uploads/ID</c>.</summary>
    Upload,

    /// <summary><c>/v2/NAME/referrers/DIGEST</c>.</summary>
    Referrers,

    /// <summary>Nothing the API defines.</summary>
    Unknown,
}

/// <summary>A parsed <c>/v2/</c> path: names may contain slashes, so the fixed suffixes are found from the right.</summary>
public readonly record struct DistributionRoute(RouteKind Kind, string Name, string Reference)
{
    /// <summary>Parses a request path (starting <c>/v2</c>).</summary>
    public static DistributionRoute Parse(string path)
    {
        if (path is "/v2" or "/v2/")
        {
            return new(RouteKind.Base, string.Empty, string.Empty);
        }

        var rest = path["/v2/".Length..];
        if (rest == "_catalog")
        {
            return new(RouteKind.Catalog, string.Empty, string.Empty);
        }

        if (rest.EndsWith("/tags/list", StringComparison.Ordinal))
        {
            return new(RouteKind.Tags, rest[..^"/tags/list".Length], string.Empty);
        }

        var upload = rest.LastIndexOf("/blobs/uploads", StringComparison.Ordinal);
        if (upload > 0)
        {
            var id = rest[(upload + "/blobs/uploads".Length)..].TrimStart('/');
            if (!id.Contains('/', StringComparison.Ordinal))
            {
                return new(RouteKind.Upload, rest[..upload], id);
            }
        }

        foreach (var (marker, kind) in new[] { ("/manifests/", RouteKind.Manifest), ("/blobs/", RouteKind.Blob), ("/referrers/", RouteKind.Referrers) })
        {
            var at = rest.LastIndexOf(marker, StringComparison.Ordinal);
            if (at > 0)
            {
                var reference = rest[(at + marker.Length)..];
                if (reference.Length > 0 && !reference.Contains('/', StringComparison.Ordinal))
                {
                    return new(kind, rest[..at], reference);
                }
            }
        }

        return new(RouteKind.Unknown, string.Empty, string.Empty);
    }
}
