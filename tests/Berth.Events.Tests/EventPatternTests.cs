using Berth.Events.Patterns;

namespace Berth.Events.Tests;

/// <summary>Event patterns against the examples of AWS's "Event patterns" and "Content filtering" documentation.</summary>
public sealed class EventPatternTests
{
    // AWS's example event for content filtering (an EC2 state change with extra detail fields).
    private const string Ec2Event = """
        {
          "version": "0",
          "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
          "detail-type": "EC2 Instance State-change Notification",
          "source": "aws.ec2",
          "account": "111122223333",
          "time": "2017-12-22T18:43:48Z",
          "region": "us-west-1",
          "resources": ["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"],
          "detail": {
            "instance-id": "i-1234567890abcdef0",
            "state": "terminated",
            "c-count": 5,
            "d-count": 3,
            "x-limit": 301.8,
            "source-ip": "10.0.0.123",
            "FileName": "image.png",
            "name": "ALICE",
            "responseElements": null,
            "eventVersion": "",
            "location": {"building": "A", "floor": 3},
            "tags": ["prod", "web"],
            "items": [{"kind": "disk", "size": 10}, {"kind": "nic", "size": 1}]
          }
        }
        """;

    [Theory]
    // Exact values and the envelope.
    [InlineData("""{"source": ["aws.ec2"]}""", true)]
    [InlineData("""{"source": ["aws.ec2", "aws.fargate"]}""", true)]
    [InlineData("""{"source": ["aws.s3"]}""", false)]
    [InlineData("""{"source": ["AWS.EC2"]}""", false)]
    [InlineData("""{"source": ["aws.ec2"], "detail-type": ["EC2 Instance State-change Notification"], "detail": {"state": ["terminated"]}}""", true)]
    [InlineData("""{"source": ["aws.ec2"], "detail": {"state": ["running"]}}""", false)]
    [InlineData("""{"detail": {"c-count": [5]}}""", true)]
    [InlineData("""{"detail": {"c-count": [5.0]}}""", true)]
    [InlineData("""{"detail": {"c-count": ["5"]}}""", false)]
    [InlineData("""{"detail": {"location": {"floor": [3]}}}""", true)]
    [InlineData("""{"detail": {"location": {"building": ["B"]}}}""", false)]
    [InlineData("""{"detail": {"missing": {"x": ["y"]}}}""", false)]
    [InlineData("""{}""", true)]
    // Null and empty string.
    [InlineData("""{"detail": {"responseElements": [null]}}""", true)]
    [InlineData("""{"detail": {"eventVersion": [""]}}""", true)]
    [InlineData("""{"detail": {"state": [null]}}""", false)]
    // Arrays: a match when any element matches.
    [InlineData("""{"resources": ["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0", "arn:aws:ec2:us-west-1:123456789012:instance/i-other"]}""", true)]
    [InlineData("""{"resources": ["arn:aws:ec2:us-west-1:123456789012:instance/i-other"]}""", false)]
    [InlineData("""{"detail": {"tags": ["web"]}}""", true)]
    [InlineData("""{"detail": {"items": {"kind": ["nic"]}}}""", true)]
    [InlineData("""{"detail": {"items": {"kind": ["gpu"]}}}""", false)]
    // Prefix and suffix, also ignoring case.
    [InlineData("""{"time": [{"prefix": "2017-12-22"}]}""", true)]
    [InlineData("""{"time": [{"prefix": "2017-12-23"}]}""", false)]
    [InlineData("""{"detail": {"name": [{"prefix": {"equals-ignore-case": "ali"}}]}}""", true)]
    [InlineData("""{"detail": {"name": [{"prefix": "ali"}]}}""", false)]
    [InlineData("""{"detail": {"FileName": [{"suffix": ".png"}]}}""", true)]
    [InlineData("""{"detail": {"FileName": [{"suffix": {"equals-ignore-case": ".PNG"}}]}}""", true)]
    [InlineData("""{"detail": {"FileName": [{"suffix": ".PNG"}]}}""", false)]
    // Anything-but: values, lists, prefix, suffix, ignoring case, wildcard.
    [InlineData("""{"detail": {"state": [{"anything-but": "initializing"}]}}""", true)]
    [InlineData("""{"detail": {"state": [{"anything-but": "terminated"}]}}""", false)]
    [InlineData("""{"detail": {"c-count": [{"anything-but": 123}]}}""", true)]
    [InlineData("""{"detail": {"c-count": [{"anything-but": 5}]}}""", false)]
    [InlineData("""{"detail": {"state": [{"anything-but": ["stopped", "overloaded"]}]}}""", true)]
    [InlineData("""{"detail": {"state": [{"anything-but": ["stopped", "terminated"]}]}}""", false)]
    [InlineData("""{"detail": {"state": [{"anything-but": {"prefix": "init"}}]}}""", true)]
    [InlineData("""{"detail": {"state": [{"anything-but": {"prefix": "term"}}]}}""", false)]
    [InlineData("""{"detail": {"FileName": [{"anything-but": {"suffix": ".txt"}}]}}""", true)]
    [InlineData("""{"detail": {"FileName": [{"anything-but": {"suffix": ".png"}}]}}""", false)]
    [InlineData("""{"detail": {"state": [{"anything-but": {"equals-ignore-case": ["Stopped", "OverLoaded"]}}]}}""", true)]
    [InlineData("""{"detail": {"state": [{"anything-but": {"equals-ignore-case": ["Stopped", "TERMINATED"]}}]}}""", false)]
    [InlineData("""{"detail": {"FileName": [{"anything-but": {"wildcard": "*.txt"}}]}}""", true)]
    [InlineData("""{"detail": {"FileName": [{"anything-but": {"wildcard": "image.*"}}]}}""", false)]
    [InlineData("""{"detail": {"absent": [{"anything-but": "x"}]}}""", false)]
    // Numeric ranges (AWS's example: all three match).
    [InlineData("""{"detail": {"c-count": [{"numeric": [">", 0, "<=", 5]}], "d-count": [{"numeric": ["<", 10]}], "x-limit": [{"numeric": ["=", 3.018e2]}]}}""", true)]
    [InlineData("""{"detail": {"c-count": [{"numeric": [">", 5]}]}}""", false)]
    [InlineData("""{"detail": {"c-count": [{"numeric": [">=", 5]}]}}""", true)]
    [InlineData("""{"detail": {"c-count": [{"numeric": [">", 0, "<", 5]}]}}""", false)]
    [InlineData("""{"detail": {"state": [{"numeric": [">", 0]}]}}""", false)]
    // IP address ranges.
    [InlineData("""{"detail": {"source-ip": [{"cidr": "10.0.0.0/24"}]}}""", true)]
    [InlineData("""{"detail": {"source-ip": [{"cidr": "10.0.1.0/24"}]}}""", false)]
    // Exists (leaves only).
    [InlineData("""{"detail": {"c-count": [{"exists": true}]}}""", true)]
    [InlineData("""{"detail": {"c-count": [{"exists": false}]}}""", false)]
    [InlineData("""{"detail": {"no-such": [{"exists": false}]}}""", true)]
    [InlineData("""{"detail": {"no-such": [{"exists": true}]}}""", false)]
    [InlineData("""{"detail": {"location": [{"exists": true}]}}""", false)]
    [InlineData("""{"nothing": {"below": [{"exists": false}]}}""", true)]
    // Equals-ignore-case and wildcards.
    [InlineData("""{"detail-type": [{"equals-ignore-case": "ec2 instance state-change notification"}]}""", true)]
    [InlineData("""{"detail-type": [{"equals-ignore-case": "ec2 instance state-change"}]}""", false)]
    [InlineData("""{"resources": [{"wildcard": "arn:aws:ec2:us-west-1:*:instance/*"}]}""", true)]
    [InlineData("""{"resources": [{"wildcard": "arn:aws:ec2:us-east-1:*:instance/*"}]}""", false)]
    [InlineData("""{"detail": {"FileName": [{"wildcard": "*.png"}]}}""", true)]
    [InlineData("""{"detail": {"FileName": [{"wildcard": "image\\*png"}]}}""", false)]
    // $or: any alternative.
    [InlineData("""{"detail": {"$or": [{"c-count": [{"numeric": [">", 0, "<=", 5]}]}, {"d-count": [{"numeric": ["<", 10]}]}, {"x-limit": [{"numeric": ["=", 3.018e2]}]}]}}""", true)]
    [InlineData("""{"source": ["aws.ec2"], "$or": [{"detail-type": ["Nope"]}, {"region": ["us-west-1"]}]}""", true)]
    [InlineData("""{"source": ["aws.ec2"], "$or": [{"detail-type": ["Nope"]}, {"region": ["us-east-1"]}]}""", false)]
    [InlineData("""{"source": ["aws.s3"], "$or": [{"detail-type": ["Nope"]}, {"region": ["us-west-1"]}]}""", false)]
    // Several matchers in a leaf: any of them.
    [InlineData("""{"detail": {"state": [{"prefix": "run"}, "terminated"]}}""", true)]
    public void Matches_as_AWS_documents(string pattern, bool expected) =>
        Assert.Equal(expected, EventPattern.Parse(pattern).Matches(Ec2Event));

