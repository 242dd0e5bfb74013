using System.Globalization;
using System.Text.Json;
using Berth.Ecs.Arns;
using Berth.Ecs.Clusters;
using Berth.Ecs.Model;
using Berth.Ecs.Services;
using Berth.Ecs.State;
using Berth.Ecs.TaskDefinitions;
using Berth.Ecs.Tasks;
using Berth.Elb;
using Berth.Elb.Health;
using Berth.Elb.Listeners;
using Berth.Elb.LoadBalancers;
using Berth.Elb.Model;
using Berth.Elb.Rules;
using Berth.Elb.State;
using Berth.Elb.TargetGroups;
using Berth.Elb.Targets;
using Berth.Protocol.Auth;
using Berth.WebConsole.Auth;
using Berth.WebConsole.Clusters;
using Berth.WebConsole.Html;
using Berth.WebConsole.LoadBalancers;
using Berth.WebConsole.Repositories;
using Berth.WebConsole.Services;
using Berth.WebConsole.TaskDefinitions;
using Berth.WebConsole.Tasks;
using Microsoft.Extensions.Time.Testing;

namespace Berth.WebConsole.Tests;

/// <summary>The console's page logic on its own: escaping, sessions, links, and pages rendered from a state made through the decisions.</summary>
public sealed class ConsoleUnitTests
{
    private static readonly Scope Scope = new("us-east-1", "000000000000");
    private static readonly DateTimeOffset Now = new(2026, 12, 3, 6, 0, 0, TimeSpan.Zero);

    private sealed class Keys(params SigningCredential[] credentials) : ICredentialStore
    {
        public SigningCredential? Find(string accessKeyId) => credentials.FirstOrDefault(c => c.AccessKeyId == accessKeyId);
    }

    private static readonly SigningCredential Root = new("AKIAUNITTEST00000001", "unit/secret+key", null, null, "arn:aws:iam::000000000000:root");

    [Fact]
    public void Holes_of_markup_are_encoded_and_markup_holes_are_kept()
    {
        var hostile = "<script>alert(1)</script>\"'&";
        var markup = Markup.Of($"<td title=\"{hostile}\">{hostile}{Markup.Raw("<b>ok</b>")}{42}</td>");
        Assert.Equal("<td title=\"&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;\">&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;<b>ok</b>42</td>", markup.Value);
    }

    [Fact]
    public void A_session_signs_in_with_the_right_secret_only_and_its_cookie_round_trips()
    {
        var time = new FakeTimeProvider(Now);
        var sessions = new ConsoleSessions(new Keys(Root), ConsoleSessions.DeriveKey(Root.SecretAccessKey, "000000000000"), time);
        Assert.Null(sessions.SignIn(Root.AccessKeyId, "wrong"));
        Assert.Null(sessions.SignIn("AKIAUNKNOWN", Root.SecretAccessKey));
        Assert.Null(sessions.SignIn(Root.AccessKeyId, null));
        var session = Assert.IsType<ConsoleSession>(sessions.SignIn(Root.AccessKeyId, Root.SecretAccessKey));
        Assert.Equal(Root.PrincipalArn, session.PrincipalArn);

        var cookie = sessions.Encode(session);
        Assert.DoesNotContain(Root.SecretAccessKey, cookie, StringComparison.Ordinal);
        Assert.Equal(session, sessions.Decode(cookie));

        // A forged or altered cookie, and one signed with another server's key, are nobody.
        Assert.Null(sessions.Decode(cookie[..^2] + (cookie[^2] == 'A' ? "B" : "A") + cookie[^1]));
        Assert.Null(sessions.Decode("v1.garbage"));
        Assert.Null(sessions.Decode(null));
        var other = new ConsoleSessions(new Keys(Root), ConsoleSessions.DeriveKey("another secret", "000000000000"), time);
        Assert.Null(other.Decode(cookie));

        // It expires, and it ends when its key is gone.
        time.Advance(ConsoleSessions.Lifetime + TimeSpan.FromSeconds(1));
        Assert.Null(sessions.Decode(cookie));
        var removed = new ConsoleSessions(new Keys(), ConsoleSessions.DeriveKey(Root.SecretAccessKey, "000000000000"), new FakeTimeProvider(Now));
        Assert.Null(removed.Decode(cookie));
    }

