using Berth.Scheduling.Expressions;

namespace Berth.Scheduling.Tests.Expressions;

public class ClusterQueryErrorTests
{
    [Theory]
    [InlineData("", 0)]
    [InlineData("   ", 3)]
    [InlineData("attribute:stack", 15)]
    [InlineData("attribute:stack ==", 18)]
    [InlineData("attribute:stack = prod", 16)]
    [InlineData("attribute:stack ! prod", 16)]
    [InlineData("attribute:stack !foo prod", 16)]
    [InlineData("attribute:stack equalsprod", 16)]
    [InlineData("foo == bar", 0)]
    [InlineData("== bar", 0)]
    [InlineData("attribute: == x", 10)]
    [InlineData("attribute:a:b == x", 11)]
    [InlineData("not(attribute:ecs.instance-type == )", 35)]
    [InlineData("(attribute:stack == prod", 24)]
    [InlineData("attribute:stack == prod)", 23)]
    [InlineData("attribute:stack == prod and", 27)]
    [InlineData("attribute:stack == prod &&", 26)]
    [InlineData("attribute:stack == prod extra", 24)]
    [InlineData("attribute:stack == 'prod' 'dev'", 26)]
    [InlineData("attribute:x == a and or b", 21)]
    [InlineData("not", 3)]
    [InlineData("not ()", 5)]
    [InlineData("()", 1)]
    [InlineData("attribute:x exists y", 19)]
    [InlineData("attribute:stack in prod", 19)]
    [InlineData("attribute:stack in [a, b", 24)]
    [InlineData("attribute:stack in []", 20)]
    [InlineData("attribute:stack in [a,]", 22)]
    [InlineData("task:group in [a b]", 17)]
    [InlineData("attribute:stack == 'prod", 19)]
    [InlineData("attribute:stack in [\"a, b]", 20)]
    [InlineData("ec2InstanceId > i-1", 14)]
    [InlineData("ec2InstanceId exists", 14)]
    [InlineData("agentVersion in [1.0]", 13)]
    [InlineData("agentVersion =~ 1.*", 13)]
    [InlineData("runningTasksCount =~ 1.*", 18)]
    [InlineData("runningTasksCount !exists", 18)]
    [InlineData("registeredAt not_in [2018-01-01]", 13)]
    [InlineData("agentConnected > true", 15)]
    [InlineData("agentConnected exists", 15)]
    [InlineData("task:group >= a", 11)]
    [InlineData("agentConnected == yes", 18)]
    [InlineData("agentConnected in [true, maybe]", 25)]
    [InlineData("runningTasksCount == one", 21)]
    [InlineData("runningTasksCount == -1", 21)]
    [InlineData("runningTasksCount == 1.5", 21)]
    [InlineData("agentVersion < 1.x", 15)]
    [InlineData("agentVersion < 1..2", 15)]
    [InlineData("registeredAt < 2018-13-01", 15)]
    [InlineData("registeredAt < yesterday", 15)]
    [InlineData("registeredAt < 2018-06-18T22:28", 15)]
    [InlineData("attribute:x =~ 'a('", 15)]
    [InlineData("attribute:x =~ a[", 15)]
    [InlineData("agentConnected == true and attribute:x =~ *", 42)]
    public void BadExpressionsNameWhereTheyGoWrong(string expression, int position)
    {
        var error = Assert.Throws<ClusterQueryException>(() => ClusterQuery.Parse(expression));
        Assert.Equal(position, error.Position);
        Assert.StartsWith("Invalid expression: ", error.Message, StringComparison.Ordinal);
        Assert.Contains($"at position {position}", error.Message, StringComparison.Ordinal);
        Assert.EndsWith(".", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("not(attribute:ecs.instance-type == )", "Invalid expression: unexpected token ')' at position 35, expected a value.")]
    [InlineData("attribute:stack ==", "Invalid expression: unexpected end of expression at position 18, expected a value.")]
    [InlineData("attribute:stack = prod", "Invalid expression: unexpected token '=' at position 16, expected an operator.")]
    [InlineData("attribute:stack == prod extra", "Invalid expression: unexpected token 'extra' at position 24, expected 'and', 'or' or the end of the expression.")]
    [InlineData("(attribute:stack == prod", "Invalid expression: unexpected end of expression at position 24, expected 'and', 'or' or ')'.")]
    [InlineData("foo == bar", "Invalid expression: unknown subject 'foo' at position 0, expected agentConnected, agentVersion, attribute:NAME, ec2InstanceId, registeredAt, runningTasksCount or task:group.")]
    [InlineData("ec2InstanceId > i-1", "Invalid expression: operator '>' at position 14 is not valid for ec2InstanceId, expected ==, !=, in, !in, =~ or !~.")]
    [InlineData("agentVersion in [1.0]", "Invalid expression: operator 'in' at position 13 is not valid for agentVersion, expected ==, !=, >, >=, < or <=.")]
    [InlineData("runningTasksCount == one", "Invalid expression: invalid value 'one' at position 21, expected a whole number.")]
    [InlineData("attribute:foo =~ (a+)+\\1", "Invalid expression: invalid value '(a+)+\\1' at position 17, expected a regular expression without lookarounds or backreferences.")]
    [InlineData("attribute:ecs.instance-type =~ t2(?=\\.).*", "Invalid expression: invalid value 't2(?=\\.).*' at position 31, expected a regular expression without lookarounds or backreferences.")]
    [InlineData("agentConnected == yes", "Invalid expression: invalid value 'yes' at position 18, expected true or false.")]
    [InlineData("attribute:stack in []", "Invalid expression: unexpected token ']' at position 20, expected a value.")]
    [InlineData("attribute:stack in prod", "Invalid expression: unexpected token 'prod' at position 19, expected '['.")]
    [InlineData("attribute:stack == 'prod", "Invalid expression: unterminated quoted value at position 19, expected a closing '.")]
    [InlineData("", "Invalid expression: empty expression at position 0, expected a subject.")]
    public void MessagesSayWhatWasExpected(string expression, string message) =>
        Assert.Equal(message, Assert.Throws<ClusterQueryException>(() => ClusterQuery.Parse(expression)).Message);

    [Fact]
    public void ExpressionsLongerThan2000CharactersAreRefused()
    {
        var expression = "attribute:x == " + new string('a', ClusterQuery.MaxLength);
        var error = Assert.Throws<ClusterQueryException>(() => ClusterQuery.Parse(expression));
        Assert.Equal(2000, error.Position);
        Assert.Equal("Invalid expression: longer than 2000 characters at position 2000.", error.Message);
    }

    [Fact]
    public void AttributeNamesLongerThan128CharactersAreRefused()
    {
        var error = Assert.Throws<ClusterQueryException>(() => ClusterQuery.Parse("attribute:" + new string('n', 129) + " exists"));
        Assert.Equal(138, error.Position);
        ClusterQuery.Parse("attribute:" + new string('n', 128) + " exists");
    }

    [Fact]
    public void NullIsNotAnExpression() => Assert.Throws<ArgumentNullException>(() => ClusterQuery.Parse(null!));
}
