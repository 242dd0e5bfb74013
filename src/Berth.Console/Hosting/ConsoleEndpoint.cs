using System.Text;
using Berth.Ecs.State;
using Berth.Protocol.Auth;
using Berth.Protocol.Errors;
using Berth.Storage.Commit;
using Berth.WebConsole.Auth;
using Berth.WebConsole.Clusters;
using Berth.WebConsole.EventBridge;
using Berth.WebConsole.Html;
using Berth.WebConsole.LoadBalancers;
using Berth.WebConsole.Repositories;
using Berth.WebConsole.Services;
using Berth.WebConsole.TaskDefinitions;
using Berth.WebConsole.Tasks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace Berth.WebConsole.Hosting;

/// <summary>
/// Everything under <c>/console/</c>: sign-in, the pages, the actions and the change stream. Pages are rendered on the
/// server from one snapshot of the state per request; actions go through the API's operations; nothing here writes
/// the state itself.
/// </summary>
public sealed partial class ConsoleEndpoint : IDisposable
{
    /// <summary>The path prefix the server routes here.</summary>
    public const string PathPrefix = "/console";

    // A task definition's JSON is the largest thing a form carries; the API's own limit is 1 MiB.
    private const long MaxBodyBytes = 1024 * 1024;

    private const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

    private readonly ConsoleSources _sources;
    private readonly ConsoleSessions _sessions;
    private readonly ILogger _logger;
    private readonly Action<EcsState> _onCommitted;
    private readonly List<Action> _unfollow = [];
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Serves the console from <paramref name="sources"/>, signing in against <paramref name="credentials"/>.</summary>
    public ConsoleEndpoint(ConsoleSources sources, ICredentialStore credentials, byte[] sessionKey, ILogger logger)
    {
        _sources = sources;
        _sessions = new ConsoleSessions(credentials, sessionKey, sources.Time);
        _logger = logger;

        // The change stream follows the commit streams (coalesced by the pipelines) and the targets' health changes, not a poll.
        _onCommitted = _ => Signal();
        sources.Ecs.Committed += _onCommitted;

        // Rules, schedules, scaling and load balancers live in their own pipelines: their commits change pages too.
        Follow(sources.Events);
        Follow(sources.AutoScaling);
        if (sources.LoadBalancing is { } loadBalancing)
        {
            Follow(loadBalancing.Elb);
            if (loadBalancing.SubscribeHealthChanged?.Invoke(Signal) is { } unsubscribe)
            {
                _unfollow.Add(unsubscribe);
            }
        }
    }

    /// <summary>Ends the change streams (they would hold the server's drain open); set by the host to its stopping token.</summary>
    public CancellationToken Stopping { get; set; }

    /// <summary>The session handling (for tests and the host).</summary>
    public ConsoleSessions Sessions => _sessions;

    /// <summary>Whether the server should route <paramref name="path"/> here.</summary>
    public static bool Owns(string? path) => path is not null && (path == PathPrefix || path.StartsWith(PathPrefix + "/", StringComparison.Ordinal));

    /// <summary>Says where the console is, once at start.</summary>
    public static void Announce(ILogger logger, string serverUrl)
    {
        var url = serverUrl.TrimEnd('/') + Links.Root;
        LogConsoleUrl(logger, url);
    }

    /// <summary>Answers one request under <c>/console</c>.</summary>
    public async Task HandleAsync(HttpContext http)
    {
        var response = http.Response;
        response.Headers.ContentSecurityPolicy = ContentSecurityPolicy;
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers.XFrameOptions = "DENY";
        // Not no-referrer: under it Chromium sends "Origin: null" with the console's own form posts, which the origin
        // check below would refuse. same-origin still sends nothing to other sites.
        response.Headers["Referrer-Policy"] = "same-origin";
        response.Headers.CacheControl = "no-store";
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = MaxBodyBytes;
        }

        var segments = Segments(http);
        if (segments is null)
        {
            await WritePageAsync(http, Page.BadRequest("The address is not valid."), null);
            return;
        }

