using Berth.Ecs.Arns;
using Berth.Ecs.Model;
using Berth.Ecs.Paging;
using Berth.Ecs.State;
using Berth.Protocol.Errors;
using Berth.Storage.Commit;

namespace Berth.Ecs.AccountSettings;

/// <summary>
/// ECS account settings: per principal, with an account default (kept under the root principal) and
/// AWS's own defaults beneath both. Effective value = principal's, else the account default, else AWS's.
/// </summary>
public static class AccountSettingDecisions
{
    /// <summary>The value ECS uses when nobody set one, and the values each setting accepts.</summary>
    public static readonly IReadOnlyDictionary<string, (string Default, string[] Allowed)> Known = new Dictionary<string, (string, string[])>(StringComparer.Ordinal)
    {
        ["serviceLongArnFormat"] = ("enabled", ["enabled", "disabled"]),
        ["taskLongArnFormat"] = ("enabled", ["enabled", "disabled"]),
        ["containerInstanceLongArnFormat"] = ("enabled", ["enabled", "disabled"]),
        ["awsvpcTrunking"] = ("disabled", ["enabled", "disabled"]),
        ["containerInsights"] = ("disabled", ["enabled", "disabled", "enhanced"]),
        ["fargateFIPSMode"] = ("disabled", ["enabled", "disabled"]),
        ["tagResourceAuthorization"] = ("on", ["on", "off"]),
        ["fargateTaskRetirementWaitPeriod"] = ("7", ["0", "7", "14"]),
        ["guardDutyActivate"] = ("off", ["on", "off"]),
        ["defaultLogDriverMode"] = ("non-blocking", ["blocking", "non-blocking"]),
        ["fargateEventWindows"] = ("disabled", ["enabled", "disabled"]),
    };

    /// <summary>The account default of setting <paramref name="name"/> in <paramref name="scope"/>: what PutAccountSettingDefault set, else AWS's.</summary>
    public static string AccountDefault(EcsState state, Scope scope, string name)
        => state.Settings.TryGetValue(EcsState.SettingKey(scope.Region, scope.RootPrincipal, name), out var set) ? set.Value : Known[name].Default;

    /// <summary>PutAccountSetting for a principal (the caller when none is given).</summary>
    public static Decision<EcsState, Setting> Put(EcsState state, Scope scope, string caller, PutAccountSettingRequest request)
        => Set(state, scope, request.Name, request.Value, request.PrincipalArn ?? caller);

    /// <summary>PutAccountSettingDefault: the account default, for every principal that has no setting of its own.</summary>
    public static Decision<EcsState, Setting> PutDefault(EcsState state, Scope scope, PutAccountSettingDefaultRequest request)
        => Set(state, scope, request.Name, request.Value, scope.RootPrincipal);

    /// <summary>DeleteAccountSetting: removes a principal's own value; the effective one falls back to the default.</summary>
    public static Decision<EcsState, Setting> Delete(EcsState state, Scope scope, string caller, DeleteAccountSettingRequest request)
    {
        var name = CheckName(request.Name);
        var principal = request.PrincipalArn ?? caller;
        var key = EcsState.SettingKey(scope.Region, principal, name);
        var edit = new StateEdit(state);
        if (!state.Settings.TryGetValue(key, out var stored))
        {
            throw AwsException.InvalidParameter($"The specified setting {name} is not set for principal {principal}.");
        }

        edit.RemoveSetting(key);
        return edit.Done(ToWire(stored, "user"));
    }

    /// <summary>ListAccountSettings.</summary>
    public static ListAccountSettingsResponse List(EcsState state, Scope scope, string caller, ListAccountSettingsRequest request)
    {
        if (request.Name is not null)
        {
            CheckName(request.Name);
        }

        if (request.Value is not null && request.Name is null)
        {
            throw AwsException.InvalidParameter("The name parameter must be specified when the value parameter is specified.");
        }

        var size = Page.Size(request.MaxResults, 10);
        var principal = request.PrincipalArn ?? caller;
        var effective = request.EffectiveSettings ?? false;
        var settings = new List<(string, Setting)>();
        foreach (var (name, known) in Known.OrderBy(k => k.Key, StringComparer.Ordinal))
        {
            if (request.Name is not null && request.Name != name)
            {
                continue;
            }

            Setting? setting = null;
            if (state.Settings.TryGetValue(EcsState.SettingKey(scope.Region, principal, name), out var own))
            {
                setting = ToWire(own, "user");
            }
            else if (effective)
            {
                setting = state.Settings.TryGetValue(EcsState.SettingKey(scope.Region, scope.RootPrincipal, name), out var byDefault)
                    ? ToWire(byDefault, "user")
                    : new Setting { Name = name, Value = known.Default, PrincipalArn = scope.RootPrincipal, Type = "aws_managed" };
            }

            if (setting is not null && (request.Value is null || setting.Value == request.Value))
            {
                settings.Add((name, setting));
            }
        }

        var (items, next) = Page.Take(settings, size, request.NextToken, "ListAccountSettings");
        return new ListAccountSettingsResponse { Settings = items, NextToken = next };
    }

    private static Decision<EcsState, Setting> Set(EcsState state, Scope scope, string? requestedName, string? value, string principal)
    {
        var name = CheckName(requestedName);
        var allowed = Known[name].Allowed;
        if (value is null || Array.IndexOf(allowed, value) < 0)
        {
            throw AwsException.InvalidParameter($"The specified value for {name} is invalid. Valid values are: {string.Join(", ", allowed)}.");
        }

        var stored = new StoredSetting(scope.Region, name, value, principal);
        var edit = new StateEdit(state);
        edit.Put(EcsState.SettingKey(scope.Region, principal, name), stored);
        return edit.Done(ToWire(stored, "user"));
    }

    private static string CheckName(string? name)
    {
        if (name is null || !Known.ContainsKey(name))
        {
            throw AwsException.InvalidParameter($"Invalid setting name: {name}. Valid names are: {string.Join(", ", Known.Keys)}.");
        }

        return name;
    }

    private static Setting ToWire(StoredSetting stored, string type)
        => new() { Name = stored.Name, Value = stored.Value, PrincipalArn = stored.PrincipalArn, Type = type };
}
