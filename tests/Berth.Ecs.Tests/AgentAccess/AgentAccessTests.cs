using Berth.Ecs.AgentAccess;
using Berth.Ecs.Model;
using Berth.Ecs.State;
using Berth.Ecs.Tests.Tasks;
using Berth.Protocol.Auth;
using Berth.Protocol.Errors;
using Berth.Storage.Documents;
using static Berth.Ecs.Tests.Decisions.Fixtures;

namespace Berth.Ecs.Tests.AgentAccess;

public sealed class AgentAccessTests
{
    private static JoinTokenRecord Token(string id = "BJTAAAAAAAAAAAAAAAAA", string? cluster = null, DateTimeOffset? expires = null) =>
        new() { TokenId = id, Secret = "s", Cluster = cluster, CreatedAt = Now, ExpiresAt = expires };

    private static AgentKeyRecord Key(string id, string ec2) =>
        new() { AccessKeyId = id, SecretAccessKey = "k", TokenId = string.Empty, Cluster = string.Empty, Ec2InstanceId = ec2 };

    private static EcsState With(EcsState state, JoinTokenRecord token) => AgentAccessDecisions.Create(state, Now, token).State;

    [Fact]
    public void An_agent_joins_the_token_s_cluster_or_the_one_it_names_and_never_another()
    {
        var state = With(With(EcsState.Empty, Token("BJTBOUND000000000000", cluster: "web")), Token("BJTANY00000000000000"));

        var bound = AgentAccessDecisions.Join(state, Now, "BJTBOUND000000000000", null, Key("BAK1", "i-1"));
        Assert.Equal("web", bound.Result.Cluster);
        Assert.Equal("BJTBOUND000000000000", bound.Result.TokenId);
        Assert.Equal("web", AgentAccessDecisions.Join(state, Now, "BJTBOUND000000000000", "arn:aws:ecs:us-east-1:000000000000:cluster/web", Key("BAK2", "i-2")).Result.Cluster);
        Assert.Equal("InvalidParameterException", Assert.Throws<AwsException>(() => AgentAccessDecisions.Join(state, Now, "BJTBOUND000000000000", "other", Key("BAK3", "i-3"))).ErrorType);

        Assert.Equal("other", AgentAccessDecisions.Join(state, Now, "BJTANY00000000000000", "other", Key("BAK4", "i-4")).Result.Cluster);
        Assert.Equal("default", AgentAccessDecisions.Join(state, Now, "BJTANY00000000000000", null, Key("BAK5", "i-5")).Result.Cluster);
    }

    [Fact]
    public void An_agent_keeps_the_instance_id_it_asks_for_only_while_nobody_has_it()
    {
        var world = new World();
        var arn = world.AddInstance();
        var registered = world.State.ContainerInstances[arn].Ec2InstanceId;
        var state = With(world.State, Token());
        var free = AgentAccessDecisions.Join(state, Now, "BJTAAAAAAAAAAAAAAAAA", null, Key("BAK1", "i-0000000000000new1"), "i-0123456789abcdef0");
        Assert.Equal("i-0123456789abcdef0", free.Result.Ec2InstanceId);

        // Held by a key already, by a registered instance, or not an instance id: the key's own new id.
        Assert.Equal("i-0000000000000new2", AgentAccessDecisions.Join(free.State, Now, "BJTAAAAAAAAAAAAAAAAA", null, Key("BAK2", "i-0000000000000new2"), "i-0123456789abcdef0").Result.Ec2InstanceId);
        Assert.Equal("i-0000000000000new3", AgentAccessDecisions.Join(state, Now, "BJTAAAAAAAAAAAAAAAAA", null, Key("BAK3", "i-0000000000000new3"), registered).Result.Ec2InstanceId);
        Assert.Equal("i-0000000000000new4", AgentAccessDecisions.Join(state, Now, "BJTAAAAAAAAAAAAAAAAA", null, Key("BAK4", "i-0000000000000new4"), "not-an-id").Result.Ec2InstanceId);
    }

