namespace Berth.WebConsole.Html;

/// <summary>What a page handler answers: the status, the title and the body inside the layout.</summary>
/// <param name="Status">The HTTP status.</param>
/// <param name="Title">The page's title (text).</param>
/// <param name="Body">The content of <c>main</c>.</param>
public sealed record Page(int Status, string Title, Markup Body)
{
    /// <summary>Whether the page refetches itself when the state changes (not pages with a form being edited).</summary>
    public bool Live { get; init; }

    /// <summary>Whether the page also refetches itself every few seconds (a running task's log lines, which are not in the state).</summary>
    public bool Follow { get; init; }

    /// <summary>Where a successful form post sends the browser (303), instead of a body.</summary>
    public string? RedirectTo { get; init; }

    /// <summary>A 303 to <paramref name="location"/>.</summary>
    public static Page Redirect(string location) => new(303, string.Empty, Markup.Empty) { RedirectTo = location };

    /// <summary>A 404 page that says what was not found.</summary>
    public static Page NotFound(string what) => new(404, "Not found", Markup.Of($"<h1>Not found</h1><p class=\"error\" role=\"alert\">{what}</p><p><a href=\"{Links.Root}\">Back to the clusters</a></p>"));

    /// <summary>A 400 page with the reason.</summary>
    public static Page BadRequest(string reason) => new(400, "Bad request", Markup.Of($"<h1>Bad request</h1><p class=\"error\" role=\"alert\">{reason}</p><p><a href=\"{Links.Root}\">Back to the clusters</a></p>"));
}

/// <summary>The document around every page: navigation, the sign-out form, the stylesheet and the script.</summary>
public static class Layout
{
    /// <summary>The whole document. <paramref name="csrf"/> is null on the sign-in page (no navigation, no script).</summary>
    public static string Render(Page page, string? csrf, string? signedInAs)
    {
        var nav = csrf is null
            ? Markup.Empty
            : Markup.Of($"""
                <header><nav aria-label="Main">
                <a class="brand" href="{Links.Root}">Berth</a>
                <a href="{Links.Clusters}">Clusters</a>
                <a href="{Links.TaskDefinitions}">Task definitions</a>
                <a href="{Links.Repositories}">Repositories</a>
                <a href="{Links.LoadBalancers}">Load balancers</a>
                <a href="{Links.TargetGroups}">Target groups</a>
                <a href="{Links.Rules}">Rules</a>
                <a href="{Links.Schedules}">Schedules</a>
                <span class="who">{signedInAs}</span>
                <form method="post" action="{Links.SignOut}" class="inline"><input type="hidden" name="_csrf" value="{csrf}"><button type="submit">Sign out</button></form>
                </nav></header>
                """);
        var script = csrf is null ? Markup.Empty : Markup.Raw("<script src=\"/console/assets/console.js\" defer></script>");
        var live = Markup.Raw((page.Live ? " data-live=\"1\"" : string.Empty) + (page.Follow ? " data-follow=\"1\"" : string.Empty));
        return Markup.Of($"""
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>{page.Title} · Berth</title>
            <link rel="stylesheet" href="/console/assets/console.css">
            {script}
            </head>
            <body>
            {nav}
            <main id="live"{live}>
            {page.Body}
            </main>
            </body>
            </html>
            """).Value;
    }
}
