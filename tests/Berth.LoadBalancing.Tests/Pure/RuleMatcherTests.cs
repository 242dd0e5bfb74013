using System.Net;
using Berth.LoadBalancing.Config;
using Berth.LoadBalancing.Rules;

namespace Berth.LoadBalancing.Tests.Pure;

public class RuleMatcherTests
{
    [Theory]
    [InlineData("/api/*", "/api/users", false, true)]
    [InlineData("/api/*", "/api", false, false)]
    [InlineData("/api*", "/api", false, true)]
    [InlineData("/img/*.png", "/img/a/b.png", false, true)]
    [InlineData("/img/*.png", "/img/a/b.jpg", false, false)]
    [InlineData("/v?/x", "/v1/x", false, true)]
    [InlineData("/v?/x", "/v10/x", false, false)]
    [InlineData("/API/*", "/api/x", false, false)]
    [InlineData("*.example.com", "WWW.Example.COM", true, true)]
    [InlineData("*.example.com", "example.com", true, false)]
    [InlineData("*", "", false, true)]
    [InlineData("a*b*c", "aXbYbZc", false, true)]
    [InlineData("a*b*c", "aXbYbZ", false, false)]
    [InlineData("**", "anything", false, true)]
    public void Wildcards_match_as_ALB(string pattern, string text, bool ignoreCase, bool expected) =>
        Assert.Equal(expected, Wildcard.IsMatch(pattern, text, ignoreCase));

    private static RequestFacts Request(string method = "GET", string host = "app.example.com", string path = "/", string? query = null, (string, string)[]? headers = null, string ip = "10.0.0.5") => new()
    {
        Method = method,
        Host = host,
        Path = path,
        Query = query is null ? [] : [.. query.Split('&').Select(p => p.Split('=')).Select(p => new KeyValuePair<string, string>(p[0], p.Length > 1 ? p[1] : ""))],
        Header = name => (headers ?? []).Where(h => string.Equals(h.Item1, name, StringComparison.OrdinalIgnoreCase)).Select(h => h.Item2),
        SourceIp = IPAddress.Parse(ip),
    };

    public static TheoryData<RuleCondition, RequestFacts, bool> Conditions => new()
    {
        { new PathPatternCondition(["/a/*", "/b"]), Request(path: "/b"), true },
        { new PathPatternCondition(["/a/*", "/b"]), Request(path: "/c"), false },
        { new HostHeaderCondition(["api.*"]), Request(host: "API.example.com"), true },
        { new HostHeaderCondition(["api.*"]), Request(host: "www.example.com"), false },
        { new HttpHeaderCondition("User-Agent", ["*Mobile*"]), Request(headers: [("user-agent", "x mobile y")]), true },
        { new HttpHeaderCondition("User-Agent", ["*Mobile*"]), Request(headers: [("accept", "Mobile")]), false },
        { new HttpRequestMethodCondition(["POST", "PUT"]), Request(method: "PUT"), true },
        { new HttpRequestMethodCondition(["POST"]), Request(method: "post"), false },
        { new QueryStringCondition([new QueryStringPair("version", "v1")]), Request(query: "a=b&version=V1"), true },
        { new QueryStringCondition([new QueryStringPair(null, "beta*")]), Request(query: "x=beta2"), true },
        { new QueryStringCondition([new QueryStringPair("version", "v1")]), Request(query: "version=v2"), false },
        { new QueryStringCondition([new QueryStringPair("version", "v1")]), Request(), false },
        { new SourceIpCondition([IPNetwork.Parse("10.0.0.0/24")]), Request(ip: "10.0.0.77"), true },
        { new SourceIpCondition([IPNetwork.Parse("10.0.0.0/24")]), Request(ip: "10.0.1.1"), false },
        { new SourceIpCondition([IPNetwork.Parse("127.0.0.0/8")]), Request(ip: "::ffff:127.0.0.1"), true },
    };

    [Theory]
    [MemberData(nameof(Conditions))]
    public void Conditions_match_any_of_their_values(RuleCondition condition, RequestFacts request, bool expected) =>
        Assert.Equal(expected, RuleMatcher.Matches(condition, request));

    [Fact]
    public void Rules_are_evaluated_by_priority_then_the_default_action()
    {
        var defaultAction = new FixedResponseAction(404);
        var api = ForwardAction.To("api");
        var apiV2 = ForwardAction.To("api-v2");
        var rules = RuleMatcher.ByPriority([
            new RuleConfig { Id = "r20", Priority = 20, Conditions = [new PathPatternCondition(["/api/*"])], Actions = [api] },
            new RuleConfig { Id = "r10", Priority = 10, Conditions = [new PathPatternCondition(["/api/*"]), new HttpHeaderCondition("X-Version", ["2"])], Actions = [apiV2] },
        ]);

        Assert.Same(apiV2, RuleMatcher.Evaluate(rules, [defaultAction], Request(path: "/api/x", headers: [("X-Version", "2")])));
        Assert.Same(api, RuleMatcher.Evaluate(rules, [defaultAction], Request(path: "/api/x")));
        Assert.Same(defaultAction, RuleMatcher.Evaluate(rules, [defaultAction], Request(path: "/other")));
    }
}
