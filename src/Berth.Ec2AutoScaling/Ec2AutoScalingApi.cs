using Berth.Ec2AutoScaling.Groups;
using Berth.Ec2AutoScaling.LaunchConfigurations;
using Berth.Ec2AutoScaling.Model;
using Berth.Ec2AutoScaling.State;
using Berth.Protocol.Query;
using Berth.Storage.Commit;

namespace Berth.Ec2AutoScaling;

/// <summary>
/// Wires EC2 Auto Scaling's operations to the query-protocol dispatch table: decisions run on the pipeline's writer,
/// queries on its current snapshot. UUIDs are drawn here (outside the writer) so the decisions stay pure.
/// </summary>
public sealed class Ec2AutoScalingApi(CommitPipeline<AsgState> pipeline, TimeProvider time)
{
    /// <summary>The query service EC2 Auto Scaling is: signing name <c>autoscaling</c>, version 2011-01-01.</summary>
    public static readonly QueryService Service = new(WireOperations.SigningName, WireQuery.ApiVersion, WireQuery.XmlNamespace);

    /// <summary>Registers every operation Berth answers.</summary>
    public void Register(QueryDispatchTable table)
    {
        Command<CreateLaunchConfigurationType, NoOutput>(table, "CreateLaunchConfiguration", LaunchConfigurationDecisions.Create);
        Query<LaunchConfigurationNamesType, LaunchConfigurationsType>(table, "DescribeLaunchConfigurations", LaunchConfigurationDecisions.Describe);
        Command<LaunchConfigurationNameType, NoOutput>(table, "DeleteLaunchConfiguration", LaunchConfigurationDecisions.Delete);

        Command<CreateAutoScalingGroupType, NoOutput>(table, "CreateAutoScalingGroup", GroupDecisions.Create);
        Command<UpdateAutoScalingGroupType, NoOutput>(table, "UpdateAutoScalingGroup", GroupDecisions.Update);
        Command<DeleteAutoScalingGroupType, NoOutput>(table, "DeleteAutoScalingGroup", GroupDecisions.Delete);
        Query<AutoScalingGroupNamesType, AutoScalingGroupsType>(table, "DescribeAutoScalingGroups", GroupDecisions.Describe);
        Query<DescribeAutoScalingInstancesType, AutoScalingInstancesType>(table, "DescribeAutoScalingInstances", GroupDecisions.DescribeInstances);
        Command<SetDesiredCapacityType, NoOutput>(table, "SetDesiredCapacity", GroupDecisions.SetDesiredCapacity);
        Command<SetInstanceProtectionQuery, SetInstanceProtectionAnswer>(table, "SetInstanceProtection", GroupDecisions.SetInstanceProtection);
        Command<TerminateInstanceInAutoScalingGroupType, ActivityType>(table, "TerminateInstanceInAutoScalingGroup", GroupDecisions.Terminate);
        Query<DescribeScalingActivitiesType, ActivitiesType>(table, "DescribeScalingActivities", GroupDecisions.DescribeActivities);
    }

    private void Command<TInput, TOutput>(QueryDispatchTable table, string action, Func<AsgState, AsgScope, TInput, Decision<AsgState, TOutput>> decide)
        where TInput : IQueryShape<TInput>
        where TOutput : IQueryShape<TOutput>
        => table.Add<TInput, TOutput>(Service, action, async (context, input) =>
        {
            var scope = new AsgScope(context.Region, context.AccountId, time.GetUtcNow(), Guid.NewGuid());
            return await pipeline.ExecuteAsync(state => decide(state, scope, input));
        });

    private void Query<TInput, TOutput>(QueryDispatchTable table, string action, Func<AsgState, string, TInput, TOutput> query)
        where TInput : IQueryShape<TInput>
        where TOutput : IQueryShape<TOutput>
        => table.Add<TInput, TOutput>(Service, action, (context, input) => ValueTask.FromResult(query(pipeline.Current, context.Region, input)));
}
