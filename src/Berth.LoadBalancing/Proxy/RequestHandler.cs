using System.Globalization;
using System.Text;
using Berth.LoadBalancing.Config;
using Berth.LoadBalancing.Rules;
using Berth.LoadBalancing.Targets;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;
using Yarp.ReverseProxy.Forwarder;

namespace Berth.LoadBalancing.Proxy;

/// <summary>Serves one request on a listener: rule evaluation, then a fixed response, a redirect or a forward.</summary>
internal sealed class RequestHandler(IHttpForwarder forwarder, HttpMessageInvoker invoker, AlbTransformer transformer, TimeProvider time, LoadBalancerDataPlane plane)
{
    public const string StickyCookie = "AWSALB";
    public const string StickyCorsCookie = "AWSALBCORS";
    public const string GroupCookie = "AWSALBTG";
    public const string GroupCorsCookie = "AWSALBTGCORS";

    private static readonly Action<object?> s_abort = state => ((HttpContext)state!).Abort();

    public Task HandleAsync(HttpContext context, LoadBalancerDataPlane.Endpoint endpoint)
    {
        if (endpoint.Listener is not { } listener)
            return WriteErrorAsync(context, StatusCodes.Status503ServiceUnavailable);
        plane.CountRequest(listener.LoadBalancerId, null);
        var action = listener.Rules.Count == 0
            ? listener.DefaultActions[0]
            : RuleMatcher.Evaluate(listener.Rules, listener.DefaultActions, Facts(context));
        return action switch
        {
            ForwardAction forward => ForwardAsync(context, listener, forward),
            FixedResponseAction fixedResponse => WriteFixedAsync(context, fixedResponse),
            RedirectAction redirect => WriteRedirectAsync(context, listener, redirect),
            _ => WriteErrorAsync(context, StatusCodes.Status500InternalServerError),
        };
    }

    private async Task ForwardAsync(HttpContext context, ListenerRuntime listener, ForwardAction forward)
    {
        var group = ChooseGroup(context, forward, out var setGroupCookie);
        if (group is not null)
            plane.CountRequest(listener.LoadBalancerId, group.Id);
        var view = group?.View;
        if (group is null || view is null || view.Active.Length == 0)
        {
            await WriteErrorAsync(context, StatusCodes.Status503ServiceUnavailable);
            return;
        }
        var target = ChooseTarget(context, group, view);
        if (target is null)
        {
            await WriteErrorAsync(context, StatusCodes.Status503ServiceUnavailable);
            return;
        }

        var attributes = view.Config.Attributes;
        if (attributes.StickinessEnabled || setGroupCookie)
        {
            var expires = time.GetUtcNow();
            context.Features.Set(new StickyCookies(
                attributes.StickinessEnabled ? target.CookieValue : null,
                expires + attributes.StickinessDuration,
                setGroupCookie ? group.CookieValue : null,
                expires + (forward.StickinessDuration ?? TimeSpan.Zero)));
        }

        target.Begin();
        var registration = target.DrainDeadline.Token.UnsafeRegister(s_abort, context);
        try
        {
            var error = await forwarder.SendAsync(context, target.Destination, invoker, listener.RequestConfig, transformer);
            if (error != ForwarderError.None && !context.Response.HasStarted && !context.RequestAborted.IsCancellationRequested)
                await WriteErrorAsync(context, error == ForwarderError.RequestTimedOut ? StatusCodes.Status504GatewayTimeout : StatusCodes.Status502BadGateway);
        }
        finally
        {
            registration.Dispose();
            target.End();
        }
    }

    private TargetGroupRuntime? ChooseGroup(HttpContext context, ForwardAction forward, out bool setCookie)
    {
        setCookie = false;
        var groups = forward.TargetGroups;
        if (groups.Count == 1)
            return plane.Group(groups[0].TargetGroupId);
        var sticky = forward.StickinessDuration is { } duration && duration > TimeSpan.Zero;
        if (sticky)
        {
            setCookie = true;
            var cookie = context.Request.Cookies[GroupCookie] ?? context.Request.Cookies[GroupCorsCookie];
            if (cookie is not null)
            {
                foreach (var weighted in groups)
                {
                    if (weighted.Weight > 0 && plane.Group(weighted.TargetGroupId) is { } candidate && candidate.CookieValue == cookie)
                        return candidate;
                }
            }
        }
        var weights = new int[groups.Count];
        for (var i = 0; i < weights.Length; i++)
            weights[i] = groups[i].Weight;
        var index = TargetSelector.ChooseWeighted(weights, Random.Shared.NextDouble());
        return index < 0 ? null : plane.Group(groups[index].TargetGroupId);
    }

    private TargetRuntime? ChooseTarget(HttpContext context, TargetGroupRuntime group, TargetGroupView view)
    {
        var active = view.Active;
        var attributes = view.Config.Attributes;
        Span<TargetCandidate> candidates = active.Length <= 64 ? stackalloc TargetCandidate[active.Length] : new TargetCandidate[active.Length];
        Span<int> pool = active.Length <= 64 ? stackalloc int[active.Length] : new int[active.Length];
        var now = attributes.SlowStart > TimeSpan.Zero ? time.GetUtcNow() : default;
        for (var i = 0; i < active.Length; i++)
        {
            var target = active[i];
            candidates[i] = new TargetCandidate(target.Tracking.State, target.Outstanding, TargetSelector.SlowStartWeight(target.HealthySince, attributes.SlowStart, now));
        }
        var count = TargetSelector.Pool(candidates, pool);
        pool = pool[..count];

        if (attributes.StickinessEnabled)
        {
            var cookie = context.Request.Cookies[StickyCookie] ?? context.Request.Cookies[StickyCorsCookie];
            if (cookie is not null && view.ByCookie.TryGetValue(cookie, out var stuck))
            {
                var index = active.IndexOf(stuck);
                if (index >= 0 && pool.Contains(index))
                    return stuck;
            }
        }

        var chosen = TargetSelector.Choose(candidates, pool, attributes.Algorithm, group.NextSequence(), Random.Shared.NextDouble());
        return chosen < 0 ? null : active[chosen];
    }

