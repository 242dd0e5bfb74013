using Berth.LoadBalancing.Config;
using Berth.LoadBalancing.Proxy;
using Berth.LoadBalancing.Rules;

namespace Berth.LoadBalancing.Tests.Pure;

public class RedirectExpanderTests
{
    private static readonly RedirectSource Source = new("http", "app.example.com", 8080, "/shop/cart", "id=7&x=y");

    public static TheoryData<RedirectAction, string> Cases => new()
    {
        { new RedirectAction(), "http://app.example.com:8080/shop/cart?id=7&x=y" },
        { new RedirectAction { Protocol = "HTTPS", Port = "443" }, "https://app.example.com/shop/cart?id=7&x=y" },
        { new RedirectAction { Protocol = "HTTPS", Port = "8443" }, "https://app.example.com:8443/shop/cart?id=7&x=y" },
        { new RedirectAction { Port = "80" }, "http://app.example.com/shop/cart?id=7&x=y" },
        { new RedirectAction { Host = "new.#{host}", Path = "/v2/#{path}", Query = "" }, "http://new.app.example.com:8080/v2/shop/cart" },
        { new RedirectAction { Query = "from=#{protocol}-#{port}&#{query}" }, "http://app.example.com:8080/shop/cart?from=http-8080&id=7&x=y" },
        { new RedirectAction { Path = "moved" }, "http://app.example.com:8080/moved?id=7&x=y" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Tokens_expand_as_ALB(RedirectAction action, string expected) =>
        Assert.Equal(expected, RedirectExpander.Location(action, Source));

    [Fact]
    public void Error_bodies_are_ALB_s()
    {
        Assert.Equal(
            "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n",
            AlbResponses.ErrorBody(502));
        Assert.Contains("503 Service Temporarily Unavailable", AlbResponses.ErrorBody(503), StringComparison.Ordinal);
        Assert.Contains("504 Gateway Time-out", AlbResponses.ErrorBody(504), StringComparison.Ordinal);
    }

    [Fact]
    public void Trace_ids_have_ALB_s_root_format()
    {
        var id = AlbResponses.NewTraceId(DateTimeOffset.FromUnixTimeSeconds(0x5759e988));
        Assert.Matches("^Root=1-5759e988-[0-9a-f]{24}$", id);
    }
}
