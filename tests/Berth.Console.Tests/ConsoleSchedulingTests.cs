using Berth.AutoScaling.Api;
using Berth.AutoScaling.Model;
using Berth.AutoScaling.Scaling;
using Berth.AutoScaling.State;
using Berth.CloudWatch.Ecs;
using Berth.CloudWatch.Store;
using Berth.Ecs.Arns;
using Berth.Ecs.Clusters;
using Berth.Ecs.Model;
using Berth.Ecs.Services;
using Berth.Ecs.State;
using Berth.Ecs.TaskDefinitions;
using Berth.Ecs.Tasks;
using Berth.Events.Rules;
using Berth.Events.Scheduler;
using Berth.Events.State;
using Berth.WebConsole.EventBridge;
using Berth.WebConsole.Html;
using Berth.WebConsole.Services;
using E = Berth.Events.Model;
using S = Berth.Scheduler.Model;

namespace Berth.WebConsole.Tests;

/// <summary>The scaling section, the utilization chart and the rules and schedules pages, from states made through the decisions.</summary>
public sealed class ConsoleSchedulingTests
{
    private const string Hostile = "<script>alert(1)</script>";
    private const string Principal = "arn:aws:iam::000000000000:root";
    private static readonly Scope Scope = new("us-east-1", "000000000000");
    private static readonly DateTimeOffset Now = new(2026, 12, 3, 6, 0, 0, TimeSpan.Zero);

    public static TheoryData<int[], string[]> ChartCases => new()
    {
        // Values (percent) one a minute from the window's start → the polyline's points (x from 48 to 590, y from 170 to 10).
        { [0, 100], ["48,170 57,10"] },
        { [50, 50, 50], ["48,90 57,90 66.1,90"] },

        // Above 100 and below 0 are drawn at the edges; the label keeps the value.
        { [150, -5], ["48,10 57,170"] },
    };

    [Fact]
    public void A_chart_without_datapoints_says_so()
    {
        var chart = LineChart.Percent("CPU", Now, Now.AddHours(1), [new("CPU", "cpu", []), new("Memory", "memory", [])]);
        Assert.Equal("<p class=\"chart-empty\">No metrics yet.</p>", chart.Value);
    }

