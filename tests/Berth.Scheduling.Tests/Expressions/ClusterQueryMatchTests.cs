using Berth.Scheduling.Expressions;

namespace Berth.Scheduling.Tests.Expressions;

public class ClusterQueryMatchTests
{
    private static bool Matches(string expression, IQueryTarget target) => ClusterQuery.Parse(expression).Matches(target);

    [Theory]
    // The examples of the ECS developer guide.
    [InlineData("attribute:ecs.instance-type == t2.small", true)]
    [InlineData("attribute:ecs.availability-zone in [us-east-1a, us-east-1b]", true)]
    [InlineData("attribute:ecs.instance-type =~ g2.*", false)]
    [InlineData("attribute:ecs.instance-type =~ t2.* and attribute:ecs.availability-zone != us-east-1d", true)]
    [InlineData("not(attribute:ecs.instance-type =~ t2.*)", false)]
    [InlineData("task:group == service:production", true)]
    [InlineData("not(task:group == database)", true)]
    [InlineData("runningTasksCount == 1", true)]
    [InlineData("agentVersion < 1.14.5", false)]
    [InlineData("registeredAt < 2018-02-13", false)]
    [InlineData("ec2InstanceId in ['i-abcd1234', 'i-wxyx7890']", true)]
    [InlineData("agentConnected == false", false)]
    [InlineData("registeredAt >= 2016-07-01", true)]
    [InlineData("attribute:stack == prod", true)]
    [InlineData("attribute:stack != prod", false)]
    [InlineData("attribute:ecs.instance-type in [t2.small, t2.medium]", true)]
    [InlineData("attribute:ecs.instance-type =~ t2.* and attribute:ecs.availability-zone == us-east-1a", true)]
    public void GuideExamples(string expression, bool expected) => Assert.Equal(expected, Matches(expression, FakeTarget.Default));

    [Theory]
    [InlineData("attribute:ecs.instance-type == t2.small", true)]
    [InlineData("attribute:ecs.instance-type equals t2.small", true)]
    [InlineData("attribute:ecs.instance-type == t2.micro", false)]
    [InlineData("attribute:ecs.instance-type == T2.SMALL", false)]
    [InlineData("attribute:ecs.instance-type != t2.micro", true)]
    [InlineData("attribute:ecs.instance-type not_equals t2.small", false)]
    [InlineData("attribute:ecs.availability-zone == us-east-1a", true)]
    [InlineData("attribute:ecs.ami-id == ami-1234abcd", true)]
    [InlineData("attribute:ecs.os-type == linux", true)]
    [InlineData("attribute:ecs.os-type == windows", false)]
    [InlineData("attribute:stack exists", true)]
    [InlineData("attribute:gpu exists", true)]
    [InlineData("attribute:missing exists", false)]
    [InlineData("attribute:missing !exists", true)]
    [InlineData("attribute:missing not_exists", true)]
    [InlineData("attribute:stack not_exists", false)]
    [InlineData("attribute:stack in [dev, prod]", true)]
    [InlineData("attribute:stack in [dev]", false)]
    [InlineData("attribute:stack !in [dev, test]", true)]
    [InlineData("attribute:stack not_in [dev, prod]", false)]
    [InlineData("attribute:stack =~ pr.d", true)]
    [InlineData("attribute:stack matches p.*", true)]
    [InlineData("attribute:stack =~ rod", false)]
    [InlineData("attribute:stack !~ dev.*", true)]
    [InlineData("attribute:stack not_matches p.*", false)]
    [InlineData("attribute:team == 'data platform'", true)]
    [InlineData("attribute:team == \"data platform\"", true)]
    [InlineData("attribute:team =~ 'data .*'", true)]
    // Absent attributes satisfy no term but !exists, negative operators included (the guide's != example).
    [InlineData("attribute:missing == x", false)]
    [InlineData("attribute:missing != x", false)]
    [InlineData("attribute:missing !in [x]", false)]
    [InlineData("attribute:missing !~ x", false)]
    [InlineData("attribute:missing > 1", false)]
    [InlineData("not(attribute:missing == x)", true)]
    // An attribute without a value exists but equals, orders and matches nothing.
    [InlineData("attribute:gpu == ''", false)]
    [InlineData("attribute:gpu != x", true)]
    [InlineData("attribute:gpu in [x]", false)]
    [InlineData("attribute:gpu =~ .*", false)]
    [InlineData("attribute:gpu !~ .*", true)]
    [InlineData("attribute:gpu >= 0", false)]
    // Attribute ordering: numeric when both sides are numbers, ordinal otherwise; == stays string equality.
    [InlineData("attribute:slots > 9", true)]
    [InlineData("attribute:slots greater_than 9", true)]
    [InlineData("attribute:slots >= 10", true)]
    [InlineData("attribute:slots greater_than_equal 10.0", true)]
    [InlineData("attribute:slots < 9", false)]
    [InlineData("attribute:slots less_than 100", true)]
    [InlineData("attribute:slots <= 10", true)]
    [InlineData("attribute:slots less_than_equal 9.5", false)]
    [InlineData("attribute:slots == 10.0", false)]
    [InlineData("attribute:stack > pra", true)]
    [InlineData("attribute:stack < prp", true)]
    [InlineData("attribute:slots > abc", false)]
    public void Attributes(string expression, bool expected) => Assert.Equal(expected, Matches(expression, FakeTarget.Default));

