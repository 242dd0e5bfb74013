using System.Text;
using System.Text.Json.Nodes;
using Berth.Registry.Ecr;
using Berth.WebConsole.Hosting;
using Berth.WebConsole.Html;

namespace Berth.WebConsole.Repositories;

/// <summary>The registry's repositories and one repository's images, as ECR's DescribeRepositories/DescribeImages show them.</summary>
public static class RepositoriesPage
{
    /// <summary>The repositories whose names contain the query's <c>q</c>, a page of them (<c>page</c>).</summary>
    public static Page List(ConsoleSources sources, IReadOnlyDictionary<string, string>? query = null)
    {
        query ??= new Dictionary<string, string>();
        if (sources.Registry is not { } registry)
        {
            return Page.NotFound("This server has no registry.");
        }

        var host = registry.Options.Host;
        var filter = Paging.Filter(query, "q");
        var page = Paging.Of(registry.Pipeline.Current.Repositories.Values.Where(r => Paging.Matches(filter, r.Name)).ToList(), Paging.Number(query, "page"));
        var rows = page.Items.Select(r => (Record: r, Wire: EcrQueries.Render(r, host))).Select(r => Markup.Of($"""
            <tr><td><a href="{Links.Repository(r.Record.Name)}">{r.Record.Name}</a></td><td><code>{r.Wire.RepositoryUri}</code></td>
            <td class="num">{r.Record.Images.Count}</td><td>{r.Wire.ImageTagMutability}</td><td>{Format.Time(r.Record.CreatedAt)}</td></tr>
            """)).ToList();
        var table = rows.Count == 0
            ? Paging.None(filter, "repositories", "<p>No repositories yet: <code>aws ecr create-repository --repository-name NAME</code>.</p>")
            : Markup.Of($"""
                <div class="scroll"><table aria-label="Repositories">
                <thead><tr><th>Repository</th><th>URI</th><th>Images</th><th>Tags</th><th>Created</th></tr></thead>
                <tbody>{Markup.Join(rows)}</tbody></table></div>
                """);
        return new Page(200, "Repositories", Paging.Listing(Markup.Raw("<h1>Repositories</h1>"), "repositories", Links.Repositories, query, page, table));
    }

    /// <summary>One repository: its images (newest push first) and the commands that log in and push to it.</summary>
    public static Page Repository(ConsoleSources sources, string name, string csrf, string? error = null, IReadOnlyDictionary<string, string>? query = null)
    {
        query ??= new Dictionary<string, string>();
        if (sources.Registry is not { } registry || !registry.Pipeline.Current.Repositories.TryGetValue(name, out var repository))
        {
            return Page.NotFound($"There is no repository named {name}.");
        }

        var host = registry.Options.Host;
        var uri = EcrQueries.Render(repository, host).RepositoryUri;
        var page = Paging.Of(repository.Images.Values.OrderByDescending(i => i.PushedAt).ToList(), Paging.Number(query, "page"));
        var images = page.Items.Select(i => EcrQueries.Detail(repository, i)).Select(d => Markup.Of($"""
            <tr><td>{(d.ImageTags is { Count: > 0 } tags ? string.Join(", ", tags) : "untagged")}</td><td><code class="digest">{d.ImageDigest}</code></td>
            <td class="num">{Format.Bytes(d.ImageSizeInBytes)}</td><td>{Format.Time(d.ImagePushedAt)}</td><td><code>{Format.Or(d.ImageManifestMediaType)}</code></td>
            <td><form method="post" action="{Links.DeleteImage(name, d.ImageDigest!)}" class="inline"><input type="hidden" name="_csrf" value="{csrf}">
            <button type="submit" class="danger" aria-label="Delete image {(d.ImageTags is { Count: > 0 } t ? string.Join(", ", t) : d.ImageDigest)}">Delete</button></form></td></tr>
            """)).ToList();
        var table = images.Count == 0
            ? Markup.Raw("<p>No images yet.</p>")
            : Markup.Of($"""
                <div class="scroll"><table aria-label="Images">
                <thead><tr><th>Tags</th><th>Digest</th><th>Size</th><th>Pushed</th><th>Media type</th><th></th></tr></thead>
                <tbody>{Markup.Join(images)}</tbody></table></div>
                """);
        var body = Markup.Of($"""
            <nav aria-label="Breadcrumb" class="crumbs"><a href="{Links.Repositories}">Repositories</a> / {name}</nav>
            <h1>Repository {name}</h1>
            {(error is null ? Markup.Empty : Markup.Of($"<p class=\"error\" role=\"alert\">{error}</p>"))}
            <dl class="facts"><dt>URI</dt><dd><code>{uri}</code></dd><dt>ARN</dt><dd><code>{repository.Arn}</code></dd>
            <dt>Tag mutability</dt><dd>{repository.TagMutability}</dd><dt>Created</dt><dd>{Format.Time(repository.CreatedAt)}</dd></dl>
            <h2>Push commands</h2>
            <pre class="commands" aria-label="Push commands">{PushCommands(sources.Endpoint, host, uri ?? host + "/" + name)}</pre>
            <h2>Images</h2>
            {table}
            {Paging.Nav(page, "Images", Links.Repository(name), query, "page")}
            """);
        return new Page(200, $"Repository {name}", body);
    }

    /// <summary>
    /// Deletes one image (by digest, with every tag on it) through ECR's BatchDeleteImage; a failure it reports shows on
    /// the repository's page with 400.
    /// </summary>
    public static async Task<Page> DeleteImageAsync(ConsoleSources sources, ConsoleRequest request, string name, string digest, string csrf)
    {
        if (sources.Registry is not { } registry || !registry.Pipeline.Current.Repositories.ContainsKey(name))
        {
            return Page.NotFound($"There is no repository named {name}.");
        }

        var input = new JsonObject { ["repositoryName"] = name, ["imageIds"] = new JsonArray(new JsonObject { ["imageDigest"] = digest }) };
        var answer = await sources.CallEcrAsync("BatchDeleteImage", Encoding.UTF8.GetBytes(input.ToJsonString()), request.Session, request.Cancellation);
        if (answer?["failures"]?.AsArray() is [var failure, ..])
        {
            return Repository(sources, name, csrf, $"{failure?["failureCode"]}: {failure?["failureReason"]}") with { Status = 400 };
        }

        return Page.Redirect(Links.Repository(name));
    }

    /// <summary>The commands that log Docker in to this registry and push an image to <paramref name="repositoryUri"/>.</summary>
    public static string PushCommands(string endpoint, string registryHost, string repositoryUri) => $"""
        aws --endpoint-url {endpoint} ecr get-login-password | docker login --username AWS --password-stdin {registryHost}
        docker tag IMAGE {repositoryUri}:TAG
        docker push {repositoryUri}:TAG
        """;
}