    [Fact]
    public void A_sign_in_link_opens_one_session_once_and_only_while_it_is_fresh()
    {
        var time = new FakeTimeProvider(Now);
        var sessions = new ConsoleSessions(new Keys(Root), ConsoleSessions.DeriveKey(Root.SecretAccessKey, "000000000000"), time);
        var link = sessions.IssueLink(Root.AccessKeyId);
        Assert.DoesNotContain(Root.SecretAccessKey, link, StringComparison.Ordinal);
        var session = Assert.IsType<ConsoleSession>(sessions.RedeemLink(link));
        Assert.Equal((Root.AccessKeyId, Now + ConsoleSessions.Lifetime), (session.AccessKeyId, session.ExpiresAt));
        Assert.Null(sessions.RedeemLink(link));

        // Forged, a cookie passed off as a link, another server's, expired, or for a key that is gone: nobody.
        var fresh = sessions.IssueLink(Root.AccessKeyId);
        Assert.Null(sessions.RedeemLink(fresh[..^2] + (fresh[^2] == 'A' ? "B" : "A") + fresh[^1]));
        Assert.Null(sessions.RedeemLink("link1." + sessions.Encode(session)["v1.".Length..]));
        Assert.Null(new ConsoleSessions(new Keys(Root), ConsoleSessions.DeriveKey("another secret", "000000000000"), time).RedeemLink(fresh));
        Assert.Null(new ConsoleSessions(new Keys(), ConsoleSessions.DeriveKey(Root.SecretAccessKey, "000000000000"), time).RedeemLink(fresh));
        Assert.Null(sessions.RedeemLink(null));
        time.Advance(ConsoleSessions.LinkLifetime);
        Assert.Null(sessions.RedeemLink(fresh));
    }

    [Fact]
    public void Temporary_credentials_cannot_sign_in()
    {
        var temporary = Root with { AccessKeyId = "ASIATEMPORARY", SessionToken = "token" };
        var sessions = new ConsoleSessions(new Keys(temporary), ConsoleSessions.DeriveKey(Root.SecretAccessKey, "000000000000"), new FakeTimeProvider(Now));
        Assert.Null(sessions.SignIn(temporary.AccessKeyId, temporary.SecretAccessKey));
    }

    [Fact]
    public void A_form_token_belongs_to_its_session()
    {
        var sessions = new ConsoleSessions(new Keys(Root), ConsoleSessions.DeriveKey(Root.SecretAccessKey, "000000000000"), new FakeTimeProvider(Now));
        var one = sessions.SignIn(Root.AccessKeyId, Root.SecretAccessKey)!;
        var two = sessions.SignIn(Root.AccessKeyId, Root.SecretAccessKey)!;
        Assert.True(sessions.CheckCsrf(one, sessions.CsrfToken(one)));
        Assert.False(sessions.CheckCsrf(one, sessions.CsrfToken(two)));
        Assert.False(sessions.CheckCsrf(one, null));
        Assert.False(sessions.CheckCsrf(one, string.Empty));
    }

    [Theory]
    [InlineData("/console/clusters/web", "/console/clusters/web")]
    [InlineData("/console/", "/console/")]
    [InlineData("//evil.example/console/", "/console/")]
    [InlineData("https://evil.example/console/", "/console/")]
    [InlineData("/console//evil.example", "/console/")]
    [InlineData("/console/\\evil", "/console/")]
    [InlineData("/elsewhere", "/console/")]
    [InlineData(null, "/console/")]
    public void After_sign_in_the_browser_only_goes_somewhere_inside_the_console(string? next, string expected)
        => Assert.Equal(expected, SignInPage.SafeNext(next));