    [Theory]
    [InlineData("agentConnected == true", true)]
    [InlineData("agentConnected equals TRUE", true)]
    [InlineData("agentConnected == false", false)]
    [InlineData("agentConnected != false", true)]
    [InlineData("agentConnected not_equals true", false)]
    [InlineData("agentConnected in [false]", false)]
    [InlineData("agentConnected !in [false]", true)]
    [InlineData("agentConnected not_in [true]", false)]
    [InlineData("agentConnected =~ t.*", true)]
    [InlineData("agentConnected matches f.*", false)]
    [InlineData("agentConnected !~ f.*", true)]
    [InlineData("agentConnected not_matches tr.e", false)]
    public void AgentConnected(string expression, bool connected)
    {
        Assert.Equal(connected, Matches(expression, FakeTarget.Default));
        Assert.Equal(!connected, Matches(expression, new FakeTarget { AgentConnected = false }));
    }

    [Theory]
    [InlineData("agentConnected in [true, false]")]
    [InlineData("agentConnected in [FALSE, True]")]
    [InlineData("agentConnected =~ .*")]
    public void AgentConnectedEitherWay(string expression)
    {
        Assert.True(Matches(expression, FakeTarget.Default));
        Assert.True(Matches(expression, new FakeTarget { AgentConnected = false }));
    }

    [Theory]
    [InlineData("agentVersion == 1.14.5", true)]
    [InlineData("agentVersion equals 1.14.5.0", true)]
    [InlineData("agentVersion != 1.14.5", false)]
    [InlineData("agentVersion not_equals 1.14", true)]
    [InlineData("agentVersion > 1.9.0", true)]
    [InlineData("agentVersion greater_than 1.14.4", true)]
    [InlineData("agentVersion > 1.14.5", false)]
    [InlineData("agentVersion >= 1.14.5", true)]
    [InlineData("agentVersion greater_than_equal 2", false)]
    [InlineData("agentVersion < 1.14.10", true)]
    [InlineData("agentVersion less_than 1.14.5", false)]
    [InlineData("agentVersion <= 1.14.5", true)]
    [InlineData("agentVersion less_than_equal v1.2", false)]
    public void AgentVersion(string expression, bool expected)
    {
        Assert.Equal(expected, Matches(expression, FakeTarget.Default));
        Assert.False(Matches(expression, FakeTarget.Bare));
    }

    [Theory]
    [InlineData("1.82.1-dev", "agentVersion == 1.82.1", true)]
    [InlineData("v1.82.1", "agentVersion > 1.82", true)]
    [InlineData("1.82", "agentVersion < 1.82.1", true)]
    [InlineData("dev", "agentVersion != 1.0.0", false)]
    public void AgentVersionsAreReadUpToTheirSuffix(string version, string expression, bool expected) =>
        Assert.Equal(expected, Matches(expression, new FakeTarget { AgentVersion = version }));