    [Theory]
    [MemberData(nameof(ChartCases))]
    public void A_chart_draws_each_value_between_0_and_100_percent_across_its_window(int[] values, string[] points)
    {
        var series = new ChartSeries("CPU", "cpu", [.. values.Select((v, i) => new ChartPoint(Now.AddMinutes(i), v))]);
        var html = LineChart.Percent("CPU of <web>", Now, Now.AddHours(1), [series]).Value;
        Assert.Contains($"points=\"{points[0]}\"", html, StringComparison.Ordinal);
        Assert.Contains("role=\"img\"", html, StringComparison.Ordinal);
        Assert.Contains($"aria-label=\"CPU of &lt;web&gt;, 06:00 to 07:00 UTC: latest CPU {values[^1]} %\"", html, StringComparison.Ordinal);
        Assert.Contains($"<title>CPU of &lt;web&gt;, 06:00 to 07:00 UTC: latest CPU {values[^1]} %</title>", html, StringComparison.Ordinal);
        Assert.Contains(">100 %</text>", html, StringComparison.Ordinal);
        Assert.Contains(">0 %</text>", html, StringComparison.Ordinal);
        Assert.Contains(">06:00</text>", html, StringComparison.Ordinal);
        Assert.Contains(">07:00 UTC</text>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("style=", html, StringComparison.Ordinal);
    }

    [Fact]
    public void A_chart_of_one_datapoint_marks_it_and_a_series_without_data_says_so_in_its_name()
    {
        var html = LineChart.Percent("Use", Now, Now.AddMinutes(1), [new("CPU", "cpu", [new(Now.AddSeconds(30), 25)]), new("Memory", "memory", [])]).Value;
        Assert.Contains("<circle class=\"series cpu\" cx=\"319\" cy=\"130\" r=\"3\"/>", html, StringComparison.Ordinal);
        Assert.Contains("06:00:00 to 06:01:00 UTC: latest CPU 25 %, Memory no data", html, StringComparison.Ordinal);
        Assert.DoesNotContain("polyline", html, StringComparison.Ordinal);
    }

    [Fact]
    public void The_service_page_shows_its_scalable_target_policies_and_activities_newest_first_and_its_utilization()
    {
        var ecs = ServiceState();
        var scaling = ScalingState();
        var metrics = new MetricStore(TimeSpan.FromMinutes(1));
        foreach (var point in EcsMetrics.Aggregate([new TaskUsage(Now.AddMinutes(-3), "web", "api", 256, 1024, 32, 64)], metrics.Period))
        {
            metrics.Put(point.Key, point.PeriodStart, point.Values, EcsMetrics.Unit, Now);
        }

        var page = ServicePage.Render(ecs, Scope, "web", "api", "token", extras: new ServiceExtras(scaling, null, metrics, Now));
        var html = page.Body.Value;
        Assert.Equal(200, page.Status);
        Assert.Contains("<dd id=\"scaling-min\">1</dd>", html, StringComparison.Ordinal);
        Assert.Contains("<dd id=\"scaling-max\">6</dd>", html, StringComparison.Ordinal);
        Assert.Contains("<dd id=\"scaling-suspended\">scheduled scaling</dd>", html, StringComparison.Ordinal);
        Assert.Contains("Target 60 of ECSServiceAverageCPUUtilization", html, StringComparison.Ordinal);
        Assert.Contains("out 30 s, in 120 s", html, StringComparison.Ordinal);
        Assert.Contains("TargetTracking-service/web/api-AlarmHigh-", html, StringComparison.Ordinal);
        Assert.Contains("TargetTracking-service/web/api-AlarmLow-", html, StringComparison.Ordinal);
        Assert.Contains("[0, 10): +1", html, StringComparison.Ordinal);
        Assert.Contains("[10, +∞): +3", html, StringComparison.Ordinal);
        Assert.Contains("<code>cron(0 8 * * ? *)</code>", html, StringComparison.Ordinal);
        Assert.True(html.IndexOf("Setting desired count to 4.", StringComparison.Ordinal) < html.IndexOf("Setting desired count to 3.", StringComparison.Ordinal), "newest activity first");
        Assert.Contains("aria-label=\"Scaling activities\"", html, StringComparison.Ordinal);
        Assert.Contains("latest CPU 25 %, Memory 50 %", html, StringComparison.Ordinal);

        // Not a scalable target, and no metrics yet.
        var plain = ServicePage.Render(ecs, Scope, "web", "api", "token", extras: new ServiceExtras(AutoScalingState.Empty, null, new MetricStore(TimeSpan.FromMinutes(1)), Now)).Body.Value;
        Assert.Contains("Not a scalable target", plain, StringComparison.Ordinal);
        Assert.Contains("No metrics yet.", plain, StringComparison.Ordinal);
    }

    [Fact]
    public void The_rules_pages_list_every_bus_and_show_a_rules_targets_with_user_values_as_text()
    {
        var state = RuleDecisions.PutRule(EventsState.Empty, new EventsScope(Scope.Region, Scope.AccountId), Now, new E.PutRuleRequest
        {
            Name = "nightly",
            ScheduleExpression = "rate(5 minutes)",
            Description = Hostile,
        }).State;
        state = RuleDecisions.PutTargets(state, new EventsScope(Scope.Region, Scope.AccountId), new E.PutTargetsRequest
        {
            Rule = "nightly",
            Targets =
            [
                new E.Target
                {
                    Id = "run",
                    Arn = "arn:aws:ecs:us-east-1:000000000000:cluster/default",
                    RoleArn = "arn:aws:iam::000000000000:role/events",
                    Input = "{\"containerOverrides\":[{\"name\":\"main\",\"command\":[\"<b>\"]}]}",
                    EcsParameters = new E.EcsParameters { TaskDefinitionArn = "arn:aws:ecs:us-east-1:000000000000:task-definition/job:3", TaskCount = 2, LaunchType = "EC2" },
                },
            ],
        }).State;
        state = RuleDecisions.CreateBus(state, new EventsScope(Scope.Region, Scope.AccountId), Now, new E.CreateEventBusRequest { Name = "orders" }).State;
        state = RuleDecisions.PutRule(state, new EventsScope(Scope.Region, Scope.AccountId), Now, new E.PutRuleRequest
        {
            Name = "placed",
            EventBusName = "orders",
            EventPattern = "{\"source\":[\"<shop>\"]}",
        }).State;

        var list = RulesPage.List(state, Scope.Region, TimeSpan.FromMinutes(1));
        Assert.True(list.Live);
        Assert.Contains("<a href=\"/console/rules/nightly\">nightly</a>", list.Body.Value, StringComparison.Ordinal);
        Assert.Contains("<a href=\"/console/buses/orders/rules/placed\">placed</a>", list.Body.Value, StringComparison.Ordinal);
        Assert.Contains("<code>{&quot;source&quot;:[&quot;&lt;shop&gt;&quot;]}</code>", list.Body.Value, StringComparison.Ordinal);
        Assert.Contains("2026-12-03 06:05:00 UTC", list.Body.Value, StringComparison.Ordinal);

        // The list filters by name through the address.
        var filtered = RulesPage.List(state, Scope.Region, TimeSpan.FromMinutes(1), new Dictionary<string, string> { ["q"] = "PLACE" }).Body.Value;
        Assert.Contains(">placed</a>", filtered, StringComparison.Ordinal);
        Assert.DoesNotContain(">nightly</a>", filtered, StringComparison.Ordinal);
        Assert.Contains("No rules match.", RulesPage.List(state, Scope.Region, TimeSpan.FromMinutes(1), new Dictionary<string, string> { ["q"] = "zzz" }).Body.Value, StringComparison.Ordinal);

        var metrics = new MetricStore(TimeSpan.FromMinutes(1));
        metrics.Put(new MetricKey("AWS/Events", "Invocations", [new("RuleName", "nightly")]), Now.AddMinutes(-10), Statistics.Of(1), "Count", Now);
        metrics.Put(new MetricKey("AWS/Events", "Invocations", [new("RuleName", "nightly")]), Now.AddMinutes(-5), Statistics.Of(1), "Count", Now);
        metrics.Put(new MetricKey("AWS/Events", "FailedInvocations", [new("RuleName", "nightly")]), Now.AddMinutes(-5), Statistics.Of(1), "Count", Now);
        metrics.Put(new MetricKey("AWS/Events", "Invocations", [new("RuleName", "nightly")]), Now.AddHours(-2), Statistics.Of(1), "Count", Now);
        var rule = RulesPage.Rule(state, Scope.Region, "default", "nightly", metrics, Now, TimeSpan.FromMinutes(1));
        var html = rule.Body.Value;
        Assert.Equal(200, rule.Status);
        Assert.DoesNotContain("<script>", html, StringComparison.Ordinal);
        Assert.Contains("<dd id=\"rule-description\">&lt;script&gt;alert(1)&lt;/script&gt;</dd>", html, StringComparison.Ordinal);
        Assert.Contains("<a href=\"/console/task-definitions/job/3\">", html, StringComparison.Ordinal);
        Assert.Contains("<td class=\"num\">2</td>", html, StringComparison.Ordinal);
        Assert.Contains("&lt;b&gt;", html, StringComparison.Ordinal);
        Assert.Contains("<dd id=\"rule-invoked\">2</dd>", html, StringComparison.Ordinal);
        Assert.Contains("<dd id=\"rule-failed\">1</dd>", html, StringComparison.Ordinal);

        var pattern = RulesPage.Rule(state, Scope.Region, "orders", "placed", null, Now, TimeSpan.FromMinutes(1)).Body.Value;
        Assert.Contains("<pre class=\"pattern\" id=\"rule-pattern\">{\n  &quot;source&quot;: [\n    &quot;&lt;shop&gt;&quot;\n  ]\n}</pre>", pattern, StringComparison.Ordinal);

        Assert.Equal(404, RulesPage.Rule(state, Scope.Region, "default", "placed", null, Now, TimeSpan.FromMinutes(1)).Status);
        Assert.Equal(404, RulesPage.Rule(state, Scope.Region, "default", "nope", null, Now, TimeSpan.FromMinutes(1)).Status);
    }

    [Fact]
    public void The_schedules_pages_show_the_expression_in_its_zone_the_next_firing_and_the_target()
    {
        var state = ScheduleDecisions.Create(EventsState.Empty, Scope.Region, Scope.AccountId, Now, new S.CreateScheduleInput
        {
            Name = "morning",
            ScheduleExpression = "cron(0 8 * * ? *)",
            ScheduleExpressionTimezone = "Europe/Paris",
            Description = Hostile,
            FlexibleTimeWindow = new S.FlexibleTimeWindow { Mode = "OFF" },
            Target = new S.Target
            {
                Arn = "arn:aws:ecs:us-east-1:000000000000:cluster/default",
                RoleArn = "arn:aws:iam::000000000000:role/scheduler",
                EcsParameters = new S.EcsParameters { TaskDefinitionArn = "arn:aws:ecs:us-east-1:000000000000:task-definition/job:1", TaskCount = 1 },
            },
        }).State;

        var list = SchedulesPage.List(state, Scope.Region, TimeSpan.FromMinutes(1));
        Assert.Contains("<a href=\"/console/schedules/default/morning\">morning</a>", list.Body.Value, StringComparison.Ordinal);
        Assert.Contains("<code>cron(0 8 * * ? *)</code> Europe/Paris", list.Body.Value, StringComparison.Ordinal);

        // 08:00 in Paris on 3 December is 07:00 UTC.
        var page = SchedulesPage.Schedule(state, Scope.Region, "default", "morning", null, Now, TimeSpan.FromMinutes(1));
        var html = page.Body.Value;
        Assert.True(page.Live);
        Assert.Contains("<dd id=\"schedule-next\">2026-12-03 07:00:00 UTC</dd>", html, StringComparison.Ordinal);
        Assert.Contains("<dd id=\"schedule-description\">&lt;script&gt;alert(1)&lt;/script&gt;</dd>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script>", html, StringComparison.Ordinal);
        Assert.Contains("<a href=\"/console/task-definitions/job/1\">", html, StringComparison.Ordinal);
        Assert.Equal(404, SchedulesPage.Schedule(state, Scope.Region, "other", "morning", null, Now, TimeSpan.FromMinutes(1)).Status);
    }

    private static EcsState ServiceState()
    {
        var state = ClusterDecisions.Create(EcsState.Empty, Scope, new CreateClusterRequest { ClusterName = "web" }).State;
        state = TaskDefinitionDecisions.Register(state, Scope, Principal, Now, new RegisterTaskDefinitionRequest
        {
            Family = "api",
            ContainerDefinitions = [new ContainerDefinition { Name = "main", Image = "busybox", Memory = 64 }],
        }).State;
        return ServiceDecisions.Create(state, Scope, Principal, IdSource.Sequential(), Now, new CreateServiceRequest
        {
            Cluster = "web",
            ServiceName = "api",
            TaskDefinition = "api",
            DesiredCount = 2,
        }).State;
    }

    private static AutoScalingState ScalingState()
    {
        var scope = new AasScope(Scope.Region, Scope.AccountId);
        var ids = new Func<Guid>(Guid.NewGuid);
        const string resource = "service/web/api";
        var state = ScalingDecisions.Register(AutoScalingState.Empty, scope, ids, Now, new RegisterScalableTargetRequest
        {
            ServiceNamespace = "ecs",
            ResourceId = resource,
            ScalableDimension = ScalingDecisions.Dimension,
            MinCapacity = 1,
            MaxCapacity = 6,
            SuspendedState = new SuspendedState { ScheduledScalingSuspended = true },
        }, resourceExists: true).State;
        state = ScalingDecisions.PutPolicy(state, scope, ids, Now, new PutScalingPolicyRequest
        {
            PolicyName = "cpu60",
            ServiceNamespace = "ecs",
            ResourceId = resource,
            ScalableDimension = ScalingDecisions.Dimension,
            PolicyType = "TargetTrackingScaling",
            TargetTrackingScalingPolicyConfiguration = new TargetTrackingScalingPolicyConfiguration
            {
                TargetValue = 60,
                PredefinedMetricSpecification = new PredefinedMetricSpecification { PredefinedMetricType = "ECSServiceAverageCPUUtilization" },
                ScaleOutCooldown = 30,
                ScaleInCooldown = 120,
            },
        }).State;
        state = ScalingDecisions.PutPolicy(state, scope, ids, Now, new PutScalingPolicyRequest
        {
            PolicyName = "steps",
            ServiceNamespace = "ecs",
            ResourceId = resource,
            ScalableDimension = ScalingDecisions.Dimension,
            PolicyType = "StepScaling",
            StepScalingPolicyConfiguration = new StepScalingPolicyConfiguration
            {
                AdjustmentType = "ChangeInCapacity",
                StepAdjustments =
                [
                    new StepAdjustment { MetricIntervalLowerBound = 0, MetricIntervalUpperBound = 10, ScalingAdjustment = 1 },
                    new StepAdjustment { MetricIntervalLowerBound = 10, ScalingAdjustment = 3 },
                ],
                Cooldown = 60,
            },
        }).State;
        state = ScalingDecisions.PutScheduledAction(state, scope, ids, Now, new PutScheduledActionRequest
        {
            ScheduledActionName = "mornings",
            ServiceNamespace = "ecs",
            ResourceId = resource,
            ScalableDimension = ScalingDecisions.Dimension,
            Schedule = "cron(0 8 * * ? *)",
            ScalableTargetAction = new ScalableTargetAction { MinCapacity = 2, MaxCapacity = 6 },
        }).State;
        var key = AutoScalingState.TargetKey(Scope.Region, resource, ScalingDecisions.Dimension);
        state = ScalingRecords.Scaled(state, key, new ScalingChange(2, 3, ScalingDirection.Out, "monitor alarm <high> in state ALARM", ["cpu60"]), "a1", Now.AddMinutes(-10)).State;
        state = ScalingRecords.Scaled(state, key, new ScalingChange(3, 4, ScalingDirection.Out, "monitor alarm <high> in state ALARM", ["cpu60"]), "a2", Now.AddMinutes(-5)).State;
        return state;
    }
}