    [Fact]
    public void Links_escape_each_name_as_one_segment()
    {
        Assert.Equal("/console/repositories/team%2Fapp", Links.Repository("team/app"));
        Assert.Equal("/console/clusters/web/tasks/abc", Links.Task("web", "abc"));
        Assert.Equal("/console/task-definitions/web/3", Links.TaskDefinitionArn("arn:aws:ecs:us-east-1:000000000000:task-definition/web:3"));
        Assert.Null(Links.TaskDefinitionArn("web"));
    }

    [Fact]
    public void The_clusters_page_lists_the_regions_clusters_with_their_counts_and_a_missing_cluster_is_404()
    {
        var state = ClusterDecisions.Create(EcsState.Empty, Scope, new CreateClusterRequest { ClusterName = "web" }).State;
        state = ClusterDecisions.Create(state, new Scope("eu-west-1", "000000000000"), new CreateClusterRequest { ClusterName = "elsewhere" }).State;
        var page = ClustersPage.Render(state, Scope);
        Assert.Equal(200, page.Status);
        Assert.Contains("<a href=\"/console/clusters/web\">web</a>", page.Body.Value, StringComparison.Ordinal);
        Assert.DoesNotContain("elsewhere", page.Body.Value, StringComparison.Ordinal);
        Assert.True(page.Live);

        Assert.Equal(200, ClusterPage.Render(state, Scope, "web").Status);
        Assert.Equal(404, ClusterPage.Render(state, Scope, "nope").Status);
        Assert.Throws<Berth.Protocol.Errors.AwsException>(() => ClusterPage.Render(state, Scope, "not a name"));
        Assert.Equal(404, TaskPage.Render(state, Scope, "web", "0123456789abcdef", null, "token").Status);
        Assert.Equal(404, TaskPage.Render(state, Scope, "nope", "0123456789abcdef", null, "token").Status);
    }

