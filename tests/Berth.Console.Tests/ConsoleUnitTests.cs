using System.Text.Json;
using Berth.Ecs.Arns;
using Berth.Ecs.Clusters;
using Berth.Ecs.Model;
using Berth.Ecs.State;
using Berth.Ecs.TaskDefinitions;
using Berth.Protocol.Auth;
using Berth.WebConsole.Auth;
using Berth.WebConsole.Clusters;
using Berth.WebConsole.Html;
using Berth.WebConsole.Repositories;
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
        var request = JsonSerializer.Deserialize(json, WireJsonContext.Default.RegisterTaskDefinitionRequest)!;
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
