using Berth.Ecs.AccountSettings;
using Berth.Ecs.Model;
using Berth.Ecs.State;
using Berth.Protocol.Errors;
using static Berth.Ecs.Tests.Decisions.Fixtures;

namespace Berth.Ecs.Tests.Decisions;

public class AccountSettingTests
{
    private const string Role = "arn:aws:iam::000000000000:role/dev";

    [Fact]
    public void EffectiveValueIsThePrincipalsThenTheDefaultThenAws()
    {
        var state = EcsState.Empty;
        string Effective(EcsState s) => AccountSettingDecisions.List(s, Scope, Role, new ListAccountSettingsRequest { Name = "containerInsights", EffectiveSettings = true }).Settings!.Single().Value!;

        Assert.Equal("disabled", Effective(state));
        state = AccountSettingDecisions.PutDefault(state, Scope, new PutAccountSettingDefaultRequest { Name = "containerInsights", Value = "enabled" }).State;
        Assert.Equal("enabled", Effective(state));
        state = AccountSettingDecisions.Put(state, Scope, Role, new PutAccountSettingRequest { Name = "containerInsights", Value = "enhanced" }).State;
        Assert.Equal("enhanced", Effective(state));
        state = AccountSettingDecisions.Delete(state, Scope, Role, new DeleteAccountSettingRequest { Name = "containerInsights" }).State;
        Assert.Equal("enabled", Effective(state));
    }

    [Fact]
    public void TheAccountDefaultIsWhatPutAccountSettingDefaultSetElseAws()
    {
        Assert.Equal("non-blocking", AccountSettingDecisions.AccountDefault(EcsState.Empty, Scope, "defaultLogDriverMode"));
        var state = AccountSettingDecisions.Put(EcsState.Empty, Scope, Role, new PutAccountSettingRequest { Name = "defaultLogDriverMode", Value = "blocking" }).State;
        Assert.Equal("non-blocking", AccountSettingDecisions.AccountDefault(state, Scope, "defaultLogDriverMode"));
        state = AccountSettingDecisions.PutDefault(state, Scope, new PutAccountSettingDefaultRequest { Name = "defaultLogDriverMode", Value = "blocking" }).State;
        Assert.Equal("blocking", AccountSettingDecisions.AccountDefault(state, Scope, "defaultLogDriverMode"));
    }

    [Fact]
    public void WithoutEffectiveSettingsOnlyOwnSettingsAreListed()
    {
        var state = AccountSettingDecisions.Put(EcsState.Empty, Scope, Role, new PutAccountSettingRequest { Name = "awsvpcTrunking", Value = "enabled" }).State;
        var own = AccountSettingDecisions.List(state, Scope, Role, new ListAccountSettingsRequest());
        Assert.Equal("awsvpcTrunking", Assert.Single(own.Settings!).Name);
        var all = AccountSettingDecisions.List(state, Scope, Role, new ListAccountSettingsRequest { EffectiveSettings = true, MaxResults = 10 });
        Assert.Equal(10, all.Settings!.Count);
        Assert.NotNull(all.NextToken);
    }

    [Theory]
    [InlineData("containerInsights", "maybe")]
    [InlineData("noSuchSetting", "enabled")]
    [InlineData("fargateTaskRetirementWaitPeriod", "3")]
    public void InvalidNamesAndValuesAreRefused(string name, string value)
    {
        var ex = Assert.Throws<AwsException>(() => AccountSettingDecisions.Put(EcsState.Empty, Scope, Role, new PutAccountSettingRequest { Name = name, Value = value }));
        Assert.Equal("InvalidParameterException", ex.ErrorType);
    }
}
