using System.Text;
using Berth.Protocol.Errors;
using Berth.Protocol.Query;

namespace Berth.Protocol.Tests.Query;

/// <summary>The generic query-protocol pieces: form decoding, typed member reading, XML writing and errors.</summary>
public sealed class QueryCodecTests
{
    private static QueryReader Reader(string body) => new(QueryForm.Parse(Encoding.UTF8.GetBytes(body)));

    [Fact]
    public void The_form_decodes_plus_percent_escapes_and_utf8()
    {
        var form = QueryForm.Parse("Action=AddTags&Tags.member.1.Value=a+b%26c%3D%C3%A9&Empty=&Flag"u8);
        Assert.Equal("AddTags", form["Action"]);
        Assert.Equal("a b&c=é", form["Tags.member.1.Value"]);
        Assert.Equal(string.Empty, form["Empty"]);
        Assert.Equal(string.Empty, form["Flag"]);
    }

    [Theory]
    [InlineData("Name=%zz")]
    [InlineData("Name=%4")]
    [InlineData("Name=%C3")]
    public void A_malformed_escape_is_MalformedQueryString(string body)
    {
        var ex = Assert.Throws<AwsException>(() => QueryForm.Parse(Encoding.UTF8.GetBytes(body)));
        Assert.Equal("MalformedQueryString", ex.ErrorType);
        Assert.Equal(400, ex.StatusCode);
    }

    [Fact]
    public void Lists_read_members_from_one_while_present_and_an_empty_key_is_an_empty_list()
    {
        var reader = Reader("Names.member.1=a&Names.member.2=b&Names.member.4=d&Keys=");
        Assert.Equal(["a", "b"], reader.List("Names", "member", static (r, k) => r.String(k)!));
        Assert.Empty(reader.List("Keys", "member", static (r, k) => r.String(k)!)!);
        Assert.Null(reader.List("Other", "member", static (r, k) => r.String(k)!));
    }

    [Fact]
    public void Maps_read_entries_with_key_and_value()
    {
        var reader = Reader("P.entry.1.key=a&P.entry.1.value=1&P.entry.2.key=b&P.entry.2.value=2");
        var map = reader.Map("P", "key", "value", static (r, k) => r.String(k)!)!;
        Assert.Equal("1", map["a"]);
        Assert.Equal("2", map["b"]);
    }

    [Fact]
    public void Structures_are_present_when_any_member_is()
    {
        var reader = Reader("Conditions.member.1.PathPatternConfig.Values.member.1=%2Fapi");
        Assert.True(reader.Has("Conditions.member.1.PathPatternConfig"));
        Assert.False(reader.Has("Conditions.member.1.HostHeaderConfig"));
        Assert.Equal("/api", reader.String("Conditions.member.1.PathPatternConfig.Values.member.1"));
    }

    [Theory]
    [InlineData("Port=eighty", "Port")]
    [InlineData("Enabled=yes", "Enabled")]
    public void A_value_of_the_wrong_type_is_a_ValidationError(string body, string key)
    {
        var reader = Reader(body);
        var ex = Assert.Throws<AwsException>(() => key == "Port" ? reader.Int(key) : (object?)reader.Bool(key));
        Assert.Equal("ValidationError", ex.ErrorType);
        Assert.Contains(key.ToLowerInvariant(), ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("At=253402300800")]
    [InlineData("At=1e300")]
    [InlineData("At=-1e300")]
    [InlineData("At=1e400")]
    [InlineData("At=NaN")]
    [InlineData("At=10000-01-01T00:00:00Z")]
    [InlineData("Ratio=NaN")]
    [InlineData("Ratio=Infinity")]
    [InlineData("Ratio=1e400")]
    public void A_timestamp_no_clock_holds_or_a_number_that_is_not_finite_is_a_ValidationError(string body)
    {
        var reader = Reader(body);
        var ex = Assert.Throws<AwsException>(() => body.StartsWith("At", StringComparison.Ordinal) ? reader.Timestamp("At") : (object?)reader.Double("Ratio"));
        Assert.Equal(("ValidationError", 400), (ex.ErrorType, ex.StatusCode));
    }

    [Fact]
    public void Typed_members_read_as_botocore_writes_them()
    {
        var reader = Reader("Port=8080&Enabled=true&Weight=-3&When=2024-01-02T03%3A04%3A05Z");
        Assert.Equal(8080, reader.Int("Port"));
        Assert.True(reader.Bool("Enabled"));
        Assert.Equal(-3, reader.Int("Weight"));
        Assert.Equal(new DateTimeOffset(2024, 1, 2, 3, 4, 5, TimeSpan.Zero), reader.Timestamp("When"));
    }

    [Fact]
    public void A_missing_required_member_is_a_ValidationError_naming_it()
    {
        var ex = Assert.Throws<AwsException>(() => Reader("Action=X").Require(null, "Targets.member.1.Id"));
        Assert.Equal("ValidationError", ex.ErrorType);
        Assert.Equal("1 validation error detected: Value null at 'targets.1.id' failed to satisfy constraint: Member must not be null", ex.Message);
    }

    [Fact]
    public void Errors_are_an_ErrorResponse_with_type_code_message_and_request_id()
    {
        var xml = Encoding.UTF8.GetString(QueryXmlWriter.Error("urn:x", "PriorityInUse", "Priority '5' <in use>", "rid", senderFault: true));
        Assert.Contains("<ErrorResponse xmlns=\"urn:x\"><Error><Type>Sender</Type><Code>PriorityInUse</Code><Message>Priority '5' &lt;in use&gt;</Message></Error><RequestId>rid</RequestId></ErrorResponse>", xml, StringComparison.Ordinal);
    }

    [Fact]
    public void Writer_leaves_out_absent_members_and_escapes_text()
    {
        var writer = new QueryXmlWriter();
        writer.Start("A");
        writer.String("S", "x & \"y\"\r");
        writer.String("Absent", null);
        writer.Int("I", 5);
        writer.Bool("B", false);
        writer.Timestamp("T", new DateTimeOffset(2024, 1, 2, 3, 4, 5, TimeSpan.Zero));
        writer.End();
        Assert.Equal("<A><S>x &amp; &quot;y&quot;&#xD;</S><I>5</I><B>false</B><T>2024-01-02T03:04:05.000Z</T></A>", writer.ToString());
    }

    [Fact]
    public void The_table_refuses_a_missing_or_unknown_action_and_another_version()
    {
        var table = new QueryDispatchTable();
        table.Freeze();
        var service = new QueryService("svc", "2015-12-01", "urn:x");
        var context = new Berth.Protocol.Dispatch.RequestContext("us-east-1", "000000000000", "arn:aws:iam::000000000000:root", "rid");

        var missing = Assert.Throws<AwsException>(() => table.InvokeAsync(service, context, new Dictionary<string, string>()).AsTask().GetAwaiter().GetResult());
        Assert.Equal("MissingAction", missing.ErrorType);
        var unknown = Assert.Throws<AwsException>(() => table.InvokeAsync(service, context, new Dictionary<string, string> { ["Action"] = "Nope", ["Version"] = "2015-12-01" }).AsTask().GetAwaiter().GetResult());
        Assert.Equal("InvalidAction", unknown.ErrorType);
        Assert.Equal("Could not find operation Nope for version 2015-12-01", unknown.Message);
        var version = Assert.Throws<AwsException>(() => table.InvokeAsync(service, context, new Dictionary<string, string> { ["Action"] = "Nope", ["Version"] = "2012-06-01" }).AsTask().GetAwaiter().GetResult());
        Assert.Equal("InvalidAction", version.ErrorType);
    }
}