    [Theory]
    [InlineData("ec2InstanceId == i-abcd1234", true)]
    [InlineData("ec2InstanceId equals 'i-abcd1234'", true)]
    [InlineData("ec2InstanceId != i-abcd1234", false)]
    [InlineData("ec2InstanceId not_equals i-other", true)]
    [InlineData("ec2InstanceId in [i-1, i-abcd1234]", true)]
    [InlineData("ec2InstanceId !in [i-1, i-abcd1234]", false)]
    [InlineData("ec2InstanceId not_in [\"i-1\"]", true)]
    [InlineData("ec2InstanceId =~ i-abcd.*", true)]
    [InlineData("ec2InstanceId matches i-[a-d]{4}[0-9]+", true)]
    [InlineData("ec2InstanceId !~ i-abcd.*", false)]
    [InlineData("ec2InstanceId not_matches i-w.*", true)]
    public void Ec2InstanceId(string expression, bool expected)
    {
        Assert.Equal(expected, Matches(expression, FakeTarget.Default));
        Assert.False(Matches(expression, FakeTarget.Bare));
    }

    [Theory]
    [InlineData("registeredAt == 2018-06-18", true)]
    [InlineData("registeredAt equals 2018-06-19", false)]
    [InlineData("registeredAt != 2018-06-18", false)]
    [InlineData("registeredAt not_equals 2018-06-17", true)]
    [InlineData("registeredAt > 2018-06-17", true)]
    [InlineData("registeredAt greater_than 2018-06-18", false)]
    [InlineData("registeredAt >= 2018-06-18", true)]
    [InlineData("registeredAt greater_than_equal 2018-06-19", false)]
    [InlineData("registeredAt < 2018-06-19", true)]
    [InlineData("registeredAt less_than 2018-06-18", false)]
    [InlineData("registeredAt <= 2018-06-18", true)]
    [InlineData("registeredAt less_than_equal 2018-06-17", false)]
    [InlineData("registeredAt == 2018-06-18T22:28:28+00:00", true)]
    [InlineData("registeredAt == 2018-06-18T22:28:28Z", true)]
    [InlineData("registeredAt == 2018-06-18T22:28:28", true)]
    [InlineData("registeredAt == 2018-06-19T00:28:28+02:00", true)]
    [InlineData("registeredAt == 2018-06-18T22:28:28.000Z", true)]
    [InlineData("registeredAt > 2018-06-18T22:28:27Z", true)]
    [InlineData("registeredAt > 2018-06-18T22:28:28Z", false)]
    [InlineData("registeredAt <= 2018-06-18T22:28:28", true)]
    [InlineData("registeredAt < 2018-06-18T22:28:28", false)]
    public void RegisteredAt(string expression, bool expected)
    {
        Assert.Equal(expected, Matches(expression, FakeTarget.Default));
        Assert.False(Matches(expression, FakeTarget.Bare));
    }

    [Fact]
    public void AFractionalRegistrationTimeFallsInsideItsSecond()
    {
        var target = new FakeTarget { RegisteredAt = new DateTimeOffset(2018, 6, 18, 22, 28, 28, 500, TimeSpan.Zero) };
        Assert.True(Matches("registeredAt == 2018-06-18T22:28:28Z", target));
        Assert.False(Matches("registeredAt == 2018-06-18T22:28:28.4Z", target));
        Assert.True(Matches("registeredAt > 2018-06-18T22:28:28.4Z", target));
    }

    [Theory]
    [InlineData("runningTasksCount == 1", true)]
    [InlineData("runningTasksCount equals 0", false)]
    [InlineData("runningTasksCount != 1", false)]
    [InlineData("runningTasksCount not_equals 2", true)]
    [InlineData("runningTasksCount > 0", true)]
    [InlineData("runningTasksCount greater_than 1", false)]
    [InlineData("runningTasksCount >= 1", true)]
    [InlineData("runningTasksCount greater_than_equal 2", false)]
    [InlineData("runningTasksCount < 2", true)]
    [InlineData("runningTasksCount less_than 1", false)]
    [InlineData("runningTasksCount <= 1", true)]
    [InlineData("runningTasksCount less_than_equal 0", false)]
    [InlineData("runningTasksCount==1", true)]
    public void RunningTasksCount(string expression, bool expected) => Assert.Equal(expected, Matches(expression, FakeTarget.Default));

    [Theory]
    [InlineData("task:group == service:production", true, false)]
    [InlineData("task:group equals family:web", true, false)]
    [InlineData("task:group == database", false, false)]
    [InlineData("task:group != database", true, true)]
    [InlineData("task:group not_equals service:production", false, true)]
    [InlineData("task:group in [database, family:web]", true, false)]
    [InlineData("task:group !in [database, cache]", true, true)]
    [InlineData("task:group not_in [family:web]", false, true)]
    [InlineData("task:group =~ service:.*", true, false)]
    [InlineData("task:group matches family:w.b", true, false)]
    [InlineData("task:group !~ service:.*", false, true)]
    [InlineData("task:group not_matches db.*", true, true)]
    [InlineData("task:group exists", true, false)]
    [InlineData("task:group !exists", false, true)]
    [InlineData("task:group not_exists", false, true)]
    public void TaskGroup(string expression, bool onDefault, bool onBare)
    {
        Assert.Equal(onDefault, Matches(expression, FakeTarget.Default));
        Assert.Equal(onBare, Matches(expression, FakeTarget.Bare));
    }

