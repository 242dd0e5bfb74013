using System.Collections.Frozen;
using Microsoft.AspNetCore.Http;

namespace Berth.WebConsole.Hosting;

/// <summary>The stylesheet and the script, embedded in the assembly: nothing to deploy beside the server.</summary>
internal static class Assets
{
    private static readonly FrozenDictionary<string, (byte[] Content, string Type)> Files = Load();

    public static async Task WriteAsync(HttpContext http, string name)
    {
        if (!Files.TryGetValue(name, out var file))
        {
            http.Response.StatusCode = 404;
            return;
        }

        http.Response.ContentType = file.Type;
        http.Response.Headers.CacheControl = "no-cache";
        http.Response.ContentLength = file.Content.Length;
        await http.Response.Body.WriteAsync(file.Content, http.RequestAborted);
    }

    private static FrozenDictionary<string, (byte[] Content, string Type)> Load()
    {
        var assembly = typeof(Assets).Assembly;
        var files = new Dictionary<string, (byte[], string)>(StringComparer.Ordinal);
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith("console/", StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            var name = resource["console/".Length..];
            var type = name.EndsWith(".css", StringComparison.Ordinal) ? "text/css; charset=utf-8" : "text/javascript; charset=utf-8";
            files[name] = (buffer.ToArray(), type);
        }

        return files.ToFrozenDictionary(StringComparer.Ordinal);
    }
}