    [Fact]
    public void A_task_definition_page_shows_hostile_values_as_text()
    {
        var state = Register(EcsState.Empty, "hostile", "<script>alert(1)</script>", "<img src=x onerror=alert(1)>");
        var page = TaskDefinitionsPage.Revision(state, Scope, "hostile", "1", "token");
        Assert.Equal(200, page.Status);
        var html = page.Body.Value;
        Assert.DoesNotContain("<script>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<img", html, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", html, StringComparison.Ordinal);
        Assert.Contains("&lt;img src=x onerror=alert(1)&gt;", html, StringComparison.Ordinal);

        Assert.Equal(404, TaskDefinitionsPage.Revision(state, Scope, "hostile", "2", "token").Status);
        Assert.Equal(404, TaskDefinitionsPage.Revision(state, Scope, "hostile", "x", "token").Status);
        Assert.Equal(404, TaskDefinitionsPage.Revision(state, Scope, "hostile", "-1", "token").Status);
        Assert.Equal(404, TaskDefinitionsPage.Revisions(state, Scope, "nope").Status);
    }

    [Fact]
    public void The_JSON_a_new_revision_starts_from_registers_as_the_next_revision()
    {
        var state = Register(EcsState.Empty, "web", "plain", "echo hi");
        var json = TaskDefinitionsPage.RegisterJson(state.Families.Values.Single().Revisions[0].Wire());
        Assert.DoesNotContain("taskDefinitionArn", json, StringComparison.Ordinal);
        Assert.DoesNotContain("\"revision\"", json, StringComparison.Ordinal);
        var request = JsonSerializer.Deserialize(json, Berth.Ecs.Model.WireJsonContext.Default.RegisterTaskDefinitionRequest)!;
        var next = TaskDefinitionDecisions.Register(state, Scope, Root.PrincipalArn, Now, request);
        Assert.Equal(2, next.Result.Definition.Revision);
    }

    [Fact]
    public void Sizes_times_and_push_commands_read_as_a_person_expects()
    {
        Assert.Equal("512 B", Format.Bytes(512));
        Assert.Equal("1.5 MiB", Format.Bytes(1536 * 1024));
        Assert.Equal(Format.None, Format.Bytes(null));
        Assert.Equal("2026-12-03 06:00:00 UTC", Format.Time(Now));
        var commands = RepositoriesPage.PushCommands("http://127.0.0.1:4580", "127.0.0.1:4580", "127.0.0.1:4580/app");
        Assert.Contains("aws --endpoint-url http://127.0.0.1:4580 ecr get-login-password | docker login --username AWS --password-stdin 127.0.0.1:4580", commands, StringComparison.Ordinal);
        Assert.Contains("docker push 127.0.0.1:4580/app:TAG", commands, StringComparison.Ordinal);
    }

    [Fact]
    public void The_load_balancer_pages_show_listeners_rules_and_target_groups_with_hostile_values_as_text()
    {
        var (elb, web, _) = LoadBalancing();
        var view = new LoadBalancingView(elb, new Reports(), Now, null);
        var list = LoadBalancersPage.List(view, Scope.Region);
        Assert.True(list.Live);
        Assert.Contains("<a href=\"/console/load-balancers/front\">front</a>", list.Body.Value, StringComparison.Ordinal);
        Assert.Contains("front-1111111111111111.us-east-1.elb.localhost", list.Body.Value, StringComparison.Ordinal);
        Assert.Contains("No load balancers match.", LoadBalancersPage.List(view, Scope.Region, new Dictionary<string, string> { ["q"] = "back" }).Body.Value, StringComparison.Ordinal);
        Assert.Contains(">front</a>", LoadBalancersPage.List(view, Scope.Region, new Dictionary<string, string> { ["q"] = "FRO" }).Body.Value, StringComparison.Ordinal);

        var page = LoadBalancersPage.LoadBalancer(view, Scope.Region, "front");
        Assert.Equal(200, page.Status);
        Assert.True(page.Live);
        var html = page.Body.Value;
        Assert.Contains("<code id=\"lb-dns-name\">front-1111111111111111.us-east-1.elb.localhost</code>", html, StringComparison.Ordinal);
        Assert.Contains("<dt>Idle timeout</dt><dd>120 s</dd>", html, StringComparison.Ordinal);
        Assert.Contains("aria-label=\"Rules of listener HTTP:80\"", html, StringComparison.Ordinal);
        Assert.Contains("<dt>Default action</dt><dd>forward to <a href=\"/console/target-groups/web\">web</a></dd>", html, StringComparison.Ordinal);
        Assert.Contains("forward to <a href=\"/console/target-groups/web\">web</a> (weight 80), <a href=\"/console/target-groups/canary\">canary</a> (weight 20)", html, StringComparison.Ordinal);
        Assert.Contains("redirect (301) to <code>HTTPS://#{host}:443/#{path}?#{query}</code>", html, StringComparison.Ordinal);
        Assert.Contains("host is <code>api.example.com</code>", html, StringComparison.Ordinal);

        // The fixed response's body, a path pattern and the tags are the user's: text, never markup.
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<img", html, StringComparison.Ordinal);
        Assert.Contains("fixed response 503 (text/html): <q class=\"body\">&lt;script&gt;alert(2)&lt;/script&gt;</q>", html, StringComparison.Ordinal);
        Assert.Contains("path is <code>/&lt;script&gt;*</code>", html, StringComparison.Ordinal);
        Assert.Contains("&lt;img src=x onerror=alert(1)&gt;", html, StringComparison.Ordinal);

        // Unknown names are 404; a name no load balancer could have is ELB's own ValidationError.
        Assert.Equal(404, LoadBalancersPage.LoadBalancer(view, Scope.Region, "nope").Status);
        Assert.Equal(404, LoadBalancersPage.LoadBalancer(view, "eu-west-1", "front").Status);
        var refused = Assert.Throws<Berth.Protocol.Errors.AwsException>(() => LoadBalancersPage.LoadBalancer(view, Scope.Region, "not a name"));
        Assert.Equal("ValidationError", refused.ErrorType);
        Assert.Contains("can only contain characters that are alphanumeric", refused.Message, StringComparison.Ordinal);
        Assert.Equal(404, TargetGroupsPage.TargetGroup(view, Scope.Region, "nope").Status);
        Assert.Throws<Berth.Protocol.Errors.AwsException>(() => TargetGroupsPage.TargetGroup(view, Scope.Region, "-bad"));
        _ = web;
    }

    [Fact]
    public void A_target_groups_page_shows_its_targets_health_as_DescribeTargetHealth_reports_it()
    {
        var (elb, web, idle) = LoadBalancing();
        var health = new Reports();
        var view = new LoadBalancingView(elb, health, Now, null);
        var page = TargetGroupsPage.TargetGroup(view, Scope.Region, "web");
        Assert.Equal(200, page.Status);
        Assert.True(page.Live);
        var html = page.Body.Value;
        var described = TargetDecisions.DescribeHealth(elb, Now, health, new DescribeTargetHealthInput { TargetGroupArn = web }).TargetHealthDescriptions!;
        Assert.Equal(["unhealthy", "draining", "initial"], described.Select(d => d.TargetHealth!.State!).ToArray());
        foreach (var target in described)
        {
            Assert.Contains($"<code>{target.Target!.Id}</code>", html, StringComparison.Ordinal);
            Assert.Contains($">{target.TargetHealth!.State}</span></td><td>{target.TargetHealth.Reason}</td>", html, StringComparison.Ordinal);
        }

        Assert.Contains("<p id=\"target-counts\">1 unhealthy, 1 initial, 1 draining</p>", html, StringComparison.Ordinal);
        Assert.Contains("Health checks failed with these codes: [500]", html, StringComparison.Ordinal);
        Assert.Contains("<dt>Deregistration delay</dt><dd>300 s</dd>", html, StringComparison.Ordinal);
        Assert.Contains("<dt>Algorithm</dt><dd>least_outstanding_requests</dd>", html, StringComparison.Ordinal);
        Assert.Contains("<dt>Load balancers</dt><dd><a href=\"/console/load-balancers/front\">front</a></dd>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("&lt;script&gt;alert(3)&lt;/script&gt;", html, StringComparison.Ordinal);

        // A group no listener forwards to: its targets are unused, as ALB says.
        var unused = TargetGroupsPage.TargetGroup(view, Scope.Region, "idle").Body.Value;
        Assert.Contains("Target.NotInUse", unused, StringComparison.Ordinal);
        Assert.Contains("<p id=\"target-counts\">1 unused</p>", unused, StringComparison.Ordinal);
        var all = TargetGroupsPage.List(view, Scope.Region).Body.Value;
        Assert.Contains("<a href=\"/console/target-groups/idle\">idle</a>", all, StringComparison.Ordinal);
        Assert.Contains("1 unhealthy, 1 initial, 1 draining", all, StringComparison.Ordinal);
        Assert.Equal("no targets", LoadBalancingView.Counts([]));
        _ = idle;
    }

    [Fact]
    public void A_services_page_links_its_target_group_and_counts_the_health_of_the_services_targets()
    {
        var (elb, web, _) = LoadBalancing();
        var state = ClusterDecisions.Create(EcsState.Empty, Scope, new CreateClusterRequest { ClusterName = "web" }).State;
        state = TaskDefinitionDecisions.Register(state, Scope, Root.PrincipalArn, Now, new RegisterTaskDefinitionRequest
        {
            Family = "app",
            ContainerDefinitions = [new ContainerDefinition { Name = "main", Image = "busybox", Memory = 64, PortMappings = [new PortMapping { ContainerPort = 80 }] }],
        }).State;
        state = ServiceDecisions.Create(state, Scope, Root.PrincipalArn, IdSource.Sequential(), Now, new CreateServiceRequest
        {
            Cluster = "web",
            ServiceName = "app",
            TaskDefinition = "app",
            DesiredCount = 0,
            LoadBalancers = [new Berth.Ecs.Model.LoadBalancer { TargetGroupArn = web, ContainerName = "main", ContainerPort = 80 }],
        }, new Catalog(web)).State;

        // Without a way to tell the service's targets, every target of the group counts.
        var page = ServicePage.Render(state, Scope, "web", "app", "token", loadBalancing: new LoadBalancingView(elb, new Reports(), Now, null));
        Assert.Equal(200, page.Status);
        Assert.Contains("<td><a href=\"/console/target-groups/web\">web</a></td><td><a href=\"/console/load-balancers/front\">front</a></td>", page.Body.Value, StringComparison.Ordinal);
        Assert.Contains("<td class=\"target-health\">1 unhealthy, 1 initial, 1 draining</td>", page.Body.Value, StringComparison.Ordinal);

        // With it, only the targets of the service's tasks (it has none yet).
        var own = ServicePage.Render(state, Scope, "web", "app", "token", loadBalancing: new LoadBalancingView(elb, new Reports(), Now, (_, _, _) => [(web, "10.0.0.5", 8080)]));
        Assert.Contains("<td class=\"target-health\">no targets</td>", own.Body.Value, StringComparison.Ordinal);

        // Without load balancing, the ARN as configured.
        Assert.Contains($"<td><code>{web}</code></td>", ServicePage.Render(state, Scope, "web", "app", "token").Body.Value, StringComparison.Ordinal);
    }

    // Two target groups behind one load balancer (a weighted forward, a fixed response and a redirect rule), a third
    // no listener uses, targets unhealthy, draining and not checked yet, and hostile values where users give text.
    private static (ElbState State, string Web, string Idle) LoadBalancing()
    {
        var ids = 0;
        ElbScope ScopeOf() => new(Scope.Region, Scope.AccountId, Now, [(++ids).ToString("x16", CultureInfo.InvariantCulture), "2222222222222222"]);
        var state = ElbState.Empty;
        CreateTargetGroupOutput Group(string name) => Apply(ref state, TargetGroupDecisions.Create(state, ScopeOf(), new CreateTargetGroupInput
        {
            Name = name,
            Protocol = "HTTP",
            Port = 8080,
            TargetType = "ip",
            Tags = [new Berth.Elb.Model.Tag { Key = "owner", Value = "<script>alert(3)</script>" }],
        }));
        var web = Group("web").TargetGroups![0].TargetGroupArn!;
        var canary = Group("canary").TargetGroups![0].TargetGroupArn!;
        var idle = Group("idle").TargetGroups![0].TargetGroupArn!;
        var lb = Apply(ref state, LoadBalancerDecisions.Create(state, new ElbScope(Scope.Region, Scope.AccountId, Now, ["1111111111111111", "2222222222222222"]), new CreateLoadBalancerInput
        {
            Name = "front",
            Subnets = ["subnet-a"],
            Tags = [new Berth.Elb.Model.Tag { Key = "note", Value = "<img src=x onerror=alert(1)>" }],
        }, ElbApi.DefaultDnsName)).LoadBalancers![0].LoadBalancerArn!;
        Apply(ref state, LoadBalancerDecisions.ModifyAttributes(state, new ModifyLoadBalancerAttributesInput { LoadBalancerArn = lb, Attributes = [new LoadBalancerAttribute { Key = "idle_timeout.timeout_seconds", Value = "120" }] }));
        Apply(ref state, TargetGroupDecisions.ModifyAttributes(state, new ModifyTargetGroupAttributesInput { TargetGroupArn = web, Attributes = [new TargetGroupAttribute { Key = "load_balancing.algorithm.type", Value = "least_outstanding_requests" }] }));
        var listener = Apply(ref state, ListenerDecisions.Create(state, ScopeOf(), new CreateListenerInput
        {
            LoadBalancerArn = lb,
            Protocol = "HTTP",
            Port = 80,
            DefaultActions = [new ActionValue { Type = "forward", TargetGroupArn = web }],
        })).Listeners![0].ListenerArn!;
        Apply(ref state, RuleDecisions.Create(state, ScopeOf(), new CreateRuleInput
        {
            ListenerArn = listener,
            Priority = 10,
            Conditions = [new RuleCondition { Field = "path-pattern", Values = ["/<script>*"] }],
            Actions = [new ActionValue { Type = "fixed-response", FixedResponseConfig = new FixedResponseActionConfig { StatusCode = "503", ContentType = "text/html", MessageBody = "<script>alert(2)</script>" } }],
        }));
        Apply(ref state, RuleDecisions.Create(state, ScopeOf(), new CreateRuleInput
        {
            ListenerArn = listener,
            Priority = 20,
            Conditions = [new RuleCondition { Field = "host-header", Values = ["api.example.com"] }],
            Actions =
            [
                new ActionValue
                {
                    Type = "forward",
                    ForwardConfig = new ForwardActionConfig { TargetGroups = [new TargetGroupTuple { TargetGroupArn = web, Weight = 80 }, new TargetGroupTuple { TargetGroupArn = canary, Weight = 20 }] },
                },
            ],
        }));
        Apply(ref state, RuleDecisions.Create(state, ScopeOf(), new CreateRuleInput
        {
            ListenerArn = listener,
            Priority = 30,
            Conditions = [new RuleCondition { Field = "http-request-method", Values = ["POST"] }],
            Actions = [new ActionValue { Type = "redirect", RedirectConfig = new RedirectActionConfig { Protocol = "HTTPS", Port = "443", StatusCode = "HTTP_301" } }],
        }));
        Apply(ref state, TargetDecisions.Register(state, Now, new RegisterTargetsInput
        {
            TargetGroupArn = web,
            Targets = [new TargetDescription { Id = "10.0.0.5" }, new TargetDescription { Id = "10.0.0.6" }, new TargetDescription { Id = "10.0.0.7" }],
        }));
        Apply(ref state, TargetDecisions.Deregister(state, Now, new DeregisterTargetsInput { TargetGroupArn = web, Targets = [new TargetDescription { Id = "10.0.0.6" }] }));
        Apply(ref state, TargetDecisions.Register(state, Now, new RegisterTargetsInput { TargetGroupArn = idle, Targets = [new TargetDescription { Id = "10.0.0.9" }] }));
        return (state, web, idle);
    }

    private static TOutput Apply<TOutput>(ref ElbState state, Berth.Storage.Commit.Decision<ElbState, TOutput> decision)
    {
        state = decision.State;
        return decision.Result;
    }

    // What the data plane's checks would say: 10.0.0.5 answers 500; the others have not been checked yet.
    private sealed class Reports : ITargetHealthSource
    {
        public TargetHealthReport? Report(string targetGroupArn, string targetId, int port) => targetId == "10.0.0.5"
            ? new TargetHealthReport("unhealthy", "Target.ResponseCodeMismatch", "Health checks failed with these codes: [500]")
            : null;
    }

    private sealed class Catalog(string arn) : ITargetGroupCatalog
    {
        public TargetGroupFacts? Find(string targetGroupArn) => targetGroupArn == arn ? new TargetGroupFacts(arn, "instance", true) : null;
    }

    private static EcsState Register(EcsState state, string family, string environmentValue, string command)
        => TaskDefinitionDecisions.Register(state, Scope, Root.PrincipalArn, Now, new RegisterTaskDefinitionRequest
        {
            Family = family,
            ContainerDefinitions =
            [
                new ContainerDefinition
                {
                    Name = "main",
                    Image = "busybox",
                    Memory = 64,
                    Command = ["sh", "-c", command],
                    Environment = [new Berth.Ecs.Model.KeyValuePair { Name = "GREETING", Value = environmentValue }],
                },
            ],
        }).State;
}