        if (http.Request.Path.Value == PathPrefix)
        {
            Redirect(http, Links.Root);
            return;
        }

        var method = http.Request.Method;
        if (segments is ["assets", var asset])
        {
            await Assets.WriteAsync(http, asset);
            return;
        }

        if (!HttpMethods.IsGet(method) && !HttpMethods.IsPost(method) && !HttpMethods.IsHead(method))
        {
            response.Headers.Allow = "GET, HEAD, POST";
            await WritePageAsync(http, new Page(405, "Method not allowed", Markup.Of($"<h1>Method not allowed</h1><p class=\"error\" role=\"alert\">{method} is not answered here.</p>")), null);
            return;
        }

        var post = HttpMethods.IsPost(method);
        if (post && !SameOrigin(http))
        {
            await WritePageAsync(http, Forbidden("The form came from another site."), null);
            return;
        }

        ConsoleSession? session = null;
        try
        {
            if (segments is ["sign-in"])
            {
                await SignInAsync(http, post);
                return;
            }

            if (segments is ["sign-in", "link"] && !post)
            {
                await SignInWithLinkAsync(http);
                return;
            }

            session = _sessions.Decode(http.Request.Cookies[ConsoleSessions.CookieName]);
            if (session is null)
            {
                if (post || segments is ["live"])
                {
                    await WritePageAsync(http, new Page(401, "Sign in", Markup.Of($"<h1>Signed out</h1><p class=\"error\" role=\"alert\">Sign in first.</p><p><a href=\"{Links.SignIn}\">Sign in</a></p>")), null);
                }
                else
                {
                    Redirect(http, Links.SignIn + "?next=" + Uri.EscapeDataString(SignInPage.SafeNext(http.Request.Path.Value + http.Request.QueryString.Value)));
                }

                return;
            }

            var form = post ? await ReadFormAsync(http) : new Dictionary<string, string>(StringComparer.Ordinal);
            if (post && !_sessions.CheckCsrf(session, form.GetValueOrDefault("_csrf")))
            {
                await WritePageAsync(http, Forbidden("The form's token is missing or belongs to another session: reload the page and try again."), session);
                return;
            }

            if (segments is ["sign-out"] && post)
            {
                response.Cookies.Delete(ConsoleSessions.CookieName, CookieOptions(DateTimeOffset.UnixEpoch));
                Redirect(http, Links.SignIn);
                return;
            }

            if (segments is ["live"])
            {
                await LiveAsync(http);
                return;
            }

            var request = new ConsoleRequest(segments, method, form, session, http.RequestAborted) { Query = QueryOf(http) };
            var page = await RouteAsync(request);
            await WritePageAsync(http, page, session);
        }
        catch (AwsException ex) when (ex.StatusCode < 500)
        {
            // The API's own refusal of what was asked: a client error, shown as the API words it.
            await WritePageAsync(http, ex.ErrorType.Contains("NotFound", StringComparison.Ordinal) ? Page.NotFound(ex.Message) : Page.BadRequest($"{ex.ErrorType}: {ex.Message}"), session);
        }
        catch (BadHttpRequestException ex)
        {
            await WritePageAsync(http, new Page(ex.StatusCode, "Bad request", Markup.Of($"<h1>Bad request</h1><p class=\"error\" role=\"alert\">{ex.Message}</p>")), null);
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested || Stopping.IsCancellationRequested)
        {
        }
        catch (Exception ex) when (!response.HasStarted)
        {
            LogPageFailed(_logger, http.Request.Path.Value ?? string.Empty, ex);
            await WritePageAsync(http, new Page(500, "Error", Markup.Of($"<h1>Something went wrong</h1><p class=\"error\" role=\"alert\">The server could not render this page; its log says why.</p>")), null);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _sources.Ecs.Committed -= _onCommitted;
        foreach (var unfollow in _unfollow)
        {
            unfollow();
        }
    }

    /// <summary>
    /// Tells the open live pages that something they show changed outside the pipelines they follow (a metric period
    /// ended: a service's utilization chart has a new point); they refetch themselves.
    /// </summary>
    public void Changed() => Signal();