    [Fact]
    public void Expired_revoked_and_unknown_tokens_join_nobody()
    {
        var state = With(EcsState.Empty, Token(expires: Now.AddMinutes(1)));
        Assert.Equal("ResourceNotFoundException", Assert.Throws<AwsException>(() => AgentAccessDecisions.Join(state, Now.AddMinutes(1), "BJTAAAAAAAAAAAAAAAAA", null, Key("BAK1", "i-1"))).ErrorType);
        Assert.Equal("ResourceNotFoundException", Assert.Throws<AwsException>(() => AgentAccessDecisions.Join(state, Now, "BJTNOPE0000000000000", null, Key("BAK1", "i-1"))).ErrorType);

        var joined = AgentAccessDecisions.Join(state, Now, "BJTAAAAAAAAAAAAAAAAA", null, Key("BAK1", "i-1")).State;
        var revoked = AgentAccessDecisions.Revoke(joined, Now, "BJTAAAAAAAAAAAAAAAAA");
        Assert.Empty(revoked.State.AgentKeys);
        Assert.Equal(Now, revoked.State.JoinTokens["BJTAAAAAAAAAAAAAAAAA"].RevokedAt);
        Assert.Contains(revoked.Mutations, m => m.Kind == StateCodec.AgentKeyKind && m.Body is null);
        Assert.Throws<AwsException>(() => AgentAccessDecisions.Join(revoked.State, Now, "BJTAAAAAAAAAAAAAAAAA", null, Key("BAK2", "i-2")));
    }

    [Fact]
    public void The_built_in_token_is_made_once_and_cannot_be_revoked()
    {
        var once = AgentAccessDecisions.EnsureBuiltin(EcsState.Empty, Now, "BJTBUILTINLOCALAGENT");
        Assert.True(once.Result);
        var twice = AgentAccessDecisions.EnsureBuiltin(once.State, Now, "BJTBUILTINLOCALAGENT");
        Assert.False(twice.Result);
        Assert.Empty(twice.Mutations);
        Assert.Equal("InvalidParameterException", Assert.Throws<AwsException>(() => AgentAccessDecisions.Revoke(once.State, Now, "BJTBUILTINLOCALAGENT")).ErrorType);
    }

    [Theory]
    [InlineData("bad name!", null, 3600, "InvalidParameterException")]
    [InlineData(null, "x", -1, "InvalidParameterException")]
    public void A_token_is_checked_before_it_is_made(string? cluster, string? description, int expiresIn, string error)
    {
        var token = Token(cluster: cluster, expires: Now.AddSeconds(expiresIn)) with { Description = description is null ? null : new string('d', 300) };
        Assert.Equal(error, Assert.Throws<AwsException>(() => AgentAccessDecisions.Create(EcsState.Empty, Now, token)).ErrorType);
    }

    [Fact]
    public void At_most_one_hundred_usable_tokens()
    {
        var state = EcsState.Empty;
        for (var i = 0; i < AgentAccessDecisions.MaxUsableTokens; i++)
        {
            state = With(state, Token($"BJT{i:D17}"));
        }

        Assert.Equal("LimitExceededException", Assert.Throws<AwsException>(() => With(state, Token("BJTONEMORE0000000000"))).ErrorType);
        state = AgentAccessDecisions.Revoke(state, Now, $"BJT{0:D17}").State;
        Assert.Equal(101, With(state, Token("BJTONEMORE0000000000")).JoinTokens.Count);
    }

    [Fact]
    public void Tokens_and_keys_are_stored_and_read_back()
    {
        var state = With(EcsState.Empty, Token(cluster: "web", expires: Now.AddHours(1)));
        var join = AgentAccessDecisions.Join(state, Now, "BJTAAAAAAAAAAAAAAAAA", null, Key("BAK1", "i-1"));
        var documents = AgentAccessDecisions.Create(EcsState.Empty, Now, Token(cluster: "web", expires: Now.AddHours(1))).Mutations.Concat(join.Mutations)
            .Select(m => new StoredDocument(m.Kind, m.Id, m.Body!)).ToList();

        var loaded = StateCodec.Load(documents);
        Assert.Equal(join.State.JoinTokens.Values, loaded.JoinTokens.Values);
        Assert.Equal(join.State.AgentKeys.Values, loaded.AgentKeys.Values);
        Assert.Equal(join.State.AgentKeys.Values, StateCodec.Apply(EcsState.Empty, [.. documents.Select(d => Mutation.Put(d.Kind, d.Id, d.Body))]).AgentKeys.Values);
    }