    [Theory]
    [InlineData("""["aws.ec2"]""")]
    [InlineData("""not json""")]
    [InlineData("""{"source": "aws.ec2"}""")]
    [InlineData("""{"source": 5}""")]
    [InlineData("""{"source": []}""")]
    [InlineData("""{"source": [["aws.ec2"]]}""")]
    [InlineData("""{"source": [{"bogus": "x"}]}""")]
    [InlineData("""{"source": [{"prefix": 5}]}""")]
    [InlineData("""{"source": [{"prefix": "a", "suffix": "b"}]}""")]
    [InlineData("""{"source": [{"exists": "yes"}]}""")]
    [InlineData("""{"n": [{"numeric": [">"]}]}""")]
    [InlineData("""{"n": [{"numeric": [">", "5"]}]}""")]
    [InlineData("""{"n": [{"numeric": ["~", 5]}]}""")]
    [InlineData("""{"n": [{"numeric": [">", 5, ">", 6]}]}""")]
    [InlineData("""{"n": [{"numeric": [">", 10, "<", 5]}]}""")]
    [InlineData("""{"n": [{"numeric": ["=", 5, "<", 6]}]}""")]
    [InlineData("""{"n": [{"numeric": [">", 6e9]}]}""")]
    [InlineData("""{"ip": [{"cidr": "10.0.0.0/33"}]}""")]
    [InlineData("""{"s": [{"wildcard": "a**b"}]}""")]
    [InlineData("""{"s": [{"anything-but": []}]}""")]
    [InlineData("""{"s": [{"anything-but": [null]}]}""")]
    [InlineData("""{"s": [{"anything-but": {"numeric": [">", 1]}}]}""")]
    [InlineData("""{"s": [{"anything-but": true}]}""")]
    [InlineData("""{"$or": [{"a": ["b"]}]}""")]
    [InlineData("""{"$or": {"a": ["b"]}}""")]
    public void Refuses_what_EventBridge_refuses(string pattern) =>
        Assert.Throws<EventPatternException>(() => EventPattern.Parse(pattern));

    [Fact]
    public void TestEventPattern_needs_the_envelope()
    {
        Assert.True(PatternTest.Run("""{"source": ["aws.ec2"]}""", Ec2Event));
        Assert.False(PatternTest.Run("""{"source": ["aws.s3"]}""", Ec2Event));
        Assert.Throws<InvalidEventException>(() => PatternTest.Run("""{"source": ["aws.ec2"]}""", """{"source": "aws.ec2"}"""));
        Assert.Throws<InvalidEventException>(() => PatternTest.Run("""{"source": ["aws.ec2"]}""", "not json"));
        Assert.Throws<InvalidEventException>(() => PatternTest.Run(
            """{"source": ["x"]}""",
            """{"id": "1", "account": "1", "source": "x", "time": "yesterday", "region": "r", "resources": [], "detail-type": "d"}"""));
        Assert.Throws<EventPatternException>(() => PatternTest.Run("""{"source": "aws.ec2"}""", Ec2Event));
    }
}