    [Fact]
    public void TaskGroupsInAnyReadOnlySetAreQueried()
    {
        var target = new FakeTarget { TaskGroups = new SortedSet<string>(StringComparer.Ordinal) { "family:web" } };
        Assert.True(Matches("task:group =~ family:.*", target));
        Assert.True(Matches("task:group in [family:web]", target));
        Assert.False(Matches("task:group !in [family:web]", target));
    }

    [Theory]
    // Precedence: not, then and, then or; parentheses override.
    [InlineData("attribute:stack == dev and attribute:stack == prod or runningTasksCount == 1", true)]
    [InlineData("runningTasksCount == 1 or attribute:stack == dev and attribute:stack == test", true)]
    [InlineData("(runningTasksCount == 1 or attribute:stack == dev) and attribute:stack == test", false)]
    [InlineData("runningTasksCount == 0 or runningTasksCount == 2 or runningTasksCount == 1", true)]
    [InlineData("runningTasksCount == 1 and agentConnected == true and attribute:stack == prod", true)]
    [InlineData("runningTasksCount == 1 && agentConnected == true && attribute:stack == dev", false)]
    [InlineData("runningTasksCount == 0 || attribute:stack == prod", true)]
    [InlineData("runningTasksCount == 1 AND attribute:stack == prod", true)]
    [InlineData("runningTasksCount == 0 OR attribute:stack == dev", false)]
    [InlineData("not runningTasksCount == 0", true)]
    [InlineData("NOT runningTasksCount == 1", false)]
    [InlineData("!runningTasksCount == 0", true)]
    [InlineData("! (runningTasksCount == 0)", true)]
    [InlineData("!!(runningTasksCount == 1)", true)]
    [InlineData("not not runningTasksCount == 1", true)]
    [InlineData("not runningTasksCount == 1 or attribute:stack == prod", true)]
    [InlineData("not (runningTasksCount == 1 or attribute:stack == prod)", false)]
    [InlineData("not(runningTasksCount == 0) and not(attribute:stack == dev)", true)]
    [InlineData("(attribute:stack == prod)", true)]
    [InlineData("((attribute:stack == prod))", true)]
    [InlineData("(attribute:stack == dev or (task:group == database or (ec2InstanceId == i-abcd1234 and not(agentConnected == false))))", true)]
    [InlineData("(attribute:stack == dev or (task:group == database or (ec2InstanceId == i-other and not(agentConnected == false))))", false)]
    [InlineData("attribute:stack==prod&&runningTasksCount>0", true)]
    [InlineData("attribute:stack==dev||runningTasksCount<1", false)]
    [InlineData("(attribute:stack==prod)and(runningTasksCount>0)", true)]
    [InlineData("  attribute:stack   ==   prod  ", true)]
    [InlineData("\tattribute:stack ==\nprod", true)]
    public void CompoundExpressions(string expression, bool expected) => Assert.Equal(expected, Matches(expression, FakeTarget.Default));

    [Theory]
    [InlineData("attribute:ecs.instance-type =~ t2\\..*", true)]
    [InlineData("attribute:ecs.instance-type =~ (t2|m5)\\.small", true)]
    [InlineData("(attribute:ecs.instance-type =~ (t2|m5).*)", true)]
    [InlineData("attribute:ecs.instance-type =~ [mt]2.small", true)]
    [InlineData("attribute:ecs.instance-type =~ t2", false)]
    [InlineData("attribute:ecs.instance-type =~ small", false)]
    [InlineData("attribute:ecs.instance-type =~ .*small", true)]
    [InlineData("attribute:ecs.instance-type =~ t2.small", true)]
    [InlineData("attribute:ecs.instance-type =~ 't2\\.(small|micro)'", true)]
    [InlineData("attribute:ecs.instance-type =~ (?i)T2.SMALL", true)]
    [InlineData("attribute:ecs.instance-type =~ (t)2\\.small", true)]
    [InlineData("attribute:ecs.instance-type in [t2.micro,t2.small]", true)]
    [InlineData("attribute:ecs.instance-type in [ 't2.micro' , \"t2.small\" ]", true)]
    [InlineData("attribute:ecs.instance-type in[t2.small]", true)]
    [InlineData("attribute:team in ['data platform', 'web']", true)]
    [InlineData("attribute:team == 'data \\'platform'", false)]
    public void PatternsListsAndQuoting(string expression, bool expected) => Assert.Equal(expected, Matches(expression, FakeTarget.Default));

