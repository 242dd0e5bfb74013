using System.Text.RegularExpressions;
using Berth.Ecs.Arns;
using Berth.Ecs.Clusters;
using Berth.Ecs.ContainerInstances;
using Berth.Ecs.Model;
using Berth.Ecs.Paging;
using Berth.Ecs.State;
using Berth.Protocol.Errors;
using Berth.Storage.Commit;

namespace Berth.Ecs.Attributes;

/// <summary>PutAttributes, DeleteAttributes and ListAttributes: custom attributes on container instances.</summary>
public static partial class AttributeDecisions
{
    [GeneratedRegex(@"^[a-zA-Z0-9_\-./]{1,128}$")]
    private static partial Regex NamePattern();

    [GeneratedRegex(@"^[a-zA-Z0-9_\-.@/: ]{1,128}$")]
    private static partial Regex ValuePattern();

    /// <summary>PutAttributes: sets (or replaces by name) attributes on container instances of a cluster.</summary>
    public static Decision<EcsState, List<EcsAttribute>> Put(EcsState state, Scope scope, PutAttributesRequest request)
    {
        var cluster = ClusterRules.RequireActive(state, scope, request.Cluster);
        var attributes = Check(request.Attributes, requireValueRules: true);
        return Apply(state, scope, cluster, attributes, (list, attribute) =>
        {
            list.RemoveAll(a => a.Name == attribute.Name);
            list.Add(new EcsAttribute { Name = attribute.Name, Value = attribute.Value });
        });
    }

    /// <summary>DeleteAttributes.</summary>
    public static Decision<EcsState, List<EcsAttribute>> Delete(EcsState state, Scope scope, DeleteAttributesRequest request)
    {
        var cluster = ClusterRules.RequireActive(state, scope, request.Cluster);
        var attributes = Check(request.Attributes, requireValueRules: false);
        return Apply(state, scope, cluster, attributes, (list, attribute) => list.RemoveAll(a => a.Name == attribute.Name));
    }

    /// <summary>ListAttributes: by target type, optionally by name and value, over one cluster.</summary>
    public static ListAttributesResponse List(EcsState state, Scope scope, ListAttributesRequest request)
    {
        var cluster = ClusterRules.RequireActive(state, scope, request.Cluster);
        if (request.TargetType != "container-instance")
        {
            throw AwsException.InvalidParameter("targetType must be container-instance.");
        }

        if (request.AttributeValue is not null && request.AttributeName is null)
        {
            throw AwsException.InvalidParameter("attributeName must be specified when attributeValue is specified.");
        }

        var size = Page.Size(request.MaxResults, 100);
        var ordered = InstancesOf(state, cluster).SelectMany(i => i.Attributes
            .Where(a => (request.AttributeName is null || a.Name == request.AttributeName) && (request.AttributeValue is null || a.Value == request.AttributeValue))
            .Select(a => (i.ContainerInstanceArn + "|" + a.Name, new EcsAttribute { Name = a.Name, Value = a.Value, TargetType = "container-instance", TargetId = i.ContainerInstanceArn })));
        var (items, next) = Page.Take(ordered, size, request.NextToken, "ListAttributes");
        return new ListAttributesResponse { Attributes = items, NextToken = next };
    }

    private static IEnumerable<InstanceRecord> InstancesOf(EcsState state, ClusterRecord cluster)
    {
        var infix = $":container-instance/{cluster.ClusterName}/";
        return state.ContainerInstances.Values.Where(i => i.ContainerInstanceArn.Contains(infix, StringComparison.Ordinal));
    }

    private static List<EcsAttribute> Check(List<EcsAttribute>? attributes, bool requireValueRules)
    {
        if (attributes is null || attributes.Count == 0)
        {
            throw AwsException.InvalidParameter("Attributes can not be empty.");
        }

        if (attributes.Count > 10)
        {
            throw AwsException.InvalidParameter("You can specify up to 10 attributes in a single call.");
        }

        foreach (var attribute in attributes)
        {
            if (attribute.Name is null || !NamePattern().IsMatch(attribute.Name))
            {
                throw AwsException.InvalidParameter($"Attribute name '{attribute.Name}' is invalid. Up to 128 letters (uppercase and lowercase), numbers, hyphens, underscores, forward slashes, and periods are allowed.");
            }

            if (requireValueRules && attribute.Value is not null && !ValuePattern().IsMatch(attribute.Value))
            {
                throw AwsException.InvalidParameter($"Attribute value '{attribute.Value}' is invalid. Up to 128 letters (uppercase and lowercase), numbers, hyphens, underscores, periods, at signs (@), forward slashes, colons, and spaces are allowed.");
            }

            if (attribute.TargetType is not null and not "container-instance")
            {
                throw AwsException.InvalidParameter("targetType must be container-instance.");
            }

            if (string.IsNullOrEmpty(attribute.TargetId))
            {
                throw AwsException.InvalidParameter("targetId can not be empty.");
            }
        }

        return attributes;
    }

    private static Decision<EcsState, List<EcsAttribute>> Apply(EcsState state, Scope scope, ClusterRecord cluster, List<EcsAttribute> attributes, Action<List<EcsAttribute>, EcsAttribute> change)
    {
        var edit = new StateEdit(state);
        var changed = new Dictionary<string, (InstanceRecord Instance, List<EcsAttribute> Attributes)>(StringComparer.Ordinal);
        foreach (var attribute in attributes)
        {
            var arn = attribute.TargetId!.StartsWith("arn:", StringComparison.Ordinal)
                ? attribute.TargetId
                : Arn.ContainerInstance(scope, cluster.ClusterName!, attribute.TargetId);
            if (!changed.TryGetValue(arn, out var target))
            {
                if (!state.ContainerInstances.TryGetValue(arn, out var current) || current.Status == InstanceStatus.Inactive)
                {
                    throw new AwsException("TargetNotFoundException", $"Could not find {attribute.TargetId}.");
                }

                changed[arn] = target = (current, [.. current.Attributes.Select(a => new EcsAttribute { Name = a.Name, Value = a.Value })]);
            }

            change(target.Attributes, attribute);
        }

        foreach (var (instance, list) in changed.Values)
        {
            edit.Put(instance with { Attributes = [.. list.Select(a => new NameValue(a.Name!, a.Value))] });
        }

        return edit.Done(attributes.Select(a => new EcsAttribute { Name = a.Name, Value = a.Value, TargetType = "container-instance", TargetId = a.TargetId }).ToList());
    }
}
