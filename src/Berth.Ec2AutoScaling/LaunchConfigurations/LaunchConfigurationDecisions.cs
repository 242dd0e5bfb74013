using System.Collections.Immutable;
using Berth.Ec2AutoScaling.Model;
using Berth.Ec2AutoScaling.State;
using Berth.Storage.Commit;

namespace Berth.Ec2AutoScaling.LaunchConfigurations;

/// <summary>CreateLaunchConfiguration, DescribeLaunchConfigurations and DeleteLaunchConfiguration as pure functions.</summary>
public static class LaunchConfigurationDecisions
{
    /// <summary>CreateLaunchConfiguration: an image and a known instance type; the user data names the cluster.</summary>
    public static Decision<AsgState, NoOutput> Create(AsgState state, AsgScope scope, CreateLaunchConfigurationType input)
    {
        var name = Names.Check(input.LaunchConfigurationName, "launchConfigurationName");
        if (input.InstanceId is not null)
        {
            throw AsgErrors.Validation("Berth cannot create a launch configuration from an instance (InstanceId); give ImageId and InstanceType.");
        }

        if (string.IsNullOrEmpty(input.ImageId) || string.IsNullOrEmpty(input.InstanceType))
        {
            throw AsgErrors.Validation("Valid requests must contain either the InstanceID parameter or both the ImageId and InstanceType parameters.");
        }

        if (InstanceSizes.Of(input.InstanceType) is null)
        {
            throw AsgErrors.Validation($"The instance type '{input.InstanceType}' is not one Berth knows the size of. Known types: {string.Join(", ", InstanceSizes.Known)}.");
        }

        string cluster;
        try
        {
            if (input.UserData is { Length: > UserData.MaxBytes * 4 / 3 + 4 })
            {
                throw AsgErrors.Validation($"User data is limited to {UserData.MaxBytes} bytes.");
            }

            cluster = UserData.Cluster(input.UserData);
        }
        catch (FormatException)
        {
            throw AsgErrors.Validation("Invalid BASE64 encoding of user data.");
        }

        var key = AsgState.Key(scope.Region, name);
        if (state.LaunchConfigurations.ContainsKey(key))
        {
            throw AsgErrors.AlreadyExists($"Launch Configuration by this name already exists - A launch configuration already exists with the name {name}");
        }

        var edit = new AsgEdit(state);
        edit.Put(key, new LaunchConfigurationRecord
        {
            Name = name,
            Arn = scope.LaunchConfigurationArn(name),
            ImageId = input.ImageId,
            InstanceType = input.InstanceType,
            UserData = input.UserData,
            Cluster = cluster,
            SecurityGroups = [.. input.SecurityGroups ?? []],
            IamInstanceProfile = input.IamInstanceProfile,
            KeyName = input.KeyName,
            CreatedTime = scope.Now,
        });
        return edit.Done(NoOutput.Instance);
    }

    /// <summary>DescribeLaunchConfigurations: the named ones (unknown names are left out, as AWS does), or all, by name.</summary>
    public static LaunchConfigurationsType Describe(AsgState state, string region, LaunchConfigurationNamesType input)
    {
        var names = input.LaunchConfigurationNames ?? [];
        var all = state.LaunchConfigurations
            .Where(c => AsgState.RegionOf(c.Key) == region && (names.Count == 0 || names.Contains(c.Value.Name)))
            .Select(c => c.Value)
            .ToList();
        var (page, next) = Paging.Take(all, input.NextToken, input.MaxRecords);
        return new LaunchConfigurationsType { LaunchConfigurations = [.. page.Select(ToWire)], NextToken = next };
    }

    /// <summary>DeleteLaunchConfiguration: refused while a group uses it.</summary>
    public static Decision<AsgState, NoOutput> Delete(AsgState state, AsgScope scope, LaunchConfigurationNameType input)
    {
        var name = input.LaunchConfigurationName ?? string.Empty;
        var key = AsgState.Key(scope.Region, name);
        if (!state.LaunchConfigurations.ContainsKey(key))
        {
            throw AsgErrors.LaunchConfigurationNotFound(name);
        }

        if (state.Groups.FirstOrDefault(g => AsgState.RegionOf(g.Key) == scope.Region && g.Value.LaunchConfigurationName == name) is { Value: { } user })
        {
            throw AsgErrors.InUse($"Cannot delete launch configuration {name} because it is attached to AutoScalingGroup {user.Name}");
        }

        var edit = new AsgEdit(state);
        edit.RemoveConfiguration(key);
        return edit.Done(NoOutput.Instance);
    }

    /// <summary>The wire shape.</summary>
    public static LaunchConfiguration ToWire(LaunchConfigurationRecord record) => new()
    {
        LaunchConfigurationName = record.Name,
        LaunchConfigurationARN = record.Arn,
        ImageId = record.ImageId,
        InstanceType = record.InstanceType,
        UserData = record.UserData,
        KeyName = record.KeyName ?? string.Empty,
        SecurityGroups = [.. record.SecurityGroups],
        ClassicLinkVPCSecurityGroups = [],
        KernelId = string.Empty,
        RamdiskId = string.Empty,
        BlockDeviceMappings = [],
        InstanceMonitoring = new InstanceMonitoring { Enabled = true },
        IamInstanceProfile = record.IamInstanceProfile,
        CreatedTime = record.CreatedTime,
        EbsOptimized = false,
    };
}

/// <summary>Auto Scaling's name rules.</summary>
internal static class Names
{
    /// <summary>1–255 characters, no colon (ARNs use it); else ValidationError as AWS words it.</summary>
    public static string Check(string? name, string member)
    {
        if (string.IsNullOrEmpty(name) || name.Length > 255)
        {
            throw AsgErrors.Validation($"1 validation error detected: Value '{name}' at '{member}' failed to satisfy constraint: Member must have length between 1 and 255");
        }

        if (name.Contains(':', StringComparison.Ordinal))
        {
            throw AsgErrors.Validation($"1 validation error detected: Value '{name}' at '{member}' failed to satisfy constraint: Member must satisfy regular expression pattern: [^:]*");
        }

        return name;
    }

    /// <summary>A list as an immutable array.</summary>
    public static ImmutableArray<string> Of(List<string>? list) => list is null ? [] : [.. list];
}