    [Fact]
    public void ANestedQuantifierRunsInLinearTimeOnALongValue()
    {
        // (a+)+$ against a^n b backtracks exponentially in a backtracking engine; the linear one answers at once.
        var target = new FakeTarget { Attributes = new Dictionary<string, string?>(StringComparer.Ordinal) { ["foo"] = new string('a', 20_000) + "b" } };
        Assert.False(Matches("attribute:foo =~ (a+)+", target));
        Assert.True(Matches("attribute:foo =~ (a+)+b", target));
    }

    [Theory]
    [InlineData("attribute:q == 'it\\'s'", "it's", true)]
    [InlineData("attribute:q == \"say \\\"hi\\\"\"", "say \"hi\"", true)]
    [InlineData("attribute:q == 'a\\\\b'", "a\\b", true)]
    [InlineData("attribute:q =~ 'a\\.b'", "a.b", true)]
    [InlineData("attribute:q =~ 'a\\.b'", "axb", false)]
    [InlineData("attribute:q == \"it's\"", "it's", true)]
    [InlineData("attribute:q == 'x and y'", "x and y", true)]
    [InlineData("attribute:q == '(x)'", "(x)", true)]
    [InlineData("attribute:q == a=b", "a=b", true)]
    [InlineData("attribute:q =~ line.*", "line\nbreak", false)]
    public void QuotedValues(string expression, string value, bool expected) =>
        Assert.Equal(expected, Matches(expression, new FakeTarget { Attributes = new(StringComparer.Ordinal) { ["q"] = value } }));

    [Theory]
    [InlineData("AgentConnected == TRUE", true)]
    [InlineData("ATTRIBUTE:stack == prod", true)]
    [InlineData("attribute:STACK == prod", false)]
    [InlineData("Task:Group == service:production", true)]
    [InlineData("attribute:stack EQUALS prod", true)]
    [InlineData("attribute:stack In [prod]", true)]
    public void KeywordsAreCaseInsensitiveButNamesAndValuesAreNot(string expression, bool expected) =>
        Assert.Equal(expected, Matches(expression, FakeTarget.Default));

    [Theory]
    [InlineData("task:group == x", true)]
    [InlineData("runningTasksCount > 0", true)]
    [InlineData("attribute:a == b or not(task:group exists)", true)]
    [InlineData("agentConnected == true and (attribute:x exists or runningTasksCount < 3)", true)]
    [InlineData("attribute:a == b", false)]
    [InlineData("agentConnected == true and ec2InstanceId =~ i-.* and agentVersion > 1 and registeredAt > 2018-01-01", false)]
    [InlineData("attribute:group == task:group", false)]
    public void UsesTaskGroups(string expression, bool expected) => Assert.Equal(expected, ClusterQuery.Parse(expression).UsesTaskGroups);

    [Fact]
    public void TextIsTheExpressionAsGiven()
    {
        const string Expression = "  attribute:stack == prod ";
        var query = ClusterQuery.Parse(Expression);
        Assert.Equal(Expression, query.Text);
        Assert.Equal(Expression, query.ToString());
    }

    [Fact]
    public void AnExpressionOfTheMaximumLengthIsAccepted()
    {
        var value = new string('a', ClusterQuery.MaxLength - "attribute:x == ".Length);
        var query = ClusterQuery.Parse("attribute:x == " + value);
        Assert.True(query.Matches(new FakeTarget { Attributes = new(StringComparer.Ordinal) { ["x"] = value } }));
    }

    [Fact]
    public void AParsedQueryIsReusableAcrossTargets()
    {
        var query = ClusterQuery.Parse("attribute:ecs.instance-type =~ t2.* and runningTasksCount < 2");
        Assert.True(query.Matches(FakeTarget.Default));
        Assert.False(query.Matches(FakeTarget.Bare));
        Assert.True(query.Matches(FakeTarget.Default));
    }
}