    [Fact]
    public void An_agent_s_key_registers_reports_and_listens_only_for_its_own_instance()
    {
        var world = new World();
        var mine = world.AddInstance();
        var theirs = world.AddInstance();
        var myEc2 = world.State.ContainerInstances[mine].Ec2InstanceId;
        var caller = new CredentialScope(CredentialKind.Agent, "BJT", World.ClusterName, myEc2);
        var definition = world.Define();
        var myTask = world.Run(definition, change: r => r.PlacementConstraints = [new PlacementConstraint { Type = "memberOf", Expression = $"ec2InstanceId == {myEc2}" }]).Tasks![0].TaskArn!;
        var theirTask = world.Run(definition, change: r => r.PlacementConstraints = [new PlacementConstraint { Type = "memberOf", Expression = $"ec2InstanceId != {myEc2}" }]).Tasks![0].TaskArn!;

        AgentAccessRules.CheckRegister(world.State, Scope, caller, new RegisterContainerInstanceRequest { Cluster = World.ClusterName, ContainerInstanceArn = mine, Ec2InstanceId = myEc2 });
        AgentAccessRules.CheckRegister(world.State, Scope, caller, new RegisterContainerInstanceRequest { Cluster = World.ClusterName, InstanceIdentityDocument = $$"""{"instanceId":"{{myEc2}}"}""" });
        AgentAccessRules.CheckTaskReport(world.State, Scope, caller, World.ClusterName, myTask, "ecs:SubmitTaskStateChange");
        Assert.True(AgentAccessRules.OwnsInstance(world.State, caller, mine));
        Assert.False(AgentAccessRules.OwnsInstance(world.State, caller, theirs));
        Assert.False(AgentAccessRules.OwnsInstance(world.State, caller with { Cluster = "other" }, mine));

        var refused = new Action[]
        {
            () => AgentAccessRules.CheckRegister(world.State, Scope, caller, new RegisterContainerInstanceRequest { Cluster = World.ClusterName, ContainerInstanceArn = theirs, Ec2InstanceId = myEc2 }),
            () => AgentAccessRules.CheckRegister(world.State, Scope, caller, new RegisterContainerInstanceRequest { Cluster = World.ClusterName, Ec2InstanceId = world.State.ContainerInstances[theirs].Ec2InstanceId }),
            () => AgentAccessRules.CheckRegister(world.State, Scope, caller, new RegisterContainerInstanceRequest { Cluster = "default", Ec2InstanceId = myEc2 }),
            () => AgentAccessRules.CheckRegister(world.State, Scope, caller, new RegisterContainerInstanceRequest { Cluster = World.ClusterName }),
            () => AgentAccessRules.CheckTaskReport(world.State, Scope, caller, World.ClusterName, theirTask, "ecs:SubmitTaskStateChange"),
            () => AgentAccessRules.CheckTaskReport(world.State, Scope, caller, World.ClusterName, "no-such-task", "ecs:SubmitTaskStateChange"),
            () => AgentAccessRules.CheckTaskReport(world.State, Scope, caller with { Kind = CredentialKind.JoinToken }, World.ClusterName, myTask, "ecs:SubmitTaskStateChange"),
        };
        foreach (var attempt in refused)
        {
            var error = Assert.Throws<AwsException>(attempt);
            Assert.Equal("AccessDeniedException", error.ErrorType);
            Assert.StartsWith($"User: arn:aws:sts::000000000000:assumed-role/", error.Message, StringComparison.Ordinal);
        }

        // The account's keys are not scoped: every check passes.
        AgentAccessRules.CheckTaskReport(world.State, Scope, null, World.ClusterName, theirTask, "ecs:SubmitTaskStateChange");
    }

    [Fact]
    public void An_agent_writes_only_the_log_groups_task_definitions_name()
    {
        var world = new World();
        var logged = World.Container();
        logged.LogConfiguration = new LogConfiguration { LogDriver = "awslogs", Options = new() { ["awslogs-group"] = "/ecs/app", ["awslogs-region"] = "us-east-1" } };
        world.Define(containers: logged);
        Assert.True(AgentAccessRules.MayWriteLogGroup(world.State, "/ecs/app"));
        Assert.False(AgentAccessRules.MayWriteLogGroup(world.State, "/ecs/other"));
    }
}