    private static RequestFacts Facts(HttpContext context)
    {
        var request = context.Request;
        var query = new List<KeyValuePair<string, string>>();
        foreach (var (key, values) in request.Query)
        {
            foreach (var value in values)
                query.Add(new(key, value ?? ""));
        }
        return new RequestFacts
        {
            Method = request.Method,
            Host = request.Host.Host,
            Path = request.Path.HasValue ? request.Path.Value! : "/",
            Query = query,
            Header = name => request.Headers[name].Where(v => v is not null).Select(v => v!),
            SourceIp = context.Connection.RemoteIpAddress,
        };
    }

    private static Task WriteFixedAsync(HttpContext context, FixedResponseAction action)
    {
        var response = context.Response;
        response.StatusCode = action.StatusCode;
        response.Headers.Server = AlbResponses.Server;
        response.ContentType = action.ContentType ?? "text/plain; charset=utf-8";
        var body = Encoding.UTF8.GetBytes(action.Body ?? "");
        response.ContentLength = body.Length;
        return response.Body.WriteAsync(body).AsTask();
    }

    private static Task WriteRedirectAsync(HttpContext context, ListenerRuntime listener, RedirectAction action)
    {
        var request = context.Request;
        var source = new RedirectSource(
            request.Scheme,
            request.Host.Host,
            listener.Port,
            request.Path.HasValue ? request.Path.ToUriComponent() : "/",
            request.QueryString.HasValue ? request.QueryString.Value![1..] : "");
        context.Response.Headers.Location = RedirectExpander.Location(action, source);
        return WriteErrorAsync(context, action.StatusCode);
    }

    /// <summary>ALB's own response: its status and HTML page.</summary>
    public static Task WriteErrorAsync(HttpContext context, int statusCode)
    {
        var response = context.Response;
        response.StatusCode = statusCode;
        response.Headers.Server = AlbResponses.Server;
        response.ContentType = "text/html";
        var body = Encoding.UTF8.GetBytes(AlbResponses.ErrorBody(statusCode));
        response.ContentLength = body.Length;
        return response.Body.WriteAsync(body).AsTask();
    }

    /// <summary>The stickiness cookies to set on the forwarded response.</summary>
    internal sealed record StickyCookies(string? Target, DateTimeOffset TargetExpires, string? Group, DateTimeOffset GroupExpires)
    {
        public void AppendTo(IHeaderDictionary headers)
        {
            if (Target is not null)
                Append(headers, StickyCookie, StickyCorsCookie, Target, TargetExpires);
            if (Group is not null)
                Append(headers, GroupCookie, GroupCorsCookie, Group, GroupExpires);
        }

        private static void Append(IHeaderDictionary headers, string name, string corsName, string value, DateTimeOffset expires)
        {
            var expiry = expires.ToString("R", CultureInfo.InvariantCulture);
            headers.Append(HeaderNames.SetCookie, $"{name}={value}; Expires={expiry}; Path=/");
            headers.Append(HeaderNames.SetCookie, $"{corsName}={value}; Expires={expiry}; Path=/; SameSite=None; Secure");
        }
    }
}

/// <summary>Adds ALB's request headers and the stickiness cookies to what YARP copies.</summary>
internal sealed class AlbTransformer(TimeProvider time) : HttpTransformer
{
    private const string ForwardedFor = "X-Forwarded-For";
    private const string ForwardedProto = "X-Forwarded-Proto";
    private const string ForwardedPort = "X-Forwarded-Port";
    private const string TraceId = "X-Amzn-Trace-Id";

    public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
    {
        await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);
        var headers = proxyRequest.Headers;
        var request = httpContext.Request;
        // ALB passes the client's Host header through to the target.
        headers.Host = request.Host.Value;

        var client = httpContext.Connection.RemoteIpAddress;
        if (client is { IsIPv4MappedToIPv6: true })
            client = client.MapToIPv4();
        var clientText = client?.ToString() ?? "";
        var existing = request.Headers[ForwardedFor];
        headers.Remove(ForwardedFor);
        headers.TryAddWithoutValidation(ForwardedFor, existing.Count == 0 ? clientText : $"{string.Join(", ", existing.ToArray())}, {clientText}");
        headers.Remove(ForwardedProto);
        headers.TryAddWithoutValidation(ForwardedProto, request.Scheme);
        headers.Remove(ForwardedPort);
        headers.TryAddWithoutValidation(ForwardedPort, httpContext.Connection.LocalPort.ToString(CultureInfo.InvariantCulture));
        if (!request.Headers.ContainsKey(TraceId))
            headers.TryAddWithoutValidation(TraceId, AlbResponses.NewTraceId(time.GetUtcNow()));
    }

    public override async ValueTask<bool> TransformResponseAsync(HttpContext httpContext, HttpResponseMessage? proxyResponse, CancellationToken cancellationToken)
    {
        var copy = await base.TransformResponseAsync(httpContext, proxyResponse, cancellationToken);
        if (proxyResponse is not null && httpContext.Features.Get<RequestHandler.StickyCookies>() is { } cookies)
            cookies.AppendTo(httpContext.Response.Headers);
        return copy;
    }
}