    // Wakes the change streams: a new round waits on a new task.
    private void Signal() => Interlocked.Exchange(ref _changed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    // Signals the change stream after each commit of another pipeline than ECS's, as the ECS commits do.
    private void Follow<TState>(CommitPipeline<TState>? pipeline)
        where TState : class
    {
        if (pipeline is null)
        {
            return;
        }

        Action<TState> handler = _ => Signal();
        pipeline.Committed += handler;
        _unfollow.Add(() => pipeline.Committed -= handler);
    }

    private async Task<Page> RouteAsync(ConsoleRequest request)
    {
        var state = _sources.Ecs.Current;
        var scope = _sources.Scope;
        return (request.Segments, request.IsPost) switch
        {
            ([] or ["clusters"], false) => ClustersPage.Render(state, scope, request.Query),
            (["clusters", var cluster], false) => ClusterPage.Render(state, scope, cluster, request.Query),
            (["clusters", var cluster, "services", var service], false) => ServicePage.Render(state, scope, cluster, service, _sessions.CsrfToken(request.Session), extras: ServiceExtras.Of(_sources), loadBalancing: LoadBalancingView.Of(_sources), query: request.Query),
            (["clusters", var cluster, "services", var service, "update"], true) => await ServicePage.UpdateAsync(_sources, request, cluster, service, _sessions.CsrfToken(request.Session)),
            (["clusters", var cluster, "tasks", var task], false) => TaskPage.Render(state, scope, cluster, task, _sources.Logs, _sessions.CsrfToken(request.Session)),
            (["clusters", var cluster, "tasks", var task, "stop"], true) => await TaskPage.StopAsync(_sources, request, cluster, task),
            (["task-definitions"], false) => TaskDefinitionsPage.Families(state, scope, request.Query),
            (["task-definitions", var family], false) => TaskDefinitionsPage.Revisions(state, scope, family, request.Query),
            (["task-definitions", var family, var revision], false) => TaskDefinitionsPage.Revision(state, scope, family, revision, _sessions.CsrfToken(request.Session)),
            (["task-definitions", var family, var revision, "register"], true) => await TaskDefinitionsPage.RegisterAsync(_sources, request, family, revision, _sessions.CsrfToken(request.Session)),
            (["task-definitions", var family, var revision, "deregister"], true) => await TaskDefinitionsPage.DeregisterAsync(_sources, request, family, revision),
            (["repositories"], false) => RepositoriesPage.List(_sources, request.Query),
            (["repositories", var name], false) => RepositoriesPage.Repository(_sources, name, _sessions.CsrfToken(request.Session), query: request.Query),
            (["repositories", var name, "images", var digest, "delete"], true) => await RepositoriesPage.DeleteImageAsync(_sources, request, name, digest, _sessions.CsrfToken(request.Session)),
            (["rules"], false) => WithEvents(e => RulesPage.List(e, scope.Region, _sources.EventsRateMinute, request.Query)),
            (["rules", var rule], false) => WithEvents(e => RulesPage.Rule(e, scope.Region, "default", rule, _sources.Metrics, _sources.Time.GetUtcNow(), _sources.EventsRateMinute)),
            (["buses", var bus, "rules", var rule], false) => WithEvents(e => RulesPage.Rule(e, scope.Region, bus, rule, _sources.Metrics, _sources.Time.GetUtcNow(), _sources.EventsRateMinute)),
            (["schedules"], false) => WithEvents(e => SchedulesPage.List(e, scope.Region, _sources.EventsRateMinute, request.Query)),
            (["schedules", var group, var name], false) => WithEvents(e => SchedulesPage.Schedule(e, scope.Region, group, name, _sources.Metrics, _sources.Time.GetUtcNow(), _sources.EventsRateMinute)),
            (["load-balancers"], false) => LoadBalancersPage.List(LoadBalancingView.Of(_sources), scope.Region, request.Query),
            (["load-balancers", var name], false) => LoadBalancersPage.LoadBalancer(LoadBalancingView.Of(_sources), scope.Region, name),
            (["target-groups"], false) => TargetGroupsPage.List(LoadBalancingView.Of(_sources), scope.Region, request.Query),
            (["target-groups", var name], false) => TargetGroupsPage.TargetGroup(LoadBalancingView.Of(_sources), scope.Region, name),
            (_, true) => new Page(405, "Method not allowed", Markup.Of($"<h1>Method not allowed</h1><p class=\"error\" role=\"alert\">Nothing here takes a form.</p>")),
            _ => Page.NotFound("There is no console page at this address."),
        };
    }

    private Page WithEvents(Func<Berth.Events.State.EventsState, Page> render) =>
        _sources.Events is { } events ? render(events.Current) : Page.NotFound("EventBridge is not available on this server.");

    private async Task SignInAsync(HttpContext http, bool post)
    {
        if (!post)
        {
            await WritePageAsync(http, SignInPage.Render(null, SignInPage.SafeNext(http.Request.Query["next"])), null);
            return;
        }

        var form = await ReadFormAsync(http);
        var next = SignInPage.SafeNext(form.GetValueOrDefault("next"));
        var accessKeyId = form.GetValueOrDefault("accessKeyId");
        var session = _sessions.SignIn(accessKeyId, form.GetValueOrDefault("secretAccessKey"));
        if (session is null)
        {
            // One answer for an unknown key and a wrong secret: the form does not tell which keys exist.
            LogSignInRefused(_logger, accessKeyId ?? string.Empty);
            await WritePageAsync(http, SignInPage.Render("The access key ID or the secret access key is not right.", next, accessKeyId, 401), null);
            return;
        }

        LogSignedIn(_logger, session.AccessKeyId);
        http.Response.Cookies.Append(ConsoleSessions.CookieName, _sessions.Encode(session), CookieOptions(session.ExpiresAt));
        Redirect(http, next);
    }

    // `./berth console`'s one-time link: the token is in this URL only, and the redirect leaves it behind.
    private async Task SignInWithLinkAsync(HttpContext http)
    {
        var session = _sessions.RedeemLink(http.Request.Query["token"]);
        if (session is null)
        {
            LogSignInRefused(_logger, "(sign-in link)");
            await WritePageAsync(http, SignInPage.Render("The sign-in link is not valid: it was used already, it expired, or its key is gone. Run ./berth console again, or sign in here.", Links.Root, null, 401), null);
            return;
        }

        LogSignedIn(_logger, session.AccessKeyId);
        http.Response.Cookies.Append(ConsoleSessions.CookieName, _sessions.Encode(session), CookieOptions(session.ExpiresAt));
        Redirect(http, Links.Root);
    }

    // The server speaks plain HTTP (loopback by default), so the cookie cannot be Secure; SameSite=Strict keeps other
    // sites' requests from carrying it, and the form token covers the rest.
    private static CookieOptions CookieOptions(DateTimeOffset expires) => new()
    {
        HttpOnly = true,
        SameSite = SameSiteMode.Strict,
        Path = Links.Root,
        Expires = expires,
        IsEssential = true,
    };

    // Server-sent events: "changed" after commits to the pipelines the console follows, changes of targets' health and
    // each metric period's end (Changed), at most one a second; a comment every 20 s keeps the connection open through proxies. The page refetches itself on each.
    private async Task LiveAsync(HttpContext http)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, Stopping);
        var response = http.Response;
        response.ContentType = "text/event-stream";
        http.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        await response.WriteAsync("retry: 2000\n\n", stop.Token);
        await response.Body.FlushAsync(stop.Token);
        try
        {
            // Taken before each event is sent: a commit made while the event is on its way or during the pause after it
            // completes this one, so the next round sends again at once instead of missing it.
            var changed = Volatile.Read(ref _changed).Task;
            while (!stop.IsCancellationRequested)
            {
                // Cancelled when a change comes first, so no timer outlives its round.
                using var round = CancellationTokenSource.CreateLinkedTokenSource(stop.Token);
                var beat = Task.Delay(TimeSpan.FromSeconds(20), _sources.Time, round.Token);
                if (await Task.WhenAny(changed, beat) == changed)
                {
                    await round.CancelAsync();
                    changed = Volatile.Read(ref _changed).Task;
                    await response.WriteAsync("event: changed\ndata: state\n\n", stop.Token);
                    await response.Body.FlushAsync(stop.Token);
                    await Task.Delay(TimeSpan.FromSeconds(1), _sources.Time, stop.Token);
                }
                else
                {
                    await beat;
                    await response.WriteAsync(": keep-alive\n\n", stop.Token);
                    await response.Body.FlushAsync(stop.Token);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task WritePageAsync(HttpContext http, Page page, ConsoleSession? session)
    {
        if (page.RedirectTo is { } location)
        {
            Redirect(http, location);
            return;
        }

        http.Response.StatusCode = page.Status;
        http.Response.ContentType = "text/html; charset=utf-8";
        var csrf = session is null ? null : _sessions.CsrfToken(session);
        var document = Encoding.UTF8.GetBytes(Layout.Render(page, csrf, session?.AccessKeyId));
        http.Response.ContentLength = document.Length;
        if (!HttpMethods.IsHead(http.Request.Method))
        {
            await http.Response.Body.WriteAsync(document, http.RequestAborted);
        }
    }

    private static void Redirect(HttpContext http, string location)
    {
        http.Response.StatusCode = 303;
        http.Response.Headers.Location = location;
    }

    private static Page Forbidden(string reason) => new(403, "Forbidden", Markup.Of($"<h1>Forbidden</h1><p class=\"error\" role=\"alert\">{reason}</p>"));

    // A browser names the page a form came from; one that names another origin is refused (SameSite already keeps the
    // cookie off such requests, and the form token would be missing: this answers them before reading the body).
    private static bool SameOrigin(HttpContext http)
    {
        var origin = http.Request.Headers.Origin.ToString();
        if (origin.Length == 0)
        {
            return true;
        }

        return Uri.TryCreate(origin, UriKind.Absolute, out var uri) && string.Equals(uri.Authority, http.Request.Host.Value, StringComparison.OrdinalIgnoreCase);
    }

    private static Dictionary<string, string> QueryOf(HttpContext http)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in http.Request.Query)
        {
            if (value.Count > 0 && value[^1] is { } last)
            {
                values[name] = last;
            }
        }

        return values;
    }

    private static async Task<Dictionary<string, string>> ReadFormAsync(HttpContext http)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!http.Request.HasFormContentType)
        {
            return values;
        }

        var form = await http.Request.ReadFormAsync(http.RequestAborted);
        foreach (var (name, value) in form)
        {
            values[name] = value.ToString();
        }

        return values;
    }

    // The path below /console/, from the raw target so an escaped slash inside a name (a repository's) stays in its
    // segment. Null when a segment does not unescape.
    private static List<string>? Segments(HttpContext http)
    {
        var raw = http.Features.Get<IHttpRequestFeature>()?.RawTarget ?? http.Request.Path.Value ?? string.Empty;
        var query = raw.IndexOf('?', StringComparison.Ordinal);
        var path = query >= 0 ? raw[..query] : raw;
        if (!path.StartsWith(PathPrefix, StringComparison.Ordinal))
        {
            return null;
        }

        var segments = new List<string>();
        foreach (var part in path[PathPrefix.Length..].Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            string value;
            try
            {
                value = Uri.UnescapeDataString(part);
            }
            catch (UriFormatException)
            {
                return null;
            }

            if (value.Any(char.IsControl))
            {
                return null;
            }

            segments.Add(value);
        }

        return segments;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Berth console on {Url}")]
    private static partial void LogConsoleUrl(ILogger logger, string url);

    [LoggerMessage(Level = LogLevel.Information, Message = "Console: {AccessKeyId} signed in")]
    private static partial void LogSignedIn(ILogger logger, string accessKeyId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Console: sign-in refused for access key {AccessKeyId}")]
    private static partial void LogSignInRefused(ILogger logger, string accessKeyId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Console: rendering {Path} failed")]
    private static partial void LogPageFailed(ILogger logger, string path, Exception exception);
}
